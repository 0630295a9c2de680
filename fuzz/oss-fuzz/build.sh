#!/bin/bash -eu
# OSS-Fuzz / ClusterFuzzLite build script for jetfault's fuzz targets.
#
# The builder provides $SRC (checkout), $OUT (output), $CXX, $CXXFLAGS (sanitizer and
# coverage flags, including -fsanitize=fuzzer-no-link for libFuzzer builds) and
# $LIB_FUZZING_ENGINE. The libraries are compiled with exactly $CXXFLAGS (the project's
# own sanitizer options stay off) and every *_fuzzer is linked with
# $LIB_FUZZING_ENGINE last on its link line (fuzz/CMakeLists.txt). Next to each binary
# go <target>_seed_corpus.zip (corpus/<target>/, regressions included), <target>.dict
# and <target>.options.
#
# Build dependencies (Debian/Ubuntu): cmake ninja-build libfmt-dev nlohmann-json3-dev
# libcli11-dev libboost-filesystem1.81-dev (see ci/install-deps), python3 for zipping.
src=${SRC:-$(cd "$(dirname "$0")/../.." && pwd)}
[[ -d $src/fuzz ]] || src=$SRC/jetfault
build=${WORK:-/tmp}/jetfault-oss-fuzz-build

# libFuzzer builds: no coverage feedback from the checksum loops (as the fuzz preset,
# cmake/Sanitizers.cmake; the list says why).
if [[ $CXXFLAGS == *fuzzer-no-link* ]]; then
  CXXFLAGS="$CXXFLAGS -fsanitize-coverage-ignorelist=$src/fuzz/coverage_ignorelist.txt"
fi

cmake -S "$src" -B "$build" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release \
  -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
  -DJETFAULT_LIB_FUZZING_ENGINE="$LIB_FUZZING_ENGINE" \
  -DJETFAULT_FUZZ=OFF -DJETFAULT_SANITIZE=OFF -DJETFAULT_TESTS=OFF -DJETFAULT_BENCH=OFF -DJETFAULT_WERROR=OFF
cmake --build "$build" --target fuzz_all -j "$(nproc)"

for binary in "$build"/fuzz/*_fuzzer; do
  target=$(basename "$binary")
  cp "$binary" "$OUT/"
  for extra in dict options; do
    if [[ -f $src/fuzz/targets/$target.$extra ]]; then cp "$src/fuzz/targets/$target.$extra" "$OUT/"; fi
  done
  if [[ -d $src/corpus/$target ]]; then
    python3 - "$src/corpus/$target" "$OUT/${target}_seed_corpus.zip" <<'PY'
import os, sys, zipfile
root, out = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
    for dirpath, _, names in sorted(os.walk(root)):
        for name in sorted(names):
            path = os.path.join(dirpath, name)
            # flat names: OSS-Fuzz unpacks seed corpora into one directory
            z.write(path, os.path.relpath(path, root).replace(os.sep, "_"))
PY
  fi
done

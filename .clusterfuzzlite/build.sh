#!/bin/bash -eu
# ClusterFuzzLite build: the same script OSS-Fuzz would run (fuzz/oss-fuzz/build.sh),
# so there is one description of how the targets are built. ci/fuzz-build-check runs
# that script without Docker to keep it working.
exec "$SRC/jetfault/fuzz/oss-fuzz/build.sh"

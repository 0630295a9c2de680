// fuzz/replay_main.cc — runs a fuzz target's corpus without libFuzzer.
//
// Linked into every `<target>_replay` executable of the ordinary (GCC) build instead
// of libFuzzer's main, so that ctest replays every corpus and every recorded crash on
// each CI run, under whatever sanitizers that build uses.
//
//   <target>_replay PATH...   each PATH is a file or a directory (searched recursively)
//
// Each input is handed to LLVMFuzzerTestOneInput in a heap buffer of exactly its
// size, so an over-read by one byte is an ASan report rather than silent slack.
// Files are replayed in sorted path order so a run is reproducible. A target that
// finds a violated invariant aborts (see fuzz_check.h); this main only counts.
// Exit status: 0 when at least one input ran and none aborted; 2 on a missing path
// or an empty corpus (an empty corpus would make the test pass vacuously).
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <system_error>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size);

namespace {

namespace fs = std::filesystem;

// Files under `path` (or `path` itself), sorted. Seed-corpus metadata that lives next
// to inputs in OSS-Fuzz layouts (.dict, .options) is not an input.
bool CollectInputs(const fs::path& path, std::vector<fs::path>* inputs) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) {
    inputs->push_back(path);
    return true;
  }
  if (!fs::is_directory(path, ec)) {
    std::fprintf(stderr, "replay: %s: no such file or directory\n", path.c_str());
    return false;
  }
  for (const auto& entry : fs::recursive_directory_iterator(path, ec)) {
    const auto ext = entry.path().extension();
    if (entry.is_regular_file() && ext != ".dict" && ext != ".options" && ext != ".md") {
      inputs->push_back(entry.path());
    }
  }
  return !ec;
}

bool ReadFile(const fs::path& path, std::vector<char>* bytes) {
  std::error_code ec;
  const auto size = fs::file_size(path, ec);
  if (ec) return false;
  bytes->resize(size);
  std::ifstream in(path, std::ios::binary);
  in.read(bytes->data(), static_cast<std::streamsize>(size));
  return static_cast<std::uintmax_t>(in.gcount()) == size;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: %s FILE-OR-DIRECTORY...\n", argv[0]);
    return 2;
  }
  std::vector<fs::path> inputs;
  for (int i = 1; i < argc; ++i) {
    if (!CollectInputs(argv[i], &inputs)) return 2;
  }
  std::sort(inputs.begin(), inputs.end());
  if (inputs.empty()) {
    std::fprintf(stderr, "replay: no inputs found\n");
    return 2;
  }
  for (const auto& path : inputs) {
    std::vector<char> bytes;
    if (!ReadFile(path, &bytes)) {
      std::fprintf(stderr, "replay: cannot read %s\n", path.c_str());
      return 2;
    }
    // Exactly-sized copy: new[0] still yields a unique pointer for empty inputs.
    auto copy = std::make_unique<std::uint8_t[]>(bytes.size());
    std::copy(bytes.begin(), bytes.end(), copy.get());
    std::fprintf(stderr, "replay: %s (%zu bytes)\n", path.c_str(), bytes.size());
    LLVMFuzzerTestOneInput(copy.get(), bytes.size());
  }
  std::fprintf(stderr, "replay: %zu inputs, all passed\n", inputs.size());
  return 0;
}

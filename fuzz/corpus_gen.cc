// fuzz/corpus_gen.cc — writes the seed corpus of every fuzz target.
//
//   corpus_gen OUTDIR      writes OUTDIR/<target>/seed-<what> files
//
// Most seeds are real engine output: corpus/engine_scenario.cc runs the engine on
// MemFs (create a database, transactions with long values, a rollback, a full backup,
// more work) for two page sizes; corpus/harvest.cc cuts every file of the resulting
// filesystem — before and after the clean shutdown — into the inputs each target
// reads. corpus/encoder_seeds.cc adds shapes a run does not produce. docs/FUZZING.md
// explains how the output is merged into corpus/ with -merge=1.
#include <cstdio>
#include <exception>
#include <string>

#include <fmt/core.h>

#include "corpus/encoder_seeds.h"
#include "corpus/engine_scenario.h"
#include "corpus/harvest.h"

int main(int argc, char** argv) {
  using namespace jetfault::corpus;
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
    return 2;
  }
  try {
    SeedWriter out{std::string(argv[1])};
    for (std::uint32_t page_size : {4096u, 8192u}) {
      const ScenarioFiles files = RunEngineScenario(page_size, /*seed=*/page_size);
      const std::string k = fmt::format("{}k", page_size / 1024);
      HarvestSeeds(*files.running, k + "-running", out);
      HarvestSeeds(*files.shut_down, k + "-clean", out);
    }
    WriteEncoderSeeds(out);
    std::printf("corpus_gen: wrote %d seeds under %s\n", out.count(), argv[1]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "corpus_gen: %s\n", e.what());
    return 1;
  }
  return 0;
}

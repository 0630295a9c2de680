// fuzz/corpus/engine_scenario.h — runs the real engine on MemFs to produce the files
// whose bytes become seeds: a database with several tables, long values, replaced and
// deleted records and a rolled-back transaction; a full backup taken mid-way; log
// generations small enough (64 KiB) to be whole-file seeds.
#pragma once

#include <cstdint>
#include <memory>

#include "faultfs/mem_fs.h"

namespace jetfault::corpus {

// Paths inside the filesystems a scenario returns.
inline constexpr char kInstanceDir[] = "/inst";  // logs and checkpoint
inline constexpr char kDatabasePath[] = "/data/main.edb";
inline constexpr char kBackupDir[] = "/backup";

struct ScenarioFiles {
  std::unique_ptr<faultfs::MemFs> running;    // before shutdown: dirty header, open log
  std::unique_ptr<faultfs::MemFs> shut_down;  // after a clean JetTerm
};

// How much work a scenario does. kSeeds: per table 6 transactions of 25 inserts (trees
// of several pages, several log generations) for corpus_gen. kSmall: per table 2 of 6,
// the same kinds of records (long values, replacements, deletions, a rollback) in one
// or two generations, so that restore_fuzzer restores it in about a millisecond.
enum class ScenarioSize { kSeeds, kSmall };

// Deterministic in `seed` (record contents and sizes), except for the signatures and
// timestamps the engine takes from the clock. Throws std::runtime_error naming the
// engine call that failed.
ScenarioFiles RunEngineScenario(std::uint32_t page_size, std::uint32_t seed, ScenarioSize size = ScenarioSize::kSeeds);

}  // namespace jetfault::corpus

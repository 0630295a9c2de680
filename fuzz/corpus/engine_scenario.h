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
inline constexpr char kInstanceDir[] = "/inst";     // logs and checkpoint
inline constexpr char kDatabasePath[] = "/data/main.edb";
inline constexpr char kBackupDir[] = "/backup";

struct ScenarioFiles {
  std::unique_ptr<faultfs::MemFs> running;   // before shutdown: dirty header, open log
  std::unique_ptr<faultfs::MemFs> shut_down; // after a clean JetTerm
};

// Deterministic in `seed` (record contents and sizes), except for the signatures and
// timestamps the engine takes from the clock. Throws std::runtime_error naming the
// engine call that failed.
ScenarioFiles RunEngineScenario(std::uint32_t page_size, std::uint32_t seed);

}  // namespace jetfault::corpus

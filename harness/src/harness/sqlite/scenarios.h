// harness/sqlite/scenarios.h — the SQLite scenarios: the seam's crash, I/O-error and
// backup scenarios (seam/scenarios.h) bound to SQLite in each configuration.
//
// One scenario per (kind, journal mode, synchronous), named
// `sqlite-<kind>-<journal>-<synchronous>` (e.g. sqlite-crash-delete-full), so that a
// replay line names its configuration. The durable configurations (WAL/FULL and
// DELETE/EXTRA) are in the default campaign; the others only run when named (their
// violations are the expected result: `jetfault run --engine sqlite
// --sqlite-synchronous off`).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "harness/core/scenario.h"
#include "harness/seam/scenarios.h"
#include "harness/sqlite/engine.h"

namespace jetharness::sqlite {

enum class Kind : std::uint8_t { kCrash, kIoError, kBackup };

std::string ScenarioName(Kind kind, const Config& config);
// The SeamEnv of a case in `config`: even cases a few short transactions; odd cases
// more and larger ones, with long values (overflow pages) often, so transactions spill
// pages and the WAL grows. No lazy commits (SQLite has none per transaction).
SeamEnv MakeSqliteEnv(const CaseContext& ctx, const Config& config);
void RegisterSqliteScenarios(ScenarioRegistry* registry);

// The scenarios `jetfault run --engine sqlite` runs. Unset journal: both modes; unset
// synchronous: the durable level of each mode (FULL for WAL, EXTRA for DELETE).
std::vector<std::string> SelectSqliteScenarios(std::optional<Journal> journal, std::optional<Synchronous> synchronous);

}  // namespace jetharness::sqlite

namespace jetharness {

// `jetfault run --engine E [--sqlite-journal J] [--sqlite-synchronous S]`: appends to
// *scenarios what to run. engine "" (unset) with no SQLite flag: nothing (the default
// campaign); "jet": every default scenario that is not SQLite's (sqlite-*, fuse-sqlite*);
// "sqlite" (implied by either SQLite flag): SelectSqliteScenarios, and fuse-sqlite (when
// registered) unless a flag picks a configuration. Returns "" or a usage error.
std::string SelectEngineScenarios(const ScenarioRegistry& registry, const std::string& engine,
                                  const std::string& journal, const std::string& synchronous,
                                  std::vector<std::string>* scenarios);

}  // namespace jetharness

// harness/fuse/scenarios.h — the scenarios that run unmodified programs on a
// `jetfault mount` and cut its power (scenario_fuse.cc): fuse-power-loss (jetutil
// load), fuse-restore (jetutil restore), fuse-sqlite (the sqlite3 command-line tool).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/core/model.h"
#include "harness/core/scenario.h"

namespace jetharness::fuse {

void RegisterFuseScenarios(ScenarioRegistry* registry);

// The jetutil binary the scenarios run: $JETUTIL, else the build tree's
// (<dir of this executable>/../tools/jetutil/jetutil), else `jetutil` on PATH; "" if none.
std::string JetutilExecutable();
// The sqlite3 command-line tool fuse-sqlite runs: $SQLITE3, else `sqlite3` on PATH.
std::string Sqlite3Executable();

// fuse-sqlite's pieces, for its tests.
struct SqliteCliConfig {
  std::string journal = "wal";       // journal_mode: wal, delete
  std::string synchronous = "full";  // off, normal, full, extra
  std::string Name() const { return journal + "-" + synchronous; }
};
// A seeded script for `sqlite3 -batch` on a database holding table t(k, v): `.bail on`,
// the configuration (read back in a `config|<journal>|<level>` line), then transactions
// each followed by `SELECT 'ack', n;` (the line `ack|n` once COMMIT n returned).
struct SqliteCliWorkload {
  SqliteCliConfig config;
  std::string script;
  std::vector<std::string> txn_sql;  // per transaction: BEGIN ... COMMIT + its ack
  Model model;                       // every transaction begun, none committed
  std::vector<Model::TxnId> txns;
};
SqliteCliWorkload MakeSqliteCliWorkload(std::uint64_t seed, const SqliteCliConfig& config);
// The statement that creates the workload's table.
std::string SqliteCliSetupSql();
// What sqlite3 printed: the acknowledged commits, whether the configuration took.
struct SqliteCliOutcome {
  std::size_t acked = 0;
  bool configured = false;
  std::string problem;  // a configuration that did not take, acks out of order
};
SqliteCliOutcome ParseSqliteCliOutput(const std::string& out, const SqliteCliConfig& config);
// Opens the database at db_path (a real file of a crash image) with libsqlite3, which
// recovers it, and reads table t after PRAGMA integrity_check said ok; twice, the second
// after a clean close must read the same. "" (and *out) or what is wrong.
std::string ReadSqliteImage(const std::string& db_path, DbState* out);
// The oracle on such an image: a prefix of the transactions holding the first `acked`
// (and, unless the script finished, perhaps the next). "" (and *matched, the prefix)
// or the violation.
std::string JudgeSqliteImage(const std::string& db_path, const SqliteCliWorkload& workload, std::size_t acked,
                             bool finished, std::size_t* matched);

}  // namespace jetharness::fuse

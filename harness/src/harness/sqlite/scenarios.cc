#include "harness/sqlite/scenarios.h"

#include <fmt/format.h>

#include <iterator>

#include "harness/seam/scenarios.h"

namespace jetharness::sqlite {

namespace {

constexpr Journal kJournals[] = {Journal::kWal, Journal::kDelete};
constexpr Synchronous kLevels[] = {Synchronous::kOff, Synchronous::kNormal, Synchronous::kFull, Synchronous::kExtra};

Synchronous DurableLevel(Journal journal) {
  return journal == Journal::kWal ? Synchronous::kFull : Synchronous::kExtra;
}

// Each kind of scenario, in Kind's order: its part of the scenario name, its summary
// ({}: the configuration's name) and description ({} {} {}: journal_mode,
// synchronous, what to expect of the configuration), its default cases and the seam's
// generic scenario it runs.
struct KindRow {
  const char* name = "";
  const char* summary = "";
  const char* description = "";
  std::uint64_t default_cases = 1;
  void (*run)(CaseContext& ctx, const SeamEnv& env) = nullptr;
};
constexpr KindRow kKinds[] = {
    {"crash", "SQLite ({}): power loss at every I/O point, four survivor images, hot-journal/WAL recovery",
     "SQLite with journal_mode={} and synchronous={} on the faultfs VFS runs a seeded workload "
     "(inserts, replaces, deletes, rollbacks, long values, one transaction left open) once, "
     "recorded: before every I/O operation the disk is snapshotted with the model's window. Each of "
     "four survivor images (unsynced dropped, kept, random subset, random subset torn at 512 "
     "bytes) is reopened (SQLite rolls back a hot journal or replays the WAL), read back with "
     "PRAGMA integrity_check, and must equal a prefix of the commits holding every acknowledged "
     "one; then a clean close and reopen must show the same content. {}",
     2, RunSeamCrash},
    {"io-error", "SQLite ({}): EIO and ENOSPC at every I/O point, then power loss",
     "SQLite with journal_mode={} and synchronous={}: EIO (a failed sync also loses its dirty "
     "data) and ENOSPC on every I/O operation of a seeded workload. The failing call must return "
     "SQLITE_IOERR_* or SQLITE_CANTOPEN (ENOSPC: also SQLITE_FULL); whatever it returned, the "
     "disk a power failure then leaves (unsynced writes dropped, or kept) must reopen to a prefix "
     "holding every acknowledged commit: never a silent success with lost data. {}",
     1, RunSeamIoError},
    {"backup", "SQLite ({}): power loss at every I/O point of the online backup API",
     "SQLite with journal_mode={} and synchronous={}, the seam's generic backup scenario: half of a "
     "seeded workload, then sqlite3_backup_step (two pages a step) copies the database into "
     "/backup on the same VFS, then the other half. Power fails before every I/O operation of the "
     "backup and after it returned, four survivor images each: the copy, restored over the database "
     "(sqlite3_backup_* the other way) must pass PRAGMA integrity_check and hold exactly the commits "
     "made before the backup, or, until the step that returned SQLITE_DONE, hold no table and be "
     "refused (the database then recovers within the workload's window). Then power fails before "
     "every I/O operation of a restore and after it returned: the interrupted restore, run again, "
     "must give exactly the backup, and a returned one must survive. {}",
     1, RunSeamBackup},
};

static_assert(std::size(kKinds) == static_cast<std::size_t>(Kind::kBackup) + 1, "one row per Kind, in its order");

const KindRow& RowOf(Kind kind) { return kKinds[static_cast<std::size_t>(kind)]; }

Scenario MakeScenario(Kind kind, const Config& config) {
  const bool durable = config.durable();
  const std::string expect =
      durable ? "Durable configuration: every acknowledged commit must survive (0 violations expected)."
              : "Not durable across power loss: violations (lost-durable-commit, or worse) are the expected "
                "result; run only when named.";
  const KindRow& row = RowOf(kind);
  Scenario s;
  s.name = ScenarioName(kind, config);
  // The default campaign's slice: the two configurations `--engine sqlite` runs.
  s.in_default_campaign = config.synchronous == DurableLevel(config.journal);
  s.summary = fmt::format(fmt::runtime(row.summary), config.Name());
  s.description = fmt::format(fmt::runtime(row.description), JournalName(config.journal),
                              SynchronousName(config.synchronous), expect);
  s.default_cases = row.default_cases;
  s.run = [config, run = row.run](CaseContext& ctx) { run(ctx, MakeSqliteEnv(ctx, config)); };
  return s;
}

}  // namespace

SeamEnv MakeSqliteEnv(const CaseContext& ctx, const Config& config) {
  // --txns and the like apply (not --page-size: SQLite's page size is its own).
  WorkloadConfig w = SeamWorkloadConfig(ctx);
  w.lazy_per_million = 0;  // no per-transaction lazy commit in SQLite
  SeamEnv env;
  env.spec = GenerateWorkload(w);
  const VfsOptions vfs{ctx.seed(), 512};
  env.make = [config, vfs] { return std::make_unique<SqliteEngine>(config, vfs); };
  return env;
}

std::string ScenarioName(Kind kind, const Config& config) {
  return fmt::format("sqlite-{}-{}", RowOf(kind).name, config.Name());
}

void RegisterSqliteScenarios(ScenarioRegistry* registry) {
  for (Kind kind : {Kind::kCrash, Kind::kIoError, Kind::kBackup}) {
    for (Journal journal : kJournals) {
      for (Synchronous level : kLevels) registry->Add(MakeScenario(kind, Config{journal, level}));
    }
  }
}

std::vector<std::string> SelectSqliteScenarios(std::optional<Journal> journal, std::optional<Synchronous> synchronous) {
  std::vector<std::string> names;
  for (Kind kind : {Kind::kCrash, Kind::kIoError, Kind::kBackup}) {
    for (Journal j : kJournals) {
      if (journal && *journal != j) continue;
      names.push_back(ScenarioName(kind, Config{j, synchronous.value_or(DurableLevel(j))}));
    }
  }
  return names;
}

}  // namespace jetharness::sqlite

namespace jetharness {

std::string SelectEngineScenarios(const ScenarioRegistry& registry, const std::string& engine,
                                  const std::string& journal, const std::string& synchronous,
                                  std::vector<std::string>* scenarios) {
  const bool sqlite_flags = !journal.empty() || !synchronous.empty();
  if (engine.empty() && !sqlite_flags) return "";
  if (engine == "jet") {
    if (sqlite_flags) return "--sqlite-journal and --sqlite-synchronous need --engine sqlite";
    for (const Scenario& s : registry.all()) {
      // SQLite's own scenarios, and the sqlite3 command-line tool on a FUSE mount.
      const bool sqlite = s.name.rfind("sqlite-", 0) == 0 || s.name.rfind("fuse-sqlite", 0) == 0;
      if (s.in_default_campaign && !sqlite) scenarios->push_back(s.name);
    }
    return "";
  }
  if (!engine.empty() && engine != "sqlite") return "--engine wants jet or sqlite, got " + engine;
  std::optional<sqlite::Journal> j;
  std::optional<sqlite::Synchronous> level;
  if (!journal.empty() && !sqlite::ParseJournal(journal, &j.emplace())) {
    return "--sqlite-journal wants delete or wal, got " + journal;
  }
  if (!synchronous.empty() && !sqlite::ParseSynchronous(synchronous, &level.emplace())) {
    return "--sqlite-synchronous wants off, normal, full or extra, got " + synchronous;
  }
  for (std::string& name : sqlite::SelectSqliteScenarios(j, level)) scenarios->push_back(std::move(name));
  // The unmodified sqlite3 tool on a FUSE mount (harness/fuse): both durable
  // configurations, when no flag picks one.
  if (!sqlite_flags && registry.Find("fuse-sqlite") != nullptr) scenarios->push_back("fuse-sqlite");
  return "";
}

}  // namespace jetharness

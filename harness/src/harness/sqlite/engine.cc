#include "harness/sqlite/engine.h"

#include <fmt/format.h>

#include <algorithm>

#include "jetfault/assert.h"

namespace jetharness::sqlite {

bool Config::durable() const {
  return (journal == Journal::kWal && synchronous >= Synchronous::kFull) ||
         (journal == Journal::kDelete && synchronous == Synchronous::kExtra);
}

std::string Config::Name() const { return fmt::format("{}-{}", JournalName(journal), SynchronousName(synchronous)); }

const char* JournalName(Journal journal) { return journal == Journal::kWal ? "wal" : "delete"; }

const char* SynchronousName(Synchronous synchronous) {
  switch (synchronous) {
    case Synchronous::kOff: return "off";
    case Synchronous::kNormal: return "normal";
    case Synchronous::kFull: return "full";
    case Synchronous::kExtra: return "extra";
  }
  return "?";
}

bool ParseJournal(const std::string& text, Journal* out) {
  for (Journal j : {Journal::kDelete, Journal::kWal}) {
    if (text == JournalName(j)) {
      *out = j;
      return true;
    }
  }
  return false;
}

bool ParseSynchronous(const std::string& text, Synchronous* out) {
  for (Synchronous s : {Synchronous::kOff, Synchronous::kNormal, Synchronous::kFull, Synchronous::kExtra}) {
    if (text == SynchronousName(s)) {
      *out = s;
      return true;
    }
  }
  return false;
}

namespace {

std::string Quoted(const std::string& table) { return "\"" + table + "\""; }

}  // namespace

SqliteEngine::SqliteEngine(Config config, VfsOptions vfs_options) : config_(config), vfs_options_(vfs_options) {}

SqliteEngine::~SqliteEngine() {
  // A scenario ends every engine with Close or Abandon; an exception on the way may not.
  if (db_ != nullptr) Abandon();
}

EngineResult SqliteEngine::Error(const std::string& call, int code) const {
  return EngineResult{code, call, db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(code)};
}

EngineResult SqliteEngine::Exec(const std::string& sql) {
  JF_ASSERT(db_ != nullptr);
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, nullptr);
  return rc == SQLITE_OK ? EngineResult{} : Error(sql, rc);
}

EngineResult SqliteEngine::Prepared(const std::string& sql, sqlite3_stmt** out) {
  auto it = statements_.find(sql);
  if (it == statements_.end()) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db_, sql.c_str(), -1, &stmt, nullptr);
    if (rc != SQLITE_OK) return Error(sql, rc);
    it = statements_.emplace(sql, stmt).first;
  }
  *out = it->second;
  return EngineResult{};
}

void SqliteEngine::UseVfs(faultfs::Vfs* vfs) {
  fs_ = vfs;
  vfs_ = std::make_unique<FaultVfs>(vfs, vfs_options_);
  // SQLite's own PRNG (journal nonces, WAL salts) is process-global and seeded from
  // the default VFS: reseed it from the case so a replay writes the same bytes.
  sqlite3_test_control(SQLITE_TESTCTRL_PRNG_SEED, static_cast<int>(vfs_options_.seed & 0x7fffffff), nullptr);
}

EngineResult SqliteEngine::OpenConnection(const std::string& path, int flags, sqlite3** out) const {
  int rc = sqlite3_open_v2(path.c_str(), out, flags | SQLITE_OPEN_EXRESCODE, vfs_->name());
  if (rc == SQLITE_OK) return EngineResult{};
  EngineResult r{rc, "sqlite3_open_v2(" + path + ")", *out != nullptr ? sqlite3_errmsg(*out) : sqlite3_errstr(rc)};
  sqlite3_close_v2(*out);  // a handle comes back even on failure (or null: a no-op)
  *out = nullptr;
  return r;
}

EngineResult SqliteEngine::Open(faultfs::Vfs* vfs, const WorkloadSpec& spec, bool create) {
  JF_ASSERT(db_ == nullptr);
  UseVfs(vfs);
  EngineResult r = OpenConnection(config_.database, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &db_);
  if (!r.ok()) {
    Abandon();
    return r;
  }
  r = Configure(db_);
  if (!r.ok()) return r;
  if (!create) return EngineResult{};
  std::string sql = "BEGIN;";
  for (const DatabaseSpec& database : spec.databases) {
    for (const std::string& table : database.tables) {
      sql += fmt::format("CREATE TABLE {}(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID;", Quoted(table));
    }
  }
  return Exec(sql + "COMMIT;");
}

EngineResult SqliteEngine::Configure(sqlite3* db) {
  // Both settings are read back: a PRAGMA the VFS swallowed would leave the defaults.
  struct Pragma {
    std::string set, get, want;
  };
  const Pragma pragmas[] = {
      {fmt::format("PRAGMA journal_mode={}", JournalName(config_.journal)), "PRAGMA journal_mode",
       JournalName(config_.journal)},
      {fmt::format("PRAGMA synchronous={}", static_cast<int>(config_.synchronous)), "PRAGMA synchronous",
       std::to_string(static_cast<int>(config_.synchronous))},
  };
  for (const Pragma& p : pragmas) {
    int rc = sqlite3_exec(db, p.set.c_str(), nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return EngineResult{rc, p.set, sqlite3_errmsg(db)};
    sqlite3_stmt* stmt = nullptr;
    rc = sqlite3_prepare_v2(db, p.get.c_str(), -1, &stmt, nullptr);
    if (rc != SQLITE_OK) return EngineResult{rc, p.get, sqlite3_errmsg(db)};
    rc = sqlite3_step(stmt);
    std::string got = rc == SQLITE_ROW ? reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)) : "";
    sqlite3_finalize(stmt);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
      return EngineResult{sqlite3_extended_errcode(db), p.get, sqlite3_errmsg(db)};
    }
    if (rc == SQLITE_DONE) {
      return EngineResult{kSeamModelMismatch, p.get, "returned no row (did the VFS take the PRAGMA?)"};
    }
    if (got != p.want) return EngineResult{kSeamModelMismatch, p.set, "reads back as " + got + ", not " + p.want};
  }
  return EngineResult{};
}

namespace {

// Tables in the schema of `db` (0: a database nothing was ever committed to).
EngineResult CountTables(sqlite3* db, int* tables) {
  const char* sql = "SELECT count(*) FROM sqlite_schema WHERE type = 'table'";
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db, sql, -1, &stmt, nullptr);
  if (rc == SQLITE_OK) {
    rc = sqlite3_step(stmt);
    *tables = rc == SQLITE_ROW ? sqlite3_column_int(stmt, 0) : 0;
  }
  sqlite3_finalize(stmt);
  if (rc != SQLITE_ROW) return EngineResult{sqlite3_extended_errcode(db), sql, sqlite3_errmsg(db)};
  return EngineResult{};
}

// The online backup API: every page of `from` into `to`, two pages a step (so a crash
// can fall between steps), committed by the step that returns SQLITE_DONE.
EngineResult CopyDatabase(sqlite3* from, sqlite3* to) {
  sqlite3_backup* backup = sqlite3_backup_init(to, "main", from, "main");
  if (backup == nullptr) return EngineResult{sqlite3_extended_errcode(to), "sqlite3_backup_init", sqlite3_errmsg(to)};
  int rc;
  while ((rc = sqlite3_backup_step(backup, 2)) == SQLITE_OK) {
  }
  const int finished = sqlite3_backup_finish(backup);
  if (rc != SQLITE_DONE) return EngineResult{rc, "sqlite3_backup_step", sqlite3_errstr(rc)};
  if (finished != SQLITE_OK) return EngineResult{finished, "sqlite3_backup_finish", sqlite3_errstr(finished)};
  return EngineResult{};
}

// Closes a connection other than the adapter's own; the first failure wins.
void CloseOther(sqlite3* db, EngineResult* r) {
  if (db == nullptr) return;
  const int rc = sqlite3_close(db);
  if (rc != SQLITE_OK) {
    if (r->ok()) *r = EngineResult{rc, "sqlite3_close", sqlite3_errmsg(db)};
    sqlite3_close_v2(db);
  }
}

}  // namespace

std::string SqliteEngine::BackupPath(const std::string& backup_dir) const {
  return faultfs::JoinPath(backup_dir, faultfs::BaseName(config_.database));
}

EngineResult SqliteEngine::Backup(const std::string& backup_dir) {
  JF_ASSERT(db_ != nullptr);
  if (faultfs::Status s = MakeDirsDurable(*fs_, backup_dir); !s.ok()) {
    return EngineResult{SQLITE_CANTOPEN, "mkdir " + backup_dir, s.ToString()};
  }
  sqlite3* copy = nullptr;
  EngineResult r = OpenConnection(BackupPath(backup_dir), SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &copy);
  if (r.ok()) r = Configure(copy);
  if (r.ok()) r = CopyDatabase(db_, copy);
  CloseOther(copy, &r);
  return r;
}

EngineResult SqliteEngine::Restore(faultfs::Vfs* vfs, const std::string& backup_dir) {
  JF_ASSERT(db_ == nullptr);
  UseVfs(vfs);
  sqlite3* copy = nullptr;
  EngineResult r = OpenConnection(BackupPath(backup_dir), SQLITE_OPEN_READWRITE, &copy);
  if (r.ok()) r = Configure(copy);
  int tables = 0;
  if (r.ok()) r = CountTables(copy, &tables);
  if (r.ok() && tables == 0) {
    r = EngineResult{SQLITE_NOTFOUND, "Restore", "the backup holds no table: its copy never committed"};
  }
  if (r.ok()) r = OpenConnection(config_.database, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &db_);
  if (r.ok()) r = Configure(db_);
  if (r.ok()) r = CopyDatabase(copy, db_);
  CloseOther(copy, &r);
  if (db_ == nullptr) {
    vfs_.reset();
    return r;
  }
  if (!r.ok()) {
    Abandon();
    return r;
  }
  return Close();
}

EngineResult SqliteEngine::Write(const SpecOp& op) {
  std::string sql;
  switch (op.kind) {
    case OpKind::kInsert: sql = fmt::format("INSERT INTO {}(k, v) VALUES(?1, ?2)", Quoted(op.table)); break;
    case OpKind::kReplace: sql = fmt::format("UPDATE {} SET v = ?2 WHERE k = ?1", Quoted(op.table)); break;
    case OpKind::kDelete: sql = fmt::format("DELETE FROM {} WHERE k = ?1", Quoted(op.table)); break;
  }
  sqlite3_stmt* stmt = nullptr;
  EngineResult r = Prepared(sql, &stmt);
  if (!r.ok()) return r;
  sqlite3_bind_blob(stmt, 1, op.key.data(), static_cast<int>(op.key.size()), SQLITE_TRANSIENT);
  if (op.kind != OpKind::kDelete) {
    sqlite3_bind_blob(stmt, 2, op.value.data(), static_cast<int>(op.value.size()), SQLITE_TRANSIENT);
  }
  int rc = sqlite3_step(stmt);
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  if (rc != SQLITE_DONE) return Error(sql, sqlite3_extended_errcode(db_));
  if (sqlite3_changes(db_) != 1) {
    return EngineResult{kSeamModelMismatch, sql, fmt::format("changed {} rows, not 1", sqlite3_changes(db_))};
  }
  return EngineResult{};
}

EngineResult SqliteEngine::Commit(CommitMode /*durability comes from the configuration*/) { return Exec("COMMIT"); }

EngineResult SqliteEngine::Scan(const WorkloadSpec& spec, DbState* out) {
  out->clear();
  for (const DatabaseSpec& database : spec.databases) {
    for (const std::string& table : database.tables) {
      const std::string sql = fmt::format("SELECT k, v FROM {}", Quoted(table));
      sqlite3_stmt* stmt = nullptr;
      EngineResult r = Prepared(sql, &stmt);
      if (!r.ok()) return r;
      TableState records;
      std::optional<Bytes> previous;
      int rc;
      while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        auto column = [stmt](int i) {
          const void* p = sqlite3_column_blob(stmt, i);
          return Bytes(static_cast<const char*>(p), static_cast<std::size_t>(sqlite3_column_bytes(stmt, i)));
        };
        Bytes key = column(0);
        if (previous && !(*previous < key)) {
          sqlite3_reset(stmt);
          return EngineResult{kSeamModelMismatch, sql, "keys not strictly ascending in a scan"};
        }
        previous = key;
        records[key] = column(1);
      }
      sqlite3_reset(stmt);
      if (rc != SQLITE_DONE) return Error(sql, sqlite3_extended_errcode(db_));
      if (!records.empty()) (*out)[table] = std::move(records);
    }
  }
  sqlite3_stmt* check = nullptr;
  EngineResult r = Prepared("PRAGMA integrity_check", &check);
  if (!r.ok()) return r;
  std::string verdict;
  int rows = 0, rc;
  while ((rc = sqlite3_step(check)) == SQLITE_ROW) {
    ++rows;
    verdict += reinterpret_cast<const char*>(sqlite3_column_text(check, 0));
  }
  sqlite3_reset(check);
  if (rc != SQLITE_DONE) return Error("PRAGMA integrity_check", sqlite3_extended_errcode(db_));
  if (rows != 1 || verdict != "ok") return EngineResult{SQLITE_CORRUPT, "PRAGMA integrity_check", verdict};
  return EngineResult{};
}

void SqliteEngine::Finalize() {
  for (auto& [sql, stmt] : statements_) sqlite3_finalize(stmt);
  statements_.clear();
}

EngineResult SqliteEngine::Close() {
  JF_ASSERT(db_ != nullptr);
  Finalize();
  int rc = sqlite3_close(db_);
  if (rc != SQLITE_OK) {
    EngineResult r{rc, "sqlite3_close", sqlite3_errmsg(db_)};
    Abandon();
    return r;
  }
  db_ = nullptr;
  vfs_.reset();
  return EngineResult{};
}

void SqliteEngine::Abandon() {
  Finalize();
  if (db_ != nullptr) sqlite3_close_v2(db_);
  db_ = nullptr;
  vfs_.reset();
}

std::string SqliteEngine::CodeViolation(FaultClass fault, const std::string& /*faulted_path*/,
                                        const EngineResult& failure) const {
  return SqliteCodeViolation(fault, failure.code);
}

const std::vector<SqliteCodeRow>& SqliteCodeMap() {
  static const std::vector<SqliteCodeRow> kMap = {
      {FaultClass::kIoError,
       {SQLITE_IOERR, SQLITE_CANTOPEN},
       "the VFS maps a failed read, write, sync, truncate, size, delete or access as the unix VFS does "
       "(SQLITE_IOERR_READ, _WRITE, _FSYNC, _DIR_FSYNC, ...); a failed open is SQLITE_CANTOPEN"},
      {FaultClass::kDiskFull,
       {SQLITE_FULL, SQLITE_IOERR, SQLITE_CANTOPEN},
       "ENOSPC on a write is SQLITE_FULL; on a sync, truncate or open, the I/O error of that call"},
      {FaultClass::kCrash,
       {SQLITE_IOERR, SQLITE_CANTOPEN},
       "the call running when the machine died sees the device fail every call"},
      {FaultClass::kNone, {SQLITE_OK}, "no fault active (and any class without a row): any error is a violation"},
  };
  return kMap;
}

const SqliteCodeRow& SqliteCodeRowFor(FaultClass fault) {
  const auto& map = SqliteCodeMap();
  for (const SqliteCodeRow& row : map) {
    if (row.fault == fault) return row;
  }
  return map.back();  // the kNone row
}

std::string SqliteAllowedText(const SqliteCodeRow& row) {
  std::string out;
  for (int code : row.allowed) {
    const std::string label = ResultCodeLabel(code);  // "SQLITE_FULL (13)"
    out += fmt::format("{}{}", out.empty() ? "" : ", ",
                       code == SQLITE_IOERR ? std::string("SQLITE_IOERR_*") : label.substr(0, label.find(' ')));
  }
  return out;
}

std::string SqliteCodeViolation(FaultClass fault, int code) {
  const SqliteCodeRow& row = SqliteCodeRowFor(fault);
  // SQLITE_OK only as itself; an error by its primary code, so that every extended
  // code of a family (SQLITE_IOERR_FSYNC, ...) is allowed with it.
  // (An extended code of SQLITE_OK is no success: it matches nothing.)
  const int primary = code == SQLITE_OK ? SQLITE_OK : (code & 0xff) == SQLITE_OK ? -1 : code & 0xff;
  if (std::find(row.allowed.begin(), row.allowed.end(), primary) != row.allowed.end()) return "";
  return fmt::format("{} under {}, allowed: {}", ResultCodeLabel(code), FaultClassName(fault), SqliteAllowedText(row));
}

std::string SqliteCodeMapText() {
  std::string out =
      "SQLite result codes allowed per fault class (primary codes; success is always allowed, "
      "then the oracle judges the content):\n";
  for (const SqliteCodeRow& row : SqliteCodeMap()) {
    out += fmt::format("  {:<10} {}\n  {:<10}   {}\n",
                       row.fault == FaultClass::kNone ? "none/other" : FaultClassName(row.fault),
                       SqliteAllowedText(row), "", row.why);
  }
  return out;
}

std::string SqliteCodeMapMarkdown() {
  std::string out =
      "<!-- Generated by `jetfault errmap --engine sqlite --markdown` from harness/src/harness/sqlite/engine.cc; "
      "do not edit.\n     sqlite_tests fails when this file differs from the generated text. -->\n"
      "# SQLite result codes per fault class\n\n"
      "The SQLite scenarios (`jetfault run --engine sqlite`, docs/HARNESS.md \"A second engine: SQLite\")\n"
      "check every failing call's result code against this table: while a fault of the class is active,\n"
      "a call may return one of these primary codes (`code & 0xff`; `SQLITE_IOERR_*` is every extended\n"
      "I/O error code). Success is allowed with every fault, and then the oracle judges the content.\n"
      "The same table is the check (`SqliteCodeViolation`) and this page.\n\n"
      "| fault | allowed (primary code) | why |\n|---|---|---|\n";
  for (const SqliteCodeRow& row : SqliteCodeMap()) {
    out += fmt::format(
        "| {} | {} | {} |\n",
        row.fault == FaultClass::kNone ? "none (and any class without a row)" : FaultClassName(row.fault),
        SqliteAllowedText(row), row.why);
  }
  return out;
}

}  // namespace jetharness::sqlite

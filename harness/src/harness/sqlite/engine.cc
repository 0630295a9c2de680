#include "harness/sqlite/engine.h"

#include <fmt/format.h>

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

EngineResult SqliteEngine::Open(faultfs::Vfs* vfs, const WorkloadSpec& spec, bool create) {
  JF_ASSERT(db_ == nullptr);
  vfs_ = std::make_unique<FaultVfs>(vfs, vfs_options_);
  // SQLite's own PRNG (journal nonces, WAL salts) is process-global and seeded from
  // the default VFS: reseed it from the case so a replay writes the same bytes.
  sqlite3_test_control(SQLITE_TESTCTRL_PRNG_SEED, static_cast<int>(vfs_options_.seed & 0x7fffffff), nullptr);
  int rc = sqlite3_open_v2(config_.database.c_str(), &db_,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_EXRESCODE, vfs_->name());
  if (rc != SQLITE_OK) {
    EngineResult r = Error("sqlite3_open_v2", rc);
    Abandon();
    return r;
  }
  EngineResult r = Configure(db_);
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

EngineResult SqliteEngine::CountTables(int* tables) {
  sqlite3_stmt* stmt = nullptr;
  EngineResult r = Prepared("SELECT count(*) FROM sqlite_schema WHERE type = 'table'", &stmt);
  if (!r.ok()) return r;
  int rc = sqlite3_step(stmt);
  *tables = rc == SQLITE_ROW ? sqlite3_column_int(stmt, 0) : 0;
  sqlite3_reset(stmt);
  if (rc != SQLITE_ROW) return Error("SELECT count(*) FROM sqlite_schema", sqlite3_extended_errcode(db_));
  return EngineResult{};
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

std::string SqliteEngine::CodeViolation(FaultClass fault, int code) const { return SqliteCodeViolation(fault, code); }

std::string SqliteCodeViolation(FaultClass fault, int code) {
  const int primary = code & 0xff;
  bool allowed = false;
  const char* allowed_text = "SQLITE_OK";
  switch (fault) {
    case FaultClass::kCrash:
    case FaultClass::kIoError:
      // A device that failed or vanished: an I/O error of the kind the VFS mapped, or
      // an open that could not be made.
      allowed = primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN;
      allowed_text = "SQLITE_IOERR_*, SQLITE_CANTOPEN";
      break;
    case FaultClass::kDiskFull:
      // ENOSPC on a write is SQLITE_FULL; on a sync, truncate or open, the I/O error
      // of that call.
      allowed = primary == SQLITE_FULL || primary == SQLITE_IOERR || primary == SQLITE_CANTOPEN;
      allowed_text = "SQLITE_FULL, SQLITE_IOERR_*, SQLITE_CANTOPEN";
      break;
    default:
      allowed = code == SQLITE_OK;
      break;
  }
  if (allowed) return "";
  return fmt::format("{} under {}, allowed: {}", ResultCodeLabel(code), FaultClassName(fault), allowed_text);
}

}  // namespace jetharness::sqlite

// harness/sqlite/engine.h — SQLite as an EngineUnderTest (seam/engine_under_test.h).
//
// One database file (/db/test.db) on a FaultVfs (vfs.h); each workload table is an
// SQLite table `CREATE TABLE "<name>"(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID`.
// Begin/Commit/Rollback are BEGIN/COMMIT/ROLLBACK; an insert is an INSERT, a replace
// an UPDATE and a delete a DELETE that must each change exactly one row. Every open
// sets the configured journal_mode and synchronous and reads them back (a VFS that
// swallowed the PRAGMA would be caught here). SQLite has no per-transaction lazy
// commit: every commit is judged by the configuration (the workload generates none).
// Scan adds `PRAGMA integrity_check` (anything but one row "ok" is SQLITE_CORRUPT).
// Backup and Restore are the online backup API (sqlite3_backup_*), each way: Backup
// copies the open database into <backup_dir>/<its file name>, Restore copies that file
// back over the database (one write transaction of the destination, so a crash leaves
// the old content or the new, and a rerun restores).
#pragma once

#include <sqlite3.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "harness/seam/engine_under_test.h"
#include "harness/sqlite/vfs.h"

namespace jetharness::sqlite {

enum class Journal : std::uint8_t { kDelete, kWal };
enum class Synchronous : std::uint8_t { kOff, kNormal, kFull, kExtra };

struct Config {
  Journal journal = Journal::kWal;
  Synchronous synchronous = Synchronous::kFull;
  std::string database = "/db/test.db";  // the database file the adapter opens
  // WAL/FULL and DELETE/EXTRA: every acknowledged commit survives a power loss
  // (docs/HARNESS.md, "What SQLite assumes of the VFS").
  bool durable() const;
  std::string Name() const;  // "wal-full"
};
const char* JournalName(Journal journal);
const char* SynchronousName(Synchronous synchronous);
bool ParseJournal(const std::string& text, Journal* out);
bool ParseSynchronous(const std::string& text, Synchronous* out);

class SqliteEngine final : public EngineUnderTest {
 public:
  SqliteEngine(Config config, VfsOptions vfs_options);
  ~SqliteEngine() override;

  EngineResult Open(faultfs::Vfs* vfs, const WorkloadSpec& spec, bool create) override;
  EngineResult Begin() override { return Exec("BEGIN"); }
  EngineResult Write(const SpecOp& op) override;
  EngineResult Commit(CommitMode mode) override;
  EngineResult Rollback() override { return Exec("ROLLBACK"); }
  EngineResult Scan(const WorkloadSpec& spec, DbState* out) override;
  EngineResult Close() override;
  void Abandon() override;
  // SqliteCodeViolation: by fault class alone (any file, any call).
  std::string CodeViolation(FaultClass fault, const std::string& faulted_path,
                            const EngineResult& failure) const override;
  std::string CodeLabel(int code) const override { return ResultCodeLabel(code); }

  bool SupportsBackup() const override { return true; }
  // The copy has this configuration (journal mode, synchronous) and is committed, two
  // pages a sqlite3_backup_step, by the step that returns SQLITE_DONE: until then an
  // interrupted copy holds no table (it never committed) and Restore refuses it.
  EngineResult Backup(const std::string& backup_dir) override;
  // Refuses (SQLITE_CANTOPEN, or SQLITE_NOTFOUND for a copy with no table) before the
  // database is opened; opening the copy may roll back its own hot journal.
  EngineResult Restore(faultfs::Vfs* vfs, const std::string& backup_dir) override;

  // Sets this configuration's journal_mode and synchronous on another connection
  // (e.g. a backup's destination) and reads them back.
  EngineResult Configure(sqlite3* db);

  sqlite3* db() const { return db_; }
  FaultVfs* vfs() const { return vfs_.get(); }

 private:
  // A FaultVfs over `vfs` for this adapter's connections, SQLite's PRNG reseeded.
  void UseVfs(faultfs::Vfs* vfs);
  // Opens `path` on that VFS with `flags` (SQLITE_OPEN_EXRESCODE added).
  EngineResult OpenConnection(const std::string& path, int flags, sqlite3** out) const;
  std::string BackupPath(const std::string& backup_dir) const;
  EngineResult Exec(const std::string& sql);
  EngineResult Error(const std::string& call, int code) const;
  EngineResult Prepared(const std::string& sql, sqlite3_stmt** out);
  void Finalize();

  Config config_;
  VfsOptions vfs_options_;
  faultfs::Vfs* fs_ = nullptr;  // what vfs_ runs on
  std::unique_ptr<FaultVfs> vfs_;
  sqlite3* db_ = nullptr;
  std::map<std::string, sqlite3_stmt*> statements_;
};

// SQLite's result-code map, the counterpart of errmap.h: per fault class, the primary
// result codes (code & 0xff) a failing call may return while that fault is active.
// One table serves the check (SqliteCodeViolation), `jetfault errmap --engine sqlite`
// and docs/SQLITE_ERRORS.md (generated from it, kept equal by a test).
struct SqliteCodeRow {
  FaultClass fault;          // kNone: the row for every class without a row of its own
  std::vector<int> allowed;  // primary codes; SQLITE_IOERR stands for every SQLITE_IOERR_*
  const char* why;
};
const std::vector<SqliteCodeRow>& SqliteCodeMap();
// The row that judges `fault`.
const SqliteCodeRow& SqliteCodeRowFor(FaultClass fault);
// "SQLITE_FULL, SQLITE_IOERR_*, SQLITE_CANTOPEN"
std::string SqliteAllowedText(const SqliteCodeRow& row);
// "" when `code` is allowed while `fault` is active, else the violation.
std::string SqliteCodeViolation(FaultClass fault, int code);
// The map as `jetfault errmap --engine sqlite` prints it, and as docs/SQLITE_ERRORS.md.
std::string SqliteCodeMapText();
std::string SqliteCodeMapMarkdown();

}  // namespace jetharness::sqlite

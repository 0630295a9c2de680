// backup/backup_instance.cc — JetBackupInstance: an online streaming backup to a
// directory (docs/ESE_FACTS.md §3.1), taken while other sessions keep working.
//
// Full backup:
//   1. checkpoint, so that redo from the checkpoint's generation (genLow) suffices;
//   2. copy every attached database page by page through the instance (the cached
//      version of a page when it is newer than disk), verifying each page;
//   3. log a FullBackup record (the mark) and roll the log: genHigh, the generation
//      just closed, holds every change to any page copied in step 2;
//   4. copy the archived generations genLow..genHigh;
//   5. write each copy's header (bkinfoFullCur = mark, genLow, genHigh) and trailer;
//   6. write the manifest, last: an interrupted backup never looks complete;
//   7. record the backup in the database headers and the checkpoint, and (circular
//      logging off) delete the archived logs neither recovery nor this set needs.
// Incremental backup (JET_bitBackupIncremental): roll the log and add the archived
// generations after the set's genHigh to it, then rewrite the manifest.
#include <algorithm>
#include <array>
#include <map>
#include <mutex>
#include <new>
#include <set>
#include <vector>

#include <fmt/format.h>

#include "backup/backup_set.h"
#include "base/io_error.h"
#include "core/api_guard.h"
#include "core/instance.h"
#include "db/database_file.h"
#include "db/log_records.h"
#include "faultfs/alloc_fault.h"
#include "format/backup_trailer.h"
#include "format/db_header.h"
#include "format/log_header.h"
#include "format/page.h"
#include "jetfault/assert.h"
#include "log/log.h"

namespace jet::backup {

namespace {

// At most one backup per instance at a time (JET_errBackupInProgress).
class BackupRegistry {
 public:
  bool TryBegin(const core::InstanceRuntime* rt) {
    std::lock_guard lock(mu_);
    return running_.insert(rt).second;
  }
  void End(const core::InstanceRuntime* rt) {
    std::lock_guard lock(mu_);
    running_.erase(rt);
  }

 private:
  std::mutex mu_;
  std::set<const core::InstanceRuntime*> running_;
};

BackupRegistry& Registry() {
  static BackupRegistry registry;
  return registry;
}

JET_ERR Fail(const faultfs::Status& status, FileKind kind, const std::string& what) {
  SetLastErrorDetail(fmt::format("{}: {}", what, status.ToString()));
  return IoError(status, kind);
}

// Read handles on the log generations the set needs, opened as soon as each is seen.
// A handle keeps its file readable after the instance renames it (rollover) or
// deletes it (circular logging moves the checkpoint past it) — both are allowed by
// kShareAll — so a generation pinned once can always be copied.
class LogPins {
 public:
  LogPins(faultfs::Vfs& vfs, const core::InstanceConfig& config) : vfs_(vfs), config_(config) {}

  // Pins every generation >= low now present in the log path.
  JET_ERR PinFrom(std::int32_t low) {
    std::vector<std::string> names;
    if (auto s = vfs_.ListDir(config_.log_path, &names); !s.ok()) return Fail(s, FileKind::kLog, "list logs");
    for (const std::string& name : names) {
      std::int32_t g = 0;
      const bool current = name == log::CurrentLogName(config_.base_name);
      if (!current && (!log::ParseArchivedLogName(config_.base_name, name, &g) || g < low || pins_.count(g) != 0)) {
        continue;
      }
      std::unique_ptr<faultfs::File> file;
      const std::string path = faultfs::JoinPath(config_.log_path, name);
      auto s = vfs_.Open(path, {faultfs::Access::kRead, faultfs::kShareAll, faultfs::Disposition::kOpenExisting},
                         &file);
      if (s.code() == faultfs::ErrorCode::kNotFound) continue;  // renamed or deleted meanwhile: seen next time
      if (!s.ok()) return Fail(s, FileKind::kLog, "open " + path);
      // The header, not the name, says which generation this handle holds.
      std::array<std::uint8_t, format::kLogHeaderSize> bytes{};
      std::size_t got = 0;
      format::LogFileHeader header;
      // An I/O error is the backup's failure; a header that does not decode (a file a
      // rollover is still writing) is skipped and seen next time.
      if (auto r = file->Read(0, bytes, &got); !r.ok()) return Fail(r, FileKind::kLog, "read " + path);
      if (format::DecodeLogFileHeader(bytes, &header) < 0) continue;
      if (header.generation >= low && pins_.count(header.generation) == 0) pins_[header.generation] = std::move(file);
    }
    return JET_errSuccess;
  }

  faultfs::File* Find(std::int32_t generation) {
    auto it = pins_.find(generation);
    return it == pins_.end() ? nullptr : it->second.get();
  }

 private:
  faultfs::Vfs& vfs_;
  const core::InstanceConfig& config_;
  std::map<std::int32_t, std::unique_ptr<faultfs::File>> pins_;
};

struct DatabaseCopy {
  core::AttachedDatabaseInfo info;
  format::DbHeader header;  // snapshot taken with pgno_last, before any page is copied
  std::string file_name;
};

class BackupJob {
 public:
  BackupJob(core::InstanceRuntime& rt, std::string dir, Progress& progress)
      : rt_(rt),
        config_(rt.config()),
        vfs_(*config_.vfs),
        dir_(std::move(dir)),
        progress_(progress),
        pins_(vfs_, config_) {}

  JET_ERR Full() {
    if (JET_ERR err = PrepareEmptyDirectory(); err < 0) return err;
    if (JET_ERR err = rt_.Checkpoint(); err < 0) return err;
    const log::Checkpoint checkpoint = rt_.CurrentCheckpoint();
    format::BackupManifest manifest;
    manifest.flags = config_.circular ? format::kBackupFlagCircular : 0;
    manifest.page_size = config_.page_size;
    manifest.sign_log = checkpoint.sign_log;
    manifest.base_name = config_.base_name;
    manifest.gen_low = checkpoint.checkpoint.generation;
    pin_low_ = manifest.gen_low;
    if (JET_ERR err = pins_.PinFrom(pin_low_); err < 0) return err;

    std::vector<DatabaseCopy> dbs;
    if (JET_ERR err = SnapshotDatabases(&dbs); err < 0) return err;
    for (const DatabaseCopy& db : dbs) total_units_ += db.info.pgno_last;
    for (const DatabaseCopy& db : dbs) {
      if (JET_ERR err = CopyPages(db); err < 0) return err;
    }
    if (JET_ERR err = MarkAndRoll(&manifest); err < 0) return err;
    if (JET_ERR err = CopyLogs(manifest.gen_low, &manifest); err < 0) return err;
    // The set holds every generation from the checkpoint's to the one holding the mark.
    JF_ASSERT_LE(manifest.gen_low, manifest.gen_high);
    JF_ASSERT_EQ(manifest.logs.size(), static_cast<std::size_t>(manifest.gen_high - manifest.gen_low + 1));
    const format::BackupInfo bkinfo{manifest.lgpos_mark, manifest.logtime_mark, manifest.gen_low, manifest.gen_high};
    for (const DatabaseCopy& db : dbs) {
      if (JET_ERR err = FinishCopy(db, bkinfo); err < 0) return err;
      manifest.dbs.push_back({db.info.dbid, db.header.sign_db, db.info.pgno_last, db.file_name, db.info.path});
    }
    if (JET_ERR err = WriteManifest(vfs_, dir_, manifest); err < 0) return err;

    // The set is complete; now the instance may forget what the set preserves.
    for (const DatabaseCopy& db : dbs) {
      JET_ERR err = rt_.UpdateDatabaseHeader(db.info.dbid, [&](format::DbHeader& h) {
        h.bkinfo_full_prev = bkinfo;
        h.bkinfo_full_cur = {};
      });
      if (err < 0) return err;
    }
    JET_ERR err = rt_.UpdateCheckpoint([&](log::Checkpoint& c) {
      c.lgpos_full_backup = manifest.lgpos_mark;
      c.full_backup_gen_low = manifest.gen_low;
      c.full_backup_gen_high = manifest.gen_high;
    });
    if (err < 0) return err;
    return TruncateLogs(manifest.gen_high);
  }

  JET_ERR Incremental() {
    if (config_.circular) {
      SetLastErrorDetail("incremental backup is impossible with circular logging");
      return JET_errInvalidBackup;
    }
    const log::Checkpoint checkpoint = rt_.CurrentCheckpoint();
    if (checkpoint.full_backup_gen_low == 0) {
      SetLastErrorDetail("no full backup was taken of this instance");
      return JET_errMissingFullBackup;
    }
    format::BackupManifest manifest;
    if (JET_ERR err = ReadManifest(vfs_, dir_, &manifest); err < 0) {
      if (err == JET_errFileNotFound) {
        SetLastErrorDetail(dir_ + " holds no full backup set to add to");
        return JET_errMissingFullBackup;
      }
      return err;
    }
    if (manifest.sign_log != checkpoint.sign_log || manifest.base_name != config_.base_name) {
      SetLastErrorDetail(dir_ + " holds the backup set of another log lineage");
      return JET_errInvalidLogSequence;
    }
    const std::int32_t first = manifest.gen_high + 1;
    pin_low_ = first;
    if (JET_ERR err = pins_.PinFrom(pin_low_); err < 0) return err;
    const log::Lgpos full_mark = manifest.lgpos_mark;
    const format::LogTime full_time = manifest.logtime_mark;
    if (JET_ERR err = MarkAndRoll(&manifest); err < 0) return err;
    if (manifest.gen_high < first) {  // a set (its manifest is input) ahead of the instance's own log
      SetLastErrorDetail(
          fmt::format("{} ends at generation {}, past the instance's log ({})", dir_, first - 1, manifest.gen_high));
      return JET_errInvalidLogSequence;
    }
    log::Lgpos inc_mark = manifest.lgpos_mark;
    manifest.lgpos_mark = full_mark;  // the set's mark stays the full backup's
    manifest.logtime_mark = full_time;
    total_units_ = static_cast<std::uint64_t>(manifest.gen_high - first + 1);
    if (JET_ERR err = CopyLogs(first, &manifest); err < 0) return err;
    // The set now ends with the generation the roll closed, which holds (or follows) the mark.
    JF_ASSERT_EQ(manifest.logs.back().generation, manifest.gen_high);
    JF_ASSERT_LE(inc_mark.generation, manifest.gen_high);
    if (JET_ERR err = WriteManifest(vfs_, dir_, manifest); err < 0) return err;
    JET_ERR err = rt_.UpdateCheckpoint([&](log::Checkpoint& c) { c.lgpos_inc_backup = inc_mark; });
    if (err < 0) return err;
    return TruncateLogs(manifest.gen_high);
  }

 private:
  JET_ERR PrepareEmptyDirectory() {
    // Durable, so that the set's own directory entry survives a crash.
    if (auto s = db::MakeDirsDurable(vfs_, dir_); !s.ok()) return Fail(s, FileKind::kBackupSet, "create " + dir_);
    std::vector<std::string> names;
    if (auto s = vfs_.ListDir(dir_, &names); !s.ok()) return Fail(s, FileKind::kBackupSet, "list " + dir_);
    if (!names.empty()) {
      SetLastErrorDetail(dir_ + " is not empty");
      return JET_errBackupDirectoryNotEmpty;
    }
    return JET_errSuccess;
  }

  JET_ERR SnapshotDatabases(std::vector<DatabaseCopy>* dbs) {
    std::set<std::string> names;
    std::vector<std::uint8_t> page;
    if (JET_ERR err = Allocate(&page); err < 0) return err;
    for (core::AttachedDatabaseInfo& info : rt_.AttachedDatabases()) {
      DatabaseCopy copy;
      // Databases of the same base name (/a/x.edb, /b/x.edb) get distinct names in the
      // set; the manifest maps each name to its original path.
      copy.file_name = UniqueSetFileName(config_.base_name, info.path, &names);
      if (copy.file_name.empty()) {
        SetLastErrorDetail(fmt::format("database {} has no name usable in the backup set", info.path));
        return JET_errInvalidPath;
      }
      if (JET_ERR err = rt_.ReadHeaderForBackup(info.dbid, page); err < 0) return err;
      if (JET_ERR err = format::DecodeDbHeader(page, &copy.header); err < 0) {
        SetLastErrorDetail(fmt::format("{}: the header to back up is invalid", info.path));
        return err;
      }
      copy.info = std::move(info);
      copy.info.pgno_last = copy.header.pgno_last;  // the pages this header describes
      dbs->push_back(std::move(copy));
    }
    return JET_errSuccess;
  }

  JET_ERR Allocate(std::vector<std::uint8_t>* page) {
    if (!faultfs::AllocationAllowed("backup-page")) {
      SetLastErrorDetail("no memory for a page buffer");
      return JET_errOutOfMemory;
    }
    page->resize(config_.page_size);
    return JET_errSuccess;
  }

  JET_ERR OpenCopy(const DatabaseCopy& db, faultfs::Disposition disposition, std::unique_ptr<faultfs::File>* file) {
    const std::string path = faultfs::JoinPath(dir_, db.file_name);
    if (auto s = vfs_.Open(path, {faultfs::Access::kReadWrite, faultfs::kShareNone, disposition}, file); !s.ok()) {
      return Fail(s, FileKind::kBackupSet, "open " + path);
    }
    return JET_errSuccess;
  }

  JET_ERR CopyPages(const DatabaseCopy& db) {
    std::unique_ptr<faultfs::File> file;
    if (JET_ERR err = OpenCopy(db, faultfs::Disposition::kCreateAlways, &file); err < 0) return err;
    std::vector<std::uint8_t> page;
    if (JET_ERR err = Allocate(&page); err < 0) return err;
    const std::uint64_t page_size = config_.page_size;
    JF_ASSERT_EQ(page.size(), page_size);  // one whole page per read and write
    for (std::uint32_t pgno = 1; pgno <= db.info.pgno_last; ++pgno) {
      if (JET_ERR err = rt_.ReadPageForBackup(db.info.dbid, pgno, page); err < 0) return err;
      // The copy must be one restore can trust: check it as restore will.
      if (JET_ERR err = format::VerifyPage(page, pgno); err < 0) {
        SetLastErrorDetail(fmt::format("{}: page {} fails verification", db.info.path, pgno));
        return err;
      }
      if (auto s = file->Write(format::DbPageOffset(pgno, page_size), page); !s.ok()) {
        return Fail(s, FileKind::kBackupSet, "write " + db.file_name);
      }
      JF_ASSERT_LT(done_units_, total_units_);  // the page count was fixed by the header snapshot
      progress_.Advance(++done_units_, total_units_ * 2);
    }
    if (auto s = file->Sync(); !s.ok()) return Fail(s, FileKind::kBackupSet, "sync " + db.file_name);
    return JET_errSuccess;
  }

  JET_ERR MarkAndRoll(format::BackupManifest* manifest) {
    log::Lgpos mark;
    if (JET_ERR err = rt_.AppendDurableLogRecord(db::kLrFullBackup, {}, &mark); err < 0) return err;
    // Pin the generations created meanwhile and the current one before the rollover
    // can archive (and, with circular logging, delete) it.
    if (JET_ERR err = pins_.PinFrom(pin_low_); err < 0) return err;
    std::int32_t closed = 0;
    if (JET_ERR err = rt_.RollLog(&closed); err < 0) return err;
    // The closed generation holds the mark, or follows the one that does (a rollover
    // may come between the two calls): redo up to gen_high replays the mark.
    JF_ASSERT_LE(mark.generation, closed);
    manifest->lgpos_mark = mark;
    manifest->logtime_mark = format::LogTimeNow();
    manifest->gen_high = closed;
    return JET_errSuccess;
  }

  JET_ERR CopyLogs(std::int32_t first, format::BackupManifest* manifest) {
    for (std::int32_t g = first; g <= manifest->gen_high; ++g) {
      const std::string name = log::ArchivedLogName(config_.base_name, g);
      format::BackupLogEntry entry;
      entry.generation = g;
      faultfs::File* pinned = pins_.Find(g);
      if (pinned == nullptr) {
        SetLastErrorDetail(fmt::format("log generation {} to back up is gone", g));
        return JET_errMissingFileToBackup;
      }
      JET_ERR err = CopyOpenFileWithCrc(*pinned, name, FileKind::kLog, vfs_, faultfs::JoinPath(dir_, name),
                                        FileKind::kBackupSet, &entry.size, &entry.crc);
      if (err < 0) return err;
      // A set's logs are one run of consecutive generations.
      if (!manifest->logs.empty()) JF_ASSERT_EQ(manifest->logs.back().generation + 1, g);
      manifest->logs.push_back(entry);
      progress_.Advance(total_units_ + (total_units_ * static_cast<std::uint64_t>(g - first + 1)) /
                                           static_cast<std::uint64_t>(manifest->gen_high - first + 1),
                        total_units_ * 2);
    }
    if (first <= manifest->gen_high) JF_ASSERT_EQ(manifest->logs.back().generation, manifest->gen_high);
    return JET_errSuccess;
  }

  JET_ERR FinishCopy(const DatabaseCopy& db, const format::BackupInfo& bkinfo) {
    std::unique_ptr<faultfs::File> file;
    if (JET_ERR err = OpenCopy(db, faultfs::Disposition::kOpenExisting, &file); err < 0) return err;
    std::vector<std::uint8_t> page;
    if (JET_ERR err = Allocate(&page); err < 0) return err;
    const std::uint64_t page_size = config_.page_size;
    format::DbHeader header = db.header;
    header.bkinfo_full_cur = bkinfo;
    format::EncodeDbHeader(header, page);
    for (std::uint64_t copy = 0; copy < 2; ++copy) {
      if (auto s = file->Write(copy * page_size, page); !s.ok()) return Fail(s, FileKind::kBackupSet, "write header");
    }
    format::BackupTrailer trailer;
    trailer.bkinfo = bkinfo;
    trailer.sign_db = header.sign_db;
    trailer.sign_log = header.sign_log;
    trailer.gen_min_required = bkinfo.gen_low;
    trailer.gen_max_required = bkinfo.gen_high;
    trailer.gen_max_committed = bkinfo.gen_high;
    trailer.page_size = config_.page_size;
    trailer.pgno_last = db.info.pgno_last;
    if (JET_ERR err = format::EncodeBackupTrailer(trailer, page); err < 0) {
      SetLastErrorDetail(fmt::format("{}: cannot encode the backup trailer", db.file_name));
      return err;
    }
    format::BackupTrailer written;  // what restore will read back: the codec agrees with itself
    JF_ASSERT(format::DecodeBackupTrailer(page, &written) >= 0);
    JF_ASSERT_EQ(written.pgno_last, db.info.pgno_last);
    if (auto s = file->Write(format::DbPageOffset(std::uint64_t{db.info.pgno_last} + 1, page_size), page); !s.ok()) {
      return Fail(s, FileKind::kBackupSet, "write trailer");
    }
    if (auto s = file->Sync(); !s.ok()) return Fail(s, FileKind::kBackupSet, "sync " + db.file_name);
    return JET_errSuccess;
  }

  // Circular logging off: archived generations below both the checkpoint (soft
  // recovery) and the set's end (roll-forward after a restore) are no longer needed.
  JET_ERR TruncateLogs(std::int32_t gen_high) {
    if (config_.circular) return JET_errSuccess;
    const std::int32_t keep_from = std::min(rt_.CurrentCheckpoint().checkpoint.generation, gen_high + 1);
    std::vector<std::string> names;
    if (auto s = vfs_.ListDir(config_.log_path, &names); !s.ok()) return Fail(s, FileKind::kLog, "list logs");
    bool deleted = false;
    for (const std::string& name : names) {
      std::int32_t g = 0;
      if (!log::ParseArchivedLogName(config_.base_name, name, &g) || g >= keep_from) continue;
      JF_ASSERT_LE(g, gen_high);  // never a generation the set has not copied
      if (auto s = vfs_.Delete(faultfs::JoinPath(config_.log_path, name)); !s.ok()) {
        return Fail(s, FileKind::kLog, "truncate " + name);
      }
      deleted = true;
    }
    if (deleted) {
      if (auto s = vfs_.SyncDir(config_.log_path); !s.ok()) return Fail(s, FileKind::kLog, "sync log path");
    }
    return JET_errSuccess;
  }

  core::InstanceRuntime& rt_;
  const core::InstanceConfig config_;
  faultfs::Vfs& vfs_;
  const std::string dir_;
  Progress& progress_;
  std::uint64_t total_units_ = 0;
  std::uint64_t done_units_ = 0;
  LogPins pins_;
  std::int32_t pin_low_ = 0;  // first generation the set needs
};

JET_ERR BackupInstance(JET_INSTANCE instance, JET_PCSTR backup_path, JET_GRBIT grbit, JET_PFNSTATUS pfn) {
  if ((grbit & ~(JET_bitBackupIncremental | JET_bitBackupAtomic)) != 0) {
    SetLastErrorDetail(fmt::format("JetBackupInstance: unknown grbit bits {:#x}",
                                   grbit & ~(JET_bitBackupIncremental | JET_bitBackupAtomic)));
    return JET_errInvalidGrbit;
  }
  core::InstanceRuntime* rt = nullptr;
  if (JET_ERR err = core::InstanceRuntime::ResolveRunningInstance(instance, &rt); err < 0) return err;
  if (backup_path == nullptr || *backup_path == '\0') {
    SetLastErrorDetail("JetBackupInstance needs a backup directory");
    return JET_errNoBackupDirectory;
  }
  if (!Registry().TryBegin(rt)) {
    SetLastErrorDetail("another JetBackupInstance is running on this instance");
    return JET_errBackupInProgress;
  }
  struct EndBackup {
    core::InstanceRuntime* rt;
    ~EndBackup() { Registry().End(rt); }
  } end_backup{rt};
  Progress progress(pfn, JET_snpBackup);
  progress.Begin();
  BackupJob job(*rt, backup_path, progress);
  JET_ERR err = (grbit & JET_bitBackupIncremental) ? job.Incremental() : job.Full();
  if (err >= 0) progress.Complete();
  return err;
}

}  // namespace

}  // namespace jet::backup

JET_ERR JetBackupInstance(JET_INSTANCE instance, JET_PCSTR szBackupPath, JET_GRBIT grbit, JET_PFNSTATUS pfnStatus) {
  return jet::core::ApiGuard([&] { return jet::backup::BackupInstance(instance, szBackupPath, grbit, pfnStatus); });
}

// Soft recovery and the recovery half of restore (core/recovery.h).
#include "core/recovery.h"

#include <algorithm>
#include <functional>
#include <map>
#include <mutex>

#include "base/io_error.h"
#include "core/instance.h"
#include "core/instance_state.h"
#include "core/lifecycle.h"
#include "core/record_ops.h"
#include "db/catalog.h"
#include "db/log_records.h"
#include "db/mini_txn.h"
#include "db/redo.h"
#include "faultfs/posix_fs.h"
#include "format/log_segment.h"
#include "jetfault/assert.h"

namespace jet::core {
namespace {

// What redo learns about a transaction that has not ended: the first before-image of
// every record it wrote, which undo restores (ARCHITECTURE rule 6).
struct UnfinishedTxn {
  std::vector<RecordId> order;
  std::map<RecordId, BeforeImage> first;
};

// (done, total) generations replayed: the plan's on_progress, or a wrapper of it.
using Progress = std::function<void(std::uint32_t, std::uint32_t)>;

class Recovery {
 public:
  Recovery(InstanceRuntime& rt, const RecoveryPlan& plan, const Progress& progress)
      : rt_(rt), st_(rt.state()), plan_(plan), progress_(progress) {}

  JET_ERR Run() {
    if (plan_.generations.empty()) return JET_errMissingLogFile;
    sign_log_ = plan_.generations.front().sign_log;
    JET_ERR err = JET_errSuccess;
    for (const log::AttachInfo& info : plan_.attach) {
      if ((err = Attach(info, false)) < 0) return err;
    }
    if ((err = Redo()) < 0) return err;
    if (!deferred_.empty()) {
      SetLastErrorDetail("database " + deferred_.begin()->second.path + " needed by the log is missing");
      return JET_errAttachedDatabaseMismatch;
    }
    if ((err = StartNewGeneration()) < 0) return err;
    // Undo and the checkpoint go to a new log, in the generation after the last one read.
    JF_ASSERT(st_.log != nullptr);
    JF_ASSERT_EQ(st_.log->generation(), end_.generation + 1);
    if ((err = FinishInterruptedCreations()) < 0) return err;
    if ((err = Undo()) < 0) return err;
    return Finish();
  }

 private:
  // Where a database the log names lives now (RecoveryPlan::db_path_map, dest_dir),
  // never one of the plan's reserved paths.
  JET_ERR MapPath(const std::string& logged, std::string* out) {
    const JET_ERR err = MapPathTo(logged, out);
    if (err >= 0 && plan_.reserved_paths.count(*out) != 0) {
      SetLastErrorDetail("database " + logged + " would be opened at " + *out + ", a file the restore uses");
      return JET_errInvalidPath;
    }
    return err;
  }

  JET_ERR MapPathTo(const std::string& logged, std::string* out) {
    auto it = plan_.db_path_map.find(logged);
    if (it != plan_.db_path_map.end() || plan_.dest_dir.empty()) {
      *out = it == plan_.db_path_map.end() ? logged : it->second;
      return JET_errSuccess;
    }
    const std::string name = faultfs::BaseName(logged);
    if (name.empty() || name == "." || name == "..") {
      SetLastErrorDetail("database path '" + logged + "' in the log has no file name to restore it under");
      return JET_errInvalidPath;
    }
    *out = faultfs::JoinPath(plan_.dest_dir, name);
    for (const auto& [original, target] : plan_.db_path_map) {
      if (target == *out) return DestinationCollision(logged, original, *out);
    }
    auto [claim, inserted] = dest_claims_.emplace(*out, logged);
    if (!inserted && claim->second != logged) return DestinationCollision(logged, claim->second, *out);
    return JET_errSuccess;
  }

  static JET_ERR DestinationCollision(const std::string& a, const std::string& b, const std::string& target) {
    SetLastErrorDetail("databases " + a + " and " + b + " would both be restored to " + target);
    return JET_errInvalidPath;
  }

  // Opens a database named by the checkpoint, a log header or an attach/create record,
  // with ESE's attach checks (docs/ESE_FACTS.md §5.2). A missing file is deferred.
  JET_ERR Attach(const log::AttachInfo& logged, bool create) {
    log::AttachInfo info = logged;
    if (JET_ERR err = MapPath(logged.path, &info.path); err < 0) return err;
    if (auto it = st_.dbs.find(info.dbid); it != st_.dbs.end()) {
      return it->second.info.path == info.path ? JET_errSuccess : JET_errAttachedDatabaseMismatch;
    }
    faultfs::Vfs& vfs = *rt_.config().vfs;
    std::unique_ptr<db::DatabaseFile> file;
    JET_ERR err = db::DatabaseFile::Open(vfs, info.path, false, &file);
    if (create && (err == JET_errFileNotFound || err == JET_errPageNotInitialized || err == JET_errReadVerifyFailure ||
                   err == JET_errInvalidDatabase)) {
      // The create record is all there is: the file never reached storage whole. (A
      // whole database with another signDb is never overwritten: CheckHeader below.)
      file.reset();
      format::DbHeader h;
      h.sign_db = info.sign_db;
      h.dbstate = format::DbState::kDirtyShutdown;
      h.lgpos_attach = info.lgpos_attach;
      h.sign_log = sign_log_;
      h.dbid = info.dbid;
      h.page_size = info.page_size;
      h.objid_last = 1;
      if ((err = db::DatabaseFile::Create(vfs, info.path, h, true, &file)) < 0) return err;
    } else if (err == JET_errFileNotFound) {
      deferred_[info.dbid] = info;
      return JET_errSuccess;
    } else if (err < 0) {
      return err;
    } else {
      if ((err = CheckHeader(file->header(), info)) < 0) {
        if (err == JET_errFileNotFound) {  // JustCreated: treated like a missing file
          deferred_[info.dbid] = info;
          return JET_errSuccess;
        }
        return err;
      }
    }
    format::DbHeader h = file->header();
    if (h.page_size != rt_.config().page_size) return JET_errPageSizeMismatch;
    if (h.dbstate != format::DbState::kDirtyShutdown || h.sign_log != sign_log_ || h.dbid != info.dbid) {
      // Dirty before redo writes any page, so the file is never "clean" half-redone.
      h.dbstate = format::DbState::kDirtyShutdown;
      h.sign_log = sign_log_;
      h.lgpos_attach = info.lgpos_attach;
      h.lgpos_consistent = {};
      h.dbid = info.dbid;
      if ((err = file->WriteHeader(h)) < 0) return err;
    }
    // Redo writes pages only into a file marked dirty, attached to this log under this dbid.
    JF_ASSERT(file->header().dbstate == format::DbState::kDirtyShutdown);
    JF_ASSERT(file->header().sign_log == sign_log_);
    JF_ASSERT_EQ(file->header().dbid, info.dbid);
    deferred_.erase(info.dbid);
    return AddDatabase(rt_, std::move(file), info);
  }

  JET_ERR CheckHeader(const format::DbHeader& h, const log::AttachInfo& info) {
    if (h.page_size != rt_.config().page_size || (info.page_size != 0 && h.page_size != info.page_size)) {
      return JET_errPageSizeMismatch;
    }
    if (h.sign_db != info.sign_db) {
      SetLastErrorDetail(info.path + ": signDb differs from the log's");
      return JET_errAttachedDatabaseMismatch;
    }
    switch (h.dbstate) {
      case format::DbState::kCleanShutdown:
        // Consistent before the attach the log describes: an older copy of the file.
        if (h.lgpos_consistent < info.lgpos_consistent) {
          SetLastErrorDetail(info.path + ": lgposConsistent is older than the log's attach");
          return JET_errConsistentTimeMismatch;
        }
        return JET_errSuccess;
      case format::DbState::kDirtyShutdown:
        if (h.sign_log != sign_log_ || h.lgpos_attach < info.lgpos_attach) {
          SetLastErrorDetail(info.path + ": attached to another log, or before the log's attach");
          return JET_errAttachedDatabaseMismatch;
        }
        return JET_errSuccess;
      case format::DbState::kJustCreated: return JET_errFileNotFound;
    }
    return JET_errDatabaseCorrupted;
  }

  JET_ERR MapLogError(JET_ERR err, std::int32_t generation) const {
    if (!plan_.hard_restore || err != JET_errLogFileCorrupt) return err;
    return generation <= plan_.backup_generation_high ? JET_errLogCorruptDuringHardRestore
                                                      : JET_errLogCorruptDuringHardRecovery;
  }

  JET_ERR Redo() {
    std::unique_ptr<log::LogReader> reader;
    // The plan's generations are read in place: a long replay does not hold them twice.
    JET_ERR err = log::LogReader::OpenBorrowed(*rt_.config().vfs, plan_.generations, plan_.start, &reader);
    if (err < 0) return MapLogError(err, plan_.start.generation);
    const std::int32_t first_gen = plan_.generations.front().generation;
    const auto total = static_cast<std::uint32_t>(plan_.generations.size());
    std::int32_t generation = plan_.start.generation;
    log::LogRecord record;
    log::Lgpos last;  // the previous record's position
    for (;;) {
      bool end = false;
      // The reader's generation, not the last record's: the damage may be in the next
      // generation's header or first segment (a log-path log after the set's last).
      if ((err = reader->Next(&record, &end)) < 0) return MapLogError(err, reader->generation());
      if (end) break;
      JF_ASSERT_LE(plan_.start, record.lgpos);              // the reader starts at the plan's start
      if (replayed_any_) JF_ASSERT_LT(last, record.lgpos);  // records come in log order, each once
      last = record.lgpos;
      replayed_any_ = true;
      if (record.lgpos.generation != generation) {
        JF_ASSERT_GT(record.lgpos.generation, generation);  // generations are read in order
        generation = record.lgpos.generation;
        if (progress_) progress_(static_cast<std::uint32_t>(generation - first_gen), total);
      }
      if ((err = RedoRecord(record)) < 0) {
        // Keeps what the failing step said (e.g. which databases collide in szDest).
        const std::string why = LastErrorDetail();
        SetLastErrorDetail("redo of record at " + format::ToString(record.lgpos) + ": " + JetErrorName(err) +
                           (why.empty() ? std::string() : ": " + why));
        // A record whose CRC holds but whose type or payload does not decode is log
        // corruption like a failed CRC, and a hard restore names it the same way
        // (restore_fuzzer found JET_errLogFileCorrupt escaping JetRestoreInstance here).
        return MapLogError(err, record.lgpos.generation);
      }
    }
    end_ = reader->valid_end();
    if (replayed_any_) JF_ASSERT_LT(last, end_);  // the valid end lies past the last record read
    // The reader never moves backwards from where the plan started it.
    JF_ASSERT_GE(end_.generation, plan_.start.generation);
    for (const auto& [dbid, adb] : st_.dbs) {
      if (!adb.awaiting_image.empty()) {
        SetLastErrorDetail(adb.info.path + ": page " + std::to_string(adb.awaiting_image.begin()->first) +
                           " is unreadable and the log holds no image of it");
        return adb.awaiting_image.begin()->second;
      }
    }
    if (progress_) progress_(total, total);
    return JET_errSuccess;
  }

  JET_ERR RedoRecord(const log::LogRecord& record) {
    JET_ERR err = JET_errSuccess;
    switch (record.type) {
      case db::kLrInit:
      case db::kLrTerm:
      case db::kLrRecoveryUndo:
      case db::kLrRecoveryQuit: return JET_errSuccess;
      case db::kLrBegin:
      case db::kLrCommit:
      case db::kLrRollback: {
        db::TxnRecord txn;
        if ((err = db::DecodeTxnRecord(record.payload, &txn)) < 0) return err;
        if (record.type == db::kLrBegin) {
          txns_[txn.txn];
        } else {
          txns_.erase(txn.txn);
        }
        return JET_errSuccess;
      }
      case db::kLrAttach:
      case db::kLrCreateDb: {
        db::AttachRecord rec;
        if ((err = db::DecodeAttachRecord(record.payload, &rec)) < 0) return err;
        log::AttachInfo info{rec.dbid, rec.path, rec.sign_db, record.lgpos, rec.lgpos_consistent, rec.page_size};
        return Attach(info, record.type == db::kLrCreateDb);
      }
      case db::kLrDetach: {
        db::DetachRecord rec;
        if ((err = db::DecodeDetachRecord(record.payload, &rec)) < 0) return err;
        deferred_.erase(rec.dbid);
        auto it = st_.dbs.find(rec.dbid);
        if (it == st_.dbs.end()) return JET_errSuccess;
        if (!it->second.awaiting_image.empty()) return it->second.awaiting_image.begin()->second;
        if ((err = FlushDatabase(st_, it->second, &record.lgpos)) < 0) return err;
        st_.dbs.erase(it);
        ShareCache(rt_);  // the databases still being redone get its share back
        return JET_errSuccess;
      }
      case db::kLrOperation: return RedoOperation(record);
      default:
        if (db::IsForeignRecordType(record.type)) return JET_errSuccess;
        return JET_errLogFileCorrupt;
    }
  }

  JET_ERR RedoOperation(const log::LogRecord& record) {
    db::OperationRecord rec;
    JET_ERR err = db::DecodeOperationRecord(record.payload, &rec);
    if (err < 0) return err;
    auto it = st_.dbs.find(rec.dbid);
    if (it == st_.dbs.end()) return JET_errSuccess;  // not attached (or deferred): ESE skips it
    JF_ASSERT_EQ(it->second.db->dbid(), rec.dbid);   // st_.dbs is keyed by the attachment's dbid
    db::Database& database = *it->second.db;
    for (const db::PageEffect& effect : rec.effects) {
      if ((err = db::RedoPageEffect(database, effect, record.lgpos, &it->second.awaiting_image)) < 0) return err;
    }
    // The cache stays within JET_paramCacheSizeMax during redo too, as after any
    // change: redone pages are written out early (their log is already durable, the
    // dbtime check makes a rerun skip them), so the memory of a recovery does not grow
    // with the logs it replays.
    if ((err = database.cache().Trim()) < 0) return err;
    if (rec.op == db::OpKind::kCreateTable) {
      database.objid_last = std::max(database.objid_last, rec.objid);
      it->second.roots.clear();
    }
    const bool logical = rec.op == db::OpKind::kInsert || rec.op == db::OpKind::kReplace ||
                         rec.op == db::OpKind::kDelete;
    if (logical && rec.txn != 0) {
      UnfinishedTxn& txn = txns_[rec.txn];
      RecordId id{rec.dbid, rec.objid, std::string(reinterpret_cast<const char*>(rec.key.data()), rec.key.size())};
      if (txn.first.count(id) == 0) {
        txn.first[id] = BeforeImage{rec.before_present,
                                    std::vector<std::uint8_t>(rec.before.begin(), rec.before.end())};
        txn.order.push_back(id);
      }
      // One before-image per record, the first change's, kept in the order of first change.
      JF_ASSERT_EQ(txn.first.size(), txn.order.size());
    }
    return JET_errSuccess;
  }

  // The new generation's lgposPrevGenEnd must be a position that a reader reading
  // end_'s generation from its first record reaches, or that reader (hard restore, or
  // soft recovery without a checkpoint) reports the generation as truncated.
  JET_ERR StartNewGeneration() {
    const log::GenerationInfo* previous = nullptr;
    for (const log::GenerationInfo& g : plan_.generations) {
      if (g.generation == end_.generation) previous = &g;
    }
    log::Lgpos prev_end = end_;
    // When redo read no record, end_ is its start: typically a checkpoint after a clean
    // shutdown, which LogWriter::end() puts at the first data byte of the segment after
    // the one its flush sealed, (g, k+1, 40). Reading from the start of g ends inside
    // segment k instead, at k's ibEnd, which compares lower. The last record ended in
    // segment k, so (g, k, 40) is the tightest position known here that the reader
    // reaches; losing segment k or any earlier one still shows as a truncation.
    if (!replayed_any_ && prev_end.isec > 1 && prev_end.ib == format::kLogSegmentHeaderSize) {
      prev_end.isec = static_cast<std::uint16_t>(prev_end.isec - 1);
    }
    JF_ASSERT_LE(prev_end, end_);  // only ever loosened downwards
    JF_ASSERT(previous == nullptr || previous->generation == end_.generation);
    return StartLog(rt_, sign_log_, end_.generation + 1, prev_end, previous);
  }

  // JetCreateDatabase logs the create record (flushed before the file exists) and then
  // the catalog root as a second record. A crash between the two leaves a log that
  // creates the file and nothing else: redo recreates a header without a catalog, a
  // database every later call would fail on (JET_errPageNotInitialized). Recovery
  // finishes such a creation as the interrupted call would have, logged like any
  // operation, so the database is empty and whole.
  JET_ERR FinishInterruptedCreations() {
    for (auto& [dbid, adb] : st_.dbs) {
      if (adb.db->pgno_last != 0) continue;  // the catalog root is page 1: allocated first
      db::MiniTxn mtr(*adb.db);
      JET_ERR err = db::CreateCatalog(mtr);
      if (err < 0) {
        mtr.Abort();
        return err;
      }
      db::OperationRecord rec;
      rec.dbid = dbid;
      rec.op = db::OpKind::kCreateDb;
      rec.objid = db::kCatalogObjid;
      if ((err = LogOperation(st_, mtr, rec)) < 0) return err;
      JF_ASSERT_EQ(adb.db->pgno_last, db::kCatalogPgno);
    }
    return JET_errSuccess;
  }

  JET_ERR Undo() {
    JF_ASSERT(st_.log != nullptr);  // undo is logged, in the generation StartNewGeneration began
    JET_ERR err = JET_errSuccess;
    log::Lgpos lgpos;
    if (!txns_.empty() && (err = AppendRecord(st_, db::kLrRecoveryUndo, {}, &lgpos)) < 0) return err;
    for (auto& [id, txn] : txns_) {
      JF_ASSERT_EQ(txn.first.size(), txn.order.size());  // each record undone once
      for (const RecordId& record : txn.order) {
        auto it = st_.dbs.find(record.dbid);
        if (it == st_.dbs.end()) continue;
        if ((err = Compensate(st_, it->second, id, record, txn.first[record])) < 0) return err;
      }
      std::vector<std::uint8_t> payload;
      db::EncodeTxnRecord(db::TxnRecord{id}, &payload);
      if ((err = AppendRecord(st_, db::kLrRollback, payload, &lgpos)) < 0) return err;
    }
    return JET_errSuccess;
  }

  // Flushes, marks every database clean, detaches them and writes the checkpoint at
  // the start of the new generation's remaining log.
  JET_ERR Finish() {
    JF_ASSERT(st_.log != nullptr);  // started by StartNewGeneration
    log::Lgpos quit;
    JET_ERR err = AppendRecord(st_, db::kLrRecoveryQuit, {}, &quit);
    if (err >= 0) err = st_.log->FlushTo(quit);
    for (auto& entry : st_.dbs) {
      if (err < 0) break;
      err = FlushDatabase(st_, entry.second, &quit);
    }
    if (err < 0) return err;
    st_.dbs.clear();
    log::Checkpoint next;
    log::Checkpoint previous;
    if (log::ReadCheckpoint(*rt_.config().vfs, rt_.config().CheckpointPath(), &previous) >= 0 &&
        previous.sign_log == sign_log_) {
      next = previous;  // keeps the backup marks
    }
    if ((err = st_.log->Flush(true)) < 0) return err;
    // Recovery continues in a new generation (rule 3), after everything it read.
    JF_ASSERT_GT(st_.log->end().generation, end_.generation);
    next.checkpoint = st_.log->end();
    JF_ASSERT_LT(quit, next.checkpoint);  // the checkpoint lies after the RecoveryQuit record
    next.sign_log = sign_log_;
    next.attach.clear();
    if ((err = log::WriteCheckpoint(*rt_.config().vfs, rt_.config().CheckpointPath(), next)) < 0) return err;
    st_.checkpoint = next;
    if (rt_.config().circular && (err = st_.log->DeleteGenerationsBelow(next.checkpoint.generation)) < 0) return err;
    st_.running = true;
    return JET_errSuccess;
  }

  InstanceRuntime& rt_;
  InstanceRuntime::State& st_;
  const RecoveryPlan& plan_;
  const Progress& progress_;
  format::Signature sign_log_;
  std::map<std::uint32_t, log::AttachInfo> deferred_;
  std::map<std::string, std::string> dest_claims_;  // target in dest_dir -> logged path
  std::map<std::uint64_t, UnfinishedTxn> txns_;
  log::Lgpos end_;
  bool replayed_any_ = false;  // the reader returned at least one record
};

JET_ERR RunRecoveryWith(InstanceRuntime& runtime, const RecoveryPlan& plan, const Progress& progress) {
  if (runtime.state().running) return JET_errAlreadyInitialized;
  if (runtime.config().vfs == nullptr) runtime.mutable_config().vfs = &faultfs::DefaultPosixFs();
  JET_ERR err = JET_errSuccess;
  try {
    err = Recovery(runtime, plan, progress).Run();
  } catch (const std::bad_alloc&) {
    err = JET_errOutOfMemory;
  }
  if (err < 0) ShutdownAbruptLocked(runtime);
  return err;
}

}  // namespace

JET_ERR RunRecoveryLocked(InstanceRuntime& runtime, const RecoveryPlan& plan) {
  return RunRecoveryWith(runtime, plan, plan.on_progress);
}

JET_ERR RunRecovery(InstanceRuntime& runtime, const RecoveryPlan& plan) {
  std::unique_lock lock(runtime.mutex());
  if (!plan.on_progress) return RunRecoveryLocked(runtime, plan);
  // on_progress runs the application's JET_PFNSTATUS, which may call back into the API
  // (e.g. JetInit on this instance): it runs without the mutex, or that call would
  // deadlock. The caller holds the instance exclusively (BeginRestore), so nothing else
  // can change the state meanwhile.
  const Progress unlocked = [&](std::uint32_t done, std::uint32_t total) {
    lock.unlock();
    plan.on_progress(done, total);
    lock.lock();
  };
  return RunRecoveryWith(runtime, plan, unlocked);
}

}  // namespace jet::core

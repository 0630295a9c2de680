#include "core/lifecycle.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <random>

#include "base/io_error.h"
#include "db/catalog.h"
#include "db/log_records.h"
#include "faultfs/alloc_fault.h"
#include "jetfault/assert.h"

namespace jet::core {
namespace {

log::Lgpos Min(log::Lgpos a, log::Lgpos b) { return b < a ? b : a; }

JET_ERR AppendAndFlush(State& st, std::uint8_t type, const std::vector<std::uint8_t>& payload, log::Lgpos* lgpos) {
  JET_ERR err = AppendRecord(st, type, payload, lgpos);
  if (err < 0) return err;
  if ((err = FlushLogTo(st, *lgpos)) < 0) return err;
  if (st.log && st.logging) JF_ASSERT_LT(*lgpos, st.log->durable());  // the record is durable, whole
  return JET_errSuccess;
}

db::AttachRecord ToRecord(const log::AttachInfo& info) {
  db::AttachRecord rec;
  rec.dbid = info.dbid;
  rec.path = info.path;
  rec.sign_db = info.sign_db;
  rec.lgpos_consistent = info.lgpos_consistent;
  rec.page_size = info.page_size;
  return rec;
}

}  // namespace

format::Signature NewSignature() {
  static std::atomic<std::uint32_t> counter{0};
  std::uint32_t random = 0;
  try {
    std::random_device rd;
    random = rd();
  } catch (...) {
    random = static_cast<std::uint32_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  }
  return format::MakeSignature(random ^ (counter.fetch_add(1) * 0x9E3779B9u), format::LogTimeNow());
}

std::vector<log::AttachInfo> AttachList(const State& st) {
  std::vector<log::AttachInfo> list;
  for (const auto& entry : st.dbs) {
    if (!entry.second.read_only) list.push_back(entry.second.info);
  }
  return list;
}

JET_ERR StartLog(InstanceRuntime& rt, const format::Signature& sign_log, std::int32_t generation, log::Lgpos prev_end,
                 const log::GenerationInfo* previous) {
  State& st = rt.state();
  JET_ERR err = log::LogWriter::Create(
      rt.config().MakeLogConfig(), sign_log, generation, prev_end, [&st] { return AttachList(st); }, &st.log, previous);
  if (err < 0) return err;
  st.log->SetGenerationArchivedCallback([&st](std::int32_t) {
    st.checkpoint_pending = true;  // run at the end of the current call, never mid-operation
    return JET_errSuccess;
  });
  st.next_txn = (static_cast<std::uint64_t>(generation) << 32) | 1;
  log::Lgpos lgpos;
  if ((err = AppendRecord(st, db::kLrInit, {}, &lgpos)) < 0) return err;
  // The Init record opens the new generation, after everything the previous one held.
  if (st.logging) {
    JF_ASSERT_EQ(lgpos.generation, generation);
    JF_ASSERT_LT(prev_end, lgpos);
  }
  return JET_errSuccess;
}

void ShareCache(InstanceRuntime& rt) {
  State& st = rt.state();
  if (st.dbs.empty()) return;
  const std::uint32_t total = rt.config().CachePagesMax();
  const auto count = static_cast<std::uint32_t>(st.dbs.size());
  const std::uint32_t each = std::max<std::uint32_t>(1, total / count);
  // Within JET_paramCacheSizeMax, unless there are more databases than pages in it.
  JF_ASSERT(std::uint64_t{each} * count <= total || each == 1);
  for (auto& [dbid, adb] : st.dbs) adb.db->cache().set_max_pages(each);
}

std::uint32_t NextDbid(const State& st) {
  std::uint32_t dbid = 1;
  while (st.dbs.count(dbid) != 0) ++dbid;
  return dbid;
}

JET_ERR AddDatabase(InstanceRuntime& rt, std::unique_ptr<db::DatabaseFile> file, const log::AttachInfo& info) {
  State& st = rt.state();
  // One attachment per dbid, of the instance's page size (callers checked both).
  JF_ASSERT_EQ(st.dbs.count(info.dbid), 0u);
  JF_ASSERT_EQ(info.page_size, rt.config().page_size);
  AttachedDb adb;
  adb.info = info;
  adb.db = std::make_unique<db::Database>(info.dbid, std::move(file));
  adb.db->cache().set_wal_flush([&st](log::Lgpos lgpos) { return FlushLogTo(st, lgpos); });
  st.dbs[info.dbid] = std::move(adb);
  ShareCache(rt);
  return JET_errSuccess;
}

JET_ERR CreateDatabase(InstanceRuntime& rt, const std::string& path, bool overwrite, std::uint32_t* dbid) {
  State& st = rt.state();
  faultfs::Vfs& vfs = *rt.config().vfs;
  for (const auto& entry : st.dbs) {
    if (entry.second.info.path == path) return JET_errDatabaseInUse;
  }
  bool exists = false;
  if (faultfs::Status s = vfs.Exists(path, &exists); !s.ok()) return IoError(s, FileKind::kDatabase);
  if (exists && !overwrite) return JET_errDatabaseDuplicate;

  log::AttachInfo info;
  info.dbid = NextDbid(st);
  info.path = path;
  info.sign_db = NewSignature();
  info.page_size = rt.config().page_size;
  // The create record is durable before the file exists: redo recreates a file whose
  // creation did not reach storage, and recovery creates the catalog root below when
  // its record did not reach the log (recovery.cc, FinishInterruptedCreations).
  std::vector<std::uint8_t> payload;
  db::EncodeAttachRecord(ToRecord(info), &payload);
  log::Lgpos lgpos;
  JET_ERR err = AppendAndFlush(st, db::kLrCreateDb, payload, &lgpos);
  if (err < 0) return err;
  info.lgpos_attach = lgpos;

  format::DbHeader header;
  header.sign_db = info.sign_db;
  header.dbstate = format::DbState::kDirtyShutdown;
  header.lgpos_attach = lgpos;
  header.logtime_attach = format::LogTimeNow();
  header.sign_log = LogSignature(st);
  header.dbid = info.dbid;
  header.page_size = info.page_size;
  header.objid_last = db::kCatalogObjid;
  std::unique_ptr<db::DatabaseFile> file;
  if ((err = db::DatabaseFile::Create(vfs, path, header, overwrite, &file)) < 0) return err;
  if ((err = AddDatabase(rt, std::move(file), info)) < 0) return err;

  AttachedDb& adb = st.dbs[info.dbid];
  db::MiniTxn mtr(*adb.db);
  if ((err = db::CreateCatalog(mtr)) < 0) {
    mtr.Abort();
    return err;
  }
  db::OperationRecord rec;
  rec.dbid = info.dbid;
  rec.op = db::OpKind::kCreateDb;
  rec.objid = db::kCatalogObjid;
  if ((err = LogOperation(st, mtr, rec)) < 0) return err;
  JF_ASSERT_EQ(adb.db->header.dbid, info.dbid);
  JF_ASSERT(adb.db->header.dbstate == format::DbState::kDirtyShutdown);  // attached: dirty until detach
  *dbid = info.dbid;
  return JET_errSuccess;
}

JET_ERR AttachDatabase(InstanceRuntime& rt, const std::string& path, bool read_only, std::uint32_t* dbid) {
  State& st = rt.state();
  for (const auto& entry : st.dbs) {
    if (entry.second.info.path == path) {
      *dbid = entry.first;
      return JET_wrnDatabaseAttached;
    }
  }
  std::unique_ptr<db::DatabaseFile> file;
  JET_ERR err = db::DatabaseFile::Open(*rt.config().vfs, path, read_only, &file);
  if (err < 0) return err;
  format::DbHeader header = file->header();
  if (header.page_size != rt.config().page_size) return JET_errPageSizeMismatch;
  if (header.dbstate != format::DbState::kCleanShutdown) return JET_errDatabaseDirtyShutdown;
  log::AttachInfo info;
  info.dbid = NextDbid(st);
  info.path = path;
  info.sign_db = header.sign_db;
  info.lgpos_consistent = header.lgpos_consistent;
  info.page_size = header.page_size;
  if (read_only) {
    // Never written, so never in need of recovery: no attach record, no header update.
    if ((err = AddDatabase(rt, std::move(file), info)) < 0) return err;
    st.dbs[info.dbid].read_only = true;
    *dbid = info.dbid;
    return JET_errSuccess;
  }

  std::vector<std::uint8_t> payload;
  db::EncodeAttachRecord(ToRecord(info), &payload);
  log::Lgpos lgpos;
  if ((err = AppendAndFlush(st, db::kLrAttach, payload, &lgpos)) < 0) return err;
  info.lgpos_attach = lgpos;

  header.dbstate = format::DbState::kDirtyShutdown;
  header.sign_log = LogSignature(st);
  header.lgpos_attach = lgpos;
  header.logtime_attach = format::LogTimeNow();
  header.lgpos_consistent = {};
  header.dbid = info.dbid;
  if ((err = file->WriteHeader(header)) < 0) return err;
  if ((err = AddDatabase(rt, std::move(file), info)) < 0) return err;
  // The header on disk says attached-dirty at this attach before any page changes.
  JF_ASSERT(st.dbs.at(info.dbid).db->header.dbstate == format::DbState::kDirtyShutdown);
  JF_ASSERT_EQ(st.dbs.at(info.dbid).db->header.lgpos_attach, lgpos);
  *dbid = info.dbid;
  return JET_errSuccess;
}

JET_ERR FlushDatabase(State& st, AttachedDb& adb, const log::Lgpos* consistent) {
  if (adb.read_only) return JET_errSuccess;  // nothing was changed; the file stays untouched
  db::Database& database = *adb.db;
  JET_ERR err = database.cache().FlushAndSync();
  if (err < 0) {
    // The cache already counts the pages it wrote as clean, but a failed flush may
    // have lost them (after a failed fsync the OS may drop the dirty data: a retry
    // would "succeed" without it). No checkpoint may pass those changes, so the
    // instance stops here (JET_errInstanceUnavailable) and the next JetInit redoes them
    // from the last checkpoint.
    st.failed = true;
    return err;
  }
  database.header.gen_min_required = st.checkpoint.checkpoint.generation;
  database.header.gen_max_required = st.log ? st.log->end().generation : 0;
  // Recovery needs the generations from the checkpoint's to the log's current one.
  if (st.log) JF_ASSERT_LE(database.header.gen_min_required, database.header.gen_max_required);
  if (consistent != nullptr) {
    database.header.dbstate = format::DbState::kCleanShutdown;
    database.header.lgpos_consistent = *consistent;
    database.header.logtime_consistent = format::LogTimeNow();
  } else {
    database.header.dbstate = format::DbState::kDirtyShutdown;
    database.header.lgpos_consistent = {};
  }
  // A clean state names a record already in this log (a Term or a Detach).
  if (consistent != nullptr && st.log) JF_ASSERT_LT(*consistent, st.log->end());
  return database.WriteHeader();
}

JET_ERR DetachDatabase(InstanceRuntime& rt, std::uint32_t dbid) {
  State& st = rt.state();
  auto it = st.dbs.find(dbid);
  if (it == st.dbs.end()) return JET_errDatabaseNotFound;
  for (const auto& entry : st.sessions) {
    if (entry.second.open_dbs.count(dbid) != 0) return JET_errDatabaseInUse;
  }
  if (it->second.read_only) {
    st.dbs.erase(it);
    ShareCache(rt);  // the others get its share back
    return JET_errSuccess;
  }
  JET_ERR err = FlushDatabase(st, it->second, nullptr);
  if (err < 0) return err;
  std::vector<std::uint8_t> payload;
  db::EncodeDetachRecord(db::DetachRecord{dbid}, &payload);
  log::Lgpos lgpos;
  if ((err = AppendAndFlush(st, db::kLrDetach, payload, &lgpos)) < 0) return err;
  if (st.logging) JF_ASSERT_LT(it->second.info.lgpos_attach, lgpos);
  it->second.db->header.lgpos_detach = lgpos;
  it->second.db->header.logtime_detach = format::LogTimeNow();
  if ((err = FlushDatabase(st, it->second, &lgpos)) < 0) return err;
  JF_ASSERT(it->second.db->header.dbstate == format::DbState::kCleanShutdown);  // closed consistent
  st.dbs.erase(it);
  ShareCache(rt);
  return DoCheckpoint(rt);
}

JET_ERR DoCheckpoint(InstanceRuntime& rt) {
  State& st = rt.state();
  if (!st.log) return JET_errSuccess;
  JET_ERR err = st.log->Flush(true);
  if (err < 0) return err;
  const log::Lgpos end = st.log->end();
  log::Lgpos checkpoint = end;
  for (const auto& entry : st.sessions) {
    if (entry.second.txn && entry.second.txn->logged) {
      JF_ASSERT_LT(entry.second.txn->begin_lgpos, end);  // begun in this log, before its end
      checkpoint = Min(checkpoint, entry.second.txn->begin_lgpos);
    }
  }
  JF_ASSERT_LE(checkpoint, end);
  // The checkpoint only moves forward: an open transaction's Begin is never behind the
  // previous checkpoint, which was at most that Begin when it was written.
  JF_ASSERT_LE(st.checkpoint.checkpoint, checkpoint);
  log::Checkpoint next = st.checkpoint;
  next.checkpoint = checkpoint;
  next.sign_log = st.log->sign_log();
  next.attach = AttachList(st);
  for (auto& entry : st.dbs) {
    st.checkpoint.checkpoint = checkpoint;  // FlushDatabase records it as lGenMinRequired
    if ((err = FlushDatabase(st, entry.second, nullptr)) < 0) return err;
    entry.second.db->cache().ResetImaged();
  }
  if ((err = log::WriteCheckpoint(*rt.config().vfs, rt.config().CheckpointPath(), next)) < 0) return err;
  st.checkpoint = next;
  st.checkpoint_pending = false;
  if (rt.config().circular) return st.log->DeleteGenerationsBelow(checkpoint.generation);
  return JET_errSuccess;
}

JET_ERR AfterChange(InstanceRuntime& rt) {
  State& st = rt.state();
  if (st.checkpoint_pending) {
    if (JET_ERR err = DoCheckpoint(rt); err < 0) return err;
  }
  for (auto& entry : st.dbs) {
    if (JET_ERR err = entry.second.db->cache().Trim(); err < 0) return err;
  }
  return JET_errSuccess;
}

JET_ERR UndoTo(State& st, Transaction& txn, std::size_t savepoint) {
  JF_ASSERT_LE(savepoint, txn.undo.size());
  while (txn.undo.size() > savepoint) {
    const UndoEntry& entry = txn.undo.back();
    auto it = st.dbs.find(entry.id.dbid);
    if (it == st.dbs.end()) return JET_errDatabaseNotFound;
    JET_ERR err = Compensate(st, it->second, txn.id, entry.id, entry.before);
    if (err < 0) {
      st.failed = true;  // the transaction is half undone in memory; recovery finishes it
      return err;
    }
    txn.undo.pop_back();
  }
  JF_ASSERT_EQ(txn.undo.size(), savepoint);
  return JET_errSuccess;
}

void ReleaseTransaction(State& st, Transaction& txn) {
  for (const RecordId& id : txn.locks) {
    // Each lock listed was created by this transaction, and only it releases it.
    const VersionStore::Entry* e = st.versions.Find(id);
    JF_ASSERT(e != nullptr);
    JF_ASSERT_EQ(e->owner, txn.id);
    st.versions.Unlock(id);
  }
  txn.locks.clear();
}

JET_ERR ShutdownCleanLocked(InstanceRuntime& rt) {
  State& st = rt.state();
  if (st.failed) {
    ShutdownAbruptLocked(rt);
    return JET_errInstanceUnavailable;
  }
  JET_ERR err = JET_errSuccess;
  for (auto& entry : st.sessions) {
    if (!entry.second.txn) continue;
    Transaction& txn = *entry.second.txn;
    if ((err = UndoTo(st, txn, 0)) < 0) break;
    if (txn.logged) {
      std::vector<std::uint8_t> payload;
      db::EncodeTxnRecord(db::TxnRecord{txn.id}, &payload);
      log::Lgpos lgpos;
      if ((err = AppendRecord(st, db::kLrRollback, payload, &lgpos)) < 0) break;
    }
    ReleaseTransaction(st, txn);
    JF_ASSERT(txn.locks.empty());
    entry.second.txn.reset();
  }
  // Every transaction is undone and released: no record is locked any more.
  if (err >= 0) JF_ASSERT(st.versions.empty());
  if (err >= 0) err = FlushLog(st);
  for (auto& entry : st.dbs) {
    if (err < 0) break;
    err = FlushDatabase(st, entry.second, nullptr);
  }
  log::Lgpos term;
  if (err >= 0) err = AppendAndFlush(st, db::kLrTerm, {}, &term);
  for (auto& entry : st.dbs) {
    if (err < 0) break;
    err = FlushDatabase(st, entry.second, &term);
  }
  if (err >= 0 && st.logging) {
    log::Checkpoint next = st.checkpoint;
    next.checkpoint = st.log->end();
    JF_ASSERT_LT(term, next.checkpoint);  // the clean checkpoint lies after the Term record
    next.sign_log = st.log->sign_log();
    next.attach.clear();
    err = log::WriteCheckpoint(*rt.config().vfs, rt.config().CheckpointPath(), next);
  }
  ShutdownAbruptLocked(rt);
  return err < 0 ? err : JET_errSuccess;
}

void ShutdownAbruptLocked(InstanceRuntime& rt) {
  State& st = rt.state();
  st.sessions.clear();
  st.versions.Clear();
  st.dbs.clear();
  st.log.reset();
  st.checkpoint = log::Checkpoint{};
  st.checkpoint_pending = false;
  st.running = false;
  st.failed = false;
  st.logging = true;
}

}  // namespace jet::core

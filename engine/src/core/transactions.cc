#include "core/transactions.h"

#include "core/lifecycle.h"
#include "db/btree.h"
#include "db/log_records.h"

namespace jet::core {
namespace {

JET_ERR LogTxnRecord(State& st, std::uint8_t type, std::uint64_t txn, log::Lgpos* lgpos) {
  std::vector<std::uint8_t> payload;
  db::EncodeTxnRecord(db::TxnRecord{txn}, &payload);
  return AppendRecord(st, type, payload, lgpos);
}

AttachedDb* FindDb(State& st, std::uint32_t dbid) {
  auto it = st.dbs.find(dbid);
  return it == st.dbs.end() ? nullptr : &it->second;
}

std::uint64_t SessionTxn(const Session& s) { return s.txn ? s.txn->id : 0; }

JET_ERR WriteInTransaction(State& st, Transaction& txn, AttachedDb& adb, const Cursor& c, db::OpKind op,
                           std::span<const std::uint8_t> key, std::span<const std::uint8_t> value) {
  RecordId id{c.dbid, c.table.objid, std::string(key.begin(), key.end())};
  const VersionStore::Entry* lock = st.versions.Find(id);
  if (lock != nullptr && lock->owner != txn.id) return JET_errWriteConflict;
  BeforeImage current;
  JET_ERR err = ReadRecord(adb, id, &current);
  if (err < 0) return err;
  if (op == db::OpKind::kInsert && current.present) return JET_errKeyDuplicate;
  if (op != db::OpKind::kInsert && !current.present) return JET_errRecordNotFound;
  if (!txn.logged) {
    if ((err = LogTxnRecord(st, db::kLrBegin, txn.id, &txn.begin_lgpos)) < 0) return err;
    txn.logged = true;
  }
  std::vector<std::uint8_t> stored;
  if (op != db::OpKind::kDelete && (err = MakeStoredValue(st, adb, c.table.objid, value, &stored)) < 0) return err;

  // Undo entry and lock first: once the change is logged nothing may fail before the
  // transaction knows how to undo it.
  txn.undo.push_back(UndoEntry{id, current});
  bool created = false;
  try {
    if ((err = st.versions.Lock(id, txn.id, current, &created)) >= 0 && created) txn.locks.push_back(id);
  } catch (...) {
    if (created) st.versions.Unlock(id);
    txn.undo.pop_back();
    throw;
  }
  if (err >= 0) {
    std::optional<std::span<const std::uint8_t>> target;
    if (op != db::OpKind::kDelete) target = std::span<const std::uint8_t>(stored);
    err = ChangeRecord(st, adb, id, op, txn.id, current, target);
  }
  if (err < 0) {
    txn.undo.pop_back();
    if (created) {
      st.versions.Unlock(id);
      txn.locks.pop_back();
    }
  }
  return err;
}

}  // namespace

JET_ERR BeginTransaction(State& st, Session& s) {
  if (s.txn) {
    if (s.txn->level >= kTransactionLevelMost) return JET_errTransTooDeep;
    s.txn->savepoints.push_back(s.txn->undo.size());
    ++s.txn->level;
    return JET_errSuccess;
  }
  Transaction txn;
  txn.id = st.next_txn++;
  txn.level = 1;
  s.txn = std::move(txn);
  return JET_errSuccess;
}

JET_ERR CommitTransaction(State& st, Session& s, JET_GRBIT grbit) {
  if ((grbit & ~(JET_bitCommitLazyFlush | JET_bitWaitLastLevel0Commit)) != 0) return JET_errInvalidGrbit;
  if (grbit & JET_bitWaitLastLevel0Commit) return st.log->Flush(true);
  if (!s.txn) return JET_errNotInTransaction;
  Transaction& txn = *s.txn;
  if (txn.level > 1) {
    txn.savepoints.pop_back();
    --txn.level;
    return JET_errSuccess;
  }
  if (txn.logged) {
    log::Lgpos lgpos;
    JET_ERR err = LogTxnRecord(st, db::kLrCommit, txn.id, &lgpos);
#ifndef JETFAULT_BUG_SKIP_COMMIT_SYNC
    if (err >= 0 && !(grbit & JET_bitCommitLazyFlush)) err = st.log->FlushTo(lgpos);
#endif
    if (err < 0) {
      // Whether the commit reached the log is unknown: only recovery can tell.
      st.failed = true;
      return err;
    }
  }
  ReleaseTransaction(st, txn);
  s.txn.reset();
  return JET_errSuccess;
}

JET_ERR RollbackTransaction(State& st, Session& s) {
  if (!s.txn) return JET_errNotInTransaction;
  Transaction& txn = *s.txn;
  std::size_t savepoint = txn.level > 1 ? txn.savepoints.back() : 0;
  JET_ERR err = UndoTo(st, txn, savepoint);
  if (err < 0) return err;
  if (txn.level > 1) {
    txn.savepoints.pop_back();
    --txn.level;
    return JET_errSuccess;
  }
  if (txn.logged) {
    log::Lgpos lgpos;
    if ((err = LogTxnRecord(st, db::kLrRollback, txn.id, &lgpos)) < 0) {
      st.failed = true;
      return err;
    }
  }
  ReleaseTransaction(st, txn);
  s.txn.reset();
  return JET_errSuccess;
}

JET_ERR AbandonTransaction(State& st, Session& s) {
  while (s.txn) {
    if (JET_ERR err = RollbackTransaction(st, s); err < 0) return err;
  }
  return JET_errSuccess;
}

JET_ERR WriteRecord(State& st, Session& s, const Cursor& c, db::OpKind op, std::span<const std::uint8_t> key,
                    std::span<const std::uint8_t> value) {
  if (key.size() > JET_cbKeyMost) return JET_errKeyTooBig;
  if (value.size() > JET_cbValueMost) return JET_errRecordTooBig;
  AttachedDb* adb = FindDb(st, c.dbid);
  if (adb == nullptr) return JET_errInvalidDatabaseId;
  const bool implicit = !s.txn;
  if (implicit && (BeginTransaction(st, s)) < 0) return JET_errOutOfMemory;
  JET_ERR err = WriteInTransaction(st, *s.txn, *adb, c, op, key, value);
  if (!implicit) return err;
  if (err < 0) {
    JET_ERR rollback = RollbackTransaction(st, s);
    return rollback < 0 ? rollback : err;
  }
  return CommitTransaction(st, s, 0);
}

JET_ERR VisibleRecord(State& st, Session& s, const Cursor& c, std::span<const std::uint8_t> key, BeforeImage* out) {
  AttachedDb* adb = FindDb(st, c.dbid);
  if (adb == nullptr) return JET_errInvalidDatabaseId;
  RecordId id{c.dbid, c.table.objid, std::string(key.begin(), key.end())};
  const VersionStore::Entry* lock = st.versions.Find(id);
  if (lock != nullptr && lock->owner != SessionTxn(s)) {
    *out = lock->before;
    return JET_errSuccess;
  }
  return ReadRecord(*adb, id, out);
}

JET_ERR SeekVisible(State& st, Session& s, const Cursor& c, std::span<const std::uint8_t> key, bool forward,
                    bool inclusive, bool* found, std::string* out_key) {
  *found = false;
  AttachedDb* adb = FindDb(st, c.dbid);
  if (adb == nullptr) return JET_errInvalidDatabaseId;
  db::BTree tree(c.table.root, c.table.objid);
  std::string probe(key.begin(), key.end());
  for (;;) {
    auto probe_bytes = std::span(reinterpret_cast<const std::uint8_t*>(probe.data()), probe.size());
    using Seek = db::BTree::Seek;
    Seek seek = forward ? (inclusive ? Seek::kGE : Seek::kGT) : (inclusive ? Seek::kLE : Seek::kLT);
    bool tree_found = false;
    std::string tree_key;
    JET_ERR err = tree.SeekKey(*adb->db, probe_bytes, seek, &tree_found, &tree_key, nullptr);
    if (err < 0) return err;
    const RecordId* locked = st.versions.Neighbour(c.dbid, c.table.objid, probe_bytes, forward, inclusive);
    if (!tree_found && locked == nullptr) return JET_errSuccess;
    std::string candidate;
    if (!tree_found) {
      candidate = locked->key;
    } else if (locked == nullptr) {
      candidate = tree_key;
    } else {
      candidate = (forward ? locked->key < tree_key : locked->key > tree_key) ? locked->key : tree_key;
    }
    BeforeImage visible;
    auto candidate_bytes = std::span(reinterpret_cast<const std::uint8_t*>(candidate.data()), candidate.size());
    if ((err = VisibleRecord(st, s, c, candidate_bytes, &visible)) < 0) return err;
    if (visible.present) {
      *found = true;
      *out_key = std::move(candidate);
      return JET_errSuccess;
    }
    probe = std::move(candidate);
    inclusive = false;
  }
}

}  // namespace jet::core

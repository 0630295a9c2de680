#include "core/transactions.h"

#include "core/lifecycle.h"
#include "db/btree.h"
#include "db/log_records.h"
#include "jetfault/assert.h"

namespace jet::core {
namespace {

JET_ERR LogTxnRecord(State& st, std::uint8_t type, std::uint64_t txn, log::Lgpos* lgpos) {
  st.scratch.clear();
  db::EncodeTxnRecord(db::TxnRecord{txn}, &st.scratch);
  return AppendRecord(st, type, st.scratch, lgpos);
}

AttachedDb* FindDb(State& st, std::uint32_t dbid) {
  auto it = st.dbs.find(dbid);
  return it == st.dbs.end() ? nullptr : &it->second;
}

std::uint64_t SessionTxn(const Session& s) { return s.txn ? s.txn->id : 0; }

// Logs the transaction's Begin record at its first write.
JET_ERR EnsureBegun(State& st, Transaction& txn) {
  if (txn.logged) return JET_errSuccess;
  JET_ERR err = LogTxnRecord(st, db::kLrBegin, txn.id, &txn.begin_lgpos);
  if (err >= 0) txn.logged = true;
  return err;
}

// The part every write of a transaction shares: the undo entry and the lock come
// first, because once change(entry) has logged the change nothing may fail before the
// transaction knows how to undo it; if change() fails they are taken back. The record
// id and before-image move into the undo entry, which change() reads them from.
template <class Change>
JET_ERR LockAndChange(State& st, Transaction& txn, RecordId id, BeforeImage before, Change&& change) {
  txn.undo.push_back(UndoEntry{std::move(id), std::move(before)});
  const UndoEntry& entry = txn.undo.back();
  bool created = false;
  JET_ERR err = JET_errSuccess;
  try {
    if ((err = st.versions.Lock(entry.id, txn.id, entry.before, &created)) >= 0 && created) {
      txn.locks.push_back(entry.id);
    }
  } catch (...) {
    if (created) st.versions.Unlock(entry.id);
    txn.undo.pop_back();
    throw;
  }
  if (err >= 0) {
    // The record is this transaction's now, with the first before-image it ever saw.
    JF_ASSERT(st.versions.Find(entry.id) != nullptr);
    JF_ASSERT_EQ(st.versions.Find(entry.id)->owner, txn.id);
    err = change(entry);
  }
  if (err < 0) {
    if (created) {
      st.versions.Unlock(entry.id);
      txn.locks.pop_back();
    }
    txn.undo.pop_back();
  }
  return err;
}

// Runs f(txn) inside the session's transaction, or inside an implicit one that is
// committed durably on success and rolled back on failure.
template <class F>
JET_ERR InTransaction(State& st, Session& s, F&& f) {
  const bool implicit = !s.txn;
  if (implicit && (BeginTransaction(st, s)) < 0) return JET_errOutOfMemory;
  JET_ERR err = f(*s.txn);
  if (!implicit) return err;
  if (err < 0) {
    JET_ERR rollback = RollbackTransaction(st, s);
    return rollback < 0 ? rollback : err;
  }
  return CommitTransaction(st, s, 0);
}

JET_ERR WriteInTransaction(State& st, Transaction& txn, AttachedDb& adb, const Cursor& c, db::OpKind op,
                           std::span<const std::uint8_t> key, std::span<const std::uint8_t> value) {
  // A live transaction (level 1 or more, never id 0: 0 means "no owner").
  JF_ASSERT_NE(txn.id, 0u);
  JF_ASSERT_GE(txn.level, 1);
  RecordId id{c.dbid, c.table.objid, std::string(reinterpret_cast<const char*>(key.data()), key.size())};
  const VersionStore::Entry* lock = st.versions.Find(id);
  if (lock != nullptr && lock->owner != txn.id) return JET_errWriteConflict;
  BeforeImage current;
  JET_ERR err = ReadRecord(adb, id, &current);
  if (err < 0) return err;
  if (op == db::OpKind::kInsert && current.present) return JET_errKeyDuplicate;
  if (op != db::OpKind::kInsert && !current.present) return JET_errRecordNotFound;
  if ((err = EnsureBegun(st, txn)) < 0) return err;
  JF_ASSERT(txn.logged);  // its Begin precedes its first change in the log
  std::vector<std::uint8_t> stored;
  if (op != db::OpKind::kDelete && (err = MakeStoredValue(st, adb, c.table.objid, value, &stored)) < 0) return err;
  return LockAndChange(st, txn, std::move(id), std::move(current), [&](const UndoEntry& entry) {
    std::optional<std::span<const std::uint8_t>> target;
    if (op != db::OpKind::kDelete) target = std::span<const std::uint8_t>(stored);
    return ChangeRecord(st, adb, entry.id, op, txn.id, entry.before, target);
  });
}

// Ends one level of s's transaction once its work is kept (Commit) or undone
// (Rollback): a nested level drops its savepoint; the outermost logs `record`
// for a logged transaction, synced to the log when `sync`, and releases it.
JET_ERR EndLevel(State& st, Session& s, std::uint8_t record, bool sync) {
  Transaction& txn = *s.txn;
  if (txn.level > 1) {
    txn.savepoints.pop_back();
    --txn.level;
    return JET_errSuccess;
  }
  if (txn.logged) {
    log::Lgpos lgpos;
    JET_ERR err = LogTxnRecord(st, record, txn.id, &lgpos);
    if (err >= 0 && st.logging) JF_ASSERT_LT(txn.begin_lgpos, lgpos);  // the end after Begin
    if (err >= 0 && sync) err = FlushLogTo(st, lgpos);
    if (err < 0) {
      // Whether the record reached the log is unknown: only recovery can tell.
      st.failed = true;
      return err;
    }
  }
  ReleaseTransaction(st, txn);
  JF_ASSERT(txn.locks.empty());
  s.txn.reset();
  return JET_errSuccess;
}

}  // namespace

// Level n of a transaction has n-1 savepoints (one per nested Begin).
void AssertNesting(const Transaction& txn) {
  JF_ASSERT_GE(txn.level, 1);
  JF_ASSERT_EQ(txn.savepoints.size() + 1, txn.level);
  if (!txn.savepoints.empty()) JF_ASSERT_LE(txn.savepoints.back(), txn.undo.size());
}

JET_ERR BeginTransaction(State& st, Session& s) {
  if (s.txn) {
    AssertNesting(*s.txn);
    if (s.txn->level >= kTransactionLevelMost) return JET_errTransTooDeep;
    s.txn->savepoints.push_back(s.txn->undo.size());
    ++s.txn->level;
    JF_ASSERT_LE(s.txn->level, kTransactionLevelMost);
    return JET_errSuccess;
  }
  Transaction txn;
  txn.id = st.next_txn++;
  JF_ASSERT_NE(txn.id, 0u);
  txn.level = 1;
  s.txn = std::move(txn);
  return JET_errSuccess;
}

JET_ERR CommitTransaction(State& st, Session& s, JET_GRBIT grbit) {
  if ((grbit & ~(JET_bitCommitLazyFlush | JET_bitWaitLastLevel0Commit)) != 0) return JET_errInvalidGrbit;
  if (grbit & JET_bitWaitLastLevel0Commit) return FlushLog(st);
  if (!s.txn) return JET_errNotInTransaction;
  Transaction& txn = *s.txn;
  AssertNesting(txn);
  return EndLevel(st, s, db::kLrCommit, !(grbit & JET_bitCommitLazyFlush));
}

JET_ERR RollbackTransaction(State& st, Session& s) {
  if (!s.txn) return JET_errNotInTransaction;
  Transaction& txn = *s.txn;
  AssertNesting(txn);
  std::size_t savepoint = txn.level > 1 ? txn.savepoints.back() : 0;
  JF_ASSERT_LE(savepoint, txn.undo.size());  // a savepoint marks a point of the undo list
  JET_ERR err = UndoTo(st, txn, savepoint);
  if (err < 0) return err;
  JF_ASSERT_EQ(txn.undo.size(), savepoint);
  return EndLevel(st, s, db::kLrRollback, false);
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
  if (adb->read_only || c.read_only) return JET_errPermissionDenied;
  return InTransaction(st, s, [&](Transaction& txn) { return WriteInTransaction(st, txn, *adb, c, op, key, value); });
}

JET_ERR CreateTable(State& st, Session& s, AttachedDb& adb, const std::string& name, db::TableInfo* info) {
  return InTransaction(st, s, [&](Transaction& txn) -> JET_ERR {
    RecordId id = CatalogRecordId(adb.info.dbid, name);
    const VersionStore::Entry* lock = st.versions.Find(id);
    if (lock != nullptr && lock->owner != txn.id) return JET_errWriteConflict;
    bool found = false;
    db::TableInfo existing;
    JET_ERR err = db::LookupTable(*adb.db, name, &existing, &found);
    if (err < 0) return err;
    if (found) return JET_errTableDuplicate;
    if ((err = EnsureBegun(st, txn)) < 0) return err;
    return LockAndChange(st, txn, std::move(id), BeforeImage{}, [&](const UndoEntry& entry) -> JET_ERR {
      // The catalog entry and the table's root page are one mini-transaction, logged
      // as an insert into the catalog tree: undo of the entry is undo of the table.
      db::MiniTxn mtr(*adb.db);
      JET_ERR create = db::CreateTable(mtr, name, info);
      if (create < 0) {
        mtr.Abort();
        return create;
      }
      db::OperationRecord rec;
      rec.txn = txn.id;
      rec.dbid = adb.info.dbid;
      rec.op = db::OpKind::kInsert;
      rec.objid = db::kCatalogObjid;
      rec.key = std::span(reinterpret_cast<const std::uint8_t*>(entry.id.key.data()), entry.id.key.size());
      if ((create = LogOperation(st, mtr, rec)) < 0) return create;
      // A new tree: an objid past the catalog's, and a root page of its own.
      JF_ASSERT_GT(info->objid, db::kCatalogObjid);
      JF_ASSERT_NE(info->root, 0u);
      adb.roots[info->objid] = info->root;
      return JET_errSuccess;
    });
  });
}

bool TableVisible(const State& st, const Session& s, std::uint32_t dbid, const std::string& name) {
  // Catalog entries are only ever inserted (and removed by undo), so an entry locked by
  // another transaction is a table it created and has not committed.
  const VersionStore::Entry* lock = st.versions.Find(CatalogRecordId(dbid, name));
  return lock == nullptr || lock->owner == SessionTxn(s);
}

JET_ERR VisibleStored(State& st, const Session& s, const Cursor& c, std::span<const std::uint8_t> key,
                      std::span<const std::uint8_t>* stored, bool* present, db::LeafPosition* hint) {
  AttachedDb* adb = FindDb(st, c.dbid);
  if (adb == nullptr) return JET_errInvalidDatabaseId;
  JF_ASSERT_EQ(adb->info.dbid, c.dbid);  // st.dbs is keyed by the attachment's dbid
  const RecordRef ref{c.dbid, c.table.objid, std::string_view(reinterpret_cast<const char*>(key.data()), key.size())};
  const VersionStore::Entry* lock = st.versions.Find(ref);
  if (lock != nullptr && lock->owner != SessionTxn(s)) {
    JF_ASSERT_NE(lock->owner, 0u);  // a lock belongs to a real transaction
    *present = lock->before.present;
    *stored = lock->before.stored;
    return JET_errSuccess;
  }
  return db::BTree(c.table.root, c.table.objid).Find(*adb->db, key, stored, present, hint);
}

JET_ERR SeekVisible(State& st, Session& s, const Cursor& c, std::span<const std::uint8_t> key, bool forward,
                    bool inclusive, bool* found, std::string* out_key, db::LeafPosition* position) {
  *found = false;
  AttachedDb* adb = FindDb(st, c.dbid);
  if (adb == nullptr) return JET_errInvalidDatabaseId;
  db::BTree tree(c.table.root, c.table.objid);
  auto as_bytes = [](const std::string& k) {
    return std::span(reinterpret_cast<const std::uint8_t*>(k.data()), k.size());
  };
  std::string probe;  // after a candidate nobody sees: that candidate (probe_bytes)
  std::span<const std::uint8_t> probe_bytes = key;
  // In: where probe may lie; after each SeekKey: where tree_key lies. A probe that is
  // not tree_key (a key only the version store holds) fails the hint's own key check.
  db::LeafPosition local;
  db::LeafPosition& at = position != nullptr ? *position : local;
  for (;;) {
    using Seek = db::BTree::Seek;
    Seek seek = forward ? (inclusive ? Seek::kGE : Seek::kGT) : (inclusive ? Seek::kLE : Seek::kLT);
    bool tree_found = false;
    std::string tree_key;
    JET_ERR err = tree.SeekKey(*adb->db, probe_bytes, seek, &tree_found, &tree_key, nullptr, &at);
    if (err < 0) return err;
    const RecordId* locked = st.versions.Neighbour(c.dbid, c.table.objid, probe_bytes, forward, inclusive);
    if (!tree_found && locked == nullptr) return JET_errSuccess;
    // The nearer of the tree's key and a locked one (a key another transaction removed
    // from the tree may still be visible here).
    const bool in_tree = tree_found &&
                         (locked == nullptr || (forward ? locked->key >= tree_key : locked->key <= tree_key));
    std::string candidate = in_tree ? std::move(tree_key) : locked->key;
    std::span<const std::uint8_t> stored;
    bool present = false;
    if ((err = VisibleStored(st, s, c, as_bytes(candidate), &stored, &present, in_tree ? &at : nullptr)) < 0) {
      return err;
    }
    // Each round moves past the previous probe in the asked direction (onto it only
    // when inclusive), so the walk over a finite tree and lock set ends.
    const std::string_view before(reinterpret_cast<const char*>(probe_bytes.data()), probe_bytes.size());
    if (forward) {
      JF_ASSERT(inclusive ? candidate >= before : candidate > before);
    } else {
      JF_ASSERT(inclusive ? candidate <= before : candidate < before);
    }
    if (present) {
      *found = true;
      *out_key = std::move(candidate);
      if (!in_tree) at.pgno = 0;  // where *out_key lies is not known
      return JET_errSuccess;
    }
    probe = std::move(candidate);
    probe_bytes = as_bytes(probe);
    inclusive = false;
  }
}

}  // namespace jet::core

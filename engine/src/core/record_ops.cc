#include "core/record_ops.h"

#include "db/btree.h"
#include "db/long_value.h"
#include "db/node.h"
#include "faultfs/alloc_fault.h"
#include "jetfault/assert.h"

namespace jet::core {
namespace {

std::span<const std::uint8_t> KeyBytes(const RecordId& id) {
  return {reinterpret_cast<const std::uint8_t*>(id.key.data()), id.key.size()};
}

}  // namespace

JET_ERR AppendRecord(State& st, std::uint8_t type, std::span<const std::uint8_t> payload, log::Lgpos* lgpos) {
  if (!st.logging) {
    *lgpos = {};
    return JET_errSuccess;
  }
  if (!st.log) return JET_errNotInitialized;
  JET_ERR err = st.log->Append(type, payload, lgpos);
  if (err >= 0) JF_ASSERT_LT(*lgpos, st.log->end());  // the record lies before the log's end
  return err;
}

JET_ERR FlushLogTo(State& st, log::Lgpos lgpos) { return st.log ? st.log->FlushTo(lgpos) : JET_errSuccess; }
JET_ERR FlushLog(State& st) { return st.log ? st.log->Flush(true) : JET_errSuccess; }
format::Signature LogSignature(const State& st) { return st.log ? st.log->sign_log() : format::Signature{}; }

JET_ERR LogOperation(State& st, db::MiniTxn& mtr, db::OperationRecord& rec, log::Lgpos* out_lgpos) {
  // Every logged operation changes at least one page: an empty record would redo nothing.
  JF_ASSERT(!mtr.empty());
  if (!faultfs::AllocationAllowed("log-record")) {
    mtr.Abort();
    return JET_errOutOfMemory;
  }
  mtr.Seal(&rec.effects);
  JF_ASSERT(!rec.effects.empty());  // one effect per page the mini-transaction changed
  st.scratch.clear();
  db::EncodeOperationRecord(rec, &st.scratch);
  log::Lgpos lgpos;
  JET_ERR err = AppendRecord(st, db::kLrOperation, st.scratch, &lgpos);
  if (err < 0) {
    mtr.Abort();
    return err;
  }
  mtr.Commit(lgpos);
  if (out_lgpos != nullptr) *out_lgpos = lgpos;
  return JET_errSuccess;
}

JET_ERR TableRoot(AttachedDb& adb, std::uint32_t objid, std::uint32_t* root) {
  if (objid == db::kCatalogObjid) {
    *root = db::kCatalogPgno;
    return JET_errSuccess;
  }
  auto it = adb.roots.find(objid);
  if (it != adb.roots.end()) {
    *root = it->second;
    return JET_errSuccess;
  }
  std::vector<std::string> names;
  JET_ERR err = db::ListTables(*adb.db, &names);
  if (err < 0) return err;
  for (const std::string& name : names) {
    db::TableInfo info;
    bool found = false;
    if ((err = db::LookupTable(*adb.db, name, &info, &found)) < 0) return err;
    if (found) adb.roots[info.objid] = info.root;
  }
  it = adb.roots.find(objid);
  if (it == adb.roots.end()) return JET_errObjectNotFound;
  *root = it->second;
  return JET_errSuccess;
}

JET_ERR MakeStoredValue(State& st, AttachedDb& adb, std::uint32_t objid, std::span<const std::uint8_t> value,
                        std::vector<std::uint8_t>* stored) {
  if (!faultfs::AllocationAllowed("record-copy")) return JET_errOutOfMemory;
  db::Database& database = *adb.db;
  // 2 bytes key length + at most JET_cbKeyMost key + 1 kind byte must fit inline.
  if (2 + JET_cbKeyMost + 1 + value.size() <= db::MaxInlineNode(database.page_size())) {
    db::EncodeInlineValue(value, stored);
    return JET_errSuccess;
  }
  std::uint32_t first = 0;
  auto log_page = [&](db::MiniTxn& mtr) {
    db::OperationRecord rec;
    rec.dbid = database.dbid();
    rec.op = db::OpKind::kLongValuePage;
    rec.objid = objid;
    return LogOperation(st, mtr, rec);
  };
  JET_ERR err = db::WriteLongValue(database, objid, value, log_page, &first);
  if (err < 0) return err;
  JF_ASSERT_NE(first, 0u);  // the chain's first page, allocated above the high-water mark
  JF_ASSERT_LE(first, database.pgno_last);
  db::EncodeLongValueRef(first, static_cast<std::uint32_t>(value.size()), stored);
  return JET_errSuccess;
}

JET_ERR StoredValueSize(std::span<const std::uint8_t> stored, std::uint32_t* size) {
  db::StoredValue v;
  if (!db::DecodeStoredValue(stored, &v)) return JET_errDatabaseCorrupted;
  *size = v.kind == db::ValueKind::kInline ? static_cast<std::uint32_t>(v.inline_bytes.size()) : v.lv_size;
  return JET_errSuccess;
}

JET_ERR ReadStoredValue(db::Database& database, std::uint32_t objid, std::span<const std::uint8_t> stored,
                        std::span<std::uint8_t> out) {
  db::StoredValue v;
  if (!db::DecodeStoredValue(stored, &v)) return JET_errDatabaseCorrupted;
  if (v.kind == db::ValueKind::kInline) {
    if (out.size() > v.inline_bytes.size()) return JET_errInvalidParameter;
    std::copy_n(v.inline_bytes.begin(), out.size(), out.begin());
    return JET_errSuccess;
  }
  if (out.size() > v.lv_size) return JET_errInvalidParameter;
  return db::ReadLongValue(database, objid, v.lv_first_pgno, v.lv_size, out);
}

JET_ERR ReadRecord(AttachedDb& adb, const RecordId& id, BeforeImage* current) {
  std::uint32_t root = 0;
  JET_ERR err = TableRoot(adb, id.objid, &root);
  if (err < 0) return err;
  db::BTree tree(root, id.objid);
  return tree.Lookup(*adb.db, KeyBytes(id), &current->stored, &current->present);
}

JET_ERR ChangeRecord(State& st, AttachedDb& adb, const RecordId& id, db::OpKind op, std::uint64_t txn,
                     const BeforeImage& before, std::optional<std::span<const std::uint8_t>> stored) {
  std::uint32_t root = 0;
  JET_ERR err = TableRoot(adb, id.objid, &root);
  if (err < 0) return err;
  db::BTree tree(root, id.objid);
  db::MiniTxn mtr(*adb.db);
  if (stored.has_value()) {
    bool existed = false;
    err = tree.Put(mtr, KeyBytes(id), *stored, db::BTree::PutMode::kUpsert, &existed, nullptr);
  } else {
    err = tree.Remove(mtr, KeyBytes(id), nullptr);
  }
  if (err < 0) {
    mtr.Abort();
    return err;
  }
  JF_ASSERT(!mtr.empty());                      // a put or a remove that succeeded changed a page
  JF_ASSERT_EQ(adb.db->dbid(), adb.info.dbid);  // one dbid per attachment (AddDatabase)
  db::OperationRecord rec;
  rec.txn = txn;
  rec.dbid = adb.db->dbid();
  rec.op = op;
  rec.objid = id.objid;
  rec.key = KeyBytes(id);
  rec.before_present = before.present;
  rec.before = before.stored;
  return LogOperation(st, mtr, rec);
}

JET_ERR Compensate(State& st, AttachedDb& adb, std::uint64_t txn, const RecordId& id, const BeforeImage& before) {
  BeforeImage current;
  JET_ERR err = ReadRecord(adb, id, &current);
  if (err == JET_errObjectNotFound) return JET_errSuccess;
  if (err < 0) return err;
  if (!before.present && !current.present) return JET_errSuccess;
  if (before.present && current.present && before.stored == current.stored) return JET_errSuccess;
  JF_ASSERT(before.present || current.present);  // a compensation changes something
  std::optional<std::span<const std::uint8_t>> target;
  if (before.present) target = std::span<const std::uint8_t>(before.stored);
  if ((err = ChangeRecord(st, adb, id, db::OpKind::kCompensate, txn, BeforeImage{}, target)) < 0) return err;
  if (id.objid == db::kCatalogObjid && !before.present) {
    JF_ASSERT(current.present);  // a table the transaction created: its entry is undone
    db::TableInfo dropped;
    if ((err = db::DecodeCatalogEntry(id.key, current.stored, &dropped)) < 0) return err;
    adb.roots.erase(dropped.objid);
    for (auto& [sesid, session] : st.sessions) {
      std::erase_if(session.cursors, [&](const auto& entry) {
        return entry.second.dbid == adb.info.dbid && entry.second.table.objid == dropped.objid;
      });
    }
  }
  return JET_errSuccess;
}

}  // namespace jet::core

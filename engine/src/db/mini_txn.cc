#include "db/mini_txn.h"

#include <cstring>

#include "faultfs/alloc_fault.h"
#include "format/page.h"
#include "jetfault/assert.h"

namespace jet::db {

MiniTxn::MiniTxn(Database& db)
    : db_(db), dbtime_start_(db.dbtime), pgno_last_start_(db.pgno_last), objid_last_start_(db.objid_last) {}

MiniTxn::~MiniTxn() {
  if (!done_) Abort();
}

JET_ERR MiniTxn::Touch(std::uint32_t pgno, Touched** out) {
  JF_ASSERT(!sealed_ && !done_);  // no change after the dbtime is stamped
  for (Touched& t : touched_) {
    if (t.pgno == pgno) {
      *out = &t;
      return JET_errSuccess;
    }
  }
  Touched t;
  t.pgno = pgno;
  JET_ERR err = db_.cache().Get(pgno, &t.frame);
  if (err < 0) return err;
  JF_ASSERT(t.frame != nullptr);
  err = db_.TakeBuffer(&t.before);
  if (err < 0) return err;
  std::memcpy(t.before.get(), t.frame->data.get(), db_.page_size());
  t.image = !t.frame->imaged;
  t.dbtime_before = format::LoadPageHeader(db_.cache().Bytes(*t.frame)).dbtime;
  if (!faultfs::AllocationAllowed("page-touch")) return JET_errOutOfMemory;
  touched_.push_back(std::move(t));
  *out = &touched_.back();
  return JET_errSuccess;
}

namespace {
JET_ERR RecordNodeOp(std::vector<std::uint8_t>* ops, NodeOpKind kind, std::size_t index,
                     std::span<const std::uint8_t> node) {
  if (!faultfs::AllocationAllowed("log-node-op")) return JET_errOutOfMemory;
  EncodeNodeOp(NodeOp{kind, static_cast<std::uint16_t>(index), node}, ops);
  return JET_errSuccess;
}
}  // namespace

JET_ERR MiniTxn::InsertNode(std::uint32_t pgno, std::size_t index, std::span<const std::uint8_t> node) {
  Touched* t = nullptr;
  JET_ERR err = Touch(pgno, &t);
  if (err < 0) return err;
  if (!t->image && (err = RecordNodeOp(&t->node_ops, NodeOpKind::kInsert, index, node)) < 0) return err;
  return format::InsertNode(db_.cache().Bytes(*t->frame), index, node);
}

JET_ERR MiniTxn::ReplaceNode(std::uint32_t pgno, std::size_t index, std::span<const std::uint8_t> node) {
  Touched* t = nullptr;
  JET_ERR err = Touch(pgno, &t);
  if (err < 0) return err;
  if (!t->image && (err = RecordNodeOp(&t->node_ops, NodeOpKind::kReplace, index, node)) < 0) return err;
  return format::ReplaceNode(db_.cache().Bytes(*t->frame), index, node);
}

JET_ERR MiniTxn::DeleteNode(std::uint32_t pgno, std::size_t index) {
  Touched* t = nullptr;
  JET_ERR err = Touch(pgno, &t);
  if (err < 0) return err;
  if (!t->image && (err = RecordNodeOp(&t->node_ops, NodeOpKind::kDelete, index, {})) < 0) return err;
  return format::DeleteNode(db_.cache().Bytes(*t->frame), index);
}

JET_ERR MiniTxn::Writable(std::uint32_t pgno, std::span<std::uint8_t>* page) {
  Touched* t = nullptr;
  JET_ERR err = Touch(pgno, &t);
  if (err < 0) return err;
  t->image = true;
  t->node_ops.clear();
  *page = db_.cache().Bytes(*t->frame);
  return JET_errSuccess;
}

JET_ERR MiniTxn::Allocate(std::uint32_t objid, std::uint32_t flags, std::uint32_t* pgno,
                          std::span<std::uint8_t>* page) {
  JF_ASSERT(!sealed_ && !done_);
  if (!faultfs::AllocationAllowed("page-touch")) return JET_errOutOfMemory;
  touched_.reserve(touched_.size() + 1);  // may throw before anything changes
  std::uint32_t next = db_.pgno_last + 1;
  Touched t;
  t.pgno = next;
  JET_ERR err = db_.cache().Create(next, &t.frame);
  if (err < 0) return err;
  db_.pgno_last = next;
  // Pages come from the high-water mark and are never reused (db/database.h).
  JF_ASSERT_GT(next, pgno_last_start_);
  t.image = true;
  t.dbtime_before = 0;
  *page = db_.cache().Bytes(*t.frame);
  format::InitPage(*page, objid, flags, 0);
  touched_.push_back(std::move(t));
  *pgno = next;
  return JET_errSuccess;
}

void MiniTxn::Seal(std::vector<PageEffect>* effects) {
  JF_ASSERT(!sealed_ && !done_);
  // Mini-transactions of a database run one after another: nothing stamped a dbtime
  // since this one began, so its dbtime is the next one and unique.
  JF_ASSERT_EQ(db_.dbtime, dbtime_start_);
  sealed_ = true;
  std::uint64_t dbtime = ++db_.dbtime;
  effects->clear();
  for (Touched& t : touched_) {
    std::span<std::uint8_t> bytes = db_.cache().Bytes(*t.frame);
    format::PageHeader h = format::LoadPageHeader(bytes);
    h.dbtime = dbtime;
    format::StorePageHeader(bytes, h);
    PageEffect e;
    e.pgno = t.pgno;
    e.dbtime_before = t.dbtime_before;
    e.dbtime_after = dbtime;
    e.kind = t.image ? EffectKind::kImage : EffectKind::kNodeOps;
    e.bytes = t.image ? std::span<const std::uint8_t>(bytes) : std::span<const std::uint8_t>(t.node_ops);
    effects->push_back(e);
  }
}

void MiniTxn::Commit(format::Lgpos lgpos) {
  JF_ASSERT(sealed_ && !done_);
  for (Touched& t : touched_) {
    // A page's changes are logged in order: its last change is never later than this one.
    JF_ASSERT_LE(t.frame->last_lgpos, lgpos);
    t.frame->dirty = true;
    t.frame->imaged = true;
    t.frame->last_lgpos = lgpos;
    db_.ReturnBuffer(std::move(t.before));
  }
  committed_ = true;
  done_ = true;
}

void MiniTxn::Abort() {
  // Restoring before-images over changes the log already holds would fork page and log.
  JF_ASSERT(!committed_);
  JF_ASSERT(!done_);  // once: a second pass would restore stale before-images
  for (auto it = touched_.rbegin(); it != touched_.rend(); ++it) {
    if (it->before) {
      std::memcpy(it->frame->data.get(), it->before.get(), db_.page_size());
      db_.ReturnBuffer(std::move(it->before));
    } else {
      db_.cache().Discard(it->pgno);
    }
  }
  touched_.clear();
  db_.dbtime = dbtime_start_;
  db_.pgno_last = pgno_last_start_;
  db_.objid_last = objid_last_start_;
  done_ = true;
}

}  // namespace jet::db

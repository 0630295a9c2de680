#include "db/redo.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "format/page.h"
#include "jetfault/assert.h"

namespace jet::db {
namespace {

JET_ERR ApplyNodeOps(std::span<std::uint8_t> page, std::span<const std::uint8_t> bytes) {
  std::vector<NodeOp> ops;
  JET_ERR err = DecodeNodeOps(bytes, &ops);
  if (err < 0) return err;
  for (const NodeOp& op : ops) {
    switch (op.kind) {
      case NodeOpKind::kInsert:
        if (!format::PageHasRoom(page, op.node.size())) return JET_errDatabaseCorrupted;
        err = format::InsertNode(page, op.index, op.node);
        break;
      case NodeOpKind::kReplace: err = format::ReplaceNode(page, op.index, op.node); break;
      case NodeOpKind::kDelete: err = format::DeleteNode(page, op.index); break;
    }
    if (err < 0) return err;
  }
  return JET_errSuccess;
}

}  // namespace

JET_ERR RedoPageEffect(Database& db, const PageEffect& e, format::Lgpos lgpos, AwaitingImage* awaiting_image) {
  db.pgno_last = std::max(db.pgno_last, e.pgno);
  db.dbtime = std::max(db.dbtime, e.dbtime_after);
  const bool image = e.kind == EffectKind::kImage;
  if (image && e.bytes.size() != db.page_size()) return JET_errLogFileCorrupt;
  // A new table's root page is an image carrying its objid: objids never repeat even
  // when the header's objid_last predates the table (it is written at checkpoints).
  if (image) db.objid_last = std::max(db.objid_last, format::LoadPageHeader(e.bytes).objid);
  if (!image && awaiting_image->count(e.pgno) != 0) return JET_errSuccess;
  BufferCache& cache = db.cache();
  Frame* frame = nullptr;
  JET_ERR verify_err = JET_errSuccess;
  JET_ERR err = cache.GetForRedo(e.pgno, &frame, &verify_err);
  if (err < 0) return err;
  std::span<std::uint8_t> page = cache.Bytes(*frame);
  if (verify_err < 0) {
    if (!image) {
      cache.Discard(e.pgno);
      awaiting_image->emplace(e.pgno, verify_err);
      return JET_errSuccess;
    }
  } else {
    std::uint64_t dbtime = format::LoadPageHeader(page).dbtime;
    if (dbtime >= e.dbtime_after) return JET_errSuccess;  // already on disk
    if (dbtime < e.dbtime_before) return JET_errDbTimeTooOld;
    if (dbtime > e.dbtime_before) return JET_errDbTimeTooNew;
    JF_ASSERT_EQ(dbtime, e.dbtime_before);  // rule 5: the change applies to exactly this page state
  }
  if (image) {
    awaiting_image->erase(e.pgno);
    std::memcpy(page.data(), e.bytes.data(), page.size());
    if (format::ValidatePageLayout(page) < 0) return JET_errLogFileCorrupt;
  } else {
    if ((err = ApplyNodeOps(page, e.bytes)) < 0) return err;
  }
  format::PageHeader h = format::LoadPageHeader(page);
  h.dbtime = e.dbtime_after;
  format::StorePageHeader(page, h);
  // The database's counters already cover the page (raised on entry): new dbtimes and
  // pages after recovery never repeat one redo put back.
  JF_ASSERT_GE(db.dbtime, e.dbtime_after);
  JF_ASSERT_GE(db.pgno_last, e.pgno);
  // Redo reads the log in order, so a page's last change only moves forward.
  JF_ASSERT_LE(frame->last_lgpos, lgpos);
  frame->dirty = true;
  frame->imaged = frame->imaged || image;
  frame->last_lgpos = lgpos;
  return JET_errSuccess;
}

}  // namespace jet::db

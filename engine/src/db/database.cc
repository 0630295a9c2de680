#include "db/database.h"

#include <algorithm>

#include "jetfault/assert.h"

namespace jet::db {

Database::Database(std::uint32_t dbid, std::unique_ptr<DatabaseFile> file)
    : dbid_(dbid), file_(std::move(file)), cache_(*file_) {
  header = file_->header();
  dbtime = header.dbtime_dirtied;
  pgno_last = header.pgno_last;
  objid_last = std::max(header.objid_last, kCatalogObjid);
  spare_.reserve(kSpareBuffersMax);  // ReturnBuffer never allocates
}

JET_ERR Database::TakeBuffer(PageBuffer* out) {
  if (spare_.empty()) return AllocatePageBuffer(page_size(), "page-buffer", out);
  if (!faultfs::AllocationAllowed("page-buffer")) return JET_errOutOfMemory;
  *out = std::move(spare_.back());
  spare_.pop_back();
  JF_ASSERT(*out != nullptr);  // only real buffers are kept (ReturnBuffer)
  return JET_errSuccess;
}

void Database::ReturnBuffer(PageBuffer buffer) {
  if (buffer && spare_.size() < kSpareBuffersMax) spare_.push_back(std::move(buffer));
  JF_ASSERT_LE(spare_.size(), kSpareBuffersMax);  // reserved up front: pushing never allocates
}

JET_ERR Database::ReadPage(std::uint32_t pgno, std::span<const std::uint8_t>* page) {
  Frame* frame = nullptr;
  JET_ERR err = cache_.Get(pgno, &frame);
  if (err < 0) return err;
  *page = cache_.Bytes(*frame);
  JF_ASSERT_EQ(page->size(), page_size());  // a frame holds one whole page
  return JET_errSuccess;
}

JET_ERR Database::WriteHeader() {
  // The counters only grow (a mini-transaction's Abort returns to where it began, which
  // no header write came between): a header never takes back a dbtime, page or objid
  // that pages or log records may already use.
  JF_ASSERT_GE(dbtime, header.dbtime_dirtied);
  JF_ASSERT_GE(pgno_last, header.pgno_last);
  JF_ASSERT_GE(objid_last, header.objid_last);
  header.dbtime_dirtied = dbtime;
  header.pgno_last = pgno_last;
  header.objid_last = objid_last;
  return file_->WriteHeader(header);
}

JET_ERR Database::FlushAll() {
  JET_ERR err = cache_.FlushAndSync();
  if (err < 0) return err;
  return WriteHeader();
}

}  // namespace jet::db

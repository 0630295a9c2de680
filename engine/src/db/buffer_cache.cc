#include "db/buffer_cache.h"

#include <algorithm>
#include <vector>

#include "format/page.h"
#include "jetfault/assert.h"

namespace jet::db {

Frame* BufferCache::Find(std::uint32_t pgno) {
  auto it = frames_.find(pgno);
  if (it == frames_.end()) return nullptr;
  JF_ASSERT(it->second.data != nullptr);  // a frame is inserted only with its page buffer
  return &it->second;
}

JET_ERR BufferCache::Load(std::uint32_t pgno, Frame** out, JET_ERR* verify_err) {
  if (Frame* f = Find(pgno)) {
    *out = f;
    *verify_err = JET_errSuccess;
    return JET_errSuccess;
  }
  Frame frame;
  JET_ERR err = AllocatePageBuffer(page_size(), "page-buffer", &frame.data);
  if (err < 0) return err;
  JF_ASSERT(frame.data != nullptr);
  err = file_.ReadVerifiedPage(pgno, Bytes(frame));
  if (err == JET_errDiskIO || err == JET_errFileAccessDenied || err == JET_errOutOfMemory) return err;
  if (err >= 0) err = CheckNotStale(pgno, Bytes(frame));
  *verify_err = err;
  JF_ASSERT_LE(*verify_err, JET_errSuccess);  // a reason not to use the page, or none: never a warning
  if (err < 0) std::fill_n(frame.data.get(), page_size(), std::uint8_t{0});
  auto [it, inserted] = frames_.emplace(pgno, std::move(frame));
  JF_ASSERT(inserted);  // a miss: no frame of pgno existed
  JF_ASSERT(!it->second.dirty && !it->second.imaged);
  *out = &it->second;
  return JET_errSuccess;
}

void WrittenDbtimes::Record(std::uint32_t pgno, std::uint64_t dbtime) {
  const std::uint32_t slot = pgno % slots_;
  if (slot >= dbtimes_.size()) {
    pgnos_.resize(std::size_t{slot} + 1, 0);
    dbtimes_.resize(std::size_t{slot} + 1, 0);
  }
  pgnos_[slot] = pgno;
  dbtimes_[slot] = dbtime;
}

std::uint64_t WrittenDbtimes::Get(std::uint32_t pgno) const {
  const std::uint32_t slot = pgno % slots_;
  if (slot >= dbtimes_.size() || pgnos_[slot] != pgno) return 0;
  return dbtimes_[slot];
}

JET_ERR BufferCache::CheckNotStale(std::uint32_t pgno, std::span<const std::uint8_t> page) const {
  return format::LoadPageHeader(page).dbtime < written_dbtime_.Get(pgno) ? JET_errReadLostFlushVerifyFailure
                                                                         : JET_errSuccess;
}

JET_ERR BufferCache::Get(std::uint32_t pgno, Frame** out) {
  JET_ERR verify_err = JET_errSuccess;
  JET_ERR err = Load(pgno, out, &verify_err);
  if (err < 0) return err;
  if (verify_err < 0) {
    frames_.erase(pgno);  // never keep an unverified page
    return verify_err;
  }
  return JET_errSuccess;
}

JET_ERR BufferCache::GetForRedo(std::uint32_t pgno, Frame** out, JET_ERR* verify_err) {
  return Load(pgno, out, verify_err);
}

JET_ERR BufferCache::Create(std::uint32_t pgno, Frame** out) {
  Frame frame;
  JET_ERR err = AllocatePageBuffer(page_size(), "page-buffer", &frame.data);
  if (err < 0) return err;
  std::fill_n(frame.data.get(), page_size(), std::uint8_t{0});
  frames_.erase(pgno);
  auto [it, inserted] = frames_.emplace(pgno, std::move(frame));
  JF_ASSERT(inserted);
  JF_ASSERT(!it->second.dirty && !it->second.imaged);
  *out = &it->second;
  return JET_errSuccess;
}

JET_ERR BufferCache::WriteFrame(std::uint32_t pgno, Frame& frame) {
  // Only dirty frames are written: a clean one equals the page on disk.
  JF_ASSERT(frame.dirty);
  JF_ASSERT(frame.data != nullptr);
  if (wal_flush_) {
    JET_ERR err = wal_flush_(frame.last_lgpos);
    if (err < 0) return err;
  }
  JET_ERR err = file_.WritePage(pgno, Bytes(frame));
  if (err < 0) return err;
  JF_ASSERT(frame.dirty);  // the write-ahead flush above touches the log only
  frame.dirty = false;
  written_dbtime_.Record(pgno, format::LoadPageHeader(Bytes(frame)).dbtime);
  return JET_errSuccess;
}

JET_ERR BufferCache::FlushAndSync() {
  // Ascending page order: deterministic I/O sequences make crash images replayable.
  std::vector<std::uint32_t> dirty;
  for (auto& [pgno, frame] : frames_) {
    if (frame.dirty) dirty.push_back(pgno);
  }
  std::sort(dirty.begin(), dirty.end());
  const std::size_t cached = frames_.size();
  for (std::uint32_t pgno : dirty) {
    JET_ERR err = WriteFrame(pgno, frames_.at(pgno));
    if (err < 0) return err;
  }
  JF_ASSERT_EQ(frames_.size(), cached);  // writing a frame neither loads nor evicts one
  for (const auto& [pgno, frame] : frames_) JF_ASSERT(!frame.dirty);
  return file_.Sync();
}

void BufferCache::set_max_pages(std::uint32_t max_pages) {
  JF_ASSERT_GE(max_pages, 1u);
  max_pages_ = max_pages;
}

void BufferCache::ResetImaged() {
  for (auto& entry : frames_) entry.second.imaged = false;
}

JET_ERR BufferCache::Trim() {
  if (max_pages_ == 0 || frames_.size() <= max_pages_) return JET_errSuccess;
  // Down to 7/8 of the limit: a cache kept at its limit would be sorted after every change.
  const std::size_t target = max_pages_ - max_pages_ / 8;
  std::vector<std::uint32_t> pgnos;
  for (auto& entry : frames_) pgnos.push_back(entry.first);
  std::sort(pgnos.begin(), pgnos.end());
  // Clean frames go first; dirty ones are written (write-ahead) and then dropped.
  for (int pass = 0; pass < 2 && frames_.size() > target; ++pass) {
    for (std::uint32_t pgno : pgnos) {
      if (frames_.size() <= target) break;
      Frame* f = Find(pgno);
      if (f == nullptr) continue;
      if (f->dirty) {
        if (pass == 0) continue;
        JET_ERR err = WriteFrame(pgno, *f);
        if (err < 0) return err;
      }
      JF_ASSERT(!f->dirty);  // never drop a change that is not on disk
      frames_.erase(pgno);
    }
  }
  // The second pass may evict every frame, dirty ones after writing them.
  JF_ASSERT_LE(frames_.size(), target);
  return JET_errSuccess;
}

}  // namespace jet::db

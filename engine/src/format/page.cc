#include "format/page.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "format/checksum.h"
#include "format/page_size.h"

namespace jet::format {
namespace {

constexpr std::size_t kOffChecksum = 0;
constexpr std::size_t kOffDbtime = 8;
constexpr std::size_t kOffPgnoPrev = 16;
constexpr std::size_t kOffPgnoNext = 20;
constexpr std::size_t kOffObjid = 24;
constexpr std::size_t kOffCbFree = 28;
constexpr std::size_t kOffCbUncommittedFree = 30;
constexpr std::size_t kOffIbMicFree = 32;
constexpr std::size_t kOffCtag = 34;
constexpr std::size_t kOffFlags = 36;

std::size_t DataAreaSize(std::size_t page_size) { return page_size - kPageHeaderSize; }

std::uint8_t* TagPtr(std::span<std::uint8_t> page, std::size_t i) {
  return page.data() + page.size() - kTagSize * (i + 1);
}
const std::uint8_t* TagPtr(std::span<const std::uint8_t> page, std::size_t i) {
  return page.data() + page.size() - kTagSize * (i + 1);
}

void SetCounts(std::span<std::uint8_t> page, std::uint16_t cb_free, std::uint16_t ib_mic_free, std::uint16_t ctag) {
  StoreU16(page.data() + kOffCbFree, cb_free);
  StoreU16(page.data() + kOffIbMicFree, ib_mic_free);
  StoreU16(page.data() + kOffCtag, ctag);
}

// Re-packs the nodes in tag order so that all free space is contiguous.
void Compact(std::span<std::uint8_t> page) {
  std::uint16_t ctag = LoadU16(page.data() + kOffCtag);
  std::uint8_t* data = page.data() + kPageHeaderSize;
  // A page-sized scratch copy of the node area; small and bounded by the page size.
  std::vector<std::uint8_t> scratch(data, data + LoadU16(page.data() + kOffIbMicFree));
  std::uint16_t ib = 0;
  for (std::size_t i = 0; i < ctag; ++i) {
    std::uint8_t* tag = TagPtr(page, i);
    std::uint16_t old_ib = LoadU16(tag);
    std::uint16_t cb = LoadU16(tag + 2);
    if (cb != 0) std::memcpy(data + ib, scratch.data() + old_ib, cb);
    StoreU16(tag, ib);
    ib = static_cast<std::uint16_t>(ib + cb);
  }
  StoreU16(page.data() + kOffIbMicFree, ib);
}

std::size_t ContiguousFree(std::span<const std::uint8_t> page) {
  std::size_t ctag = LoadU16(page.data() + kOffCtag);
  std::size_t ib_mic = LoadU16(page.data() + kOffIbMicFree);
  return DataAreaSize(page.size()) - kTagSize * ctag - ib_mic;
}

}  // namespace

PageHeader LoadPageHeader(std::span<const std::uint8_t> page) {
  const std::uint8_t* p = page.data();
  PageHeader h;
  h.checksum = LoadU64(p + kOffChecksum);
  h.dbtime = LoadU64(p + kOffDbtime);
  h.pgno_prev = LoadU32(p + kOffPgnoPrev);
  h.pgno_next = LoadU32(p + kOffPgnoNext);
  h.objid = LoadU32(p + kOffObjid);
  h.cb_free = LoadU16(p + kOffCbFree);
  h.cb_uncommitted_free = LoadU16(p + kOffCbUncommittedFree);
  h.ib_mic_free = LoadU16(p + kOffIbMicFree);
  h.ctag = LoadU16(p + kOffCtag);
  h.flags = LoadU32(p + kOffFlags);
  return h;
}

void StorePageHeader(std::span<std::uint8_t> page, const PageHeader& h) {
  std::uint8_t* p = page.data();
  StoreU64(p + kOffChecksum, h.checksum);
  StoreU64(p + kOffDbtime, h.dbtime);
  StoreU32(p + kOffPgnoPrev, h.pgno_prev);
  StoreU32(p + kOffPgnoNext, h.pgno_next);
  StoreU32(p + kOffObjid, h.objid);
  StoreU16(p + kOffCbFree, h.cb_free);
  StoreU16(p + kOffCbUncommittedFree, h.cb_uncommitted_free);
  StoreU16(p + kOffIbMicFree, h.ib_mic_free);
  StoreU16(p + kOffCtag, h.ctag);
  StoreU32(p + kOffFlags, h.flags);
}

void InitPage(std::span<std::uint8_t> page, std::uint32_t objid, std::uint32_t flags, std::uint64_t dbtime) {
  std::fill(page.begin(), page.end(), std::uint8_t{0});
  PageHeader h;
  h.dbtime = dbtime;
  h.objid = objid;
  h.flags = flags;
  h.cb_free = static_cast<std::uint16_t>(DataAreaSize(page.size()));
  StorePageHeader(page, h);
}

void SealPage(std::span<std::uint8_t> page, std::uint32_t pgno) {
  StoreU32(page.data() + 4, pgno);
  StoreU32(page.data(), XorChecksum(page));
}

JET_ERR VerifyPage(std::span<const std::uint8_t> page, std::uint32_t pgno) {
  if (page.size() < kMinPageSize || page.size() % 4 != 0) return JET_errReadVerifyFailure;
  if (IsAllZero(page)) {
    return JET_errPageNotInitialized;
  }
  if (LoadU32(page.data()) != XorChecksum(page)) return JET_errReadVerifyFailure;
  if (LoadU32(page.data() + 4) != pgno) return JET_errReadPgnoVerifyFailure;
  return ValidatePageLayout(page);
}

JET_ERR ValidatePageLayout(std::span<const std::uint8_t> page) {
  if (page.size() < kMinPageSize || page.size() > kMaxPageSize) return JET_errDatabaseCorrupted;
  PageHeader h = LoadPageHeader(page);
  std::size_t area = DataAreaSize(page.size());
  if (std::size_t{h.ctag} * kTagSize + h.ib_mic_free > area) return JET_errDatabaseCorrupted;
  std::size_t used = 0;
  for (std::size_t i = 0; i < h.ctag; ++i) {
    const std::uint8_t* tag = TagPtr(page, i);
    std::size_t ib = LoadU16(tag);
    std::size_t cb = LoadU16(tag + 2);
    if (ib + cb > h.ib_mic_free) return JET_errDatabaseCorrupted;
    used += cb;
  }
  if (used + std::size_t{h.ctag} * kTagSize + h.cb_free != area) return JET_errDatabaseCorrupted;
  return JET_errSuccess;
}

std::uint16_t NodeCount(std::span<const std::uint8_t> page) { return LoadU16(page.data() + kOffCtag); }

std::span<const std::uint8_t> NodeAt(std::span<const std::uint8_t> page, std::size_t i) {
  // Only the two header fields it needs (the B-tree calls this once per node visited).
  const std::size_t ctag = LoadU16(page.data() + kOffCtag);
  const std::size_t ib_mic_free = LoadU16(page.data() + kOffIbMicFree);
  if (i >= ctag || (i + 1) * kTagSize > DataAreaSize(page.size())) return {};
  const std::uint8_t* tag = TagPtr(page, i);
  std::size_t ib = LoadU16(tag);
  std::size_t cb = LoadU16(tag + 2);
  if (ib + cb > ib_mic_free || ib_mic_free > DataAreaSize(page.size())) return {};
  return page.subspan(kPageHeaderSize + ib, cb);
}

std::span<std::uint8_t> MutableNodeAt(std::span<std::uint8_t> page, std::size_t i) {
  std::span<const std::uint8_t> node = NodeAt(page, i);
  if (node.data() == nullptr) return {};
  return page.subspan(static_cast<std::size_t>(node.data() - page.data()), node.size());
}

bool PageHasRoom(std::span<const std::uint8_t> page, std::size_t cb) {
  return cb + kTagSize <= LoadU16(page.data() + kOffCbFree);
}

std::size_t MaxNodeSize(std::size_t page_size) { return DataAreaSize(page_size) - kTagSize; }

JET_ERR InsertNode(std::span<std::uint8_t> page, std::size_t i, std::span<const std::uint8_t> node) {
  PageHeader h = LoadPageHeader(page);
  if (i > h.ctag || !PageHasRoom(page, node.size())) return JET_errDatabaseCorrupted;
  if (ContiguousFree(page) < node.size() + kTagSize) {
    Compact(page);
    h = LoadPageHeader(page);
  }
  // Shift tags i.. one slot down (toward lower addresses) to open slot i.
  std::uint8_t* last_tag = TagPtr(page, h.ctag);  // the new lowest slot
  std::memmove(last_tag, last_tag + kTagSize, kTagSize * (h.ctag - i));
  std::uint8_t* tag = TagPtr(page, i);
  StoreU16(tag, h.ib_mic_free);
  StoreU16(tag + 2, static_cast<std::uint16_t>(node.size()));
  if (!node.empty()) std::memcpy(page.data() + kPageHeaderSize + h.ib_mic_free, node.data(), node.size());
  SetCounts(page, static_cast<std::uint16_t>(h.cb_free - node.size() - kTagSize),
            static_cast<std::uint16_t>(h.ib_mic_free + node.size()), static_cast<std::uint16_t>(h.ctag + 1));
  return JET_errSuccess;
}

JET_ERR DeleteNode(std::span<std::uint8_t> page, std::size_t i) {
  PageHeader h = LoadPageHeader(page);
  if (i >= h.ctag) return JET_errDatabaseCorrupted;
  std::uint16_t cb = LoadU16(TagPtr(page, i) + 2);
  std::uint8_t* last_tag = TagPtr(page, h.ctag - 1);
  std::memmove(last_tag + kTagSize, last_tag, kTagSize * (h.ctag - 1 - i));
  std::uint16_t ctag = static_cast<std::uint16_t>(h.ctag - 1);
  // An empty page gets its whole area back; otherwise the node leaves a hole.
  std::uint16_t ib_mic = ctag == 0 ? 0 : h.ib_mic_free;
  SetCounts(page, static_cast<std::uint16_t>(h.cb_free + cb + kTagSize), ib_mic, ctag);
  StoreU32(last_tag, 0);
  return JET_errSuccess;
}

JET_ERR ReplaceNode(std::span<std::uint8_t> page, std::size_t i, std::span<const std::uint8_t> node) {
  PageHeader h = LoadPageHeader(page);
  if (i >= h.ctag) return JET_errDatabaseCorrupted;
  std::uint8_t* tag = TagPtr(page, i);
  std::uint16_t old_cb = LoadU16(tag + 2);
  if (node.size() <= old_cb) {
    if (!node.empty()) std::memcpy(page.data() + kPageHeaderSize + LoadU16(tag), node.data(), node.size());
    StoreU16(tag + 2, static_cast<std::uint16_t>(node.size()));
    StoreU16(page.data() + kOffCbFree, static_cast<std::uint16_t>(h.cb_free + old_cb - node.size()));
    return JET_errSuccess;
  }
  if (std::size_t{h.cb_free} + old_cb < node.size()) return JET_errDatabaseCorrupted;
  JET_ERR err = DeleteNode(page, i);
  if (err < 0) return err;
  return InsertNode(page, i, node);
}

void ClearNodes(std::span<std::uint8_t> page) {
  std::fill(page.begin() + kPageHeaderSize, page.end(), std::uint8_t{0});
  SetCounts(page, static_cast<std::uint16_t>(DataAreaSize(page.size())), 0, 0);
}

}  // namespace jet::format

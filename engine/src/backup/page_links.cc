#include "backup/page_links.h"

#include <algorithm>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "base/io_error.h"
#include "faultfs/alloc_fault.h"
#include "format/db_header.h"
#include "jetfault/assert.h"

namespace jet::backup {

namespace {

constexpr std::uint32_t kReadChunkBytes = 1u << 20;

class LinkChecker {
 public:
  using Entry = PageLinkTable::Entry;

  explicit LinkChecker(const PageLinkTable& pages) : pages_(pages), chained_(std::size_t{pages.pgno_last()} + 1) {}

  std::vector<BrokenLink> Run() {
    for (std::uint32_t pgno = 1; pgno <= pages_.pgno_last(); ++pgno) {
      if (const Entry* page = pages_.Find(pgno)) Check(pgno, *page);
    }
    return std::move(broken_);
  }

 private:
  bool Check(std::uint32_t pgno, const Entry& header) {
    if (header.flags & format::kPageFlagLongValue) {
      if (header.pgno_prev != 0) return Bad(pgno, "prev", header.pgno_prev, "a long-value page has no prev link");
      if (header.pgno_next == 0) return true;
      const Entry* next = Target(pgno, "next", header.pgno_next);
      if (next == nullptr) return false;
      if (!(next->flags & format::kPageFlagLongValue) || next->objid != header.objid) {
        return Bad(pgno, "next", header.pgno_next, fmt::format("it is not a long-value page of tree {}", header.objid));
      }
      if (chained_[header.pgno_next])
        return Bad(pgno, "next", header.pgno_next, "another long-value page links to it too");
      chained_[header.pgno_next] = true;
      return true;
    }
    if (!(header.flags & format::kPageFlagLeaf)) {
      if (header.pgno_prev != 0) return Bad(pgno, "prev", header.pgno_prev, "an internal page has no sibling links");
      if (header.pgno_next != 0) return Bad(pgno, "next", header.pgno_next, "an internal page has no sibling links");
      return true;
    }
    const bool next_ok = Sibling(pgno, header, header.pgno_next, true);
    const bool prev_ok = Sibling(pgno, header, header.pgno_prev, false);
    return next_ok && prev_ok;
  }

  bool Sibling(std::uint32_t pgno, const Entry& header, std::uint32_t target, bool forward) {
    if (target == 0) return true;
    const char* name = forward ? "next" : "prev";
    const Entry* other = Target(pgno, name, target);
    if (other == nullptr) return false;
    const std::uint32_t back = forward ? other->pgno_prev : other->pgno_next;
    if (back != pgno || other->objid != header.objid || !(other->flags & format::kPageFlagLeaf)) {
      return Bad(pgno, name, target,
                 fmt::format("it links back to {} (objid {} vs {}, flags {:#x})", back, other->objid, header.objid,
                             other->flags));
    }
    return true;
  }

  const Entry* Target(std::uint32_t pgno, const char* name, std::uint32_t target) {
    if (const Entry* entry = pages_.Find(target)) return entry;
    Bad(pgno, name, target, "it is not a valid page");
    return nullptr;
  }

  bool Bad(std::uint32_t pgno, const char* name, std::uint32_t target, const std::string& why) {
    broken_.push_back({pgno, fmt::format("{} link to page {}: {}", name, target, why)});
    return false;
  }

  const PageLinkTable& pages_;
  std::vector<bool> chained_;  // by pgno: a long-value page some chain links to
  std::vector<BrokenLink> broken_;
};

JET_ERR Fail(const faultfs::Status& status, const std::string& what) {
  SetLastErrorDetail(fmt::format("{}: {}", what, status.ToString()));
  return IoError(status, FileKind::kDatabase);
}

// Verifies the pages first, first+1, ... read into chunk (got bytes of it) and puts
// each one's links into pages: a blank page is free, any other failure is the error.
JET_ERR RecordChunk(const std::string& path, std::uint32_t page_size, std::uint32_t first,
                    std::span<std::uint8_t> chunk, std::size_t got, PageLinkTable& pages) {
  JF_ASSERT_EQ(chunk.size() % page_size, 0u);
  const auto n = static_cast<std::uint32_t>(chunk.size() / page_size);
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::uint32_t pgno = first + i;
    if (got < std::size_t{i + 1} * page_size) {
      SetLastErrorDetail(fmt::format("{}: page {} is beyond the end of the file", path, pgno));
      return JET_errReadVerifyFailure;
    }
    const std::span<std::uint8_t> page = chunk.subspan(std::size_t{i} * page_size, page_size);
    const JET_ERR err = format::VerifyPage(page, pgno);
    if (err == JET_errPageNotInitialized) {
      pages.SetFree(pgno);
      continue;
    }
    if (err < 0) {
      SetLastErrorDetail(fmt::format("{}: page {} fails verification", path, pgno));
      return err;
    }
    pages.Set(pgno, format::LoadPageHeader(page));
  }
  return JET_errSuccess;
}

}  // namespace

void PageLinkTable::Resize(std::uint32_t pgno_last) { entries_.resize(std::size_t{pgno_last} + 1); }

void PageLinkTable::Set(std::uint32_t pgno, const format::PageHeader& header) {
  JF_ASSERT_GE(pgno, 1u);
  JF_ASSERT_LE(pgno, pgno_last());
  JF_ASSERT_LE(header.flags, 0xffffu);
  entries_[pgno] = {header.pgno_prev, header.pgno_next, header.objid, static_cast<std::uint16_t>(header.flags), true};
}

void PageLinkTable::SetFree(std::uint32_t pgno) {
  JF_ASSERT_GE(pgno, 1u);
  JF_ASSERT_LE(pgno, pgno_last());
  entries_[pgno] = {};
}

const PageLinkTable::Entry* PageLinkTable::Find(std::uint32_t pgno) const {
  if (pgno == 0 || pgno >= entries_.size() || !entries_[pgno].valid) return nullptr;
  return &entries_[pgno];
}

std::vector<BrokenLink> FindBrokenLinks(const PageLinkTable& pages) { return LinkChecker(pages).Run(); }

JET_ERR CheckPageLinks(const PageLinkTable& pages, std::string* detail) {
  const std::vector<BrokenLink> broken = FindBrokenLinks(pages);
  if (broken.empty()) return JET_errSuccess;
  *detail = fmt::format("page {}: {}", broken.front().pgno, broken.front().what);
  return JET_errBadPageLink;
}

JET_ERR VerifyDatabaseLinks(faultfs::Vfs& vfs, const std::string& path, std::uint32_t page_size, PageLinkTable* known,
                            const ChangedPages* changed) {
  JF_ASSERT_EQ(known == nullptr, changed == nullptr);
  std::unique_ptr<faultfs::File> file;
  if (auto s = vfs.Open(path, {faultfs::Access::kRead, faultfs::kShareRead, faultfs::Disposition::kOpenExisting},
                        &file);
      !s.ok()) {
    return Fail(s, "open " + path);
  }
  if (!faultfs::AllocationAllowed("restore-page")) return JET_errOutOfMemory;
  std::vector<std::uint8_t> bytes(2 * std::size_t{page_size});
  std::size_t got = 0;
  if (auto s = file->Read(0, bytes, &got); !s.ok()) return Fail(s, "read " + path);
  if (got != bytes.size()) {
    SetLastErrorDetail(path + ": shorter than its header pair");
    return JET_errReadVerifyFailure;
  }
  format::DbHeader header;
  const std::span<std::uint8_t> all(bytes);
  if (JET_ERR err = format::DecodeDbHeaderPair(all.first(page_size), all.subspan(page_size, page_size), &header);
      err < 0) {
    SetLastErrorDetail(path + ": both header copies are invalid");
    return err;
  }
  PageLinkTable read_all;
  PageLinkTable& pages = known != nullptr ? *known : read_all;
  const std::uint32_t known_last = known != nullptr ? known->pgno_last() : 0;
  pages.Resize(header.pgno_last);
  // Pages whose entry is not already known to match the file: all of them, or those
  // changed since the table was filled and those past its end.
  auto must_read = [&](std::uint32_t pgno) { return pgno > known_last || changed->Contains(pgno); };
  // Read in chunks of consecutive pages, not one page per read, so that a full pass
  // runs at the device's (or the page cache's) streaming speed; never a chunk larger
  // than the database (a small one allocates only what it needs).
  const std::uint32_t chunk_pages = std::max<std::uint32_t>(
      1, std::min<std::uint32_t>(kReadChunkBytes / page_size, header.pgno_last));
  bytes.resize(std::size_t{chunk_pages} * page_size);
  for (std::uint32_t first = 1; first <= header.pgno_last;) {
    if (!must_read(first)) {
      ++first;
      continue;
    }
    std::uint32_t n = 1;
    while (n < chunk_pages && first + n <= header.pgno_last && must_read(first + n)) ++n;
    const std::span<std::uint8_t> chunk(bytes.data(), std::size_t{n} * page_size);
    if (auto s = file->Read(format::DbPageOffset(first, page_size), chunk, &got); !s.ok())
      return Fail(s, "read " + path);
    if (JET_ERR err = RecordChunk(path, page_size, first, chunk, got, pages); err < 0) return err;
    first += n;
  }
  std::string detail;
  if (JET_ERR err = CheckPageLinks(pages, &detail); err < 0) {
    SetLastErrorDetail(path + ": " + detail);
    return err;
  }
  return JET_errSuccess;
}

}  // namespace jet::backup

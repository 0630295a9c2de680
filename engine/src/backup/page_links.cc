#include "backup/page_links.h"

#include <algorithm>
#include <memory>
#include <set>
#include <vector>

#include <fmt/format.h>

#include "core/io_error.h"
#include "faultfs/alloc_fault.h"
#include "format/db_header.h"

namespace jet::backup {

namespace {

constexpr std::uint32_t kReadChunkBytes = 1u << 20;

class LinkChecker {
 public:
  explicit LinkChecker(const std::map<std::uint32_t, format::PageHeader>& pages) : pages_(pages) {}

  std::vector<BrokenLink> Run() {
    for (const auto& [pgno, header] : pages_) Check(pgno, header);
    return std::move(broken_);
  }

 private:
  bool Check(std::uint32_t pgno, const format::PageHeader& header) {
    if (header.flags & format::kPageFlagLongValue) {
      if (header.pgno_prev != 0) return Bad(pgno, "prev", header.pgno_prev, "a long-value page has no prev link");
      if (header.pgno_next == 0) return true;
      const format::PageHeader* next = Target(pgno, "next", header.pgno_next);
      if (next == nullptr) return false;
      if (!(next->flags & format::kPageFlagLongValue) || next->objid != header.objid) {
        return Bad(pgno, "next", header.pgno_next, fmt::format("it is not a long-value page of tree {}", header.objid));
      }
      if (!chained_.insert(header.pgno_next).second) {
        return Bad(pgno, "next", header.pgno_next, "another long-value page links to it too");
      }
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

  bool Sibling(std::uint32_t pgno, const format::PageHeader& header, std::uint32_t target, bool forward) {
    if (target == 0) return true;
    const char* name = forward ? "next" : "prev";
    const format::PageHeader* other = Target(pgno, name, target);
    if (other == nullptr) return false;
    const std::uint32_t back = forward ? other->pgno_prev : other->pgno_next;
    if (back != pgno || other->objid != header.objid || !(other->flags & format::kPageFlagLeaf)) {
      return Bad(pgno, name, target,
                 fmt::format("it links back to {} (objid {} vs {}, flags {:#x})", back, other->objid, header.objid,
                             other->flags));
    }
    return true;
  }

  const format::PageHeader* Target(std::uint32_t pgno, const char* name, std::uint32_t target) {
    const auto it = pages_.find(target);
    if (it != pages_.end()) return &it->second;
    Bad(pgno, name, target, "it is not a valid page");
    return nullptr;
  }

  bool Bad(std::uint32_t pgno, const char* name, std::uint32_t target, const std::string& why) {
    broken_.push_back({pgno, fmt::format("{} link to page {}: {}", name, target, why)});
    return false;
  }

  const std::map<std::uint32_t, format::PageHeader>& pages_;
  std::set<std::uint32_t> chained_;  // long-value pages some chain links to
  std::vector<BrokenLink> broken_;
};

JET_ERR Fail(const faultfs::Status& status, const std::string& what) {
  SetLastErrorDetail(fmt::format("{}: {}", what, status.ToString()));
  return IoError(status, FileKind::kDatabase);
}

}  // namespace

std::vector<BrokenLink> FindBrokenLinks(const std::map<std::uint32_t, format::PageHeader>& pages) {
  return LinkChecker(pages).Run();
}

JET_ERR CheckPageLinks(const std::map<std::uint32_t, format::PageHeader>& pages, std::string* detail) {
  const std::vector<BrokenLink> broken = FindBrokenLinks(pages);
  if (broken.empty()) return JET_errSuccess;
  *detail = fmt::format("page {}: {}", broken.front().pgno, broken.front().what);
  return JET_errBadPageLink;
}

JET_ERR VerifyDatabaseLinks(faultfs::Vfs& vfs, const std::string& path, std::uint32_t page_size) {
  std::unique_ptr<faultfs::File> file;
  if (auto s = vfs.Open(path, {faultfs::Access::kRead, faultfs::kShareRead, faultfs::Disposition::kOpenExisting}, &file);
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
  // Read in chunks of pages, not one page per read: this pass runs over the whole
  // restored database and costs a full read of it, so it should run at the device's
  // (or the page cache's) streaming speed.
  const std::uint32_t chunk_pages =
      std::max<std::uint32_t>(1, std::min<std::uint32_t>(kReadChunkBytes / page_size, header.pgno_last));
  bytes.resize(std::size_t{chunk_pages} * page_size);
  std::map<std::uint32_t, format::PageHeader> pages;
  for (std::uint32_t first = 1; first <= header.pgno_last; first += chunk_pages) {
    const std::uint32_t n = std::min(chunk_pages, header.pgno_last - first + 1);
    const std::span<std::uint8_t> chunk(bytes.data(), std::size_t{n} * page_size);
    if (auto s = file->Read((std::uint64_t{first} + 1) * page_size, chunk, &got); !s.ok()) return Fail(s, "read " + path);
    for (std::uint32_t i = 0; i < n; ++i) {
      const std::uint32_t pgno = first + i;
      if (got < std::size_t{i + 1} * page_size) {
        SetLastErrorDetail(fmt::format("{}: page {} is beyond the end of the file", path, pgno));
        return JET_errReadVerifyFailure;
      }
      const std::span<std::uint8_t> page = chunk.subspan(std::size_t{i} * page_size, page_size);
      const JET_ERR err = format::VerifyPage(page, pgno);
      if (err == JET_errPageNotInitialized) continue;  // a free page
      if (err < 0) {
        SetLastErrorDetail(fmt::format("{}: page {} fails verification", path, pgno));
        return err;
      }
      pages.emplace_hint(pages.end(), pgno, format::LoadPageHeader(page));
    }
  }
  std::string detail;
  if (JET_ERR err = CheckPageLinks(pages, &detail); err < 0) {
    SetLastErrorDetail(path + ": " + detail);
    return err;
  }
  return JET_errSuccess;
}

}  // namespace jet::backup

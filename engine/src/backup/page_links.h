// backup/page_links.h — the structural check restore runs on every database it has
// recovered, before it reports success: the B-tree sibling links must be consistent
// (the same rules as `jetutil check`). Page checksums say each page is intact; only
// the links say the pages still form the trees the catalog describes. A backup copy
// whose pages all have valid checksums but whose links are broken is refused with
// JET_errBadPageLink instead of being handed over as a restored database.
//
// The check runs after recovery, not on the copy in the set: an online backup copies
// pages at different moments, so the copy's links may be inconsistent until redo has
// brought every page to the end of the log. Restore still reads each page only once:
// the copy records every page's links in a PageLinkTable, and after recovery only the
// pages recovery changed (backup/page_writes.h) are read again and replace their entry.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "backup/page_writes.h"
#include "faultfs/vfs.h"
#include "format/page.h"
#include "jet/jet.h"

namespace jet::backup {

struct BrokenLink {
  std::uint32_t pgno;  // the page whose link is wrong
  std::string what;    // "next link to page 7: it links back to 3 (...)"
};

// What the link rules need of each page 1..pgno_last of a database, 16 bytes a page
// (2 MiB per GiB of 8 KiB pages): its links, tree and flags, or that it is free (not
// initialised, or not recorded).
class PageLinkTable {
 public:
  struct Entry {
    std::uint32_t pgno_prev = 0;
    std::uint32_t pgno_next = 0;
    std::uint32_t objid = 0;
    std::uint16_t flags = 0;  // format::kPageFlag* (every defined bit fits in 16)
    bool valid = false;       // an initialised page that passed format::VerifyPage
  };

  // Pages 1..pgno_last; entries past the old end start free, entries past the new end go.
  void Resize(std::uint32_t pgno_last);
  std::uint32_t pgno_last() const { return entries_.empty() ? 0 : static_cast<std::uint32_t>(entries_.size() - 1); }
  // The links of a page that passed format::VerifyPage as pgno (1..pgno_last).
  void Set(std::uint32_t pgno, const format::PageHeader& header);
  void SetFree(std::uint32_t pgno);
  // The valid page pgno, or null (free, or outside 1..pgno_last).
  const Entry* Find(std::uint32_t pgno) const;

 private:
  std::vector<Entry> entries_;  // by pgno; [0] unused
};

// Every link that breaks these rules (also what `jetutil check` lists):
//  * leaf pages form a doubly linked list per tree (next's prev is the page, same objid);
//  * long-value pages link forward only, within their tree, no page reached twice;
//  * internal pages have no sibling links.
std::vector<BrokenLink> FindBrokenLinks(const PageLinkTable& pages);
// JET_errBadPageLink with *detail naming the first broken link, or success.
JET_ERR CheckPageLinks(const PageLinkTable& pages, std::string* detail);

// Checks the database at path with pages of page_size bytes: its header pair, the
// checksum of every page 1..pgno_last (an all-zero page is free) and then the links.
// Without `known`, every page is read (1 MiB chunks). With `known` (the table of the
// file as it was when `changed` began to be recorded), only the pages `changed`
// holds, and those past known's end, are read; their entries in *known are replaced.
// Either way a success means every page of the file passes the same checks. Read
// failures map as kDatabase.
JET_ERR VerifyDatabaseLinks(faultfs::Vfs& vfs, const std::string& path, std::uint32_t page_size,
                            PageLinkTable* known = nullptr, const ChangedPages* changed = nullptr);

}  // namespace jet::backup

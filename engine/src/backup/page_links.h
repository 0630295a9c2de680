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
// The table's memory is bounded (JET_paramRestoreLinkMemoryMax): beyond it the entries
// live in a scratch file, and the check answers exactly as from memory.
#pragma once

#include <cstdint>
#include <memory>
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
//
// A table made with a Spill keeps its entries in memory while they fit in
// spill.memory_bytes; beyond that they live in the file spill.path (created, or
// replaced, the moment they no longer fit), read and written in blocks through a cache
// of at most memory_bytes (never less than two 4 KiB blocks). The file is scratch: it
// is never synced, and a crash may leave it behind; the owner deletes it with
// Discard(). Errors of the spill file map as kDatabase with a detail naming it.
class PageLinkTable {
 public:
  struct Entry {
    std::uint32_t pgno_prev = 0;
    std::uint32_t pgno_next = 0;
    std::uint32_t objid = 0;
    std::uint16_t flags = 0;   // format::kPageFlag* (every defined bit fits in 16; higher bits are dropped)
    std::uint8_t valid = 0;    // 1: an initialised page that passed format::VerifyPage
    std::uint8_t chained = 0;  // FindBrokenLinks: a long-value chain links to this page
  };

  struct Spill {
    faultfs::Vfs* vfs = nullptr;
    std::string path;
    std::uint64_t memory_bytes = 0;  // 0: unlimited (never spills)
  };

  PageLinkTable();  // all in memory
  explicit PageLinkTable(Spill spill);
  PageLinkTable(PageLinkTable&&) noexcept;
  PageLinkTable& operator=(PageLinkTable&&) noexcept;
  ~PageLinkTable();  // closes the spill file; it stays until Discard()

  // Pages 1..pgno_last; entries past the old end start free, entries past the new end go.
  // May create the spill file (and move the entries held in memory into it).
  JET_ERR Resize(std::uint32_t pgno_last);
  std::uint32_t pgno_last() const { return pgno_last_; }
  // The links of a page that passed format::VerifyPage as pgno (1..pgno_last).
  JET_ERR Set(std::uint32_t pgno, const format::PageHeader& header);
  JET_ERR SetFree(std::uint32_t pgno);
  // The entry of pgno; one with valid == 0 when the page is free or outside 1..pgno_last.
  JET_ERR Get(std::uint32_t pgno, Entry* out);
  // Sets pgno's (1..pgno_last) chained mark; *was says whether it was already set.
  JET_ERR MarkChained(std::uint32_t pgno, bool* was);
  // Clears every chained mark (no work unless MarkChained set one since).
  JET_ERR ClearMarks();
  // Whether the entries went to the spill file (which then exists until Discard()).
  bool spilled() const;
  // Closes and deletes the spill file if one was created; the table is empty after.
  JET_ERR Discard();

 private:
  class SpillFile;  // the file and its block cache
  JET_ERR StartSpill();
  JET_ERR Update(std::uint32_t pgno, const Entry& entry);

  Spill spill_;
  std::uint32_t pgno_last_ = 0;
  std::vector<Entry> entries_;       // in memory: by pgno, [0] unused
  std::unique_ptr<SpillFile> file_;  // spilled: every entry is here instead
  bool marked_ = false;              // some chained mark may be set
};

// Every link that breaks these rules (also what `jetutil check` lists), in page
// order, at most `limit` of them (0: all):
//  * leaf pages form a doubly linked list per tree (next's prev is the page, same objid);
//  * long-value pages link forward only, within their tree, no page reached twice;
//  * internal pages have no sibling links.
// Sets the table's chained marks (cleared first). Fails only with the spill file's errors.
JET_ERR FindBrokenLinks(PageLinkTable& pages, std::vector<BrokenLink>* broken, std::size_t limit = 0);
// JET_errBadPageLink with *detail naming the first broken link, or success (or the
// spill file's error).
JET_ERR CheckPageLinks(PageLinkTable& pages, std::string* detail);

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

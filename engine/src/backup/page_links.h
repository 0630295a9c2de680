// backup/page_links.h — the structural check restore runs on every database it has
// recovered, before it reports success: the B-tree sibling links must be consistent
// (the same rules as `jetutil check`). Page checksums say each page is intact; only
// the links say the pages still form the trees the catalog describes. A backup copy
// whose pages all have valid checksums but whose links are broken is refused with
// JET_errBadPageLink instead of being handed over as a restored database.
//
// The check runs after recovery, not on the copy in the set: an online backup copies
// pages at different moments, so the copy's links may be inconsistent until redo has
// brought every page to the end of the log.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "faultfs/vfs.h"
#include "format/page.h"
#include "jet/jet.h"

namespace jet::backup {

struct BrokenLink {
  std::uint32_t pgno;  // the page whose link is wrong
  std::string what;    // "next link to page 7: it links back to 3 (...)"
};

// pages: the header of every valid, initialised page by page number (free pages are
// absent). Every link that breaks these rules (also what `jetutil check` lists):
//  * leaf pages form a doubly linked list per tree (next's prev is the page, same objid);
//  * long-value pages link forward only, within their tree, no page reached twice;
//  * internal pages have no sibling links.
std::vector<BrokenLink> FindBrokenLinks(const std::map<std::uint32_t, format::PageHeader>& pages);
// JET_errBadPageLink with *detail naming the first broken link, or success.
JET_ERR CheckPageLinks(const std::map<std::uint32_t, format::PageHeader>& pages, std::string* detail);

// Reads the database at path with pages of page_size bytes (header pair, then pages 1..pgnoLast in 1 MiB chunks),
// verifies every page checksum and then the links. Read failures map as kDatabase.
JET_ERR VerifyDatabaseLinks(faultfs::Vfs& vfs, const std::string& path, std::uint32_t page_size);

}  // namespace jet::backup

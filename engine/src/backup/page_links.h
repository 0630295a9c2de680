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

#include "faultfs/vfs.h"
#include "format/page.h"
#include "jet/jet.h"

namespace jet::backup {

// pages: the header of every valid, initialised page by page number (free pages are
// absent). JET_errBadPageLink with *detail naming the first bad link, or success:
//  * leaf pages form a doubly linked list per tree (next's prev is the page, same objid);
//  * long-value pages link forward only, within their tree, no page reached twice;
//  * internal pages have no sibling links.
JET_ERR CheckPageLinks(const std::map<std::uint32_t, format::PageHeader>& pages, std::string* detail);

// Reads the database at path with pages of page_size bytes (header pair, then pages 1..pgnoLast one at a time),
// verifies every page checksum and then the links. Read failures map as kDatabase.
JET_ERR VerifyDatabaseLinks(faultfs::Vfs& vfs, const std::string& path, std::uint32_t page_size);

}  // namespace jet::backup

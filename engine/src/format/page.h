// format/page.h — database pages: ESE's 40-byte page header and jetfault's slotted
// node layout. Pure functions over a page-sized byte buffer; no I/O.
//
//   [0, 40)                     page header (ESE's PGHDR, see below)
//   [40, 40 + ibMicFree)        node bytes, packed upward (may hold holes after deletes)
//   ...free...
//   [size - 4*ctag, size)       tag array, tag i at size - 4*(i+1): u16 ib, u16 cb
//                               (ib relative to byte 40); tags are in key order
//
// Every page size (4..32 KiB) uses the 40-byte header with the old-format checksum
// (pgno << 32 | xor), so a page written to the wrong place is recognised; ESE's
// 16/32 KiB PGHDR2 is not used (documented deviation, docs/formats/database.md).
// Accessors that take a page assume it passed VerifyPage/ValidatePageLayout, and
// still bounds-check every node they return.
#pragma once

#include <cstdint>
#include <span>

#include "jet/jet.h"

namespace jet::format {

inline constexpr std::size_t kPageHeaderSize = 40;
inline constexpr std::size_t kTagSize = 4;

// fFlags bits (ESE's values).
inline constexpr std::uint32_t kPageFlagRoot = 0x1;
inline constexpr std::uint32_t kPageFlagLeaf = 0x2;
inline constexpr std::uint32_t kPageFlagParentOfLeaf = 0x4;
inline constexpr std::uint32_t kPageFlagEmpty = 0x8;
inline constexpr std::uint32_t kPageFlagSpaceTree = 0x20;
inline constexpr std::uint32_t kPageFlagLongValue = 0x80;

struct PageHeader {
  std::uint64_t checksum = 0;  // (pgno << 32) | xor
  std::uint64_t dbtime = 0;    // dbtimeDirtied: dbtime of the last change
  std::uint32_t pgno_prev = 0;
  std::uint32_t pgno_next = 0;
  std::uint32_t objid = 0;                // objidFDP: the tree the page belongs to
  std::uint16_t cb_free = 0;              // free bytes (contiguous + holes), tag slots excluded
  std::uint16_t cb_uncommitted_free = 0;  // always 0 (no deferred space reclaim)
  std::uint16_t ib_mic_free = 0;          // end of the packed node area, relative to byte 40
  std::uint16_t ctag = 0;                 // number of tags (nodes)
  std::uint32_t flags = 0;
  friend bool operator==(const PageHeader&, const PageHeader&) = default;
};

PageHeader LoadPageHeader(std::span<const std::uint8_t> page);
void StorePageHeader(std::span<std::uint8_t> page, const PageHeader& header);

// Initialises an empty page (zeros, header with cb_free set), checksum not yet set.
void InitPage(std::span<std::uint8_t> page, std::uint32_t objid, std::uint32_t flags, std::uint64_t dbtime);

// Sets the checksum for pgno (call right before writing the page out).
void SealPage(std::span<std::uint8_t> page, std::uint32_t pgno);

// Checks a page read from disk as pgno: JET_errPageNotInitialized (all zero),
// JET_errReadVerifyFailure (checksum), JET_errReadPgnoVerifyFailure (checksum valid
// for another page number), JET_errDatabaseCorrupted (checksum fine, layout broken).
JET_ERR VerifyPage(std::span<const std::uint8_t> page, std::uint32_t pgno);

// Structural check of header + tag array: every tag inside the node area, counts
// consistent with cb_free. JET_errDatabaseCorrupted otherwise.
JET_ERR ValidatePageLayout(std::span<const std::uint8_t> page);

// ---- nodes -----------------------------------------------------------------------
std::uint16_t NodeCount(std::span<const std::uint8_t> page);
// Bytes of node i; empty span if i or the tag is out of range.
std::span<const std::uint8_t> NodeAt(std::span<const std::uint8_t> page, std::size_t i);
std::span<std::uint8_t> MutableNodeAt(std::span<std::uint8_t> page, std::size_t i);
// Room for a new node of cb bytes (including its tag).
bool PageHasRoom(std::span<const std::uint8_t> page, std::size_t cb);
// Largest node that fits on an empty page of this size.
std::size_t MaxNodeSize(std::size_t page_size);
// Insert a node at index i (0..count). JET_errDatabaseCorrupted when there is no
// room or the index is out of range (callers check PageHasRoom first).
JET_ERR InsertNode(std::span<std::uint8_t> page, std::size_t i, std::span<const std::uint8_t> node);
JET_ERR ReplaceNode(std::span<std::uint8_t> page, std::size_t i, std::span<const std::uint8_t> node);
JET_ERR DeleteNode(std::span<std::uint8_t> page, std::size_t i);
// Removes every node (header fields other than counts unchanged).
void ClearNodes(std::span<std::uint8_t> page);

}  // namespace jet::format

#include "db/long_value.h"

#include <algorithm>
#include <cstring>

#include "format/page.h"
#include "jetfault/assert.h"

namespace jet::db {

std::size_t LongValueChunkSize(std::uint32_t page_size) { return format::MaxNodeSize(page_size); }

JET_ERR WriteLongValue(Database& db, std::uint32_t objid, std::span<const std::uint8_t> value, const LogMiniTxn& log,
                       std::uint32_t* first_pgno) {
  const std::size_t chunk = LongValueChunkSize(db.page_size());
  const std::size_t chunks = std::max<std::size_t>(1, (value.size() + chunk - 1) / chunk);
  std::uint32_t next = 0;
  for (std::size_t i = chunks; i-- > 0;) {
    std::span<const std::uint8_t> piece = value.subspan(i * chunk, std::min(chunk, value.size() - i * chunk));
    MiniTxn mtr(db);
    std::uint32_t pgno = 0;
    std::span<std::uint8_t> page;
    JET_ERR err = mtr.Allocate(objid, format::kPageFlagLongValue, &pgno, &page);
    if (err < 0) return err;
    JF_ASSERT_NE(pgno, 0u);  // allocation takes pages above the high-water mark
    // A chunk is the largest node a fresh page holds (LongValueChunkSize).
    JF_ASSERT(format::PageHasRoom(page, piece.size()));
    format::PageHeader h = format::LoadPageHeader(page);
    h.pgno_next = next;
    format::StorePageHeader(page, h);
    if ((err = format::InsertNode(page, 0, piece)) < 0) return err;
    if ((err = log(mtr)) < 0) return err;
    next = pgno;
  }
  *first_pgno = next;
  return JET_errSuccess;
}

JET_ERR ReadLongValue(Database& db, std::uint32_t objid, std::uint32_t first_pgno, std::uint32_t size,
                      std::span<std::uint8_t> out) {
  const std::size_t chunk = LongValueChunkSize(db.page_size());
  std::uint32_t pgno = first_pgno;
  std::size_t offset = 0;
  std::size_t remaining = size;
  std::size_t hops = 0;
  while (offset < out.size()) {
    if (pgno == 0) return JET_errBadPageLink;
    if (++hops > size / chunk + 2) return JET_errBadPageLink;  // a cycle
    std::span<const std::uint8_t> page;
    JET_ERR err = db.ReadPage(pgno, &page);
    if (err < 0) return err;
    format::PageHeader h = format::LoadPageHeader(page);
    if (!(h.flags & format::kPageFlagLongValue) || h.objid != objid || h.ctag != 1) return JET_errDatabaseCorrupted;
    std::span<const std::uint8_t> piece = format::NodeAt(page, 0);
    if (piece.size() != std::min(chunk, remaining)) return JET_errDatabaseCorrupted;
    std::size_t n = std::min(piece.size(), out.size() - offset);
    std::memcpy(out.data() + offset, piece.data(), n);
    offset += n;
    JF_ASSERT_LE(piece.size(), remaining);  // its size was checked against what is left
    remaining -= piece.size();
    pgno = h.pgno_next;
  }
  JF_ASSERT_EQ(offset, out.size());  // each copy stops at the end of out
  return JET_errSuccess;
}

}  // namespace jet::db

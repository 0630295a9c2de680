// format/db_header.h — the database file header (ESE's DBFILEHDR), pure codec.
//
// Page 0 of a database file is the header and page 1 an identical shadow copy; data
// page p lives at offset (p + 1) * page_size. The header occupies the first 748 bytes
// of its page (ESE's layout, so libesedb's esedbinfo can read it); the rest of the page
// is zero except for the jetfault fields documented in docs/formats/database.md.
// The checksum at offset 0 is ESE's old XOR checksum over the whole header page.
#pragma once

#include <cstdint>
#include <span>

#include "format/file_type.h"
#include "format/lgpos.h"
#include "format/page_size.h"
#include "format/signature.h"
#include "jet/jet.h"

namespace jet::format {

inline constexpr std::uint32_t kDbMagic = 0x89abcdef;
inline constexpr std::uint32_t kDbVersion = 0x620;     // ESE's ulVersion for Vista+ databases
inline constexpr std::uint32_t kDbUpdateMajor = 0x14;  // ulDaeUpdateMajor (offset 232)
inline constexpr std::size_t kDbHeaderSize = 748;      // sizeof(DBFILEHDR)

// Where database page `pgno` (data pages count from 1) sits in a database file or in
// its backup copy: file pages 0 and 1 hold the header and its shadow, so page p is
// file page p + 1. The one definition of that layout fact; everything that reads or
// writes a page by number goes through these.
inline constexpr std::uint64_t DbFilePage(std::uint64_t pgno) { return pgno + 1; }
inline constexpr std::uint64_t DbPageOffset(std::uint64_t pgno, std::uint64_t page_size) {
  return DbFilePage(pgno) * page_size;
}

// dbstate values (ESE's JET_dbstate*).
enum class DbState : std::uint32_t {
  kJustCreated = 1,
  kDirtyShutdown = 2,
  kCleanShutdown = 3,
};

// BKINFO: one backup's mark.
struct BackupInfo {
  Lgpos lgpos_mark;
  LogTime logtime_mark;
  std::int32_t gen_low = 0;
  std::int32_t gen_high = 0;
  friend bool operator==(const BackupInfo&, const BackupInfo&) = default;
};

struct DbHeader {
  std::uint32_t version = kDbVersion;
  std::uint64_t dbtime_dirtied = 0;  // highest dbtime whose page changes the file holds
  Signature sign_db;
  DbState dbstate = DbState::kJustCreated;
  Lgpos lgpos_consistent;  // zero unless clean
  LogTime logtime_consistent;
  LogTime logtime_attach;
  Lgpos lgpos_attach;
  LogTime logtime_detach;
  Lgpos lgpos_detach;
  std::uint32_t dbid = 0;
  Signature sign_log;
  BackupInfo bkinfo_full_prev;
  BackupInfo bkinfo_inc_prev;
  BackupInfo bkinfo_full_cur;
  std::uint32_t objid_last = 0;
  std::uint32_t page_size = 0;
  std::int32_t gen_min_required = 0;
  std::int32_t gen_max_required = 0;
  // jetfault fields (in bytes ESE leaves unused; see docs/formats/database.md):
  std::uint32_t pgno_last = 0;  // allocation high-water mark: highest allocated pgno

  friend bool operator==(const DbHeader&, const DbHeader&) = default;
};

// Offsets of the fields jetfault adds after DBFILEHDR (inside the header page).
// pgno_last is stored twice, at 1024 and 1028: the two equal words cancel in the XOR,
// so the checksum is the same whether a reader covers the whole page (ESE) or only
// DBFILEHDR (libesedb's esedbinfo). A header whose two words differ is corrupt.
inline constexpr std::size_t kDbHeaderOffPgnoLast = 1024;
inline constexpr std::size_t kDbHeaderOffPgnoLastTwin = 1028;

// Writes the header into a whole header page (page.size() == page_size), zeroing the
// rest, and sets the checksum.
void EncodeDbHeader(const DbHeader& header, std::span<std::uint8_t> page);

// Decodes one header copy. `page` is the bytes read at offset 0 (or page_size for the
// shadow): at least 4096 bytes. JET_errPageNotInitialized when all zero,
// JET_errInvalidDatabase when the magic or file type is wrong, JET_errReadVerifyFailure
// on a checksum mismatch, JET_errPageSizeMismatch when page.size() is smaller than the
// header's page size (the caller read too little), JET_errInvalidDatabase for an
// unsupported page size.
JET_ERR DecodeDbHeader(std::span<const std::uint8_t> page, DbHeader* out);

// Reads the page size a header copy claims without verifying anything else (0 when
// the bytes are too short); the caller then re-reads a whole page of that size.
std::uint32_t PeekDbPageSize(std::span<const std::uint8_t> bytes);

// Chooses between the two copies as ESE does: a valid primary wins; otherwise a valid
// shadow; otherwise the primary's error (JET_errReadVerifyFailure when both are bad).
JET_ERR DecodeDbHeaderPair(std::span<const std::uint8_t> primary, std::span<const std::uint8_t> shadow, DbHeader* out);

// Decodes the header pair at the start of a database file: pass the file's first
// 2 x 32 KiB (or all of it when shorter). The page size comes from the primary copy;
// when neither copy decodes at that size (the damaged primary may be the one whose
// page-size field is wrong, or zeroed, which reads as 4096), the shadow is tried at
// every legal page size. Errors as DecodeDbHeaderPair at the primary's size; an
// unreadable page size is JET_errReadVerifyFailure when the magic is right (a damaged
// header), JET_errInvalidDatabase otherwise.
JET_ERR DecodeDbFileHeader(std::span<const std::uint8_t> file_start, DbHeader* out);

}  // namespace jet::format

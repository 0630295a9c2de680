// format/backup_trailer.h — the last page of a database copy in a backup set: ESE's
// PATCHHDR ("the former patch file header", docs/ESE_FACTS.md §3.1), one page of page_size bytes:
//     0 u32 checksum (XorChecksum over the page)   4..39 zero (where a PGHDR would be)
//    40 char[8] magic "JFPATCH1"
//    48 BKINFO (lgposMark 8, logtimeMark 8, genLow i32, genHigh i32)
//    72 SIGNATURE signDb   100 SIGNATURE signLog
//   128 i32 lgenMinReq   132 i32 lgenMaxReq   136 i32 lgenMaxCommitted
//   140 u32 page size    144 u32 pgnoLast     rest zero
#pragma once

#include <cstdint>
#include <span>

#include "format/db_header.h"
#include "format/signature.h"
#include "jet/jet.h"

namespace jet::format {

struct BackupTrailer {
  BackupInfo bkinfo;
  Signature sign_db;
  Signature sign_log;
  std::int32_t gen_min_required = 0;
  std::int32_t gen_max_required = 0;
  std::int32_t gen_max_committed = 0;
  std::uint32_t page_size = 0;
  std::uint32_t pgno_last = 0;
  friend bool operator==(const BackupTrailer&, const BackupTrailer&) = default;
};

// page.size() must be the trailer's page size (>= 4096).
JET_ERR EncodeBackupTrailer(const BackupTrailer& trailer, std::span<std::uint8_t> page);
// JET_errBadPatchPage for a short page, a bad checksum or magic, or a page size field
// that is not page.size().
JET_ERR DecodeBackupTrailer(std::span<const std::uint8_t> page, BackupTrailer* out);

}  // namespace jet::format

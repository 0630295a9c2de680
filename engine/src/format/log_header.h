// format/log_header.h — the log file header (ESE's LGFILEHDR): the first 4096 bytes of
// every generation file, not shadowed (a generation is created as edbtmp.log, synced
// and only then renamed into place, so a live header is never torn).
//
// Offsets follow ESE (docs/ESE_FACTS.md §4.4); jetfault's own fields use space ESE leaves to
// dbms_param. docs/formats/log.md is the byte-by-byte reference:
//     0 u32 checksum        XorChecksum over the 4096 bytes
//     4 i32 lGeneration     8 u16 cbSec (4096)   10 u16 csecHeader (1)
//    12 u16 csecLGFile      file size in 4 KiB sectors, header included
//    14 u16 cbPageSize      database page size (4096..32768)
//    16 LOGTIME tmCreate    24 LOGTIME tmPrevGen (previous generation's tmCreate)
//    32 u32 major  36 u32 minor  40 u32 updateMajor
//    44 SIGNATURE signLog (28)
//    72 u32 fLGFlags        0x2 circular logging now, 0x4 circular logging ever
//    76 LGPOS lgposPrevGenEnd  end of the previous generation's valid records
//   667 u32 filetype (3)   671 attach list (2048 bytes, format/log_attach.h)
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "format/file_type.h"
#include "format/lgpos.h"
#include "format/log_attach.h"
#include "format/page_size.h"
#include "format/signature.h"
#include "jet/jet.h"

namespace jet::format {

inline constexpr std::size_t kLogSectorSize = 4096;
inline constexpr std::size_t kLogHeaderSize = 4096;
inline constexpr std::uint32_t kLogVersionMajor = 0x4A46;  // "JF"
inline constexpr std::uint32_t kLogVersionMinor = 1;
inline constexpr std::uint32_t kLogVersionUpdate = 0;
inline constexpr std::uint32_t kLogFlagCircularCurrent = 0x2;
inline constexpr std::uint32_t kLogFlagCircularHistory = 0x4;

namespace log_header_offset {
inline constexpr std::size_t kChecksum = 0;
inline constexpr std::size_t kGeneration = 4;
inline constexpr std::size_t kCbSec = 8;
inline constexpr std::size_t kCsecHeader = 10;
inline constexpr std::size_t kCsecLGFile = 12;
inline constexpr std::size_t kCbPageSize = 14;
inline constexpr std::size_t kTmCreate = 16;
inline constexpr std::size_t kTmPrevGen = 24;
inline constexpr std::size_t kVersionMajor = 32;
inline constexpr std::size_t kVersionMinor = 36;
inline constexpr std::size_t kVersionUpdate = 40;
inline constexpr std::size_t kSignLog = 44;
inline constexpr std::size_t kFlags = 72;
inline constexpr std::size_t kPrevGenEnd = 76;
inline constexpr std::size_t kFileType = kFileTypeOffset;
inline constexpr std::size_t kAttach = 671;
}  // namespace log_header_offset

struct LogFileHeader {
  std::int32_t generation = 0;
  std::uint16_t csec_file = 0;  // sectors in the file, header included
  std::uint32_t page_size = 0;
  LogTime tm_create;
  LogTime tm_prev_gen;
  Signature sign_log;
  std::uint32_t flags = 0;
  Lgpos prev_generation_end;
  std::vector<AttachInfo> attach;
  friend bool operator==(const LogFileHeader&, const LogFileHeader&) = default;
};

// Encodes into exactly kLogHeaderSize bytes. JET_errInvalidParameter when a field is
// out of range or the attach list does not fit.
JET_ERR EncodeLogFileHeader(const LogFileHeader& header, std::span<std::uint8_t, kLogHeaderSize> out);
// Parses and verifies a header: fewer than 4096 bytes or a bad checksum or an
// impossible field -> JET_errLogFileCorrupt; filetype != 3 -> JET_errFileInvalidType;
// unknown version -> JET_errBadLogVersion.
JET_ERR DecodeLogFileHeader(std::span<const std::uint8_t> bytes, LogFileHeader* out);

}  // namespace jet::format

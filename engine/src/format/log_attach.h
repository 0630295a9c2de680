// format/log_attach.h — the attach list (ESE's rgbAttach / ATTACHINFO) stored in every
// log file header (offset 671) and in the checkpoint (offset 679): which databases
// were attached, so redo can open them before it meets their attach records.
//
// Encoding inside a fixed region of kAttachRegionSize bytes (unused bytes are zero):
//   u16 count, then `count` entries of
//     u32 dbid | u32 page_size | LGPOS lgposAttach | LGPOS lgposConsistent |
//     SIGNATURE signDb (28) | u16 cbPath | cbPath bytes of path (UTF-8, no NUL)
// docs/formats/log.md describes it byte by byte.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "format/lgpos.h"
#include "format/signature.h"
#include "jet/jet.h"

namespace jet::format {

// A database attached to the instance (log::AttachInfo is this type).
struct AttachInfo {
  std::uint32_t dbid = 0;
  std::string path;
  Signature sign_db;
  Lgpos lgpos_attach;
  Lgpos lgpos_consistent;
  std::uint32_t page_size = 0;
  friend bool operator==(const AttachInfo&, const AttachInfo&) = default;
};

inline constexpr std::size_t kAttachRegionSize = 2048;
inline constexpr std::size_t kAttachEntryFixedSize = 54;

// Bytes the list needs (2 + per entry 54 + path length).
std::size_t AttachListSize(const std::vector<AttachInfo>& list);
// Writes the list into region (zero-filling the rest). JET_errInvalidParameter when it
// does not fit or a path contains NUL or is longer than 0xFFFF bytes.
JET_ERR EncodeAttachList(const std::vector<AttachInfo>& list, std::span<std::uint8_t> region);
// Parses a region. Any length that runs past the region, or a NUL in a path, is
// JET_errLogFileCorrupt (the caller maps it to its own file's corruption code).
JET_ERR DecodeAttachList(std::span<const std::uint8_t> region, std::vector<AttachInfo>* out);

}  // namespace jet::format

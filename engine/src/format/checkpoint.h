// format/checkpoint.h — one copy of the checkpoint file (ESE's CHECKPOINT). edb.chk
// holds two identical 4096-byte copies, at offsets 0 and 4096 (log/checkpoint_file.cc).
//
// Offsets follow ESE (docs/ESE_FACTS.md §4.5); jetfault's backup bookkeeping uses the space ESE
// gives to dbms_param and its backup fields. docs/formats/log.md is the reference:
//     0 u32 checksum (XorChecksum over the 4096 bytes)
//     4 LGPOS lgposLastFullBackupCheckpoint (0)   12 LGPOS lgposCheckpoint
//    20 SIGNATURE signLog (28)
//    48 LGPOS lgposFullBackup   56 LOGTIME logtimeFullBackup
//    64 LGPOS lgposIncBackup    72 LOGTIME logtimeIncBackup
//    80 u32 fVersion (0x1: attach info present)
//    84 i32 full backup genLow  88 i32 full backup genHigh
//   667 u32 filetype (4)   679 attach list (2048 bytes, format/log_attach.h)
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "format/file_type.h"
#include "format/lgpos.h"
#include "format/log_attach.h"
#include "format/signature.h"
#include "jet/jet.h"

namespace jet::format {

inline constexpr std::size_t kCheckpointCopySize = 4096;

namespace checkpoint_offset {
inline constexpr std::size_t kChecksum = 0;
inline constexpr std::size_t kLastFullBackupCheckpoint = 4;
inline constexpr std::size_t kCheckpoint = 12;
inline constexpr std::size_t kSignLog = 20;
inline constexpr std::size_t kFullBackup = 48;
inline constexpr std::size_t kFullBackupTime = 56;
inline constexpr std::size_t kIncBackup = 64;
inline constexpr std::size_t kIncBackupTime = 72;
inline constexpr std::size_t kVersion = 80;
inline constexpr std::size_t kFullBackupGenLow = 84;
inline constexpr std::size_t kFullBackupGenHigh = 88;
inline constexpr std::size_t kFileType = kFileTypeOffset;
inline constexpr std::size_t kAttach = 679;
}  // namespace checkpoint_offset

// The checkpoint's contents (log::Checkpoint is this type).
struct Checkpoint {
  Lgpos checkpoint;  // redo starts here: all page changes before it are on disk and
                     // no transaction still open began before it
  Signature sign_log;
  std::vector<AttachInfo> attach;
  Lgpos lgpos_full_backup;  // last full backup's mark (zero: none)
  std::int32_t full_backup_gen_low = 0;
  std::int32_t full_backup_gen_high = 0;
  Lgpos lgpos_inc_backup;
  friend bool operator==(const Checkpoint&, const Checkpoint&) = default;
};

// Encodes one copy. JET_errInvalidParameter when the attach list does not fit.
JET_ERR EncodeCheckpoint(const Checkpoint& checkpoint, std::span<std::uint8_t, kCheckpointCopySize> out);
// Parses one copy: short or bad checksum or bad attach list -> JET_errCheckpointCorrupt;
// valid checksum but filetype != 4 -> JET_errFileInvalidType.
JET_ERR DecodeCheckpoint(std::span<const std::uint8_t> bytes, Checkpoint* out);

}  // namespace jet::format

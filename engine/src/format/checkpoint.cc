#include "format/checkpoint.h"

#include <algorithm>

#include "format/checksum.h"
#include "format/log_fields.h"

namespace jet::format {

namespace off = checkpoint_offset;

namespace {
constexpr std::uint32_t kVersionAttachPresent = 0x1;
}  // namespace

JET_ERR EncodeCheckpoint(const Checkpoint& checkpoint, std::span<std::uint8_t, kCheckpointCopySize> out) {
  std::fill(out.begin(), out.end(), std::uint8_t{0});
  std::uint8_t* p = out.data();
  StoreLgpos(p + off::kCheckpoint, checkpoint.checkpoint);
  StoreSignature(p + off::kSignLog, checkpoint.sign_log);
  StoreLgpos(p + off::kFullBackup, checkpoint.lgpos_full_backup);
  StoreLgpos(p + off::kIncBackup, checkpoint.lgpos_inc_backup);
  StoreU32(p + off::kVersion, kVersionAttachPresent);
  StoreU32(p + off::kFullBackupGenLow, static_cast<std::uint32_t>(checkpoint.full_backup_gen_low));
  StoreU32(p + off::kFullBackupGenHigh, static_cast<std::uint32_t>(checkpoint.full_backup_gen_high));
  StoreU32(p + off::kFileType, kFileTypeCheckpoint);
  if (JET_ERR err = EncodeAttachList(checkpoint.attach, out.subspan(off::kAttach, kAttachRegionSize)); err < 0) {
    return err;
  }
  StoreU32(p + off::kChecksum, XorChecksum(out));
  return JET_errSuccess;
}

JET_ERR DecodeCheckpoint(std::span<const std::uint8_t> bytes, Checkpoint* out) {
  if (bytes.size() < kCheckpointCopySize) return JET_errCheckpointCorrupt;
  const std::span<const std::uint8_t> block = bytes.first(kCheckpointCopySize);
  const std::uint8_t* p = block.data();
  if (LoadU32(p + off::kChecksum) != XorChecksum(block)) return JET_errCheckpointCorrupt;
  if (LoadU32(p + off::kFileType) != kFileTypeCheckpoint) return JET_errFileInvalidType;
  if (LoadU32(p + off::kVersion) != kVersionAttachPresent) return JET_errCheckpointCorrupt;
  Checkpoint c;
  c.checkpoint = LoadLgpos(p + off::kCheckpoint);
  c.sign_log = LoadSignature(p + off::kSignLog);
  c.lgpos_full_backup = LoadLgpos(p + off::kFullBackup);
  c.lgpos_inc_backup = LoadLgpos(p + off::kIncBackup);
  c.full_backup_gen_low = static_cast<std::int32_t>(LoadU32(p + off::kFullBackupGenLow));
  c.full_backup_gen_high = static_cast<std::int32_t>(LoadU32(p + off::kFullBackupGenHigh));
  if (DecodeAttachList(block.subspan(off::kAttach, kAttachRegionSize), &c.attach) < 0) return JET_errCheckpointCorrupt;
  *out = std::move(c);
  return JET_errSuccess;
}

}  // namespace jet::format

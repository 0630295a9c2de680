#include "format/log_header.h"

#include <algorithm>

#include "format/checksum.h"
#include "format/log_fields.h"

namespace jet::format {

namespace off = log_header_offset;

JET_ERR EncodeLogFileHeader(const LogFileHeader& header, std::span<std::uint8_t, kLogHeaderSize> out) {
  if (header.csec_file < 2 || !IsSupportedPageSize(header.page_size) || header.generation <= 0) {
    return JET_errInvalidParameter;
  }
  std::fill(out.begin(), out.end(), std::uint8_t{0});
  std::uint8_t* p = out.data();
  StoreU32(p + off::kGeneration, static_cast<std::uint32_t>(header.generation));
  StoreU16(p + off::kCbSec, static_cast<std::uint16_t>(kLogSectorSize));
  StoreU16(p + off::kCsecHeader, 1);
  StoreU16(p + off::kCsecLGFile, header.csec_file);
  StoreU16(p + off::kCbPageSize, static_cast<std::uint16_t>(header.page_size));
  StoreLogTime(p + off::kTmCreate, header.tm_create);
  StoreLogTime(p + off::kTmPrevGen, header.tm_prev_gen);
  StoreU32(p + off::kVersionMajor, kLogVersionMajor);
  StoreU32(p + off::kVersionMinor, kLogVersionMinor);
  StoreU32(p + off::kVersionUpdate, kLogVersionUpdate);
  StoreSignature(p + off::kSignLog, header.sign_log);
  StoreU32(p + off::kFlags, header.flags);
  StoreLgpos(p + off::kPrevGenEnd, header.prev_generation_end);
  StoreU32(p + off::kFileType, kFileTypeLog);
  if (JET_ERR err = EncodeAttachList(header.attach, out.subspan(off::kAttach, kAttachRegionSize)); err < 0) {
    return err;
  }
  StoreU32(p + off::kChecksum, XorChecksum(out));
  return JET_errSuccess;
}

JET_ERR DecodeLogFileHeader(std::span<const std::uint8_t> bytes, LogFileHeader* out) {
  if (bytes.size() < kLogHeaderSize) return JET_errLogFileCorrupt;
  const std::span<const std::uint8_t> block = bytes.first(kLogHeaderSize);
  const std::uint8_t* p = block.data();
  if (LoadU32(p + off::kChecksum) != XorChecksum(block)) return JET_errLogFileCorrupt;
  if (LoadU32(p + off::kFileType) != kFileTypeLog) return JET_errFileInvalidType;
  if (LoadU32(p + off::kVersionMajor) != kLogVersionMajor || LoadU32(p + off::kVersionMinor) != kLogVersionMinor) {
    return JET_errBadLogVersion;
  }
  if (LoadU16(p + off::kCbSec) != kLogSectorSize || LoadU16(p + off::kCsecHeader) != 1) return JET_errLogFileCorrupt;
  LogFileHeader h;
  h.generation = static_cast<std::int32_t>(LoadU32(p + off::kGeneration));
  h.csec_file = LoadU16(p + off::kCsecLGFile);
  h.page_size = LoadU16(p + off::kCbPageSize);
  if (h.generation <= 0 || h.csec_file < 2 || !IsSupportedPageSize(h.page_size)) return JET_errLogFileCorrupt;
  h.tm_create = LoadLogTime(p + off::kTmCreate);
  h.tm_prev_gen = LoadLogTime(p + off::kTmPrevGen);
  h.sign_log = LoadSignature(p + off::kSignLog);
  h.flags = LoadU32(p + off::kFlags);
  h.prev_generation_end = LoadLgpos(p + off::kPrevGenEnd);
  if (JET_ERR err = DecodeAttachList(block.subspan(off::kAttach, kAttachRegionSize), &h.attach); err < 0) return err;
  *out = std::move(h);
  return JET_errSuccess;
}

}  // namespace jet::format

#include "format/log_segment.h"

#include "format/checksum.h"
#include "format/log_fields.h"

namespace jet::format {

namespace {
// The segment header's fields (docs/formats/log.md, "Segments").
constexpr std::size_t kOffSlot = 4;  // high half of the checksum
constexpr std::size_t kOffLgposSegment = 8;
constexpr std::size_t kOffLogtime = 16;
constexpr std::size_t kOffLgposDurable = 24;
constexpr std::size_t kOffIbEnd = 32;
constexpr std::size_t kOffFlags = 34;
constexpr std::size_t kOffReserved = 36;

std::uint64_t SegmentChecksum(std::span<const std::uint8_t> segment, std::uint16_t isec) {
  return (static_cast<std::uint64_t>(isec) << 32) | XorChecksum(segment);
}

std::uint32_t RecordCrc(std::span<const std::uint8_t> header_first8, std::span<const std::uint8_t> payload) {
  return Crc32cExtend(Crc32c(header_first8), payload);
}
}  // namespace

JET_ERR SealLogSegment(const LogSegmentHeader& header, std::span<std::uint8_t> segment) {
  if (segment.size() != kLogSegmentSize || header.ib_end < kLogSegmentHeaderSize || header.ib_end > kLogSegmentSize ||
      (header.flags != 0 && !header.is_shadow()) || header.lgpos_segment.isec == 0 || header.slot_isec() > 0xFFFF) {
    return JET_errInvalidParameter;
  }
  const auto slot = static_cast<std::uint16_t>(header.slot_isec());
  std::uint8_t* p = segment.data();
  StoreU32(p + kOffSlot, slot);  // high half of the checksum, covered by the XOR
  StoreLgpos(p + kOffLgposSegment, header.lgpos_segment);
  StoreLogTime(p + kOffLogtime, header.logtime);
  StoreLgpos(p + kOffLgposDurable, header.lgpos_durable);
  StoreU16(p + kOffIbEnd, header.ib_end);
  StoreU16(p + kOffFlags, header.flags);
  StoreU32(p + kOffReserved, 0);
  StoreU64(p, SegmentChecksum(segment, slot));
  return JET_errSuccess;
}

JET_ERR VerifyLogSegment(std::span<const std::uint8_t> segment, std::int32_t generation, std::uint16_t isec,
                         LogSegmentHeader* out) {
  if (segment.size() != kLogSegmentSize) return JET_errLogReadVerifyFailure;
  const std::uint8_t* p = segment.data();
  if (LoadU64(p) != SegmentChecksum(segment, isec)) return JET_errLogReadVerifyFailure;
  LogSegmentHeader h;
  h.lgpos_segment = LoadLgpos(p + kOffLgposSegment);
  h.logtime = LoadLogTime(p + kOffLogtime);
  h.lgpos_durable = LoadLgpos(p + kOffLgposDurable);
  h.ib_end = LoadU16(p + kOffIbEnd);
  h.flags = LoadU16(p + kOffFlags);
  if (h.flags != 0 && !h.is_shadow()) return JET_errLogReadVerifyFailure;
  // A data segment names its own place, a shadow the segment it copies (so isec >= 2).
  if (h.lgpos_segment.isec == 0 || h.lgpos_segment.ib != 0 || h.lgpos_segment.generation != generation ||
      h.slot_isec() != isec) {
    return JET_errLogReadVerifyFailure;
  }
  if (h.ib_end < kLogSegmentHeaderSize || h.ib_end > kLogSegmentSize) return JET_errLogReadVerifyFailure;
  *out = h;
  return JET_errSuccess;
}

JET_ERR VerifyLogSegmentAnySlot(std::span<const std::uint8_t> segment, std::int32_t generation, LogSegmentHeader* out) {
  if (segment.size() != kLogSegmentSize) return JET_errLogReadVerifyFailure;
  LogSegmentHeader named;
  named.lgpos_segment = LoadLgpos(segment.data() + kOffLgposSegment);
  named.flags = LoadU16(segment.data() + kOffFlags);
  const std::uint32_t slot = named.slot_isec();
  if (slot == 0 || slot > 0xFFFF) return JET_errLogReadVerifyFailure;
  return VerifyLogSegment(segment, generation, static_cast<std::uint16_t>(slot), out);
}

Lgpos UnverifiedLogSegmentDurable(std::span<const std::uint8_t> segment) {
  if (segment.size() < kLogSegmentHeaderSize) return Lgpos{};
  return LoadLgpos(segment.data() + kOffLgposDurable);
}

void EncodeLogRecordHeader(std::uint8_t type, std::span<const std::uint8_t> payload,
                           std::span<std::uint8_t, kLogRecordHeaderSize> out) {
  std::uint8_t* p = out.data();
  p[0] = type;
  p[1] = 0;
  StoreU16(p + 2, 0);
  StoreU32(p + 4, static_cast<std::uint32_t>(payload.size()));
  StoreU32(p + 8, RecordCrc(out.first(8), payload));
}

JET_ERR DecodeLogRecordHeader(std::span<const std::uint8_t, kLogRecordHeaderSize> bytes, LogRecordHeader* out) {
  const std::uint8_t* p = bytes.data();
  if (p[1] != 0 || LoadU16(p + 2) != 0) return JET_errLogFileCorrupt;
  out->type = p[0];
  out->payload_size = LoadU32(p + 4);
  out->crc = LoadU32(p + 8);
  return JET_errSuccess;
}

bool LogRecordCrcMatches(std::span<const std::uint8_t, kLogRecordHeaderSize> header_bytes,
                         std::span<const std::uint8_t> payload) {
  return LoadU32(header_bytes.data() + 8) == RecordCrc(header_bytes.first(8), payload);
}

}  // namespace jet::format

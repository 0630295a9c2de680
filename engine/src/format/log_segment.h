// format/log_segment.h — the body of a log file: 4 KiB segments carrying a byte
// stream of framed records.
//
// Segment isec (>= 1; sector 0 is the file header) lives at file offset isec*4096:
//     0 u64 checksum      (isec << 32) | XorChecksum(segment)  (ESE's old page style;
//                         the XOR covers bytes 4..4095, so the isec word too)
//     8 LGPOS lgposSegment   (generation, isec, ib 0): catches misplaced writes
//    16 LOGTIME logtime      when the segment was written
//    24 LGPOS lgposDurable   everything before it was durable (synced) when this
//                            segment was written — the torn-tail rule (ARCHITECTURE rule 3)
//    32 u16 ibEnd            end of the record bytes in this segment (40..4096)
//    34 u16 flags            0, or kLogSegmentFlagShadow   36 u32 reserved (0)
//    40 .. ibEnd             record stream bytes
// A segment is written once, by one flush; a partial segment is sealed by that flush
// and the next record starts in the next segment. After a sync, the flush also writes
// a *shadow* of its last segment k into slot k+1 (ESE's shadow sector): the same
// record bytes, flagged, lgposSegment still naming k, lgposDurable the new durable
// position, checksummed with the slot's isec k+1 so that a copy read anywhere else is
// invalid. The next flush overwrites the shadow with data; a shadow slot is the only
// place ever rewritten.
//
// Records are framed as a 12-byte header and the payload, and may span segments (but
// never generations):
//     0 u8 type   1 u8 flags (0)   2 u16 reserved (0)   4 u32 cbPayload
//     8 u32 Crc32cExtend(Crc32c(header bytes 0..7), payload) (format/checksum.h: not
//       the CRC-32C of the two together; docs/formats/log.md)
#pragma once

#include <cstdint>
#include <span>

#include "format/lgpos.h"
#include "format/signature.h"
#include "jet/jet.h"

namespace jet::format {

inline constexpr std::size_t kLogSegmentSize = 4096;
inline constexpr std::size_t kLogSegmentHeaderSize = 40;
inline constexpr std::size_t kLogSegmentDataSize = kLogSegmentSize - kLogSegmentHeaderSize;
inline constexpr std::size_t kLogRecordHeaderSize = 12;
inline constexpr std::uint16_t kLogSegmentFlagShadow = 0x1;

// Where generation `generation`'s first record starts: the first record byte of
// segment 1 (sector 0 is the file header).
inline constexpr Lgpos FirstRecordLgpos(std::int32_t generation) {
  return Lgpos{static_cast<std::uint16_t>(kLogSegmentHeaderSize), 1, generation};
}

struct LogSegmentHeader {
  Lgpos lgpos_segment;  // (generation, isec, 0)
  LogTime logtime;
  Lgpos lgpos_durable;
  std::uint16_t ib_end = kLogSegmentHeaderSize;
  std::uint16_t flags = 0;  // 0 or kLogSegmentFlagShadow
  friend bool operator==(const LogSegmentHeader&, const LogSegmentHeader&) = default;

  bool is_shadow() const { return flags == kLogSegmentFlagShadow; }
  // The sector this image belongs in: lgposSegment's, or the next one for a shadow.
  std::uint32_t slot_isec() const { return lgpos_segment.isec + (is_shadow() ? 1u : 0u); }
};

// Writes the header into the first 40 bytes of a 4096-byte segment whose record bytes
// are already in place, then stamps the checksum (with header.slot_isec()).
// JET_errInvalidParameter for a bad ib_end or flags, a shadow of no segment (isec 0
// or 0xFFFF), or a segment of the wrong size.
JET_ERR SealLogSegment(const LogSegmentHeader& header, std::span<std::uint8_t> segment);

// Verifies a segment read from sector `isec` of generation `generation`: size,
// checksum (computed with `isec`), flags, lgposSegment and ib_end. Accepts both a data
// segment of that place (lgposSegment (generation, isec, 0), flags 0) and the shadow of
// the previous one (lgposSegment (generation, isec - 1, 0), kLogSegmentFlagShadow);
// out->is_shadow() tells which. JET_errLogReadVerifyFailure when it is neither (torn,
// zero, corrupt or misplaced); the reader decides whether that is a torn tail or
// corruption.
JET_ERR VerifyLogSegment(std::span<const std::uint8_t> segment, std::int32_t generation, std::uint16_t isec,
                         LogSegmentHeader* out);

// Verifies a segment as an intact segment of whichever slot of `generation` its own
// header names (lgposSegment and flags): what a write misdirected onto another sector
// leaves there. JET_errLogReadVerifyFailure unless VerifyLogSegment accepts it for that
// slot.
JET_ERR VerifyLogSegmentAnySlot(std::span<const std::uint8_t> segment, std::int32_t generation, LogSegmentHeader* out);

// The lgposDurable a segment's header claims, without verifying anything (bytes
// 24..31; zero for a short span). For a segment that failed verification: its header
// sits in the first 512 bytes, so after a torn write it is either the writer's whole
// header or what was there before, and a claim naming this generation is still the
// writer's word (ARCHITECTURE rule 3).
Lgpos UnverifiedLogSegmentDurable(std::span<const std::uint8_t> segment);

struct LogRecordHeader {
  std::uint8_t type = 0;
  std::uint32_t payload_size = 0;
  std::uint32_t crc = 0;
};

void EncodeLogRecordHeader(std::uint8_t type, std::span<const std::uint8_t> payload,
                           std::span<std::uint8_t, kLogRecordHeaderSize> out);
// Parses the 12 header bytes. Nonzero flags/reserved -> JET_errLogFileCorrupt.
JET_ERR DecodeLogRecordHeader(std::span<const std::uint8_t, kLogRecordHeaderSize> bytes, LogRecordHeader* out);
// True when payload matches the header's crc.
bool LogRecordCrcMatches(std::span<const std::uint8_t, kLogRecordHeaderSize> header_bytes,
                         std::span<const std::uint8_t> payload);

}  // namespace jet::format

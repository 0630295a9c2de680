// Round trips and corruption cases of the log-side codecs: log file header, attach
// list, segment header, record framing, checkpoint copy.
#include <array>

#include <gtest/gtest.h>

#include "format/checkpoint.h"
#include "format/checksum.h"
#include "format/log_attach.h"
#include "format/log_header.h"
#include "format/log_segment.h"
#include "log_test_util.h"

namespace jet::format {
namespace {

std::vector<AttachInfo> SampleAttach() {
  AttachInfo a;
  a.dbid = 1;
  a.path = "/data/main.edb";
  a.sign_db = testing::TestSignature(77);
  a.lgpos_attach = Lgpos{40, 3, 2};
  a.lgpos_consistent = Lgpos{100, 1, 1};
  a.page_size = 8192;
  AttachInfo b = a;
  b.dbid = 2;
  b.path = "/data/other.edb";
  return {a, b};
}

LogFileHeader SampleHeader() {
  LogFileHeader h;
  h.generation = 0x1234;
  h.csec_file = 256;
  h.page_size = 32768;
  h.tm_create.bytes = {1, 2, 3, 4, 5, 6, 7, 8};
  h.tm_prev_gen.bytes = {9, 10, 11, 12, 1, 2, 3, 4};
  h.sign_log = testing::TestSignature(5);
  h.flags = kLogFlagCircularCurrent | kLogFlagCircularHistory;
  h.prev_generation_end = Lgpos{700, 12, 0x1233};
  h.attach = SampleAttach();
  return h;
}

TEST(LogFormat, HeaderRoundTripAtEsesOffsets) {
  std::array<std::uint8_t, kLogHeaderSize> bytes{};
  ASSERT_EQ(EncodeLogFileHeader(SampleHeader(), bytes), JET_errSuccess);
  EXPECT_EQ(LoadU32(bytes.data()), XorChecksum(bytes));
  EXPECT_EQ(LoadU32(bytes.data() + 4), 0x1234u);
  EXPECT_EQ(LoadU16(bytes.data() + 8), 4096u);
  EXPECT_EQ(LoadU16(bytes.data() + 10), 1u);
  EXPECT_EQ(LoadU16(bytes.data() + 12), 256u);
  EXPECT_EQ(LoadU16(bytes.data() + 14), 32768u);
  EXPECT_EQ(bytes[16], 1);
  EXPECT_EQ(bytes[24], 9);
  EXPECT_EQ(LoadU32(bytes.data() + 44), 5u);  // signLog.ulRandom
  EXPECT_EQ(LoadU32(bytes.data() + 667), 3u);
  EXPECT_EQ(LoadU16(bytes.data() + 671), 2u);  // attach count
  LogFileHeader decoded;
  ASSERT_EQ(DecodeLogFileHeader(bytes, &decoded), JET_errSuccess);
  EXPECT_EQ(decoded, SampleHeader());
}

TEST(LogFormat, HeaderEveryFlippedBitIsDetected) {
  std::array<std::uint8_t, kLogHeaderSize> bytes{};
  ASSERT_EQ(EncodeLogFileHeader(SampleHeader(), bytes), JET_errSuccess);
  for (std::size_t bit = 0; bit < bytes.size() * 8; bit += 7) {
    auto damaged = bytes;
    damaged[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    LogFileHeader decoded;
    EXPECT_EQ(DecodeLogFileHeader(damaged, &decoded), JET_errLogFileCorrupt) << "bit " << bit;
  }
}

// Re-stamps the checksum after an edit, to reach the checks behind it.
void Restamp(std::span<std::uint8_t> block) { StoreU32(block.data(), XorChecksum(block)); }

TEST(LogFormat, HeaderFieldChecks) {
  std::array<std::uint8_t, kLogHeaderSize> good{};
  ASSERT_EQ(EncodeLogFileHeader(SampleHeader(), good), JET_errSuccess);
  LogFileHeader decoded;
  EXPECT_EQ(DecodeLogFileHeader(std::span(good).first(4095), &decoded), JET_errLogFileCorrupt);

  auto edit = [&](std::size_t offset, std::uint32_t value, bool u16) {
    auto b = good;
    if (u16) {
      StoreU16(b.data() + offset, static_cast<std::uint16_t>(value));
    } else {
      StoreU32(b.data() + offset, value);
    }
    Restamp(b);
    return DecodeLogFileHeader(b, &decoded);
  };
  EXPECT_EQ(edit(667, 4, false), JET_errFileInvalidType);
  EXPECT_EQ(edit(32, 1, false), JET_errBadLogVersion);
  EXPECT_EQ(edit(8, 512, true), JET_errLogFileCorrupt);                // cbSec
  EXPECT_EQ(edit(10, 2, true), JET_errLogFileCorrupt);                 // csecHeader
  EXPECT_EQ(edit(12, 1, true), JET_errLogFileCorrupt);                 // csecLGFile too small
  EXPECT_EQ(edit(14, 2048, true), JET_errLogFileCorrupt);              // page size
  EXPECT_EQ(edit(4, 0, false), JET_errLogFileCorrupt);                 // generation 0
  EXPECT_EQ(edit(671, 0xFFFF, true), JET_errLogFileCorrupt);           // attach count beyond region
  EXPECT_EQ(edit(671 + 2 + 52, 0xFFFF, true), JET_errLogFileCorrupt);  // path length beyond region
}

TEST(LogFormat, AttachListBounds) {
  std::vector<AttachInfo> list;
  AttachInfo a;
  a.path = std::string(200, 'x');
  while (AttachListSize(list) + kAttachEntryFixedSize + a.path.size() <= kAttachRegionSize) list.push_back(a);
  std::array<std::uint8_t, kAttachRegionSize> region{};
  ASSERT_EQ(EncodeAttachList(list, region), JET_errSuccess);
  std::vector<AttachInfo> decoded;
  ASSERT_EQ(DecodeAttachList(region, &decoded), JET_errSuccess);
  EXPECT_EQ(decoded, list);
  list.push_back(a);
  EXPECT_EQ(EncodeAttachList(list, region), JET_errInvalidParameter);
  AttachInfo nul;
  nul.path = std::string("a\0b", 3);
  EXPECT_EQ(EncodeAttachList({nul}, region), JET_errInvalidParameter);
}

std::array<std::uint8_t, kLogSegmentSize> SampleSegment(std::uint16_t isec, std::uint16_t ib_end) {
  std::array<std::uint8_t, kLogSegmentSize> seg{};
  for (std::size_t i = kLogSegmentHeaderSize; i < ib_end; ++i) seg[i] = static_cast<std::uint8_t>(i * 7);
  LogSegmentHeader h;
  h.lgpos_segment = Lgpos{0, isec, 9};
  h.logtime.bytes = {1, 1, 1, 1, 1, 1, 1, 1};
  h.lgpos_durable = Lgpos{40, 3, 9};
  h.ib_end = ib_end;
  EXPECT_EQ(SealLogSegment(h, seg), JET_errSuccess);
  return seg;
}

TEST(LogFormat, SegmentRoundTripAndChecks) {
  auto seg = SampleSegment(5, 1000);
  LogSegmentHeader h;
  ASSERT_EQ(VerifyLogSegment(seg, 9, 5, &h), JET_errSuccess);
  EXPECT_EQ(h.lgpos_segment, (Lgpos{0, 5, 9}));
  EXPECT_EQ(h.lgpos_durable, (Lgpos{40, 3, 9}));
  EXPECT_EQ(h.ib_end, 1000);
  EXPECT_EQ(LoadU64(seg.data()) >> 32, 5u);  // (isec << 32) | xor
  // Misplaced: read at another sector or generation.
  EXPECT_EQ(VerifyLogSegment(seg, 9, 6, &h), JET_errLogReadVerifyFailure);
  EXPECT_EQ(VerifyLogSegment(seg, 8, 5, &h), JET_errLogReadVerifyFailure);
  // Any flipped bit.
  for (std::size_t bit = 0; bit < seg.size() * 8; bit += 13) {
    auto damaged = seg;
    damaged[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    EXPECT_EQ(VerifyLogSegment(damaged, 9, 5, &h), JET_errLogReadVerifyFailure) << "bit " << bit;
  }
  std::array<std::uint8_t, kLogSegmentSize> zero{};
  EXPECT_EQ(VerifyLogSegment(zero, 9, 5, &h), JET_errLogReadVerifyFailure);
  EXPECT_EQ(VerifyLogSegment(std::span(seg).first(100), 9, 5, &h), JET_errLogReadVerifyFailure);
  // ib_end out of range, even with a valid checksum.
  LogSegmentHeader bad;
  bad.lgpos_segment = Lgpos{0, 5, 9};
  bad.ib_end = 20;
  EXPECT_EQ(SealLogSegment(bad, seg), JET_errInvalidParameter);
  StoreU16(seg.data() + 32, 4097);
  StoreU64(seg.data(), (std::uint64_t{5} << 32) | XorChecksum(seg));
  EXPECT_EQ(VerifyLogSegment(seg, 9, 5, &h), JET_errLogReadVerifyFailure);
}

TEST(LogFormat, RecordHeaderRoundTrip) {
  const auto payload = testing::TestPayload(3, 100);
  std::array<std::uint8_t, kLogRecordHeaderSize> header{};
  EncodeLogRecordHeader(42, payload, header);
  LogRecordHeader h;
  ASSERT_EQ(DecodeLogRecordHeader(header, &h), JET_errSuccess);
  EXPECT_EQ(h.type, 42);
  EXPECT_EQ(h.payload_size, 100u);
  EXPECT_TRUE(LogRecordCrcMatches(header, payload));
  auto other = payload;
  other[50] ^= 1;
  EXPECT_FALSE(LogRecordCrcMatches(header, other));
  auto type_changed = header;
  type_changed[0] = 43;
  EXPECT_FALSE(LogRecordCrcMatches(type_changed, payload));
  header[1] = 1;  // flags must be zero
  EXPECT_EQ(DecodeLogRecordHeader(header, &h), JET_errLogFileCorrupt);
}

Checkpoint SampleCheckpoint() {
  Checkpoint c;
  c.checkpoint = Lgpos{80, 7, 12};
  c.sign_log = testing::TestSignature(9);
  c.attach = SampleAttach();
  c.lgpos_full_backup = Lgpos{40, 1, 10};
  c.full_backup_gen_low = 8;
  c.full_backup_gen_high = 11;
  c.lgpos_inc_backup = Lgpos{40, 1, 11};
  return c;
}

TEST(CheckpointFormat, RoundTripAtEsesOffsets) {
  std::array<std::uint8_t, kCheckpointCopySize> bytes{};
  ASSERT_EQ(EncodeCheckpoint(SampleCheckpoint(), bytes), JET_errSuccess);
  EXPECT_EQ(LoadU32(bytes.data()), XorChecksum(bytes));
  EXPECT_EQ(LoadU16(bytes.data() + 12), 80u);  // lgposCheckpoint.ib
  EXPECT_EQ(LoadU32(bytes.data() + 16), 12u);  // lgposCheckpoint.generation
  EXPECT_EQ(LoadU32(bytes.data() + 20), 9u);   // signLog.ulRandom
  EXPECT_EQ(LoadU32(bytes.data() + 667), 4u);
  EXPECT_EQ(LoadU16(bytes.data() + 679), 2u);
  Checkpoint decoded;
  ASSERT_EQ(DecodeCheckpoint(bytes, &decoded), JET_errSuccess);
  EXPECT_EQ(decoded, SampleCheckpoint());
}

TEST(CheckpointFormat, Corruption) {
  std::array<std::uint8_t, kCheckpointCopySize> bytes{};
  ASSERT_EQ(EncodeCheckpoint(SampleCheckpoint(), bytes), JET_errSuccess);
  Checkpoint decoded;
  for (std::size_t bit = 0; bit < bytes.size() * 8; bit += 11) {
    auto damaged = bytes;
    damaged[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
    EXPECT_EQ(DecodeCheckpoint(damaged, &decoded), JET_errCheckpointCorrupt) << "bit " << bit;
  }
  EXPECT_EQ(DecodeCheckpoint(std::span(bytes).first(4000), &decoded), JET_errCheckpointCorrupt);
  auto typed = bytes;
  StoreU32(typed.data() + 667, 3);
  Restamp(typed);
  EXPECT_EQ(DecodeCheckpoint(typed, &decoded), JET_errFileInvalidType);
  auto attach = bytes;
  StoreU16(attach.data() + 679, 0xFFFF);
  Restamp(attach);
  EXPECT_EQ(DecodeCheckpoint(attach, &decoded), JET_errCheckpointCorrupt);
}

}  // namespace
}  // namespace jet::format

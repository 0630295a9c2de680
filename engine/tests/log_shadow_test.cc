// The shadow of the last segment (docs/formats/log.md, ARCHITECTURE rule 3): every
// flush writes a copy of its last segment k into slot k+1, so at-rest damage to the
// last durable segment is repaired from the copy instead of reading as a torn tail,
// while a torn write of the next flush (which overwrites the copy) loses nothing
// that was synced.
#include <gtest/gtest.h>

#include "faultfs/mem_fs.h"
#include "faultfs/prng.h"
#include "format/log_segment.h"
#include "log/log.h"
#include "log_test_util.h"

namespace jet::log {
namespace {

using format::kLogSegmentSize;
using testing::ReadAllRecords;
using testing::SmallLogConfig;
using testing::TestPayload;
using testing::TestSignature;

constexpr const char* kLog = "/logs/edb.log";

std::vector<std::uint8_t> FileBytes(faultfs::MemFs& fs) {
  std::vector<std::uint8_t> bytes;
  EXPECT_TRUE(faultfs::ReadWholeFile(fs, kLog, &bytes).ok());
  return bytes;
}

std::span<const std::uint8_t> Slot(const std::vector<std::uint8_t>& file, std::uint32_t isec) {
  return std::span(file).subspan(std::size_t{isec} * kLogSegmentSize, kLogSegmentSize);
}

void ExpectRecords(const testing::ReadResult& result, const std::vector<std::vector<std::uint8_t>>& payloads,
                   std::size_t at_least, const std::string& context) {
  ASSERT_EQ(result.err, JET_errSuccess) << context;
  ASSERT_GE(result.records.size(), at_least) << context;
  ASSERT_LE(result.records.size(), payloads.size()) << context;
  for (std::size_t i = 0; i < result.records.size(); ++i) {
    ASSERT_EQ(result.records[i].payload, payloads[i]) << context << " record " << i;
  }
}

// A log whose last flush was synced: `synced` records, the last of them in segment
// `last_isec`, its shadow in last_isec + 1.
class LogShadowTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(fs_.MakeDir("/logs").ok()); }

  void Open(std::uint32_t sectors) {
    ASSERT_EQ(LogWriter::Create(SmallLogConfig(&fs_, sectors), TestSignature(7), 1, Lgpos{}, nullptr, &writer_),
              JET_errSuccess);
  }
  void Append(std::size_t size) {
    payloads_.push_back(TestPayload(static_cast<std::uint32_t>(payloads_.size()), size));
    Lgpos lgpos;
    ASSERT_EQ(writer_->Append(1, payloads_.back(), &lgpos), JET_errSuccess);
  }
  // Two synced flushes; the second ends in a partial segment.
  void WriteSynced() {
    Open(16);
    for (int i = 0; i < 4; ++i) Append(900);
    ASSERT_EQ(writer_->Flush(true), JET_errSuccess);
    for (int i = 0; i < 5; ++i) Append(1700);
    ASSERT_EQ(writer_->Flush(true), JET_errSuccess);
    synced_ = payloads_.size();
    last_isec_ = writer_->end().isec - 1u;
  }
  // Corrupts one byte of the stored log in a copy of the medium.
  std::unique_ptr<faultfs::MemFs> WithByte(const faultfs::MemFs& from, std::uint64_t at, std::uint8_t xor_mask) {
    auto image = from.Clone();
    std::vector<std::uint8_t> bytes = FileBytes(*image);
    std::uint8_t b = bytes[at] ^ xor_mask;
    EXPECT_TRUE(image->CorruptStored(kLog, at, std::span(&b, 1)).ok());
    return image;
  }

  faultfs::MemFs fs_;
  std::unique_ptr<LogWriter> writer_;
  std::vector<std::vector<std::uint8_t>> payloads_;
  std::size_t synced_ = 0;
  std::uint32_t last_isec_ = 0;
};

TEST(LogShadowFormat, ShadowVerifiesOnlyInTheNextSlot) {
  std::array<std::uint8_t, kLogSegmentSize> seg{};
  for (std::size_t i = 40; i < 900; ++i) seg[i] = static_cast<std::uint8_t>(i * 13);
  format::LogSegmentHeader h;
  h.lgpos_segment = Lgpos{0, 5, 9};
  h.lgpos_durable = Lgpos{40, 3, 9};
  h.ib_end = 900;
  h.flags = format::kLogSegmentFlagShadow;
  ASSERT_EQ(format::SealLogSegment(h, seg), JET_errSuccess);
  format::LogSegmentHeader got;
  ASSERT_EQ(format::VerifyLogSegment(seg, 9, 6, &got), JET_errSuccess);
  EXPECT_TRUE(got.is_shadow());
  EXPECT_EQ(got, h);
  EXPECT_EQ(format::VerifyLogSegment(seg, 9, 5, &got), JET_errLogReadVerifyFailure);  // not data of 5
  EXPECT_EQ(format::VerifyLogSegment(seg, 9, 7, &got), JET_errLogReadVerifyFailure);  // misplaced copy
  EXPECT_EQ(format::VerifyLogSegment(seg, 8, 6, &got), JET_errLogReadVerifyFailure);  // other generation
  // Unknown flags and a shadow of the header sector are refused both ways.
  h.flags = 2;
  EXPECT_EQ(format::SealLogSegment(h, seg), JET_errInvalidParameter);
  h.flags = format::kLogSegmentFlagShadow;
  h.lgpos_segment = Lgpos{0, 0, 9};
  EXPECT_EQ(format::SealLogSegment(h, seg), JET_errInvalidParameter);
}

TEST_F(LogShadowTest, EveryFlushLeavesAShadowOfItsLastSegment) {
  WriteSynced();
  const std::vector<std::uint8_t> file = FileBytes(fs_);
  format::LogSegmentHeader data;
  format::LogSegmentHeader shadow;
  ASSERT_EQ(format::VerifyLogSegment(Slot(file, last_isec_), 1, static_cast<std::uint16_t>(last_isec_), &data),
            JET_errSuccess);
  ASSERT_EQ(
      format::VerifyLogSegment(Slot(file, last_isec_ + 1), 1, static_cast<std::uint16_t>(last_isec_ + 1), &shadow),
      JET_errSuccess);
  EXPECT_FALSE(data.is_shadow());
  EXPECT_TRUE(shadow.is_shadow());
  // Written after the sync, it vouches for the whole flush.
  EXPECT_EQ(shadow.lgpos_durable, writer_->durable());
  EXPECT_LT(data.lgpos_durable, (Lgpos{0, static_cast<std::uint16_t>(last_isec_), 1}));
  shadow.flags = 0;
  shadow.lgpos_durable = data.lgpos_durable;
  EXPECT_EQ(shadow, data);
  // Same record bytes; the header differs only in the checksum, flags and lgposDurable.
  EXPECT_TRUE(std::equal(file.begin() + (last_isec_ * kLogSegmentSize) + 40,
                         file.begin() + (last_isec_ + 1) * kLogSegmentSize,
                         file.begin() + (last_isec_ + 1) * kLogSegmentSize + 40));
  ExpectRecords(ReadAllRecords(fs_, "/logs"), payloads_, payloads_.size(), "intact");
}

// (b) at-rest damage to the last durable segment: repaired from its shadow.
TEST_F(LogShadowTest, EveryByteOfTheLastDurableSegmentCorrupted) {
  WriteSynced();
  const Lgpos intact_end = ReadAllRecords(fs_, "/logs").valid_end;
  const std::uint64_t seed = 20261125;
  faultfs::SplitMix64 prng(seed);
  for (std::uint64_t at = std::uint64_t{last_isec_} * kLogSegmentSize; at < (last_isec_ + 1ull) * kLogSegmentSize;
       ++at) {
    auto image = WithByte(fs_, at, static_cast<std::uint8_t>(prng.Next() | 1));
    auto result = ReadAllRecords(*image, "/logs");
    ExpectRecords(result, payloads_, payloads_.size(), "seed " + std::to_string(seed) + " byte " + std::to_string(at));
    EXPECT_EQ(result.valid_end, intact_end) << "byte " << at;
  }
}

// Damage anywhere in the last synced flush (segments 2 … last): repaired from the
// shadow, or reported because the shadow proves it durable; never a silent loss.
TEST_F(LogShadowTest, CorruptionAnywhereInTheLastSyncedFlushIsNeverSilent) {
  WriteSynced();
  const std::uint64_t seed = 77;
  faultfs::SplitMix64 prng(seed);
  for (std::uint64_t at = 2 * kLogSegmentSize; at < (last_isec_ + 1ull) * kLogSegmentSize; at += 3) {
    auto result = ReadAllRecords(*WithByte(fs_, at, static_cast<std::uint8_t>(prng.Next() | 1)), "/logs");
    const std::string context = "seed " + std::to_string(seed) + " byte " + std::to_string(at);
    if (at < std::uint64_t{last_isec_} * kLogSegmentSize) {
      EXPECT_EQ(result.err, JET_errLogFileCorrupt) << context;
    } else {
      ExpectRecords(result, payloads_, payloads_.size(), context);
    }
  }
}

// Damage to the shadow alone: the segment it copies is intact and read normally.
TEST_F(LogShadowTest, EveryByteOfTheShadowCorrupted) {
  WriteSynced();
  const std::uint64_t seed = 1125;
  faultfs::SplitMix64 prng(seed);
  for (std::uint64_t at = (last_isec_ + 1ull) * kLogSegmentSize; at < (last_isec_ + 2ull) * kLogSegmentSize; ++at) {
    auto image = WithByte(fs_, at, static_cast<std::uint8_t>(prng.Next() | 1));
    ExpectRecords(ReadAllRecords(*image, "/logs"), payloads_, payloads_.size(),
                  "seed " + std::to_string(seed) + " byte " + std::to_string(at));
  }
}

// (a) the next flush's data write overwrites the shadow (the write a sync flush issues
// before its sync, so a crash can tear it). Whatever part of it reaches the medium (in
// 512-byte units: any prefix, any suffix, all but one unit, one unit), every synced
// record is still read, and what is read is a prefix of what was appended.
TEST_F(LogShadowTest, EveryTornVariantOfTheFollowingFlush) {
  WriteSynced();
  const auto before = fs_.Clone();
  const std::vector<std::uint8_t> old_file = FileBytes(fs_);
  for (int i = 0; i < 6; ++i) Append(1300);
  ASSERT_EQ(writer_->Flush(false), JET_errSuccess);
  const std::vector<std::uint8_t> new_file = FileBytes(fs_);
  const std::uint64_t begin = (last_isec_ + 1ull) * kLogSegmentSize;  // the old shadow's slot
  const std::uint64_t end = std::uint64_t{writer_->end().isec} * kLogSegmentSize;
  ASSERT_TRUE(std::equal(old_file.begin(), old_file.begin() + static_cast<std::ptrdiff_t>(begin), new_file.begin()));
  ASSERT_FALSE(std::equal(old_file.begin() + static_cast<std::ptrdiff_t>(begin),
                          old_file.begin() + static_cast<std::ptrdiff_t>(end),
                          new_file.begin() + static_cast<std::ptrdiff_t>(begin)));
  constexpr std::uint64_t kUnit = 512;
  const std::uint64_t units = (end - begin) / kUnit;
  // landed(u): whether unit u of the new write reached the medium in a variant.
  auto check = [&](const std::string& what, const std::function<bool(std::uint64_t)>& landed) {
    auto image = before->Clone();
    for (std::uint64_t u = 0; u < units; ++u) {
      if (!landed(u)) continue;
      const std::uint64_t off = begin + u * kUnit;
      ASSERT_TRUE(image->CorruptStored(kLog, off, std::span(new_file).subspan(off, kUnit)).ok());
    }
    ExpectRecords(ReadAllRecords(*image, "/logs"), payloads_, synced_, what);
  };
  for (std::uint64_t cut = 0; cut <= units; ++cut) {
    check("prefix of " + std::to_string(cut) + " units", [cut](std::uint64_t u) { return u < cut; });
    check("suffix from unit " + std::to_string(cut), [cut](std::uint64_t u) { return u >= cut; });
  }
  for (std::uint64_t k = 0; k < units; ++k) {
    check("all but unit " + std::to_string(k), [k](std::uint64_t u) { return u != k; });
    check("only unit " + std::to_string(k), [k](std::uint64_t u) { return u == k; });
  }
  // And the complete write reads back every record.
  ExpectRecords(ReadAllRecords(fs_, "/logs"), payloads_, payloads_.size(), "complete");
}

// (a)+(b) both at once: the next flush tore over the shadow, then the last durable
// segment rots. The torn flush's surviving segments prove that segment durable, so
// the loss is reported, never silent.
TEST_F(LogShadowTest, CorruptionAfterATornOverwriteOfTheShadowIsReported) {
  WriteSynced();
  for (int i = 0; i < 6; ++i) Append(1300);
  ASSERT_EQ(writer_->Flush(false), JET_errSuccess);
  auto image = fs_.Clone();
  std::vector<std::uint8_t> zero(kLogSegmentSize);
  ASSERT_TRUE(image->CorruptStored(kLog, (last_isec_ + 1ull) * kLogSegmentSize, zero).ok());  // torn unit
  auto damaged = WithByte(*image, last_isec_ * std::uint64_t{kLogSegmentSize} + 100, 0x40);
  EXPECT_EQ(ReadAllRecords(*damaged, "/logs").err, JET_errLogFileCorrupt);
}

// (c) the segment and its shadow both damaged, nothing written after them. The
// shadow was written only after the segment was synced, so while its header survives
// the loss is reported; when the damage reaches the shadow's header too, it cannot be
// told from a torn write of the flush before its sync and reads as a torn tail (the
// documented limit).
TEST_F(LogShadowTest, SegmentAndShadowBothDamaged) {
  WriteSynced();
  const std::uint64_t shadow_at = (last_isec_ + 1ull) * kLogSegmentSize;
  {
    auto image = WithByte(*WithByte(fs_, shadow_at - 100, 0x20), shadow_at + 1000, 0x20);
    EXPECT_EQ(ReadAllRecords(*image, "/logs").err, JET_errLogFileCorrupt);
  }
  {
    // 16 bytes straddling the boundary: the shadow's lgposDurable is intact.
    auto image = fs_.Clone();
    // (Varied bytes: identical u32 words would cancel out in the XOR checksum.)
    std::vector<std::uint8_t> junk = TestPayload(99, 16);
    ASSERT_TRUE(image->CorruptStored(kLog, shadow_at - 8, junk).ok());
    EXPECT_EQ(ReadAllRecords(*image, "/logs").err, JET_errLogFileCorrupt);
  }
  {
    // The limit: the shadow's header is gone as well.
    auto image = fs_.Clone();
    std::vector<std::uint8_t> junk = TestPayload(98, 64);
    ASSERT_TRUE(image->CorruptStored(kLog, shadow_at - 16, junk).ok());
    auto result = ReadAllRecords(*image, "/logs");
    ASSERT_EQ(result.err, JET_errSuccess);
    EXPECT_LT(result.records.size(), synced_);
  }
}

// (d) the last slot of the file only ever holds a shadow: the last data segment is
// csec-2, and damage to it is repaired like any other.
TEST_F(LogShadowTest, LastDataSegmentOfAFullGeneration) {
  constexpr std::uint32_t kSectors = 6;  // data segments 1..4, slot 5 for the shadow
  Open(kSectors);
  // Four records of exactly one segment each fill the generation.
  for (int i = 0; i < 4; ++i) Append(kLogSegmentSize - 40 - 12);
  ASSERT_EQ(writer_->Flush(true), JET_errSuccess);
  ASSERT_EQ(writer_->end().isec, kSectors - 1);
  const std::vector<std::uint8_t> file = FileBytes(fs_);
  format::LogSegmentHeader h;
  ASSERT_EQ(format::VerifyLogSegment(Slot(file, kSectors - 1), 1, kSectors - 1, &h), JET_errSuccess);
  EXPECT_TRUE(h.is_shadow());
  for (std::uint64_t at = (kSectors - 2ull) * kLogSegmentSize; at < (kSectors - 1ull) * kLogSegmentSize; at += 7) {
    ExpectRecords(ReadAllRecords(*WithByte(fs_, at, 0x08), "/logs"), payloads_, payloads_.size(),
                  "byte " + std::to_string(at));
  }
  // The next record goes to a new generation, which is read on after the shadow.
  Append(10);
  ASSERT_EQ(writer_->generation(), 2);
  ASSERT_EQ(writer_->Flush(true), JET_errSuccess);
  ExpectRecords(ReadAllRecords(fs_, "/logs"), payloads_, payloads_.size(), "after rollover");
}

// Segments written because the buffer filled up (not by a flush) get their shadow
// from the next flush, even when that flush has no new segment of its own to write.
TEST_F(LogShadowTest, FlushWithNothingBufferedStillShadowsTheLastSegment) {
  Open(80);
  // 65 one-segment records: more than the writer buffers, written as they fill.
  for (int i = 0; i < 65; ++i) Append(kLogSegmentSize - 40 - 12);
  const std::uint32_t last = writer_->end().isec - 1u;
  ASSERT_EQ(writer_->durable(), (Lgpos{40, 1, 1}));
  ASSERT_EQ(writer_->Flush(true), JET_errSuccess);
  ASSERT_EQ(writer_->end().isec, last + 1);
  for (std::uint64_t at = std::uint64_t{last} * kLogSegmentSize; at < (last + 1ull) * kLogSegmentSize; at += 97) {
    ExpectRecords(ReadAllRecords(*WithByte(fs_, at, 0x01), "/logs"), payloads_, payloads_.size(),
                  "byte " + std::to_string(at));
  }
}

}  // namespace
}  // namespace jet::log

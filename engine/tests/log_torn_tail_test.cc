// The torn-tail rule (ARCHITECTURE rule 3): damage to what the last flush wrote is a
// torn tail (a prefix of the records, no error); damage to a segment that a later
// segment proves durable is JET_errLogFileCorrupt.
#include <gtest/gtest.h>

#include "faultfs/mem_fs.h"
#include "faultfs/vfs.h"
#include "faultfs/prng.h"
#include "log/log.h"
#include "log_test_util.h"

namespace jet::log {
namespace {

using testing::ReadAllRecords;
using testing::SmallLogConfig;
using testing::TestPayload;
using testing::TestSignature;

struct Written {
  std::vector<std::vector<std::uint8_t>> payloads;
  std::size_t synced = 0;              // records made durable before the last flush
  std::uint64_t last_flush_begin = 0;  // file byte range the last flush wrote
  std::uint64_t last_flush_end = 0;
};

// Two synced flushes, then a last flush (not synced) of several segments.
Written WriteWithLastFlush(faultfs::MemFs& fs) {
  Written w;
  EXPECT_TRUE(fs.MakeDir("/logs").ok());
  std::unique_ptr<LogWriter> writer;
  EXPECT_EQ(LogWriter::Create(SmallLogConfig(&fs, 16), TestSignature(1), 1, Lgpos{}, nullptr, &writer), JET_errSuccess);
  auto append = [&](std::uint32_t id, std::size_t size) {
    w.payloads.push_back(TestPayload(id, size));
    Lgpos lgpos;
    EXPECT_EQ(writer->Append(1, w.payloads.back(), &lgpos), JET_errSuccess);
  };
  for (std::uint32_t i = 0; i < 5; ++i) append(i, 700);
  EXPECT_EQ(writer->Flush(true), JET_errSuccess);
  for (std::uint32_t i = 5; i < 8; ++i) append(i, 300);
  EXPECT_EQ(writer->Flush(true), JET_errSuccess);
  w.synced = w.payloads.size();
  w.last_flush_begin = std::uint64_t{writer->end().isec} * 4096;
  for (std::uint32_t i = 8; i < 14; ++i) append(i, 1500);
  EXPECT_EQ(writer->Flush(false), JET_errSuccess);
  w.last_flush_end = std::uint64_t{writer->end().isec} * 4096;
  return w;
}

void ExpectPrefix(const testing::ReadResult& result, const Written& w, const std::string& context) {
  ASSERT_EQ(result.err, JET_errSuccess) << context;
  ASSERT_GE(result.records.size(), w.synced) << context;
  ASSERT_LE(result.records.size(), w.payloads.size()) << context;
  for (std::size_t i = 0; i < result.records.size(); ++i) {
    ASSERT_EQ(result.records[i].payload, w.payloads[i]) << context << " record " << i;
  }
}

TEST(LogTornTail, EveryByteOfTheLastFlushTornToZeros) {
  faultfs::MemFs fs;
  const Written w = WriteWithLastFlush(fs);
  ASSERT_GT(w.last_flush_end - w.last_flush_begin, 4096u);
  std::size_t shortest = w.payloads.size();
  for (std::uint64_t cut = w.last_flush_begin; cut < w.last_flush_end; ++cut) {
    auto image = fs.Clone();
    // The write reached storage up to `cut`; the rest stayed as before (zeros).
    std::vector<std::uint8_t> zeros(w.last_flush_end - cut);
    ASSERT_TRUE(image->CorruptStored("/logs/edb.log", cut, zeros).ok());
    auto result = ReadAllRecords(*image, "/logs");
    ExpectPrefix(result, w, "cut at byte " + std::to_string(cut));
    shortest = std::min(shortest, result.records.size());
  }
  EXPECT_EQ(shortest, w.synced);
}

TEST(LogTornTail, EveryByteOfTheLastFlushGarbled) {
  faultfs::MemFs fs;
  const Written w = WriteWithLastFlush(fs);
  const std::uint64_t seed = 20240601;
  faultfs::SplitMix64 prng(seed);
  for (std::uint64_t at = w.last_flush_begin; at < w.last_flush_end; ++at) {
    auto image = fs.Clone();
    std::uint8_t byte = static_cast<std::uint8_t>(prng.Next() | 1);
    std::vector<std::uint8_t> current(1);
    std::unique_ptr<faultfs::File> f;
    ASSERT_TRUE(image->Open("/logs/edb.log", {}, &f).ok());
    std::size_t got = 0;
    ASSERT_TRUE(f->Read(at, current, &got).ok());
    f.reset();
    byte ^= current[0];
    ASSERT_TRUE(image->CorruptStored("/logs/edb.log", at, std::span(&byte, 1)).ok());
    ExpectPrefix(ReadAllRecords(*image, "/logs"), w, "seed " + std::to_string(seed) + " byte " + std::to_string(at));
  }
}

TEST(LogTornTail, FlippedBitInAnEarlierSyncedSegmentIsCorruption) {
  faultfs::MemFs fs;
  const Written w = WriteWithLastFlush(fs);
  // Every bit of the first (synced) segment: a later segment's lgposDurable covers it.
  for (std::uint64_t at = 4096; at < 2 * 4096; at += 5) {
    auto image = fs.Clone();
    std::vector<std::uint8_t> bytes;
    ASSERT_TRUE(faultfs::ReadWholeFile(*image, "/logs/edb.log", &bytes).ok());
    std::uint8_t flipped = bytes[at] ^ 0x10;
    ASSERT_TRUE(image->CorruptStored("/logs/edb.log", at, std::span(&flipped, 1)).ok());
    EXPECT_EQ(ReadAllRecords(*image, "/logs").err, JET_errLogFileCorrupt) << "byte " << at;
  }
}

// A misdirected write (faultfs `misdirect`): the shadow the last synced flush wrote
// after its segments lands on one of them instead of its own slot, which stays blank.
// No later slot then claims the clobbered segment durable, but the misplaced shadow
// does: its header carries the durable position of the flush that wrote it, past the
// slot it landed on. A torn write of that slot's own never claims that (it was written
// before the slot was durable), so the damage is corruption, not a torn tail
// (`jetfault run --seed 22`, lost-write, found it: the records lost silently).
TEST(LogTornTail, ShadowMisdirectedOntoASyncedSegmentIsCorruption) {
  faultfs::MemFs fs;
  ASSERT_TRUE(fs.MakeDir("/logs").ok());
  std::unique_ptr<LogWriter> writer;
  ASSERT_EQ(LogWriter::Create(SmallLogConfig(&fs, 16), TestSignature(1), 1, Lgpos{}, nullptr, &writer), JET_errSuccess);
  Lgpos lgpos;
  for (std::uint32_t i = 0; i < 3; ++i) ASSERT_EQ(writer->Append(1, TestPayload(i, 700), &lgpos), JET_errSuccess);
  ASSERT_EQ(writer->Flush(true), JET_errSuccess);
  const std::uint16_t first = writer->end().isec;  // the last flush's first slot
  for (std::uint32_t i = 3; i < 9; ++i) ASSERT_EQ(writer->Append(1, TestPayload(i, 1500), &lgpos), JET_errSuccess);
  ASSERT_EQ(writer->Flush(true), JET_errSuccess);
  const std::uint16_t shadow = writer->end().isec;  // where that flush put its shadow
  writer.reset();
  ASSERT_GE(shadow - first, 2) << "the last flush spans several segments";
  std::vector<std::uint8_t> bytes;
  ASSERT_TRUE(faultfs::ReadWholeFile(fs, "/logs/edb.log", &bytes).ok());
  const auto slot = [&](std::uint16_t isec) {
    return std::vector<std::uint8_t>(bytes.begin() + isec * 4096, bytes.begin() + (isec + 1) * 4096);
  };
  ASSERT_EQ(ReadAllRecords(fs, "/logs").err, JET_errSuccess);
  for (std::uint16_t target = first; target < shadow; ++target) {
    auto image = fs.Clone();
    ASSERT_TRUE(
        image->CorruptStored("/logs/edb.log", std::uint64_t{shadow} * 4096, std::vector<std::uint8_t>(4096)).ok());
    ASSERT_TRUE(image->CorruptStored("/logs/edb.log", std::uint64_t{target} * 4096, slot(shadow)).ok());
    EXPECT_EQ(ReadAllRecords(*image, "/logs").err, JET_errLogFileCorrupt)
        << "shadow of slot " << shadow - 1 << " landed on slot " << target;
  }
  // Its own slot left blank and nothing clobbered is the ordinary end of the log.
  auto blank = fs.Clone();
  ASSERT_TRUE(
      blank->CorruptStored("/logs/edb.log", std::uint64_t{shadow} * 4096, std::vector<std::uint8_t>(4096)).ok());
  auto result = ReadAllRecords(*blank, "/logs");
  EXPECT_EQ(result.err, JET_errSuccess);
  EXPECT_EQ(result.records.size(), 9u);
}

}  // namespace
}  // namespace jet::log

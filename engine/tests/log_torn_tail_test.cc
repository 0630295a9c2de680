// The torn-tail rule (ARCHITECTURE rule 3): damage to what the last flush wrote is a
// torn tail (a prefix of the records, no error); damage to a segment that a later
// segment proves durable is JET_errLogFileCorrupt.
#include <gtest/gtest.h>

#include "faultfs/mem_fs.h"
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

}  // namespace
}  // namespace jet::log

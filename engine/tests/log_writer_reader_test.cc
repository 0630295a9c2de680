// LogWriter -> LogReader round trips, generation rollover, chaining checks.
#include <gtest/gtest.h>

#include "base/io_error.h"
#include "faultfs/alloc_fault.h"
#include "faultfs/mem_fs.h"
#include "format/checksum.h"
#include "format/log_header.h"
#include "log/log.h"
#include "log_test_util.h"

namespace jet::log {
namespace {

using testing::ReadAllRecords;
using testing::SmallLogConfig;
using testing::TestPayload;
using testing::TestSignature;

class LogWriterReaderTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(fs_.MakeDir("/logs").ok()); }

  std::unique_ptr<LogWriter> NewWriter(std::uint32_t sectors = 8, std::int32_t generation = 1) {
    std::unique_ptr<LogWriter> writer;
    EXPECT_EQ(LogWriter::Create(SmallLogConfig(&fs_, sectors), TestSignature(1), generation, Lgpos{}, nullptr, &writer),
              JET_errSuccess);
    return writer;
  }

  // Appends n records with payload sizes cycling through sizes; returns their payloads.
  std::vector<std::vector<std::uint8_t>> AppendMany(LogWriter& w, int n, std::vector<std::size_t> sizes,
                                                    std::vector<Lgpos>* positions = nullptr) {
    std::vector<std::vector<std::uint8_t>> payloads;
    for (int i = 0; i < n; ++i) {
      payloads.push_back(TestPayload(static_cast<std::uint32_t>(i), sizes[static_cast<std::size_t>(i) % sizes.size()]));
      Lgpos lgpos;
      EXPECT_EQ(w.Append(static_cast<std::uint8_t>(i % 200), payloads.back(), &lgpos), JET_errSuccess);
      if (positions != nullptr) positions->push_back(lgpos);
    }
    return payloads;
  }

  faultfs::MemFs fs_;
};

TEST_F(LogWriterReaderTest, RoundTripAcrossSegmentsAndGenerations) {
  auto w = NewWriter(8);
  std::vector<Lgpos> positions;
  auto payloads = AppendMany(*w, 300, {0, 1, 11, 12, 100, 4055, 5000, 9000}, &positions);
  ASSERT_EQ(w->Flush(true), JET_errSuccess);
  EXPECT_GT(w->generation(), 3);
  for (std::size_t i = 1; i < positions.size(); ++i) EXPECT_LT(positions[i - 1], positions[i]);

  auto result = ReadAllRecords(fs_, "/logs");
  ASSERT_EQ(result.err, JET_errSuccess) << LastErrorDetail();
  ASSERT_EQ(result.records.size(), payloads.size());
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    EXPECT_EQ(result.records[i].payload, payloads[i]) << i;
    EXPECT_EQ(result.records[i].type, i % 200);
    EXPECT_EQ(result.records[i].lgpos, positions[i]);
  }
}

TEST_F(LogWriterReaderTest, FlushSealsAndEndMovesToNextSegment) {
  auto w = NewWriter();
  Lgpos a;
  ASSERT_EQ(w->Append(1, TestPayload(1, 10), &a), JET_errSuccess);
  EXPECT_EQ(a, (Lgpos{40, 1, 1}));
  EXPECT_EQ(w->end(), (Lgpos{62, 1, 1}));
  EXPECT_EQ(w->durable(), (Lgpos{40, 1, 1}));
  ASSERT_EQ(w->FlushTo(a), JET_errSuccess);
  EXPECT_EQ(w->end(), (Lgpos{40, 2, 1}));
  EXPECT_EQ(w->durable(), w->end());
  Lgpos b;
  ASSERT_EQ(w->Append(1, TestPayload(2, 10), &b), JET_errSuccess);
  EXPECT_EQ(b, (Lgpos{40, 2, 1}));
  // FlushTo of a durable position does nothing: b stays buffered.
  ASSERT_EQ(w->FlushTo(a), JET_errSuccess);
  EXPECT_EQ(ReadAllRecords(fs_, "/logs").records.size(), 1u);
  ASSERT_EQ(w->FlushTo(b), JET_errSuccess);
  EXPECT_EQ(ReadAllRecords(fs_, "/logs").records.size(), 2u);
}

TEST_F(LogWriterReaderTest, RecordTooBigAndOutOfMemory) {
  auto w = NewWriter(5);  // 3 data segments of 4056 bytes (the last slot is for a shadow)
  std::vector<std::uint8_t> big(3 * 4056 - 12 + 1);
  Lgpos lgpos;
  EXPECT_EQ(w->Append(1, big, &lgpos), JET_errRecordTooBig);
  big.pop_back();
  EXPECT_EQ(w->Append(1, big, &lgpos), JET_errSuccess);
  EXPECT_EQ(lgpos, (Lgpos{40, 1, 1}));
  {
    faultfs::AllocFaultInjector inject("log-buffer", 0, false);
    EXPECT_EQ(w->Append(1, TestPayload(1, 10), &lgpos), JET_errOutOfMemory);
    EXPECT_EQ(inject.failures(), 1u);
  }
  EXPECT_EQ(w->Append(1, TestPayload(1, 10), &lgpos), JET_errSuccess);
  ASSERT_EQ(w->Flush(true), JET_errSuccess);
  auto result = ReadAllRecords(fs_, "/logs");
  ASSERT_EQ(result.err, JET_errSuccess);
  ASSERT_EQ(result.records.size(), 2u);
  {
    faultfs::AllocFaultInjector inject("log-read-record", 0, false);
    EXPECT_EQ(ReadAllRecords(fs_, "/logs").err, JET_errOutOfMemory);
  }
}

TEST_F(LogWriterReaderTest, RolloverArchivesAndChainsHeaders) {
  auto w = NewWriter();
  std::vector<std::int32_t> archived;
  w->SetGenerationArchivedCallback([&](std::int32_t g) {
    archived.push_back(g);
    return JET_errSuccess;
  });
  AppendMany(*w, 3, {10});
  ASSERT_EQ(w->Roll(), JET_errSuccess);
  ASSERT_EQ(w->Roll(), JET_errSuccess);
  EXPECT_EQ(archived, (std::vector<std::int32_t>{1, 2}));
  EXPECT_EQ(w->generation(), 3);
  EXPECT_EQ(w->end(), (Lgpos{40, 1, 3}));
  std::vector<GenerationInfo> gens;
  ASSERT_EQ(ListGenerations(fs_, "/logs", "edb", &gens), JET_errSuccess);
  ASSERT_EQ(gens.size(), 3u);
  EXPECT_EQ(gens[0].path, "/logs/edb00001.log");
  EXPECT_EQ(gens[1].path, "/logs/edb00002.log");
  EXPECT_EQ(gens[2].path, "/logs/edb.log");
  EXPECT_EQ(gens[1].tm_prev_gen, gens[0].tm_create);
  EXPECT_EQ(gens[2].tm_prev_gen, gens[1].tm_create);
  EXPECT_EQ(gens[1].prev_generation_end, (Lgpos{static_cast<std::uint16_t>(40 + 3 * 22), 1, 1}));
  EXPECT_EQ(gens[2].prev_generation_end, (Lgpos{40, 1, 2}));  // generation 2 had no records
  bool exists = true;
  ASSERT_TRUE(fs_.Exists("/logs/edbtmp.log", &exists).ok());
  EXPECT_FALSE(exists);
  std::uint64_t size = 0;
  ASSERT_TRUE(fs_.FileSize("/logs/edb.log", &size).ok());
  EXPECT_EQ(size, 8u * 4096);  // preallocated
}

TEST_F(LogWriterReaderTest, CreateAfterRecoveryArchivesCurrentAndChains) {
  {
    auto w = NewWriter();
    AppendMany(*w, 5, {30});
    ASSERT_EQ(w->Flush(true), JET_errSuccess);
  }
  auto first = ReadAllRecords(fs_, "/logs");
  ASSERT_EQ(first.err, JET_errSuccess);
  // What recovery does: a new generation after the valid end of the last one.
  std::unique_ptr<LogWriter> w;
  ASSERT_EQ(LogWriter::Create(SmallLogConfig(&fs_), TestSignature(1), 2, first.valid_end, nullptr, &w), JET_errSuccess);
  AppendMany(*w, 2, {30});
  ASSERT_EQ(w->Flush(true), JET_errSuccess);
  auto all = ReadAllRecords(fs_, "/logs");
  ASSERT_EQ(all.err, JET_errSuccess) << LastErrorDetail();
  EXPECT_EQ(all.records.size(), 7u);
  // Creating a generation that edb.log already holds is refused.
  w.reset();
  EXPECT_EQ(LogWriter::Create(SmallLogConfig(&fs_), TestSignature(1), 2, Lgpos{}, nullptr, &w),
            JET_errInvalidLogSequence);
}

TEST_F(LogWriterReaderTest, DeleteGenerationsBelow) {
  auto w = NewWriter(4);
  for (int i = 0; i < 4; ++i) ASSERT_EQ(w->Roll(), JET_errSuccess);
  ASSERT_EQ(w->DeleteGenerationsBelow(3), JET_errSuccess);
  std::vector<std::string> names;
  ASSERT_TRUE(fs_.ListDir("/logs", &names).ok());
  EXPECT_EQ(names, (std::vector<std::string>{"edb.log", "edb00003.log", "edb00004.log"}));
}

// Rewrites a generation's header through a mutation, keeping its checksum valid.
void EditHeader(faultfs::MemFs& fs, const std::string& path, const std::function<void(format::LogFileHeader&)>& edit) {
  std::vector<std::uint8_t> bytes;
  ASSERT_TRUE(faultfs::ReadWholeFile(fs, path, &bytes).ok());
  format::LogFileHeader header;
  ASSERT_EQ(format::DecodeLogFileHeader(bytes, &header), JET_errSuccess);
  edit(header);
  std::array<std::uint8_t, format::kLogHeaderSize> out{};
  ASSERT_EQ(format::EncodeLogFileHeader(header, out), JET_errSuccess);
  ASSERT_TRUE(fs.CorruptStored(path, 0, out).ok());
}

class LogChainTest : public LogWriterReaderTest {
 protected:
  void SetUp() override {
    LogWriterReaderTest::SetUp();
    auto w = NewWriter();
    AppendMany(*w, 3, {10});
    ASSERT_EQ(w->Roll(), JET_errSuccess);
    AppendMany(*w, 3, {10});
    ASSERT_EQ(w->Roll(), JET_errSuccess);
    AppendMany(*w, 3, {10});
    ASSERT_EQ(w->Flush(true), JET_errSuccess);
    ASSERT_EQ(ReadAllRecords(fs_, "/logs").records.size(), 9u);
  }
};

TEST_F(LogChainTest, MissingGeneration) {
  ASSERT_TRUE(fs_.Delete("/logs/edb00002.log").ok());
  EXPECT_EQ(ReadAllRecords(fs_, "/logs").err, JET_errMissingLogFile);
}

TEST_F(LogChainTest, OtherLineage) {
  EditHeader(fs_, "/logs/edb00002.log", [](format::LogFileHeader& h) { h.sign_log = TestSignature(99); });
  EXPECT_EQ(ReadAllRecords(fs_, "/logs").err, JET_errBadLogSignature);
}

TEST_F(LogChainTest, PrevGenTimeMismatch) {
  EditHeader(fs_, "/logs/edb.log", [](format::LogFileHeader& h) { h.tm_prev_gen.bytes[0] ^= 1; });
  EXPECT_EQ(ReadAllRecords(fs_, "/logs").err, JET_errInvalidLogSequence);
}

TEST_F(LogChainTest, DataLostFromEndOfArchivedLog) {
  // Generation 1's only segment is zeroed: its shadow (sector 2) stands in for it.
  std::vector<std::uint8_t> zero(4096);
  ASSERT_TRUE(fs_.CorruptStored("/logs/edb00001.log", 4096, zero).ok());
  EXPECT_EQ(ReadAllRecords(fs_, "/logs").records.size(), 9u);
  // With the shadow zeroed too it looks like a torn tail, but generation 2 says
  // generation 1's records ended later.
  ASSERT_TRUE(fs_.CorruptStored("/logs/edb00001.log", 2 * 4096, zero).ok());
  EXPECT_EQ(ReadAllRecords(fs_, "/logs").err, JET_errLogFileCorrupt);
}

TEST_F(LogChainTest, NameDisagreesWithHeader) {
  ASSERT_TRUE(fs_.Rename("/logs/edb00002.log", "/logs/edb00007.log").ok());
  std::vector<GenerationInfo> gens;
  EXPECT_EQ(ListGenerations(fs_, "/logs", "edb", &gens), JET_errLogGenerationMismatch);
}

TEST_F(LogChainTest, CorruptArchivedHeaderAndWrongSize) {
  std::uint8_t junk = 0x5A;
  ASSERT_TRUE(fs_.CorruptStored("/logs/edb00001.log", 100, std::span(&junk, 1)).ok());
  std::vector<GenerationInfo> gens;
  EXPECT_EQ(ListGenerations(fs_, "/logs", "edb", &gens), JET_errLogFileCorrupt);
  std::unique_ptr<faultfs::File> f;
  ASSERT_TRUE(fs_.Open("/logs/edb00002.log",
                       {faultfs::Access::kReadWrite, faultfs::kShareAll, faultfs::Disposition::kOpenExisting}, &f)
                  .ok());
  ASSERT_TRUE(f->Truncate(4096 * 3).ok());
  ASSERT_TRUE(fs_.Delete("/logs/edb00001.log").ok());
  EXPECT_EQ(ListGenerations(fs_, "/logs", "edb", &gens), JET_errLogFileSizeMismatch);
}

TEST_F(LogChainTest, ReaderStartsMidLogAndReportsGeneration) {
  std::vector<GenerationInfo> gens;
  ASSERT_EQ(ListGenerations(fs_, "/logs", "edb", &gens), JET_errSuccess);
  std::unique_ptr<LogReader> reader;
  ASSERT_EQ(LogReader::Open(fs_, gens, Lgpos{40 + 22, 1, 2}, &reader), JET_errSuccess);
  LogRecord record;
  bool end = false;
  ASSERT_EQ(reader->Next(&record, &end), JET_errSuccess);
  EXPECT_EQ(record.lgpos, (Lgpos{40 + 22, 1, 2}));
  EXPECT_EQ(reader->generation(), 2);
  int n = 1;
  while (reader->Next(&record, &end) == JET_errSuccess && !end) ++n;
  EXPECT_EQ(n, 5);
  EXPECT_EQ(reader->generation(), 3);
  EXPECT_EQ(LogReader::Open(fs_, gens, Lgpos{40, 1, 9}, &reader), JET_errMissingLogFile);
}

}  // namespace
}  // namespace jet::log

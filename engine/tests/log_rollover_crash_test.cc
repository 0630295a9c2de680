// A crash at any point of a generation rollover (or of the creation of the first
// generation) leaves a log directory that reads back as a prefix covering every
// synced record, and in which recovery can start the next generation.
#include <gtest/gtest.h>

#include "faultfs/mem_fs.h"
#include "log/log.h"
#include "log_test_util.h"

namespace jet::log {
namespace {

using testing::CrashAfterVfs;
using testing::ReadAllRecords;
using testing::SmallLogConfig;
using testing::TestPayload;
using testing::TestSignature;

// What recovery does with a crash image: read everything, start the next generation
// after the valid end, append, and read everything again.
void RecoverAndContinue(faultfs::MemFs& image, std::size_t min_records, const std::string& context) {
  auto result = ReadAllRecords(image, "/logs");
  std::vector<std::string> names;
  (void)image.ListDir("/logs", &names);
  std::string listing;
  for (auto& n : names) listing += n + " ";
  ASSERT_EQ(result.err, JET_errSuccess) << context << " files: " << listing;
  ASSERT_GE(result.records.size(), min_records) << context << " files: " << listing;
  for (std::size_t i = 0; i < result.records.size(); ++i) {
    ASSERT_EQ(result.records[i].payload, TestPayload(static_cast<std::uint32_t>(i), 100)) << context;
  }
  std::vector<GenerationInfo> gens;
  ASSERT_EQ(ListGenerations(image, "/logs", "edb", &gens), JET_errSuccess) << context;
  const std::int32_t next = gens.empty() ? 1 : gens.back().generation + 1;
  const Lgpos prev_end = gens.empty() ? Lgpos{} : result.valid_end;
  std::unique_ptr<LogWriter> writer;
  ASSERT_EQ(LogWriter::Create(SmallLogConfig(&image), TestSignature(1), next, prev_end, nullptr, &writer),
            JET_errSuccess)
      << context;
  Lgpos lgpos;
  ASSERT_EQ(writer->Append(9, TestPayload(999, 10), &lgpos), JET_errSuccess);
  ASSERT_EQ(writer->Flush(true), JET_errSuccess);
  auto after = ReadAllRecords(image, "/logs");
  ASSERT_EQ(after.err, JET_errSuccess) << context;
  EXPECT_EQ(after.records.size(), result.records.size() + 1) << context;
}

TEST(LogRolloverCrash, CrashAtEveryOperationOfARollover) {
  for (std::uint64_t budget = 0; budget < 18; ++budget) {
    faultfs::MemFs fs;
    ASSERT_TRUE(fs.MakeDir("/logs").ok());
    ASSERT_TRUE(fs.SyncDir("/").ok());
    CrashAfterVfs crashing(fs, ~std::uint64_t{0});
    std::unique_ptr<LogWriter> writer;
    ASSERT_EQ(LogWriter::Create(SmallLogConfig(&crashing), TestSignature(1), 1, Lgpos{}, nullptr, &writer),
              JET_errSuccess);
    Lgpos lgpos;
    for (std::uint32_t i = 0; i < 3; ++i) ASSERT_EQ(writer->Append(1, TestPayload(i, 100), &lgpos), JET_errSuccess);
    ASSERT_EQ(writer->Flush(true), JET_errSuccess);
    for (std::uint32_t i = 3; i < 5; ++i) ASSERT_EQ(writer->Append(1, TestPayload(i, 100), &lgpos), JET_errSuccess);
    crashing.SetBudgetFromNow(budget);
    const JET_ERR roll = writer->Roll();
    const std::size_t durable = roll >= 0 ? 5 : 3;
    for (std::uint64_t seed = 0; seed < 6; ++seed) {
      const std::string context = "budget " + std::to_string(budget) + " crash seed " + std::to_string(seed);
      auto image = fs.CrashImage(faultfs::CrashPolicy::Random(seed, 200'000));
      RecoverAndContinue(*image, durable, context);
    }
  }
}

TEST(LogRolloverCrash, CrashWhileCreatingTheFirstGeneration) {
  for (std::uint64_t budget = 0; budget < 10; ++budget) {
    faultfs::MemFs fs;
    ASSERT_TRUE(fs.MakeDir("/logs").ok());
    ASSERT_TRUE(fs.SyncDir("/").ok());
    CrashAfterVfs crashing(fs, budget);
    std::unique_ptr<LogWriter> writer;
    (void)LogWriter::Create(SmallLogConfig(&crashing), TestSignature(1), 1, Lgpos{}, nullptr, &writer);
    for (std::uint64_t seed = 0; seed < 6; ++seed) {
      auto image = fs.CrashImage(faultfs::CrashPolicy::Random(seed, 200'000));
      RecoverAndContinue(*image, 0, "budget " + std::to_string(budget) + " seed " + std::to_string(seed));
    }
  }
}

}  // namespace
}  // namespace jet::log

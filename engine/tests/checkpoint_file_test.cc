// edb.chk: two shadowed copies; a bad primary with a good shadow is accepted.
#include <gtest/gtest.h>

#include "faultfs/mem_fs.h"
#include "format/log_header.h"
#include "log/log.h"
#include "log_test_util.h"

namespace jet::log {
namespace {

Checkpoint Sample(std::int32_t generation) {
  Checkpoint c;
  c.checkpoint = Lgpos{40, 2, generation};
  c.sign_log = testing::TestSignature(4);
  AttachInfo a;
  a.dbid = 1;
  a.path = "/db/a.edb";
  a.page_size = 8192;
  c.attach = {a};
  return c;
}

class CheckpointFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(fs_.MakeDir("/sys").ok());
    ASSERT_TRUE(fs_.SyncDir("/").ok());
  }
  faultfs::MemFs fs_;
  const std::string path_ = "/sys/edb.chk";
};

TEST_F(CheckpointFileTest, RoundTripAndOverwrite) {
  Checkpoint out;
  EXPECT_EQ(ReadCheckpoint(fs_, path_, &out), JET_errCheckpointFileNotFound);
  ASSERT_EQ(WriteCheckpoint(fs_, path_, Sample(3)), JET_errSuccess);
  ASSERT_EQ(ReadCheckpoint(fs_, path_, &out), JET_errSuccess);
  EXPECT_EQ(out, Sample(3));
  ASSERT_EQ(WriteCheckpoint(fs_, path_, Sample(4)), JET_errSuccess);
  ASSERT_EQ(ReadCheckpoint(fs_, path_, &out), JET_errSuccess);
  EXPECT_EQ(out, Sample(4));
  std::uint64_t size = 0;
  ASSERT_TRUE(fs_.FileSize(path_, &size).ok());
  EXPECT_EQ(size, 8192u);
  // Durable, name included: a crash image that keeps nothing pending still has it.
  auto image = fs_.CrashImage(faultfs::CrashPolicy::DropAll());
  ASSERT_EQ(ReadCheckpoint(*image, path_, &out), JET_errSuccess);
  EXPECT_EQ(out, Sample(4));
}

TEST_F(CheckpointFileTest, BadPrimaryGoodShadowIsAccepted) {
  ASSERT_EQ(WriteCheckpoint(fs_, path_, Sample(3)), JET_errSuccess);
  std::uint8_t junk = 0xEE;
  ASSERT_TRUE(fs_.CorruptStored(path_, 12, std::span(&junk, 1)).ok());
  Checkpoint out;
  ASSERT_EQ(ReadCheckpoint(fs_, path_, &out), JET_errSuccess);
  EXPECT_EQ(out, Sample(3));
  ASSERT_TRUE(fs_.CorruptStored(path_, 4096 + 12, std::span(&junk, 1)).ok());
  EXPECT_EQ(ReadCheckpoint(fs_, path_, &out), JET_errCheckpointCorrupt);
}

TEST_F(CheckpointFileTest, GoodPrimaryBadShadowIsAccepted) {
  ASSERT_EQ(WriteCheckpoint(fs_, path_, Sample(3)), JET_errSuccess);
  std::vector<std::uint8_t> zeros(4096);
  ASSERT_TRUE(fs_.CorruptStored(path_, 4096, zeros).ok());
  Checkpoint out;
  ASSERT_EQ(ReadCheckpoint(fs_, path_, &out), JET_errSuccess);
  EXPECT_EQ(out, Sample(3));
}

TEST_F(CheckpointFileTest, ShortFileAndWrongType) {
  std::vector<std::uint8_t> short_file(100, 1);
  ASSERT_TRUE(faultfs::WriteWholeFile(fs_, path_, short_file).ok());
  Checkpoint out;
  EXPECT_EQ(ReadCheckpoint(fs_, path_, &out), JET_errCheckpointCorrupt);
  // A log file header where a checkpoint should be.
  format::LogFileHeader header;
  header.generation = 1;
  header.csec_file = 2;
  header.page_size = 4096;
  std::vector<std::uint8_t> bytes(8192);
  ASSERT_EQ(format::EncodeLogFileHeader(header, std::span<std::uint8_t, 4096>(bytes.data(), 4096)), JET_errSuccess);
  std::copy_n(bytes.begin(), 4096, bytes.begin() + 4096);
  ASSERT_TRUE(faultfs::WriteWholeFile(fs_, path_, bytes).ok());
  EXPECT_EQ(ReadCheckpoint(fs_, path_, &out), JET_errFileInvalidType);
}

TEST_F(CheckpointFileTest, CrashAtEveryWriteLeavesOldOrNew) {
  ASSERT_EQ(WriteCheckpoint(fs_, path_, Sample(3)), JET_errSuccess);
  for (std::uint64_t budget = 0; budget < 8; ++budget) {
    auto base = fs_.Clone();
    testing::CrashAfterVfs crashing(*base, budget);
    const JET_ERR err = WriteCheckpoint(crashing, path_, Sample(4));
    for (std::uint64_t seed = 0; seed < 8; ++seed) {
      faultfs::CrashPolicy policy = faultfs::CrashPolicy::Random(seed, 500'000);
      policy.atomic_unit = 512;
      auto image = base->CrashImage(policy);
      Checkpoint out;
      ASSERT_EQ(ReadCheckpoint(*image, path_, &out), JET_errSuccess) << "budget " << budget << " seed " << seed;
      EXPECT_TRUE(out == Sample(3) || out == Sample(4)) << "budget " << budget << " seed " << seed;
      if (err >= 0) {
        EXPECT_EQ(out, Sample(4)) << "budget " << budget << " seed " << seed;
      }
    }
  }
}

}  // namespace
}  // namespace jet::log

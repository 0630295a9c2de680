// A restore interrupted by a crash at any I/O point can be run again with the same
// arguments and ends in the same result.
#include <gtest/gtest.h>

#include "backup_test_util.h"
#include "base/io_error.h"
#include "core/test_reset.h"
#include "log_test_util.h"

namespace jet_test {
namespace {

class RestoreCrash : public BackupRestoreTest, public ::testing::WithParamInterface<bool> {
 protected:
  // link_memory: JET_paramRestoreLinkMemoryMax (0: not set).
  JET_ERR RestoreOn(faultfs::Vfs* vfs, JET_INSTANCE* inst, const char* dest) {
    JET_ERR err = CreateConfigured(vfs, inst, config_.page_size, config_.log_kib, config_.circular);
    if (err >= 0 && link_memory_ != 0) {
      err = JetSetSystemParameter(inst, JET_sesidNil, JET_paramRestoreLinkMemoryMax, link_memory_, nullptr);
    }
    if (err < 0) return err;
    return JetRestoreInstance(*inst, "/backup", dest, nullptr);
  }
  void CrashAtEveryStep();

  std::uint64_t link_memory_ = 0;
};

TEST_P(RestoreCrash, RerunAfterACrashAtEveryStepGivesTheSameResult) { CrashAtEveryStep(); }

// The same with the link table in its spill file (<target>.jetlinks): a crash may leave
// the file behind; the rerun replaces it and deletes it.
TEST_P(RestoreCrash, RerunAfterACrashWithTheLinkTableSpilledGivesTheSameResult) {
  link_memory_ = 1;
  CrashAtEveryStep();
}

void RestoreCrash::CrashAtEveryStep() {
  const char* dest = GetParam() ? "/restored" : nullptr;
  const std::string db_path = GetParam() ? "/restored/test.edb" : kDbPath;
  ASSERT_NO_FATAL_FAILURE(BackupThenCrash(150, 150));

  // How many mutating operations a whole restore performs.
  std::uint64_t total = 0;
  {
    auto base = fs_.Clone();
    jet::testing::CrashAfterVfs counting(*base, ~std::uint64_t{0});
    JET_INSTANCE inst = 0;
    ASSERT_JET(RestoreOn(&counting, &inst, dest));
    total = counting.mutations();
    jet::core::ResetProcessStateForTests();
  }
  ASSERT_GT(total, 10u);
  const std::uint64_t step = std::max<std::uint64_t>(1, total / 40);
  for (std::uint64_t budget = 0; budget < total; budget += step) {
    for (std::uint64_t seed : {1u, 2u}) {
      const std::string context = "budget " + std::to_string(budget) + " of " + std::to_string(total) +
                                  ", crash seed " + std::to_string(seed);
      auto base = fs_.Clone();
      {
        jet::testing::CrashAfterVfs crashing(*base, budget);
        JET_INSTANCE inst = 0;
        const JET_ERR err = RestoreOn(&crashing, &inst, dest);
        EXPECT_TRUE(err < 0) << context << ": the crash should have stopped the restore";
        jet::core::ResetProcessStateForTests();
      }
      auto image = base->CrashImage(faultfs::CrashPolicy::Random(seed, 100'000));
      JET_INSTANCE inst = 0;
      ASSERT_EQ(RestoreOn(image.get(), &inst, dest), JET_errSuccess) << context << ": " << jet::LastErrorDetail();
      Model restored;
      const JET_ERR err = ReadRestored(inst, db_path, &restored);  // on the instance configured for image
      ASSERT_EQ(err, JET_errSuccess) << context;
      EXPECT_EQ(restored, model_) << context;
      bool scratch_left = true;
      ASSERT_TRUE(image->Exists(db_path + ".jetlinks", &scratch_left).ok());
      EXPECT_FALSE(scratch_left) << context << ": the rerun deletes the spill file";
      jet::core::ResetProcessStateForTests();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(DestNullOrNot, RestoreCrash, ::testing::Bool());

}  // namespace
}  // namespace jet_test

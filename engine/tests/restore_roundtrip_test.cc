// Round trips: load -> backup -> more commits -> crash -> restore -> the records equal
// the model, for every page size, circular logging on and off, dest null and not.
#include <gtest/gtest.h>

#include <algorithm>
#include <vector>
#include <tuple>

#include "backup_test_util.h"

namespace jet_test {
namespace {

class RestoreRoundTrip : public BackupRestoreTest,
                         public ::testing::WithParamInterface<std::tuple<std::uint32_t, bool, bool>> {};

TEST_P(RestoreRoundTrip, RecordsEqualTheModel) {
  const auto [page_size, circular, with_dest] = GetParam();
  config_.page_size = page_size;
  config_.circular = circular;
  config_.log_kib = std::max<unsigned long>(128, page_size / 32);  // room for multi-page records
  ASSERT_JET(Start(true));
  Load(0, 400);
  StatusEvents().clear();
  ASSERT_JET(JetBackupInstance(inst_, "/backup", 0, RecordStatus));
  ASSERT_GE(StatusEvents().size(), 2u);
  EXPECT_EQ(StatusEvents().front().snp, JET_snpBackup);
  EXPECT_EQ(StatusEvents().front().snt, JET_sntBegin);
  EXPECT_EQ(StatusEvents().back().snt, JET_sntComplete);
  EXPECT_EQ(StatusEvents().back().done, 100u);
  const Model at_backup = model_;
  Load(1000, 300);  // after the backup, never cleanly shut down
  Crash();

  JET_INSTANCE inst = 0;
  ASSERT_JET(NewInstance(&inst));
  StatusEvents().clear();
  const char* dest = with_dest ? "/restored" : nullptr;
  ASSERT_JET(JetRestoreInstance(inst, "/backup", dest, RecordStatus));
  ASSERT_GE(StatusEvents().size(), 2u);
  EXPECT_EQ(StatusEvents().front().snp, JET_snpRestore);
  EXPECT_EQ(StatusEvents().front().snt, JET_sntBegin);
  EXPECT_EQ(StatusEvents().front().done, 0u);
  EXPECT_EQ(StatusEvents().front().total, 100u);
  unsigned long last = 0;
  for (const StatusEvent& e : StatusEvents()) {
    EXPECT_NE(e.snt, JET_sntFail);
    EXPECT_GE(e.done, last);
    last = e.done;
  }
  EXPECT_EQ(StatusEvents().back().snt, JET_sntComplete);
  EXPECT_EQ(StatusEvents().back().done, 100u);

  Model restored;
  ASSERT_JET(ReadRestored(inst, with_dest ? "/restored/test.edb" : kDbPath, &restored));
  // Circular logging reused the later logs: the restore reaches the backup moment.
  EXPECT_EQ(restored, circular ? at_backup : model_);
}

INSTANTIATE_TEST_SUITE_P(PageSizesCircularDest, RestoreRoundTrip,
                         ::testing::Combine(::testing::Values(4096u, 8192u, 16384u, 32768u), ::testing::Bool(),
                                            ::testing::Bool()));

// The backup, then a clean JetTerm and a new JetInit before the later commits. The
// restart's soft recovery replays nothing (the checkpoint follows the term record) and
// starts a new generation whose lgposPrevGenEnd describes where the previous one's
// records end; restore reads that previous generation from its first record, so both
// must describe the same end (a mismatch was reported as -574, corruption in a
// log-path log). The round trip above never restarts between backup and crash.
TEST_F(BackupRestoreTest, RestoreAfterARestartReplaysTheLaterGenerations) {
  ASSERT_JET(Start(true));
  Load(0, 50);
  ASSERT_JET(JetBackupInstance(inst_, "/backup", 0, nullptr));
  ASSERT_JET(JetTerm(inst_));
  ASSERT_JET(Start(false));
  Load(50, 50);
  Crash();
  ASSERT_TRUE(fs_.Delete(kDbPath).ok());

  JET_INSTANCE inst = 0;
  ASSERT_JET(NewInstance(&inst));
  ASSERT_JET(JetRestoreInstance(inst, "/backup", nullptr, nullptr));
  ExpectRestored(inst, kDbPath, model_);
}

TEST_F(BackupRestoreTest, IncrementalBackupExtendsTheSet) {
  ASSERT_JET(Start(true));
  Load(0, 200);
  ASSERT_JET(JetBackupInstance(inst_, "/backup", 0, nullptr));
  Load(200, 300);
  ASSERT_JET(JetBackupInstance(inst_, "/backup", JET_bitBackupIncremental, nullptr));
  const Model at_incremental = model_;
  Crash();
  // Without the log path's logs (nor the checkpoint that remembers them: a new
  // machine), the set alone reaches the incremental backup.
  ASSERT_NO_FATAL_FAILURE(DeleteAllIn("/log"));
  ASSERT_TRUE(fs_.Delete("/sys/edb.chk").ok());
  JET_INSTANCE inst = 0;
  ASSERT_JET(NewInstance(&inst));
  ASSERT_JET(JetRestoreInstance(inst, "/backup", "/restored", nullptr));
  ExpectRestored(inst, "/restored/test.edb", at_incremental);
}

// Disaster recovery: the machine is gone and only the backup set survives. The new
// instance's system and log directories do not exist yet; restore creates them (as
// JetInit does) and reaches the backup moment.
TEST_F(BackupRestoreTest, RestoreOntoAFreshMachineCreatesTheInstanceDirectories) {
  Model at_backup;
  ASSERT_NO_FATAL_FAILURE(BackupThenCrash(120, 30, &at_backup));
  for (const std::string dir : {"/log", "/sys", "/data"}) {
    ASSERT_NO_FATAL_FAILURE(DeleteAllIn(dir));
    ASSERT_TRUE(fs_.RemoveDir(dir).ok()) << dir;
  }
  JET_INSTANCE inst = 0;
  ASSERT_JET(NewInstance(&inst));
  ASSERT_JET(JetRestoreInstance(inst, "/backup", nullptr, nullptr));
  bool exists = false;
  ASSERT_TRUE(fs_.IsDirectory("/log", &exists).ok());
  EXPECT_TRUE(exists);
  ExpectRestored(inst, kDbPath, at_backup);
}

// The log path holds archived generations written after the backup but its current
// log is gone (deleted, or left blank): durable commits are missing, so the restore
// refuses with MissingCurrentLogFiles instead of silently stopping early; with the
// log back it reaches every commit.
TEST_F(BackupRestoreTest, MissingCurrentLogAfterLaterGenerationsIsRefused) {
  ASSERT_NO_FATAL_FAILURE(BackupThenCrash(50, 800));  // several rollovers past the set's last generation
  std::vector<std::string> names;
  ASSERT_TRUE(fs_.ListDir("/log", &names).ok());
  ASSERT_GE(std::count_if(names.begin(), names.end(), [](const std::string& n) { return n != "edb.log"; }), 2)
      << "the workload must leave archived generations in the log path";
  std::vector<std::uint8_t> current;
  ASSERT_TRUE(faultfs::ReadWholeFile(fs_, "/log/edb.log", &current).ok());

  ASSERT_TRUE(fs_.Delete("/log/edb.log").ok());
  JET_INSTANCE inst = 0;
  ASSERT_JET(NewInstance(&inst));
  EXPECT_JET_ERR(JET_errMissingCurrentLogFiles, JetRestoreInstance(inst, "/backup", "/restored", nullptr));
  EXPECT_NE(std::string(JetGetLastErrorDetail()).find("edb.log"), std::string::npos) << JetGetLastErrorDetail();

  ASSERT_TRUE(faultfs::WriteWholeFile(fs_, "/log/edb.log", std::vector<std::uint8_t>(current.size(), 0)).ok());
  // A blank current log is no current log.
  EXPECT_JET_ERR(JET_errMissingCurrentLogFiles, JetRestoreInstance(inst, "/backup", "/restored", nullptr));

  ASSERT_TRUE(faultfs::WriteWholeFile(fs_, "/log/edb.log", current).ok());
  ASSERT_JET(JetRestoreInstance(inst, "/backup", "/restored", nullptr));
  ExpectRestored(inst, "/restored/test.edb", model_);
}

// The destination cannot be the backup set itself (its copies would be overwritten
// while they are read); the set stays intact and usable.
TEST_F(BackupRestoreTest, DestinationThatIsTheSetIsRefused) {
  ASSERT_NO_FATAL_FAILURE(BackupThenCrash(40, 0));
  JET_INSTANCE inst = 0;
  ASSERT_JET(NewInstance(&inst));
  EXPECT_JET_ERR(JET_errInvalidPath, JetRestoreInstance(inst, "/backup", "/backup/", nullptr));
  ASSERT_JET(JetRestoreInstance(inst, "/backup", "/restored", nullptr));
  ExpectRestored(inst, "/restored/test.edb", model_);
}

// Right after a backup the log path holds only the current log (earlier generations
// truncated). Losing it leaves no archived trace, but the instance's checkpoint still
// records the backup: the restore refuses instead of silently dropping the commits
// made after it. Without the checkpoint too (a new machine) it reaches the backup.
TEST_F(BackupRestoreTest, MissingCurrentLogIsRefusedWhileTheCheckpointRemembersIt) {
  Model at_backup;
  ASSERT_NO_FATAL_FAILURE(BackupThenCrash(40, 10, &at_backup));
  ASSERT_NO_FATAL_FAILURE(DeleteAllIn("/log"));
  JET_INSTANCE inst = 0;
  ASSERT_JET(NewInstance(&inst));
  EXPECT_JET_ERR(JET_errMissingCurrentLogFiles, JetRestoreInstance(inst, "/backup", "/restored", nullptr));
  EXPECT_NE(std::string(JetGetLastErrorDetail()).find("checkpoint"), std::string::npos) << JetGetLastErrorDetail();
  ASSERT_TRUE(fs_.Delete("/sys/edb.chk").ok());
  ASSERT_JET(JetRestoreInstance(inst, "/backup", "/restored", nullptr));
  ExpectRestored(inst, "/restored/test.edb", at_backup);
}

}  // namespace
}  // namespace jet_test

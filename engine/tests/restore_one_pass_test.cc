// Restore's one pass (docs/RESTORE.md, "Databases, in one pass"): each page verified as
// it is copied into <target>.jetrestore, installed by rename only once the whole set is
// verified, so a refused set leaves every file of the instance as it was.
#include <gtest/gtest.h>

#include "backup/backup_set.h"
#include "backup_test_util.h"

namespace jet_test {
namespace {

class RestoreOnePass : public BackupRestoreTest {
 protected:
  std::map<std::string, std::vector<std::uint8_t>> Snapshot() {
    std::map<std::string, std::vector<std::uint8_t>> files;
    for (const std::string dir : {"/log", "/sys", "/data"}) {
      std::vector<std::string> names;
      EXPECT_TRUE(fs_.ListDir(dir, &names).ok()) << dir;
      for (const std::string& name : names) {
        EXPECT_TRUE(faultfs::ReadWholeFile(fs_, dir + "/" + name, &files[dir + "/" + name]).ok());
      }
    }
    return files;
  }
  void Corrupt(const std::string& path, std::uint64_t offset) {
    std::uint8_t b = 0x5a;
    ASSERT_TRUE(fs_.CorruptStored(path, offset, std::span(&b, 1)).ok());
  }
  JET_ERR RestoreInPlace() {
    JET_INSTANCE inst = 0;
    JET_ERR err = NewInstance(&inst);
    if (err >= 0) err = JetRestoreInstance(inst, "/backup", nullptr, nullptr);
    JetTerm(inst);  // releases the uninitialised handle and its name
    return err;
  }
};

TEST_F(RestoreOnePass, DamageInTheLastPageLeavesEveryFileOfTheInstanceUnchanged) {
  ASSERT_NO_FATAL_FAILURE(BackupThenCrash(300, 100));
  jet::format::BackupManifest m;
  ASSERT_JET(jet::backup::ReadManifest(fs_, "/backup", &m));
  // The last data page: found only after every earlier page was copied.
  Corrupt("/backup/test.edb", (std::uint64_t{m.dbs[0].pgno_last} + 1) * config_.page_size + 200);
  const auto before = Snapshot();
  EXPECT_JET_ERR(JET_errReadVerifyFailure, RestoreInPlace());
  EXPECT_EQ(Snapshot(), before) << "targets, logs and checkpoint byte for byte as they were; no temporary left";
}

TEST_F(RestoreOnePass, AStaleTemporaryFromACrashIsReplaced) {
  Model at_backup;
  ASSERT_NO_FATAL_FAILURE(BackupThenCrash(100, 50, &at_backup));
  ASSERT_TRUE(faultfs::WriteWholeFile(fs_, "/data/test.edb.jetrestore", std::vector<std::uint8_t>(777, 9)).ok());
  EXPECT_JET_ERR(JET_errSuccess, RestoreInPlace());
  bool exists = true;
  ASSERT_TRUE(fs_.Exists("/data/test.edb.jetrestore", &exists).ok());
  EXPECT_FALSE(exists);
  JET_INSTANCE inst = 0;
  ASSERT_JET(NewInstance(&inst));
  ExpectRestored(inst, kDbPath, model_);
}

TEST_F(RestoreOnePass, ATemporaryNameThatIsAnotherTargetIsInvalidPath) {
  ASSERT_NO_FATAL_FAILURE(BackupThenCrash(20, 0));
  ASSERT_NO_FATAL_FAILURE(AddSetFileNamedAfterTheFirst(".jetrestore"));
  JET_INSTANCE inst = 0;
  ASSERT_JET(NewInstance(&inst));
  EXPECT_JET_ERR(JET_errInvalidPath, JetRestoreInstance(inst, "/backup", "/restored", nullptr));
  EXPECT_NE(std::string(JetGetLastErrorDetail()).find(".jetrestore"), std::string::npos) << JetGetLastErrorDetail();
}

}  // namespace
}  // namespace jet_test

// Every return code of JetRestoreInstance (docs/RESTORE.md) with a test that provokes it.
#include <gtest/gtest.h>

#include "backup/backup_set.h"
#include "backup_test_util.h"
#include "faultfs/alloc_fault.h"
#include "format/log_header.h"
#include "log/log.h"

namespace jet_test {
namespace {

class RestoreErrors : public BackupRestoreTest {
 protected:
  // A full backup in /backup, more commits after it, and a crash.
  void BackupThenCrash() { BackupRestoreTest::BackupThenCrash(200, 100); }
  // Restores with one instance handle, reused across attempts (a failed restore
  // leaves it uninitialised and usable).
  JET_ERR Restore(const char* dest = "/restored") {
    if (restore_inst_ == 0) {
      JET_ERR err = NewInstance(&restore_inst_);
      if (err < 0) return err;
    } else {
      // Settings are frozen only while running; re-apply the page size under test.
      JetSetSystemParameter(&restore_inst_, JET_sesidNil, JET_paramDatabasePageSize, config_.page_size, nullptr);
    }
    StatusEvents().clear();
    return JetRestoreInstance(restore_inst_, "/backup", dest, RecordStatus);
  }
  JET_INSTANCE restore_inst_ = 0;
  void Flip(const std::string& path, std::uint64_t offset) {
    std::vector<std::uint8_t> bytes;
    ASSERT_TRUE(faultfs::ReadWholeFile(fs_, path, &bytes).ok());
    ASSERT_LT(offset, bytes.size());
    std::uint8_t b = bytes[offset] ^ 0x40;
    ASSERT_TRUE(fs_.CorruptStored(path, offset, std::span(&b, 1)).ok());
  }
  jet::format::BackupManifest Manifest() {
    jet::format::BackupManifest m;
    EXPECT_EQ(jet::backup::ReadManifest(fs_, "/backup", &m), JET_errSuccess);
    return m;
  }
  void Rewrite(const jet::format::BackupManifest& m) {
    ASSERT_EQ(jet::backup::WriteManifest(fs_, "/backup", m), JET_errSuccess);
  }
  std::string SetLog(int index) {
    auto m = Manifest();
    return "/backup/" + jet::log::ArchivedLogName("edb", m.gen_low + index);
  }
  bool Exists(const std::string& path) {
    bool exists = false;
    EXPECT_TRUE(fs_.Exists(path, &exists).ok());
    return exists;
  }
};

TEST_F(RestoreErrors, Success) {
  BackupThenCrash();
  EXPECT_JET_ERR(JET_errSuccess, Restore());
}

TEST_F(RestoreErrors, AlreadyInitialized) {
  BackupThenCrash();
  JET_INSTANCE inst = 0;
  ASSERT_JET(NewInstance(&inst));
  ASSERT_JET(JetInit(&inst));
  EXPECT_JET_ERR(JET_errAlreadyInitialized, JetRestoreInstance(inst, "/backup", "/restored", nullptr));
  ASSERT_JET(JetTerm(inst));
}

TEST_F(RestoreErrors, InvalidParameter) {
  BackupThenCrash();
  JET_INSTANCE inst = 0;
  ASSERT_JET(NewInstance(&inst));
  EXPECT_JET_ERR(JET_errInvalidParameter, JetRestoreInstance(inst, nullptr, "/restored", nullptr));
  // Multi-instance mode and a handle JetCreateInstance never returned.
  EXPECT_JET_ERR(JET_errInvalidParameter, JetRestoreInstance(inst + 7777, "/backup", "/restored", nullptr));
  // The instance is still usable: no side effect.
  EXPECT_JET_ERR(JET_errSuccess, JetRestoreInstance(inst, "/backup", "/restored", nullptr));
}

TEST_F(RestoreErrors, RunningInMultiInstanceMode) {
  BackupThenCrash();
  JET_INSTANCE inst = 0;
  ASSERT_JET(NewInstance(&inst));  // the process is in multi-instance mode
  EXPECT_JET_ERR(JET_errRunningInMultiInstanceMode, JetRestoreInstance(0, "/backup", "/restored", nullptr));
  EXPECT_JET_ERR(JET_errRunningInMultiInstanceMode,
                 JetRestoreInstance(JET_instanceNil, "/backup", "/restored", nullptr));
}

TEST_F(RestoreErrors, InvalidPathArguments) {
  BackupThenCrash();
  JET_INSTANCE inst = 0;
  ASSERT_JET(NewInstance(&inst));
  EXPECT_JET_ERR(JET_errInvalidPath, JetRestoreInstance(inst, "", "/restored", nullptr));
  EXPECT_JET_ERR(JET_errInvalidPath, JetRestoreInstance(inst, "/no/such/backup", "/restored", nullptr));
  EXPECT_NE(std::string(JetGetLastErrorDetail()).find("/no/such/backup"), std::string::npos)
      << "the detail names the path: " << JetGetLastErrorDetail();
  JET_INSTANCE other = 0;
  ASSERT_JET(JetCreateInstance(&other, "detail-is-cleared"));
  EXPECT_STREQ(JetGetLastErrorDetail(), "") << "every public call starts with no detail";
  JetTerm(other);
  EXPECT_JET_ERR(JET_errInvalidPath, JetRestoreInstance(inst, "/backup", "", nullptr));
  ASSERT_TRUE(faultfs::WriteWholeFile(fs_, "/afile", std::vector<std::uint8_t>{1}).ok());
  EXPECT_JET_ERR(JET_errInvalidPath, JetRestoreInstance(inst, "/backup", "/afile", nullptr));
}

TEST_F(RestoreErrors, FileNamesThatEscapeAreRefused) {
  BackupThenCrash();
  const auto good = Manifest();
  for (const std::string& name :
       {std::string("../evil.edb"), std::string("/etc/passwd"), std::string("a/b.edb"), std::string(".."),
        std::string("."), std::string(""), std::string("x\\..\\y"), std::string("jetbackup.manifest")}) {
    auto m = good;
    m.dbs[0].file_name = name;
    Rewrite(m);
    EXPECT_JET_ERR(JET_errInvalidPath, Restore());
    EXPECT_JET_ERR(JET_errInvalidPath, Restore(nullptr));
  }
  for (const std::string& path : {std::string("relative.edb"), std::string("/data/../etc/x.edb"),
                                  std::string("/data/./x.edb"), std::string("/data//x.edb"), std::string("/")}) {
    auto m = good;
    m.dbs[0].original_path = path;
    Rewrite(m);
    EXPECT_JET_ERR(JET_errInvalidPath, Restore(nullptr));
  }
  auto m = good;
  m.base_name = "../x";
  Rewrite(m);
  EXPECT_JET_ERR(JET_errInvalidPath, Restore());
  EXPECT_FALSE(Exists("/evil.edb"));
  EXPECT_FALSE(Exists("/restored/test.edb"));
}

TEST_F(RestoreErrors, PageSizeMismatch) {
  BackupThenCrash();
  config_.page_size = 4096;
  EXPECT_JET_ERR(JET_errPageSizeMismatch, Restore());
}

TEST_F(RestoreErrors, OutOfMemory) {
  BackupThenCrash();
  {
    faultfs::AllocFaultInjector inject("restore-page", 0, false);
    EXPECT_JET_ERR(JET_errOutOfMemory, Restore());
  }
  {
    faultfs::AllocFaultInjector inject("log-read-record", 0, false);
    EXPECT_JET_ERR(JET_errOutOfMemory, Restore());
  }
  EXPECT_JET_ERR(JET_errSuccess, Restore());  // and the instance could try again
}

TEST_F(RestoreErrors, DamagedPageIsReadVerifyFailureAndNothingIsRestored) {
  BackupThenCrash();
  Flip("/backup/test.edb", 8192 * 3 + 100);  // data page 2
  EXPECT_JET_ERR(JET_errReadVerifyFailure, Restore());
  EXPECT_FALSE(Exists("/restored/test.edb"));
  for (const StatusEvent& e : StatusEvents()) EXPECT_NE(e.snt, JET_sntFail);
}

TEST_F(RestoreErrors, DamagedManifestIsReadVerifyFailure) {
  BackupThenCrash();
  Flip("/backup/jetbackup.manifest", 30);
  EXPECT_JET_ERR(JET_errReadVerifyFailure, Restore());
}

TEST_F(RestoreErrors, DamagedTrailerIsBadPatchPage) {
  BackupThenCrash();
  std::uint64_t size = 0;
  ASSERT_TRUE(fs_.FileSize("/backup/test.edb", &size).ok());
  Flip("/backup/test.edb", size - 8192 + 60);
  EXPECT_JET_ERR(JET_errBadPatchPage, Restore());
}

TEST_F(RestoreErrors, DamagedBackupLogIsLogCorruptDuringHardRestore) {
  BackupThenCrash();
  Flip(SetLog(0), 4096 + 200);
  EXPECT_JET_ERR(JET_errLogCorruptDuringHardRestore, Restore());
  EXPECT_FALSE(Exists("/restored/test.edb"));
}

// Damage in the log path's generations (after the set's) is -574, not the set's -573
// nor the soft-recovery code -501: in the first record segment (found by redo, which
// has then only read set generations' records) and in a header (found while choosing
// the log path's generations, before anything is written).
std::string FirstLogPathGenerationAfter(faultfs::Vfs& fs, std::int32_t high) {
  std::vector<jet::log::GenerationInfo> gens;
  EXPECT_EQ(jet::log::ListGenerations(fs, "/log", "edb", &gens), JET_errSuccess);
  for (const auto& g : gens) {
    if (g.generation == high + 1) return g.path;
  }
  ADD_FAILURE() << "no log-path generation " << high + 1;
  return "/log/missing";
}

TEST_F(RestoreErrors, DamagedLogPathSegmentIsLogCorruptDuringHardRecovery) {
  BackupThenCrash();
  Flip(FirstLogPathGenerationAfter(fs_, Manifest().gen_high), 4096 + 200);
  EXPECT_JET_ERR(JET_errLogCorruptDuringHardRecovery, Restore());
}

TEST_F(RestoreErrors, DamagedLogPathHeaderIsLogCorruptDuringHardRecovery) {
  BackupThenCrash();
  Flip(FirstLogPathGenerationAfter(fs_, Manifest().gen_high), 100);  // reserved bytes: the checksum fails
  EXPECT_JET_ERR(JET_errLogCorruptDuringHardRecovery, Restore());
  EXPECT_FALSE(Exists("/restored/test.edb"));
}

TEST_F(RestoreErrors, MissingBackupLogIsMissingLogFile) {
  BackupThenCrash();
  ASSERT_TRUE(fs_.Delete(SetLog(0)).ok());
  EXPECT_JET_ERR(JET_errMissingLogFile, Restore());
}

TEST_F(RestoreErrors, MissingLogPathGenerationIsMissingLogFile) {
  ASSERT_JET(Start(true));
  Load(0, 100);
  ASSERT_JET(JetBackupInstance(inst_, "/backup", 0, nullptr));
  const std::int32_t high = Manifest().gen_high;
  for (int i = 0; i < 5; ++i) {
    Load(100 + i * 50, 50);
    JET_ERR err = JetBackupInstance(inst_, ("/other" + std::to_string(i)).c_str(), 0, nullptr);  // rolls the log
    ASSERT_JET(err);
  }
  Crash();
  // Backups truncate logs; put the roll-forward chain back by removing one in the middle.
  ASSERT_TRUE(fs_.Delete("/log/" + jet::log::ArchivedLogName("edb", high + 3)).ok() ||
              !Exists("/log/" + jet::log::ArchivedLogName("edb", high + 3)));
  const JET_ERR err = Restore();
  EXPECT_TRUE(err == JET_errMissingLogFile) << JetErrorName(err);
}

TEST_F(RestoreErrors, LogPathOfAnotherLineageIsInvalidLogSequence) {
  BackupThenCrash();
  std::vector<std::uint8_t> bytes;
  ASSERT_TRUE(faultfs::ReadWholeFile(fs_, "/log/edb.log", &bytes).ok());
  jet::format::LogFileHeader header;
  ASSERT_EQ(jet::format::DecodeLogFileHeader(bytes, &header), JET_errSuccess);
  header.sign_log.random ^= 0x5555;
  std::array<std::uint8_t, jet::format::kLogHeaderSize> out{};
  ASSERT_EQ(jet::format::EncodeLogFileHeader(header, out), JET_errSuccess);
  ASSERT_TRUE(fs_.CorruptStored("/log/edb.log", 0, out).ok());
  EXPECT_JET_ERR(JET_errInvalidLogSequence, Restore());
}

TEST_F(RestoreErrors, LogPathNotContinuingTheSetIsInvalidLogSequence) {
  BackupThenCrash();
  std::vector<jet::log::GenerationInfo> gens;
  ASSERT_EQ(jet::log::ListGenerations(fs_, "/log", "edb", &gens), JET_errSuccess);
  const std::string first_after = gens.front().path;  // the generation after the set's high
  std::vector<std::uint8_t> bytes;
  ASSERT_TRUE(faultfs::ReadWholeFile(fs_, first_after, &bytes).ok());
  jet::format::LogFileHeader header;
  ASSERT_EQ(jet::format::DecodeLogFileHeader(bytes, &header), JET_errSuccess);
  header.tm_prev_gen.bytes[2] ^= 1;
  std::array<std::uint8_t, jet::format::kLogHeaderSize> out{};
  ASSERT_EQ(jet::format::EncodeLogFileHeader(header, out), JET_errSuccess);
  ASSERT_TRUE(fs_.CorruptStored(first_after, 0, out).ok());
  EXPECT_JET_ERR(JET_errInvalidLogSequence, Restore());
}

TEST_F(RestoreErrors, DatabaseHeldOpenIsSharingViolation) {
  BackupThenCrash();
  ASSERT_TRUE(faultfs::MakeDirs(fs_, "/restored").ok());
  std::unique_ptr<faultfs::File> held;
  ASSERT_TRUE(fs_.Open("/restored/test.edb",
                       {faultfs::Access::kReadWrite, faultfs::kShareNone, faultfs::Disposition::kCreateAlways}, &held)
                  .ok());
  EXPECT_JET_ERR(JET_errDatabaseSharingViolation, Restore());
  held.reset();
  EXPECT_JET_ERR(JET_errSuccess, Restore());
}

TEST_F(RestoreErrors, AttachedDatabaseMismatch) {
  ASSERT_JET(Start(true));
  // A second database, detached before the backup (so not in the set) and attached
  // again after it: the log needs it, and it is gone at restore time.
  JET_DBID other = 0;
  ASSERT_JET(JetCreateDatabase(ses_, "/data/other.edb", nullptr, &other, 0));
  ASSERT_JET(JetCloseDatabase(ses_, other, 0));
  ASSERT_JET(JetDetachDatabase(ses_, "/data/other.edb"));
  Load(0, 50);
  ASSERT_JET(JetBackupInstance(inst_, "/backup", 0, nullptr));
  ASSERT_JET(JetAttachDatabase(ses_, "/data/other.edb", 0));
  Load(50, 50);
  Crash();
  ASSERT_TRUE(fs_.Delete("/data/other.edb").ok());
  EXPECT_JET_ERR(JET_errAttachedDatabaseMismatch, Restore());
}

TEST_F(RestoreErrors, InterruptedBackupIsNotABackupSet) {
  ASSERT_NO_FATAL_FAILURE(BackupRestoreTest::BackupThenCrash(50, 0));
  ASSERT_TRUE(fs_.Delete("/backup/jetbackup.manifest").ok());  // as if it crashed before the last step
  EXPECT_JET_ERR(JET_errFileNotFound, Restore());
}

}  // namespace
}  // namespace jet_test

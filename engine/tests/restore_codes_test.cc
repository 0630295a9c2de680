// The backup/restore codes of docs/RESTORE.md that need a crafted set to provoke:
// a second backup while one runs (-505), a copy whose header, trailer and manifest
// disagree (-552), a copy that was not written by a backup (-615), a copy that needs
// logs outside the set (-553, -554) and a copy whose pages are all intact but whose
// B-tree links are broken (-327). Every one is refused with a detail and leaves the
// instance able to restore the undamaged set.
#include <gtest/gtest.h>

#include <functional>
#include <memory>

#include "backup/backup_set.h"
#include "backup_test_util.h"
#include "format/backup_trailer.h"
#include "format/db_header.h"
#include "format/page.h"

namespace jet_test {
namespace {

namespace format = jet::format;

constexpr char kCopy[] = "/backup/test.edb";

class RestoreCodes : public BackupRestoreTest {
 protected:
  void BackupThenCrash() {
    BackupRestoreTest::BackupThenCrash(200, 0, &at_backup_);
    pristine_ = fs_.Clone();
  }

  // Restores into /restored; on failure checks that the detail mentions `about`.
  JET_ERR Restore(const std::string& about) {
    JET_INSTANCE inst = 0;
    JET_ERR err = NewInstance(&inst);
    if (err < 0) return err;
    err = JetRestoreInstance(inst, "/backup", "/restored", nullptr);
    if (err < 0) {
      EXPECT_NE(std::string(JetGetLastErrorDetail()).find(about), std::string::npos)
          << JetErrorName(err) << ": the detail should mention '" << about << "': " << JetGetLastErrorDetail();
    }
    JetTerm(inst);  // releases the (uninitialised) handle and its name
    return err;
  }

  // Puts the pristine set back and checks it still restores to the backup state.
  void ExpectPristineRestores() {
    for (const char* path : {kCopy, "/backup/jetbackup.manifest"}) {
      std::vector<std::uint8_t> bytes;
      ASSERT_TRUE(faultfs::ReadWholeFile(*pristine_, path, &bytes).ok());
      ASSERT_TRUE(faultfs::WriteWholeFile(fs_, path, bytes).ok());
    }
    JET_INSTANCE inst = 0;
    ASSERT_JET(NewInstance(&inst));
    ASSERT_JET(JetRestoreInstance(inst, "/backup", "/restored", nullptr));
    ExpectRestored(inst, "/restored/test.edb", at_backup_);
  }

  std::vector<std::uint8_t> Copy() {
    std::vector<std::uint8_t> bytes;
    EXPECT_TRUE(faultfs::ReadWholeFile(fs_, kCopy, &bytes).ok());
    return bytes;
  }
  void WriteCopy(const std::vector<std::uint8_t>& bytes) {
    ASSERT_TRUE(faultfs::WriteWholeFile(fs_, kCopy, bytes).ok());
  }
  std::span<std::uint8_t> Page(std::vector<std::uint8_t>& bytes, std::uint64_t index) {
    return std::span(bytes).subspan(index * config_.page_size, config_.page_size);
  }

  // Rewrites both header copies of the set's database copy, checksums valid.
  void EditHeader(const std::function<void(format::DbHeader&)>& edit) {
    std::vector<std::uint8_t> bytes = Copy();
    format::DbHeader header;
    ASSERT_EQ(format::DecodeDbHeader(Page(bytes, 0), &header), JET_errSuccess);
    edit(header);
    format::EncodeDbHeader(header, Page(bytes, 0));
    format::EncodeDbHeader(header, Page(bytes, 1));
    WriteCopy(bytes);
  }

  // Rewrites the trailer (the last page) of the copy, checksum valid.
  void EditTrailer(const std::function<void(format::BackupTrailer&)>& edit) {
    std::vector<std::uint8_t> bytes = Copy();
    const std::uint64_t last = bytes.size() / config_.page_size - 1;
    format::BackupTrailer trailer;
    ASSERT_EQ(format::DecodeBackupTrailer(Page(bytes, last), &trailer), JET_errSuccess);
    edit(trailer);
    ASSERT_EQ(format::EncodeBackupTrailer(trailer, Page(bytes, last)), JET_errSuccess);
    WriteCopy(bytes);
  }

  Model at_backup_;
  std::unique_ptr<faultfs::MemFs> pristine_;
};

// The progress callback of a running backup starts a second one on the same instance.
JET_INSTANCE g_backup_instance = 0;
JET_ERR g_nested_backup = JET_errSuccess;
std::string g_nested_detail;

JET_ERR BackupAgainFromProgress(JET_SESID, JET_SNP snp, JET_SNT snt, void*) {
  if (snp == JET_snpBackup && snt == JET_sntBegin) {
    g_nested_backup = JetBackupInstance(g_backup_instance, "/backup2", 0, nullptr);
    g_nested_detail = JetGetLastErrorDetail();
  }
  return JET_errSuccess;
}

TEST_F(RestoreCodes, SecondBackupWhileOneRunsIsBackupInProgress) {
  ASSERT_JET(Start(true));
  Load(0, 50);
  g_backup_instance = inst_;
  g_nested_backup = JET_errSuccess;
  ASSERT_JET(JetBackupInstance(inst_, "/backup", 0, BackupAgainFromProgress));
  EXPECT_EQ(g_nested_backup, JET_errBackupInProgress) << JetErrorName(g_nested_backup);
  EXPECT_NE(g_nested_detail.find("another JetBackupInstance"), std::string::npos) << g_nested_detail;
  bool exists = true;
  ASSERT_TRUE(fs_.Exists("/backup2", &exists).ok());
  EXPECT_FALSE(exists) << "the refused backup wrote nothing";
  // Once the first has ended, another may run.
  EXPECT_JET_ERR(JET_errSuccess, JetBackupInstance(inst_, "/backup3", 0, nullptr));
}

TEST_F(RestoreCodes, HeaderNotMatchingTheManifestIsDatabasePatchFileMismatch) {
  BackupThenCrash();
  jet::format::BackupManifest m;
  ASSERT_EQ(jet::backup::ReadManifest(fs_, "/backup", &m), JET_errSuccess);
  m.dbs[0].sign_db.random ^= 1;
  ASSERT_EQ(jet::backup::WriteManifest(fs_, "/backup", m), JET_errSuccess);
  EXPECT_JET_ERR(JET_errDatabasePatchFileMismatch, Restore("does not match the manifest"));
  ExpectPristineRestores();
}

// Header and trailer are sealed and agree with each other, but describe one page
// fewer than the copy (and the manifest) holds.
TEST_F(RestoreCodes, HeaderPageCountNotMatchingTheManifestIsDatabasePatchFileMismatch) {
  BackupThenCrash();
  EditHeader([](format::DbHeader& h) { h.pgno_last -= 1; });
  EditTrailer([](format::BackupTrailer& t) { t.pgno_last -= 1; });
  EXPECT_JET_ERR(JET_errDatabasePatchFileMismatch, Restore("page count"));
  ExpectPristineRestores();
}

TEST_F(RestoreCodes, TrailerPageCountNotMatchingTheHeaderIsDatabasePatchFileMismatch) {
  BackupThenCrash();
  EditTrailer([](format::BackupTrailer& t) { t.pgno_last += 1; });
  EXPECT_JET_ERR(JET_errDatabasePatchFileMismatch, Restore("trailer does not match"));
  ExpectPristineRestores();
}

TEST_F(RestoreCodes, TrailerNotMatchingTheHeaderIsDatabasePatchFileMismatch) {
  BackupThenCrash();
  EditTrailer([](format::BackupTrailer& t) { t.sign_log.random ^= 1; });
  EXPECT_JET_ERR(JET_errDatabasePatchFileMismatch, Restore("trailer does not match"));
  ExpectPristineRestores();
}

TEST_F(RestoreCodes, CopyWithoutABackupMarkIsRestoreOfNonBackupDatabase) {
  BackupThenCrash();
  EditHeader([](format::DbHeader& h) { h.bkinfo_full_cur = {}; });
  EXPECT_JET_ERR(JET_errRestoreOfNonBackupDatabase, Restore("not written by a backup"));
  EXPECT_FALSE([&] {
    bool exists = false;
    EXPECT_TRUE(fs_.Exists("/restored/test.edb", &exists).ok());
    return exists;
  }()) << "refused before anything is written";
  ExpectPristineRestores();
}

TEST_F(RestoreCodes, CopyNeedingLaterLogsIsEndingRestoreLogTooLow) {
  BackupThenCrash();
  EditTrailer([](format::BackupTrailer& t) { t.gen_max_required += 1; });
  EXPECT_JET_ERR(JET_errEndingRestoreLogTooLow, Restore("after the set's last generation"));
  ExpectPristineRestores();
}

TEST_F(RestoreCodes, CopyNeedingEarlierLogsIsStartingRestoreLogTooHigh) {
  BackupThenCrash();
  EditTrailer([](format::BackupTrailer& t) { t.gen_min_required -= 1; });
  EXPECT_JET_ERR(JET_errStartingRestoreLogTooHigh, Restore("before the set's first generation"));
  ExpectPristineRestores();
}

// Every page checksum valid, one leaf's next link pointing at itself: page checks
// pass, only the links tell. Restore must refuse it rather than hand over a database
// `jetutil check` rejects. No commits follow the backup, so redo rewrites no page.
TEST_F(RestoreCodes, BrokenSiblingLinkIsBadPageLink) {
  BackupThenCrash();
  std::vector<std::uint8_t> bytes = Copy();
  const std::uint64_t pages = bytes.size() / config_.page_size - 3;
  std::uint32_t broken = 0;
  for (std::uint32_t pgno = 1; pgno <= pages && broken == 0; ++pgno) {
    std::span<std::uint8_t> page = Page(bytes, pgno + 1);
    if (format::VerifyPage(page, pgno) != JET_errSuccess) continue;
    format::PageHeader header = format::LoadPageHeader(page);
    if (!(header.flags & format::kPageFlagLeaf) || (header.flags & format::kPageFlagLongValue) ||
        header.pgno_next == 0 || header.pgno_prev == pgno) {
      continue;
    }
    header.pgno_next = pgno;
    format::StorePageHeader(page, header);
    format::SealPage(page, pgno);
    ASSERT_EQ(format::VerifyPage(page, pgno), JET_errSuccess);
    broken = pgno;
  }
  ASSERT_NE(broken, 0u) << "the copy has no leaf with a next sibling: load more records";
  WriteCopy(bytes);
  EXPECT_JET_ERR(JET_errBadPageLink, Restore("page " + std::to_string(broken) + ": next link"));
  ExpectPristineRestores();
}

}  // namespace
}  // namespace jet_test

// JetBackupInstance: preconditions, progress, what a full backup leaves behind, and
// that an interrupted backup never looks complete.
#include <gtest/gtest.h>

#include "backup/backup_set.h"
#include "backup_test_util.h"
#include "core/test_reset.h"
#include "format/checksum.h"
#include "log/log.h"
#include "log_test_util.h"

namespace jet_test {
namespace {

TEST_F(BackupRestoreTest, Preconditions) {
  ASSERT_JET(Start(true));
  Load(0, 20);
  EXPECT_JET_ERR(JET_errNoBackupDirectory, JetBackupInstance(inst_, nullptr, 0, nullptr));
  EXPECT_JET_ERR(JET_errNoBackupDirectory, JetBackupInstance(inst_, "", 0, nullptr));
  EXPECT_JET_ERR(JET_errInvalidGrbit, JetBackupInstance(inst_, "/backup", 0x100, nullptr));
  EXPECT_JET_ERR(JET_errMissingFullBackup, JetBackupInstance(inst_, "/backup", JET_bitBackupIncremental, nullptr));
  ASSERT_TRUE(faultfs::MakeDirs(fs_, "/busy").ok());
  ASSERT_TRUE(faultfs::WriteWholeFile(fs_, "/busy/x", std::vector<std::uint8_t>{1}).ok());
  EXPECT_JET_ERR(JET_errBackupDirectoryNotEmpty, JetBackupInstance(inst_, "/busy", 0, nullptr));
  EXPECT_JET_ERR(JET_errInvalidInstance, JetBackupInstance(inst_ + 999, "/backup", 0, nullptr));
  ASSERT_JET(JetTerm(inst_));
}

TEST_F(BackupRestoreTest, IncrementalIsRefusedWithCircularLogging) {
  config_.circular = true;
  ASSERT_JET(Start(true));
  Load(0, 20);
  ASSERT_JET(JetBackupInstance(inst_, "/backup", 0, nullptr));
  EXPECT_JET_ERR(JET_errInvalidBackup, JetBackupInstance(inst_, "/backup", JET_bitBackupIncremental, nullptr));
  ASSERT_JET(JetTerm(inst_));
}

// A set whose manifest (input: it is read from the backup directory) claims generations
// past the instance's own log is refused, not extended with a gap or a backward range.
TEST_F(BackupRestoreTest, IncrementalIntoASetAheadOfTheLogIsRefused) {
  ASSERT_JET(Start(true));
  Load(0, 20);
  ASSERT_JET(JetBackupInstance(inst_, "/backup", 0, nullptr));
  jet::format::BackupManifest m;
  ASSERT_EQ(jet::backup::ReadManifest(fs_, "/backup", &m), JET_errSuccess);
  for (int i = 0; i < 50; ++i) m.logs.push_back({++m.gen_high, 0, 0});
  ASSERT_EQ(jet::backup::WriteManifest(fs_, "/backup", m), JET_errSuccess);
  EXPECT_JET_ERR(JET_errInvalidLogSequence, JetBackupInstance(inst_, "/backup", JET_bitBackupIncremental, nullptr));
  jet::format::BackupManifest after;
  ASSERT_EQ(jet::backup::ReadManifest(fs_, "/backup", &after), JET_errSuccess);
  EXPECT_EQ(after.gen_high, m.gen_high);  // the set is left as it was
  EXPECT_EQ(after.logs.size(), m.logs.size());
  ASSERT_JET(JetTerm(inst_));
}

TEST_F(BackupRestoreTest, FullBackupProgressManifestAndTruncation) {
  config_.log_kib = 64;
  ASSERT_JET(Start(true));
  Load(0, 600);  // several generations
  std::vector<jet::log::GenerationInfo> before;
  ASSERT_EQ(jet::log::ListGenerations(fs_, "/log", "edb", &before), JET_errSuccess);
  ASSERT_GT(before.size(), 2u);
  StatusEvents().clear();
  ASSERT_JET(JetBackupInstance(inst_, "/backup", 0, RecordStatus));
  ASSERT_GE(StatusEvents().size(), 2u);
  EXPECT_EQ(StatusEvents().front().snt, JET_sntBegin);
  EXPECT_EQ(StatusEvents().front().done, 0u);
  EXPECT_EQ(StatusEvents().front().total, 100u);
  EXPECT_EQ(StatusEvents().back().snt, JET_sntComplete);
  EXPECT_EQ(StatusEvents().back().done, 100u);
  for (const StatusEvent& e : StatusEvents()) EXPECT_EQ(e.snp, JET_snpBackup);

  jet::format::BackupManifest m;
  ASSERT_EQ(jet::backup::ReadManifest(fs_, "/backup", &m), JET_errSuccess);
  EXPECT_EQ(m.page_size, config_.page_size);
  EXPECT_EQ(m.base_name, "edb");
  ASSERT_EQ(m.dbs.size(), 1u);
  EXPECT_EQ(m.dbs[0].original_path, kDbPath);
  EXPECT_EQ(m.dbs[0].file_name, "test.edb");
  EXPECT_EQ(m.logs.size(), static_cast<std::size_t>(m.gen_high - m.gen_low + 1));
  std::uint64_t size = 0;
  ASSERT_TRUE(fs_.FileSize("/backup/test.edb", &size).ok());
  EXPECT_EQ(size, (std::uint64_t{m.dbs[0].pgno_last} + 3) * config_.page_size);
  // Logs neither recovery nor the set needs are gone; the set's own range is kept in the set.
  std::vector<jet::log::GenerationInfo> after;
  ASSERT_EQ(jet::log::ListGenerations(fs_, "/log", "edb", &after), JET_errSuccess);
  EXPECT_LT(after.front().generation, m.gen_high + 2);
  EXPECT_GT(after.front().generation, before.front().generation);
  ASSERT_JET(JetTerm(inst_));
}

// The manifest's per-log CRC is the CRC-32C of the whole file (docs/formats/backup.md),
// however many reads the backup made of it: 1 MiB logs are many copy buffers long.
TEST_F(BackupRestoreTest, ManifestLogCrcIsTheWholeFilesCrc32c) {
  config_.log_kib = 1024;
  ASSERT_JET(Start(true));
  Load(0, 50);
  ASSERT_JET(JetBackupInstance(inst_, "/backup", 0, nullptr));
  jet::format::BackupManifest m;
  ASSERT_EQ(jet::backup::ReadManifest(fs_, "/backup", &m), JET_errSuccess);
  ASSERT_FALSE(m.logs.empty());
  for (const jet::format::BackupLogEntry& log : m.logs) {
    const std::string path = "/backup/" + jet::log::ArchivedLogName("edb", log.generation);
    std::vector<std::uint8_t> bytes;
    ASSERT_TRUE(faultfs::ReadWholeFile(fs_, path, &bytes).ok()) << path;
    EXPECT_EQ(bytes.size(), 1024u * 1024u) << path;
    EXPECT_EQ(log.size, bytes.size()) << path;
    EXPECT_EQ(log.crc, jet::format::Crc32c(bytes)) << path;
  }
  ASSERT_JET(JetTerm(inst_));
}

// A backup stopped by a crash at any I/O point leaves either no manifest or a whole set.
TEST_F(BackupRestoreTest, InterruptedBackupNeverLooksComplete) {
  ASSERT_JET(Start(true));
  Load(0, 100);
  Crash();
  jet::core::ResetProcessStateForTests();
  for (std::uint64_t budget = 0; budget < 60; budget += 3) {
    auto base = fs_.Clone();
    jet::testing::CrashAfterVfs crashing(*base, ~std::uint64_t{0});
    JET_INSTANCE inst = 0;
    ASSERT_JET(CreateConfigured(&crashing, &inst, config_.page_size, config_.log_kib, false));
    ASSERT_JET(JetInit(&inst));
    crashing.SetBudgetFromNow(budget);
    const JET_ERR backup = JetBackupInstance(inst, "/backup", 0, nullptr);
    jet::core::ResetProcessStateForTests();
    auto image = base->CrashImage(faultfs::CrashPolicy::Random(budget, 100'000));
    jet::format::BackupManifest m;
    const JET_ERR read = jet::backup::ReadManifest(*image, "/backup", &m);
    if (backup >= 0) {
      EXPECT_EQ(read, JET_errSuccess) << "budget " << budget;
    } else {
      EXPECT_TRUE(read == JET_errFileNotFound || read == JET_errSuccess) << "budget " << budget;
    }
    if (read != JET_errSuccess) continue;
    // A set with a manifest restores.
    JET_INSTANCE restore = 0;
    ASSERT_JET(CreateConfigured(image.get(), &restore, config_.page_size, config_.log_kib, false));
    EXPECT_EQ(JetRestoreInstance(restore, "/backup", "/restored", nullptr), JET_errSuccess) << "budget " << budget;
    jet::core::ResetProcessStateForTests();
  }
}

}  // namespace
}  // namespace jet_test

// recovery_test.cc — soft recovery: redo/undo after unclean stops, idempotence when
// recovery itself is interrupted, and the checks that refuse mismatched files.
#include <gtest/gtest.h>

#include <map>
#include <string>

#include "api_test_util.h"
#include "base/io_error.h"
#include "faultfs/alloc_fault.h"
#include "format/checksum.h"
#include "format/db_header.h"

namespace jet_test {
namespace {

using Table = std::map<std::string, std::string>;

class RecoveryTest : public EngineTest {
 protected:
  JET_ERR Start(faultfs::MemFs* fs, bool create, std::uint32_t page_size = 8192) {
    JET_ERR err = CreateConfigured(fs, &inst_, page_size, 128);
    if (err < 0) return err;
    return InitAndOpenTable(&inst_, &ses_, &dbid_, &tab_, create);
  }
  JET_ERR Put(const std::string& k, const std::string& v) {
    JET_ERR err = JetInsertRecord(ses_, tab_, k.data(), k.size(), v.data(), v.size());
    if (err == JET_errKeyDuplicate) err = JetReplaceRecord(ses_, tab_, k.data(), k.size(), v.data(), v.size());
    return err;
  }
  Table Read() {
    Table t;
    EXPECT_EQ(ReadTable(ses_, tab_, &t), JET_errSuccess);
    return t;
  }
  // Committed work (durable), plus one transaction left open at the crash.
  void Workload(Table* committed) {
    for (int i = 0; i < 300; ++i) {
      std::string k = "k" + std::to_string(i % 120),
                  v(static_cast<std::size_t>(50 + i % 400), static_cast<char>('a' + i % 26));
      if (i % 50 == 7) v = std::string(20000, 'L');  // long values
      ASSERT_JET(Put(k, v));
      (*committed)[k] = v;
    }
    ASSERT_JET(JetDeleteRecord(ses_, tab_, "k3", 2));
    committed->erase("k3");
    ASSERT_JET(JetBeginTransaction(ses_));
    ASSERT_JET(Put("k5", "uncommitted"));
    ASSERT_JET(Put("zz-new", "uncommitted"));
    ASSERT_JET(JetDeleteRecord(ses_, tab_, "k6", 2));
    JET_SESID other = 0;
    ASSERT_JET(JetBeginSession(inst_, &other, nullptr, nullptr));
    ASSERT_JET(JetCommitTransaction(ses_, JET_bitWaitLastLevel0Commit));  // flush the open txn's records
  }

  JET_INSTANCE inst_ = JET_instanceNil;
  JET_SESID ses_ = 0;
  JET_DBID dbid_ = 0;
  JET_TABLEID tab_ = 0;
};

TEST_F(RecoveryTest, AbruptTermRedoesCommittedAndUndoesOpenTransactions) {
  faultfs::MemFs fs;
  ASSERT_JET(Start(&fs, true));
  Table committed;
  Workload(&committed);
  ASSERT_JET(JetTerm2(inst_, JET_bitTermAbrupt));
  ASSERT_JET(Start(&fs, false));
  EXPECT_EQ(Read(), committed);
  ASSERT_JET(JetTerm(inst_));
}

TEST_F(RecoveryTest, PowerFailureImagesRecoverEveryDurableCommit) {
  for (std::uint64_t seed = 1; seed <= 12; ++seed) {
    jet::core::ResetProcessStateForTests();
    faultfs::MemFs fs;
    ASSERT_JET(Start(&fs, true));
    Table committed;
    Workload(&committed);
    ASSERT_JET(JetTerm2(inst_, JET_bitTermAbrupt));
    auto image = fs.CrashImage(faultfs::CrashPolicy::Random(seed, 250'000));
    JET_ERR err = Start(image.get(), false);
    ASSERT_GE(err, 0) << "seed " << seed << ": " << JetErrorName(err) << " " << jet::LastErrorDetail();
    EXPECT_EQ(Read(), committed) << "seed " << seed;
    ASSERT_JET(JetTerm2(inst_, JET_bitTermAbrupt));
  }
}

// Interrupting recovery at every allocation in turn, then crashing (random survival
// of its unsynced writes) and recovering again, ends in the same state (rule 6).
TEST_F(RecoveryTest, InterruptedRecoveryIsIdempotent) {
  faultfs::MemFs fs;
  ASSERT_JET(Start(&fs, true));
  Table committed;
  Workload(&committed);
  ASSERT_JET(JetTerm2(inst_, JET_bitTermAbrupt));
  auto crashed = fs.CrashImage(faultfs::CrashPolicy::KeepAll());
  int interrupted = 0;
  for (std::uint64_t nth = 0; nth < 400; nth += 5) {
    jet::core::ResetProcessStateForTests();
    auto attempt = crashed->Clone();
    JET_ERR err = 0;
    {
      faultfs::AllocFaultInjector inject("*", nth, true);
      err = CreateConfigured(attempt.get(), &inst_, 8192, 128);
      if (err >= 0) err = JetInit(&inst_);
    }
    if (err >= 0) {
      ASSERT_JET(JetTerm2(inst_, JET_bitTermAbrupt));
      break;  // recovery needed fewer allocations than nth
    }
    EXPECT_EQ(err, JET_errOutOfMemory) << "nth " << nth;
    ++interrupted;
    auto after = attempt->CrashImage(faultfs::CrashPolicy::Random(nth, 100'000));
    jet::core::ResetProcessStateForTests();
    err = Start(after.get(), false);
    ASSERT_GE(err, 0) << "nth " << nth << ": " << JetErrorName(err) << " " << jet::LastErrorDetail();
    EXPECT_EQ(Read(), committed) << "nth " << nth;
    ASSERT_JET(JetTerm2(inst_, JET_bitTermAbrupt));
  }
  EXPECT_GT(interrupted, 3);
}

TEST_F(RecoveryTest, MissingLogGenerationIsReported) {
  faultfs::MemFs fs;
  ASSERT_JET(Start(&fs, true));
  Table committed;
  for (int i = 0; i < 400; ++i) ASSERT_JET(Put("key" + std::to_string(i), std::string(1000, 'x')));
  ASSERT_JET(JetTerm2(inst_, JET_bitTermAbrupt));
  std::vector<std::string> names;
  ASSERT_TRUE(fs.ListDir("/log", &names).ok());
  // Delete an archived generation in the middle of what redo needs.
  std::vector<std::string> archived;
  for (const auto& n : names) {
    if (n.size() == 12 && n.rfind("edb", 0) == 0) archived.push_back(n);
  }
  ASSERT_GE(archived.size(), 2u);
  ASSERT_TRUE(fs.Delete("/log/" + archived[archived.size() - 1]).ok());
  ASSERT_TRUE(fs.Delete("/sys/edb.chk").ok());  // redo from the first generation present
  jet::core::ResetProcessStateForTests();
  JET_ERR err = CreateConfigured(&fs, &inst_);
  ASSERT_JET(JetSetSystemParameter(&inst_, 0, JET_paramLogFileSize, 128, nullptr));
  EXPECT_EQ(JetInit(&inst_), JET_errMissingLogFile) << jet::LastErrorDetail();
  (void)err;
}

TEST_F(RecoveryTest, ReplacedDatabaseIsAnAttachMismatch) {
  faultfs::MemFs fs;
  ASSERT_JET(Start(&fs, true));
  ASSERT_JET(Put("a", "1"));
  ASSERT_JET(JetTerm2(inst_, JET_bitTermAbrupt));
  // Another database (another signDb) at the same path.
  faultfs::MemFs other;
  jet::core::ResetProcessStateForTests();
  ASSERT_JET(Start(&other, true));
  ASSERT_JET(JetTerm(inst_));
  std::vector<std::uint8_t> bytes;
  ASSERT_TRUE(faultfs::ReadWholeFile(other, kDbPath, &bytes).ok());
  ASSERT_TRUE(faultfs::WriteWholeFile(fs, kDbPath, bytes).ok());
  jet::core::ResetProcessStateForTests();
  ASSERT_JET(CreateConfigured(&fs, &inst_, 8192, 128));
  EXPECT_EQ(JetInit(&inst_), JET_errAttachedDatabaseMismatch);
}

TEST_F(RecoveryTest, MissingDatabaseIsRecreatedFromItsCreateRecordAndPageSizeIsChecked) {
  faultfs::MemFs fs;
  ASSERT_JET(Start(&fs, true));
  ASSERT_JET(Put("a", "1"));
  ASSERT_JET(JetTerm2(inst_, JET_bitTermAbrupt));
  auto without_db = fs.Clone();
  ASSERT_TRUE(without_db->Delete(kDbPath).ok());
  jet::core::ResetProcessStateForTests();
  ASSERT_JET(CreateConfigured(without_db.get(), &inst_, 8192, 128));
  // The create record recreates a database whose file is gone entirely.
  ASSERT_JET(JetInit(&inst_));
  jet::core::ResetProcessStateForTests();
  ASSERT_JET(CreateConfigured(&fs, &inst_, 4096, 128));
  JET_ERR err = JetInit(&inst_);
  EXPECT_TRUE(err == JET_errPageSizeMismatch) << JetErrorName(err);
}

// A power cut inside JetCreateDatabase, after its create record was flushed and before
// its catalog root reached the log (the window `fuse-power-loss` found through jetutil
// load): recovery finishes the creation, so the database is empty and whole rather than
// a header without a catalog (JetGetTableNames: JET_errPageNotInitialized).
TEST_F(RecoveryTest, CreationCutBeforeItsCatalogIsFinishedByRecovery) {
  faultfs::MemFs fs;
  ASSERT_JET(CreateConfigured(&fs, &inst_, 8192, 128));
  ASSERT_JET(JetInit(&inst_));
  ASSERT_JET(JetBeginSession(inst_, &ses_, nullptr, nullptr));
  ASSERT_JET(JetCreateDatabase(ses_, kDbPath, nullptr, &dbid_, 0));
  // Only what is synced survives: the create record, not the catalog's.
  auto image = fs.CrashImage(faultfs::CrashPolicy::DropAll());
  ASSERT_JET(JetTerm2(inst_, JET_bitTermAbrupt));
  auto table_names = [this] {
    char names[64];
    unsigned long cb = 0;
    EXPECT_EQ(JetGetTableNames(ses_, dbid_, names, sizeof names, &cb), JET_errSuccess);
    return std::string(names, std::min<unsigned long>(cb, sizeof names));
  };
  auto reopen = [&] {
    jet::core::ResetProcessStateForTests();
    ASSERT_JET(CreateConfigured(image.get(), &inst_, 8192, 128));
    ASSERT_JET(JetInit(&inst_));
    ASSERT_JET(JetBeginSession(inst_, &ses_, nullptr, nullptr));
    ASSERT_JET(JetAttachDatabase(ses_, kDbPath, 0));
    ASSERT_JET(JetOpenDatabase(ses_, kDbPath, nullptr, &dbid_, 0));
  };
  reopen();
  EXPECT_EQ(table_names(), "");
  JET_TABLEID table = 0;
  ASSERT_JET(JetCreateTable(ses_, dbid_, "after", 0, 0, &table));  // implicit, durable
  ASSERT_JET(JetTerm2(inst_, JET_bitTermAbrupt));
  // The finished creation was logged like any operation: a second recovery keeps it.
  reopen();
  EXPECT_EQ(table_names(), std::string("after\0", 6));
  ASSERT_JET(JetTerm(inst_));
}

TEST_F(RecoveryTest, LostPageFlushIsDbTimeTooOld) {
  faultfs::MemFs fs;
  ASSERT_JET(Start(&fs, true));
  for (int i = 0; i < 50; ++i) ASSERT_JET(Put("key" + std::to_string(i), std::string(100, 'x')));
  ASSERT_JET(JetTerm(inst_));  // clean: state S0 on disk
  std::vector<std::uint8_t> s0;
  ASSERT_TRUE(faultfs::ReadWholeFile(fs, kDbPath, &s0).ok());
  jet::core::ResetProcessStateForTests();
  ASSERT_JET(Start(&fs, false));
  for (int i = 0; i < 50; ++i) ASSERT_JET(Put("key" + std::to_string(i), std::string(100, 'y')));
  // Detach flushes S1 and moves the checkpoint past it; changes after the re-attach
  // are redone on top of S1.
  ASSERT_JET(JetCloseTable(ses_, tab_));
  ASSERT_JET(JetCloseDatabase(ses_, dbid_, 0));
  ASSERT_JET(JetDetachDatabase(ses_, kDbPath));
  ASSERT_JET(JetAttachDatabase(ses_, kDbPath, 0));
  ASSERT_JET(JetOpenDatabase(ses_, kDbPath, nullptr, &dbid_, 0));
  ASSERT_JET(JetOpenTable(ses_, dbid_, "t", nullptr, 0, 0, &tab_));
  for (int i = 0; i < 50; ++i) ASSERT_JET(Put("key" + std::to_string(i), std::string(100, 'z')));
  ASSERT_JET(JetTerm2(inst_, JET_bitTermAbrupt));
  // The device "lost" the S1 page writes: S0's data pages under the current header.
  std::vector<std::uint8_t> now;
  ASSERT_TRUE(faultfs::ReadWholeFile(fs, kDbPath, &now).ok());
  ASSERT_LE(s0.size(), now.size());
  std::copy(s0.begin() + 2 * 8192, s0.end(), now.begin() + 2 * 8192);
  ASSERT_TRUE(faultfs::WriteWholeFile(fs, kDbPath, now).ok());
  jet::core::ResetProcessStateForTests();
  ASSERT_JET(CreateConfigured(&fs, &inst_, 8192, 128));
  EXPECT_EQ(JetInit(&inst_), JET_errDbTimeTooOld) << jet::LastErrorDetail();
}

TEST_F(RecoveryTest, CorruptDataPageWithoutAnImageInTheLogIsReported) {
  faultfs::MemFs fs;
  ASSERT_JET(Start(&fs, true));
  for (int i = 0; i < 200; ++i) ASSERT_JET(Put("key" + std::to_string(i), std::string(100, 'x')));
  ASSERT_JET(JetTerm(inst_));
  // Bit rot in data page 1 (the catalog root) of a clean database.
  const std::uint8_t junk[] = {0xde, 0xad};
  ASSERT_TRUE(fs.CorruptStored(kDbPath, 2 * 8192 + 100, junk).ok());
  jet::core::ResetProcessStateForTests();
  ASSERT_JET(CreateConfigured(&fs, &inst_, 8192, 128));
  ASSERT_JET(JetInit(&inst_));
  ASSERT_JET(JetBeginSession(inst_, &ses_, nullptr, nullptr));
  ASSERT_JET(JetAttachDatabase(ses_, kDbPath, 0));
  ASSERT_JET(JetOpenDatabase(ses_, kDbPath, nullptr, &dbid_, 0));
  EXPECT_EQ(JetOpenTable(ses_, dbid_, "t", nullptr, 0, 0, &tab_), JET_errReadVerifyFailure);
}

// Pages evicted from a tiny cache while a transaction is open reach the file only
// after their log records are durable (write-ahead, rule 1): a power failure that keeps
// every database write and drops every unsynced log write still recovers without the
// uncommitted changes.
TEST_F(RecoveryTest, EvictedPagesNeverGetAheadOfTheLog) {
  faultfs::MemFs fs;
  ASSERT_JET(CreateConfigured(&fs, &inst_, 4096, 128));
  ASSERT_JET(JetSetSystemParameter(&inst_, 0, JET_paramCacheSizeMax, 2, nullptr));
  ASSERT_JET(JetInit(&inst_));
  ASSERT_JET(JetBeginSession(inst_, &ses_, nullptr, nullptr));
  ASSERT_JET(JetCreateDatabase(ses_, kDbPath, nullptr, &dbid_, 0));
  ASSERT_JET(JetCreateTable(ses_, dbid_, "t", 0, 0, &tab_));
  Table committed;
  for (int i = 0; i < 40; ++i) {
    std::string k = "c" + std::to_string(i);
    ASSERT_JET(Put(k, std::string(200, 'c')));
    committed[k] = std::string(200, 'c');
  }
  ASSERT_JET(JetBeginTransaction(ses_));
  for (int i = 0; i < 60; ++i) ASSERT_JET(Put("u" + std::to_string(i), std::string(200, 'u')));
  ASSERT_JET(JetTerm2(inst_, JET_bitTermAbrupt));
  faultfs::CrashPolicy policy = faultfs::CrashPolicy::KeepAll();
  for (const faultfs::PendingWrite& w : fs.PendingWrites()) {
    if (w.path.rfind("/log", 0) == 0) policy.write_overrides[w.sequence] = faultfs::Fate::kDrop;
  }
  auto image = fs.CrashImage(policy);
  jet::core::ResetProcessStateForTests();
  JET_ERR err = Start(image.get(), false, 4096);
  ASSERT_GE(err, 0) << JetErrorName(err) << " " << jet::LastErrorDetail();
  EXPECT_EQ(Read(), committed);
}

}  // namespace
}  // namespace jet_test

// api_semantics_test.cc — instance modes, system parameters, sessions and
// transactions (isolation, write conflicts, nesting), cursors, allocation failures.
#include <gtest/gtest.h>

#include <string>

#include "api_test_util.h"
#include "core/instance.h"
#include "faultfs/alloc_fault.h"

namespace jet_test {
namespace {

class ApiSemanticsTest : public EngineTest {
 protected:
  void Open() {
    ASSERT_JET(CreateConfigured(&fs_, &inst_));
    ASSERT_JET(JetInit(&inst_));
    for (auto* s : {&a_, &b_}) ASSERT_JET(JetBeginSession(inst_, s, nullptr, nullptr));
    ASSERT_JET(JetCreateDatabase(a_, kDbPath, nullptr, &dbid_, 0));
    ASSERT_JET(JetCreateTable(a_, dbid_, "t", 0, 0, &ta_));
    ASSERT_JET(JetOpenDatabase(b_, kDbPath, nullptr, &dbid_, 0));
    ASSERT_JET(JetOpenTable(b_, dbid_, "t", nullptr, 0, 0, &tb_));
  }
  JET_ERR Insert(JET_SESID s, JET_TABLEID t, const std::string& k, const std::string& v) {
    return JetInsertRecord(s, t, k.data(), k.size(), v.data(), v.size());
  }
  JET_ERR Replace(JET_SESID s, JET_TABLEID t, const std::string& k, const std::string& v) {
    return JetReplaceRecord(s, t, k.data(), k.size(), v.data(), v.size());
  }
  std::string Get(JET_SESID s, JET_TABLEID t, const std::string& k) {
    JET_ERR err = 0;
    std::string v = RetrieveString(s, t, k, &err);
    return err == JET_errSuccess ? v : std::string("<") + JetErrorName(err) + ">";
  }

  faultfs::MemFs fs_;
  JET_INSTANCE inst_ = JET_instanceNil;
  JET_SESID a_ = 0, b_ = 0;
  JET_DBID dbid_ = 0;
  JET_TABLEID ta_ = 0, tb_ = 0;
};

TEST_F(ApiSemanticsTest, LegacyAndMultiInstanceModesExcludeEachOther) {
  JET_INSTANCE legacy = JET_instanceNil;
  ASSERT_JET(JetSetSystemParameter(nullptr, 0, JET_paramVfs, reinterpret_cast<JET_API_PTR>(&fs_), nullptr));
  ASSERT_JET(JetSetSystemParameter(nullptr, 0, JET_paramLogFilePath, 0, "/log"));
  ASSERT_JET(JetSetSystemParameter(nullptr, 0, JET_paramSystemPath, 0, "/sys"));
  ASSERT_JET(JetInit(&legacy));
  EXPECT_NE(legacy, JET_instanceNil);
  JET_INSTANCE multi = 0;
  EXPECT_EQ(JetCreateInstance(&multi, "x"), JET_errRunningInOneInstanceMode);
  EXPECT_EQ(JetInit(nullptr), JET_errAlreadyInitialized);
  ASSERT_JET(JetTerm(legacy));
  ASSERT_JET(JetCreateInstance(&multi, "x"));
  EXPECT_EQ(JetCreateInstance(&multi, "x"), JET_errInstanceNameInUse);
  EXPECT_EQ(JetInit(nullptr), JET_errRunningInMultiInstanceMode);
  JET_INSTANCE bogus = 12345;
  EXPECT_EQ(JetInit(&bogus), JET_errInvalidParameter);
  jet::core::InstanceRuntime* rt = nullptr;
  EXPECT_EQ(jet::core::InstanceRuntime::ResolveInstanceForInit(&bogus, &rt), JET_errInvalidParameter);
}

// A generation must hold JET_cpgLogFileMin pages: at 32 KiB pages a 64 KiB log could
// not hold one table creation's record (JetCreateTable failed with
// JET_errRecordTooBig). JetInit and JetRestoreInstance refuse the pair before writing
// anything; a size that holds them works, a table creation and splits included.
TEST_F(ApiSemanticsTest, LogFileSizeBelowEightPagesIsRefusedByInitAndRestore) {
  const std::string value(3000, 'v');
  {
    ASSERT_JET(CreateConfigured(&fs_, &inst_, 32768, 8 * 32));
    JET_SESID ses = JET_sesidNil;
    JET_DBID dbid = JET_dbidNil;
    JET_TABLEID tab = JET_tableidNil;
    ASSERT_JET(InitAndOpenTable(&inst_, &ses, &dbid, &tab, true));
    JET_TABLEID second = JET_tableidNil;
    ASSERT_JET(JetCreateTable(ses, dbid, "second", 0, 0, &second));
    for (int i = 0; i < 40; ++i) {  // ten records a leaf: splits
      const std::string key = "key" + std::to_string(1000 + i);
      ASSERT_JET(JetInsertRecord(ses, tab, key.data(), static_cast<unsigned long>(key.size()), value.data(),
                                 static_cast<unsigned long>(value.size())));
    }
    ASSERT_JET(JetBackupInstance(inst_, "/backup", 0, nullptr));
    ASSERT_JET(JetTerm(inst_));
  }
  faultfs::MemFs fresh;
  JET_INSTANCE small = JET_instanceNil;
  ASSERT_JET(CreateConfigured(&fresh, &small, 32768, 8 * 32 - 4));
  EXPECT_EQ(JetInit(&small), JET_errInvalidParameter);
  EXPECT_NE(std::string(JetGetLastErrorDetail()).find("JET_paramLogFileSize 252 KiB"), std::string::npos)
      << JetGetLastErrorDetail();
  bool exists = true;
  ASSERT_TRUE(fresh.Exists("/log/edb.log", &exists).ok());
  EXPECT_FALSE(exists) << "JetInit wrote a log before refusing";
  ASSERT_JET(JetTerm(small));
  // Restore refuses before installing anything.
  JET_INSTANCE restorer = JET_instanceNil;
  ASSERT_JET(CreateConfigured(&fs_, &restorer, 32768, 8 * 32 - 4));
  EXPECT_EQ(JetRestoreInstance(restorer, "/backup", "/restored", nullptr), JET_errInvalidParameter);
  ASSERT_TRUE(fs_.Exists("/restored/test.edb", &exists).ok());
  EXPECT_FALSE(exists) << "JetRestoreInstance installed a database before refusing";
  ASSERT_JET(JetSetSystemParameter(&restorer, 0, JET_paramLogFileSize, 8 * 32, nullptr));
  ASSERT_JET(JetRestoreInstance(restorer, "/backup", "/restored", nullptr));
  ASSERT_JET(JetTerm(restorer));
}

TEST_F(ApiSemanticsTest, SystemParametersAreValidatedAndFrozenByInit) {
  ASSERT_JET(CreateConfigured(&fs_, &inst_));
  EXPECT_EQ(JetSetSystemParameter(&inst_, 0, JET_paramDatabasePageSize, 12288, nullptr), JET_errInvalidParameter);
  EXPECT_EQ(JetSetSystemParameter(&inst_, 0, JET_paramBaseName, 0, "edbx"), JET_errInvalidParameter);
  ASSERT_JET(JetSetSystemParameter(&inst_, 0, JET_paramDatabasePageSize, 16384, nullptr));
  JET_API_PTR value = 0;
  ASSERT_JET(JetGetSystemParameter(inst_, 0, JET_paramDatabasePageSize, &value, nullptr, 0));
  EXPECT_EQ(value, 16384u);
  char path[64];
  ASSERT_JET(JetGetSystemParameter(inst_, 0, JET_paramLogFilePath, nullptr, path, sizeof(path)));
  EXPECT_STREQ(path, "/log");
  ASSERT_JET(JetInit(&inst_));
  EXPECT_EQ(JetSetSystemParameter(&inst_, 0, JET_paramDatabasePageSize, 4096, nullptr), JET_errAfterInitialization);
  jet::core::InstanceRuntime* rt = nullptr;
  EXPECT_EQ(jet::core::InstanceRuntime::ResolveInstanceForInit(&inst_, &rt), JET_errAlreadyInitialized);
}

TEST_F(ApiSemanticsTest, OthersSeeBeforeImagesAndConflictingWritesFail) {
  Open();
  ASSERT_JET(Insert(a_, ta_, "k", "v1"));
  ASSERT_JET(JetBeginTransaction(a_));
  ASSERT_JET(Replace(a_, ta_, "k", "v2"));
  ASSERT_JET(Insert(a_, ta_, "new", "n"));
  EXPECT_EQ(Get(a_, ta_, "k"), "v2");
  EXPECT_EQ(Get(b_, tb_, "k"), "v1");
  EXPECT_EQ(Get(b_, tb_, "new"), "<JET_errRecordNotFound>");
  ASSERT_JET(JetBeginTransaction(b_));
  EXPECT_EQ(Replace(b_, tb_, "k", "b"), JET_errWriteConflict);
  EXPECT_EQ(Insert(b_, tb_, "new", "b"), JET_errWriteConflict);
  EXPECT_EQ(JetDeleteRecord(b_, tb_, "k", 1), JET_errWriteConflict);
  std::map<std::string, std::string> seen_by_b;
  ASSERT_JET(ReadTable(b_, tb_, &seen_by_b));
  EXPECT_EQ(seen_by_b, (std::map<std::string, std::string>{{"k", "v1"}}));
  ASSERT_JET(JetCommitTransaction(a_, 0));
  EXPECT_EQ(Get(b_, tb_, "k"), "v2");
  ASSERT_JET(Replace(b_, tb_, "k", "b"));
  ASSERT_JET(JetRollback(b_, 0));
  EXPECT_EQ(Get(a_, ta_, "k"), "v2");
}

TEST_F(ApiSemanticsTest, NestedRollbackUndoesOnlyTheInnerLevel) {
  Open();
  ASSERT_JET(JetBeginTransaction(a_));
  ASSERT_JET(Insert(a_, ta_, "outer", "1"));
  ASSERT_JET(JetBeginTransaction(a_));
  ASSERT_JET(Replace(a_, ta_, "outer", "2"));
  ASSERT_JET(Insert(a_, ta_, "inner", "x"));
  ASSERT_JET(JetRollback(a_, 0));
  EXPECT_EQ(Get(a_, ta_, "outer"), "1");
  EXPECT_EQ(Get(a_, ta_, "inner"), "<JET_errRecordNotFound>");
  ASSERT_JET(JetCommitTransaction(a_, 0));
  EXPECT_EQ(Get(b_, tb_, "outer"), "1");
  EXPECT_EQ(JetCommitTransaction(a_, 0), JET_errNotInTransaction);
  EXPECT_EQ(JetRollback(a_, 0), JET_errNotInTransaction);
}

TEST_F(ApiSemanticsTest, CursorMovesInKeyOrderAndReportsBufferSizes) {
  Open();
  for (const char* k : {"b", "a", "d", "c"}) ASSERT_JET(Insert(a_, ta_, k, std::string("v") + k));
  ASSERT_JET(JetMove(a_, ta_, JET_MoveLast, 0));
  char key[8];
  unsigned long cb = 0;
  ASSERT_JET(JetRetrieveKey(a_, ta_, key, sizeof(key), &cb, 0));
  EXPECT_EQ(std::string(key, cb), "d");
  ASSERT_JET(JetMove(a_, ta_, JET_MovePrevious, 0));
  ASSERT_JET(JetRetrieveKey(a_, ta_, key, sizeof(key), &cb, 0));
  EXPECT_EQ(std::string(key, cb), "c");
  char small[1];
  EXPECT_EQ(JetRetrieveCurrentValue(a_, ta_, small, sizeof(small), &cb), JET_errBufferTooSmall);
  EXPECT_EQ(cb, 2u);
  ASSERT_JET(JetMove(a_, ta_, JET_MoveFirst, 0));
  EXPECT_EQ(JetMove(a_, ta_, JET_MovePrevious, 0), JET_errNoCurrentRecord);
  EXPECT_EQ(JetRetrieveKey(a_, ta_, key, sizeof(key), &cb, 0), JET_errNoCurrentRecord);
  std::string long_key(256, 'k');
  EXPECT_EQ(Insert(a_, ta_, long_key, "v"), JET_errKeyTooBig);
  EXPECT_EQ(Insert(a_, ta_, "a", "v"), JET_errKeyDuplicate);
  EXPECT_EQ(Replace(a_, ta_, "zz", "v"), JET_errRecordNotFound);
  char names[16];
  ASSERT_JET(JetGetTableNames(a_, dbid_, names, sizeof(names), &cb));
  EXPECT_EQ(std::string(names, cb), std::string("t\0", 2));
  JET_TABLEID t2 = 0;
  EXPECT_EQ(JetCreateTable(a_, dbid_, "t", 0, 0, &t2), JET_errTableDuplicate);
  EXPECT_EQ(JetOpenTable(a_, dbid_, "nope", nullptr, 0, 0, &t2), JET_errObjectNotFound);
}

TEST_F(ApiSemanticsTest, LongValuesRoundTrip) {
  Open();
  std::string big(300000, '\0');
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>(i * 13);
  ASSERT_JET(Insert(a_, ta_, "big", big));
  EXPECT_EQ(Get(b_, tb_, "big"), big);
  ASSERT_JET(JetBeginTransaction(a_));
  ASSERT_JET(Replace(a_, ta_, "big", "small now"));
  EXPECT_EQ(Get(b_, tb_, "big"), big);  // the before-image references the old chain
  ASSERT_JET(JetRollback(a_, 0));
  EXPECT_EQ(Get(a_, ta_, "big"), big);
}

// Every allocation site, failed in turn, yields JET_errOutOfMemory (or success when the
// failure was absorbed) and leaves the instance usable and consistent.
TEST_F(ApiSemanticsTest, AllocationFailuresBecomeOutOfMemory) {
  Open();
  ASSERT_JET(Insert(a_, ta_, "base", "0"));
  int failures = 0;
  for (std::uint64_t nth = 0; nth < 200; ++nth) {
    JET_ERR err = 0;
    std::string key = "key" + std::to_string(nth);
    {
      faultfs::AllocFaultInjector inject("*", nth, false);
      err = Insert(a_, ta_, key, std::string(5000, 'x'));  // a long value: many sites
      if (inject.failures() == 0) {
        ASSERT_JET(err);
        break;
      }
    }
    ++failures;
    ASSERT_TRUE(err == JET_errOutOfMemory || err >= 0) << nth << " " << JetErrorName(err);
    std::string got = Get(a_, ta_, key);
    EXPECT_TRUE(err >= 0 ? got == std::string(5000, 'x') : got == "<JET_errRecordNotFound>") << nth;
  }
  EXPECT_GT(failures, 5);
  EXPECT_EQ(Get(b_, tb_, "base"), "0");
  ASSERT_JET(JetTerm(inst_));
}

}  // namespace
}  // namespace jet_test

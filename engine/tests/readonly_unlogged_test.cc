// readonly_unlogged_test.cc — two ways of running without writing what ESE would not
// write: a database attached with JET_bitDbReadOnly (the file is never written, updates
// are JET_errPermissionDenied, a dirty file is JET_errDatabaseDirtyShutdown), and an
// instance with JET_paramRecovery "off" (no soft recovery, no log or checkpoint file;
// a database left dirty by a crash cannot be attached again).
#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "api_test_util.h"
#include "core/instance.h"

namespace jet_test {
namespace {

using Table = std::map<std::string, std::string>;

std::vector<std::uint8_t> FileBytes(faultfs::Vfs& fs, const std::string& path) {
  std::vector<std::uint8_t> bytes;
  EXPECT_TRUE(faultfs::ReadWholeFile(fs, path, &bytes).ok()) << path;
  return bytes;
}

std::vector<std::string> DirNames(faultfs::Vfs& fs, const std::string& dir) {
  std::vector<std::string> names;
  bool exists = false;
  if (fs.Exists(dir, &exists).ok() && exists) {
    EXPECT_TRUE(fs.ListDir(dir, &names).ok());
  }
  return names;
}

class ReadOnlyUnloggedTest : public EngineTest {
 protected:
  // An instance whose log and checkpoint live in `dir` (tests use a second directory
  // to look at a database without the log that could recover it).
  JET_ERR Configure(faultfs::MemFs* fs, const char* dir, bool recovery) {
    JET_ERR err = CreateConfigured(fs, &inst_, 8192, 128);
    if (err >= 0) err = JetSetSystemParameter(&inst_, JET_sesidNil, JET_paramLogFilePath, 0, dir);
    if (err >= 0) err = JetSetSystemParameter(&inst_, JET_sesidNil, JET_paramSystemPath, 0, dir);
    if (err >= 0) err = JetSetSystemParameter(&inst_, JET_sesidNil, JET_paramRecovery, 0, recovery ? "on" : "off");
    return err;
  }
  JET_ERR Put(const std::string& k, const std::string& v) {
    return JetInsertRecord(ses_, tab_, k.data(), k.size(), v.data(), v.size());
  }
  // A database with table t holding `rows` (one long value), shut down cleanly.
  void MakeDatabase(faultfs::MemFs* fs, Table* rows) {
    ASSERT_JET(Configure(fs, "/log", true));
    ASSERT_JET(InitAndOpenTable(&inst_, &ses_, &dbid_, &tab_, true));
    for (int i = 0; i < 50; ++i) {
      std::string k = "k" + std::to_string(i), v(i == 7 ? 30000 : 100, static_cast<char>('a' + i % 26));
      ASSERT_JET(Put(k, v));
      (*rows)[k] = v;
    }
    ASSERT_JET(JetTerm(inst_));
  }
  // MakeDatabase, then one more committed row ("more") and a crash: the file is left
  // dirty, recoverable from /log.
  void MakeDirtyDatabase(faultfs::MemFs* fs, Table* rows) {
    ASSERT_NO_FATAL_FAILURE(MakeDatabase(fs, rows));
    ASSERT_JET(Configure(fs, "/log", true));
    ASSERT_JET(InitAndOpenTable(&inst_, &ses_, &dbid_, &tab_, false));
    ASSERT_JET(Put("more", "v"));
    ASSERT_JET(JetTerm2(inst_, JET_bitTermAbrupt));
  }

  // An instance logging to /log, the database attached read-only, table t read.
  void ReadReadOnly(faultfs::MemFs* fs, Table* seen) {
    ASSERT_JET(Configure(fs, "/log", true));
    ASSERT_JET(JetInit(&inst_));
    ASSERT_JET(JetBeginSession(inst_, &ses_, nullptr, nullptr));
    ASSERT_JET(OpenReadOnly());
    ASSERT_JET(ReadTable(ses_, tab_, seen));
  }
  JET_ERR OpenReadOnly() {
    JET_ERR err = JetAttachDatabase(ses_, kDbPath, JET_bitDbReadOnly);
    if (err >= 0) err = JetOpenDatabase(ses_, kDbPath, nullptr, &dbid_, JET_bitDbReadOnly);
    if (err >= 0) err = JetOpenTable(ses_, dbid_, "t", nullptr, 0, 0, &tab_);
    return err;
  }

  JET_INSTANCE inst_ = JET_instanceNil;
  JET_SESID ses_ = 0;
  JET_DBID dbid_ = 0;
  JET_TABLEID tab_ = 0;
};

TEST_F(ReadOnlyUnloggedTest, ReadOnlyAttachReadsAndNeverWrites) {
  faultfs::MemFs fs;
  Table rows;
  MakeDatabase(&fs, &rows);
  const std::vector<std::uint8_t> before = FileBytes(fs, kDbPath);

  Table seen;
  ASSERT_NO_FATAL_FAILURE(ReadReadOnly(&fs, &seen));
  EXPECT_EQ(seen, rows);
  EXPECT_JET_ERR(JET_errPermissionDenied, Put("new", "v"));
  EXPECT_JET_ERR(JET_errPermissionDenied, JetReplaceRecord(ses_, tab_, "k1", 2, "v", 1));
  EXPECT_JET_ERR(JET_errPermissionDenied, JetDeleteRecord(ses_, tab_, "k1", 2));
  JET_TABLEID other = 0;
  EXPECT_JET_ERR(JET_errPermissionDenied, JetCreateTable(ses_, dbid_, "u", 0, 0, &other));
  // Term while attached: the read-only file is not part of the instance's shutdown.
  ASSERT_JET(JetTerm(inst_));
  EXPECT_EQ(FileBytes(fs, kDbPath), before);

  // A read-write attachment opened through a read-only handle refuses updates too,
  // while the session's read-write handle still updates.
  ASSERT_JET(Configure(&fs, "/log", true));
  ASSERT_JET(InitAndOpenTable(&inst_, &ses_, &dbid_, &tab_, false));
  JET_DBID ro = 0;
  JET_TABLEID ro_tab = 0;
  ASSERT_JET(JetOpenDatabase(ses_, kDbPath, nullptr, &ro, JET_bitDbReadOnly));
  ASSERT_JET(JetOpenTable(ses_, ro, "t", nullptr, 0, 0, &ro_tab));
  EXPECT_JET_ERR(JET_errPermissionDenied, JetInsertRecord(ses_, ro_tab, "x", 1, "v", 1));
  ASSERT_JET(JetOpenDatabase(ses_, kDbPath, nullptr, &ro, 0));
  ASSERT_JET(JetOpenTable(ses_, ro, "t", nullptr, 0, 0, &ro_tab));
  ASSERT_JET(JetInsertRecord(ses_, ro_tab, "x", 1, "v", 1));
  EXPECT_JET_ERR(JET_errInvalidGrbit, JetOpenDatabase(ses_, kDbPath, nullptr, &ro, 0x100));
  ASSERT_JET(JetTerm(inst_));
}

TEST_F(ReadOnlyUnloggedTest, ReadOnlyAttachOfDirtyDatabaseIsDirtyShutdownAndWritesNothing) {
  faultfs::MemFs fs;
  Table rows;
  ASSERT_NO_FATAL_FAILURE(MakeDirtyDatabase(&fs, &rows));
  const std::vector<std::uint8_t> dirty = FileBytes(fs, kDbPath);

  // Another log directory: nothing recovers the file there.
  ASSERT_JET(Configure(&fs, "/elsewhere", true));
  ASSERT_JET(JetInit(&inst_));
  ASSERT_JET(JetBeginSession(inst_, &ses_, nullptr, nullptr));
  EXPECT_JET_ERR(JET_errDatabaseDirtyShutdown, JetAttachDatabase(ses_, kDbPath, JET_bitDbReadOnly));
  ASSERT_JET(JetTerm(inst_));
  EXPECT_EQ(FileBytes(fs, kDbPath), dirty);

  // Recovered by its own log, it attaches read-only with the committed records.
  Table seen;
  ASSERT_NO_FATAL_FAILURE(ReadReadOnly(&fs, &seen));
  rows["more"] = "v";
  EXPECT_EQ(seen, rows);
  ASSERT_JET(JetTerm(inst_));
}

TEST_F(ReadOnlyUnloggedTest, RecoveryOffWritesNoLogAndKeepsTransactions) {
  faultfs::MemFs fs;
  ASSERT_JET(Configure(&fs, "/unlogged", false));
  ASSERT_JET(InitAndOpenTable(&inst_, &ses_, &dbid_, &tab_, true));
  ASSERT_JET(Put("a", "1"));
  ASSERT_JET(JetBeginTransaction(ses_));
  ASSERT_JET(Put("b", "2"));
  ASSERT_JET(JetRollback(ses_, 0));
  ASSERT_JET(JetBeginTransaction(ses_));
  ASSERT_JET(Put("c", "3"));
  ASSERT_JET(JetCommitTransaction(ses_, 0));
  // What backup needs from the log does not exist.
  jet::core::InstanceRuntime* rt = nullptr;
  ASSERT_JET(jet::core::InstanceRuntime::ResolveRunningInstance(inst_, &rt));
  std::int32_t closed = 0;
  EXPECT_JET_ERR(JET_errLoggingDisabled, rt->RollLog(&closed));
  ASSERT_JET(JetCloseTable(ses_, tab_));
  ASSERT_JET(JetDetachDatabase(ses_, kDbPath));
  ASSERT_JET(JetTerm(inst_));
  EXPECT_TRUE(DirNames(fs, "/unlogged").empty()) << "no log, no checkpoint";

  // The database was written clean: a logged instance attaches it.
  ASSERT_JET(Configure(&fs, "/log", true));
  ASSERT_JET(InitAndOpenTable(&inst_, &ses_, &dbid_, &tab_, false));
  Table seen;
  ASSERT_JET(ReadTable(ses_, tab_, &seen));
  EXPECT_EQ(seen, (Table{{"a", "1"}, {"c", "3"}}));
  ASSERT_JET(JetTerm(inst_));
}

TEST_F(ReadOnlyUnloggedTest, RecoveryOffSkipsSoftRecoveryAndRefusesDirtyDatabases) {
  faultfs::MemFs fs;
  Table rows;
  ASSERT_NO_FATAL_FAILURE(MakeDirtyDatabase(&fs, &rows));
  std::map<std::string, std::vector<std::uint8_t>> logs;
  for (const std::string& name : DirNames(fs, "/log")) logs[name] = FileBytes(fs, "/log/" + name);

  // Same log path, recovery off: the log is neither replayed nor touched.
  ASSERT_JET(Configure(&fs, "/log", false));
  ASSERT_JET(JetInit(&inst_));
  ASSERT_JET(JetBeginSession(inst_, &ses_, nullptr, nullptr));
  EXPECT_JET_ERR(JET_errDatabaseDirtyShutdown, JetAttachDatabase(ses_, kDbPath, 0));
  ASSERT_JET(JetTerm(inst_));
  std::map<std::string, std::vector<std::uint8_t>> after;
  for (const std::string& name : DirNames(fs, "/log")) after[name] = FileBytes(fs, "/log/" + name);
  EXPECT_EQ(after, logs);

  // Recovery on again: the committed record is there.
  ASSERT_JET(Configure(&fs, "/log", true));
  ASSERT_JET(InitAndOpenTable(&inst_, &ses_, &dbid_, &tab_, false));
  Table seen;
  ASSERT_JET(ReadTable(ses_, tab_, &seen));
  rows["more"] = "v";
  EXPECT_EQ(seen, rows);
  ASSERT_JET(JetTerm(inst_));

  // An unlogged instance that crashes leaves its database dirty for good.
  ASSERT_JET(Configure(&fs, "/unlogged", false));
  ASSERT_JET(InitAndOpenTable(&inst_, &ses_, &dbid_, &tab_, false));
  ASSERT_JET(Put("unlogged", "v"));
  ASSERT_JET(JetTerm2(inst_, JET_bitTermAbrupt));
  ASSERT_JET(Configure(&fs, "/unlogged", false));
  ASSERT_JET(JetInit(&inst_));
  ASSERT_JET(JetBeginSession(inst_, &ses_, nullptr, nullptr));
  EXPECT_JET_ERR(JET_errDatabaseDirtyShutdown, JetAttachDatabase(ses_, kDbPath, 0));
  ASSERT_JET(JetTerm(inst_));
}

}  // namespace
}  // namespace jet_test

// ddl_rollback_test.cc — JetCreateTable is transactional (ESE semantics): a table
// created in a transaction that rolls back, or that never committed before a crash,
// is gone with its records; until commit other sessions do not see it.
#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <string>

#include "api_test_util.h"
#include "base/io_error.h"

namespace jet_test {
namespace {

using Table = std::map<std::string, std::string>;

class DdlRollbackTest : public EngineTest {
 protected:
  JET_ERR Start(faultfs::MemFs* fs, bool create) {
    // A log large enough that no rollover (and so no checkpoint) writes the header
    // mid-test: recovery then starts from a header that predates the tables.
    JET_ERR err = CreateConfigured(fs, &inst_, 4096, 2048);
    if (err < 0) return err;
    return InitAndOpenTable(&inst_, &a_, &dbid_, &t_, create);
  }
  JET_ERR Put(JET_SESID s, JET_TABLEID t, const std::string& k, const std::string& v) {
    return JetInsertRecord(s, t, k.data(), k.size(), v.data(), v.size());
  }
  JET_ERR Open(JET_SESID s, const char* name, JET_TABLEID* t) { return JetOpenTable(s, dbid_, name, nullptr, 0, 0, t); }
  // Enough records in a new table to split its root, plus a long value.
  void FillNew(JET_TABLEID t, Table* expected) {
    for (int i = 0; i < 80; ++i) {
      std::string k = "n" + std::to_string(i), v(200, static_cast<char>('a' + i % 26));
      ASSERT_JET(Put(a_, t, k, v));
      (*expected)[k] = v;
    }
    ASSERT_JET(Put(a_, t, "long", std::string(20000, 'L')));
    (*expected)["long"] = std::string(20000, 'L');
  }
  std::string TableNames(JET_SESID s) {
    char buf[256];
    unsigned long cb = 0;
    EXPECT_EQ(JetGetTableNames(s, dbid_, buf, sizeof buf, &cb), JET_errSuccess);
    std::string names(buf, cb);
    for (char& c : names) c = c == '\0' ? ',' : c;
    return names;
  }

  JET_INSTANCE inst_ = JET_instanceNil;
  JET_SESID a_ = 0;
  JET_DBID dbid_ = 0;
  JET_TABLEID t_ = 0;
};

TEST_F(DdlRollbackTest, RollbackRemovesTableAndItsRecordsAndIsolatesIt) {
  faultfs::MemFs fs;
  ASSERT_JET(Start(&fs, true));
  JET_SESID b = 0;
  ASSERT_JET(JetBeginSession(inst_, &b, nullptr, nullptr));
  JET_DBID dbid_b = 0;
  ASSERT_JET(JetOpenDatabase(b, kDbPath, nullptr, &dbid_b, 0));

  ASSERT_JET(JetBeginTransaction(a_));
  JET_TABLEID n = 0;
  ASSERT_JET(JetCreateTable(a_, dbid_, "n", 0, 0, &n));
  Table expected;
  FillNew(n, &expected);
  Table seen;
  ASSERT_JET(ReadTable(a_, n, &seen));
  EXPECT_EQ(seen, expected);
  // Uncommitted: invisible to session b, and its name is locked.
  JET_TABLEID other = 0;
  EXPECT_JET_ERR(JET_errObjectNotFound, Open(b, "n", &other));
  EXPECT_EQ(TableNames(b), "t,");
  EXPECT_EQ(TableNames(a_), "n,t,");
  EXPECT_JET_ERR(JET_errWriteConflict, JetCreateTable(b, dbid_, "n", 0, 0, &other));
  EXPECT_JET_ERR(JET_errTableDuplicate, JetCreateTable(a_, dbid_, "n", 0, 0, &other));

  ASSERT_JET(JetRollback(a_, 0));
  EXPECT_JET_ERR(JET_errObjectNotFound, Open(a_, "n", &other));
  EXPECT_JET_ERR(JET_errInvalidTableId, Put(a_, n, "x", "y"));  // rollback closed the cursor
  EXPECT_EQ(TableNames(a_), "t,");

  // The name is free again, and the new table starts empty.
  ASSERT_JET(JetCreateTable(b, dbid_, "n", 0, 0, &other));
  ASSERT_JET(ReadTable(b, other, &seen));
  EXPECT_TRUE(seen.empty());
  ASSERT_JET(Put(b, other, "k", "v"));
  ASSERT_JET(JetCloseTable(b, other));
  ASSERT_JET(Open(a_, "n", &n));
  ASSERT_JET(ReadTable(a_, n, &seen));
  EXPECT_EQ(seen, (Table{{"k", "v"}}));
  ASSERT_JET(JetTerm(inst_));
}

TEST_F(DdlRollbackTest, NestedRollbackRemovesOnlyTheInnerLevelsTable) {
  faultfs::MemFs fs;
  ASSERT_JET(Start(&fs, true));
  ASSERT_JET(JetBeginTransaction(a_));
  JET_TABLEID outer = 0, inner = 0;
  ASSERT_JET(JetCreateTable(a_, dbid_, "outer", 0, 0, &outer));
  ASSERT_JET(JetBeginTransaction(a_));
  ASSERT_JET(JetCreateTable(a_, dbid_, "inner", 0, 0, &inner));
  ASSERT_JET(Put(a_, inner, "k", "v"));
  ASSERT_JET(JetRollback(a_, 0));
  ASSERT_JET(Put(a_, outer, "k", "v"));
  ASSERT_JET(JetCommitTransaction(a_, 0));
  EXPECT_EQ(TableNames(a_), "outer,t,");
  ASSERT_JET(JetTerm(inst_));
}

// A crash with the creating transaction open (its records flushed to the log): soft
// recovery undoes the table; a committed table survives with its records, and a table
// created after recovery gets an objid of its own (redo raised objid_last past the
// committed table although the header predates it).
TEST_F(DdlRollbackTest, RecoveryUndoesUncommittedTableAndKeepsCommittedOne) {
  faultfs::MemFs fs;
  ASSERT_JET(Start(&fs, true));
  JET_TABLEID kept = 0, lost = 0;
  ASSERT_JET(JetCreateTable(a_, dbid_, "kept", 0, 0, &kept));  // implicit, durable
  Table kept_rows;
  ASSERT_JET(JetBeginTransaction(a_));
  ASSERT_JET(Put(a_, kept, "k", "v"));
  ASSERT_JET(JetCommitTransaction(a_, 0));
  kept_rows["k"] = "v";
  ASSERT_JET(JetBeginTransaction(a_));
  ASSERT_JET(JetCreateTable(a_, dbid_, "lost", 0, 0, &lost));
  Table ignored;
  FillNew(lost, &ignored);
  ASSERT_JET(JetCommitTransaction(a_, JET_bitWaitLastLevel0Commit));  // flushes the open transaction's records
  ASSERT_JET(JetTerm2(inst_, JET_bitTermAbrupt));

  for (std::uint64_t seed = 1; seed <= 8; ++seed) {
    jet::core::ResetProcessStateForTests();
    auto image = fs.CrashImage(faultfs::CrashPolicy::Random(seed, 250'000));
    JET_ERR err = Start(image.get(), false);
    ASSERT_GE(err, 0) << "seed " << seed << ": " << JetErrorName(err) << " " << jet::LastErrorDetail();
    JET_TABLEID t = 0;
    EXPECT_JET_ERR(JET_errObjectNotFound, Open(a_, "lost", &t));
    ASSERT_JET(Open(a_, "kept", &t));
    Table seen;
    ASSERT_JET(ReadTable(a_, t, &seen));
    EXPECT_EQ(seen, kept_rows) << "seed " << seed;
    JET_TABLEID fresh = 0;
    ASSERT_JET(JetCreateTable(a_, dbid_, "fresh", 0, 0, &fresh));
    ASSERT_JET(Put(a_, fresh, "only-in-fresh", "x"));
    ASSERT_JET(ReadTable(a_, t, &seen));
    EXPECT_EQ(seen, kept_rows) << "seed " << seed << ": a new table shares an objid with 'kept'";
    ASSERT_JET(Put(a_, t_, "only-in-t", "y"));
    ASSERT_JET(ReadTable(a_, t_, &seen));
    EXPECT_EQ(seen, (Table{{"only-in-t", "y"}})) << "seed " << seed << ": a new table shares an objid with 't'";
    // Once more, cleanly: the undo is durable and the state stays.
    ASSERT_JET(JetTerm(inst_));
    ASSERT_JET(Start(image.get(), false));
    EXPECT_EQ(TableNames(a_), "fresh,kept,t,") << "seed " << seed;
    ASSERT_JET(JetTerm2(inst_, JET_bitTermAbrupt));
  }
}

}  // namespace
}  // namespace jet_test

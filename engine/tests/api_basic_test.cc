#include <gtest/gtest.h>

#include "api_test_util.h"

namespace jet_test {
namespace {

class ApiTest : public EngineTest {
 protected:
  void Start() {
    ASSERT_JET(CreateConfigured(&fs_, &inst_));
    ASSERT_JET(JetInit(&inst_));
    ASSERT_JET(JetBeginSession(inst_, &ses_, nullptr, nullptr));
  }
  faultfs::MemFs fs_;
  JET_INSTANCE inst_ = JET_instanceNil;
  JET_SESID ses_ = JET_sesidNil;
};

TEST_F(ApiTest, CreateInsertRetrieveAcrossCleanRestart) {
  Start();
  JET_DBID dbid = 0;
  ASSERT_JET(JetCreateDatabase(ses_, kDbPath, nullptr, &dbid, 0));
  JET_TABLEID tab = 0;
  ASSERT_JET(JetCreateTable(ses_, dbid, "t", 0, 0, &tab));
  ASSERT_JET(JetBeginTransaction(ses_));
  for (int i = 0; i < 500; ++i) {
    std::string k = "key" + std::to_string(i), v = std::string(i % 97, 'v') + std::to_string(i);
    ASSERT_JET(JetInsertRecord(ses_, tab, k.data(), k.size(), v.data(), v.size()));
  }
  ASSERT_JET(JetCommitTransaction(ses_, 0));
  JET_ERR err = 0;
  EXPECT_EQ(RetrieveString(ses_, tab, "key42", &err), std::string(42, 'v') + "42");
  ASSERT_JET(JetCloseTable(ses_, tab));
  ASSERT_JET(JetCloseDatabase(ses_, dbid, 0));
  ASSERT_JET(JetEndSession(ses_, 0));
  ASSERT_JET(JetTerm(inst_));

  ASSERT_JET(CreateConfigured(&fs_, &inst_));
  ASSERT_JET(JetInit(&inst_));
  ASSERT_JET(JetBeginSession(inst_, &ses_, nullptr, nullptr));
  ASSERT_JET(JetAttachDatabase(ses_, kDbPath, 0));
  ASSERT_JET(JetOpenDatabase(ses_, kDbPath, nullptr, &dbid, 0));
  ASSERT_JET(JetOpenTable(ses_, dbid, "t", nullptr, 0, 0, &tab));
  std::map<std::string, std::string> table;
  ASSERT_JET(ReadTable(ses_, tab, &table));
  EXPECT_EQ(table.size(), 500u);
  EXPECT_EQ(table["key499"], std::string(499 % 97, 'v') + "499");
  ASSERT_JET(JetTerm(inst_));
}

}  // namespace
}  // namespace jet_test

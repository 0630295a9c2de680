// db_esedbinfo_test.cc — libesedb's esedbinfo (Debian libesedb-utils) accepts our
// header: magic, XOR checksum, format version and page size. esedbinfo then looks for
// ESE's catalog at page 4 (jetfault's catalog is elsewhere, docs/formats/database.md),
// so it cannot print the whole report; the test checks that it got past the header and
// addressed page 4 with our page size (libesedb reads page n at (n - 1) * page_size).
// Skipped when the tool is not installed.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "api_test_util.h"
#include "faultfs/posix_fs.h"

namespace jet_test {
namespace {

std::string RunCommand(const std::string& command) {
  std::string out;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return out;
  char buffer[512];
  while (std::fgets(buffer, sizeof(buffer), pipe) != nullptr) out += buffer;
  pclose(pipe);
  return out;
}

class EsedbinfoTest : public EngineTest {};

TEST_F(EsedbinfoTest, AcceptsHeaderAndUsesItsPageSize) {
  const char* tool = "/usr/bin/esedbinfo";
  if (access(tool, X_OK) != 0) GTEST_SKIP() << "esedbinfo not installed (Debian package libesedb-utils)";
  char dir_template[] = "/tmp/jetfault-esedbinfo-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  const std::string dir = dir_template;
  for (std::uint32_t page_size : {8192u, 32768u}) {
    jet::core::ResetProcessStateForTests();
    const std::string sub = dir + "/p" + std::to_string(page_size);
    JET_INSTANCE inst = JET_instanceNil;
    ASSERT_JET(JetCreateInstance(&inst, "esedbinfo"));
    ASSERT_JET(JetSetSystemParameter(&inst, 0, JET_paramVfs, reinterpret_cast<JET_API_PTR>(&faultfs::DefaultPosixFs()),
                                     nullptr));
    ASSERT_JET(JetSetSystemParameter(&inst, 0, JET_paramLogFilePath, 0, (sub + "/log").c_str()));
    ASSERT_JET(JetSetSystemParameter(&inst, 0, JET_paramSystemPath, 0, (sub + "/sys").c_str()));
    ASSERT_JET(JetSetSystemParameter(&inst, 0, JET_paramDatabasePageSize, page_size, nullptr));
    ASSERT_JET(JetInit(&inst));
    JET_SESID ses = 0;
    JET_DBID dbid = 0;
    JET_TABLEID tab = 0;
    ASSERT_JET(JetBeginSession(inst, &ses, nullptr, nullptr));
    const std::string db = sub + "/data/x.edb";
    ASSERT_JET(JetCreateDatabase(ses, db.c_str(), nullptr, &dbid, 0));
    ASSERT_JET(JetCreateTable(ses, dbid, "t", 0, 0, &tab));
    ASSERT_JET(JetInsertRecord(ses, tab, "k", 1, "v", 1));
    ASSERT_JET(JetTerm(inst));
    std::string out = RunCommand(std::string(tool) + " " + db + " 2>&1");
    EXPECT_EQ(out.find("file header"), std::string::npos) << out;
    char offset[64];
    std::snprintf(offset, sizeof(offset), "page: 4 at offset: 0x%08x", 3 * page_size);
    const bool full_report = out.find("Page size") != std::string::npos;
    EXPECT_TRUE(full_report || out.find(offset) != std::string::npos) << out;
    if (full_report) {
      EXPECT_NE(out.find(std::to_string(page_size)), std::string::npos) << out;
    }
  }
  RunCommand("rm -rf " + dir);
}

}  // namespace
}  // namespace jet_test

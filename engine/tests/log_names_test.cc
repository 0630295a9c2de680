#include <gtest/gtest.h>

#include "log/log.h"

namespace jet::log {
namespace {

TEST(LogNames, EseNames) {
  EXPECT_EQ(CurrentLogName("edb"), "edb.log");
  EXPECT_EQ(CheckpointName("edb"), "edb.chk");
  EXPECT_EQ(TempLogName("edb"), "edbtmp.log");
  EXPECT_EQ(ArchivedLogName("edb", 1), "edb00001.log");
  EXPECT_EQ(ArchivedLogName("edb", 0xA), "edb0000A.log");
  EXPECT_EQ(ArchivedLogName("edb", 0xFFFFF), "edbFFFFF.log");
  EXPECT_EQ(ArchivedLogName("edb", 0x100000), "edb00100000.log");
  EXPECT_EQ(ArchivedLogName("abc", 0x7FFFFFFF), "abc7FFFFFFF.log");
}

TEST(LogNames, ParseIsTheInverse) {
  for (std::int32_t g : {1, 9, 10, 0xABCDE, 0xFFFFF, 0x100000, 0x12345678, 0x7FFFFFFF}) {
    std::int32_t parsed = 0;
    ASSERT_TRUE(ParseArchivedLogName("edb", ArchivedLogName("edb", g), &parsed)) << g;
    EXPECT_EQ(parsed, g);
  }
}

TEST(LogNames, ParseRejectsEverythingElse) {
  std::int32_t g = 0;
  for (const char* name : {"edb.log", "edbtmp.log", "edb.chk", "edb0000a.log", "edb0001.log", "edb000001.log",
                           "edb00000.log", "edb000FFFFF.log", "xyz00001.log", "edb00001.jtx", "edb00001.log.bak",
                           "edbres00001.jrs", "edb80000000.log", ""}) {
    EXPECT_FALSE(ParseArchivedLogName("edb", name, &g)) << name;
  }
}

}  // namespace
}  // namespace jet::log

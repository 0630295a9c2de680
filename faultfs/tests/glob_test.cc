#include "faultfs/glob.h"

#include <gtest/gtest.h>

namespace faultfs {
namespace {

TEST(GlobTest, LiteralAndWildcards) {
  EXPECT_TRUE(GlobMatch("edb.log", "edb.log"));
  EXPECT_FALSE(GlobMatch("edb.log", "edb.chk"));
  EXPECT_TRUE(GlobMatch("*.log", "/logs/edb00001.log"));
  EXPECT_FALSE(GlobMatch("*.log", "/logs/edb.chk"));
  EXPECT_TRUE(GlobMatch("/db/edb?????.log", "/db/edb0000A.log"));
  EXPECT_FALSE(GlobMatch("/db/edb?????.log", "/db/edb.log"));
  EXPECT_TRUE(GlobMatch("*", ""));
  EXPECT_FALSE(GlobMatch("?", ""));
  EXPECT_TRUE(GlobMatch("a*b*c", "aXXbYYc"));
  EXPECT_FALSE(GlobMatch("a*b*c", "aXXbYY"));
}

}  // namespace
}  // namespace faultfs

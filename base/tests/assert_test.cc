// The assertion macros themselves: silent when the invariant holds, and when it does
// not, a death whose message names file:line, the expression and the values.
#include "jetfault/assert.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <string>

namespace jetfault_test {

struct Position {
  int generation = 0;
  int offset = 0;
  friend bool operator<(const Position& a, const Position& b) {
    return a.generation != b.generation ? a.generation < b.generation : a.offset < b.offset;
  }
};
// Found by argument-dependent lookup, as jet::format::ToString(Lgpos) is.
std::string ToString(const Position& p) {
  return "(" + std::to_string(p.generation) + "," + std::to_string(p.offset) + ")";
}

struct Opaque {
  int v = 0;
  friend bool operator==(const Opaque&, const Opaque&) = default;
};

// "…assert_test.cc:<line>: assertion failed: <rest>" as a death-test regex.
std::string Expected(int line, const std::string& rest) {
  return "assert_test\\.cc:" + std::to_string(line) + ": assertion failed: " + rest;
}

TEST(AssertTest, HoldingInvariantsAreSilent) {
  const std::uint64_t size = 4;
  const int limit = 4;
  JF_ASSERT(size == 4);
  JF_ASSERT_EQ(size, limit);
  JF_ASSERT_LE(size, limit);
  JF_ASSERT_GE(size, limit);
  JF_ASSERT_LT(size, 5);
  JF_ASSERT_GT(size, 3u);
  JF_ASSERT_NE(size, 0);
  JF_ASSERT_LT((Position{1, 9}), (Position{2, 0}));
  JF_ASSERT_EQ(Opaque{1}, Opaque{1});
}

TEST(AssertTest, MixedSignednessComparesByValue) {
  // -1 < 1u by value; a plain `<` would convert -1 to UINT_MAX and call it greater.
  JF_ASSERT_LT(-1, 1u);
  JF_ASSERT_GE(std::uint32_t{0}, -5);
  const int line = __LINE__ + 1;
  EXPECT_DEATH(JF_ASSERT_GT(-1, 1u), Expected(line, "-1 > 1u \\(-1 = -1, 1u = 1\\)"));
}

TEST(AssertTest, EachOperandIsEvaluatedOnce) {
  int calls = 0;
  auto next = [&calls] { return ++calls; };
  JF_ASSERT_EQ(next(), 1);
  EXPECT_EQ(calls, 1);
  JF_ASSERT(next() == 2);
  EXPECT_EQ(calls, 2);
}

TEST(AssertTest, FailedConditionNamesFileLineAndExpression) {
  const int pending = 3;
  // Nothing follows the expression: the plain form has no values to print.
  const int line = __LINE__ + 1;
  EXPECT_DEATH(JF_ASSERT(pending == 0), Expected(line, "pending == 0\n"));
}

TEST(AssertTest, FailedComparisonPrintsBothValues) {
  const std::uint64_t ib = 4097;
  const std::uint64_t segment_size = 4096;
  const int line = __LINE__ + 1;
  EXPECT_DEATH(JF_ASSERT_LE(ib, segment_size),
               Expected(line, "ib <= segment_size \\(ib = 4097, segment_size = 4096\\)"));
}

TEST(AssertTest, ValuesPrintThroughToStringStringsAndEnums) {
  const Position durable{3, 40};
  const Position written{3, 20};
  int line = __LINE__ + 1;
  EXPECT_DEATH(JF_ASSERT_LE(durable, written),
               Expected(line, "durable <= written \\(durable = \\(3,40\\), written = \\(3,20\\)\\)"));
  const std::string name = "edb.log";
  line = __LINE__ + 1;
  EXPECT_DEATH(JF_ASSERT_EQ(name, "edb.chk"),
               Expected(line, "name == \"edb.chk\" \\(name = \"edb.log\", \"edb.chk\" = \"edb.chk\"\\)"));
  enum class Kind : std::uint8_t { kWrite = 2, kSync = 5 };
  line = __LINE__ + 1;
  EXPECT_DEATH(JF_ASSERT_EQ(Kind::kWrite, Kind::kSync),
               Expected(line, "Kind::kWrite == Kind::kSync \\(Kind::kWrite = 2, Kind::kSync = 5\\)"));
  line = __LINE__ + 1;
  EXPECT_DEATH(JF_ASSERT_NE(Opaque{1}, Opaque{1}),
               Expected(line, "Opaque\\{1\\} != Opaque\\{1\\} \\(Opaque\\{1\\} = \\?, Opaque\\{1\\} = \\?\\)"));
}

}  // namespace jetfault_test

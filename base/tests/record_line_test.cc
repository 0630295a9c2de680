// The records text format's line codec: what a line may and may not be, and that a
// formatted line parses back to itself.
#include "jetfault/record_line.h"

#include <gtest/gtest.h>

namespace jetfault {
namespace {

TEST(RecordLine, ParsesTheThreeFieldsInEitherHexCase) {
  std::string why;
  auto r = ParseRecordLine("t1\t0aFF\t", &why);
  ASSERT_TRUE(r.has_value()) << why;
  EXPECT_EQ(r->table, "t1");
  EXPECT_EQ(r->key, (std::vector<std::uint8_t>{0x0a, 0xff}));
  EXPECT_TRUE(r->value.empty());  // an empty value is an empty third field
  auto crlf = ParseRecordLine("t1\t0aff\t01\r", &why);
  ASSERT_TRUE(crlf.has_value()) << why;
  EXPECT_EQ(crlf->value, (std::vector<std::uint8_t>{0x01}));
}

TEST(RecordLine, RefusesEachMalformedShapeWithItsReason) {
  const std::pair<const char*, const char*> cases[] = {
      {"", "not three TAB-separated fields"},
      {"t\t00", "not three TAB-separated fields"},
      {"t\t00\t00\t00", "not three TAB-separated fields"},
      {"\t00\t00", "empty table name"},
      {"t\t0g\t00", "key is not hex"},
      {"t\t0\t00", "key is not hex"},
      {"t\t\t00", "empty key"},
      {"t\t00\tzz", "value is not hex"},
  };
  for (const auto& [line, reason] : cases) {
    std::string why;
    EXPECT_FALSE(ParseRecordLine(line, &why).has_value()) << line;
    EXPECT_EQ(why, reason) << line;
  }
}

TEST(RecordLine, AFormattedLineParsesBackToItself) {
  const RecordLine record{"orders", {0x00, 0x7f, 0x80, 0xff}, {0xde, 0xad}};
  const std::string line = FormatRecordLine(record.table, record.key, record.value);
  EXPECT_EQ(line, "orders\t007f80ff\tdead\n");  // lowercase, newline-terminated
  std::string why;
  auto back = ParseRecordLine(std::string_view(line).substr(0, line.size() - 1), &why);
  ASSERT_TRUE(back.has_value()) << why;
  EXPECT_EQ(*back, record);
  EXPECT_EQ(FormatRecordLine("orders", std::string_view("\x00\x7f", 2), ""), "orders\t007f\t\n");
}

}  // namespace
}  // namespace jetfault

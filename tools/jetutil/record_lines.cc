#include "record_lines.h"

#include <algorithm>
#include <string_view>
#include <tuple>

#include <fmt/core.h>

#include "cli.h"
#include "jetfault/hex.h"

namespace jetutil {

RecordLine ParseRecordLine(std::string_view line, std::size_t number) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // tolerate CRLF files
  auto malformed = [number](std::string_view why) {
    return UsageError(fmt::format("stdin line {}: {} (expected table<TAB>key-hex<TAB>value-hex)", number, why));
  };
  const std::size_t tab1 = line.find('\t');
  const std::size_t tab2 = tab1 == std::string_view::npos ? tab1 : line.find('\t', tab1 + 1);
  if (tab2 == std::string_view::npos || line.find('\t', tab2 + 1) != std::string_view::npos) {
    throw malformed("not three TAB-separated fields");
  }
  RecordLine record;
  record.table = std::string(line.substr(0, tab1));
  if (record.table.empty()) throw malformed("empty table name");
  auto key = jetfault::HexDecode<std::vector<std::uint8_t>>(line.substr(tab1 + 1, tab2 - tab1 - 1));
  if (!key) throw malformed("key is not hex");
  if (key->empty()) throw malformed("empty key");
  auto value = jetfault::HexDecode<std::vector<std::uint8_t>>(line.substr(tab2 + 1));
  if (!value) throw malformed("value is not hex");
  record.key = std::move(*key);
  record.value = std::move(*value);
  return record;
}

std::string FormatRecordLine(const RecordLine& record) {
  return fmt::format("{}\t{}\t{}\n", record.table, jetfault::HexEncode(record.key), jetfault::HexEncode(record.value));
}

void SortRecords(std::vector<RecordLine>* records) {
  std::sort(records->begin(), records->end(), [](const RecordLine& a, const RecordLine& b) {
    return std::tie(a.table, a.key) < std::tie(b.table, b.key);
  });
}

}  // namespace jetutil

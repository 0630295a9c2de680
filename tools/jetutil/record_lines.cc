#include "record_lines.h"

#include <algorithm>
#include <optional>
#include <string_view>
#include <tuple>

#include <fmt/core.h>

#include "cli.h"

namespace jetutil {

RecordLine ParseRecordLine(std::string_view line, std::size_t number) {
  std::string why;
  std::optional<RecordLine> record = jetfault::ParseRecordLine(line, &why);
  if (!record) {
    throw UsageError(fmt::format("stdin line {}: {} (expected table<TAB>key-hex<TAB>value-hex)", number, why));
  }
  return std::move(*record);
}

std::string FormatRecordLine(const RecordLine& record) {
  return jetfault::FormatRecordLine(record.table, record.key, record.value);
}

void SortRecords(std::vector<RecordLine>* records) {
  std::sort(records->begin(), records->end(), [](const RecordLine& a, const RecordLine& b) {
    return std::tie(a.table, a.key) < std::tie(b.table, b.key);
  });
}

}  // namespace jetutil

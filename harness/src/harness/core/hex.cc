#include "harness/core/hex.h"

#include <fmt/format.h>

#include <sstream>

#include "jetfault/record_line.h"

namespace jetharness {

std::string FormatRecords(const DbState& state) {
  // std::map orders tables by name and keys by bytes (std::string compares as
  // unsigned char via char_traits), which is the order the format requires.
  std::string out;
  for (const auto& [table, records] : state) {
    for (const auto& [key, value] : records) out += jetfault::FormatRecordLine(table, key, value);
  }
  return out;
}

std::optional<DbState> ParseRecords(const std::string& text, std::string* error) {
  DbState state;
  std::istringstream in(text);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    std::string why;
    std::optional<jetfault::RecordLine> record = jetfault::ParseRecordLine(line, &why);
    if (!record) {
      *error = fmt::format("line {}: {}", number, why);
      return std::nullopt;
    }
    state[record->table][Bytes(record->key.begin(), record->key.end())] = Bytes(record->value.begin(),
                                                                                record->value.end());
  }
  return state;
}

}  // namespace jetharness

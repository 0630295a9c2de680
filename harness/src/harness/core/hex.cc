#include "harness/core/hex.h"

#include <fmt/format.h>

#include <sstream>

namespace jetharness {

std::string FormatRecords(const DbState& state) {
  // std::map orders tables by name and keys by bytes (std::string compares as
  // unsigned char via char_traits), which is the order the format requires.
  std::string out;
  for (const auto& [table, records] : state) {
    for (const auto& [key, value] : records)
      out += fmt::format("{}\t{}\t{}\n", table, HexEncode(key), HexEncode(value));
  }
  return out;
}

std::optional<DbState> ParseRecords(const std::string& text, std::string* error) {
  DbState state;
  std::istringstream in(text);
  std::string line;
  for (int number = 1; std::getline(in, line); ++number) {
    if (line.empty()) continue;
    std::size_t tab1 = line.find('\t');
    std::size_t tab2 = tab1 == std::string::npos ? std::string::npos : line.find('\t', tab1 + 1);
    if (tab2 == std::string::npos || line.find('\t', tab2 + 1) != std::string::npos) {
      *error = fmt::format("line {}: expected table<TAB>key-hex<TAB>value-hex", number);
      return std::nullopt;
    }
    auto key = HexDecode(line.substr(tab1 + 1, tab2 - tab1 - 1));
    auto value = HexDecode(line.substr(tab2 + 1));
    if (!key || !value) {
      *error = fmt::format("line {}: malformed hex", number);
      return std::nullopt;
    }
    state[line.substr(0, tab1)][*key] = *value;
  }
  return state;
}

}  // namespace jetharness

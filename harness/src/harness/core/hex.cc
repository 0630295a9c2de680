#include "harness/core/hex.h"

#include <fmt/format.h>

#include <sstream>

namespace jetharness {

std::string HexEncode(const Bytes& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

namespace {
int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}
}  // namespace

std::optional<Bytes> HexDecode(const std::string& hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  Bytes out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int hi = HexDigit(hex[i]);
    int lo = HexDigit(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi * 16 + lo));
  }
  return out;
}

std::string FormatRecords(const DbState& state) {
  // std::map orders tables by name and keys by bytes (std::string compares as
  // unsigned char via char_traits), which is the order the format requires.
  std::string out;
  for (const auto& [table, records] : state) {
    for (const auto& [key, value] : records) out += fmt::format("{}\t{}\t{}\n", table, HexEncode(key), HexEncode(value));
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

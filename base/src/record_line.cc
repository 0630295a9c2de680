#include "jetfault/record_line.h"

#include "jetfault/hex.h"

namespace jetfault {

std::optional<RecordLine> ParseRecordLine(std::string_view line, std::string* why) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // tolerate CRLF files
  auto malformed = [why](const char* what) {
    *why = what;
    return std::nullopt;
  };
  const std::size_t tab1 = line.find('\t');
  const std::size_t tab2 = tab1 == std::string_view::npos ? tab1 : line.find('\t', tab1 + 1);
  if (tab2 == std::string_view::npos || line.find('\t', tab2 + 1) != std::string_view::npos) {
    return malformed("not three TAB-separated fields");
  }
  RecordLine record;
  record.table = std::string(line.substr(0, tab1));
  if (record.table.empty()) return malformed("empty table name");
  auto key = HexDecode<std::vector<std::uint8_t>>(line.substr(tab1 + 1, tab2 - tab1 - 1));
  if (!key) return malformed("key is not hex");
  if (key->empty()) return malformed("empty key");
  auto value = HexDecode<std::vector<std::uint8_t>>(line.substr(tab2 + 1));
  if (!value) return malformed("value is not hex");
  record.key = std::move(*key);
  record.value = std::move(*value);
  return record;
}

std::string FormatRecordLine(std::string_view table, std::span<const std::uint8_t> key,
                             std::span<const std::uint8_t> value) {
  std::string out(table);
  out += '\t';
  out += HexEncode(key);
  out += '\t';
  out += HexEncode(value);
  out += '\n';
  return out;
}

std::string FormatRecordLine(std::string_view table, std::string_view key, std::string_view value) {
  auto bytes = [](std::string_view s) { return std::span(reinterpret_cast<const std::uint8_t*>(s.data()), s.size()); };
  return FormatRecordLine(table, bytes(key), bytes(value));
}

}  // namespace jetfault

// jetfault/record_line.h — one line of the records text format, the contract between
// `jetutil records` (prints it), `jetutil load` (reads it) and the harness (`jetfault
// workload --expected` writes it; the FUSE scenarios read jetutil's output back):
//
//   table <TAB> key-hex <TAB> value-hex
//
// The table name is non-empty and holds no TAB; the key is non-empty; a value may be
// empty (an empty third field). Hex is written lowercase (jetfault/hex.h) and read in
// either case. One parser, so the tool and the harness cannot disagree on a line.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace jetfault {

struct RecordLine {
  std::string table;
  std::vector<std::uint8_t> key;
  std::vector<std::uint8_t> value;
  friend bool operator==(const RecordLine&, const RecordLine&) = default;
};

// Parses one line (without its newline; a trailing CR is ignored). nullopt on a
// malformed line, with *why saying what is wrong ("empty key", "value is not hex", ...).
std::optional<RecordLine> ParseRecordLine(std::string_view line, std::string* why);

// "table\tkey-hex\tvalue-hex\n"
std::string FormatRecordLine(std::string_view table, std::span<const std::uint8_t> key,
                             std::span<const std::uint8_t> value);
std::string FormatRecordLine(std::string_view table, std::string_view key, std::string_view value);

}  // namespace jetfault

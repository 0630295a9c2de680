// tools/jetutil/record_lines.h — the line format shared by `load` (stdin) and
// `records` (stdout):   table <TAB> key-hex <TAB> value-hex
// Table names are non-empty and contain no TAB; keys are non-empty; a value may be
// empty (an empty third field). `records` writes lowercase hex; `load` accepts either.
#pragma once

#include <cstdint>
#include <istream>
#include <string>
#include <vector>

namespace jetutil {

struct RecordLine {
  std::string table;
  std::vector<std::uint8_t> key;
  std::vector<std::uint8_t> value;
  friend bool operator==(const RecordLine&, const RecordLine&) = default;
};

// Reads every line of `in`. A malformed line throws UsageError naming its 1-based
// number, before anything has been stored. Blank lines are malformed too: an empty
// line in a generated file usually means a bug upstream, not "nothing".
std::vector<RecordLine> ReadRecordLines(std::istream& in);

// "table\tkeyhex\tvaluehex\n"
std::string FormatRecordLine(const RecordLine& record);

// Sorts by table, then key (bytewise, which is also the order of their hex spelling).
void SortRecords(std::vector<RecordLine>* records);

}  // namespace jetutil

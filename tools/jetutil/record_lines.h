// tools/jetutil/record_lines.h — the line format shared by `load` (stdin) and
// `records` (stdout):   table <TAB> key-hex <TAB> value-hex
// Table names are non-empty and contain no TAB; keys are non-empty; a value may be
// empty (an empty third field). `records` writes lowercase hex; `load` accepts either.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "jetfault/record_line.h"

namespace jetutil {

// The line codec itself is shared with the harness (base/include/jetfault/record_line.h).
using jetfault::RecordLine;

// Parses one line (without its newline; a trailing CR is ignored). A malformed line
// throws UsageError naming `number`, its 1-based line number.
RecordLine ParseRecordLine(std::string_view line, std::size_t number);

// "table\tkeyhex\tvaluehex\n"
std::string FormatRecordLine(const RecordLine& record);

// Sorts by table, then key (bytewise, which is also the order of their hex spelling).
void SortRecords(std::vector<RecordLine>* records);

}  // namespace jetutil

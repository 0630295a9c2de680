// harness/core/hex.h — lowercase hex, and whole states in the `jetutil records` text
// format.
//
// The records format is what `jetutil records` prints and what `jetfault workload
// --expected` writes, so that a shell script can diff the two: one line per record
// (jetfault/record_line.h, the codec jetutil uses too), sorted by table, then by key
// bytes.
#pragma once

#include <optional>
#include <string>

#include "harness/core/model.h"
#include "jetfault/hex.h"

namespace jetharness {

// The codec itself is shared with jetutil (base/include/jetfault/hex.h).
using jetfault::HexDecode;
using jetfault::HexEncode;

std::string FormatRecords(const DbState& state);
// Inverse of FormatRecords; nullopt (and *error set) on a malformed line.
std::optional<DbState> ParseRecords(const std::string& text, std::string* error);

}  // namespace jetharness

// tools/jetutil/hex.h — lowercase hex, the spelling of keys and values on jetutil's
// stdin (load) and stdout (records).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace jetutil {

std::string ToHex(std::span<const std::uint8_t> bytes);
// Accepts upper- and lowercase digits; nullopt on an odd length or a non-hex digit.
std::optional<std::vector<std::uint8_t>> FromHex(std::string_view hex);

}  // namespace jetutil

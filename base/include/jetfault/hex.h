// jetfault/hex.h — lowercase hex: how keys and values are spelled in the records text
// format that `jetutil records` prints, `jetutil load` reads and `jetfault workload
// --expected` writes (docs/JETUTIL.md). One codec, so the three cannot drift apart.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace jetfault {

std::string HexEncode(std::span<const std::uint8_t> bytes);
std::string HexEncode(std::string_view bytes);

// 0..15 for a hex digit of either case, -1 for anything else.
int HexDigitValue(char c);

// The bytes `hex` spells, as a std::string or a std::vector<std::uint8_t>; nullopt on
// an odd length or a non-hex digit. Accepts upper- and lowercase digits.
template <class Bytes = std::string>
std::optional<Bytes> HexDecode(std::string_view hex) {
  if (hex.size() % 2 != 0) return std::nullopt;
  Bytes out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    const int hi = HexDigitValue(hex[i]);
    const int lo = HexDigitValue(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<typename Bytes::value_type>(hi << 4 | lo));
  }
  return out;
}

}  // namespace jetfault

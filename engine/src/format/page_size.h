// format/page_size.h — the page sizes the engine supports.
//
// One list for every file that records a page size: database header, log file header,
// backup manifest (ESE's 4, 8, 16 and 32 KiB pages; docs/ESE_FACTS.md).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>

namespace jet::format {

inline constexpr std::array<std::uint32_t, 4> kSupportedPageSizes = {4096, 8192, 16384, 32768};
inline constexpr std::uint32_t kMinPageSize = kSupportedPageSizes.front();
inline constexpr std::uint32_t kMaxPageSize = kSupportedPageSizes.back();

constexpr bool IsSupportedPageSize(std::uint32_t page_size) {
  return std::find(kSupportedPageSizes.begin(), kSupportedPageSizes.end(), page_size) != kSupportedPageSizes.end();
}

}  // namespace jet::format

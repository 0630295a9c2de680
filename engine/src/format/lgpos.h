// format/lgpos.h — a position in the transaction log (ESE's LGPOS).
//
// Generation, then segment (isec: 4 KiB segment index within the log file; segment 0
// is the file header), then byte offset inside the segment. Ordering is
// lexicographic in that order. Stored on disk as 8 bytes: ib u16, isec u16, gen i32.
#pragma once

#include <compare>
#include <cstdint>
#include <string>

namespace jet::format {

struct Lgpos {
  std::uint16_t ib = 0;
  std::uint16_t isec = 0;
  std::int32_t generation = 0;

  friend constexpr auto operator<=>(const Lgpos& a, const Lgpos& b) {
    if (auto c = a.generation <=> b.generation; c != 0) return c;
    if (auto c = a.isec <=> b.isec; c != 0) return c;
    return a.ib <=> b.ib;
  }
  friend constexpr bool operator==(const Lgpos& a, const Lgpos& b) = default;
  constexpr bool IsZero() const { return ib == 0 && isec == 0 && generation == 0; }
};

inline constexpr Lgpos kLgposMin{};
inline constexpr Lgpos kLgposMax{0xFFFF, 0xFFFF, 0x7FFFFFFF};

// "(00000003,0002,01A0)" as ESE prints it: generation, sector, byte.
std::string ToString(const Lgpos& lgpos);

}  // namespace jet::format

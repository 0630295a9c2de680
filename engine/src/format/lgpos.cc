#include "format/lgpos.h"

#include <fmt/format.h>

namespace jet::format {

std::string ToString(const Lgpos& lgpos) {
  return fmt::format("({:08X},{:04X},{:04X})", static_cast<std::uint32_t>(lgpos.generation), lgpos.isec, lgpos.ib);
}

}  // namespace jet::format

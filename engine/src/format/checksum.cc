#include "format/checksum.h"

#include <boost/crc.hpp>

namespace jet::format {

std::uint32_t XorChecksum(std::span<const std::uint8_t> block) {
  std::uint32_t x = kXorSeed;
  for (std::size_t i = 4; i + 4 <= block.size(); i += 4) x ^= LoadU32(block.data() + i);
  return x;
}

namespace {
// Boost.CRC's table-driven CRC-32C rather than a hand-written table (see README: dependencies).
using Crc32cEngine = boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true>;
}  // namespace

std::uint32_t Crc32c(std::span<const std::uint8_t> data) { return Crc32cExtend(0, data); }

std::uint32_t Crc32cExtend(std::uint32_t crc, std::span<const std::uint8_t> data) {
  // crc_optimal keeps the pre-final-XOR remainder; resuming from a finished CRC undoes the final XOR.
  Crc32cEngine engine(crc ^ 0xFFFFFFFF);
  engine.process_bytes(data.data(), data.size());
  return engine.checksum();
}

}  // namespace jet::format

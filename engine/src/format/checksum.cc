#include "format/checksum.h"

#include <cstring>

#include <boost/crc.hpp>

namespace jet::format {

std::uint32_t XorChecksum(std::span<const std::uint8_t> block) {
  std::uint32_t x = kXorSeed;
  std::size_t i = 4;
  // 64 bytes at a time through a local array: one bounds check per chunk instead of four
  // per word under the sanitizers, and a loop the compiler vectorises.
  for (; i + 64 <= block.size(); i += 64) {
    std::uint8_t chunk[64];
    std::memcpy(chunk, block.data() + i, sizeof chunk);
    for (std::size_t k = 0; k < sizeof chunk; k += 4) x ^= LoadU32(chunk + k);
  }
  for (; i + 4 <= block.size(); i += 4) x ^= LoadU32(block.data() + i);
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

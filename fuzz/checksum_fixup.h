// fuzz/checksum_fixup.h — lets a fuzzer get past a checksum.
//
// A mutated input almost never carries a valid checksum, so a target that only fed raw
// bytes to a decoder would exercise little more than the checksum comparison. Each
// target therefore decodes the raw input (checksum rejection paths) and then a copy
// with the checksum recomputed by these helpers (every field check behind it).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "format/checksum.h"

namespace jetfault::fuzz {

// Stores XorChecksum(block) in the block's first 4 bytes (database header, log file
// header, checkpoint copy). block.size() must be a multiple of 4.
inline void FixXorChecksum(std::span<std::uint8_t> block) {
  jet::format::StoreU32(block.data(), jet::format::XorChecksum(block));
}

// Database pages and log segments: the u64 checksum is (number << 32) | xor, and the
// number word is itself inside the XOR, so it is written first.
inline void FixNumberedChecksum(std::span<std::uint8_t> block, std::uint32_t number) {
  jet::format::StoreU32(block.data() + 4, number);
  FixXorChecksum(block);
}

}  // namespace jetfault::fuzz

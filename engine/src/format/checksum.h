// format/checksum.h — the checksums of every on-disk structure.
//
// XorChecksum is ESE's "old format" checksum: 0x89abcdef XOR every little-endian
// u32 word from byte 4 to the end of the block. It guards database headers, log
// file headers, checkpoint copies and (with the page number in the high half)
// database pages and log segments. Crc32c guards individual log records, the backup
// manifest and, as a whole-file CRC, each log of a backup set.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

namespace jet::format {

inline constexpr std::uint32_t kXorSeed = 0x89abcdef;

// 0x89abcdef ^ XOR of u32 words [4, size). size must be a multiple of 4.
std::uint32_t XorChecksum(std::span<const std::uint8_t> block);
// True when every byte is zero (a never-written page or header).
bool IsAllZero(std::span<const std::uint8_t> bytes);
// CRC-32C (Castagnoli), as used by iSCSI/ext4; initial ~0, final ~. Every function
// below uses the CPU's CRC-32C instruction when it has one (x86-64 SSE4.2), else the
// portable table; the *Portable forms are the table alone, on every CPU.
std::uint32_t Crc32c(std::span<const std::uint8_t> data);
// Crc32c(earlier + data) from crc = Crc32c(earlier) (0 for none): a file's CRC
// computed a read at a time is the same whatever the reads' sizes (backup set files).
std::uint32_t Crc32cContinue(std::uint32_t crc, std::span<const std::uint8_t> data);
std::uint32_t Crc32cContinuePortable(std::uint32_t crc, std::span<const std::uint8_t> data);
// A log record's CRC (format/log_segment.h): Crc32cExtend(Crc32c(header), payload).
// Resuming from crc this way is NOT the CRC of the concatenation (it re-enters crc
// bit-reversed, as Boost.CRC does with an initial remainder): it is a definition of the
// log format, kept as the records were written; use it for nothing else.
std::uint32_t Crc32cExtend(std::uint32_t crc, std::span<const std::uint8_t> data);
std::uint32_t Crc32cExtendPortable(std::uint32_t crc, std::span<const std::uint8_t> data);

// Little-endian field access on byte buffers; every on-disk struct uses these.
inline std::uint16_t LoadU16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] | (p[1] << 8)); }
inline std::uint32_t LoadU32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}
inline std::uint64_t LoadU64(const std::uint8_t* p) {
  return static_cast<std::uint64_t>(LoadU32(p)) | (static_cast<std::uint64_t>(LoadU32(p + 4)) << 32);
}
inline void StoreU16(std::uint8_t* p, std::uint16_t v) {
  p[0] = static_cast<std::uint8_t>(v);
  p[1] = static_cast<std::uint8_t>(v >> 8);
}
inline void StoreU32(std::uint8_t* p, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<std::uint8_t>(v >> (8 * i));
}
inline void StoreU64(std::uint8_t* p, std::uint64_t v) {
  StoreU32(p, static_cast<std::uint32_t>(v));
  StoreU32(p + 4, static_cast<std::uint32_t>(v >> 32));
}

}  // namespace jet::format

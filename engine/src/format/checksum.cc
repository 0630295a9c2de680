#include "format/checksum.h"

#include <bit>
#include <cstring>

#include <boost/crc.hpp>

// Built with AddressSanitizer (GCC says so by a macro, clang by __has_feature)?
#if defined(__SANITIZE_ADDRESS__)
#define JET_CHECKSUM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define JET_CHECKSUM_ASAN 1
#endif
#endif
#if defined(JET_CHECKSUM_ASAN)
#include <sanitizer/asan_interface.h>
#endif

namespace jet::format {

namespace {

// The block loops below run over whole pages many times per fuzz input, so under
// AddressSanitizer they check the caller's block once, up front, and then read it
// without a check per word (their sanitizer exemption); a block that is not wholly
// addressable takes the checked byte-by-byte path instead, where ASan reports the bad
// read as usual. Without ASan the fast path is all there is.

bool Addressable(std::span<const std::uint8_t> bytes) {
#if defined(JET_CHECKSUM_ASAN)
  return __asan_region_is_poisoned(const_cast<std::uint8_t*>(bytes.data()), bytes.size()) == nullptr;
#else
  (void)bytes;
  return true;
#endif
}

std::uint32_t LoadLe32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8) |
         (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
}

// 16 bytes, unaligned, as a GCC/clang vector (SSE2 on any x86-64).
using Lane = std::uint64_t __attribute__((vector_size(16)));
__attribute__((no_sanitize("address", "undefined"))) Lane LoadLane(const std::uint8_t* p) {
  Lane w;
  std::memcpy(&w, p, sizeof w);
  return w;
}

// XOR of the u32 words of [p, p + 8n), as two halves of a u64 (little-endian: an
// 8-byte load holds words k and k+1 in its low and high half; XOR is associative).
// Every page read is verified, so this is a hot loop: 64 bytes per step into four
// independent lanes, since the compiler keeps a one-word loop scalar at -O2 and its one
// chain of XORs sets the pace (4 KiB: 39 ns instead of 157).
__attribute__((no_sanitize("address", "undefined"))) std::uint64_t XorU64s(const std::uint8_t* p, std::size_t n) {
  Lane a = {}, b = {}, c = {}, d = {};  // named, not an array: kept in registers
  std::size_t k = 0;
  for (; k + 8 <= n; k += 8) {
    a ^= LoadLane(p + 8 * k);
    b ^= LoadLane(p + 8 * k + 16);
    c ^= LoadLane(p + 8 * k + 32);
    d ^= LoadLane(p + 8 * k + 48);
  }
  const Lane all = a ^ b ^ c ^ d;
  std::uint64_t x = all[0] ^ all[1];
  for (; k < n; ++k) {
    std::uint64_t w;
    std::memcpy(&w, p + 8 * k, 8);
    x ^= w;
  }
  return x;
}

// Stops at the first 256 bytes that are not all zero (most pages end there).
__attribute__((no_sanitize("address", "undefined"))) bool U64sAreZero(const std::uint8_t* p, std::size_t n) {
  std::uint64_t any = 0;
  for (std::size_t k = 0; k < n; ++k) {
    std::uint64_t w;
    std::memcpy(&w, p + 8 * k, 8);
    any |= w;
    if (k % 32 == 31 && any != 0) return false;
  }
  return any == 0;
}

}  // namespace

std::uint32_t XorChecksum(std::span<const std::uint8_t> block) {
  // This file is compiled without coverage tracing (fuzz/coverage_ignorelist.txt), and
  // it does not call the header's LoadU32: an inline function of a traced header is not
  // inlined into untraced code, which made every word a call (issue #17).
  std::uint32_t x = kXorSeed;
  std::size_t i = 4;
  if (std::endian::native == std::endian::little && block.size() >= 8 && Addressable(block)) {
    // From byte 0 so the whole block is whole u64s; word 0 (the stored checksum) is
    // XORed in with them and out again.
    const std::size_t words = block.size() / 8;
    const std::uint64_t wide = XorU64s(block.data(), words);
    x ^= static_cast<std::uint32_t>(wide) ^ static_cast<std::uint32_t>(wide >> 32) ^ LoadLe32(block.data());
    i = words * 8;
  }
  for (; i + 4 <= block.size(); i += 4) x ^= LoadLe32(block.data() + i);
  return x;
}

bool IsAllZero(std::span<const std::uint8_t> bytes) {
  std::size_t i = 0;
  if (bytes.size() >= 8 && Addressable(bytes)) {
    if (!U64sAreZero(bytes.data(), bytes.size() / 8)) return false;
    i = bytes.size() / 8 * 8;
  }
  std::uint8_t any = 0;
  for (; i < bytes.size(); ++i) any |= bytes[i];
  return any == 0;
}

namespace {
// Boost.CRC's table-driven CRC-32C rather than a hand-written table (see README: dependencies).
using Crc32cEngine = boost::crc_optimal<32, 0x1EDC6F41, 0xFFFFFFFF, 0xFFFFFFFF, true, true>;

std::uint32_t ReverseBits(std::uint32_t v) {
  v = ((v >> 1) & 0x55555555u) | ((v & 0x55555555u) << 1);
  v = ((v >> 2) & 0x33333333u) | ((v & 0x33333333u) << 2);
  v = ((v >> 4) & 0x0F0F0F0Fu) | ((v & 0x0F0F0F0Fu) << 4);
  v = ((v >> 8) & 0x00FF00FFu) | ((v & 0x00FF00FFu) << 8);
  return (v >> 16) | (v << 16);
}

// Boost takes an initial remainder unreflected and reflects it into its register, so
// the finished CRC `crc` resumed as an initial remainder starts the register at
// reverse_bits(crc ^ ~0). Crc32cExtend keeps that (log record CRCs were made with it);
// Crc32cContinue starts the register at crc ^ ~0, which is what makes it the CRC of
// the concatenation.
std::uint32_t ExtendStart(std::uint32_t crc) { return ReverseBits(crc ^ 0xFFFFFFFF) ^ 0xFFFFFFFF; }

#if defined(__x86_64__)
// SSE4.2's crc32 instruction computes the same reflected CRC-32C register update
// (without the initial and final inversion), 8 bytes at a time: about 10x the table.
__attribute__((target("sse4.2"))) std::uint32_t Crc32cRegisterSse42(std::uint32_t reg, const std::uint8_t* p,
                                                                    std::size_t n) {
  std::uint64_t r = reg;
  for (; n >= 8; n -= 8, p += 8) r = __builtin_ia32_crc32di(r, LoadU64(p));
  auto r32 = static_cast<std::uint32_t>(r);
  for (; n > 0; --n, ++p) r32 = __builtin_ia32_crc32qi(r32, *p);
  return r32;
}

const bool kHaveSse42 = __builtin_cpu_supports("sse4.2");
#endif
}  // namespace

std::uint32_t Crc32c(std::span<const std::uint8_t> data) { return Crc32cContinue(0, data); }

std::uint32_t Crc32cContinue(std::uint32_t crc, std::span<const std::uint8_t> data) {
#if defined(__x86_64__)
  if (kHaveSse42) return Crc32cRegisterSse42(crc ^ 0xFFFFFFFF, data.data(), data.size()) ^ 0xFFFFFFFF;
#endif
  return Crc32cContinuePortable(crc, data);
}

std::uint32_t Crc32cContinuePortable(std::uint32_t crc, std::span<const std::uint8_t> data) {
  Crc32cEngine engine(ReverseBits(crc ^ 0xFFFFFFFF));  // the register at crc ^ ~0 (see ExtendStart)
  engine.process_bytes(data.data(), data.size());
  return engine.checksum();
}

std::uint32_t Crc32cExtend(std::uint32_t crc, std::span<const std::uint8_t> data) {
  return Crc32cContinue(ExtendStart(crc), data);
}

std::uint32_t Crc32cExtendPortable(std::uint32_t crc, std::span<const std::uint8_t> data) {
  // The definition log record CRCs were written with: the finished CRC handed to Boost
  // as the initial remainder with the final XOR undone.
  Crc32cEngine engine(crc ^ 0xFFFFFFFF);
  engine.process_bytes(data.data(), data.size());
  return engine.checksum();
}

}  // namespace jet::format

// harness/core/hash.h — stable 64-bit hashing for trace hashes and seed derivation.
//
// Everything here is platform-independent (no std::hash): a trace hash printed on one
// machine must be printed again by `jetfault replay` on another.
#pragma once

#include <cstdint>
#include <string_view>

#include "faultfs/prng.h"

namespace jetharness {

// FNV-1a over bytes, finished with the SplitMix64 mixer.
inline std::uint64_t HashBytes(std::string_view bytes) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return faultfs::SplitMix64::Mix(h);
}

// Order-sensitive combination: Fold(Fold(h, a), b) != Fold(Fold(h, b), a).
inline std::uint64_t Fold(std::uint64_t h, std::uint64_t v) {
  return faultfs::SplitMix64::Mix(h ^ (v + 0x9E3779B97F4A7C15ULL + (h << 6) + (h >> 2)));
}

// Accumulates a trace hash from a sequence of values and strings.
class TraceHasher {
 public:
  void Add(std::uint64_t v) { h_ = Fold(h_, v); }
  void Add(std::string_view s) { h_ = Fold(h_, HashBytes(s)); }
  std::uint64_t value() const { return h_; }

 private:
  std::uint64_t h_ = 0x6a09e667f3bcc908ULL;
};

}  // namespace jetharness

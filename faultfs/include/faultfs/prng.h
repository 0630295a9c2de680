// faultfs/prng.h — the one pseudo-random generator behind every faultfs decision.
//
// Every random choice faultfs makes (which unsynced writes survive a crash, which
// sectors of a torn write land, which bits a corruption flips, ...) comes from a
// SplitMix64 stream (Steele, Lea & Flood, "Fast splittable pseudorandom number
// generators", 2014; the constants are those of Java's SplittableRandom). It is tiny,
// has no platform-dependent behaviour, and its output is fixed for a given seed, so a
// seed printed by a failing test reproduces the run bit for bit on any machine.
//
// Independent decisions derive their own stream with Derive(seed, salt) instead of
// sharing one sequential stream, so adding a decision in one place does not shift the
// outcome of every later one.
#pragma once

#include <cstdint>

namespace faultfs {

class SplitMix64 {
 public:
  explicit SplitMix64(std::uint64_t seed) : state_(seed) {}

  std::uint64_t Next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    return Mix(z);
  }
  // Uniform in [0, bound); bound 0 yields 0. (Modulo bias is irrelevant at our bounds.)
  std::uint64_t Uniform(std::uint64_t bound) { return bound == 0 ? 0 : Next() % bound; }
  // True with probability per_million / 1'000'000.
  bool Chance(std::uint32_t per_million) { return Uniform(1'000'000) < per_million; }

  // The SplitMix64 output function: a bijective 64-bit mixer.
  static std::uint64_t Mix(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  // A stream for one independent decision, e.g. Derive(seed, write_sequence).
  static SplitMix64 Derive(std::uint64_t seed, std::uint64_t salt) {
    return SplitMix64(Mix(seed ^ Mix(salt + 0x9E3779B97F4A7C15ULL)));
  }

 private:
  std::uint64_t state_;
};

}  // namespace faultfs

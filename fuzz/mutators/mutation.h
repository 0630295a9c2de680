// fuzz/mutators/mutation.h — what the structure-aware mutators share.
//
// A custom mutator (LLVMFuzzerCustomMutator) replaces libFuzzer's byte-level mutation
// for a target. The ones in this folder change an input inside its format — a record's
// payload, a segment header, a page, a manifest field — and re-seal the checksums, so
// the result gets past the integrity checks to the code behind them; for part of the
// calls they fall back to libFuzzer's own mutation (LLVMFuzzerMutate), which keeps the
// raw-bytes paths (and libFuzzer's dictionary and compare feedback) in play. They are
// plain functions of (input, seed) so that a ctest (fuzz/mutators/mutator_test.cc) can
// run them without libFuzzer and check what they produce.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

namespace jetfault::fuzz {

// libFuzzer's LLVMFuzzerMutate, or a stand-in: mutates data[0, size) in place (the
// buffer holds max_size bytes) and returns the new size.
using ByteMutator = std::function<std::size_t(std::uint8_t* data, std::size_t size, std::size_t max_size)>;

// What one call did, for the tests' accounting.
enum class MutationKind {
  kFallback,  // the byte-level mutator on the whole input
  kSealed,    // changed inside the format, every checksum re-sealed
  kDamaged,   // a deliberate unsealed change inside the format (a torn segment, a truncation)
  kScript,    // (restore) a change to the script itself: an edit removed, the fault plan, szDest
};

// splitmix64: small, fast, and the same sequence on every platform.
class MutationRng {
 public:
  explicit MutationRng(std::uint64_t seed) : state_(seed) {}
  std::uint64_t Next() {
    std::uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // In [0, bound); 0 when bound is 0.
  std::size_t Below(std::size_t bound) { return bound == 0 ? 0 : static_cast<std::size_t>(Next() % bound); }
  bool Percent(unsigned p) { return Below(100) < p; }

 private:
  std::uint64_t state_;
};

// Changes the bytes of one small field in place (its size kept): a bit flip, a small
// step of the little-endian integer it holds, an extreme value, random bytes, bytes
// copied from `donor` (elsewhere in the same file), or the byte-level mutator.
void MutateField(MutationRng& rng, std::span<std::uint8_t> field, std::span<const std::uint8_t> donor,
                 const ByteMutator& bytes);

// A byte-level stand-in for LLVMFuzzerMutate where libFuzzer is absent (the tests): a
// few random flips, insertions and erasures.
ByteMutator SimpleByteMutator(std::uint64_t seed);

}  // namespace jetfault::fuzz

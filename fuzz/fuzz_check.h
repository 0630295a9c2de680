// fuzz/fuzz_check.h — the invariants every parser fuzz target asserts, in one place.
//
// A fuzz target feeds bytes to a pure decoder (bytes -> struct or JET_err). Whatever
// the bytes, the decoder must either
//   * reject them with a negative JET_err that the engine's error table knows, or
//   * accept them, and then the struct must survive a round trip through the encoder:
//     decode(encode(s)) succeeds and gives s again, and encode of that gives the same
//     bytes (the encoder's output is a normal form: a fixed point of decode∘encode).
//     Where the format has exactly one encoding of each struct, the normal form must
//     equal the input itself (RoundTrip::kExact).
// A violated invariant prints what failed and aborts, which libFuzzer reports as a
// crash and the replay main (replay_main.cc) as a failed ctest. Crashes, hangs and
// huge allocations are the sanitizers' and libFuzzer's job (see the .options files).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <span>
#include <vector>

#include "jet/jet.h"

namespace jetfault::fuzz {

using Bytes = std::span<const std::uint8_t>;

[[noreturn]] inline void FailCheck(const char* what, const char* file, int line) {
  std::fprintf(stderr, "fuzz invariant violated at %s:%d: %s\n", file, line, what);
  std::abort();
}

// Like assert(), but never compiled out: fuzz and replay builds may define NDEBUG.
#define FUZZ_CHECK(condition) \
  ((condition) ? static_cast<void>(0) : ::jetfault::fuzz::FailCheck(#condition, __FILE__, __LINE__))

// A rejection must be a real error: negative and named in jet_errors.def.
// JetErrorName searches the whole error table and most inputs are rejections, so each
// code's answer is kept (codes down to -65535; others are looked up every time).
inline void CheckIsKnownError(JET_ERR err) {
  FUZZ_CHECK(err < 0);
  static std::array<std::uint8_t, 65536> seen{};  // 0 unknown yet, 1 known
  const auto index = static_cast<std::uint64_t>(-static_cast<std::int64_t>(err));
  if (index < seen.size() && seen[index] != 0) return;
  FUZZ_CHECK(std::strcmp(JetErrorName(err), "JET_err?") != 0);
  if (index < seen.size()) seen[index] = 1;
}

enum class RoundTrip {
  kExact,       // accepted input == encode(decode(input)), byte for byte
  kNormalForm,  // encode(decode(input)) is a fixed point; the input may differ from it
};

// Checks the codec invariants above for one input. decode(Bytes, T*) -> JET_ERR;
// encode(const T&) -> std::vector<std::uint8_t>. Returns the decoded struct when the
// input was accepted, so a target can assert format-specific facts about it.
template <class T, class Decode, class Encode>
std::optional<T> CheckRoundTrip(Bytes input, Decode decode, Encode encode, RoundTrip mode) {
  T decoded{};
  const JET_ERR err = decode(input, &decoded);
  if (err != JET_errSuccess) {
    CheckIsKnownError(err);
    return std::nullopt;
  }
  const std::vector<std::uint8_t> encoded = encode(decoded);
  if (mode == RoundTrip::kExact) {
    FUZZ_CHECK(encoded.size() == input.size());
    FUZZ_CHECK(std::memcmp(encoded.data(), input.data(), input.size()) == 0);
  }
  T again{};
  FUZZ_CHECK(decode(Bytes(encoded), &again) == JET_errSuccess);
  FUZZ_CHECK(again == decoded);
  FUZZ_CHECK(encode(again) == encoded);
  return decoded;
}

// For codecs with exactly one encoding per struct whose structs cannot be compared
// (they hold spans into the decoded bytes): an accepted input must re-encode to the
// input itself. encode(const T&, std::vector<std::uint8_t>*) appends.
template <class T, class Decode, class Encode>
std::optional<T> CheckReencodesExactly(Bytes input, Decode decode, Encode encode) {
  T decoded{};
  const JET_ERR err = decode(input, &decoded);
  if (err != JET_errSuccess) {
    CheckIsKnownError(err);
    return std::nullopt;
  }
  std::vector<std::uint8_t> encoded;
  encode(decoded, &encoded);
  FUZZ_CHECK(encoded.size() == input.size());
  FUZZ_CHECK(std::equal(encoded.begin(), encoded.end(), input.begin()));
  return decoded;
}

// Reads fuzz input as a sequence of typed choices (like libFuzzer's
// FuzzedDataProvider, which the GCC replay build lacks). Past the end every read
// yields zero/empty, so a short input is a valid, small scenario.
class InputReader {
 public:
  explicit InputReader(Bytes input) : input_(input) {}

  std::uint8_t U8() { return offset_ < input_.size() ? input_[offset_++] : 0; }
  std::uint16_t U16() { return static_cast<std::uint16_t>(U8() | (U8() << 8)); }
  std::uint32_t U32() { return static_cast<std::uint32_t>(U16()) | (static_cast<std::uint32_t>(U16()) << 16); }
  // A value in [0, bound), bound > 0.
  std::uint32_t Below(std::uint32_t bound) { return U32() % bound; }
  // Up to max_size bytes, length-prefixed by one u16.
  std::vector<std::uint8_t> Blob(std::size_t max_size) {
    const std::size_t size = std::min<std::size_t>(U16(), max_size);
    return Take(size);
  }
  // As Blob, but a view of the input's bytes (valid as long as the input is).
  Bytes BlobView(std::size_t max_size) { return TakeView(std::min<std::size_t>(U16(), max_size)); }
  // As Take, but a view of the input's bytes.
  Bytes TakeView(std::size_t size) {
    const std::size_t n = std::min(size, input_.size() - offset_);
    const Bytes view = input_.subspan(offset_, n);
    offset_ += n;
    return view;
  }
  std::vector<std::uint8_t> Take(std::size_t size) {
    const std::size_t n = std::min(size, input_.size() - offset_);
    std::vector<std::uint8_t> out(input_.begin() + static_cast<std::ptrdiff_t>(offset_),
                                  input_.begin() + static_cast<std::ptrdiff_t>(offset_ + n));
    offset_ += n;
    return out;
  }
  std::vector<std::uint8_t> Rest() { return Take(input_.size() - offset_); }
  bool empty() const { return offset_ >= input_.size(); }

 private:
  Bytes input_;
  std::size_t offset_ = 0;
};

}  // namespace jetfault::fuzz

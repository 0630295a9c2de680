// checkpoint_fuzzer — one copy of the checkpoint file (format/checkpoint.h), with its
// attach list (format/log_attach.h).
//
// Checked on the raw input and on a copy whose first 4096 bytes carry a recomputed
// checksum: a known JET_err, or a checkpoint that round-trips through
// EncodeCheckpoint (which must accept anything the decoder accepted).
#include <cstdint>
#include <vector>

#include "checksum_fixup.h"
#include "format/checkpoint.h"
#include "fuzz_check.h"

namespace {

using jet::format::Checkpoint;
using jet::format::kCheckpointCopySize;
using jetfault::fuzz::Bytes;

JET_ERR Decode(Bytes bytes, Checkpoint* out) { return jet::format::DecodeCheckpoint(bytes, out); }

std::vector<std::uint8_t> Encode(const Checkpoint& checkpoint) {
  std::vector<std::uint8_t> copy(kCheckpointCopySize);
  FUZZ_CHECK(jet::format::EncodeCheckpoint(checkpoint, std::span<std::uint8_t, kCheckpointCopySize>(copy)) ==
             JET_errSuccess);
  return copy;
}

void Check(Bytes bytes) {
  jetfault::fuzz::CheckRoundTrip<Checkpoint>(bytes, Decode, Encode, jetfault::fuzz::RoundTrip::kNormalForm);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes input(data, size);
  Check(input);
  if (size >= kCheckpointCopySize) {
    std::vector<std::uint8_t> fixed(input.begin(), input.end());
    jetfault::fuzz::FixXorChecksum(std::span<std::uint8_t>(fixed).first(kCheckpointCopySize));
    Check(fixed);
  }
  return 0;
}

// log_header_fuzzer — the log file header (format/log_header.h), with its attach list
// (format/log_attach.h).
//
// Checked on the raw input and on a copy whose first 4096 bytes carry a recomputed
// checksum: a known JET_err, or a header that round-trips through EncodeLogFileHeader
// (which must accept anything the decoder accepted).
#include <cstdint>
#include <vector>

#include "checksum_fixup.h"
#include "format/log_header.h"
#include "fuzz_check.h"

namespace {

using jet::format::kLogHeaderSize;
using jet::format::LogFileHeader;
using jetfault::fuzz::Bytes;

JET_ERR Decode(Bytes bytes, LogFileHeader* out) { return jet::format::DecodeLogFileHeader(bytes, out); }

std::vector<std::uint8_t> Encode(const LogFileHeader& header) {
  std::vector<std::uint8_t> block(kLogHeaderSize);
  FUZZ_CHECK(jet::format::EncodeLogFileHeader(header, std::span<std::uint8_t, kLogHeaderSize>(block)) ==
             JET_errSuccess);
  return block;
}

void Check(Bytes bytes) {
  jetfault::fuzz::CheckRoundTrip<LogFileHeader>(bytes, Decode, Encode, jetfault::fuzz::RoundTrip::kNormalForm);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes input(data, size);
  Check(input);
  if (size >= kLogHeaderSize) {
    std::vector<std::uint8_t> fixed(input.begin(), input.end());
    jetfault::fuzz::FixXorChecksum(std::span<std::uint8_t>(fixed).first(kLogHeaderSize));
    Check(fixed);
  }
  return 0;
}

// db_header_fuzzer — the database file header and its shadow (format/db_header.h).
//
// The input is the start of a database file: the primary header page at offset 0 and
// the shadow at offset page_size (page_size as the primary claims it; short inputs
// give short or empty copies). Checked, on the raw bytes and again with both checksums
// recomputed (checksum_fixup.h):
//   * DecodeDbHeader of each copy: a known JET_err, or a header that round-trips
//     (encode -> decode gives it back; encoding is a fixed point). The input page may
//     carry bytes the decoder ignores, so the normal form need not equal the input.
//   * DecodeDbHeaderPair picks as ESE does: a valid primary wins, else a valid shadow,
//     else an error — and never succeeds when both copies fail on their own.
#include <cstdint>
#include <vector>

#include "checksum_fixup.h"
#include "format/db_header.h"
#include "fuzz_check.h"

namespace {

using jet::format::DbHeader;
using jetfault::fuzz::Bytes;

JET_ERR Decode(Bytes bytes, DbHeader* out) { return jet::format::DecodeDbHeader(bytes, out); }

std::vector<std::uint8_t> Encode(const DbHeader& header) {
  std::vector<std::uint8_t> page(header.page_size);
  jet::format::EncodeDbHeader(header, page);
  return page;
}

void CheckCopies(Bytes primary, Bytes shadow) {
  using jetfault::fuzz::CheckRoundTrip;
  using jetfault::fuzz::RoundTrip;
  const auto first = CheckRoundTrip<DbHeader>(primary, Decode, Encode, RoundTrip::kNormalForm);
  const auto second = CheckRoundTrip<DbHeader>(shadow, Decode, Encode, RoundTrip::kNormalForm);
  DbHeader chosen;
  const JET_ERR err = jet::format::DecodeDbHeaderPair(primary, shadow, &chosen);
  if (first) {
    FUZZ_CHECK(err == JET_errSuccess && chosen == *first);
  } else if (second) {
    FUZZ_CHECK(err == JET_errSuccess && chosen == *second);
  } else {
    jetfault::fuzz::CheckIsKnownError(err);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes input(data, size);
  // Where the shadow starts: the page size the primary claims, when it is one the
  // engine supports (the decoder rejects the others itself).
  std::uint32_t page_size = jet::format::PeekDbPageSize(input);
  if (page_size != 4096 && page_size != 8192 && page_size != 16384 && page_size != 32768) page_size = 4096;
  const Bytes primary = input.first(std::min<std::size_t>(size, page_size));
  const Bytes shadow = input.subspan(primary.size(), std::min<std::size_t>(size - primary.size(), page_size));
  CheckCopies(primary, shadow);

  // Again with valid checksums, so the field checks behind them are reached.
  std::vector<std::uint8_t> fixed(primary.begin(), primary.end());
  std::vector<std::uint8_t> fixed_shadow(shadow.begin(), shadow.end());
  if (fixed.size() == page_size) jetfault::fuzz::FixXorChecksum(fixed);
  if (fixed_shadow.size() == page_size) jetfault::fuzz::FixXorChecksum(fixed_shadow);
  CheckCopies(fixed, fixed_shadow);
  return 0;
}

// backup_manifest_fuzzer — the metadata of a backup set: the manifest
// (format/backup_manifest.h, jetbackup.manifest) and the trailer page of each database
// copy (format/backup_trailer.h, ESE's PATCHHDR).
//
// The input is one file of a backup set; it is given to both decoders, raw and again
// with its integrity fields recomputed (manifest: cbManifest = input size and the
// CRC-32C; trailer: the XOR checksum), so mutations reach the field checks.
//   * manifest: a known JET_err, or a manifest that re-encodes to exactly the input
//     (the format has a length, a CRC and no padding: one encoding per manifest);
//   * trailer: a known JET_err, or a trailer that round-trips (encode -> decode gives
//     it back; bytes the decoder ignores make the input differ from the normal form).
#include <cstdint>
#include <vector>

#include "checksum_fixup.h"
#include "format/backup_manifest.h"
#include "format/backup_trailer.h"
#include "format/checksum.h"
#include "fuzz_check.h"

namespace {

namespace format = jet::format;
using jetfault::fuzz::Bytes;
using jetfault::fuzz::CheckRoundTrip;
using jetfault::fuzz::RoundTrip;

JET_ERR DecodeManifest(Bytes bytes, format::BackupManifest* out) { return format::DecodeBackupManifest(bytes, out); }

std::vector<std::uint8_t> EncodeManifest(const format::BackupManifest& manifest) {
  std::vector<std::uint8_t> bytes;
  FUZZ_CHECK(format::EncodeBackupManifest(manifest, &bytes) == JET_errSuccess);
  return bytes;
}

JET_ERR DecodeTrailer(Bytes bytes, format::BackupTrailer* out) { return format::DecodeBackupTrailer(bytes, out); }

std::vector<std::uint8_t> EncodeTrailer(const format::BackupTrailer& trailer) {
  std::vector<std::uint8_t> page(trailer.page_size);
  FUZZ_CHECK(format::EncodeBackupTrailer(trailer, page) == JET_errSuccess);
  return page;
}

void Check(Bytes bytes) {
  CheckRoundTrip<format::BackupManifest>(bytes, DecodeManifest, EncodeManifest, RoundTrip::kExact);
  CheckRoundTrip<format::BackupTrailer>(bytes, DecodeTrailer, EncodeTrailer, RoundTrip::kNormalForm);
}

constexpr std::size_t kManifestLengthOffset = 12;
constexpr std::size_t kManifestCrcOffset = 16;
constexpr std::size_t kManifestCrcFrom = 20;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes input(data, size);
  Check(input);
  std::vector<std::uint8_t> fixed(input.begin(), input.end());
  if (size >= kManifestCrcFrom) {
    format::StoreU32(fixed.data() + kManifestLengthOffset, static_cast<std::uint32_t>(size));
    format::StoreU32(fixed.data() + kManifestCrcOffset, format::Crc32c(Bytes(fixed).subspan(kManifestCrcFrom)));
    Check(fixed);
  }
  if (size >= 4096 && size % 4 == 0) {
    fixed.assign(input.begin(), input.end());
    jetfault::fuzz::FixXorChecksum(fixed);
    Check(fixed);
  }
  return 0;
}

#include "format/backup_trailer.h"

#include <algorithm>
#include <cstring>

#include "format/checksum.h"
#include "format/log_fields.h"

namespace jet::format {

namespace {
constexpr char kMagic[8] = {'J', 'F', 'P', 'A', 'T', 'C', 'H', '1'};
constexpr std::size_t kMinPage = 4096;
}  // namespace

JET_ERR EncodeBackupTrailer(const BackupTrailer& t, std::span<std::uint8_t> page) {
  if (page.size() < kMinPage || page.size() != t.page_size) return JET_errInvalidParameter;
  std::fill(page.begin(), page.end(), std::uint8_t{0});
  std::uint8_t* p = page.data();
  std::memcpy(p + 40, kMagic, 8);
  StoreLgpos(p + 48, t.bkinfo.lgpos_mark);
  StoreLogTime(p + 56, t.bkinfo.logtime_mark);
  StoreU32(p + 64, static_cast<std::uint32_t>(t.bkinfo.gen_low));
  StoreU32(p + 68, static_cast<std::uint32_t>(t.bkinfo.gen_high));
  StoreSignature(p + 72, t.sign_db);
  StoreSignature(p + 100, t.sign_log);
  StoreU32(p + 128, static_cast<std::uint32_t>(t.gen_min_required));
  StoreU32(p + 132, static_cast<std::uint32_t>(t.gen_max_required));
  StoreU32(p + 136, static_cast<std::uint32_t>(t.gen_max_committed));
  StoreU32(p + 140, t.page_size);
  StoreU32(p + 144, t.pgno_last);
  StoreU32(p, XorChecksum(page));
  return JET_errSuccess;
}

JET_ERR DecodeBackupTrailer(std::span<const std::uint8_t> page, BackupTrailer* out) {
  if (page.size() < kMinPage || page.size() % 4 != 0) return JET_errBadPatchPage;
  const std::uint8_t* p = page.data();
  if (LoadU32(p) != XorChecksum(page) || std::memcmp(p + 40, kMagic, 8) != 0) return JET_errBadPatchPage;
  BackupTrailer t;
  t.bkinfo.lgpos_mark = LoadLgpos(p + 48);
  t.bkinfo.logtime_mark = LoadLogTime(p + 56);
  t.bkinfo.gen_low = static_cast<std::int32_t>(LoadU32(p + 64));
  t.bkinfo.gen_high = static_cast<std::int32_t>(LoadU32(p + 68));
  t.sign_db = LoadSignature(p + 72);
  t.sign_log = LoadSignature(p + 100);
  t.gen_min_required = static_cast<std::int32_t>(LoadU32(p + 128));
  t.gen_max_required = static_cast<std::int32_t>(LoadU32(p + 132));
  t.gen_max_committed = static_cast<std::int32_t>(LoadU32(p + 136));
  t.page_size = LoadU32(p + 140);
  t.pgno_last = LoadU32(p + 144);
  if (t.page_size != page.size()) return JET_errBadPatchPage;
  *out = t;
  return JET_errSuccess;
}

}  // namespace jet::format

#include "format/db_header.h"

#include <algorithm>
#include <cstring>

#include "format/checksum.h"

namespace jet::format {
namespace {

// DBFILEHDR offsets (docs/ESE_FACTS.md §4.1).
constexpr std::size_t kOffChecksum = 0;
constexpr std::size_t kOffMagic = 4;
constexpr std::size_t kOffVersion = 8;
constexpr std::size_t kOffDbtimeDirtied = 16;
constexpr std::size_t kOffSignDb = 24;
constexpr std::size_t kOffDbState = 52;
constexpr std::size_t kOffLgposConsistent = 56;
constexpr std::size_t kOffLogtimeConsistent = 64;
constexpr std::size_t kOffLogtimeAttach = 72;
constexpr std::size_t kOffLgposAttach = 80;
constexpr std::size_t kOffLogtimeDetach = 88;
constexpr std::size_t kOffLgposDetach = 96;
constexpr std::size_t kOffDbid = 104;
constexpr std::size_t kOffSignLog = 108;
constexpr std::size_t kOffBkinfoFullPrev = 136;
constexpr std::size_t kOffBkinfoIncPrev = 160;
constexpr std::size_t kOffBkinfoFullCur = 184;
constexpr std::size_t kOffObjidLast = 212;
constexpr std::size_t kOffUpdateMajor = 232;
constexpr std::size_t kOffPageSize = 236;
constexpr std::size_t kOffGenMinRequired = 296;
constexpr std::size_t kOffGenMaxRequired = 300;
constexpr std::size_t kOffFileType = kFileTypeOffset;
constexpr std::size_t kMinHeaderPage = 4096;

void StoreLgpos(std::uint8_t* p, const Lgpos& l) {
  StoreU16(p, l.ib);
  StoreU16(p + 2, l.isec);
  StoreU32(p + 4, static_cast<std::uint32_t>(l.generation));
}
Lgpos LoadLgpos(const std::uint8_t* p) {
  return Lgpos{LoadU16(p), LoadU16(p + 2), static_cast<std::int32_t>(LoadU32(p + 4))};
}
void StoreLogTime(std::uint8_t* p, const LogTime& t) { std::memcpy(p, t.bytes.data(), 8); }
LogTime LoadLogTime(const std::uint8_t* p) {
  LogTime t;
  std::memcpy(t.bytes.data(), p, 8);
  return t;
}
void StoreBackupInfo(std::uint8_t* p, const BackupInfo& b) {
  StoreLgpos(p, b.lgpos_mark);
  StoreLogTime(p + 8, b.logtime_mark);
  StoreU32(p + 16, static_cast<std::uint32_t>(b.gen_low));
  StoreU32(p + 20, static_cast<std::uint32_t>(b.gen_high));
}
BackupInfo LoadBackupInfo(const std::uint8_t* p) {
  BackupInfo b;
  b.lgpos_mark = LoadLgpos(p);
  b.logtime_mark = LoadLogTime(p + 8);
  b.gen_low = static_cast<std::int32_t>(LoadU32(p + 16));
  b.gen_high = static_cast<std::int32_t>(LoadU32(p + 20));
  return b;
}

}  // namespace

void EncodeDbHeader(const DbHeader& h, std::span<std::uint8_t> page) {
  std::fill(page.begin(), page.end(), std::uint8_t{0});
  std::uint8_t* p = page.data();
  StoreU32(p + kOffMagic, kDbMagic);
  StoreU32(p + kOffVersion, h.version);
  StoreU64(p + kOffDbtimeDirtied, h.dbtime_dirtied);
  StoreSignature(p + kOffSignDb, h.sign_db);
  StoreU32(p + kOffDbState, static_cast<std::uint32_t>(h.dbstate));
  StoreLgpos(p + kOffLgposConsistent, h.lgpos_consistent);
  StoreLogTime(p + kOffLogtimeConsistent, h.logtime_consistent);
  StoreLogTime(p + kOffLogtimeAttach, h.logtime_attach);
  StoreLgpos(p + kOffLgposAttach, h.lgpos_attach);
  StoreLogTime(p + kOffLogtimeDetach, h.logtime_detach);
  StoreLgpos(p + kOffLgposDetach, h.lgpos_detach);
  StoreU32(p + kOffDbid, h.dbid);
  StoreSignature(p + kOffSignLog, h.sign_log);
  StoreBackupInfo(p + kOffBkinfoFullPrev, h.bkinfo_full_prev);
  StoreBackupInfo(p + kOffBkinfoIncPrev, h.bkinfo_inc_prev);
  StoreBackupInfo(p + kOffBkinfoFullCur, h.bkinfo_full_cur);
  StoreU32(p + kOffObjidLast, h.objid_last);
  StoreU32(p + kOffUpdateMajor, kDbUpdateMajor);
  StoreU32(p + kOffPageSize, h.page_size);
  StoreU32(p + kOffGenMinRequired, static_cast<std::uint32_t>(h.gen_min_required));
  StoreU32(p + kOffGenMaxRequired, static_cast<std::uint32_t>(h.gen_max_required));
  StoreU32(p + kOffFileType, kFileTypeDatabase);
  StoreU32(p + kDbHeaderOffPgnoLast, h.pgno_last);
  StoreU32(p + kDbHeaderOffPgnoLastTwin, h.pgno_last);
  StoreU32(p + kOffChecksum, XorChecksum(page));
}

std::uint32_t PeekDbPageSize(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < kOffPageSize + 4) return 0;
  std::uint32_t size = LoadU32(bytes.data() + kOffPageSize);
  return size == 0 ? 4096 : size;  // ESE: 0 means 4096
}

JET_ERR DecodeDbHeader(std::span<const std::uint8_t> page, DbHeader* out) {
  if (page.size() < kMinHeaderPage || page.size() % 4 != 0) return JET_errInvalidDatabase;
  if (IsAllZero(page)) {
    return JET_errPageNotInitialized;
  }
  const std::uint8_t* p = page.data();
  if (LoadU32(p + kOffMagic) != kDbMagic) return JET_errInvalidDatabase;
  std::uint32_t page_size = PeekDbPageSize(page);
  if (!IsSupportedPageSize(page_size)) return JET_errInvalidDatabase;
  if (page.size() < page_size) return JET_errPageSizeMismatch;
  std::span<const std::uint8_t> whole = page.first(page_size);
  if (LoadU32(p + kOffChecksum) != XorChecksum(whole)) return JET_errReadVerifyFailure;
  if (LoadU32(p + kOffFileType) != kFileTypeDatabase) return JET_errFileInvalidType;
  DbHeader h;
  h.version = LoadU32(p + kOffVersion);
  h.dbtime_dirtied = LoadU64(p + kOffDbtimeDirtied);
  h.sign_db = LoadSignature(p + kOffSignDb);
  std::uint32_t state = LoadU32(p + kOffDbState);
  if (state < 1 || state > 8) return JET_errDatabaseCorrupted;
  h.dbstate = static_cast<DbState>(state);
  h.lgpos_consistent = LoadLgpos(p + kOffLgposConsistent);
  h.logtime_consistent = LoadLogTime(p + kOffLogtimeConsistent);
  h.logtime_attach = LoadLogTime(p + kOffLogtimeAttach);
  h.lgpos_attach = LoadLgpos(p + kOffLgposAttach);
  h.logtime_detach = LoadLogTime(p + kOffLogtimeDetach);
  h.lgpos_detach = LoadLgpos(p + kOffLgposDetach);
  h.dbid = LoadU32(p + kOffDbid);
  h.sign_log = LoadSignature(p + kOffSignLog);
  h.bkinfo_full_prev = LoadBackupInfo(p + kOffBkinfoFullPrev);
  h.bkinfo_inc_prev = LoadBackupInfo(p + kOffBkinfoIncPrev);
  h.bkinfo_full_cur = LoadBackupInfo(p + kOffBkinfoFullCur);
  h.objid_last = LoadU32(p + kOffObjidLast);
  h.page_size = page_size;
  h.gen_min_required = static_cast<std::int32_t>(LoadU32(p + kOffGenMinRequired));
  h.gen_max_required = static_cast<std::int32_t>(LoadU32(p + kOffGenMaxRequired));
  h.pgno_last = LoadU32(p + kDbHeaderOffPgnoLast);
  if (LoadU32(p + kDbHeaderOffPgnoLastTwin) != h.pgno_last) return JET_errDatabaseCorrupted;
  *out = h;
  return JET_errSuccess;
}

JET_ERR DecodeDbHeaderPair(std::span<const std::uint8_t> primary, std::span<const std::uint8_t> shadow, DbHeader* out) {
  JET_ERR err = DecodeDbHeader(primary, out);
  if (err >= 0) return err;
  if (DecodeDbHeader(shadow, out) >= 0) return JET_errSuccess;
  // Both bad: ESE reports ReadVerifyFailure unless the file is plainly not a database.
  return err == JET_errPageNotInitialized || err == JET_errInvalidDatabase || err == JET_errFileInvalidType
             ? err
             : JET_errReadVerifyFailure;
}

JET_ERR DecodeDbFileHeader(std::span<const std::uint8_t> file_start, DbHeader* out) {
  auto slice = [file_start](std::size_t offset, std::size_t length) {
    if (offset >= file_start.size()) return std::span<const std::uint8_t>{};
    return file_start.subspan(offset, std::min(length, file_start.size() - offset));
  };
  const std::uint32_t size = PeekDbPageSize(file_start);
  JET_ERR err = JET_errInvalidDatabase;
  if (IsSupportedPageSize(size)) {
    err = DecodeDbHeaderPair(slice(0, size), slice(size, size), out);
    if (err >= 0) return err;
  } else if (file_start.size() >= kOffMagic + 4 && LoadU32(file_start.data() + kOffMagic) == kDbMagic) {
    err = JET_errReadVerifyFailure;
  }
  for (std::uint32_t candidate : kSupportedPageSizes) {
    if (candidate == size) continue;
    DbHeader shadow;
    if (DecodeDbHeader(slice(candidate, candidate), &shadow) == JET_errSuccess && shadow.page_size == candidate) {
      *out = shadow;
      return JET_errSuccess;
    }
  }
  return err;
}

}  // namespace jet::format

#include "format/backup_manifest.h"

#include <cstring>
#include <new>

#include "format/checksum.h"
#include "format/log_fields.h"
#include "format/log_header.h"

namespace jet::format {

namespace {

constexpr char kMagic[8] = {'J', 'F', 'B', 'K', 'S', 'E', 'T', '1'};
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kCrcOffset = 16;
constexpr std::size_t kCoveredFrom = 20;

class Writer {
 public:
  explicit Writer(std::vector<std::uint8_t>* out) : out_(out) {}
  std::uint8_t* Grow(std::size_t n) {
    out_->resize(out_->size() + n);
    return out_->data() + out_->size() - n;
  }
  void U16(std::uint16_t v) { StoreU16(Grow(2), v); }
  void U32(std::uint32_t v) { StoreU32(Grow(4), v); }
  void U64(std::uint64_t v) { StoreU64(Grow(8), v); }
  bool Str(const std::string& s) {
    if (s.size() > 0xFFFF) return false;
    U16(static_cast<std::uint16_t>(s.size()));
    if (!s.empty()) std::memcpy(Grow(s.size()), s.data(), s.size());
    return true;
  }

 private:
  std::vector<std::uint8_t>* out_;
};

// Bounds-checked reading: every accessor fails (ok() false) instead of reading past the end.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> bytes, std::size_t offset) : bytes_(bytes), pos_(offset) {}
  bool ok() const { return ok_; }
  const std::uint8_t* Take(std::size_t n) {
    if (!ok_ || bytes_.size() - pos_ < n) {
      ok_ = false;
      return nullptr;
    }
    const std::uint8_t* p = bytes_.data() + pos_;
    pos_ += n;
    return p;
  }
  std::uint16_t U16() {
    const std::uint8_t* p = Take(2);
    return p ? LoadU16(p) : 0;
  }
  std::uint32_t U32() {
    const std::uint8_t* p = Take(4);
    return p ? LoadU32(p) : 0;
  }
  std::uint64_t U64() {
    const std::uint8_t* p = Take(8);
    return p ? LoadU64(p) : 0;
  }
  std::string Str() {
    const std::size_t n = U16();
    const std::uint8_t* p = Take(n);
    return p ? std::string(reinterpret_cast<const char*>(p), n) : std::string();
  }
  std::size_t remaining() const { return bytes_.size() - pos_; }

 private:
  std::span<const std::uint8_t> bytes_;
  std::size_t pos_;
  bool ok_ = true;
};

constexpr std::size_t kLogEntrySize = 16;
constexpr std::size_t kDbEntryMinSize = 4 + kSignatureSize + 4 + 2 + 2;

}  // namespace

JET_ERR EncodeBackupManifest(const BackupManifest& m, std::vector<std::uint8_t>* out) {
  if (m.logs.size() > 0xFFFF || m.dbs.size() > 0xFFFF) return JET_errInvalidParameter;
  out->clear();
  Writer w(out);
  std::memcpy(w.Grow(8), kMagic, 8);
  w.U32(kVersion);
  w.U32(0);  // cbManifest, patched below
  w.U32(0);  // crc, patched below
  w.U32(m.flags);
  w.U32(m.page_size);
  StoreSignature(w.Grow(kSignatureSize), m.sign_log);
  w.U32(static_cast<std::uint32_t>(m.gen_low));
  w.U32(static_cast<std::uint32_t>(m.gen_high));
  StoreLgpos(w.Grow(kLgposSize), m.lgpos_mark);
  StoreLogTime(w.Grow(kLogTimeSize), m.logtime_mark);
  if (!w.Str(m.base_name)) return JET_errInvalidParameter;
  w.U16(static_cast<std::uint16_t>(m.logs.size()));
  for (const BackupLogEntry& log : m.logs) {
    w.U32(static_cast<std::uint32_t>(log.generation));
    w.U64(log.size);
    w.U32(log.crc);
  }
  w.U16(static_cast<std::uint16_t>(m.dbs.size()));
  for (const BackupDbEntry& db : m.dbs) {
    w.U32(db.dbid);
    StoreSignature(w.Grow(kSignatureSize), db.sign_db);
    w.U32(db.pgno_last);
    if (!w.Str(db.file_name) || !w.Str(db.original_path)) return JET_errInvalidParameter;
  }
  if (out->size() > kBackupManifestMaxSize) return JET_errInvalidParameter;
  StoreU32(out->data() + 12, static_cast<std::uint32_t>(out->size()));
  StoreU32(out->data() + kCrcOffset, Crc32c(std::span<const std::uint8_t>(*out).subspan(kCoveredFrom)));
  return JET_errSuccess;
}

JET_ERR DecodeBackupManifest(std::span<const std::uint8_t> bytes, BackupManifest* out) {
  constexpr JET_ERR kDamaged = JET_errReadVerifyFailure;
  if (bytes.size() < 82 || bytes.size() > kBackupManifestMaxSize) return kDamaged;
  if (std::memcmp(bytes.data(), kMagic, 8) != 0 || LoadU32(bytes.data() + 8) != kVersion) return kDamaged;
  if (LoadU32(bytes.data() + 12) != bytes.size()) return kDamaged;
  if (LoadU32(bytes.data() + kCrcOffset) != Crc32c(bytes.subspan(kCoveredFrom))) return kDamaged;
  Reader r(bytes, kCoveredFrom);
  BackupManifest m;
  m.flags = r.U32();
  m.page_size = r.U32();
  const std::uint8_t* sign = r.Take(kSignatureSize);
  if (sign != nullptr) m.sign_log = LoadSignature(sign);
  m.gen_low = static_cast<std::int32_t>(r.U32());
  m.gen_high = static_cast<std::int32_t>(r.U32());
  const std::uint8_t* mark = r.Take(kLgposSize);
  if (mark != nullptr) m.lgpos_mark = LoadLgpos(mark);
  const std::uint8_t* time = r.Take(kLogTimeSize);
  if (time != nullptr) m.logtime_mark = LoadLogTime(time);
  m.base_name = r.Str();
  const std::size_t log_count = r.U16();
  if (!r.ok() || log_count > r.remaining() / kLogEntrySize) return kDamaged;
  if (!IsSupportedPageSize(m.page_size) || m.gen_low <= 0 || m.gen_high < m.gen_low ||
      static_cast<std::int64_t>(m.gen_high) - m.gen_low + 1 != static_cast<std::int64_t>(log_count)) {
    return kDamaged;
  }
  m.logs.reserve(log_count);
  for (std::size_t i = 0; i < log_count; ++i) {
    BackupLogEntry log;
    log.generation = static_cast<std::int32_t>(r.U32());
    log.size = r.U64();
    log.crc = r.U32();
    if (log.generation != m.gen_low + static_cast<std::int32_t>(i)) return kDamaged;
    m.logs.push_back(log);
  }
  const std::size_t db_count = r.U16();
  if (!r.ok() || db_count > r.remaining() / kDbEntryMinSize) return kDamaged;
  m.dbs.reserve(db_count);
  for (std::size_t i = 0; i < db_count; ++i) {
    BackupDbEntry db;
    db.dbid = r.U32();
    const std::uint8_t* sign_db = r.Take(kSignatureSize);
    if (sign_db != nullptr) db.sign_db = LoadSignature(sign_db);
    db.pgno_last = r.U32();
    db.file_name = r.Str();
    db.original_path = r.Str();
    if (!r.ok()) return kDamaged;
    m.dbs.push_back(std::move(db));
  }
  if (!r.ok() || r.remaining() != 0) return kDamaged;
  *out = std::move(m);
  return JET_errSuccess;
}

}  // namespace jet::format

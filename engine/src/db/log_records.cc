#include "db/log_records.h"

#include "format/checksum.h"

namespace jet::db {
namespace {

using format::LoadU16;
using format::LoadU32;
using format::LoadU64;

void PutU8(std::vector<std::uint8_t>* out, std::uint8_t v) { out->push_back(v); }
void PutU16(std::vector<std::uint8_t>* out, std::uint16_t v) {
  std::uint8_t b[2];
  format::StoreU16(b, v);
  out->insert(out->end(), b, b + 2);
}
void PutU32(std::vector<std::uint8_t>* out, std::uint32_t v) {
  std::uint8_t b[4];
  format::StoreU32(b, v);
  out->insert(out->end(), b, b + 4);
}
void PutU64(std::vector<std::uint8_t>* out, std::uint64_t v) {
  std::uint8_t b[8];
  format::StoreU64(b, v);
  out->insert(out->end(), b, b + 8);
}
void PutBytes(std::vector<std::uint8_t>* out, std::span<const std::uint8_t> bytes) {
  out->insert(out->end(), bytes.begin(), bytes.end());
}
void PutLgpos(std::vector<std::uint8_t>* out, const format::Lgpos& l) {
  PutU16(out, l.ib);
  PutU16(out, l.isec);
  PutU32(out, static_cast<std::uint32_t>(l.generation));
}

// A bounds-checked cursor over a payload; every Get fails once past the end.
class Reader {
 public:
  explicit Reader(std::span<const std::uint8_t> bytes) : bytes_(bytes) {}
  bool U8(std::uint8_t* v) {
    if (!Has(1)) return false;
    *v = bytes_[pos_++];
    return true;
  }
  bool U16(std::uint16_t* v) {
    if (!Has(2)) return false;
    *v = LoadU16(bytes_.data() + pos_);
    pos_ += 2;
    return true;
  }
  bool U32(std::uint32_t* v) {
    if (!Has(4)) return false;
    *v = LoadU32(bytes_.data() + pos_);
    pos_ += 4;
    return true;
  }
  bool U64(std::uint64_t* v) {
    if (!Has(8)) return false;
    *v = LoadU64(bytes_.data() + pos_);
    pos_ += 8;
    return true;
  }
  bool Bytes(std::size_t n, std::span<const std::uint8_t>* v) {
    if (!Has(n)) return false;
    *v = bytes_.subspan(pos_, n);
    pos_ += n;
    return true;
  }
  bool Lgpos(format::Lgpos* l) {
    std::uint32_t gen = 0;
    if (!U16(&l->ib) || !U16(&l->isec) || !U32(&gen)) return false;
    l->generation = static_cast<std::int32_t>(gen);
    return true;
  }
  bool AtEnd() const { return pos_ == bytes_.size(); }
  std::size_t remaining() const { return bytes_.size() - pos_; }

 private:
  bool Has(std::size_t n) const { return n <= bytes_.size() - pos_; }
  std::span<const std::uint8_t> bytes_;
  std::size_t pos_ = 0;
};

constexpr JET_ERR kCorrupt = JET_errLogFileCorrupt;

}  // namespace

bool IsForeignRecordType(std::uint8_t type) { return type == kLrFullBackup; }

void EncodeTxnRecord(const TxnRecord& r, std::vector<std::uint8_t>* out) { PutU64(out, r.txn); }

JET_ERR DecodeTxnRecord(std::span<const std::uint8_t> payload, TxnRecord* out) {
  Reader in(payload);
  if (!in.U64(&out->txn) || !in.AtEnd()) return kCorrupt;
  return JET_errSuccess;
}

void EncodeAttachRecord(const AttachRecord& r, std::vector<std::uint8_t>* out) {
  PutU32(out, r.dbid);
  PutU32(out, r.page_size);
  std::uint8_t sign[format::kSignatureSize];
  format::StoreSignature(sign, r.sign_db);
  PutBytes(out, sign);
  PutLgpos(out, r.lgpos_consistent);
  PutU16(out, static_cast<std::uint16_t>(r.path.size()));
  PutBytes(out, std::span(reinterpret_cast<const std::uint8_t*>(r.path.data()), r.path.size()));
}

JET_ERR DecodeAttachRecord(std::span<const std::uint8_t> payload, AttachRecord* out) {
  Reader in(payload);
  std::span<const std::uint8_t> sign;
  std::span<const std::uint8_t> path;
  std::uint16_t cb_path = 0;
  if (!in.U32(&out->dbid) || !in.U32(&out->page_size) || !in.Bytes(format::kSignatureSize, &sign) ||
      !in.Lgpos(&out->lgpos_consistent) || !in.U16(&cb_path) || !in.Bytes(cb_path, &path) || !in.AtEnd()) {
    return kCorrupt;
  }
  out->sign_db = format::LoadSignature(sign.data());
  out->path.assign(path.begin(), path.end());
  return JET_errSuccess;
}

void EncodeDetachRecord(const DetachRecord& r, std::vector<std::uint8_t>* out) { PutU32(out, r.dbid); }

JET_ERR DecodeDetachRecord(std::span<const std::uint8_t> payload, DetachRecord* out) {
  Reader in(payload);
  if (!in.U32(&out->dbid) || !in.AtEnd()) return kCorrupt;
  return JET_errSuccess;
}

void EncodeNodeOp(const NodeOp& op, std::vector<std::uint8_t>* out) {
  PutU8(out, static_cast<std::uint8_t>(op.kind));
  PutU16(out, op.index);
  PutU16(out, static_cast<std::uint16_t>(op.node.size()));
  PutBytes(out, op.node);
}

JET_ERR DecodeNodeOps(std::span<const std::uint8_t> bytes, std::vector<NodeOp>* out) {
  Reader in(bytes);
  out->clear();
  while (!in.AtEnd()) {
    std::uint8_t kind = 0;
    std::uint16_t cb = 0;
    NodeOp op;
    if (!in.U8(&kind) || !in.U16(&op.index) || !in.U16(&cb) || !in.Bytes(cb, &op.node)) return kCorrupt;
    if (kind < 1 || kind > 3) return kCorrupt;
    op.kind = static_cast<NodeOpKind>(kind);
    out->push_back(op);
  }
  return JET_errSuccess;
}

void EncodeOperationRecord(const OperationRecord& r, std::vector<std::uint8_t>* out) {
  PutU64(out, r.txn);
  PutU32(out, r.dbid);
  PutU8(out, static_cast<std::uint8_t>(r.op));
  PutU32(out, r.objid);
  PutU16(out, static_cast<std::uint16_t>(r.key.size()));
  PutBytes(out, r.key);
  PutU8(out, r.before_present ? 1 : 0);
  PutU32(out, static_cast<std::uint32_t>(r.before.size()));
  PutBytes(out, r.before);
  PutU16(out, static_cast<std::uint16_t>(r.effects.size()));
  for (const PageEffect& e : r.effects) {
    PutU32(out, e.pgno);
    PutU64(out, e.dbtime_before);
    PutU64(out, e.dbtime_after);
    PutU8(out, static_cast<std::uint8_t>(e.kind));
    PutU32(out, static_cast<std::uint32_t>(e.bytes.size()));
    PutBytes(out, e.bytes);
  }
}

JET_ERR DecodeOperationRecord(std::span<const std::uint8_t> payload, OperationRecord* out) {
  Reader in(payload);
  std::uint8_t op = 0;
  std::uint16_t cb_key = 0;
  std::uint8_t before_present = 0;
  std::uint32_t cb_before = 0;
  std::uint16_t ceffects = 0;
  if (!in.U64(&out->txn) || !in.U32(&out->dbid) || !in.U8(&op) || !in.U32(&out->objid) || !in.U16(&cb_key) ||
      !in.Bytes(cb_key, &out->key) || !in.U8(&before_present) || !in.U32(&cb_before) ||
      !in.Bytes(cb_before, &out->before) || !in.U16(&ceffects)) {
    return kCorrupt;
  }
  if (op < 1 || op > 7 || before_present > 1 || cb_key > JET_cbKeyMost) return kCorrupt;
  out->op = static_cast<OpKind>(op);
  out->before_present = before_present == 1;
  // Each effect takes at least 25 bytes: reject counts the payload cannot hold before
  // reserving anything.
  if (std::size_t{ceffects} * 25 > in.remaining()) return kCorrupt;
  out->effects.clear();
  out->effects.reserve(ceffects);
  for (std::uint16_t i = 0; i < ceffects; ++i) {
    PageEffect e;
    std::uint8_t kind = 0;
    std::uint32_t cb = 0;
    if (!in.U32(&e.pgno) || !in.U64(&e.dbtime_before) || !in.U64(&e.dbtime_after) || !in.U8(&kind) || !in.U32(&cb) ||
        !in.Bytes(cb, &e.bytes)) {
      return kCorrupt;
    }
    if (kind < 1 || kind > 2 || e.pgno == 0 || e.dbtime_after <= e.dbtime_before) return kCorrupt;
    e.kind = static_cast<EffectKind>(kind);
    out->effects.push_back(e);
  }
  if (!in.AtEnd()) return kCorrupt;
  return JET_errSuccess;
}

}  // namespace jet::db

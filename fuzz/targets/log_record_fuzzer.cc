// log_record_fuzzer — the payload decoders of the database's log records
// (db/log_records.h): transaction, attach, detach and operation records, and the node
// operations carried inside an operation's page effects.
//
// The input is one record payload; every decoder is tried on it (a reader dispatches
// on the type byte, but a corrupt log can pair any type with any payload). The
// encodings are unique, so each decoder must either reject the payload with a known
// JET_err or accept it and re-encode it to exactly the same bytes. Accepted operation
// records are checked one level deeper: each node-ops effect must decode and re-encode
// exactly too, or be rejected cleanly.
#include <cstdint>
#include <vector>

#include "db/log_records.h"
#include "fuzz_check.h"

namespace {

namespace db = jet::db;
using jetfault::fuzz::Bytes;
using jetfault::fuzz::CheckReencodesExactly;

void CheckNodeOps(Bytes bytes) {
  std::vector<db::NodeOp> ops;
  const JET_ERR err = db::DecodeNodeOps(bytes, &ops);
  if (err != JET_errSuccess) {
    jetfault::fuzz::CheckIsKnownError(err);
    return;
  }
  std::vector<std::uint8_t> encoded;
  for (const db::NodeOp& op : ops) db::EncodeNodeOp(op, &encoded);
  FUZZ_CHECK(encoded.size() == bytes.size() && std::equal(encoded.begin(), encoded.end(), bytes.begin()));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Bytes payload(data, size);
  CheckReencodesExactly<db::TxnRecord>(payload, db::DecodeTxnRecord, db::EncodeTxnRecord);
  CheckReencodesExactly<db::AttachRecord>(payload, db::DecodeAttachRecord, db::EncodeAttachRecord);
  CheckReencodesExactly<db::DetachRecord>(payload, db::DecodeDetachRecord, db::EncodeDetachRecord);
  CheckNodeOps(payload);
  const auto operation = CheckReencodesExactly<db::OperationRecord>(payload, db::DecodeOperationRecord,
                                                                    db::EncodeOperationRecord);
  if (operation) {
    FUZZ_CHECK(operation->key.size() <= JET_cbKeyMost);
    for (const db::PageEffect& effect : operation->effects) {
      FUZZ_CHECK(effect.pgno != 0 && effect.dbtime_before < effect.dbtime_after);
      if (effect.kind == db::EffectKind::kNodeOps) CheckNodeOps(effect.bytes);
    }
  }
  return 0;
}

// db/log_records.h — what the database engine writes into the log: record types and
// their payloads. Pure encode/decode (fuzz targets call the decoders directly); every
// decoder is bounds-checked and returns JET_errLogFileCorrupt on malformed bytes.
//
// One kOperation record carries one logical operation: the transaction, the logical
// undo information (table, key, before-image) and every page effect of the change, so a
// B-tree split is replayed all or nothing (ARCHITECTURE rule 2). Layouts are in
// docs/formats/database.md ("Log records").
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "format/lgpos.h"
#include "format/signature.h"
#include "jet/jet.h"

namespace jet::db {

// Record types (the LRTYP byte). ESE's numbers where ESE has the record.
enum RecordType : std::uint8_t {
  kLrInit = 1,           // instance started (payload empty)
  kLrTerm = 2,           // clean shutdown (payload empty)
  kLrBegin = 8,          // TxnRecord
  kLrCommit = 9,         // TxnRecord
  kLrRollback = 10,      // TxnRecord: every change of the transaction has been compensated
  kLrAttach = 15,        // AttachRecord
  kLrDetach = 16,        // DetachRecord
  kLrRecoveryUndo = 17,  // recovery begins undo (payload empty)
  kLrRecoveryQuit = 18,  // recovery finished (payload empty)
  kLrFullBackup = 19,    // written by backup/; ignored by recovery
  kLrCreateDb = 40,      // AttachRecord of a database created here
  kLrOperation = 41,     // OperationRecord
};

// True for types written by other subsystems that redo skips (backup marks).
bool IsForeignRecordType(std::uint8_t type);

struct TxnRecord {
  std::uint64_t txn = 0;
};

struct AttachRecord {
  std::uint32_t dbid = 0;
  std::string path;
  format::Signature sign_db;
  format::Lgpos lgpos_consistent;  // the header's value when attached (zero if dirty)
  std::uint32_t page_size = 0;
};

struct DetachRecord {
  std::uint32_t dbid = 0;
};

enum class OpKind : std::uint8_t {
  kInsert = 1,
  kReplace = 2,
  kDelete = 3,
  kCreateTable = 4,    // catalog insert + new root outside a transaction: older logs only (tables
                       // are now created by a transactional kInsert into the catalog, objid 1)
  kCompensate = 5,     // undo: sets a key back to a before-image
  kLongValuePage = 6,  // a long-value page written ahead of the record that links it
  kCreateDb = 7,       // the catalog root of a new database
};

// A node-level change inside one page (format/page.h primitives).
enum class NodeOpKind : std::uint8_t { kInsert = 1, kReplace = 2, kDelete = 3 };

struct NodeOp {
  NodeOpKind kind = NodeOpKind::kInsert;
  std::uint16_t index = 0;
  std::span<const std::uint8_t> node;  // empty for kDelete
};

enum class EffectKind : std::uint8_t { kImage = 1, kNodeOps = 2 };

// One page's change: redo applies it when page.dbtime < dbtime_after, and requires
// page.dbtime == dbtime_before then (images also apply over an unreadable page).
struct PageEffect {
  std::uint32_t pgno = 0;
  std::uint64_t dbtime_before = 0;
  std::uint64_t dbtime_after = 0;
  EffectKind kind = EffectKind::kImage;
  std::span<const std::uint8_t> bytes;  // the page image, or encoded node ops
};

// A decoded operation record; spans point into the payload it was decoded from.
struct OperationRecord {
  std::uint64_t txn = 0;  // 0: not part of a transaction
  std::uint32_t dbid = 0;
  OpKind op = OpKind::kInsert;
  std::uint32_t objid = 0;
  std::span<const std::uint8_t> key;
  bool before_present = false;           // the key existed before (undo info)
  std::span<const std::uint8_t> before;  // its node value (see btree.h) when present
  std::vector<PageEffect> effects;
};

// ---- encoders (append to out) ----
void EncodeTxnRecord(const TxnRecord& r, std::vector<std::uint8_t>* out);
void EncodeAttachRecord(const AttachRecord& r, std::vector<std::uint8_t>* out);
void EncodeDetachRecord(const DetachRecord& r, std::vector<std::uint8_t>* out);
void EncodeOperationRecord(const OperationRecord& r, std::vector<std::uint8_t>* out);
void EncodeNodeOp(const NodeOp& op, std::vector<std::uint8_t>* out);

// ---- decoders ----
JET_ERR DecodeTxnRecord(std::span<const std::uint8_t> payload, TxnRecord* out);
JET_ERR DecodeAttachRecord(std::span<const std::uint8_t> payload, AttachRecord* out);
JET_ERR DecodeDetachRecord(std::span<const std::uint8_t> payload, DetachRecord* out);
JET_ERR DecodeOperationRecord(std::span<const std::uint8_t> payload, OperationRecord* out);
// Splits encoded node ops (PageEffect::bytes of a kNodeOps effect).
JET_ERR DecodeNodeOps(std::span<const std::uint8_t> bytes, std::vector<NodeOp>* out);

}  // namespace jet::db

// core/record_ops.h — record-level changes on a locked, running instance, shared by
// the public API (live transactions) and recovery (undo of unfinished transactions).
//
// Every change is one kLrOperation record: the transaction, the record's before-image
// (logical undo information) and the page effects of the B-tree change.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/instance_state.h"
#include "db/catalog.h"
#include "db/log_records.h"
#include "db/mini_txn.h"

namespace jet::core {

using State = InstanceRuntime::State;

// Appends one record (any type) through the instance's log writer. Without logging
// (JET_paramRecovery "off") nothing is written and *lgpos is zero.
JET_ERR AppendRecord(State& st, std::uint8_t type, std::span<const std::uint8_t> payload, log::Lgpos* lgpos);
// Makes the log durable up to lgpos / entirely (no-ops without logging).
JET_ERR FlushLogTo(State& st, log::Lgpos lgpos);
JET_ERR FlushLog(State& st);
// The log lineage databases are attached to (zero without logging).
format::Signature LogSignature(const State& st);
// Seals mtr into rec.effects, appends rec, then commits mtr at the record's position
// (or aborts it, leaving the cache as before, when the append fails).
JET_ERR LogOperation(State& st, db::MiniTxn& mtr, db::OperationRecord& rec, log::Lgpos* lgpos = nullptr);

// The catalog entry of a table as a record of the catalog tree (objid 1).
inline RecordId CatalogRecordId(std::uint32_t dbid, const std::string& name) {
  return RecordId{dbid, db::kCatalogObjid, name};
}

// Root pgno of the table objid in adb (catalog lookup, cached; the catalog itself is
// objid 1). JET_errObjectNotFound when no catalog entry has the objid.
JET_ERR TableRoot(AttachedDb& adb, std::uint32_t objid, std::uint32_t* root);

// The stored form of a value: inline, or a long value written (and logged) first.
JET_ERR MakeStoredValue(State& st, AttachedDb& adb, std::uint32_t objid, std::span<const std::uint8_t> value,
                        std::vector<std::uint8_t>* stored);
// Size of the value behind a stored value, and its first out.size() bytes.
JET_ERR StoredValueSize(std::span<const std::uint8_t> stored, std::uint32_t* size);
JET_ERR ReadStoredValue(db::Database& db, std::uint32_t objid, std::span<const std::uint8_t> stored,
                        std::span<std::uint8_t> out);

// Sets record id to `stored` (nullopt: removes it), logging op with txn and the
// before-image. The caller has checked existence rules (insert/replace/delete).
JET_ERR ChangeRecord(State& st, AttachedDb& adb, const RecordId& id, db::OpKind op, std::uint64_t txn,
                     const BeforeImage& before, std::optional<std::span<const std::uint8_t>> stored);

// Sets record id back to a before-image (idempotent), logged as kCompensate. Removing a
// catalog entry drops its table: the objid leaves the root cache and every cursor on
// it is closed. A record of a table whose creation was already undone (recovery undoes
// in log order) needs nothing: the table is gone.
JET_ERR Compensate(State& st, AttachedDb& adb, std::uint64_t txn, const RecordId& id, const BeforeImage& before);

// The current stored value of a record in the tree (ignoring the version store).
JET_ERR ReadRecord(AttachedDb& adb, const RecordId& id, BeforeImage* current);

}  // namespace jet::core

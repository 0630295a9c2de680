// core/transactions.h — begin/commit/rollback of a session's transaction and the
// version-store-aware record reads and writes built on core/record_ops.h.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "core/instance_state.h"
#include "core/record_ops.h"

namespace jet::core {

inline constexpr int kTransactionLevelMost = 7;

JET_ERR BeginTransaction(State& st, Session& s);
JET_ERR CommitTransaction(State& st, Session& s, JET_GRBIT grbit);
JET_ERR RollbackTransaction(State& st, Session& s);
// Rolls back every level (JetEndSession, JetTerm).
JET_ERR AbandonTransaction(State& st, Session& s);

// Insert/replace/delete (op) of one record through the cursor's table, inside the
// session's transaction or an implicit one committed durably.
JET_ERR WriteRecord(State& st, Session& s, const Cursor& c, db::OpKind op, std::span<const std::uint8_t> key,
                    std::span<const std::uint8_t> value);
// Creates table `name` as a write of the session's transaction (or of an implicit one
// committed durably). The catalog entry is a record of the catalog tree (objid 1), so
// rollback and recovery undo remove the table like any record (core/record_ops.h).
// JET_errTableDuplicate when it exists, JET_errWriteConflict while another
// transaction's uncommitted table has the name.
JET_ERR CreateTable(State& st, Session& s, AttachedDb& adb, const std::string& name, db::TableInfo* info);
// False for a table another transaction created and has not committed yet.
bool TableVisible(const State& st, const Session& s, std::uint32_t dbid, const std::string& name);
// The record as this session sees it (its own writes, others' before-images), in
// place: *stored points into the version store or the page cache and stays valid
// until the next change or cache trim. *present false when it does not exist. *hint
// (may be null): where key may lie in the tree, kept up to date when the tree is read
// (db/btree.h LeafPosition).
JET_ERR VisibleStored(State& st, const Session& s, const Cursor& c, std::span<const std::uint8_t> key,
                      std::span<const std::uint8_t>* stored, bool* present, db::LeafPosition* hint = nullptr);
// The nearest visible key in a direction (inclusive of `key` when asked). *position
// (may be null) is in: where `key` may lie in the tree, out: where *out_key lies (none
// when it is only in the version store), so a cursor's next step starts from its leaf.
JET_ERR SeekVisible(State& st, Session& s, const Cursor& c, std::span<const std::uint8_t> key, bool forward,
                    bool inclusive, bool* found, std::string* out_key, db::LeafPosition* position = nullptr);

}  // namespace jet::core

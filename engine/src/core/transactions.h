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
// The record as this session sees it: its own writes, others' before-images.
JET_ERR VisibleRecord(State& st, Session& s, const Cursor& c, std::span<const std::uint8_t> key, BeforeImage* out);
// The nearest visible key in a direction (inclusive of `key` when asked).
JET_ERR SeekVisible(State& st, Session& s, const Cursor& c, std::span<const std::uint8_t> key, bool forward,
                    bool inclusive, bool* found, std::string* out_key);

}  // namespace jet::core

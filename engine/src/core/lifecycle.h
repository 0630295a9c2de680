// core/lifecycle.h — the life of a running instance, called with the instance mutex
// held: starting a fresh log, attaching/creating/detaching databases, checkpoints,
// clean and abrupt termination.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/instance_state.h"
#include "core/record_ops.h"

namespace jet::core {

// The attach list written into checkpoints and new log generation headers.
std::vector<log::AttachInfo> AttachList(const State& st);

// Creates the log writer (new generation `generation` of lineage sign_log) with the
// instance's callbacks (attach list, checkpoint on rollover) and logs kLrInit.
JET_ERR StartLog(InstanceRuntime& rt, const format::Signature& sign_log, std::int32_t generation, log::Lgpos prev_end,
                 const log::GenerationInfo* previous);

// Opens a database for the instance (WAL hook to the log writer).
JET_ERR AddDatabase(InstanceRuntime& rt, std::unique_ptr<db::DatabaseFile> file, const log::AttachInfo& info);
// JET_paramCacheSizeMax bounds the instance's page cache, not each database's: the
// attached databases share it evenly (at least one page each). Run on every attach
// and detach, redo's included; a smaller share is reached at the next Trim.
void ShareCache(InstanceRuntime& rt);
std::uint32_t NextDbid(const State& st);

JET_ERR CreateDatabase(InstanceRuntime& rt, const std::string& path, bool overwrite, std::uint32_t* dbid);
// Read-only: nothing is logged or written (the header stays as it is).
JET_ERR AttachDatabase(InstanceRuntime& rt, const std::string& path, bool read_only, std::uint32_t* dbid);
// Flushes the database, logs kLrDetach, marks its header clean and closes it (a
// read-only database is just closed).
JET_ERR DetachDatabase(InstanceRuntime& rt, std::uint32_t dbid);
// Writes every dirty page and header (dbstate DirtyShutdown, clean when `consistent`
// is non-zero) of one database.
JET_ERR FlushDatabase(State& st, AttachedDb& adb, const log::Lgpos* consistent);

// Flushes the log and every page, then writes edb.chk at the oldest position redo
// still needs (ARCHITECTURE rule 4); with circular logging deletes older generations.
JET_ERR DoCheckpoint(InstanceRuntime& rt);
// Runs a checkpoint requested by a log rollover, and trims the page caches; called at
// the end of every API call that changed something.
JET_ERR AfterChange(InstanceRuntime& rt);

// Rolls back the transaction down to the undo position `savepoint` (compensations).
JET_ERR UndoTo(State& st, Transaction& txn, std::size_t savepoint);
// Ends a level-0 transaction: releases its locks.
void ReleaseTransaction(State& st, Transaction& txn);

// JetTerm: rolls back open transactions, flushes, marks databases clean, logs Term,
// writes the checkpoint. JetTerm2(abrupt) / failed instances: drops everything.
JET_ERR ShutdownCleanLocked(InstanceRuntime& rt);
void ShutdownAbruptLocked(InstanceRuntime& rt);

// A new log signature (random part from the OS, time now).
format::Signature NewSignature();

}  // namespace jet::core

namespace jet::core {
struct RecoveryPlan;
// RunRecovery for a caller that already holds the instance mutex (JetInit).
JET_ERR RunRecoveryLocked(InstanceRuntime& runtime, const RecoveryPlan& plan);
// JetInit's work with the mutex held: builds the plan from edb.chk and the log path
// and recovers, or starts generation 1 of a new log when there is no log at all.
JET_ERR InitLocked(InstanceRuntime& runtime);
}  // namespace jet::core

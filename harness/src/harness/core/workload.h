// harness/core/workload.h — seeded workloads: what transactions to issue.
//
// A WorkloadSpec is a pure function of its WorkloadConfig (seed included). Each
// operation is already valid against the state the earlier transactions leave
// (inserts of absent keys, replaces and deletes of present ones), so a correct
// engine accepts every call and the executor needs no decisions of its own.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "harness/core/model.h"

namespace jetharness {

struct WorkloadConfig {
  std::uint64_t seed = 1;
  int databases = 1;
  int tables_per_database = 2;
  int transactions = 12;
  int max_ops_per_transaction = 4;
  int key_space = 24;  // distinct keys per table
  int max_value_bytes = 96;
  std::uint32_t lazy_per_million = 300'000;       // commits with JET_bitCommitLazyFlush
  std::uint32_t rollback_per_million = 100'000;   // transactions ended by JetRollback
  std::uint32_t long_value_per_million = 20'000;  // values larger than a page (long values)
  int long_value_bytes = 10'000;
  // Transactions left open until the end, each on its own session, touching keys no
  // other transaction touches after them (so they never conflict): what a crash finds
  // in flight. They begin after transaction `inflight_begin_after` (-1: half way), so
  // the later durable commits carry their log records to disk: recovery must undo them.
  int inflight_transactions = 0;
  int inflight_begin_after = -1;

  // ---- what reaches the rest of the engine (all off by default) ----
  // Keys padded with seeded bytes to this many bytes (0: short keys "k000"). Long keys
  // make few records fill a page, so a few hundred records build a B-tree of three
  // levels at 4 KiB pages (key_bytes <= JET_cbKeyMost).
  int key_bytes = 0;
  // A transaction that deletes a run of up to this many consecutive present keys of
  // one table: leaves emptied by deletes, in the workload and in redo.
  std::uint32_t range_delete_per_million = 0;
  int range_delete_keys = 24;
  // A transaction that inserts a run of up to range_delete_keys consecutive absent
  // keys of one table: fills the leaves in between, so they split where a right
  // neighbour exists (random single inserts rarely fill a preloaded leaf).
  std::uint32_t range_insert_per_million = 0;
  // JET_paramLVChunkSizeMost of the instance the workload runs on (0: unknown). When
  // set, long values are n chunks minus one byte, exactly n chunks (a chain that ends
  // at a page boundary) or n chunks plus one byte, n in 1..3.
  std::size_t long_value_chunk = 0;
  // A transaction gets a probe: another session's transaction that begins after some
  // of the owner's writes, reads each record the owner holds (it must see the
  // committed value), writes it (it must get JET_errWriteConflict), writes records
  // nobody holds, and ends before or after the owner. Interleaves two transactions'
  // log records.
  std::uint32_t probe_per_million = 0;
  // A transaction gets a savepoint: some of its writes run in a nested transaction
  // (JetBeginTransaction inside a transaction) that is rolled back (JetRollback undoes
  // the innermost level only) before the outer transaction goes on.
  std::uint32_t savepoint_per_million = 0;
  // Of those savepoints, how many end with JetCommitTransaction at the nested level
  // instead: the nested writes become the outer transaction's, kept or undone with it
  // and durable only with its commit (a crash before it must undo them). Zero draws
  // nothing from the seed, so workloads without it keep their streams.
  std::uint32_t savepoint_commit_per_million = 0;
  // Of the lazily committed transactions, how many are followed by
  // JetCommitTransaction(JET_bitWaitLastLevel0Commit), which must make every commit so
  // far durable (a crash after it returned may not lose them). Zero draws nothing.
  std::uint32_t flush_per_million = 0;
  // A transaction (or an in-flight one) that begins by creating a new table with
  // JetCreateTable, inserts into it and writes elsewhere as usual: the table is visible
  // to other sessions only once the transaction commits, is gone after a rollback or
  // recovery's undo, and later transactions leave it alone. Zero draws nothing.
  std::uint32_t create_table_per_million = 0;
  // Records inserted (in transactions of up to 100) before the workload, at setup:
  // the workload then starts on a B-tree that already has its depth, and recovery
  // replays only what the workload adds. Spread evenly over the key space.
  int preload_records = 0;
};

// The workload's size as the command line gives it (`jetfault run/replay/bench --txns
// 48 --keys 200 ...`): each field that is set replaces what a scenario's workload would
// otherwise have, for every workload the case generates. All unset: the scenarios'
// own sizes (the default campaign). Part of a case's identity (CaseId), so a failure's
// replay line carries it.
struct WorkloadSize {
  std::optional<std::uint32_t> transactions;  // --txns
  std::optional<std::uint32_t> keys;          // --keys: distinct keys per table
  std::optional<std::uint32_t> value_bytes;   // --value-bytes: largest short value
  std::optional<std::uint32_t> databases;     // --databases
  std::optional<std::uint32_t> sessions;      // --sessions: 1 + transactions left in flight
  std::optional<std::uint32_t> page_size;     // --page-size (InstanceSettings, not the spec)

  // One command-line flag: its name and which field it sets (the one definition of the
  // flags, for the CLI, replay lines and reports alike).
  struct Flag {
    const char* name;  // "--txns"
    const char* help;
    std::uint32_t min;  // smallest value the generator takes
    std::optional<std::uint32_t> WorkloadSize::*field;
  };
  static const std::vector<Flag>& Flags();

  bool empty() const;
  // " --txns 48 --keys 200" (a leading space per flag), "" when empty.
  std::string ToFlags() const;
  // Sets the flag named `name` ("--txns"); false when there is no such flag or the
  // value is below its minimum.
  bool Set(const std::string& name, std::uint64_t value);
  // Overrides config's fields with the set ones (page size aside).
  void ApplyTo(WorkloadConfig* config) const;
  bool operator==(const WorkloadSize&) const = default;
};

enum class OpKind : std::uint8_t { kInsert, kReplace, kDelete };

struct SpecOp {
  OpKind kind = OpKind::kInsert;
  std::string table;
  Bytes key;
  Bytes value;  // empty for kDelete
};

enum class TxnEnd : std::uint8_t { kCommitDurable, kCommitLazy, kRollback };

// Another session's transaction interleaved with a transaction of the main stream
// (see WorkloadConfig::probe_per_million).
struct ProbeSpec {
  std::size_t after_ops = 0;      // begins once the owner has issued this many ops
  std::vector<SpecOp> contested;  // records the owner holds: read, then written (a conflict)
  std::vector<SpecOp> ops;        // records nobody holds: must succeed
  TxnEnd end = TxnEnd::kCommitDurable;
  bool ends_before_owner = true;  // ends before the owner's remaining ops, else after its end
};

struct TxnSpec {
  std::vector<SpecOp> ops;
  TxnEnd end = TxnEnd::kCommitDurable;
  // ops [savepoint_begin, savepoint_end) run in a nested transaction that is rolled
  // back (none of them is visible afterwards) or, when savepoint_commits, committed
  // into the outer transaction. Empty range: no savepoint.
  std::size_t savepoint_begin = 0;
  std::size_t savepoint_end = 0;
  bool savepoint_commits = false;
  // After the transaction ends, JetCommitTransaction(JET_bitWaitLastLevel0Commit).
  bool flush_after = false;
  // Non-empty: the transaction's first call creates this table in database
  // created_table_db (its first ops insert into it; nothing else ever writes it).
  std::string created_table;
  int created_table_db = 0;
  std::optional<ProbeSpec> probe;
  bool has_savepoint() const { return savepoint_end > savepoint_begin; }
  // The ops the savepoint's rollback undoes: [undone_begin, undone_end), empty when
  // there is no savepoint or its nested level commits.
  std::size_t undone_begin() const { return savepoint_commits ? 0 : savepoint_begin; }
  std::size_t undone_end() const { return savepoint_commits ? 0 : savepoint_end; }
};

struct DatabaseSpec {
  std::string file_name;            // "db0.edb" (relative to the database directory)
  std::vector<std::string> tables;  // unique across the instance
};

struct WorkloadSpec {
  std::vector<DatabaseSpec> databases;
  std::vector<TxnSpec> preload;          // committed durably at setup (inserts only)
  std::vector<TxnSpec> transactions;     // issued in order on one session (probes on another)
  std::vector<TxnSpec> inflight;         // never ended (their `end` is ignored)
  std::size_t inflight_begin_after = 0;  // begun after this many of `transactions`
};

WorkloadSpec GenerateWorkload(const WorkloadConfig& config);

// The content the preload leaves: where every run of the workload starts.
DbState PreloadState(const WorkloadSpec& spec);

// Table names: database 0 has t0, t1, ...; database d > 0 has d<d>t0, d<d>t1, ...
// Tables the workload's transactions create are n<i> and d<d>n<i> (CreatedTableName).
std::string TableName(int database, int table);
std::string CreatedTableName(int database, int index);
// Whether name is of CreatedTableName's form (never a TableName).
bool IsCreatedTableName(std::string_view name);

const char* OpKindName(OpKind kind);
const char* TxnEndName(TxnEnd end);

}  // namespace jetharness

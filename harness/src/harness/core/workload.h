// harness/core/workload.h — seeded workloads: what transactions to issue.
//
// A WorkloadSpec is a pure function of its WorkloadConfig (seed included). Each
// operation is already valid against the state the earlier transactions leave
// (inserts of absent keys, replaces and deletes of present ones), so a correct
// engine accepts every call and the executor needs no decisions of its own.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "harness/core/model.h"

namespace jetharness {

struct WorkloadConfig {
  std::uint64_t seed = 1;
  int databases = 1;
  int tables_per_database = 2;
  int transactions = 12;
  int max_ops_per_transaction = 4;
  int key_space = 24;              // distinct keys per table
  int max_value_bytes = 96;
  std::uint32_t lazy_per_million = 300'000;      // commits with JET_bitCommitLazyFlush
  std::uint32_t rollback_per_million = 100'000;  // transactions ended by JetRollback
  std::uint32_t long_value_per_million = 20'000; // values larger than a page (long values)
  int long_value_bytes = 10'000;
  // Transactions left open until the end, each on its own session, touching keys no
  // other transaction touches after them (so they never conflict): what a crash finds
  // in flight. They begin after transaction `inflight_begin_after` (-1: half way), so
  // the later durable commits carry their log records to disk: recovery must undo them.
  int inflight_transactions = 0;
  int inflight_begin_after = -1;
};

enum class OpKind : std::uint8_t { kInsert, kReplace, kDelete };

struct SpecOp {
  OpKind kind = OpKind::kInsert;
  std::string table;
  Bytes key;
  Bytes value;  // empty for kDelete
};

enum class TxnEnd : std::uint8_t { kCommitDurable, kCommitLazy, kRollback };

struct TxnSpec {
  std::vector<SpecOp> ops;
  TxnEnd end = TxnEnd::kCommitDurable;
};

struct DatabaseSpec {
  std::string file_name;            // "db0.edb" (relative to the database directory)
  std::vector<std::string> tables;  // unique across the instance
};

struct WorkloadSpec {
  std::vector<DatabaseSpec> databases;
  std::vector<TxnSpec> transactions;  // issued in order on one session
  std::vector<TxnSpec> inflight;      // never ended (their `end` is ignored)
  std::size_t inflight_begin_after = 0;  // begun after this many of `transactions`
};

WorkloadSpec GenerateWorkload(const WorkloadConfig& config);

// Table names: database 0 has t0, t1, ...; database d > 0 has d<d>t0, d<d>t1, ...
std::string TableName(int database, int table);

const char* OpKindName(OpKind kind);
const char* TxnEndName(TxnEnd end);

}  // namespace jetharness

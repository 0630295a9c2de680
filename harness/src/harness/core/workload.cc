#include "harness/core/workload.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "faultfs/prng.h"

namespace jetharness {

std::string TableName(int database, int table) {
  return database == 0 ? fmt::format("t{}", table) : fmt::format("d{}t{}", database, table);
}

const char* OpKindName(OpKind kind) {
  switch (kind) {
    case OpKind::kInsert: return "insert";
    case OpKind::kReplace: return "replace";
    case OpKind::kDelete: return "delete";
  }
  return "?";
}

const char* TxnEndName(TxnEnd end) {
  switch (end) {
    case TxnEnd::kCommitDurable: return "commit";
    case TxnEnd::kCommitLazy: return "commit-lazy";
    case TxnEnd::kRollback: return "rollback";
  }
  return "?";
}

namespace {

Bytes RandomBytes(faultfs::SplitMix64& rng, std::size_t size) {
  Bytes out(size, '\0');
  for (char& c : out) c = static_cast<char>(rng.Uniform(256));
  return out;
}

// Keys are short printable strings with a binary tail now and then, so explanations
// stay readable while the engine still sees non-ASCII keys.
Bytes KeyFor(faultfs::SplitMix64& rng, int index) {
  Bytes key = fmt::format("k{:03}", index);
  if (index % 5 == 4) key.push_back(static_cast<char>(0x80 | rng.Uniform(128)));
  return key;
}

}  // namespace

WorkloadSpec GenerateWorkload(const WorkloadConfig& config) {
  faultfs::SplitMix64 rng(faultfs::SplitMix64::Mix(config.seed));
  WorkloadSpec spec;
  std::vector<std::string> all_tables;
  for (int d = 0; d < config.databases; ++d) {
    DatabaseSpec db;
    db.file_name = fmt::format("db{}.edb", d);
    for (int t = 0; t < config.tables_per_database; ++t) {
      db.tables.push_back(TableName(d, t));
      all_tables.push_back(db.tables.back());
    }
    spec.databases.push_back(std::move(db));
  }
  // The key universe per table is fixed up front (the binary tails are seeded).
  std::vector<Bytes> keys;
  for (int k = 0; k < config.key_space; ++k) keys.push_back(KeyFor(rng, k));

  std::map<std::string, std::set<Bytes>> present;  // committed state's keys
  // Keys already used by an in-flight transaction: another one touching them would
  // hit a write conflict, which is not what an in-flight transaction is for.
  std::set<std::pair<std::string, Bytes>> held;
  auto generate = [&](bool inflight) {
    TxnSpec txn;
    std::map<std::string, std::set<Bytes>> view = present;  // the transaction's own view
    std::set<std::pair<std::string, Bytes>> touched;         // one op per key per txn
    int ops = 1 + static_cast<int>(rng.Uniform(static_cast<std::uint64_t>(config.max_ops_per_transaction)));
    for (int o = 0; o < ops; ++o) {
      SpecOp op;
      op.table = all_tables[rng.Uniform(all_tables.size())];
      op.key = keys[rng.Uniform(keys.size())];
      if (held.count({op.table, op.key}) != 0 || !touched.insert({op.table, op.key}).second) continue;
      bool exists = view[op.table].count(op.key) != 0;
      if (!exists) {
        op.kind = OpKind::kInsert;
      } else {
        op.kind = rng.Chance(300'000) ? OpKind::kDelete : OpKind::kReplace;
      }
      if (op.kind != OpKind::kDelete) {
        std::size_t size = rng.Chance(config.long_value_per_million)
                               ? static_cast<std::size_t>(config.long_value_bytes)
                               : rng.Uniform(static_cast<std::uint64_t>(config.max_value_bytes) + 1);
        op.value = RandomBytes(rng, size);
        view[op.table].insert(op.key);
      } else {
        view[op.table].erase(op.key);
      }
      txn.ops.push_back(std::move(op));
    }
    if (inflight) {
      for (const SpecOp& op : txn.ops) held.insert({op.table, op.key});
    } else if (rng.Chance(config.rollback_per_million)) {
      txn.end = TxnEnd::kRollback;
    } else {
      txn.end = rng.Chance(config.lazy_per_million) ? TxnEnd::kCommitLazy : TxnEnd::kCommitDurable;
      present = std::move(view);
    }
    return txn;
  };
  int begin_after = config.inflight_begin_after < 0 ? config.transactions / 2
                                                    : std::min(config.inflight_begin_after, config.transactions);
  spec.inflight_begin_after = static_cast<std::size_t>(begin_after);
  for (int t = 0; t < begin_after; ++t) spec.transactions.push_back(generate(false));
  for (int t = 0; t < config.inflight_transactions; ++t) spec.inflight.push_back(generate(true));
  for (int t = begin_after; t < config.transactions; ++t) spec.transactions.push_back(generate(false));
  return spec;
}

}  // namespace jetharness

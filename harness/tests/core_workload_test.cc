// The workload generator: deterministic in its seed, and valid by construction.
#include <gtest/gtest.h>

#include <map>
#include <set>

#include "harness/core/workload.h"

namespace jetharness {
namespace {

TEST(Workload, SameSeedSameWorkloadOtherSeedOtherWorkload) {
  WorkloadConfig config;
  config.seed = 42;
  config.inflight_transactions = 2;
  WorkloadSpec a = GenerateWorkload(config);
  WorkloadSpec b = GenerateWorkload(config);
  ASSERT_EQ(a.transactions.size(), b.transactions.size());
  for (std::size_t i = 0; i < a.transactions.size(); ++i) {
    ASSERT_EQ(a.transactions[i].ops.size(), b.transactions[i].ops.size());
    for (std::size_t j = 0; j < a.transactions[i].ops.size(); ++j) {
      EXPECT_EQ(a.transactions[i].ops[j].key, b.transactions[i].ops[j].key);
      EXPECT_EQ(a.transactions[i].ops[j].value, b.transactions[i].ops[j].value);
    }
  }
  config.seed = 43;
  WorkloadSpec c = GenerateWorkload(config);
  bool differs = false;
  for (std::size_t i = 0; i < std::min(a.transactions.size(), c.transactions.size()) && !differs; ++i) {
    differs = a.transactions[i].ops.size() != c.transactions[i].ops.size() ||
              a.transactions[i].ops[0].value != c.transactions[i].ops[0].value;
  }
  EXPECT_TRUE(differs);
}

// How often a transaction wrote a record it had already written (CheckValid's count).
struct Rewrites {
  std::size_t in_transaction = 0;  // outside a savepoint's nested part
  std::size_t in_savepoint = 0;    // a nested part writing a record the part before it wrote
};

// Replays the spec against a set of present keys: inserts must hit absent keys,
// replaces and deletes present ones; in-flight transactions touch disjoint keys; a
// rolled-back savepoint's writes leave no trace, a committed one's join the outer
// transaction, and no write after its nested part touches a record the nested part wrote; a probe's contested records
// are the owner's and its own writes touch records nobody else holds.
Rewrites CheckValid(const WorkloadConfig& config) {
  Rewrites rewrites;
  const std::uint64_t seed = config.seed;
  WorkloadSpec spec = GenerateWorkload(config);
  using Present = std::map<std::string, std::set<Bytes>>;
  Present present;
  auto apply = [&](const std::vector<SpecOp>& ops, Present view, std::size_t skip_begin, std::size_t skip_end) {
    for (std::size_t i = 0; i < ops.size(); ++i) {
      const SpecOp& op = ops[i];
      if (i == skip_begin && skip_end > skip_begin) {
        // The nested part is checked against a copy that its rollback discards.
        Present nested = view;
        for (; i < skip_end; ++i) {
          bool exists = nested[ops[i].table].count(ops[i].key) != 0;
          EXPECT_EQ(exists, ops[i].kind != OpKind::kInsert) << "seed " << seed;
          if (ops[i].kind == OpKind::kDelete) nested[ops[i].table].erase(ops[i].key);
          else nested[ops[i].table].insert(ops[i].key);
        }
        --i;
        continue;
      }
      bool exists = view[op.table].count(op.key) != 0;
      EXPECT_EQ(exists, op.kind != OpKind::kInsert) << "seed " << seed;
      if (op.kind == OpKind::kDelete) view[op.table].erase(op.key);
      else view[op.table].insert(op.key);
    }
    return view;
  };
  std::set<std::pair<std::string, Bytes>> held;
  for (std::size_t i = 0; i <= spec.transactions.size(); ++i) {
    if (i == spec.inflight_begin_after) {
      for (const TxnSpec& txn : spec.inflight) {
        apply(txn.ops, present, 0, 0);
        std::set<std::pair<std::string, Bytes>> mine;
        for (const SpecOp& op : txn.ops) {
          if (mine.insert({op.table, op.key}).second) {
            EXPECT_TRUE(held.insert({op.table, op.key}).second) << "seed " << seed;
          } else {
            ++rewrites.in_transaction;
          }
        }
      }
    }
    if (i == spec.transactions.size()) break;
    const TxnSpec& txn = spec.transactions[i];
    std::set<std::pair<std::string, Bytes>> owner, nested;
    for (std::size_t j = 0; j < txn.ops.size(); ++j) {
      const SpecOp& op = txn.ops[j];
      // Nothing touches a key an open transaction holds (that would be a write conflict).
      EXPECT_EQ(held.count({op.table, op.key}), 0u) << "seed " << seed;
      const bool in_nested = txn.has_savepoint() && j >= txn.savepoint_begin && j < txn.savepoint_end;
      if (txn.has_savepoint() && j >= txn.savepoint_end) {
        EXPECT_EQ(nested.count({op.table, op.key}), 0u) << "a write after the savepoint's rollback to a record its "
                                                           "nested part wrote, seed "
                                                        << seed;
      }
      if (in_nested) nested.insert({op.table, op.key});
      if (!owner.insert({op.table, op.key}).second) ++(in_nested ? rewrites.in_savepoint : rewrites.in_transaction);
    }
    apply(txn.ops, present, txn.undone_begin(), txn.undone_end());
    if (txn.probe) {
      const ProbeSpec& probe = *txn.probe;
      EXPECT_FALSE(txn.has_savepoint());
      EXPECT_LE(probe.after_ops, txn.ops.size());
      if (probe.after_ops > txn.ops.size()) return rewrites;
      // Every record the owner wrote before the probe may be contested; at least one is.
      EXPECT_TRUE(!probe.contested.empty() || probe.after_ops == 0) << "seed " << seed;
      for (const SpecOp& op : probe.contested) {
        bool owned_before = false;
        for (std::size_t j = 0; j < probe.after_ops; ++j) {
          owned_before = owned_before || (txn.ops[j].table == op.table && txn.ops[j].key == op.key);
        }
        EXPECT_TRUE(owned_before) << "a contested record is one the owner wrote before the probe, seed " << seed;
      }
      for (const SpecOp& op : probe.ops) {
        EXPECT_EQ(owner.count({op.table, op.key}), 0u) << "seed " << seed;
        EXPECT_EQ(held.count({op.table, op.key}), 0u) << "seed " << seed;
      }
      apply(probe.ops, present, 0, 0);
      // Disjoint records: the committed state is the union of what each commit changed.
      if (probe.end != TxnEnd::kRollback) {
        for (const SpecOp& op : probe.ops) {
          if (op.kind == OpKind::kDelete) present[op.table].erase(op.key);
          else present[op.table].insert(op.key);
        }
      }
    }
    if (txn.end != TxnEnd::kRollback) {
      for (std::size_t j = 0; j < txn.ops.size(); ++j) {
        if (j >= txn.undone_begin() && j < txn.undone_end()) continue;
        const SpecOp& op = txn.ops[j];
        if (op.kind == OpKind::kDelete) present[op.table].erase(op.key);
        else present[op.table].insert(op.key);
      }
    }
  }
  return rewrites;
}

TEST(Workload, OperationsAreValidAgainstTheCommittedState) {
  for (std::uint64_t seed = 1; seed <= 50; ++seed) {
    WorkloadConfig config;
    config.seed = seed;
    config.databases = 2;
    config.transactions = 30;
    config.inflight_transactions = 3;
    WorkloadSpec spec = GenerateWorkload(config);
    ASSERT_EQ(spec.databases.size(), 2u);
    EXPECT_EQ(spec.databases[1].tables[0], "d1t0");
    EXPECT_EQ(spec.inflight_begin_after, 15u);
    CheckValid(config);
  }
}

// Every feature on at once, many seeds: probes, savepoints, runs of deletes, long keys.
TEST(Workload, ProbesSavepointsAndRangeDeletesAreValid) {
  std::size_t probes = 0, savepoints = 0, committed_savepoints = 0, undone_with_outer = 0, range_deletes = 0;
  Rewrites rewrites;
  for (std::uint64_t seed = 1; seed <= 60; ++seed) {
    WorkloadConfig config;
    config.seed = seed;
    config.databases = 2;
    config.transactions = 25;
    config.max_ops_per_transaction = 8;
    config.key_space = 30;
    config.inflight_transactions = 2;
    config.probe_per_million = 300'000;
    config.savepoint_per_million = 300'000;
    config.savepoint_commit_per_million = 500'000;
    config.range_delete_per_million = 150'000;
    config.range_delete_keys = 6;
    config.key_bytes = seed % 2 == 0 ? 200 : 0;
    const Rewrites seen = CheckValid(config);
    rewrites.in_transaction += seen.in_transaction;
    rewrites.in_savepoint += seen.in_savepoint;
    for (const TxnSpec& txn : GenerateWorkload(config).transactions) {
      probes += txn.probe ? 1 : 0;
      savepoints += txn.has_savepoint() ? 1 : 0;
      committed_savepoints += txn.has_savepoint() && txn.savepoint_commits ? 1 : 0;
      // A committed savepoint's writes are all kept: its undone range is empty.
      if (txn.savepoint_commits) {
        EXPECT_EQ(txn.undone_begin(), txn.undone_end());
        undone_with_outer += txn.end == TxnEnd::kRollback ? 1 : 0;
      }
      bool all_deletes = txn.ops.size() > 1;
      for (const SpecOp& op : txn.ops) all_deletes = all_deletes && op.kind == OpKind::kDelete;
      range_deletes += all_deletes ? 1 : 0;
      if (config.key_bytes > 0) {
        for (const SpecOp& op : txn.ops) EXPECT_EQ(op.key.size(), 200u);
      }
    }
  }
  // The features really occur (a generator that never draws them would pass the above).
  EXPECT_GT(probes, 50u);
  EXPECT_GT(savepoints, 50u);
  EXPECT_GT(committed_savepoints, 20u);
  EXPECT_LT(committed_savepoints, savepoints);  // and rolled-back ones too
  // Committed nested writes that the outer transaction's rollback must undo.
  EXPECT_GT(undone_with_outer, 10u);
  EXPECT_GT(range_deletes, 20u);
  // Records written twice in one transaction, and inside a savepoint after the part
  // before it (what undo must get right per write, not per transaction).
  EXPECT_GT(rewrites.in_transaction, 50u);
  EXPECT_GT(rewrites.in_savepoint, 20u);
}

// Flushes (JET_bitWaitLastLevel0Commit) follow lazily committed transactions (the
// owner's commit or its probe's), every one of them when asked always, none when not.
TEST(Workload, FlushesFollowLazyCommitsOnly) {
  std::size_t flushes = 0;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    WorkloadConfig config;
    config.seed = seed;
    config.transactions = 20;
    config.probe_per_million = 300'000;
    for (const TxnSpec& txn : GenerateWorkload(config).transactions) EXPECT_FALSE(txn.flush_after);
    config.flush_per_million = 1'000'000;
    for (const TxnSpec& txn : GenerateWorkload(config).transactions) {
      const bool lazy = txn.end == TxnEnd::kCommitLazy || (txn.probe && txn.probe->end == TxnEnd::kCommitLazy);
      EXPECT_EQ(txn.flush_after, lazy) << "seed " << seed;
      flushes += txn.flush_after ? 1 : 0;
    }
  }
  EXPECT_GT(flushes, 50u);
}

// Transactions that create a table: each creates a table of its own (a name no other
// transaction and no spec table has), inserts into it first (distinct keys), and no
// other transaction writes it; in-flight transactions may create one too.
TEST(Workload, CreatedTablesAreFreshAndWrittenOnlyByTheirCreator) {
  std::size_t created = 0, inflight_created = 0;
  for (std::uint64_t seed = 1; seed <= 40; ++seed) {
    WorkloadConfig config;
    config.seed = seed;
    config.databases = 2;
    config.transactions = 20;
    config.inflight_transactions = 2;
    config.create_table_per_million = 300'000;
    const WorkloadSpec spec = GenerateWorkload(config);
    std::set<std::string> names;
    for (const DatabaseSpec& db : spec.databases) {
      for (const std::string& t : db.tables) EXPECT_FALSE(IsCreatedTableName(t)) << t;
    }
    std::vector<const TxnSpec*> all;
    for (const TxnSpec& txn : spec.transactions) all.push_back(&txn);
    for (const TxnSpec& txn : spec.inflight) all.push_back(&txn);
    for (const TxnSpec* txn : all) {
      if (txn->created_table.empty()) continue;
      EXPECT_TRUE(IsCreatedTableName(txn->created_table)) << txn->created_table;
      EXPECT_TRUE(names.insert(txn->created_table).second) << "seed " << seed << ": " << txn->created_table;
      EXPECT_GE(txn->created_table_db, 0);
      EXPECT_LT(txn->created_table_db, config.databases);
      ASSERT_FALSE(txn->ops.empty());
      EXPECT_EQ(txn->ops.front().table, txn->created_table);
      std::set<Bytes> keys;
      for (const SpecOp& op : txn->ops) {
        if (op.table != txn->created_table) continue;
        EXPECT_EQ(op.kind, OpKind::kInsert);
        EXPECT_TRUE(keys.insert(op.key).second);
      }
      created += 1;
    }
    for (const TxnSpec* txn : all) {
      for (const SpecOp& op : txn->ops) {
        if (IsCreatedTableName(op.table)) {
          EXPECT_EQ(op.table, txn->created_table) << "seed " << seed;
        }
      }
    }
    for (const TxnSpec& txn : spec.inflight) inflight_created += txn.created_table.empty() ? 0 : 1;
  }
  EXPECT_GT(created, 100u);
  EXPECT_GT(inflight_created, 5u);
  EXPECT_TRUE(IsCreatedTableName("n0"));
  EXPECT_TRUE(IsCreatedTableName("d1n12"));
  EXPECT_FALSE(IsCreatedTableName("t0"));
  EXPECT_FALSE(IsCreatedTableName("d1t0"));
  EXPECT_FALSE(IsCreatedTableName("n"));
  EXPECT_FALSE(IsCreatedTableName("d1n"));
}

// With the chunk size known, long values straddle page boundaries: n chunks - 1, n
// chunks exactly, n chunks + 1.
TEST(Workload, LongValuesStraddleChunkBoundaries) {
  WorkloadConfig config;
  config.seed = 5;
  config.transactions = 200;
  config.long_value_per_million = 500'000;
  config.long_value_chunk = 4000;
  std::set<long> offsets;
  for (const TxnSpec& txn : GenerateWorkload(config).transactions) {
    for (const SpecOp& op : txn.ops) {
      if (op.value.size() < 1000) continue;
      long n = static_cast<long>((op.value.size() + 1) / 4000);
      EXPECT_GE(n, 1);
      EXPECT_LE(n, 3);
      offsets.insert(static_cast<long>(op.value.size()) - n * 4000);
    }
  }
  EXPECT_EQ(offsets, (std::set<long>{-1, 0, 1}));
}

}  // namespace
}  // namespace jetharness

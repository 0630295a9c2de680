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

// Replays the spec against a set of present keys: inserts must hit absent keys,
// replaces and deletes present ones; in-flight transactions touch disjoint keys.
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
    std::map<std::string, std::set<Bytes>> present;
    auto apply = [&](const TxnSpec& txn, bool commit) {
      auto view = present;
      for (const SpecOp& op : txn.ops) {
        bool exists = view[op.table].count(op.key) != 0;
        EXPECT_EQ(exists, op.kind != OpKind::kInsert) << "seed " << seed;
        if (op.kind == OpKind::kDelete) {
          view[op.table].erase(op.key);
        } else {
          view[op.table].insert(op.key);
        }
      }
      if (commit) present = view;
    };
    EXPECT_EQ(spec.inflight_begin_after, 15u);
    std::set<std::pair<std::string, Bytes>> held;
    for (std::size_t i = 0; i <= spec.transactions.size(); ++i) {
      if (i == spec.inflight_begin_after) {
        for (const TxnSpec& txn : spec.inflight) {
          apply(txn, false);
          for (const SpecOp& op : txn.ops) EXPECT_TRUE(held.insert({op.table, op.key}).second) << "seed " << seed;
        }
      }
      if (i == spec.transactions.size()) break;
      const TxnSpec& txn = spec.transactions[i];
      apply(txn, txn.end != TxnEnd::kRollback);
      // Nothing touches a key an open transaction holds (that would be a write conflict).
      for (const SpecOp& op : txn.ops) EXPECT_EQ(held.count({op.table, op.key}), 0u) << "seed " << seed;
    }
  }
}

}  // namespace
}  // namespace jetharness

// Replay: the same plan (seed included) and the same workload give the same trace,
// fault for fault, and so the same trace hash; a plan saved in either text form and
// parsed back replays identically.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "faultfs/fault_fs.h"
#include "plan_gen.h"

namespace faultfs {
namespace {

// A seeded workload that touches every operation kind and carries on through errors.
void Workload(Vfs& vfs, std::uint64_t seed) {
  SplitMix64 rng(seed);
  (void)vfs.MakeDir("/w");
  std::unique_ptr<File> files[3];
  const std::string names[3] = {"/w/edb.log", "/w/db.edb", "/w/edb.chk"};
  for (int step = 0; step < 60; ++step) {
    std::size_t i = rng.Uniform(3);
    std::unique_ptr<File>& f = files[i];
    switch (rng.Uniform(10)) {
      case 0: (void)vfs.Open(names[i], OpenOptions{Access::kReadWrite, kShareAll, Disposition::kOpenAlways}, &f); break;
      case 1:
      case 2:
        if (f) (void)f->Write(rng.Uniform(8192), std::vector<std::uint8_t>(rng.Uniform(3000) + 1, 0x5A));
        break;
      case 3:
        if (f) (void)f->Append(std::vector<std::uint8_t>(rng.Uniform(600) + 1, 0xA5));
        break;
      case 4: {
        std::vector<std::uint8_t> buf(rng.Uniform(5000));
        std::size_t got = 0;
        if (f) (void)f->Read(rng.Uniform(8192), buf, &got);
        break;
      }
      case 5:
        if (f) (void)f->Sync();
        break;
      case 6: (void)vfs.SyncDir("/w"); break;
      case 7: (void)vfs.Rename(names[i], names[(i + 1) % 3]); break;
      case 8: {
        std::vector<std::string> listed;
        (void)vfs.ListDir("/w", &listed);
        std::uint64_t size = 0;
        (void)vfs.FileSize(names[i], &size);
        break;
      }
      default:
        if (f) (void)f->Truncate(rng.Uniform(4096));
        break;
    }
  }
}

struct Run {
  std::uint64_t hash;
  std::vector<std::string> trace;
  FaultCounts counts;
};

Run RunOnce(const FaultPlan& plan, std::uint64_t workload_seed) {
  MemFs base;
  FaultFs fs(&base, plan);
  Workload(fs, workload_seed);
  Run run{fs.trace_hash(), {}, fs.fault_counts()};
  for (const TraceEvent& e : fs.trace()) run.trace.push_back(e.ToString());
  return run;
}

RC_GTEST_PROP(ReplayProperty, SameSeedPlanAndWorkloadGiveTheSameTraceHash, ()) {
  FaultPlan plan = *testing_util::GenFaultPlan();
  std::uint64_t workload_seed = *rc::gen::arbitrary<std::uint64_t>();
  Run first = RunOnce(plan, workload_seed);
  Run second = RunOnce(plan, workload_seed);
  RC_ASSERT(first.trace == second.trace);
  RC_ASSERT(first.hash == second.hash);
  RC_ASSERT(first.counts == second.counts);

  FaultPlan from_text, from_json;
  std::string error;
  RC_ASSERT(ParseFaultPlan(plan.ToText(), &from_text, &error));
  RC_ASSERT(ParseFaultPlan(plan.ToJson(), &from_json, &error));
  RC_ASSERT(RunOnce(from_text, workload_seed).hash == first.hash);
  RC_ASSERT(RunOnce(from_json, workload_seed).hash == first.hash);
}

// The hash must depend on what happened: a different injected fault changes it.
TEST(ReplayTest, DifferentFaultsGiveDifferentHashes) {
  FaultPlan none;
  FaultPlan one;
  FaultRule rule;
  rule.ops.Add(OpKind::kWrite);
  one.rules.push_back(rule);
  EXPECT_NE(RunOnce(none, 1).hash, RunOnce(one, 1).hash);
  EXPECT_NE(RunOnce(none, 1).hash, RunOnce(none, 2).hash);
}

}  // namespace
}  // namespace faultfs

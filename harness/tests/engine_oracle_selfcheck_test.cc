// The harness catches a broken storage stack through the real engine: a disk that
// acknowledges log writes but stores nothing (a lying disk) must make the oracle
// report lost durable commits, and honest runs must pass. This is the same check the
// broken engine variants get (tests/selfcheck), with the bug in the disk.
#include <gtest/gtest.h>

#include "harness/engine/scenarios.h"

namespace jetharness {
namespace {

CaseResult RunWithPlan(const faultfs::FaultPlan& plan, std::uint64_t seed) {
  Env env = MakeEnv(seed, 8, 0);
  auto setup = SetupDisk(env);
  CaseContext ctx(CaseId{"selfcheck", seed, 0, {}}, std::nullopt, nullptr);
  {
    Machine machine(*setup, plan, env.op_budget);
    WorkloadRun run = RunWorkload(machine.fs(), env, WorkloadPlan{}, nullptr);
    Step step(ctx, 0);
    if (run.failure.failed()) step.Fail("workload: " + run.failure.ToString());
    auto image = machine.PowerLossImage(faultfs::CrashPolicy::DropAll());
    VerifyReopen(step, env, *image, Reopen::kSoftRecovery, run.model, DefaultWindow(run.model));
  }
  return ctx.TakeResult();
}

TEST(OracleSelfCheck, HonestDiskPasses) {
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    CaseResult r = RunWithPlan(faultfs::FaultPlan{}, seed);
    for (const Failure& f : r.failures) ADD_FAILURE() << "seed " << seed << ": " << f.what;
  }
}

TEST(OracleSelfCheck, LyingDiskLosesDurableCommitsAndIsCaught) {
  // Every log write after the first few "succeeds" and stores nothing.
  faultfs::FaultRule lie;
  lie.kind = faultfs::FaultKind::kLostWrite;
  lie.ops.Add(faultfs::OpKind::kWrite);
  lie.path = "*.log";
  lie.nth = 3;
  lie.times = 0;
  faultfs::FaultPlan plan;
  plan.rules.push_back(lie);
  int caught = 0;
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    CaseResult r = RunWithPlan(plan, seed);
    if (!r.failures.empty()) ++caught;
    for (const Failure& f : r.failures)
      std::printf("[ caught  ] seed %llu: %s\n", static_cast<unsigned long long>(seed), f.what.substr(0, 200).c_str());
  }
  EXPECT_EQ(caught, 3) << "a disk that drops acknowledged log writes went unnoticed";
}

}  // namespace
}  // namespace jetharness

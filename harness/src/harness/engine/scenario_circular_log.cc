// circular-log: with circular logging a restore reaches exactly the backup moment.
#include <fmt/format.h>

#include "harness/engine/scenarios.h"

namespace jetharness {

namespace {

void RunCircularLog(CaseContext& ctx) {
  Env env = MakeLogHeavyEnv(ctx.seed());
  env.settings.circular = true;
  Baseline base = MakeBaseline(env, 4, true);
  const Model& model = base.run.model;
  // 0: restore. The logs written after the backup may have been reused, so ESE's
  // contract is the backup moment, exactly: nothing before it lost, nothing after it.
  if (ctx.WantStep(0)) {
    Step step(ctx, 0);
    step.AddPlan(fmt::format("circular logging; restore must end at the backup ({} commits of {})",
                             base.run.commits_at_backup, model.MaxPrefix()));
    VerifyReopen(step, env, *base.after, Reopen::kRestore, model,
                 PrefixWindow{base.run.commits_at_backup, base.run.commits_at_backup});
  }
  // 1: soft recovery after the crash still keeps every durable commit.
  if (ctx.WantStep(1)) {
    Step step(ctx, 1);
    step.AddPlan("circular logging; soft recovery after a process crash");
    VerifyReopen(step, env, *base.after, Reopen::kSoftRecovery, model, DefaultWindow(model));
  }
  // 2..5: power loss at seeded points of the workload, then soft recovery.
  Machine dry(*base.setup, faultfs::FaultPlan{}, env.op_budget);
  WorkloadPlan plan;
  plan.backup_after = 4;
  RunWorkload(dry.fs(), env, plan, nullptr);
  std::uint64_t ops = dry.fs().op_count();
  for (std::uint64_t i = 0; i < 4; ++i) {
    std::uint64_t k = faultfs::SplitMix64::Derive(ctx.seed(), i).Uniform(ops + 1);
    if (!ctx.WantStep(2 + i)) continue;
    Step step(ctx, 2 + i);
    step.AddPlan(fmt::format("circular logging; crash before I/O #{} of {}; survivors: random", k, ops));
    Machine machine(*base.setup, OneRulePlan(ctx.seed(), CrashRule(k)), env.op_budget);
    WorkloadRun run = RunWorkload(machine.fs(), env, plan, nullptr);
    step.AddHash(machine.fs().trace_hash());
    ctx.CountFault(FaultClass::kCrash);
    ctx.CountCrashState();
    auto image = machine.PowerLossImage(faultfs::CrashPolicy::Random(ctx.seed() + i));
    VerifyReopen(step, env, *image, Reopen::kSoftRecovery, run.model, DefaultWindow(run.model));
  }
}

}  // namespace

Scenario CircularLogScenario() {
  return Scenario{
      "circular-log", "circular logging: restore ends exactly at the backup moment; crashes still recover",
      "With JET_paramCircularLog on and small generations, a workload takes a full backup in the middle and "
      "goes on long enough to reuse logs. A restore must then end exactly at the backup moment (every commit "
      "before it, none after it). Soft recovery after a process crash, and after power failures at seeded I/O "
      "points, must keep every durable commit.",
      20, RunCircularLog};
}

}  // namespace jetharness

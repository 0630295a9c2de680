// oom: every allocation site of a workload and of a restore fails once.
#include <fmt/format.h>

#include "faultfs/alloc_fault.h"
#include "harness/engine/scenarios.h"

namespace jetharness {

namespace {

void RunOom(CaseContext& ctx) {
  Env env = MakeEnv(ctx.seed(), 4);
  const std::size_t backup_after = 2;
  Baseline base = MakeBaseline(env, backup_after, true);
  WorkloadPlan plan;
  plan.backup_after = backup_after;
  plan.inflight = true;
  // Dry runs list the allocation sites of the workload and of a restore.
  auto sites_of = [&](bool restore) {
    faultfs::AllocFaultInjector counter("*", UINT64_MAX, false);
    Machine dry(restore ? *base.after : *base.setup, faultfs::FaultPlan{}, env.op_budget);
    if (restore) {
      EngineInstance instance(&dry.fs(), env.settings);
      instance.Restore(env.settings.layout.backup_dir);
    } else {
      RunWorkload(dry.fs(), env, plan, nullptr);
    }
    return counter.sites_seen();
  };
  std::vector<std::string> workload_sites = sites_of(false);
  std::vector<std::string> restore_sites = sites_of(true);
  const Model& base_model = base.run.model;
  PrefixWindow durable{base_model.MinPrefix(), base_model.MaxPrefix()};
  // Each site fails twice: at its first call, and at a seeded later one (0..7).
  const std::uint64_t n = workload_sites.size();
  for (std::uint64_t i = 0; i < 2 * (n + restore_sites.size()); ++i) {
    if (!ctx.WantStep(i)) continue;
    bool in_restore = i >= 2 * n;
    std::uint64_t s = (in_restore ? i - 2 * n : i) / 2;
    const std::string& site = in_restore ? restore_sites[s] : workload_sites[s];
    std::uint64_t nth = i % 2 == 0 ? 0 : 1 + faultfs::SplitMix64::Derive(ctx.seed(), i).Uniform(7);
    Step step(ctx, i);
    step.AddPlan(fmt::format("allocation #{} at site {} fails during {}", nth, site,
                             in_restore ? "restore" : "the workload"));
    Machine machine(in_restore ? *base.after : *base.setup, faultfs::FaultPlan{}, env.op_budget);
    FailedCalls observer;
    std::uint64_t failures = 0;
    WorkloadRun run;
    {
      faultfs::AllocFaultInjector injector(site, nth, false);
      if (in_restore) {
        EngineInstance instance(&machine.fs(), env.settings, observer.Observer());
        instance.Restore(env.settings.layout.backup_dir);
      } else {
        run = RunWorkload(machine.fs(), env, plan, observer.Observer());
      }
      failures = injector.failures();
    }
    if (failures > 0) ctx.CountFault(FaultClass::kOutOfMemory);
    step.AddHash(failures);
    step.AddHash(machine.fs().trace_hash());
    observer.Check(step, FaultClass::kOutOfMemory, FileRole::kAny, in_restore ? Phase::kRestore : Phase::kWorkload);
    if (in_restore) {
      VerifyReopen(step, env, *machine.ProcessCrashImage(), Reopen::kRestore, base_model, durable);
    } else {
      ctx.CountCrashState();
      auto image = machine.PowerLossImage(faultfs::CrashPolicy::DropAll());
      VerifyReopen(step, env, *image, Reopen::kSoftRecovery, run.model, DefaultWindow(run.model));
    }
  }
}

}  // namespace

Scenario OomScenario() {
  return Scenario{
      "oom",
      "every allocation site of a workload and a restore fails once",
      "Dry runs list the engine's allocation sites (faultfs/alloc_fault.h) in a workload with a backup and in a "
      "restore. Each site then fails at its first call and at a seeded later one. Failing calls must return "
      "JET_errOutOfMemory (or a fatal log error); afterwards soft recovery, or a restore with the fault removed, "
      "must show every durable commit.",
      8,
      RunOom};
}

}  // namespace jetharness

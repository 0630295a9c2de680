// io-error: EIO and ENOSPC at every I/O site of a workload (with a backup) and of a restore.
#include <fmt/format.h>

#include "harness/engine/scenarios.h"

namespace jetharness {

namespace {

// ENOSPC only makes sense where storage could grow.
bool CanRunOutOfSpace(faultfs::OpKind op) {
  using faultfs::OpKind;
  return op == OpKind::kWrite || op == OpKind::kAppend || op == OpKind::kTruncate || op == OpKind::kOpen ||
         op == OpKind::kMkdir || op == OpKind::kSync;
}

struct Site {
  faultfs::OpKind op;
  FileRole role;
  std::string path;
};

std::vector<Site> Sites(const Env& env, Machine& machine) {
  std::vector<Site> sites;
  for (const faultfs::TraceEvent& e : machine.fs().trace()) {
    sites.push_back(Site{e.op, ClassifyPath(env.settings.layout, e.path), e.path});
  }
  return sites;
}

void RunIoError(CaseContext& ctx) {
  Env env = MakeEnv(ctx.seed(), 4);
  const std::size_t backup_after = 2;
  Baseline base = MakeBaseline(env, backup_after, true);
  WorkloadPlan plan;
  plan.backup_after = backup_after;
  plan.inflight = true;
  std::vector<Site> workload_sites;
  {
    Machine dry(*base.setup, faultfs::FaultPlan{}, env.op_budget);
    RunWorkload(dry.fs(), env, plan, nullptr);
    workload_sites = Sites(env, dry);
  }
  std::vector<Site> restore_sites;
  {
    Machine dry(*base.after, faultfs::FaultPlan{}, env.op_budget);
    EngineInstance instance(&dry.fs(), env.settings);
    instance.Restore(env.settings.layout.backup_dir);
    restore_sites = Sites(env, dry);
  }
  const Model& base_model = base.run.model;
  PrefixWindow durable{base_model.MinPrefix(), base_model.MaxPrefix()};

  // Steps 2k (EIO) and 2k+1 (ENOSPC) fail workload operation k; then 2N + 2r and
  // 2N + 2r + 1 fail restore operation r.
  const std::uint64_t n = workload_sites.size();
  for (std::uint64_t i = 0; i < 2 * (n + restore_sites.size()); ++i) {
    if (!ctx.WantStep(i)) continue;
    bool in_restore = i >= 2 * n;
    std::uint64_t k = (in_restore ? i - 2 * n : i) / 2;
    const Site& site = in_restore ? restore_sites[k] : workload_sites[k];
    bool enospc = i % 2 == 1;
    if (enospc && !CanRunOutOfSpace(site.op)) {
      SkipStep(ctx, i, "ENOSPC on an operation that does not allocate");
      continue;
    }
    Step step(ctx, i);
    FaultClass fault = enospc ? FaultClass::kDiskFull : FaultClass::kIoError;
    // fsyncgate: a failed sync of the log or a database may have dropped its dirty data.
    bool lose_dirty = !enospc && site.op == faultfs::OpKind::kSync;
    faultfs::FaultRule rule =
        FailRule(k, enospc ? faultfs::ErrorCode::kDiskFull : faultfs::ErrorCode::kIoError, lose_dirty);
    Machine machine(in_restore ? *base.after : *base.setup, OneRulePlan(ctx.seed(), rule), env.op_budget);
    step.AddPlan(fmt::format("{} on {} #{} ({} {}){}", FaultClassName(fault), in_restore ? "restore" : "workload", k,
                             faultfs::OpKindName(site.op), site.path, lose_dirty ? ", dirty data lost" : ""));
    FailedCalls observer;
    if (!in_restore) {
      WorkloadRun run = RunWorkload(machine.fs(), env, plan, observer.Observer());
      step.AddHash(machine.fs().trace_hash());
      observer.Check(step, fault, site.role, Phase::kWorkload);
      if (machine.fs().faults_injected() > 0) ctx.CountFault(fault);
      // Then the power fails: only what the engine synced may be relied on.
      ctx.CountCrashState();
      auto image = machine.PowerLossImage(faultfs::CrashPolicy::DropAll());
      VerifyReopen(step, env, *image, Reopen::kSoftRecovery, run.model, DefaultWindow(run.model));
    } else {
      {
        EngineInstance instance(&machine.fs(), env.settings, observer.Observer());
        instance.Restore(env.settings.layout.backup_dir);
      }
      step.AddHash(machine.fs().trace_hash());
      observer.Check(step, fault, site.role, Phase::kRestore);
      if (machine.fs().faults_injected() > 0) ctx.CountFault(fault);
      // With the fault gone, restoring from the same backup set must still work.
      VerifyReopen(step, env, *machine.ProcessCrashImage(), Reopen::kRestore, base_model, durable);
    }
  }
}

}  // namespace

Scenario IoErrorScenario() {
  return Scenario{
      "io-error",
      "EIO and ENOSPC at every I/O operation of a workload, a backup and a restore",
      "A small workload with a full backup in the middle runs once to list its I/O operations, and a restore "
      "likewise. Each operation then fails once with EIO (a failed sync also drops its dirty data, as Linux "
      "does) and, where storage could grow, with ENOSPC. Every failing call must carry a code the error map "
      "allows for that file and phase. After a workload fault the power fails (unsynced data dropped) and soft "
      "recovery must show every durable commit; after a restore fault the same restore, fault removed, must "
      "succeed with every durable commit.",
      2,
      RunIoError};
}

}  // namespace jetharness

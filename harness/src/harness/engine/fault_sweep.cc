#include "harness/engine/fault_sweep.h"

#include <fmt/format.h>

namespace jetharness {

namespace {
constexpr std::size_t kBackupAfter = 2;
}  // namespace

const char* SweepPhaseName(SweepPhase phase) {
  switch (phase) {
    case SweepPhase::kWorkload: return "workload";
    case SweepPhase::kRestore: return "restore";
    case SweepPhase::kRecovery: return "soft recovery";
  }
  return "?";
}

FaultSweep::FaultSweep(std::uint64_t seed) : env_(MakeEnv(seed, 4)) {
  base_ = MakeBaseline(env_, kBackupAfter, true);
  plan_.backup_after = kBackupAfter;
  plan_.inflight = true;
}

const faultfs::MemFs& FaultSweep::Image(SweepPhase phase) const {
  // base_.after is what the workload's dead process left (every write reached the
  // disk): it holds the backup set, and a log that soft recovery must redo and undo.
  return phase == SweepPhase::kWorkload ? *base_.setup : *base_.after;
}

WorkloadRun FaultSweep::Run(SweepPhase phase, Machine& machine, CallObserver observer) const {
  if (phase == SweepPhase::kWorkload) return RunWorkload(machine.fs(), env_, plan_, std::move(observer));
  EngineInstance instance(&machine.fs(), env_.settings, std::move(observer));
  if (phase == SweepPhase::kRestore) {
    instance.Restore(env_.settings.layout.backup_dir);
  } else {
    instance.Init();  // the instance's destructor ends it abruptly: recovery alone
  }
  return WorkloadRun{};
}

void FaultSweep::RunStep(Step& step, SweepPhase phase, const faultfs::FaultPlan& plan, FaultClass fault, FileRole role,
                         const Armed& armed) const {
  Machine machine(Image(phase), plan, env_.op_budget);
  const Model& base_model = base_.run.model;
  const PrefixWindow durable{base_model.MinPrefix(), base_model.MaxPrefix()};
  FailedCalls observer;
  WorkloadRun run;
  // A restore or a recovery under the fault is attempted and, when it reports success,
  // read back at once: its content is judged before the fault-free rerun below
  // replaces it (an engine that returns success with the fault's damage inside must
  // not hide behind the rerun).
  ReadBack read;
  auto body = [&] {
    if (phase == SweepPhase::kWorkload) {
      run = Run(phase, machine, observer.Observer());
    } else {
      AttemptAndJudge(step, env_, machine.fs(),
                      phase == SweepPhase::kRestore ? Reopen::kRestore : Reopen::kSoftRecovery, OpenFault{fault, role},
                      base_model, durable, &read);
    }
  };
  std::uint64_t injected = 0;
  if (armed) {
    injected = armed(body);
    step.AddHash(injected);
  } else {
    body();
  }
  injected += machine.fs().faults_injected();
  step.AddHash(machine.fs().trace_hash());
  if (phase == SweepPhase::kWorkload) observer.Check(step, fault, role, Phase::kWorkload);
  if (injected > 0) step.ctx().CountFault(fault);
  switch (phase) {
    case SweepPhase::kWorkload: {
      // Then the power fails: only what the engine synced may be relied on.
      step.ctx().CountCrashState();
      auto image = machine.PowerLossImage(faultfs::CrashPolicy::DropAll());
      VerifyReopen(step, env_, *image, Reopen::kSoftRecovery, run.model, DefaultWindow(run.model));
      break;
    }
    case SweepPhase::kRestore:
      // With the fault gone, restoring from the same backup set must still work.
      VerifyReopen(step, env_, *machine.ProcessCrashImage(), Reopen::kRestore, base_model, durable);
      break;
    case SweepPhase::kRecovery: {
      // Whatever the failed recovery wrote and synced must itself be recoverable.
      step.ctx().CountCrashState();
      auto image = machine.PowerLossImage(faultfs::CrashPolicy::DropAll());
      VerifyReopen(step, env_, *image, Reopen::kSoftRecovery, base_model, durable);
      break;
    }
  }
}

void FaultSweep::ForEachStep(CaseContext& ctx, const std::array<std::uint64_t, kSweepPhases>& per_phase,
                             const std::function<void(std::uint64_t, SweepPhase, std::uint64_t)>& body) {
  std::uint64_t first = 0;
  for (std::size_t p = 0; p < kSweepPhases; ++p) {
    for (std::uint64_t j = 0; j < per_phase[p]; ++j) {
      if (ctx.WantStep(first + j)) body(first + j, static_cast<SweepPhase>(p), j);
    }
    first += per_phase[p];
  }
}

}  // namespace jetharness

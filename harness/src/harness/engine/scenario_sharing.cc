// sharing-violation: a file held open without sharing by another handle.
#include <fmt/format.h>

#include "harness/engine/scenarios.h"

namespace jetharness {

namespace {

void RunSharingViolation(CaseContext& ctx) {
  Env env = MakeEnv(ctx.seed(), 6);
  Baseline base = MakeBaseline(env, 3, true);
  const Layout& layout = env.settings.layout;
  const Model& model = base.run.model;
  const PrefixWindow durable = base.Durable();
  std::optional<std::string> backup_log;
  for (std::int32_t gen : ArchivedGenerations(*base.after, layout.backup_dir)) {
    backup_log = layout.backup_dir + "/" + ArchivedLogName(gen);
  }
  struct Variant {
    std::string path;
    FileRole role;
    Reopen how;
  };
  std::vector<Variant> variants = {
      {layout.DatabasePath(env.spec.databases[0].file_name), FileRole::kDatabase, Reopen::kSoftRecovery},
      {layout.CurrentLogPath(), FileRole::kLog, Reopen::kSoftRecovery},
      {layout.CheckpointPath(), FileRole::kCheckpoint, Reopen::kSoftRecovery},
      {layout.DatabasePath(env.spec.databases[0].file_name), FileRole::kDatabase, Reopen::kRestore},
      {backup_log.value_or(""), FileRole::kBackupSet, Reopen::kRestore},
  };
  for (std::uint64_t i = 0; i < variants.size(); ++i) {
    const Variant& v = variants[i];
    if (v.path.empty() || FileSizeOf(*base.after, v.path) == 0) {
      SkipStep(ctx, i, "no such file in this case");
      continue;
    }
    if (!ctx.WantStep(i)) continue;
    Step step(ctx, i);
    step.AddPlan(fmt::format("{} held open (read, share none) during {}", v.path,
                             v.how == Reopen::kRestore ? "restore" : "soft recovery"));
    ctx.CountFault(FaultClass::kSharingViolation);
    Machine machine(*base.after, faultfs::FaultPlan{}, env.op_budget);
    ReopenOutcome outcome;
    {
      std::unique_ptr<faultfs::File> holder;
      faultfs::OpenOptions options;
      options.access = faultfs::Access::kRead;
      options.share = faultfs::kShareNone;
      faultfs::Status s = machine.disk().Open(v.path, options, &holder);
      if (!s.ok()) throw std::runtime_error("holding " + v.path + ": " + s.ToString());
      ReadBack read;
      outcome = AttemptReopen(step, env, machine, v.how, OpenFault{FaultClass::kSharingViolation, v.role}, &read);
    }
    step.AddHash(machine.fs().trace_hash());
    step.AddHash(static_cast<std::uint64_t>(outcome));
    // Released: the same operation must now succeed with nothing durable lost.
    if (outcome == ReopenOutcome::kRefused) {
      VerifyReopen(step, env, *machine.ProcessCrashImage(), v.how, model, durable);
    }
  }
}

}  // namespace

Scenario SharingViolationScenario() {
  return Scenario{"sharing-violation", "a database, log, checkpoint or backup file held open without sharing",
                  "Another handle holds one file open with share mode none (as another process would): the database or "
                  "the current log or the checkpoint during soft recovery, the database or a backup-set log during "
                  "restore. The operation must fail with a sharing or access code (the error map has no success for "
                  "this fault); once the handle is closed, the same operation must succeed with every durable commit.",
                  15, RunSharingViolation};
}

}  // namespace jetharness

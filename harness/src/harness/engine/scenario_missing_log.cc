// missing-log: a log generation deleted from the backup set or from the log path.
#include <fmt/format.h>

#include "harness/engine/step_table.h"

namespace jetharness {

namespace {

// Which generation of a list a variant removes.
enum class Pick { kFirst, kMiddle, kLast };
const char* PickName(Pick p) { return p == Pick::kFirst ? "first" : (p == Pick::kMiddle ? "middle" : "last"); }

std::optional<std::int32_t> PickGeneration(const std::vector<std::int32_t>& gens, Pick pick) {
  if (gens.empty()) return std::nullopt;
  switch (pick) {
    case Pick::kFirst: return gens.front();
    case Pick::kMiddle: return gens[gens.size() / 2];
    case Pick::kLast: return gens.back();
  }
  return std::nullopt;
}

// Soft recovery, every database attached, an incremental backup into the set: the
// calls of the instance that the gone-during-backup step runs twice (without, then
// with the fault).
void RecoverAndBackUpIncrementally(EngineInstance& instance, const Env& env) {
  if (instance.Init() >= 0 && AttachAllDatabases(instance, env.spec) >= 0) {
    instance.BackupIncremental(env.settings.layout.backup_dir);
  }
}

// An archived log-path generation that an incremental backup must copy is
// gone when the backup opens it (every open of it from then on: not found). The
// backup must fail with a missing-log code (or copy the generation anyway); either
// way the set and the instance stay usable: a restore must reach every durable commit.
void RunGenerationGoneDuringBackup(CaseContext& ctx, std::uint64_t step_index, const Env& env, const Baseline& base) {
  if (!ctx.WantStep(step_index)) return;
  const Layout& layout = env.settings.layout;
  // Without the fault: which opens of an archived generation the backup does.
  std::optional<faultfs::TraceEvent> target;
  std::uint64_t earlier_opens = 0;
  {
    Machine machine(*base.after, faultfs::FaultPlan{}, env.op_budget);
    machine.fs().set_keep_trace(true);
    std::uint64_t backup_from = 0;
    EngineInstance instance(&machine.fs(), env.settings);
    if (instance.Init() >= 0 && AttachAllDatabases(instance, env.spec) >= 0) {
      backup_from = machine.fs().op_count();
      instance.BackupIncremental(layout.backup_dir);
    }
    if (instance.failure().failed()) {
      throw std::runtime_error("an incremental backup failed with no fault active: " + instance.failure().ToString());
    }
    for (const faultfs::TraceEvent& e : machine.fs().trace()) {
      std::int32_t gen = 0;
      if (e.op != faultfs::OpKind::kOpen || faultfs::ParentPath(e.path) != layout.log_dir ||
          !ParseArchivedLogName(e.path.substr(layout.log_dir.size() + 1), &gen)) {
        continue;
      }
      if (e.index >= backup_from) {
        target = e;
        break;
      }
    }
    if (target) {
      for (const faultfs::TraceEvent& e : machine.fs().trace()) {
        if (e.index < target->index && e.op == faultfs::OpKind::kOpen && e.path == target->path) ++earlier_opens;
      }
    }
  }
  if (!target) {
    SkipStep(ctx, step_index, "the incremental backup opens no archived generation of the log path");
    return;
  }
  Step step(ctx, step_index);
  faultfs::FaultRule gone = FailRule(earlier_opens, faultfs::ErrorCode::kNotFound);
  gone.ops.Add(faultfs::OpKind::kOpen);
  gone.path = target->path;
  gone.times = 0;  // from then on
  step.AddPlan(
      fmt::format("{} is gone when the incremental backup opens it (missing_log on log, backup)", target->path));
  ctx.CountFault(FaultClass::kMissingLog);
  Machine machine(*base.after, OneRulePlan(ctx.seed(), gone), env.op_budget);
  {
    FailedCalls observer;
    EngineInstance instance(&machine.fs(), env.settings, observer.Observer());
    RecoverAndBackUpIncrementally(instance, env);
    observer.Check(step, FaultClass::kMissingLog, FileRole::kLog, Phase::kWorkload);
    if (!instance.failure().failed()) instance.Term();
  }
  step.AddHash(machine.fs().trace_hash());
  if (machine.fs().faults_injected() == 0) step.Fail("the fault was planned but never injected: " + machine.PlanText());
  VerifyReopen(step, env, *machine.ProcessCrashImage(), Reopen::kRestore, base.run.model, base.Durable());
}

using MissingLogCase = LogHeavyCase;

// `path` deleted (the deletion made durable), then `how`; the repair puts it back.
StepAction Deleted(const MissingLogCase& c, FileRole role, Reopen how, const std::string& path) {
  auto damage = [path](faultfs::MemFs& disk) {
    faultfs::Status s = disk.Delete(path);
    if (s.ok()) s = disk.SyncDir(faultfs::ParentPath(path));
    if (!s.ok()) throw std::runtime_error("delete " + path + ": " + s.ToString());
  };
  FileFault fault = DamageThenReopen(c.base, FaultClass::kMissingLog, role, "delete " + path, how, damage, {path});
  // A generation missing from the log path is a gap after the set (or a missing edb.log),
  // which restore checks before it writes anything (docs/RESTORE.md, log choice 2 and 4).
  fault.refused_before_writing = role == FileRole::kLog && how == Reopen::kRestore;
  // Every generation of the set is needed (redo starts at its first, the copies need
  // up to its last): restore must refuse, before it writes anything.
  if (role == FileRole::kBackupSet) fault.must_refuse = fault.refused_before_writing = true;
  return StepAction::Fault(std::move(fault));
}

template <Pick pick>
StepAction BackupSetGeneration(const MissingLogCase& c, faultfs::SplitMix64&) {
  auto gen = PickGeneration(c.backup_gens, pick);
  if (!gen) return StepAction::Skip("no archived generation in the backup set");
  return Deleted(c, FileRole::kBackupSet, Reopen::kRestore,
                 c.env.settings.layout.backup_dir + "/" + ArchivedLogName(*gen));
}

template <Pick pick, Reopen how>
StepAction LogPathGeneration(const MissingLogCase& c, faultfs::SplitMix64&) {
  auto gen = PickGeneration(c.path_gens, pick);
  if (!gen) return StepAction::Skip(fmt::format("no {} archived generation in the log path", PickName(pick)));
  return Deleted(c, FileRole::kLog, how, c.env.settings.layout.log_dir + "/" + ArchivedLogName(*gen));
}

template <Reopen how>
StepAction CurrentGeneration(const MissingLogCase& c, faultfs::SplitMix64&) {
  return Deleted(c, FileRole::kLog, how, c.env.settings.layout.CurrentLogPath());
}

// A success must reach every durable commit (DamageThenReopen), after a refusal the
// file is put back and the same operation must succeed.
const StepRow<MissingLogCase> kMissingLogSteps[] = {
    {"the first backup-set generation deleted, restore", BackupSetGeneration<Pick::kFirst>},
    {"the middle backup-set generation deleted, restore", BackupSetGeneration<Pick::kMiddle>},
    {"the last backup-set generation deleted, restore", BackupSetGeneration<Pick::kLast>},
    {"the first archived log-path generation deleted, restore", LogPathGeneration<Pick::kFirst, Reopen::kRestore>},
    {"the middle archived log-path generation deleted, restore", LogPathGeneration<Pick::kMiddle, Reopen::kRestore>},
    {"the last archived log-path generation deleted, restore", LogPathGeneration<Pick::kLast, Reopen::kRestore>},
    {"the current generation (edb.log) deleted, restore", CurrentGeneration<Reopen::kRestore>},
    {"the first archived log-path generation deleted, soft recovery",
     LogPathGeneration<Pick::kFirst, Reopen::kSoftRecovery>},
    {"the middle archived log-path generation deleted, soft recovery",
     LogPathGeneration<Pick::kMiddle, Reopen::kSoftRecovery>},
    {"the last archived log-path generation deleted, soft recovery",
     LogPathGeneration<Pick::kLast, Reopen::kSoftRecovery>},
    {"the current generation (edb.log) deleted, soft recovery", CurrentGeneration<Reopen::kSoftRecovery>},
    {"an archived generation gone when an incremental backup opens it; then restore",
     [](const MissingLogCase& c, faultfs::SplitMix64&) {
       return StepAction::Custom(
           [&c](CaseContext& ctx, std::uint64_t step) { RunGenerationGoneDuringBackup(ctx, step, c.env, c.base); });
     }},
};

void RunMissingLog(CaseContext& ctx) {
  MissingLogCase c;
  c.Build(MakeLogHeavyEnv(ctx.seed()));
  RunStepTable(ctx, c, kMissingLogSteps);
}

}  // namespace

Scenario MissingLogScenario() {
  Scenario s{"missing-log", "first/middle/last/current generation missing, in the backup set and in the log path",
             "After a workload spread over several log generations with a full backup in the middle, one generation "
             "is deleted: the first, middle or last one of the backup set (then restore), or the first, middle, last "
             "archived or current one of the log path (then restore, and separately soft recovery). A refusal must "
             "use a missing-log code; a success must still show at least the backup moment (restore) or every durable "
             "commit (soft recovery). After a refusal the file is put back and the same operation must succeed with "
             "every durable commit. Last, an archived log-path generation an incremental backup must copy is gone when "
             "the backup opens it: the backup must fail with a missing-log code (or still copy it), and the set must "
             "then restore every durable commit.",
             20, RunMissingLog};
  s.steps = StepNames(kMissingLogSteps);
  return s;
}

}  // namespace jetharness

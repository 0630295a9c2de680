// missing-log: a log generation deleted from the backup set or from the log path.
#include <fmt/format.h>

#include "harness/engine/scenarios.h"

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
// calls of the instance that step 11 runs twice (without, then with the fault).
void RecoverAndBackUpIncrementally(EngineInstance& instance, const Env& env) {
  if (instance.Init() >= 0 && AttachAllDatabases(instance, env.spec) >= 0) {
    instance.BackupIncremental(env.settings.layout.backup_dir);
  }
}

// Step 11: an archived log-path generation that an incremental backup must copy is
// gone when the backup opens it (every open of it from then on: not found). The
// backup must fail with a missing-log code (or copy the generation anyway); either
// way the set and the instance stay usable: a restore must reach every durable commit.
void RunGenerationGoneDuringBackup(CaseContext& ctx, std::uint64_t step_index, const Env& env, const Baseline& base,
                                   PrefixWindow durable) {
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
  step.AddPlan(fmt::format("{} is gone when the incremental backup opens it (missing_log on log, backup)",
                           target->path));
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
  VerifyReopen(step, env, *machine.ProcessCrashImage(), Reopen::kRestore, base.run.model, durable);
}

void RunMissingLog(CaseContext& ctx) {
  Env env = MakeLogHeavyEnv(ctx.seed());
  Baseline base = MakeBaseline(env, 5, true);
  const Layout& layout = env.settings.layout;
  const PrefixWindow durable = base.Durable();
  std::vector<std::int32_t> backup_gens = ArchivedGenerations(*base.after, layout.backup_dir);
  std::vector<std::int32_t> path_gens = ArchivedGenerations(*base.after, layout.log_dir);

  // Removes `path`; the repair puts the original back.
  auto missing = [&](std::uint64_t step, FileRole role, Reopen how, PrefixWindow success, const std::string& path) {
    FileFault f;
    f.fault = FaultClass::kMissingLog;
    f.role = role;
    f.description = fmt::format("delete {} then {}", path, how == Reopen::kRestore ? "restore" : "soft recovery");
    f.attempt = how;
    f.success_window = success;
    f.damage = [path](faultfs::MemFs& disk) {
      faultfs::Status s = disk.Delete(path);
      if (s.ok()) s = disk.SyncDir(faultfs::ParentPath(path));
      if (!s.ok()) throw std::runtime_error("delete " + path + ": " + s.ToString());
    };
    f.repair = [&base, path](faultfs::MemFs& disk) { CopyFile(*base.after, &disk, path); };
    f.repair_how = how;
    f.repair_window = durable;
    RunFileFault(ctx, step, env, base, f);
  };

  std::uint64_t step = 0;
  // 0-2: a generation missing from the backup set (restore).
  for (Pick pick : {Pick::kFirst, Pick::kMiddle, Pick::kLast}) {
    auto gen = PickGeneration(backup_gens, pick);
    if (gen) {
      missing(step, FileRole::kBackupSet, Reopen::kRestore, durable,
              layout.backup_dir + "/" + ArchivedLogName(*gen));
    } else {
      SkipStep(ctx, step, "no archived generation in the backup set");
    }
    ++step;
  }
  // 3-6 (restore) and 7-10 (soft recovery): first/middle/last archived generation of
  // the log path, then the current generation edb.log.
  for (Reopen how : {Reopen::kRestore, Reopen::kSoftRecovery}) {
    const PrefixWindow success = durable;
    for (Pick pick : {Pick::kFirst, Pick::kMiddle, Pick::kLast}) {
      auto gen = PickGeneration(path_gens, pick);
      if (gen) {
        missing(step, FileRole::kLog, how, success, layout.log_dir + "/" + ArchivedLogName(*gen));
      } else {
        SkipStep(ctx, step, fmt::format("no {} archived generation in the log path", PickName(pick)));
      }
      ++step;
    }
    missing(step++, FileRole::kLog, how, success, layout.CurrentLogPath());
  }
  // 11: a generation gone while an incremental backup copies it.
  RunGenerationGoneDuringBackup(ctx, step, env, base, durable);
}

}  // namespace

Scenario MissingLogScenario() {
  return Scenario{
      "missing-log",
      "first/middle/last/current generation missing, in the backup set and in the log path",
      "After a workload spread over several log generations with a full backup in the middle, one generation "
      "is deleted: the first, middle or last one of the backup set (then restore), or the first, middle, last "
      "archived or current one of the log path (then restore, and separately soft recovery). A refusal must "
      "use a missing-log code; a success must still show at least the backup moment (restore) or every durable "
      "commit (soft recovery). After a refusal the file is put back and the same operation must succeed with "
      "every durable commit. Last, an archived log-path generation an incremental backup must copy is gone when "
      "the backup opens it: the backup must fail with a missing-log code (or still copy it), and the set must "
      "then restore every durable commit.",
      20,
      RunMissingLog};
}

}  // namespace jetharness

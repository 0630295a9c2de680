// backup-chain: a full backup and two incrementals taken online, restored every way,
// and power lost at every I/O point of the incrementals.
#include <fmt/format.h>

#include <algorithm>

#include "harness/engine/scenarios.h"

namespace jetharness {

namespace {

// Steps: 0 restore to the original paths, 1 restore to another directory (szDest),
// 2 restore from the set alone (the log path lost), then kFirstCrashStep + k for a
// power loss before I/O operation k of the workload, for every k inside an
// incremental backup.
constexpr std::uint64_t kFirstCrashStep = 3;

// The full backup right after the in-flight transactions began (so they stay open
// across every backup: online backups), then two incrementals, the last after the
// last transaction.
WorkloadPlan ChainPlan(const WorkloadSpec& spec) {
  const std::size_t n = spec.transactions.size();
  WorkloadPlan plan;
  plan.inflight = true;
  plan.backup_after = std::min(spec.inflight_begin_after + 1, n - 2);
  std::size_t middle = std::max(plan.backup_after + 1, (plan.backup_after + n) / 2);
  plan.incremental_after = {middle, std::max(middle + 1, n)};
  return plan;
}

std::string ChainDescription(const WorkloadRun& run) {
  std::string text;
  for (const BackupMoment& b : run.backups) {
    text += fmt::format("{}{} backup after commit {} (I/O #{}..#{})", text.empty() ? "" : ", ",
                        b.incremental ? "incremental" : "full", b.commits_at_end, b.first_op, b.end_op);
  }
  return text;
}

// The workload's databases restored into another directory: the instance's original
// database files must not change.
void RestoreElsewhere(Step& step, const Env& env, const faultfs::MemFs& after, const Model& model) {
  Env moved = env;
  moved.settings.layout.db_dir = "/alt";
  moved.settings.layout.restore_dest = "/alt";
  std::unique_ptr<faultfs::MemFs> final_image;
  VerifyReopen(step, moved, after, Reopen::kRestore, model, DefaultWindow(model), &final_image);
  std::string changed = FirstChangedFile(after, *final_image, env.settings.layout.db_dir);
  if (!changed.empty()) {
    step.Fail("a restore into " + moved.settings.layout.restore_dest +
              " changed a file at the databases' original paths: " + changed);
  }
}

// The log path and checkpoint are gone: the set alone must restore exactly the
// commits issued before its last backup (the backup rolled the log, so even lazy
// commits before it are in the set; the open transactions are undone).
void RestoreSetAlone(Step& step, const Env& env, const faultfs::MemFs& after, const WorkloadRun& run) {
  auto lost = after.Clone();
  const Layout& layout = env.settings.layout;
  for (const std::string& name : ListFiles(*lost, layout.log_dir)) {
    if (auto s = lost->Delete(faultfs::JoinPath(layout.log_dir, name)); !s.ok()) throw std::runtime_error(s.ToString());
  }
  if (auto s = lost->Delete(layout.CheckpointPath()); !s.ok()) throw std::runtime_error(s.ToString());
  const BackupMoment& last = run.backups.back();
  VerifyReopen(step, env, *lost, Reopen::kRestore, run.model, PrefixWindow{last.commits_at_end, last.commits_at_end});
}

void RunBackupChain(CaseContext& ctx) {
  const WorkloadShape shape = ShapeOfCase(ctx.id().index);
  Env env = MakeShapedEnv(ctx.seed(), shape);
  const WorkloadPlan plan = ChainPlan(env.spec);
  auto setup = SetupDisk(env);
  Machine machine(*setup, faultfs::FaultPlan{}, env.op_budget);
  const WorkloadRun run = RunWorkload(machine.fs(), env, plan, nullptr);
  const bool complete = run.backups.size() == 1 + plan.incremental_after.size() &&
                        std::all_of(run.backups.begin(), run.backups.end(),
                                    [](const BackupMoment& b) { return b.done; });
  if (run.failure.failed() || !complete) {
    Step step(ctx, 0);
    step.Fail(fmt::format("the {} workload with a full and {} incremental backups failed with no fault active: {}",
                          WorkloadShapeName(shape), plan.incremental_after.size(), run.failure.ToString()));
    return;
  }
  const std::string chain = fmt::format("{} workload; {}", WorkloadShapeName(shape), ChainDescription(run));
  auto after = machine.ProcessCrashImage();
  if (ctx.WantStep(0)) {
    Step step(ctx, 0);
    step.AddPlan(chain + "; process killed, restore to the original paths with the log path intact");
    VerifyReopen(step, env, *after, Reopen::kRestore, run.model, DefaultWindow(run.model));
  }
  if (ctx.WantStep(1)) {
    Step step(ctx, 1);
    step.AddPlan(chain + "; process killed, restore into /alt (szDest) with the log path intact");
    RestoreElsewhere(step, env, *after, run.model);
  }
  if (ctx.WantStep(2)) {
    Step step(ctx, 2);
    step.AddPlan(chain + "; log path and checkpoint lost, restore from the set alone");
    RestoreSetAlone(step, env, *after, run);
  }
  // Power loss inside each incremental backup: the set it was extending, with the log
  // path, must still restore every durable commit.
  const std::vector<SurvivorPolicy> policies = SurvivorPolicies(ctx.seed());
  for (const BackupMoment& backup : run.backups) {
    if (!backup.incremental) continue;
    for (std::uint64_t k = backup.first_op; k < backup.end_op; ++k) {
      if (!ctx.WantStep(kFirstCrashStep + k)) continue;
      Step step(ctx, kFirstCrashStep + k);
      const SurvivorPolicy& survivors = policies[k % policies.size()];
      Machine crashed(*setup, OneRulePlan(ctx.seed(), CrashRule(k)), env.op_budget);
      FailedCalls failed;
      WorkloadRun partial = RunWorkload(crashed.fs(), env, plan, failed.Observer());
      const FileRole role = RoleOfOp(env, crashed, k);
      step.AddPlan(
          fmt::format("{}; power lost before I/O #{} ({}, inside the incremental backup after commit {}); "
                      "survivors: {}; restore with the log path",
                      chain, k, FileRoleName(role), backup.commits_at_end, survivors.name));
      step.AddHash(crashed.fs().trace_hash());
      failed.Check(step, FaultClass::kCrash, role, Phase::kBackup);
      ctx.CountFault(FaultClass::kCrash);
      ctx.CountCrashState();
      auto image = SurvivorImage(env, crashed.disk(), survivors);
      VerifyReopen(step, env, *image, Reopen::kRestore, partial.model, DefaultWindow(partial.model));
    }
  }
}

}  // namespace

Scenario BackupChainScenario() {
  return Scenario{
      "backup-chain",
      "full + two incremental backups taken online; restored in place, elsewhere (szDest), from the set alone; "
      "power loss inside the incrementals",
      "A workload of each shape in turn (small, deep B-tree, concurrent sessions with conflicts and savepoints, "
      "long values) takes a full backup while a transaction of another session is open, then two incremental "
      "backups into the same set, the last after the last transaction; the process is then killed. The set must "
      "restore every durable commit to the original paths, and into another directory (szDest) without changing "
      "a byte at the original paths; with the log path and checkpoint lost, the set alone must restore exactly "
      "the commits issued before the last backup (the open transaction undone). Then power is lost before every "
      "I/O operation of each incremental backup (survivor images rotating): the set, with the log path, must "
      "still restore every durable commit.",
      4, RunBackupChain};
}

}  // namespace jetharness

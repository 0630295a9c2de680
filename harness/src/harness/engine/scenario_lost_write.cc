// lost-write: writes the device acknowledges and then does not keep where they belong:
// dropped (lost) or stored at another block of the same file (misdirected), anywhere in
// a workload with a full backup in the middle.
#include <fmt/format.h>

#include <algorithm>

#include "harness/engine/scenarios.h"
#include "jetfault/assert.h"

namespace jetharness {

namespace {

// Write sites sampled per case (the rest are reached by other cases and --cases).
constexpr std::uint64_t kMaxSites = 20;
constexpr std::uint64_t kKinds = 2;  // step 2i: lost, 2i+1: misdirected

struct WriteSite {
  std::uint64_t op = 0;     // I/O operation number
  std::uint64_t write = 0;  // how many writes and appends came before it
  FileRole role = FileRole::kAny;
  std::string what;  // the trace line of the write
};

// Recovers or restores `image` with `fault` active; a success must hold a state within
// `window`.
ReopenOutcome Judge(Step& step, const Env& env, const faultfs::MemFs& image, Reopen how, OpenFault fault,
                    const Model& model, PrefixWindow window) {
  Machine machine(image, faultfs::FaultPlan{}, env.op_budget);
  ReadBack read;
  ReopenOutcome outcome = AttemptAndJudge(step, env, machine.fs(), how, fault, model, window, &read);
  step.AddHash(machine.fs().trace_hash());
  return outcome;
}

void RunLostWrite(CaseContext& ctx) {
  const WorkloadShape shape = ShapeOfCase(ctx.id().index);
  Env env = MakeShapedEnv(ctx.seed(), shape);
  // A small cache writes database pages during the workload, not only at the end.
  env.settings.cache_pages_max = shape == WorkloadShape::kDeepTree ? 8 : 2;
  auto setup = SetupDisk(env);
  WorkloadPlan plan;
  plan.backup_after = env.spec.transactions.size() / 2;
  plan.inflight = true;

  // A fault-free run lists the writes (the faulted runs are identical up to the fault).
  std::vector<WriteSite> sites;
  BackupMoment backup;
  {
    Machine dry(*setup, faultfs::FaultPlan{}, env.op_budget);
    WorkloadRun run = RunWorkload(dry.fs(), env, plan, nullptr);
    if (run.failure.failed() || run.backups.empty() || !run.backups[0].done) {
      Step step(ctx, 0);
      step.Fail("the workload or its backup failed with no fault active: " + run.failure.ToString());
      return;
    }
    backup = run.backups[0];
    std::uint64_t writes = 0;
    for (const faultfs::TraceEvent& e : dry.fs().trace()) {
      if (e.op != faultfs::OpKind::kWrite && e.op != faultfs::OpKind::kAppend) continue;
      FileRole role = ClassifyPath(env.settings.layout, e.path);
      if (role != FileRole::kAny) sites.push_back(WriteSite{e.index, writes, role, e.ToString()});
      ++writes;
    }
  }
  const std::uint64_t stride = (sites.size() + kMaxSites - 1) / kMaxSites;
  const std::uint64_t offset = stride == 0 ? 0 : faultfs::SplitMix64(ctx.seed()).Uniform(stride);
  for (std::uint64_t i = 0; i < sites.size(); ++i) {
    if (i % stride != offset) continue;
    const WriteSite& site = sites[i];
    for (std::uint64_t kind = 0; kind < kKinds; ++kind) {
      if (!ctx.WantStep(i * kKinds + kind)) continue;
      Step step(ctx, i * kKinds + kind);
      const FaultClass fault = kind == 0 ? FaultClass::kLostWrite : FaultClass::kMisdirectedWrite;
      faultfs::FaultRule rule;
      rule.kind = kind == 0 ? faultfs::FaultKind::kLostWrite : faultfs::FaultKind::kMisdirectedWrite;
      // Data faults count only the operations they apply to: the nth write or append.
      rule.nth = site.write;
      rule.unit = env.settings.page_size;
      step.AddPlan(
          fmt::format("{} at {} ({}), then power loss", FaultClassName(fault), site.what, FileRoleName(site.role)));

      Machine machine(*setup, OneRulePlan(ctx.seed(), rule), env.op_budget);
      FailedCalls calls;
      WorkloadRun run;
      // What was durable when the device dropped the write: no later commit can make
      // that less durable, whatever the device did with the write.
      std::size_t durable_before = 0;
      machine.fs().set_before_op([&](const faultfs::TraceEvent& next, std::uint64_t) {
        if (next.index == site.op) durable_before = run.model.MinPrefix();
      });
      RunWorkloadInto(machine.fs(), env, plan, calls.Observer(), &run);
      machine.fs().set_before_op(nullptr);
      step.AddHash(machine.fs().trace_hash());
      if (machine.fs().faults_injected() != 1) {
        step.Fail(fmt::format("the {} at I/O #{} did not fire: the workload is not deterministic",
                              FaultClassName(fault), site.op));
        continue;
      }
      ctx.CountFault(fault);
      calls.Check(step, fault, site.role, Phase::kWorkload);
      ctx.CountCrashState();
      auto image = machine.PowerLossImage(faultfs::CrashPolicy::DropAll());
      const PrefixWindow durable = DefaultWindow(run.model);
      const OpenFault open{fault, site.role};
      switch (site.role) {
        case FileRole::kLog:
        case FileRole::kCheckpoint:
          // A commit acknowledged after the dropped write may have lived only in it; what
          // was durable before it must survive (a misdirected write that clobbered it
          // must be noticed).
          // No commit becomes less durable later: the model's durable prefix only grows.
          JF_ASSERT_LE(durable_before, durable.min);
          Judge(step, env, *image, Reopen::kSoftRecovery, open, run.model, PrefixWindow{durable_before, durable.max});
          break;
        case FileRole::kDatabase: {
          // Soft recovery may meet the stale or clobbered page (DbTimeTooOld, a page
          // verification error) or not: a page behind the checkpoint is read as valid, as
          // in ESE without a flush map, so its content is not judged here. A restore from
          // a backup taken before the write (instead of the recovery, whose undo would log
          // changes computed from the stale page) replaces the database and replays the
          // logs: it must reach every durable commit.
          Machine recovered(*image, faultfs::FaultPlan{}, env.op_budget);
          ReadBack read;
          AttemptReopen(step, env, recovered, Reopen::kSoftRecovery, open, &read);
          step.AddHash(recovered.fs().trace_hash());
          if (site.op >= backup.end_op) VerifyReopen(step, env, *image, Reopen::kRestore, run.model, durable);
          break;
        }
        case FileRole::kBackupSet:
          // The backup returned success, then the device damaged its set: restore must
          // notice, or restore every durable commit. Either way the instance's own files
          // still hold every durable commit.
          if (Judge(step, env, *image, Reopen::kRestore, open, run.model, durable) != ReopenOutcome::kOk) {
            VerifyReopen(step, env, *image, Reopen::kSoftRecovery, run.model, durable);
          }
          break;
        case FileRole::kAny: break;
      }
    }
  }
}

}  // namespace

Scenario LostWriteScenario() {
  return Scenario{
      "lost-write", "writes the device acknowledged and dropped or stored at another block",
      "A workload of each shape (a small page cache, so database pages are written mid-workload) takes a full "
      "backup halfway. One write of its database, log, checkpoint or backup set is acknowledged and then lost, "
      "or stored at the same position of another page-sized block of the file (misdirected); then the power "
      "fails. Every failed call must carry a code the error map allows. A log or checkpoint write: soft "
      "recovery must refuse, or show every commit durable before the write. A database write: soft recovery's "
      "codes are checked, and when the write came after the backup, a restore must reach every durable commit. "
      "A backup-set write: restore must refuse, or reach every durable commit (and after a refusal soft recovery "
      "still must).",
      8, RunLostWrite};
}

}  // namespace jetharness

// crash-workload and crash-restore: power loss at every I/O point.
#include <fmt/format.h>

#include "harness/core/hash.h"
#include "harness/engine/crash_points.h"
#include "harness/engine/scenarios.h"

namespace jetharness {

namespace {

void RunCrashWorkload(CaseContext& ctx) {
  // Cases 2s and 2s+1 run workload shape s (mod 4); odd cases with a tiny page cache:
  // dirty pages are evicted mid-workload, and one more survivor image keeps exactly
  // the database writes (write-ahead order).
  const WorkloadShape shape = ShapeOfCase(ctx.id().index / 2);
  Env env = MakeShapedEnv(ctx.seed(), shape);
  const bool tiny_cache = ctx.id().index % 2 == 1;
  // One page, except for the deep tree: a descent through three levels and a split
  // already hold more than a few pages, so 8 still evicts within every operation
  // while recovery stays affordable.
  if (tiny_cache) env.settings.cache_pages_max = shape == WorkloadShape::kDeepTree ? 8 : 1;
  auto setup = SetupDisk(env);
  WorkloadPlan plan;
  plan.inflight = true;
  std::vector<SurvivorPolicy> policies = tiny_cache ? EvictionSurvivorPolicies(ctx.seed()) : SurvivorPolicies(ctx.seed());
  const std::uint64_t per_point = policies.size();
  // A fault-free run numbers the I/O points (sampled beyond 100: crash_points.h).
  std::uint64_t ops = 0;
  {
    Machine dry(*setup, faultfs::FaultPlan{}, env.op_budget);
    RunWorkload(dry.fs(), env, plan, nullptr);
    ops = dry.fs().op_count();
  }
  const CrashSampling sampling(ops, per_point, ctx.seed());
  // Record once: the workload runs a single time, and before every I/O operation k the
  // disk is snapshotted (copy-on-write) with the window the model allows for a power
  // failure there. A power failure changes nothing the engine did before it, so each
  // snapshot is exactly the disk of a run that crashed before k.
  Machine machine(*setup, faultfs::FaultPlan{}, env.op_budget);
  WorkloadRun run;
  std::vector<CrashPoint> points;
  auto snapshot = [&](std::uint64_t op, std::uint64_t hash, FileRole role) {
    points.push_back(CrashPoint{op, hash, role,
                                PrefixWindow{run.model.MinPrefix(), run.model.MaxPrefixIfCrashedNow()},
                                machine.disk().Clone()});
  };
  machine.fs().set_before_op([&](const faultfs::TraceEvent& next, std::uint64_t hash) {
    if (next.index < ops && sampling.Wanted(ctx, next.index)) {
      snapshot(next.index, hash, ClassifyPath(env.settings.layout, next.path));
    }
  });
  RunWorkloadInto(machine.fs(), env, plan, nullptr, &run);
  machine.fs().set_before_op(nullptr);
  if (run.failure.failed()) {
    Step step(ctx, 0);
    step.Fail("the workload failed with no fault active: " + run.failure.ToString());
    return;
  }
  // k == ops: a power failure after the last operation (always checked).
  if (machine.fs().op_count() != ops) {
    Step step(ctx, 0);
    step.Fail(fmt::format("nondeterministic workload: {} I/O operations, then {}", ops, machine.fs().op_count()));
    return;
  }
  if (sampling.Wanted(ctx, ops)) snapshot(ops, machine.fs().trace_hash(), FileRole::kAny);
  for (CrashPoint& point : points) {
    for (std::uint64_t p = 0; p < per_point; ++p) {
      if (!ctx.WantStep(point.op * per_point + p)) continue;
      Step step(ctx, point.op * per_point + p);
      step.AddPlan(fmt::format("crash before I/O #{} of {} ({}); survivors: {}", point.op, ops,
                               FileRoleName(point.role), policies[p].name));
      step.AddHash(point.trace_hash);
      ctx.CountFault(FaultClass::kCrash);
      ctx.CountCrashState();
      auto image = SurvivorImage(env, *point.disk, policies[p]);
      VerifyReopen(step, env, *image, Reopen::kSoftRecovery, run.model, point.window);
    }
    point.disk.reset();  // the snapshots' blocks are released as the check goes on
  }
}

// A restore crashed at I/O point `r`: the survivor image after it, and what the
// crashed restore returned (checked against a step by CheckCrashedRestore).
struct CrashedRestore {
  std::unique_ptr<faultfs::MemFs> image;
  std::uint64_t trace_hash = 0;
  FailedCalls failed;
  FileRole role = FileRole::kAny;  // the file the interrupted operation was on
};

CrashedRestore CrashRestoreAt(const Env& env, const faultfs::MemFs& before, std::uint64_t r,
                              const faultfs::CrashPolicy& survivors, std::uint64_t seed) {
  Machine machine(before, OneRulePlan(seed, CrashRule(r)), env.op_budget);
  CrashedRestore crashed;
  {
    EngineInstance instance(&machine.fs(), env.settings, crashed.failed.Observer());
    instance.Restore(env.settings.layout.backup_dir);
  }
  crashed.role = RoleOfOp(env, machine, r);
  crashed.image = machine.PowerLossImage(survivors);
  crashed.trace_hash = machine.fs().trace_hash();
  return crashed;
}

// The crashed restore's codes must be those a vanished device explains; one crash state.
void CheckCrashedRestore(Step& step, const CrashedRestore& crashed) {
  crashed.failed.Check(step, FaultClass::kCrash, crashed.role, Phase::kRestore);
  step.ctx().CountFault(FaultClass::kCrash);
  step.ctx().CountCrashState();
  step.AddHash(crashed.trace_hash);
}

// Step 0: JetBackupInstance returned, then the power failed: the backup set must be
// durable, i.e. restorable, and reach every commit made before it.
void CheckBackupDurable(CaseContext& ctx, const Env& env, const Baseline& base, std::size_t backup_after) {
  if (!ctx.WantStep(0)) return;
  Step step(ctx, 0);
  step.AddPlan("power loss right after JetBackupInstance returned; survivors: drop-unsynced");
  Machine machine(*base.setup, faultfs::FaultPlan{}, env.op_budget);
  WorkloadPlan plan;
  plan.last = backup_after;
  plan.backup_after = backup_after;
  WorkloadRun run = RunWorkload(machine.fs(), env, plan, nullptr);
  step.AddHash(machine.fs().trace_hash());
  if (run.failure.failed() || !run.backup_done) {
    step.Fail("the workload up to the backup failed with no fault active: " + run.failure.ToString());
    return;
  }
  ctx.CountFault(FaultClass::kCrash);
  ctx.CountCrashState();
  auto image = machine.PowerLossImage(faultfs::CrashPolicy::DropAll());
  VerifyReopen(step, env, *image, Reopen::kRestore, run.model, DefaultWindow(run.model));
}

void RunCrashRestore(CaseContext& ctx) {
  Env env = MakeEnv(ctx.seed(), 6, 0);
  const std::size_t backup_after = 3;
  Baseline base = MakeBaseline(env, backup_after, false);
  CheckBackupDurable(ctx, env, base, backup_after);
  // With every log present a restore reaches at least every durable commit.
  PrefixWindow window{base.run.model.MinPrefix(), base.run.model.MaxPrefix()};
  std::string error;
  std::optional<std::uint64_t> counted = CountRestoreOps(env, *base.after, &error);
  if (!counted) {
    Step step(ctx, 1);
    step.Fail(error);
    return;
  }
  const std::uint64_t ops = *counted;
  std::vector<SurvivorPolicy> policies = SurvivorPolicies(ctx.seed());
  // Per crash point: one step per survivor policy, then one nested step (a second
  // crash inside the restore that follows, then a third, clean restore). Steps are
  // numbered from 1 (step 0 is the backup's durability).
  const std::uint64_t per_point = policies.size() + 1;
  for (std::uint64_t r = 0; r < ops; ++r) {
    for (std::uint64_t v = 0; v < per_point; ++v) {
      std::uint64_t index = 1 + r * per_point + v;
      if (!ctx.WantStep(index)) continue;
      Step step(ctx, index);
      bool nested = v == policies.size();
      const SurvivorPolicy& first = policies[nested ? 0 : v];
      CrashedRestore crashed = CrashRestoreAt(env, *base.after, r, first.policy, ctx.seed());
      CheckCrashedRestore(step, crashed);
      std::string plan = fmt::format("restore crashed before I/O #{} of {}; survivors: {}", r, ops, first.name);
      if (nested) {
        std::optional<std::uint64_t> ops2 = CountRestoreOps(env, *crashed.image, &error);
        if (!ops2) {
          step.Fail("after the first crash: " + error);
          continue;
        }
        std::uint64_t r2 = faultfs::SplitMix64::Derive(ctx.seed(), r).Uniform(*ops2);
        const SurvivorPolicy& second = policies[2];
        crashed = CrashRestoreAt(env, *crashed.image, r2, second.policy, ctx.seed() + 1);
        CheckCrashedRestore(step, crashed);
        plan += fmt::format("; the next restore crashed before I/O #{} of {}; survivors: {}", r2, *ops2, second.name);
      }
      step.AddPlan(plan);
      VerifyReopen(step, env, *crashed.image, Reopen::kRestore, base.run.model, window);
    }
  }
}

// crash-restore-nested: every pair of crash points, on a tiny database.
constexpr std::uint64_t kNestedParts = 8;
void RunCrashRestoreNested(CaseContext& ctx) {
  // Cases 8k .. 8k+7 share one workload (and survivor seeds) and split its first crash
  // points: case c takes r1 = c mod 8, + 8, ...; together they cover every pair.
  const CaseId& id = ctx.id();
  const std::uint64_t seed = CaseSeed(CaseId{id.scenario, id.seed, id.index / kNestedParts});
  const std::uint64_t part = id.index % kNestedParts;
  Env env = MakeEnv(seed, 2, 0);
  Baseline base = MakeBaseline(env, 1, false);
  const PrefixWindow window = base.Durable();
  std::string error;
  std::optional<std::uint64_t> counted = CountRestoreOps(env, *base.after, &error);
  if (!counted) {
    Step step(ctx, 0);
    step.Fail(error);
    return;
  }
  const std::uint64_t ops = *counted;
  // Steps of first crash point r1: r1 * stride + 0 restores once more after it; r1 *
  // stride + 1 + r2 crashes that restore before its I/O r2, then restores a third time.
  // A rerun does about what the first restore did: stride bounds it with room to spare.
  const std::uint64_t stride = 2 * ops + 64;
  const std::vector<SurvivorPolicy> policies = SurvivorPolicies(seed);
  for (std::uint64_t r1 = part; r1 < ops; r1 += kNestedParts) {
    bool wanted = false;
    for (std::uint64_t i = 0; i < stride && !wanted; ++i) wanted = ctx.WantStep(r1 * stride + i);
    if (!wanted) continue;
    const SurvivorPolicy& first = policies[r1 % policies.size()];
    CrashedRestore crashed = CrashRestoreAt(env, *base.after, r1, first.policy, seed);
    const std::string plan = fmt::format("restore crashed before I/O #{} of {}; survivors: {}", r1, ops, first.name);
    // How many I/O operations the rerun does (0: it failed, `error` says why).
    std::uint64_t ops2 = CountRestoreOps(env, *crashed.image, &error).value_or(0);
    if (ops2 >= stride) {
      error = fmt::format("the restore after a crash before I/O #{} does {} I/O operations, more than the {} this "
                          "scenario numbers (the first restore did {})",
                          r1, ops2, stride - 1, ops);
      ops2 = 0;
    }
    if (ctx.WantStep(r1 * stride)) {
      Step step(ctx, r1 * stride);
      step.AddPlan(plan);
      CheckCrashedRestore(step, crashed);
      if (ops2 == 0) step.Fail(error);
      VerifyReopen(step, env, *crashed.image, Reopen::kRestore, base.run.model, window);
    }
    if (ops2 == 0) {
      // Reported by step r1 * stride; a replay of one nested step reports it there.
      for (std::uint64_t i = 1; i < stride && !ctx.WantStep(r1 * stride); ++i) {
        if (!ctx.WantStep(r1 * stride + i)) continue;
        Step step(ctx, r1 * stride + i);
        step.AddPlan(plan);
        step.Fail(error);
      }
      continue;
    }
    for (std::uint64_t r2 = 0; r2 < ops2; ++r2) {
      const std::uint64_t index = r1 * stride + 1 + r2;
      if (!ctx.WantStep(index)) continue;
      Step step(ctx, index);
      const SurvivorPolicy& second = policies[(r1 + r2 + 1) % policies.size()];
      CheckCrashedRestore(step, crashed);
      CrashedRestore again = CrashRestoreAt(env, *crashed.image, r2, second.policy, seed + 1);
      CheckCrashedRestore(step, again);
      step.AddPlan(plan + fmt::format("; the next restore crashed before I/O #{} of {}; survivors: {}", r2, ops2,
                                      second.name));
      VerifyReopen(step, env, *again.image, Reopen::kRestore, base.run.model, window);
    }
  }
}

}  // namespace

Scenario CrashWorkloadScenario() {
  return Scenario{
      "crash-workload",
      "power loss at every I/O point of a seeded workload, four or five survivor images each, soft recovery",
      "A seeded workload (inserts, replaces, deletes, long values, lazy and durable commits, rollbacks, one "
      "transaction left in flight; shapes rotate by case pair: small, deep B-tree with page splits and emptied "
      "leaves, concurrent sessions with conflicts and savepoints over two databases, long values at page "
      "boundaries) runs once, recorded: before every I/O operation k the disk is snapshotted (copy-on-write) "
      "with the model's window for a power failure there, which is exactly what a run crashed before k leaves "
      "(workloads with more than 100 I/O points take every n-th from a seeded offset, so successive cases cover "
      "other points). "
      "Each of four survivor images (unsynced writes all dropped, "
      "all kept, a random subset, a random subset with torn sectors) is soft-recovered with JetInit. Odd cases "
      "run with a one-page cache (every operation evicts dirty pages) and a fifth image that keeps every "
      "unsynced database write and loses everything else: legal only if pages never reach the disk before "
      "their log records are synced (write-ahead). The "
      "recovered content must be a prefix of the commits containing every durable one.",
      32,
      RunCrashWorkload};
}

Scenario CrashRestoreScenario() {
  return Scenario{
      "crash-restore",
      "power loss at every I/O point of JetRestoreInstance, restore again (nested two levels)",
      "First, a power failure right after JetBackupInstance returned must leave a restorable backup set. Then, "
      "after a workload with a full backup in the middle, JetRestoreInstance runs once to number its I/O "
      "operations. For every operation r the restore crashes before r; each survivor image is restored again "
      "and must succeed with every durable commit present. A nested step crashes that second restore too (at a "
      "seeded point) before a third restore must succeed. Exhaustive over the first level on small databases.",
      3,
      RunCrashRestore};
}

Scenario CrashRestoreNestedScenario() {
  return Scenario{
      "crash-restore-nested",
      "power loss at every pair of I/O points of two successive restores (tiny database, exhaustive)",
      "A tiny workload (two transactions, a full backup after the first) is restored once to number its I/O "
      "operations. For every operation r1 the restore crashes before r1; the survivor image (the policies "
      "rotate with r1) is restored again once to completion, and once for every operation r2 of that second "
      "restore with a crash before r2 (survivor policies rotating again), after which a third restore must "
      "succeed with every durable commit present. Exhaustive over both levels: cases 8k to 8k+7 share one "
      "workload and each takes every eighth first crash point (case c from c mod 8 on) with every second one, so --cases 8 "
      "covers every pair (r1, r2); the default campaign runs two of the eight.",
      2,
      RunCrashRestoreNested};
}

}  // namespace jetharness

// crash-workload and crash-restore: power loss at every I/O point.
#include <fmt/format.h>

#include <functional>
#include <map>
#include <tuple>

#include "harness/core/hash.h"
#include "harness/engine/crash_points.h"
#include "harness/engine/scenarios.h"

namespace jetharness {

namespace {

// False for the operations that leave a MemFs exactly as it was (no byte, entry,
// pending operation or durable state changes).
bool MayChangeDisk(faultfs::OpKind op) {
  switch (op) {
    case faultfs::OpKind::kRead:
    case faultfs::OpKind::kSize:
    case faultfs::OpKind::kList:
    case faultfs::OpKind::kExists: return false;
    default: return true;
  }
}

// The survivor images a case has checked, with each check's outcome, found again by
// content and window (a check's outcome depends on nothing else: the workload's model
// is the case's).
class CheckedImages {
 public:
  struct Entry {
    std::unique_ptr<faultfs::MemFs> image;
    Step::Outcome outcome;
  };
  // The entry of an image equal to `image` checked in the same window (*fresh false),
  // or a new one holding `image` (*fresh true), whose outcome the caller's check fills.
  // Entries stay where they are for the rest of the case.
  Entry& FindOrAdd(std::unique_ptr<faultfs::MemFs> image, PrefixWindow window, bool* fresh) {
    const std::tuple<std::uint64_t, std::size_t, std::size_t> key{image->ImageHash(), window.min, window.max};
    auto [first, last] = entries_.equal_range(key);
    for (auto it = first; it != last; ++it) {
      if (it->second.image->SameImage(*image)) {
        *fresh = false;
        return it->second;
      }
    }
    *fresh = true;
    return entries_.emplace(key, Entry{std::move(image), {}})->second;
  }

 private:
  std::multimap<std::tuple<std::uint64_t, std::size_t, std::size_t>, Entry> entries_;
};

}  // namespace

void CheckEveryCrashPoint(CaseContext& ctx, const RecordedCrashes& c) {
  CrashPointRecorder recorder(c.policies.size(), ctx.seed());
  const std::uint64_t per_point = c.policies.size();
  // Record once: the run happens a single time, and before the I/O operations the
  // case checks (crash_points.h: at most 100, chosen as the run goes) the disk is
  // snapshotted (copy-on-write) with the window the model allows for a power failure
  // there. A power failure changes nothing the engine did before it, so each snapshot
  // is exactly the disk of a run that crashed before k.
  Machine machine(c.start, faultfs::FaultPlan{}, c.env.op_budget);
  machine.KeepTraceOnlyForPrinting();
  // Operations that may change the disk before each kept point: two points with as
  // many have byte-identical disks and pending operations (only reads, sizes, listings
  // and existence checks lie between them), hence identical survivor images.
  std::uint64_t changes = 0;
  std::map<std::uint64_t, std::uint64_t> changes_before;
  auto snapshot = [&](std::uint64_t op, std::uint64_t hash, FileRole role) {
    return CrashPoint{op, hash, role, c.window(), machine.disk().Clone()};
  };
  machine.fs().set_before_op([&](const faultfs::TraceEvent& next, std::uint64_t hash) {
    if (recorder.Offer(ctx, next.index)) {
      recorder.Keep(snapshot(next.index, hash, ClassifyPath(c.env.settings.layout, next.path)));
      changes_before[next.index] = changes;
    }
    if (MayChangeDisk(next.op)) ++changes;
  });
  const std::string failure = c.run(machine.fs());
  machine.fs().set_before_op(nullptr);
  if (!failure.empty()) {
    Step step(ctx, 0);
    step.Fail(fmt::format("the {} failed with no fault active: {}", c.what, failure));
    return;
  }
  const std::uint64_t ops = machine.fs().op_count();
  std::vector<CrashPoint> points = recorder.Take();
  // k == ops: a power failure after the last operation (always checked).
  if (recorder.Wanted(ctx, ops)) {
    points.push_back(snapshot(ops, machine.fs().trace_hash(), FileRole::kAny));
    changes_before[ops] = changes;
  }
  // Equal crash states are checked once; the others reuse that check's outcome
  // (Step::Reuse). A replay of one step runs it. Two ways to know they are equal: the
  // same disk and survivor policy (no image built), or, else, the same survivor image
  // (MemFs::SameImage: e.g. points between two syncs all lose the same unsynced writes);
  // and the same window.
  std::map<std::tuple<std::uint64_t, std::uint64_t, std::size_t, std::size_t>, const Step::Outcome*> checked;
  CheckedImages checked_images;
  // A snapshot says nothing about what the engine's calls return once the device is
  // gone: one point per case (the lowest ranked) also runs the crashed run through
  // and checks those codes against the error map.
  const std::optional<std::uint64_t> run_through = recorder.lowest();
  for (CrashPoint& point : points) {
    for (std::uint64_t p = 0; p < per_point; ++p) {
      if (!ctx.WantStep(recorder.Step(point.op, p))) continue;
      Step step(ctx, recorder.Step(point.op, p));
      step.AddPlan(fmt::format("crash before I/O #{} of {} ({}); survivors: {}", point.op, ops,
                               FileRoleName(point.role), c.policies[p].name));
      step.AddHash(point.trace_hash);
      ctx.CountFault(FaultClass::kCrash);
      ctx.CountCrashState();
      if (p == 0 && point.op == run_through) c.run_through(step, point.op, point.role);
      const auto key = std::make_tuple(changes_before.at(point.op), p, point.window.min, point.window.max);
      if (auto seen = checked.find(key); seen != checked.end()) {
        step.Reuse(*seen->second);
        ctx.CountDuplicateCrashState();
        continue;
      }
      bool fresh = false;
      CheckedImages::Entry& entry = checked_images.FindOrAdd(SurvivorImage(c.env, *point.disk, c.policies[p]),
                                                             point.window, &fresh);
      checked[key] = &entry.outcome;
      if (!fresh) {
        step.Reuse(entry.outcome);
        ctx.CountDuplicateCrashState();
        continue;
      }
      step.Capture(&entry.outcome);
      c.check(step, *entry.image, point.window);
      step.Capture(nullptr);
    }
    point.disk.reset();  // the snapshots' blocks are released as the check goes on
  }
}

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
  // The second round of the eight shape/cache combinations ends with a clean JetTerm
  // while the in-flight transactions are still open: it must undo them and flush every
  // commit (power loss inside it, and right after it returned, are crash points too).
  plan.clean_shutdown = (ctx.id().index / 8) % 2 == 1;
  WorkloadRun run;
  CheckEveryCrashPoint(ctx,
                       RecordedCrashes{"workload", env, *setup,
                                       tiny_cache ? EvictionSurvivorPolicies(ctx.seed()) : SurvivorPolicies(ctx.seed()),
                                       [&] { return CrashWindowNow(run.model); },
                                       [&](faultfs::Vfs& vfs) {
                                         RunWorkloadInto(vfs, env, plan, nullptr, &run);
                                         return run.failure.failed() ? run.failure.ToString() : std::string();
                                       },
                                       [&](Step& step, std::uint64_t op, FileRole role) {
                                         Machine crashed(*setup, OneRulePlan(ctx.seed(), CrashRule(op)), env.op_budget);
                                         FailedCalls failed;
                                         RunWorkload(crashed.fs(), env, plan, failed.Observer());
                                         failed.Check(step, FaultClass::kCrash, role, Phase::kWorkload);
                                         step.AddHash(crashed.fs().trace_hash());
                                       },
                                       [&](Step& step, const faultfs::MemFs& image, PrefixWindow window) {
                                         VerifyReopen(step, env, image, Reopen::kSoftRecovery, run.model, window);
                                       }});
}

// A restore crashed at I/O point `r`: the survivor image after it, and what the
// crashed restore returned (checked against a step by CheckCrashedRestore; empty when
// the image came from a recorded run, which did not crash).
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

// One fault-free restore of `image`, recorded (record once, crash_points.h): the disk
// before every I/O operation r that `wanted(r)` asks for, i.e. exactly what a restore
// crashed before r leaves; of those, the `max_points` of lowest rank (seeded by
// `seed`). `ops` is how many operations the restore did; `error` says why it failed
// when it did (no fault was active).
struct RecordedRestore {
  std::uint64_t ops = 0;
  std::map<std::uint64_t, CrashPoint> points;
  std::string error;
  // The disk (with its pending operations) the moment JetRestoreInstance returned.
  std::unique_ptr<faultfs::MemFs> returned;
};

RecordedRestore RecordRestore(const Env& env, const faultfs::MemFs& image,
                              const std::function<bool(std::uint64_t)>& wanted, std::uint64_t seed = 0,
                              std::uint64_t max_points = UINT64_MAX) {
  RecordedRestore recorded;
  CrashPointRecorder recorder(1, seed, max_points);
  Machine machine(image, faultfs::FaultPlan{}, env.op_budget);
  machine.KeepTraceOnlyForPrinting();
  machine.fs().set_before_op([&](const faultfs::TraceEvent& next, std::uint64_t hash) {
    if (!recorder.Offer(next.index, wanted(next.index))) return;
    recorder.Keep(CrashPoint{next.index, hash, ClassifyPath(env.settings.layout, next.path), PrefixWindow{},
                             machine.disk().Clone()});
  });
  EngineInstance instance(&machine.fs(), env.settings);
  if (instance.Restore(env.settings.layout.backup_dir) < 0) {
    recorded.error = "restore failed with no fault active: " + instance.failure().ToString();
  }
  machine.fs().set_before_op(nullptr);
  recorded.ops = machine.fs().op_count();
  recorded.returned = machine.disk().Clone();
  for (CrashPoint& point : recorder.Take()) recorded.points.emplace(point.op, std::move(point));
  return recorded;
}

// What a power failure before the recorded point leaves under `survivors`.
CrashedRestore CrashedFromRecord(const Env& env, const CrashPoint& point, const SurvivorPolicy& survivors) {
  CrashedRestore crashed;
  crashed.image = SurvivorImage(env, *point.disk, survivors);
  crashed.trace_hash = point.trace_hash;
  crashed.role = point.role;
  return crashed;
}

// The crashed restore's codes must be those a vanished device explains; one crash state.
void CheckCrashedRestore(Step& step, const CrashedRestore& crashed) {
  crashed.failed.Check(step, FaultClass::kCrash, crashed.role, Phase::kRestore);
  step.ctx().CountFault(FaultClass::kCrash);
  step.ctx().CountCrashState();
  step.AddHash(crashed.trace_hash);
}

// A recorded crash point says nothing about what the restore returns once the device
// is gone: one point per case also runs a restore crashed there, whose codes must be
// allowed (CheckCrashedRestore).
void CheckRestoreRunThrough(Step& step, const Env& env, const faultfs::MemFs& before, std::uint64_t r,
                            std::uint64_t seed) {
  CrashedRestore crashed = CrashRestoreAt(env, before, r, faultfs::CrashPolicy::DropAll(), seed);
  crashed.failed.Check(step, FaultClass::kCrash, crashed.role, Phase::kRestore);
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
  // After half of the transactions (3 of the default 6; --txns changes it).
  const std::size_t backup_after = env.spec.transactions.size() / 2;
  Baseline base = MakeBaseline(env, backup_after, false);
  CheckBackupDurable(ctx, env, base, backup_after);
  // With every log present a restore reaches at least every durable commit.
  PrefixWindow window{base.run.model.MinPrefix(), base.run.model.MaxPrefix()};
  std::vector<SurvivorPolicy> policies = SurvivorPolicies(ctx.seed());
  // Per crash point: one step per survivor policy, then one nested step (a second
  // crash inside the restore that follows, then a third, clean restore). Steps are
  // numbered from 1 (step 0 is the backup's durability).
  const std::uint64_t per_point = policies.size() + 1;
  auto wanted = [&](std::uint64_t r) {
    for (std::uint64_t v = 0; v < per_point; ++v) {
      if (ctx.WantStep(1 + r * per_point + v)) return true;
    }
    return false;
  };
  // Record once: the restore runs a single time, snapshotted before every operation.
  RecordedRestore recorded = RecordRestore(env, *base.after, wanted);
  if (!recorded.error.empty()) {
    Step step(ctx, 1);
    step.Fail(recorded.error);
    return;
  }
  const std::uint64_t ops = recorded.ops;
  const std::uint64_t run_through = faultfs::SplitMix64::Derive(ctx.seed(), 0xC0DE).Uniform(ops);
  for (auto& [r, point] : recorded.points) {
    if (r >= ops) break;  // the instance's own teardown, after the restore returned
    for (std::uint64_t v = 0; v < per_point; ++v) {
      std::uint64_t index = 1 + r * per_point + v;
      if (!ctx.WantStep(index)) continue;
      Step step(ctx, index);
      bool nested = v == policies.size();
      const SurvivorPolicy& first = policies[nested ? 0 : v];
      CrashedRestore crashed = CrashedFromRecord(env, point, first);
      CheckCrashedRestore(step, crashed);
      if (v == 0 && r == run_through) CheckRestoreRunThrough(step, env, *base.after, r, ctx.seed());
      std::string plan = fmt::format("restore crashed before I/O #{} of {}; survivors: {}", r, ops, first.name);
      if (nested) {
        // The second restore crashes before its operation of lowest seeded rank: one
        // snapshot held, chosen as it runs (its length is not known beforehand).
        const std::uint64_t rank_seed = faultfs::SplitMix64::Derive(ctx.seed(), r).Next();
        RecordedRestore again = RecordRestore(
            env, *crashed.image, [](std::uint64_t) { return true; }, rank_seed, 1);
        if (!again.error.empty() || again.points.empty()) {
          step.Fail("after the first crash: " + (again.error.empty() ? "the restore did no I/O" : again.error));
          continue;
        }
        const std::uint64_t r2 = again.points.begin()->first;
        const SurvivorPolicy& second = policies[2];
        crashed = CrashedFromRecord(env, again.points.at(r2), second);
        CheckCrashedRestore(step, crashed);
        plan += fmt::format("; the next restore crashed before I/O #{} of {}; survivors: {}", r2, again.ops,
                            second.name);
      }
      step.AddPlan(plan);
      VerifyReopen(step, env, *crashed.image, Reopen::kRestore, base.run.model, window);
    }
    point.disk.reset();
  }
  // Row r == ops: the power fails right after JetRestoreInstance returned success. What
  // it restored is durable then: soft recovery alone (no second restore, which would
  // mask an unsynced install) must reach every durable commit.
  for (std::uint64_t v = 0; v < policies.size(); ++v) {
    const std::uint64_t index = 1 + ops * per_point + v;
    if (!ctx.WantStep(index)) continue;
    Step step(ctx, index);
    step.AddPlan(
        fmt::format("power loss right after JetRestoreInstance returned (I/O #{}); survivors: {}; then "
                    "soft recovery",
                    ops, policies[v].name));
    ctx.CountFault(FaultClass::kCrash);
    ctx.CountCrashState();
    VerifyReopen(step, env, *SurvivorImage(env, *recorded.returned, policies[v]), Reopen::kSoftRecovery, base.run.model,
                 window);
  }
}

// crash-restore-nested: every pair of crash points, on a tiny database.
constexpr std::uint64_t kNestedParts = 8;
void RunCrashRestoreNested(CaseContext& ctx) {
  // Cases 8k .. 8k+7 share one workload (and survivor seeds) and split its first crash
  // points: case c takes r1 = c mod 8, + 8, ...; together they cover every pair.
  const CaseId& id = ctx.id();
  const std::uint64_t seed = CaseSeed(CaseId{id.scenario, id.seed, id.index / kNestedParts, id.size});
  const std::uint64_t part = id.index % kNestedParts;
  Env env = MakeEnv(seed, 2, 0);
  Baseline base = MakeBaseline(env, env.spec.transactions.size() / 2, false);
  const PrefixWindow window = base.Durable();
  // Steps of first crash point r1: r1 * stride + 0 restores once more after it; r1 *
  // stride + 1 + r2 crashes that restore before its I/O r2, then restores a third time.
  // A rerun does about what the first restore did: stride bounds it with room to spare.
  // Record once: the first restore runs once, snapshotted before each first crash
  // point of this case; after each, the second restore once, snapshotted before every
  // operation. A replay of one step needs the stride to know its r1 before recording:
  // only it counts the first restore's operations first.
  auto stride_of = [](std::uint64_t first_ops) { return 2 * first_ops + 64; };
  std::optional<std::uint64_t> replay_stride;
  std::string error;
  if (ctx.single_step()) {
    std::optional<std::uint64_t> counted = CountRestoreOps(env, *base.after, &error);
    if (counted) replay_stride = stride_of(*counted);
  }
  auto wanted_r1 = [&](std::uint64_t r1) {
    if (r1 % kNestedParts != part) return false;
    if (!replay_stride) return true;
    for (std::uint64_t i = 0; i < *replay_stride; ++i) {
      if (ctx.WantStep(r1 * *replay_stride + i)) return true;
    }
    return false;
  };
  RecordedRestore first_run = RecordRestore(env, *base.after, wanted_r1);
  if (!first_run.error.empty()) {
    Step step(ctx, 0);
    step.Fail(first_run.error);
    return;
  }
  const std::uint64_t ops = first_run.ops;
  const std::uint64_t stride = stride_of(ops);
  if (replay_stride && *replay_stride != stride) {
    Step step(ctx, 0);
    step.Fail(fmt::format("nondeterministic restore: {} I/O operations, then {}", (*replay_stride - 64) / 2, ops));
    return;
  }
  const std::vector<SurvivorPolicy> policies = SurvivorPolicies(seed);
  // The first of this case's points also runs its crashed restores through (codes).
  const std::uint64_t run_through = part;
  for (auto& first_point : first_run.points) {
    const std::uint64_t r1 = first_point.first;  // a plain name: the lambda below captures it
    CrashPoint& point = first_point.second;
    const SurvivorPolicy& first = policies[r1 % policies.size()];
    CrashedRestore crashed = CrashedFromRecord(env, point, first);
    point.disk.reset();
    const std::string plan = fmt::format("restore crashed before I/O #{} of {}; survivors: {}", r1, ops, first.name);
    RecordedRestore second_run = RecordRestore(
        env, *crashed.image, [&](std::uint64_t r2) { return r2 + 1 < stride && ctx.WantStep(r1 * stride + 1 + r2); });
    // How many I/O operations the rerun does (0: it failed, `error` says why).
    std::uint64_t ops2 = second_run.error.empty() ? second_run.ops : 0;
    error = second_run.error;
    if (ops2 >= stride) {
      error = fmt::format(
          "the restore after a crash before I/O #{} does {} I/O operations, more than the {} this "
          "scenario numbers (the first restore did {})",
          r1, ops2, stride - 1, ops);
      ops2 = 0;
    }
    if (ctx.WantStep(r1 * stride)) {
      Step step(ctx, r1 * stride);
      step.AddPlan(plan);
      CheckCrashedRestore(step, crashed);
      if (r1 == run_through) CheckRestoreRunThrough(step, env, *base.after, r1, seed);
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
    for (auto& [r2, point2] : second_run.points) {
      if (r2 >= ops2) break;
      const std::uint64_t index = r1 * stride + 1 + r2;
      Step step(ctx, index);
      const SurvivorPolicy& second = policies[(r1 + r2 + 1) % policies.size()];
      CheckCrashedRestore(step, crashed);
      CrashedRestore again = CrashedFromRecord(env, point2, second);
      point2.disk.reset();
      CheckCrashedRestore(step, again);
      if (r1 == run_through && r2 == faultfs::SplitMix64::Derive(seed, r1).Uniform(ops2)) {
        CheckRestoreRunThrough(step, env, *crashed.image, r2, seed + 1);
      }
      step.AddPlan(
          plan + fmt::format("; the next restore crashed before I/O #{} of {}; survivors: {}", r2, ops2, second.name));
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
      "boundaries; cases 8-15 of every 16 end with a clean JetTerm while the in-flight transaction is open, "
      "which must undo it and make every commit durable) runs once, recorded: before every I/O operation k the "
      "disk is snapshotted (copy-on-write) "
      "with the model's window for a power failure there, which is exactly what a run crashed before k leaves "
      "(at most 100 points a case, the lowest of a seeded rank, chosen as the run goes, so successive cases "
      "cover other points; one of them also runs the crashed workload through to check the codes its calls "
      "return; equal crash states are checked once). "
      "Each of four survivor images (unsynced writes all dropped, "
      "all kept, a random subset, a random subset with torn sectors) is soft-recovered with JetInit. Odd cases "
      "run with a one-page cache (every operation evicts dirty pages) and a fifth image that keeps every "
      "unsynced database write and loses everything else: legal only if pages never reach the disk before "
      "their log records are synced (write-ahead). The "
      "recovered content must be a prefix of the commits containing every durable one.",
      32, RunCrashWorkload};
}

Scenario CrashRestoreScenario() {
  return Scenario{
      "crash-restore", "power loss at every I/O point of JetRestoreInstance, restore again (nested two levels)",
      "First, a power failure right after JetBackupInstance returned must leave a restorable backup set. Then, "
      "after a workload with a full backup in the middle, JetRestoreInstance runs once, recorded: the disk "
      "before each I/O operation r is what a restore crashed before r leaves (one r a case is also run through "
      "crashed, to check the codes the restore returns). Each survivor image is restored again "
      "and must succeed with every durable commit present. A nested step crashes that second restore too (at a "
      "seeded point) before a third restore must succeed. Exhaustive over the first level on small databases. "
      "Last, a power failure right after JetRestoreInstance returned (each survivor image): what it restored "
      "must be durable, so soft recovery alone must reach every durable commit.",
      3, RunCrashRestore};
}

Scenario CrashRestoreNestedScenario() {
  return Scenario{
      "crash-restore-nested",
      "power loss at every pair of I/O points of two successive restores (tiny database, exhaustive)",
      "A tiny workload (two transactions, a full backup after the first) is restored once, recorded. For every "
      "operation r1 the restore crashes before r1 (the disk recorded there); the survivor image (the policies "
      "rotate with r1) is restored again once to completion, recorded too, and for every operation r2 of that "
      "second restore a crash before r2 (survivor policies rotating again) is followed by a third restore that must "
      "succeed with every durable commit present. Exhaustive over both levels: cases 8k to 8k+7 share one "
      "workload and each takes every eighth first crash point (case c from c mod 8 on) with every second one, so --cases 8 "
      "covers every pair (r1, r2); the default campaign runs two of the eight.",
      2, RunCrashRestoreNested};
}

}  // namespace jetharness

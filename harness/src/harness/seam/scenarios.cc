#include "harness/seam/scenarios.h"

#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "harness/engine/crash_points.h"
#include "harness/engine/scenarios.h"
#include "jetfault/assert.h"

namespace jetharness {

WorkloadConfig SeamWorkloadConfig(const CaseContext& ctx) {
  WorkloadConfig w;
  w.seed = ctx.seed();
  w.transactions = 8;
  w.max_ops_per_transaction = 4;
  w.inflight_transactions = 1;
  if (ctx.id().index % 2 == 1) {
    w.transactions = 10;
    w.max_ops_per_transaction = 12;
    w.long_value_per_million = 150'000;
    w.long_value_bytes = 6'000;
  }
  CurrentWorkloadSize().ApplyTo(&w);  // --txns and the like
  return w;
}

namespace {

// One run of the workload on a machine, the model filled as it goes (a before-op hook
// may read it). The process dies at the end: the machine is fenced (CrashNow) before
// the engine is freed, so nothing it does then reaches the disk; `ops` counts the
// operations before the fence.
struct SeamRun {
  Model model;
  EngineResult failure;
  std::uint64_t ops = 0;
};

void RunSeamWorkload(Machine& machine, const SeamEnv& env, SeamRun* run,
                     const std::function<void()>& before_fence = nullptr) {
  std::unique_ptr<EngineUnderTest> engine = env.make();
  run->model.SetBase(PreloadState(env.spec));
  run->failure = engine->Open(&machine.fs(), env.spec, false);
  if (run->failure.ok()) run->failure = RunSpec(*engine, env.spec, true, &run->model);
  run->ops = machine.fs().op_count();
  if (before_fence) before_fence();
  machine.fs().CrashNow();
  engine->Abandon();
}

// Opens, reads and closes once; "" or what went wrong.
std::string OpenReadClose(const SeamEnv& env, Machine& machine, DbState* state) {
  std::unique_ptr<EngineUnderTest> engine = env.make();
  EngineResult r = engine->Open(&machine.fs(), env.spec, false);
  if (r.ok()) r = engine->Scan(env.spec, state);
  if (!r.ok()) {
    engine->Abandon();
    return r.ToString();
  }
  r = engine->Close();
  return r.ok() ? "" : r.ToString();
}

}  // namespace

std::unique_ptr<faultfs::MemFs> SeamSetupDisk(const SeamEnv& env) {
  faultfs::MemFs empty;
  if (!MakeDirsDurable(empty, env.data_dir).ok()) throw std::runtime_error("cannot make " + env.data_dir);
  Machine machine(empty, faultfs::FaultPlan{}, env.op_budget);
  std::unique_ptr<EngineUnderTest> engine = env.make();
  EngineResult r = engine->Open(&machine.fs(), env.spec, true);
  if (r.ok()) r = RunPreload(*engine, env.spec);
  if (r.ok()) r = engine->Close();
  if (!r.ok()) {
    engine->Abandon();
    throw std::runtime_error("creating the store failed with no fault active: " + r.ToString());
  }
  // A clean shutdown, then everything the OS holds reaches the disk.
  return machine.disk().CrashImage(faultfs::CrashPolicy::KeepAll());
}

namespace {

// SeamVerifyReopen; with `restored`, the image is what a power loss left after Restore
// returned, so content beyond the backup's window is the restore itself undone.
void VerifyReopen(Step& step, const SeamEnv& env, const faultfs::MemFs& image, const Model& model, PrefixWindow window,
                  bool restored) {
  Machine machine(image, faultfs::FaultPlan{}, env.op_budget);
  DbState first;
  std::string problem = OpenReadClose(env, machine, &first);
  if (!problem.empty()) {
    step.Fail("reopen after the crash: " + problem);
  } else {
    StateCheck check = CheckState(model, first, window);
    if (!check.ok()) {
      step.Fail(restored && check.verdict == StateVerdict::kBeyondWindow
                    ? "lost-durable-commit: a power loss undid the restore after Restore returned: " + check.explanation
                    : check.explanation);
    } else {
      DbState second;
      problem = OpenReadClose(env, machine, &second);
      if (!problem.empty()) {
        step.Fail("second open after a clean close: " + problem);
      } else if (second != first) {
        step.Fail("the content changed across a clean close and open: " +
                  CheckState(model, second, PrefixWindow{0, model.MaxPrefix()}).explanation);
      }
    }
  }
  if (machine.hung()) step.Fail(fmt::format("hang: more than {} I/O operations while reopening", env.op_budget));
  step.AddHash(machine.fs().trace_hash());
}

}  // namespace

void SeamVerifyReopen(Step& step, const SeamEnv& env, const faultfs::MemFs& image, const Model& model,
                      PrefixWindow window) {
  VerifyReopen(step, env, image, model, window, false);
}

namespace {

void CrashCase(CaseContext& ctx, const SeamEnv& env) {
  std::unique_ptr<faultfs::MemFs> setup = SeamSetupDisk(env);
  const std::vector<SurvivorPolicy> policies = SurvivorPolicies(ctx.seed());
  std::uint64_t ops = 0;
  {
    Machine dry(*setup, faultfs::FaultPlan{}, env.op_budget);
    SeamRun run;
    RunSeamWorkload(dry, env, &run);
    ops = run.ops;
  }
  const CrashSampling sampling(ops, policies.size(), ctx.seed());
  // Record once (crash_points.h): a snapshot before every wanted operation.
  Machine machine(*setup, faultfs::FaultPlan{}, env.op_budget);
  SeamRun run;
  std::vector<CrashPoint> points;
  auto snapshot = [&](std::uint64_t op, std::uint64_t hash) {
    points.push_back(CrashPoint{op, hash, FileRole::kAny, CrashWindowNow(run.model), machine.disk().Clone()});
  };
  machine.fs().set_before_op([&](const faultfs::TraceEvent& next, std::uint64_t hash) {
    if (next.index < ops && sampling.Wanted(ctx, next.index)) snapshot(next.index, hash);
  });
  RunSeamWorkload(machine, env, &run, [&] {
    machine.fs().set_before_op(nullptr);
    if (run.ops == ops && sampling.Wanted(ctx, ops)) snapshot(ops, machine.fs().trace_hash());
  });
  if (!run.failure.ok() || run.ops != ops) {
    Step step(ctx, 0);
    step.Fail(run.failure.ok() ? fmt::format("nondeterministic workload: {} I/O operations, then {}", ops, run.ops)
                               : "the workload failed with no fault active: " + run.failure.ToString());
    return;
  }
  for (CrashPoint& point : points) {
    for (std::uint64_t p = 0; p < policies.size(); ++p) {
      if (!ctx.WantStep(sampling.Step(point.op, p))) continue;
      Step step(ctx, sampling.Step(point.op, p));
      step.AddPlan(fmt::format("crash before I/O #{} of {}; survivors: {}", point.op, ops, policies[p].name));
      step.AddHash(point.trace_hash);
      ctx.CountFault(FaultClass::kCrash);
      ctx.CountCrashState();
      std::unique_ptr<faultfs::MemFs> image = point.disk->CrashImage(policies[p].policy);
      SeamVerifyReopen(step, env, *image, run.model, point.window);
    }
    point.disk.reset();
  }
}

void IoErrorCase(CaseContext& ctx, const SeamEnv& env) {
  std::unique_ptr<faultfs::MemFs> setup = SeamSetupDisk(env);
  std::uint64_t ops = 0;
  std::vector<std::string> paths;  // of each I/O operation: the file a fault on it hits
  {
    Machine dry(*setup, faultfs::FaultPlan{}, env.op_budget);
    SeamRun run;
    RunSeamWorkload(dry, env, &run);
    if (!run.failure.ok()) {
      Step step(ctx, 0);
      step.Fail("the workload failed with no fault active: " + run.failure.ToString());
      return;
    }
    ops = run.ops;
    for (const faultfs::TraceEvent& e : dry.fs().trace()) paths.push_back(e.path);
    paths.resize(ops);
  }
  struct Fault {
    FaultClass fault;
    faultfs::ErrorCode error;
  };
  const Fault faults[] = {{FaultClass::kIoError, faultfs::ErrorCode::kIoError},
                          {FaultClass::kDiskFull, faultfs::ErrorCode::kDiskFull}};
  const SurvivorPolicy images[] = {{"drop-unsynced", faultfs::CrashPolicy::DropAll()},
                                   {"keep-unsynced", faultfs::CrashPolicy::KeepAll()}};
  // Steps (k * 2 + fault) * 2 + image; the point after the last operation has no fault.
  const CrashSampling sampling(ops, 4, ctx.seed());
  for (std::uint64_t k = 0; k < ops; ++k) {
    if (!sampling.Wanted(ctx, k)) continue;
    for (std::uint64_t f = 0; f < 2; ++f) {
      if (!ctx.WantStep(sampling.Step(k, f * 2)) && !ctx.WantStep(sampling.Step(k, f * 2 + 1))) continue;
      // fsyncgate: a failed sync also drops the dirty data it covered.
      Machine machine(*setup, OneRulePlan(ctx.seed(), FailRule(k, faults[f].error, true)), env.op_budget);
      SeamRun run;
      std::unique_ptr<faultfs::MemFs> after[2];
      RunSeamWorkload(machine, env, &run, [&] {
        for (int i = 0; i < 2; ++i) after[i] = machine.PowerLossImage(images[i].policy);
      });
      std::unique_ptr<EngineUnderTest> judge = env.make();
      for (std::uint64_t i = 0; i < 2; ++i) {
        const std::uint64_t index = sampling.Step(k, f * 2 + i);
        if (!ctx.WantStep(index)) continue;
        Step step(ctx, index);
        step.AddPlan(fmt::format("{} on I/O #{} of {}, then power loss; survivors: {}", FaultClassName(faults[f].fault),
                                 k, ops, images[i].name));
        step.AddHash(machine.fs().trace_hash());
        ctx.CountFault(faults[f].fault);
        ctx.CountCrashState();
        if (!run.failure.ok()) {
          std::string violation = judge->CodeViolation(faults[f].fault, paths[k], run.failure);
          if (!violation.empty()) step.Fail(run.failure.call + ": " + violation);
        }
        SeamVerifyReopen(step, env, *after[i], run.model, CrashWindowNow(run.model));
      }
    }
  }
}

// ---- backup, crash, restore -------------------------------------------------------------

// One run of the backup scenario's workload: the first half of the transactions,
// Backup, the rest, a clean close (Abandon after a failure). `around_backup(true)` runs
// just before Backup is called, `around_backup(false)` just after it returned.
struct BackupRun {
  Model model;
  EngineResult failure;
  std::size_t backed_up = 0;       // commits before Backup was called: the backup's prefix
  std::uint64_t backup_begin = 0;  // operations before Backup
  std::uint64_t backup_end = 0;    // operations when it returned
};

void RunBackupWorkload(Machine& machine, const SeamEnv& env, BackupRun* run,
                       const std::function<void(bool)>& around_backup = nullptr) {
  const std::size_t half = env.spec.transactions.size() / 2;
  WorkloadSpec before = env.spec;
  before.transactions.resize(half);
  WorkloadSpec after = env.spec;
  after.transactions.erase(after.transactions.begin(), after.transactions.begin() + static_cast<std::ptrdiff_t>(half));
  std::unique_ptr<EngineUnderTest> engine = env.make();
  run->model.SetBase(PreloadState(env.spec));
  run->failure = engine->Open(&machine.fs(), env.spec, false);
  if (run->failure.ok()) run->failure = RunSpec(*engine, before, false, &run->model);
  if (run->failure.ok()) {
    run->backed_up = run->model.CommitCount();
    run->backup_begin = machine.fs().op_count();
    if (around_backup) around_backup(true);
    run->failure = engine->Backup(env.backup_dir);
    run->backup_end = machine.fs().op_count();
    if (around_backup) around_backup(false);
  }
  if (run->failure.ok()) run->failure = RunSpec(*engine, after, false, &run->model);
  if (run->failure.ok()) {
    run->failure = engine->Close();
  } else {
    machine.fs().CrashNow();
    engine->Abandon();
  }
}

// Restore on a copy of `image`; the machine it ran on, for what it left.
EngineResult RestoreOn(const SeamEnv& env, Machine& machine) {
  return env.make()->Restore(&machine.fs(), env.backup_dir);
}

// A power loss during Backup (or after it returned: `acknowledged`) left `image`.
void CheckBackupImage(Step& step, const SeamEnv& env, const faultfs::MemFs& image, const Model& model,
                      PrefixWindow store_window, PrefixWindow backup_window, bool acknowledged) {
  Machine machine(image, faultfs::FaultPlan{}, env.op_budget);
  const EngineResult r = RestoreOn(env, machine);
  step.AddHash(machine.fs().trace_hash());
  if (machine.hung()) {
    step.Fail(fmt::format("hang: more than {} I/O operations while restoring", env.op_budget));
    return;
  }
  std::unique_ptr<faultfs::MemFs> after = machine.disk().CrashImage(faultfs::CrashPolicy::KeepAll());
  if (r.ok()) {
    VerifyReopen(step, env, *after, model, backup_window, false);
  } else if (acknowledged) {
    step.Fail("lost-durable-commit: Backup had returned, and after the power loss Restore refuses the backup: " +
              r.ToString());
  } else {
    // Refused before it touched the store: the store recovers as the workload left it.
    VerifyReopen(step, env, *after, model, store_window, false);
  }
}

// A power loss during Restore left `image`: Restore run again must give the backup.
void CheckRestoreRerun(Step& step, const SeamEnv& env, const faultfs::MemFs& image, const Model& model,
                       PrefixWindow backup_window) {
  Machine machine(image, faultfs::FaultPlan{}, env.op_budget);
  const EngineResult r = RestoreOn(env, machine);
  step.AddHash(machine.fs().trace_hash());
  if (machine.hung()) {
    step.Fail(fmt::format("hang: more than {} I/O operations while restoring again", env.op_budget));
  } else if (!r.ok()) {
    step.Fail("the rerun of an interrupted Restore failed: " + r.ToString());
  } else {
    VerifyReopen(step, env, *machine.disk().CrashImage(faultfs::CrashPolicy::KeepAll()), model, backup_window, false);
  }
}

void BackupCase(CaseContext& ctx, const SeamEnv& env) {
  std::unique_ptr<faultfs::MemFs> setup = SeamSetupDisk(env);
  const std::vector<SurvivorPolicy> policies = SurvivorPolicies(ctx.seed());
  // Dry runs: the operations of Backup and of a Restore of the final disk.
  BackupRun dry;
  std::unique_ptr<faultfs::MemFs> restore_base;
  {
    Machine machine(*setup, faultfs::FaultPlan{}, env.op_budget);
    RunBackupWorkload(machine, env, &dry);
    if (!dry.failure.ok()) {
      Step step(ctx, 0);
      step.Fail("the workload or its backup failed with no fault active: " + dry.failure.ToString());
      return;
    }
    restore_base = machine.disk().CrashImage(faultfs::CrashPolicy::KeepAll());
  }
  std::uint64_t restore_ops = 0;
  {
    Machine machine(*restore_base, faultfs::FaultPlan{}, env.op_budget);
    const EngineResult r = RestoreOn(env, machine);
    if (!r.ok()) {
      Step step(ctx, 0);
      step.Fail("the restore failed with no fault active: " + r.ToString());
      return;
    }
    restore_ops = machine.fs().op_count();
  }
  // Points 0..backup_ops: before Backup's operation k, backup_ops after it returned;
  // then restore_first + j: before the Restore's operation j, j = restore_ops after it
  // returned. The two acknowledged points are always checked.
  const std::uint64_t backup_ops = dry.backup_end - dry.backup_begin;
  const std::uint64_t restore_first = backup_ops + 1;
  const CrashSampling sampling(restore_first + restore_ops, policies.size(), ctx.seed());
  auto wanted = [&](std::uint64_t k) {
    if (sampling.Wanted(ctx, k)) return true;
    if (k != backup_ops) return false;
    for (std::uint64_t p = 0; p < policies.size(); ++p) {
      if (ctx.WantStep(sampling.Step(k, p))) return true;
    }
    return false;
  };
  const PrefixWindow backup_window{dry.backed_up, dry.backed_up};

  // Record once: the disk before every wanted operation of Backup, and after it.
  Machine machine(*setup, faultfs::FaultPlan{}, env.op_budget);
  BackupRun run;
  std::vector<CrashPoint> points;
  auto snapshot = [&](std::uint64_t k, std::uint64_t hash) {
    points.push_back(CrashPoint{k, hash, FileRole::kAny, CrashWindowNow(run.model), machine.disk().Clone()});
  };
  bool in_backup = false;
  machine.fs().set_before_op([&](const faultfs::TraceEvent& next, std::uint64_t hash) {
    if (!in_backup) return;
    const std::uint64_t k = next.index - run.backup_begin;
    if (k < backup_ops && wanted(k)) snapshot(k, hash);
  });
  RunBackupWorkload(machine, env, &run, [&](bool starting) {
    in_backup = starting;
    if (!starting && run.failure.ok() && run.backup_end - run.backup_begin == backup_ops && wanted(backup_ops)) {
      snapshot(backup_ops, machine.fs().trace_hash());
    }
  });
  machine.fs().set_before_op(nullptr);
  // Record once: the disk before every wanted operation of the Restore, and after it.
  Machine restorer(*restore_base, faultfs::FaultPlan{}, env.op_budget);
  restorer.fs().set_before_op([&](const faultfs::TraceEvent& next, std::uint64_t hash) {
    if (next.index < restore_ops && wanted(restore_first + next.index)) {
      points.push_back(
          CrashPoint{restore_first + next.index, hash, FileRole::kAny, backup_window, restorer.disk().Clone()});
    }
  });
  const EngineResult restored = RestoreOn(env, restorer);
  restorer.fs().set_before_op(nullptr);
  if (!run.failure.ok() || run.backup_begin != dry.backup_begin || run.backup_end != dry.backup_end || !restored.ok() ||
      restorer.fs().op_count() != restore_ops) {
    Step step(ctx, 0);
    step.Fail(
        fmt::format("nondeterministic run: Backup at I/O #{}-{}, then #{}-{}; restore {} I/O operations, then "
                    "{} ({}, {})",
                    dry.backup_begin, dry.backup_end, run.backup_begin, run.backup_end, restore_ops,
                    restorer.fs().op_count(), run.failure.ToString(), restored.ToString()));
    return;
  }
  if (wanted(restore_first + restore_ops)) {
    points.push_back(CrashPoint{restore_first + restore_ops, restorer.fs().trace_hash(), FileRole::kAny, backup_window,
                                restorer.disk().Clone()});
  }

  for (CrashPoint& point : points) {
    const bool in_restore = point.op >= restore_first;
    for (std::uint64_t p = 0; p < policies.size(); ++p) {
      if (!ctx.WantStep(sampling.Step(point.op, p))) continue;
      Step step(ctx, sampling.Step(point.op, p));
      const std::string moment = !in_restore
                                     ? (point.op == backup_ops ? "power loss after Backup returned"
                                                               : fmt::format("Backup crashed before its I/O #{} of {}",
                                                                             point.op, backup_ops))
                                 : point.op == restore_first + restore_ops
                                     ? std::string("power loss after Restore returned")
                                     : fmt::format("Restore crashed before its I/O #{} of {}, then run again",
                                                   point.op - restore_first, restore_ops);
      step.AddPlan(fmt::format("{} (the backup holds {} of {} commits); survivors: {}", moment, dry.backed_up,
                               run.model.CommitCount(), policies[p].name));
      step.AddHash(point.trace_hash);
      ctx.CountFault(FaultClass::kCrash);
      ctx.CountCrashState();
      std::unique_ptr<faultfs::MemFs> image = point.disk->CrashImage(policies[p].policy);
      if (!in_restore) {
        CheckBackupImage(step, env, *image, run.model, point.window, backup_window, point.op == backup_ops);
      } else if (point.op == restore_first + restore_ops) {
        VerifyReopen(step, env, *image, run.model, backup_window, true);
      } else {
        CheckRestoreRerun(step, env, *image, run.model, backup_window);
      }
    }
    point.disk.reset();
  }
}

// ---- shrinking ------------------------------------------------------------------------

// The violation class of a failure: its text up to the first colon (the oracle's
// verdict, e.g. "lost-durable-commit", or "reopen after the crash", "Commit").
std::string ViolationClass(const std::string& what) { return what.substr(0, what.find(':')); }

// The workload of a shrunk variant: the first `transactions` of env's, the in-flight
// one only if `inflight`.
SeamEnv Truncated(const SeamEnv& env, const ShrunkVariant& v) {
  SeamEnv out = env;
  out.spec.transactions.resize(std::min(out.spec.transactions.size(), v.transactions));
  if (!v.inflight) out.spec.inflight.clear();
  out.spec.inflight_begin_after = std::min(out.spec.inflight_begin_after, out.spec.transactions.size());
  return out;
}

}  // namespace

// A failing case is shrunk per violation class: the variants (fewer transactions
// first; for each count, without the in-flight transaction, then with it) run in a
// context of their own until one fails with that class; its earliest failing step of
// that class becomes the replay line (ShrunkStep). Only failing cases pay for this: a
// passing campaign runs no variant.
void RunShrinking(CaseContext& ctx, const SeamEnv& env, const SeamCase& run) {
  if (std::optional<std::uint64_t> only = ctx.only_step(); only && ParseShrunkStep(*only)) {
    const ShrunkStepParts parts = *ParseShrunkStep(*only);
    ErrMapCoverage coverage;
    CaseContext inner(ctx.id(), parts.inner_step, &coverage);
    run(inner, Truncated(env, parts.variant));
    const CaseResult result = inner.TakeResult();
    ctx.EndStep(*only, result.trace_hash);
    for (const Failure& f : result.failures) ctx.Fail(*only, f.what, f.fault_plan, f.trace_hash);
    return;
  }
  run(ctx, env);
  if (ctx.single_step() || ctx.result().passed()) return;
  std::vector<std::string> classes;
  for (const Failure& f : ctx.result().failures) {
    const std::string c = ViolationClass(f.what);
    if (std::find(classes.begin(), classes.end(), c) == classes.end()) classes.push_back(c);
  }
  const std::size_t total = env.spec.transactions.size();
  for (const std::string& wanted : classes) {
    std::optional<Failure> found;
    ShrunkVariant variant;
    for (std::size_t t = 0; t <= total && !found; ++t) {
      for (bool inflight : {false, true}) {
        if (inflight && env.spec.inflight.empty()) continue;
        variant = ShrunkVariant{t, inflight};
        ErrMapCoverage coverage;
        CaseContext attempt(ctx.id(), std::nullopt, &coverage);
        run(attempt, Truncated(env, variant));
        for (const Failure& f : attempt.result().failures) {
          if (ViolationClass(f.what) == wanted && (!found || f.step < found->step)) found = f;
        }
        if (found) break;
      }
    }
    if (!found) continue;  // only the whole case fails so: nothing smaller to offer
    const std::string replay = ReplayCommand(ctx.id(), ShrunkStep(variant, found->step));
    const std::string note = fmt::format("{} of {} transactions{}, step {}: {}", variant.transactions, total,
                                         env.spec.inflight.empty() ? ""
                                         : variant.inflight        ? ", one in flight"
                                                                   : ", none in flight",
                                         found->step, found->fault_plan);
    for (std::size_t i = 0; i < ctx.result().failures.size(); ++i) {
      if (ViolationClass(ctx.result().failures[i].what) == wanted) ctx.SetShrunk(i, replay, note);
    }
  }
}

std::uint64_t ShrunkStep(const ShrunkVariant& variant, std::uint64_t inner_step) {
  JF_ASSERT_LT(inner_step, kShrinkStepBase);
  return kShrinkStepBase * (1 + 2 * variant.transactions + (variant.inflight ? 1 : 0)) + inner_step;
}

std::optional<ShrunkStepParts> ParseShrunkStep(std::uint64_t step) {
  if (step < kShrinkStepBase) return std::nullopt;
  const std::uint64_t v = step / kShrinkStepBase - 1;
  return ShrunkStepParts{ShrunkVariant{v / 2, v % 2 == 1}, step % kShrinkStepBase};
}

void RunSeamCrash(CaseContext& ctx, const SeamEnv& env) { RunShrinking(ctx, env, CrashCase); }

void RunSeamIoError(CaseContext& ctx, const SeamEnv& env) { RunShrinking(ctx, env, IoErrorCase); }

void RunSeamBackup(CaseContext& ctx, const SeamEnv& env) {
  JF_ASSERT(env.make()->SupportsBackup());
  // The backup is of committed transactions: one left in flight would play no part, so
  // the shrinker's variants need not try it.
  SeamEnv committed = env;
  committed.spec.inflight.clear();
  RunShrinking(ctx, committed, BackupCase);
}

}  // namespace jetharness

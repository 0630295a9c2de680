// process-kill, process-restore-kill, process-backup-kill, process-sharing: real
// processes on real files (process_child.h), killed with SIGKILL.
#include <fmt/format.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <string_view>
#include <thread>

#include "faultfs/posix_fs.h"
#include "harness/engine/process_child.h"
#include "harness/engine/rooted_fs.h"
#include "harness/engine/scenarios.h"
#include "jetfault/assert.h"

namespace jetharness {

// Steps of process-kill from this number on are the simulation of one I/O point:
// step kSimStepBase + j recovers what a process crash before I/O j of the simulated
// workload leaves (only ever run alone, by the replay line a divergence prints).
inline constexpr std::uint64_t kSimStepBase = 1'000'000;
// At most this many simulated crash points are compared with one kill.
inline constexpr std::uint64_t kMaxSimPoints = 32;

Env ProcessEnv(ChildMode mode, std::uint64_t case_seed, std::uint64_t case_index) {
  if (mode == ChildMode::kWorkload) return MakeShapedEnv(case_seed, ShapeOfCase(case_index));
  Env env = MakeEnv(case_seed, 6, 0);  // as crash-restore: a full backup after 3 of 6
  if (mode == ChildMode::kRestorePause) {
    // The baseline is the kRestore one (same seed); only the restore goes elsewhere.
    env.settings.layout.db_dir = kRestoreDest;
    env.settings.layout.restore_dest = kRestoreDest;
  }
  return env;
}

namespace {

constexpr std::size_t kBackupAfter = 3;

// The real files of a case: RootedFs over PosixFs at <scratch>/fs, and a FaultFs with
// the watchdog over it (an engine looping on real files still ends).
struct RealFiles {
  RealFiles(CaseContext& ctx, const Env& env)
      : root(scratch.path() + "/fs"),
        rooted(&faultfs::DefaultPosixFs(), root),
        fs(&rooted, WithWatchdog(faultfs::FaultPlan{}, env.op_budget)) {
    faultfs::Status s = faultfs::MakeDirs(faultfs::DefaultPosixFs(), root);
    if (!s.ok()) throw std::runtime_error("creating " + root + ": " + s.ToString());
    ctx.MarkRealFiles();
  }
  bool hung(const Env& env) const { return fs.op_count() > env.op_budget; }
  ScratchDir scratch;
  std::string root;
  RootedFs rooted;
  faultfs::FaultFs fs;
};

// The files below `dir` of the real files, as an image (for FirstChangedFile).
std::unique_ptr<faultfs::MemFs> ImageOf(RealFiles& real, const std::string& dir) {
  auto image = std::make_unique<faultfs::MemFs>();
  faultfs::Status s = CopyTree(real.rooted, *image, dir);
  if (!s.ok()) throw std::runtime_error("reading back " + dir + ": " + s.ToString());
  return image;
}

// Name -> size of the files in `dir` (no file opened: stat only).
std::map<std::string, std::uint64_t> FileSizes(RealFiles& real, const std::string& dir) {
  std::vector<std::string> names;
  faultfs::Status s = real.rooted.ListDir(dir, &names);
  if (!s.ok()) throw std::runtime_error("listing " + dir + ": " + s.ToString());
  std::map<std::string, std::uint64_t> sizes;
  for (const std::string& name : names) {
    s = real.rooted.FileSize(faultfs::JoinPath(dir, name), &sizes[name]);
    if (!s.ok()) throw std::runtime_error("size of " + name + ": " + s.ToString());
  }
  return sizes;
}

// Writes a baseline's files out for a child (CopyTree syncs them: they start durable).
void WriteOut(const faultfs::MemFs& image, RealFiles& real) {
  faultfs::Status s = CopyTree(*image.Clone(), real.rooted, "/");
  if (!s.ok()) throw std::runtime_error("writing the baseline out: " + s.ToString());
}

// The phase a killed child was in, from every event it wrote before it died (the
// reports count kills by it).
using PhaseOf = std::string (*)(const std::vector<ProcessEvent>& reported);

// A workload child: inside JetCommitTransaction (a B not yet answered by its A),
// between commits, or done (E) and idle.
std::string WorkloadPhase(const std::vector<ProcessEvent>& reported) {
  bool in_commit = false;
  for (const ProcessEvent& e : reported) {
    if (e.kind == 'E') return "workload-ended";
    if (e.kind == 'B') in_commit = true;
    if (e.kind == 'A') in_commit = false;
  }
  return in_commit ? "commit" : "workload";
}

// A restore child: copying and verifying the set (before P 1), replaying the logs
// (before P 2), finishing (link checks), or done (E).
std::string RestorePhase(const std::vector<ProcessEvent>& reported) {
  std::uint64_t phase = 0;
  for (const ProcessEvent& e : reported) {
    if (e.kind == 'E') return "restore-ended";
    if (e.kind == 'P') phase = std::max(phase, e.index);
  }
  return phase == 0 ? "restore-copy" : phase == 1 ? "restore-replay" : "restore-finish";
}

std::string BackupPhase(const std::vector<ProcessEvent>& reported) {
  return !reported.empty() && reported.back().kind == 'E' ? "backup-ended" : "backup-copy";
}

std::string HoldPhase(const std::vector<ProcessEvent>&) { return "holding-instance"; }

// Kills the child and requires that SIGKILL is what ended it; false (and a failure) if
// not. A confirmed kill is counted by the phase the child was in.
bool KillConfirmed(Step& step, ChildProcess& child, PhaseOf phase_of) {
  int status = child.KillAndDrain();
  if (ChildProcess::KilledBySigkill(status)) {
    step.ctx().CountKill(phase_of(child.events()));
    return true;
  }
  step.Fail(fmt::format("the child died before the kill: {}; its stderr: {}", ChildProcess::DescribeStatus(status),
                        child.ErrorText()));
  return false;
}

// Reads events until `stop` says so; false (and a failure) when the stream ended first.
bool ReadUntil(Step& step, ChildProcess& child, const std::function<bool(const ProcessEvent&)>& stop) {
  while (std::optional<ProcessEvent> e = child.Next()) {
    if (stop(*e)) return true;
  }
  step.Fail(fmt::format("the child's events ended before the kill moment ({} events); its stderr: {}",
                        child.events().size(), child.ErrorText()));
  return false;
}

// Reads events until a pausing child says it is paused ('W'); false (and a failure
// naming `before_what`) when its call ended ('E') or its events ended first.
bool WaitForPause(Step& step, ChildProcess& child, std::string_view before_what) {
  if (!ReadUntil(step, child, [](const ProcessEvent& e) { return e.kind == 'W' || e.kind == 'E'; })) return false;
  const ProcessEvent& last = child.events().back();
  if (last.kind == 'W') return true;
  step.Fail(fmt::format("the child's call ended with {} before {}", CodeLabel(last.code), before_what));
  return false;
}

std::string SimReplay(const CaseContext& ctx, std::uint64_t op) { return ReplayCommand(ctx.id(), kSimStepBase + op); }

// ---- process-kill -----------------------------------------------------------------

struct Simulation {
  std::vector<ProcessEvent> events;
  WorkloadRun run;
};

// The simulation of a process-kill case: the workload on a MemFs, recorded with the
// child's recorder. `at` (optional) receives, for each I/O point in [first, last], the
// disk before it (copy-on-write) and the power-loss window there.
struct SimPoint {
  std::uint64_t op = 0;
  PrefixWindow window;
  std::unique_ptr<faultfs::MemFs> disk;
};
void Simulate(const Env& env, const faultfs::MemFs& setup, Simulation* sim, std::uint64_t first = 1,
              std::uint64_t last = 0, std::vector<SimPoint>* at = nullptr) {
  Machine machine(setup, faultfs::FaultPlan{}, env.op_budget);
  EventRecorder recorder(machine.fs(), &sim->run.model, [&](const ProcessEvent& e) { sim->events.push_back(e); });
  WorkloadPlan plan;
  plan.inflight = true;
  plan.before_call = recorder.BeforeCall();
  auto snapshot = [&](std::uint64_t op) {
    at->push_back(SimPoint{op, CrashWindowNow(sim->run.model), machine.disk().Clone()});
  };
  const std::uint64_t stride = last >= first ? (last - first + kMaxSimPoints) / kMaxSimPoints : 1;
  auto wanted = [&](std::uint64_t op) {
    return at != nullptr && op >= first && op <= last && ((op - first) % stride == 0 || op == last);
  };
  if (at == nullptr) {
    recorder.InstallOpHook();
  } else {
    machine.fs().set_before_op([&](const faultfs::TraceEvent& next, std::uint64_t) {
      if (wanted(next.index)) snapshot(next.index);
    });
  }
  RunWorkloadInto(machine.fs(), env, plan, recorder.AfterCall(), &sim->run);
  if (at != nullptr) {
    machine.fs().set_before_op(nullptr);
    if (wanted(machine.fs().op_count())) snapshot(machine.fs().op_count());
  }
  recorder.Emit('E', sim->run.failure.code);
}

// The prefixes the simulation's process crashes at the points of `at` recover to;
// their failures (a simulated crash that recovers wrongly) go to `step`.
std::pair<std::size_t, std::size_t> SimulatedPrefixes(Step& step, const Env& env, const Model& model,
                                                      std::vector<SimPoint>& at) {
  std::size_t low = SIZE_MAX, high = 0;
  // A context of its own: these recoveries depend on where the kill landed, so their
  // hashes stay out of the case's (which must not depend on the race).
  ErrMapCoverage coverage;
  CaseContext sim_ctx(step.ctx().id(), std::nullopt, &coverage);
  for (SimPoint& point : at) {
    DbState state;
    {
      Step sim_step(sim_ctx, kSimStepBase + point.op);
      state = VerifyReopen(sim_step, env, *point.disk, Reopen::kSoftRecovery, model, point.window);
    }
    point.disk.reset();
    StateCheck check = CheckState(model, state, point.window);
    if (check.ok()) {
      low = std::min(low, check.matched_prefix);
      high = std::max(high, check.matched_prefix);
    }
  }
  for (const Failure& f : sim_ctx.result().failures) {
    step.Fail(fmt::format("the simulation of the same workload, process crash before I/O #{}: {} (replay: {})",
                          f.step - kSimStepBase, f.what, f.replay));
  }
  return {low, high};
}

// Replay of one simulated point (step >= kSimStepBase): deterministic.
void RunSimulatedPoint(CaseContext& ctx, const Env& env, const faultfs::MemFs& setup, std::uint64_t op) {
  Simulation sim;
  std::vector<SimPoint> at;
  Simulate(env, setup, &sim, op, op, &at);
  Step step(ctx, kSimStepBase + op);
  step.AddPlan(fmt::format("simulation: process crash before I/O #{} (every write before it kept)", op));
  if (at.empty()) {
    step.Fail(fmt::format("the simulated workload has no I/O #{}", op));
    return;
  }
  VerifyReopen(step, env, *at[0].disk, Reopen::kSoftRecovery, sim.run.model, at[0].window);
}

void RunProcessKill(CaseContext& ctx) {
  const Env env = ProcessEnv(ChildMode::kWorkload, ctx.seed(), ctx.id().index);
  auto setup = SetupDisk(env);
  if (ctx.single_step() && !ctx.WantStep(0)) {
    // A replay of one simulated point (the second line a divergence prints).
    Simulation sim;
    Simulate(env, *setup, &sim);
    for (std::uint64_t op = 0; op <= sim.events.back().ops; ++op) {
      if (ctx.WantStep(kSimStepBase + op)) return RunSimulatedPoint(ctx, env, *setup, op);
    }
    return;
  }
  if (!ctx.WantStep(0)) return;
  if (ChildExecutable().empty()) return SkipStep(ctx, 0, "no child executable for real processes");
  Simulation sim;
  Simulate(env, *setup, &sim);
  Step step(ctx, 0);
  if (sim.run.failure.failed()) {
    step.Fail("the simulated workload failed with no fault active: " + sim.run.failure.ToString());
    return;
  }
  // The kill moment: after event n of the stream (even cases: a commit's B or A, or E;
  // odd cases: any event, mostly I/O points), then in a third of the cases a seeded
  // delay of up to 2 ms while the child runs on.
  faultfs::SplitMix64 rng(ctx.seed() ^ 0x6b696c6cULL);
  std::vector<std::size_t> candidates;
  for (std::size_t i = 0; i < sim.events.size(); ++i) {
    if (ctx.id().index % 2 == 1 || sim.events[i].kind != 'O') candidates.push_back(i);
  }
  const std::size_t n = candidates[rng.Uniform(candidates.size())];
  const std::uint64_t delay_us = rng.Uniform(3) == 0 ? rng.Uniform(2000) : 0;
  step.AddHash(n);
  step.AddHash(delay_us);
  step.AddPlan(fmt::format("SIGKILL after event {} of {} (`{}`) + {} us", n, sim.events.size(),
                           FormatEvent(sim.events[n]), delay_us));
  ctx.CountFault(FaultClass::kCrash);
  ctx.CountCrashState();

  RealFiles real(ctx, env);
  ChildProcess child(ChildExecutable(), ChildMode::kWorkload, real.root, ctx.seed(), ctx.id().index);
  if (!ReadUntil(step, child, [&](const ProcessEvent&) { return child.events().size() > n; })) return;
  if (delay_us > 0) std::this_thread::sleep_for(std::chrono::microseconds(delay_us));
  if (!KillConfirmed(step, child, WorkloadPhase)) return;
  const std::vector<ProcessEvent>& reported = child.events();
  const std::string last = FormatEvent(reported.back());
  step.AddPlan(fmt::format("the child's last event: {} `{}`", reported.size() - 1, last));
  if (std::string d = EventDivergence(reported, sim.events); !d.empty()) {
    step.Fail(fmt::format("the real run diverged from the simulation of the same workload: {} (simulation: {})", d,
                          SimReplay(ctx, reported.back().ops)));
    return;
  }
  // Soft recovery on the files the kill left, judged by what the child reported.
  const PrefixWindow window = KillWindow(reported, sim.run.model);
  DbState state = VerifyReopenOn(step, env, real.fs, Reopen::kSoftRecovery, sim.run.model, window);
  if (real.hung(env)) step.Fail(fmt::format("hang: more than {} I/O operations while recovering", env.op_budget));
  if (step.failed()) return;
  const std::size_t prefix = CheckState(sim.run.model, state, window).matched_prefix;
  // The kill left exactly what the simulation's process crash (every write kept) at
  // some I/O point between the last event and the next leaves, or a multi-page write
  // cut at a page: recovery must land among the prefixes those points recover to.
  const std::size_t next = reported.size();
  const std::uint64_t first = reported.back().ops;
  const std::uint64_t last_op = next < sim.events.size() ? sim.events[next].ops : reported.back().ops;
  Simulation again;
  std::vector<SimPoint> at;
  Simulate(env, *setup, &again, first, last_op, &at);
  auto [low, high] = SimulatedPrefixes(step, env, again.run.model, at);
  if (low <= high && (prefix < low || prefix > high)) {
    step.Fail(
        fmt::format("the kill run recovered to commit prefix {}, but a process crash of the simulation between "
                    "I/O #{} and #{} recovers to prefixes {}..{} (simulation: {})",
                    prefix, first, last_op, low, high, SimReplay(ctx, first)));
  }
}

// ---- process-restore-kill, process-backup-kill ---------------------------------------

void RunProcessRestoreKill(CaseContext& ctx) {
  if (!ctx.WantStep(0)) return;
  if (ChildExecutable().empty()) return SkipStep(ctx, 0, "no child executable for real processes");
  const Env env = ProcessEnv(ChildMode::kRestore, ctx.seed(), ctx.id().index);
  Baseline base = MakeBaseline(env, kBackupAfter, false);
  std::string error;
  std::optional<std::uint64_t> ops = CountRestoreOps(env, *base.after, &error);
  Step step(ctx, 0);
  if (!ops || *ops == 0) {
    step.Fail("the simulated restore failed: " + error);
    return;
  }
  const std::uint64_t r = faultfs::SplitMix64(ctx.seed()).Uniform(*ops);
  step.AddHash(r);
  step.AddPlan(fmt::format("SIGKILL of JetRestoreInstance after it began I/O #{} of {}", r, *ops));
  ctx.CountFault(FaultClass::kCrash);
  ctx.CountCrashState();
  RealFiles real(ctx, env);
  WriteOut(*base.after, real);
  {
    ChildProcess child(ChildExecutable(), ChildMode::kRestore, real.root, ctx.seed(), ctx.id().index);
    if (!ReadUntil(step, child,
                   [&](const ProcessEvent& e) { return (e.kind == 'O' && e.index == r) || e.kind == 'E'; })) {
      return;
    }
    if (!KillConfirmed(step, child, RestorePhase)) return;
    const ProcessEvent& last = child.events().back();
    step.AddPlan(fmt::format("the child's last event: `{}`", FormatEvent(last)));
    if (last.kind == 'E' && last.code < 0) {
      step.Fail(fmt::format("the child's restore failed before the kill with {}", CodeLabel(last.code)));
      return;
    }
  }
  // As crash-restore: the restore is run again and must reach every durable commit.
  VerifyReopenOn(step, env, real.fs, Reopen::kRestore, base.run.model, base.Durable());
  if (real.hung(env)) step.Fail(fmt::format("hang: more than {} I/O operations while restoring", env.op_budget));
}

void RunProcessBackupKill(CaseContext& ctx) {
  if (!ctx.WantStep(0)) return;
  if (ChildExecutable().empty()) return SkipStep(ctx, 0, "no child executable for real processes");
  const Env env = ProcessEnv(ChildMode::kBackup, ctx.seed(), ctx.id().index);
  Baseline base = MakeBaseline(env, kBackupAfter, false);
  Step step(ctx, 0);
  // The simulation numbers the backup's I/O operations (after recovery and attach).
  std::uint64_t begin = 0, end = 0;
  {
    Machine machine(*base.after, faultfs::FaultPlan{}, env.op_budget);
    EngineInstance instance(&machine.fs(), env.settings);
    if (instance.Init() >= 0) AttachAllDatabases(instance, env.spec);
    begin = machine.fs().op_count();
    instance.Backup(kBackupKillDir);
    end = machine.fs().op_count();
    if (instance.failure().failed() || end <= begin) {
      step.Fail("the simulated backup failed: " + instance.failure().ToString());
      return;
    }
  }
  const std::uint64_t r = begin + faultfs::SplitMix64(ctx.seed()).Uniform(end - begin);
  step.AddHash(r);
  step.AddPlan(fmt::format("SIGKILL of JetBackupInstance into {} after it began I/O #{} (of #{}..#{})", kBackupKillDir,
                           r, begin, end - 1));
  ctx.CountFault(FaultClass::kCrash);
  ctx.CountCrashState();
  RealFiles real(ctx, env);
  WriteOut(*base.after, real);
  bool complete = false;
  {
    ChildProcess child(ChildExecutable(), ChildMode::kBackup, real.root, ctx.seed(), ctx.id().index);
    if (!ReadUntil(step, child,
                   [&](const ProcessEvent& e) { return (e.kind == 'O' && e.index == r) || e.kind == 'E'; })) {
      return;
    }
    if (!KillConfirmed(step, child, BackupPhase)) return;
    const ProcessEvent& last = child.events().back();
    step.AddPlan(fmt::format("the child's last event: `{}`", FormatEvent(last)));
    complete = last.kind == 'E' && last.code >= 0;
  }
  // The set the kill interrupted: a restore from it must refuse it (no manifest:
  // JET_errFileNotFound, docs/RESTORE.md) without touching the instance's files, or,
  // when the backup had finished, succeed with every durable commit.
  Env from_killed = env;
  from_killed.settings.layout.backup_dir = kBackupKillDir;
  auto before = ImageOf(real, "/inst");
  JET_ERR code = JET_errSuccess;
  {
    EngineInstance restorer(&real.fs, from_killed.settings);
    code = restorer.Restore(kBackupKillDir);
  }
  if (code >= 0) {
    // Legal only if the manifest was installed before the kill landed.
    VerifyReopenOn(step, from_killed, real.fs, Reopen::kSoftRecovery, base.run.model, base.Durable());
    return;
  }
  if (complete)
    step.Fail(fmt::format("the backup had returned success, yet restoring its set fails with {}", CodeLabel(code)));
  bool dir_exists = false;
  (void)real.rooted.Exists(kBackupKillDir, &dir_exists);
  const bool documented = code == JET_errFileNotFound ||
                          (!dir_exists && (code == JET_errNoBackupDirectory || code == JET_errInvalidPath));
  if (!documented) {
    step.Fail(
        fmt::format("restoring the set of a killed backup returned {}: docs/RESTORE.md documents "
                    "JET_errFileNotFound (no manifest) for an interrupted backup",
                    CodeLabel(code)));
  }
  std::string changed = FirstChangedFile(*before, *ImageOf(real, "/inst"));
  if (!changed.empty()) step.Fail("the refused restore changed the instance's files: " + changed);
  // And the instance itself is intact: soft recovery reaches every durable commit.
  VerifyReopenOn(step, env, real.fs, Reopen::kSoftRecovery, base.run.model, base.Durable());
}

// ---- process-sharing --------------------------------------------------------------------

// Another instance of this process (its own log and system paths) attaches the held
// instance's first database: the code.
JET_ERR AttachFromOtherInstance(const Env& env, faultfs::Vfs& fs) {
  InstanceSettings other = env.settings;
  other.layout.system_dir = "/other/sys";
  other.layout.log_dir = "/other/log";
  for (const std::string& dir : {other.layout.system_dir, other.layout.log_dir}) (void)faultfs::MakeDirs(fs, dir);
  EngineInstance instance(&fs, other);
  JET_SESID session = JET_sesidNil;
  const std::string path = env.settings.layout.DatabasePath(env.spec.databases[0].file_name);
  if (instance.Init() < 0) return instance.failure().code;
  instance.Call("JetBeginSession", [&] { return JetBeginSession(instance.handle(), &session, nullptr, nullptr); });
  JET_ERR code = instance.Call("JetAttachDatabase", [&] { return JetAttachDatabase(session, path.c_str(), 0); });
  if (code >= 0) instance.Call("JetTerm", [&] { return JetTerm(instance.handle()); });
  return code;
}

void RunProcessSharing(CaseContext& ctx) {
  if (!ctx.WantStep(0)) return;
  if (ChildExecutable().empty()) return SkipStep(ctx, 0, "no child executable for real processes");
  const Env env = ProcessEnv(ChildMode::kHold, ctx.seed(), ctx.id().index);
  Baseline base = MakeBaseline(env, kBackupAfter, false);
  Step step(ctx, 0);
  step.AddPlan("a child process holds the instance (soft recovery, databases attached); then SIGKILL");
  ctx.CountFault(FaultClass::kSharingViolation, 3);
  RealFiles real(ctx, env);
  WriteOut(*base.after, real);
  const std::string db = env.settings.layout.DatabasePath(env.spec.databases[0].file_name);
  {
    ChildProcess child(ChildExecutable(), ChildMode::kHold, real.root, ctx.seed(), ctx.id().index);
    if (!ReadUntil(step, child, [](const ProcessEvent& e) { return e.kind == 'H'; })) return;
    // While it runs: another instance's attach of its database, ...
    JET_ERR attach = AttachFromOtherInstance(env, real.fs);
    if (step.CheckCode(FaultClass::kSharingViolation, FileRole::kDatabase, Phase::kWorkload, "JetAttachDatabase",
                       attach) &&
        attach != JET_errDatabaseSharingViolation) {
      step.Fail(
          fmt::format("JetAttachDatabase({}) while another process has it attached returned {}, expected "
                      "JET_errDatabaseSharingViolation",
                      db, CodeLabel(attach)));
    }
    // ... soft recovery of its instance, and a restore over it are refused, and the
    // refused restore changes none of its files.
    ReadBack read;
    AttemptReopen(step, env, real.fs, Reopen::kSoftRecovery, OpenFault{FaultClass::kSharingViolation, FileRole::kLog},
                  &read);
    auto before = ImageOf(real, "/inst");
    AttemptReopen(step, env, real.fs, Reopen::kRestore, OpenFault{FaultClass::kSharingViolation, FileRole::kDatabase},
                  &read);
    std::string changed = FirstChangedFile(*before, *ImageOf(real, "/inst"));
    if (!changed.empty()) step.Fail("a restore over a running instance changed its files: " + changed);
    if (!KillConfirmed(step, child, HoldPhase)) return;
  }
  // Killed: its locks died with it. Soft recovery, the other instance's attach and the
  // restore over it all succeed now.
  ctx.CountFault(FaultClass::kCrash);
  ctx.CountCrashState();
  VerifyReopenOn(step, env, real.fs, Reopen::kSoftRecovery, base.run.model, base.Durable());
  if (JET_ERR attach = AttachFromOtherInstance(env, real.fs); attach < 0) {
    step.Fail(fmt::format("JetAttachDatabase({}) after the holder was killed returned {}", db, CodeLabel(attach)));
  }
  VerifyReopenOn(step, env, real.fs, Reopen::kRestore, base.run.model, base.Durable());
  if (real.hung(env)) step.Fail(fmt::format("hang: more than {} I/O operations", env.op_budget));
}

// ---- process-restore-sharing, process-backup-sharing -------------------------------------

// A child paused inside JetRestoreInstance into kRestoreDest, at its first replayed
// generation (the restored databases installed and open): this process's restore into
// the same destination and another instance's attach of a restored database are
// refused with JET_errDatabaseSharingViolation (docs/RESTORE.md), and change nothing;
// after SIGKILL the restore succeeds and the oracle judges it.
void RunProcessRestoreSharing(CaseContext& ctx) {
  if (!ctx.WantStep(0)) return;
  if (ChildExecutable().empty()) return SkipStep(ctx, 0, "no child executable for real processes");
  const Env env = ProcessEnv(ChildMode::kRestore, ctx.seed(), ctx.id().index);
  const Env moved = ProcessEnv(ChildMode::kRestorePause, ctx.seed(), ctx.id().index);
  Baseline base = MakeBaseline(env, kBackupAfter, false);
  Step step(ctx, 0);
  step.AddPlan(
      fmt::format("a child process restores the set into {} and pauses at the first replayed generation; "
                  "then SIGKILL",
                  kRestoreDest));
  ctx.CountFault(FaultClass::kSharingViolation, 2);
  RealFiles real(ctx, moved);
  WriteOut(*base.after, real);
  const std::string db = moved.settings.layout.DatabasePath(moved.spec.databases[0].file_name);
  {
    ChildProcess child(ChildExecutable(), ChildMode::kRestorePause, real.root, ctx.seed(), ctx.id().index);
    if (!WaitForPause(step, child, "its restore reached a replayed generation")) return;
    auto before = ImageOf(real, "/");
    JET_ERR restore = JET_errSuccess;
    {
      EngineInstance restorer(&real.fs, moved.settings);
      restore = restorer.Restore(moved.settings.layout.backup_dir);
    }
    if (step.CheckCode(FaultClass::kSharingViolation, FileRole::kDatabase, Phase::kRestore, "JetRestoreInstance",
                       restore) &&
        restore != JET_errDatabaseSharingViolation) {
      step.Fail(
          fmt::format("JetRestoreInstance into {} while another process's restore into it is paused returned "
                      "{}, expected JET_errDatabaseSharingViolation (docs/RESTORE.md)",
                      kRestoreDest, CodeLabel(restore)));
    }
    JET_ERR attach = AttachFromOtherInstance(moved, real.fs);
    if (step.CheckCode(FaultClass::kSharingViolation, FileRole::kDatabase, Phase::kWorkload, "JetAttachDatabase",
                       attach) &&
        attach != JET_errDatabaseSharingViolation) {
      step.Fail(
          fmt::format("JetAttachDatabase({}) while another process restores into it returned {}, expected "
                      "JET_errDatabaseSharingViolation",
                      db, CodeLabel(attach)));
    }
    // The refused calls wrote nothing: not the paused restore's files, not the set,
    // not the instance's (the other instance's own directories aside).
    auto after = ImageOf(real, "/");
    for (const char* dir : {kRestoreDest, "/inst", "/backup"}) {
      std::string changed = FirstChangedFile(*before, *after, dir);
      if (!changed.empty()) step.Fail("a refused call changed a file of the paused restore: " + changed);
    }
    if (!KillConfirmed(step, child, RestorePhase)) return;
  }
  // Its locks died with it: the same restore now succeeds, with every durable commit,
  // and another instance may attach what it restored.
  VerifyReopenOn(step, moved, real.fs, Reopen::kRestore, base.run.model, base.Durable());
  if (JET_ERR attach = AttachFromOtherInstance(moved, real.fs); attach < 0) {
    step.Fail(
        fmt::format("JetAttachDatabase({}) after the restoring process was killed returned {}", db, CodeLabel(attach)));
  }
  if (real.hung(moved)) step.Fail(fmt::format("hang: more than {} I/O operations", moved.op_budget));
}

// A child paused inside JetBackupInstance into kBackupHeldDir (a database copy open,
// share none). This process's own instance (another layout, same real files) backing up
// into that directory gets JET_errBackupDirectoryNotEmpty, deleting the held copy gets
// a sharing violation, and the held set is unchanged; after SIGKILL the partial set can
// be removed and the backup into the directory succeeds, and a restore from it holds
// every durable commit of this process's instance.
void RunProcessBackupSharing(CaseContext& ctx) {
  if (!ctx.WantStep(0)) return;
  if (ChildExecutable().empty()) return SkipStep(ctx, 0, "no child executable for real processes");
  const Env env = ProcessEnv(ChildMode::kBackupPause, ctx.seed(), ctx.id().index);
  Env own = MakeEnv(ctx.seed() ^ 0x6f776eULL, 6, 0);
  own.settings.layout.system_dir = "/own/sys";
  own.settings.layout.log_dir = "/own/log";
  own.settings.layout.db_dir = "/own/db";
  own.settings.layout.backup_dir = "/own/backup";
  Baseline base = MakeBaseline(env, kBackupAfter, false);
  Baseline own_base = MakeBaseline(own, kBackupAfter, false);
  Step step(ctx, 0);
  step.AddPlan(
      fmt::format("a child process backs its instance up into {} and pauses at its first progress report; "
                  "then SIGKILL",
                  kBackupHeldDir));
  ctx.CountFault(FaultClass::kSharingViolation, 1);
  RealFiles real(ctx, env);
  WriteOut(*base.after, real);
  WriteOut(*own_base.after, real);
  std::vector<std::string> held;
  {
    ChildProcess child(ChildExecutable(), ChildMode::kBackupPause, real.root, ctx.seed(), ctx.id().index);
    if (!WaitForPause(step, child, "its backup's first progress report")) return;
    // The copy being written cannot be read either (share none): the set is compared
    // by names and sizes.
    const std::map<std::string, std::uint64_t> before = FileSizes(real, kBackupHeldDir);
    for (const auto& [name, size] : before) held.push_back(name);
    if (held.empty()) step.Fail(fmt::format("the paused backup has no file in {}", kBackupHeldDir));
    JET_ERR code = JET_errSuccess;
    {
      EngineInstance instance(&real.fs, own.settings);
      if (instance.Init() >= 0) AttachAllDatabases(instance, own.spec);
      if (instance.failure().failed()) {
        step.Fail("soft recovery of this process's own instance failed: " + instance.failure().ToString());
        return;
      }
      code = instance.Backup(kBackupHeldDir);
    }
    if (code != JET_errBackupDirectoryNotEmpty) {
      step.Fail(
          fmt::format("JetBackupInstance into {} while another process's backup into it is paused returned {}, "
                      "expected JET_errBackupDirectoryNotEmpty",
                      kBackupHeldDir, CodeLabel(code)));
    }
    // The copy being written is open without sharing: it cannot be deleted under it.
    bool refused = false;
    for (const std::string& name : held) {
      faultfs::Status s = real.fs.Delete(faultfs::JoinPath(kBackupHeldDir, name));
      if (s.code() == faultfs::ErrorCode::kSharingViolation) refused = true;
    }
    if (!refused) {
      step.Fail(fmt::format("no file of the paused backup in {} was refused to Delete (the copy is open, share none)",
                            kBackupHeldDir));
    }
    if (FileSizes(real, kBackupHeldDir) != before) {
      step.Fail(fmt::format("the refused calls changed the paused backup set in {} (its files or their sizes)",
                            kBackupHeldDir));
    }
    if (!KillConfirmed(step, child, BackupPhase)) return;
  }
  // Its locks died with it: the partial set can go, and the same backup succeeds.
  std::unique_ptr<faultfs::MemFs> left = ImageOf(real, kBackupHeldDir);
  for (const std::string& name : ListFiles(*left, kBackupHeldDir)) {
    faultfs::Status s = real.fs.Delete(faultfs::JoinPath(kBackupHeldDir, name));
    if (!s.ok()) step.Fail("deleting the killed backup's " + name + ": " + s.ToString());
  }
  if (step.failed()) return;
  {
    EngineInstance instance(&real.fs, own.settings);
    if (instance.Init() >= 0 && AttachAllDatabases(instance, own.spec) >= 0 && instance.Backup(kBackupHeldDir) >= 0) {
      instance.Term();
    }
    if (instance.failure().failed()) {
      step.Fail(fmt::format("the backup into {} after the holder was killed failed: {}", kBackupHeldDir,
                            instance.failure().ToString()));
      return;
    }
  }
  Env from_held = own;
  from_held.settings.layout.backup_dir = kBackupHeldDir;
  VerifyReopenOn(step, from_held, real.fs, Reopen::kRestore, own_base.run.model, own_base.Durable());
  if (real.hung(env)) step.Fail(fmt::format("hang: more than {} I/O operations", env.op_budget));
}

}  // namespace

Scenario ProcessRestoreSharingScenario() {
  return Scenario{
      "process-restore-sharing",
      "another process is paused inside a restore into a destination: restore into it and attach refused; "
      "after SIGKILL the restore works",
      "A baseline (a full backup after 3 of 6 transactions) is written to real files. A child process restores the "
      "set into a destination directory (szDest) and stops for good at its first replayed generation, when the "
      "restored databases are installed and open. Meanwhile this process's restore into the same destination "
      "must fail with JET_errDatabaseSharingViolation (docs/RESTORE.md: a target held open), another instance's "
      "JetAttachDatabase of a restored database too, and neither may change a file of the destination, the "
      "instance or the set. The child is then SIGKILLed: the same restore must succeed with every durable "
      "commit, and the attach too.",
      1, RunProcessRestoreSharing};
}

Scenario ProcessBackupSharingScenario() {
  return Scenario{
      "process-backup-sharing",
      "another process is paused inside a backup into a directory: a backup into it refused; after SIGKILL it works",
      "A child process recovers a baseline on real files and backs its instance up into a directory, stopping "
      "for good at its first progress report, a database copy open without sharing. Meanwhile this process's own "
      "instance (another layout on the same files) backing up into that directory must get "
      "JET_errBackupDirectoryNotEmpty, deleting the copy being written must be refused as a sharing violation, "
      "and the held set must not change. The child is then SIGKILLed: its partial set can be deleted, the same "
      "backup succeeds, and a restore from it holds every durable commit of this process's instance.",
      1, RunProcessBackupSharing};
}

Scenario ProcessKillScenario() {
  return Scenario{
      "process-kill",
      "kill -9 of a real process running a workload on real files; recovery; compared with the simulation",
      "A child process (`jetfault __process-child workload`) runs the seeded workload of a shape (rotating by "
      "case) on real files below $TMPDIR (PosixFs, the simulation's layout under a scratch root) and reports on "
      "a pipe every I/O operation before it starts and every commit before the call and after it returns. The "
      "parent SIGKILLs it after a seeded event (even cases: a commit event; odd cases: any event, mostly I/O "
      "points), sometimes after a seeded delay of up to 2 ms, and confirms the death by signal. Soft recovery "
      "then runs on the files the kill left; the content must hold every commit reported as durably "
      "acknowledged and nothing whose commit was never reported as begun. The events must equal those the "
      "simulation of the same workload on a MemFs records (same I/O count and trace hash at every event), "
      "and the recovered prefix must be one the simulation's process crashes between the last event and the "
      "next recover to (a kill loses no page-cache data: it is the keep-unsynced power loss).",
      4, RunProcessKill};
}

Scenario ProcessRestoreKillScenario() {
  return Scenario{
      "process-restore-kill", "kill -9 of a real process inside JetRestoreInstance; the restore run again must succeed",
      "As crash-restore, with a real process: a baseline (a full backup after 3 of 6 transactions) is written to "
      "real files; a child runs JetRestoreInstance on them, reporting each I/O operation, and is SIGKILLed after "
      "a seeded one. The restore, run again, must succeed with every durable commit.",
      2, RunProcessRestoreKill};
}

Scenario ProcessBackupKillScenario() {
  return Scenario{
      "process-backup-kill",
      "kill -9 of a real process inside JetBackupInstance; its partial set is refused, the instance untouched",
      "A child recovers a baseline on real files, attaches its databases and takes a full backup into a new "
      "directory, reporting each I/O operation; it is SIGKILLed after a seeded one. A restore from that set "
      "must fail with JET_errFileNotFound (no manifest, docs/RESTORE.md) and change none of the instance's "
      "files, or, if the backup finished before the kill landed, succeed with every durable commit; soft "
      "recovery of the instance then reaches every durable commit.",
      2, RunProcessBackupKill};
}

Scenario ProcessSharingScenario() {
  return Scenario{
      "process-sharing",
      "another process holds the instance: attach, recovery and restore over it refused; after SIGKILL they work",
      "A child process recovers a baseline on real files and keeps its databases attached. Meanwhile this "
      "process's own instance attaching the database must get JET_errDatabaseSharingViolation, soft recovery of "
      "the held instance and a restore over it must fail with a sharing code of the error map, and the refused "
      "restore must change none of the instance's files. The child is then SIGKILLed: its locks (open-file-"
      "description locks) die with it, so soft recovery, the other instance's attach and the restore must "
      "all succeed, with every durable commit.",
      2, RunProcessSharing};
}

}  // namespace jetharness

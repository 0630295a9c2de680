#include "harness/engine/sim.h"

#include <fmt/format.h>

#include <cstdio>
#include <stdexcept>

#include "harness/core/hash.h"

namespace jetharness {

faultfs::FaultPlan WithWatchdog(faultfs::FaultPlan plan, std::uint64_t op_budget) {
  faultfs::FaultRule watchdog;
  watchdog.kind = faultfs::FaultKind::kCrash;
  watchdog.nth = op_budget;
  plan.rules.push_back(watchdog);
  return plan;
}

Machine::Machine(const faultfs::MemFs& image, faultfs::FaultPlan plan, std::uint64_t op_budget)
    : disk_(image.Clone()), op_budget_(op_budget), plan_text_(plan.ToText()) {
  fs_ = std::make_unique<faultfs::FaultFs>(disk_.get(), WithWatchdog(std::move(plan), op_budget));
}

namespace {
bool g_print_traces = false;
}  // namespace

void SetPrintTraces(bool on) { g_print_traces = on; }

Machine::~Machine() {
  if (!g_print_traces) return;
  std::string out = fmt::format("--- machine: plan [{}], {} I/O operations, trace hash {:016x}\n", plan_text_,
                                fs_->op_count(), fs_->trace_hash());
  for (const faultfs::TraceEvent& e : fs_->trace()) out += "  " + e.ToString() + "\n";
  for (const faultfs::PendingDirOp& op : disk_->PendingDirOps()) {
    out += fmt::format("  pending dir op #{}: {}\n", op.sequence, op.description);
  }
  std::fputs(out.c_str(), stderr);
}

void Machine::KeepTraceOnlyForPrinting() { fs_->set_keep_trace(g_print_traces); }

std::unique_ptr<faultfs::MemFs> Machine::PowerLossImage(const faultfs::CrashPolicy& policy) const {
  return disk_->CrashImage(policy);
}

std::unique_ptr<faultfs::MemFs> EmptyDisk(const Layout& layout) {
  auto disk = std::make_unique<faultfs::MemFs>();
  for (const std::string& dir : {layout.system_dir, layout.log_dir, layout.db_dir}) {
    faultfs::Status s = faultfs::MakeDirs(*disk, dir);
    if (!s.ok()) throw std::runtime_error("EmptyDisk: " + s.ToString());
  }
  // Directory entries become durable only when their parents are synced.
  for (const std::string& dir :
       {std::string("/"), std::string("/inst"), layout.system_dir, layout.log_dir, layout.db_dir}) {
    (void)disk->SyncDir(dir);
  }
  return disk;
}

std::unique_ptr<faultfs::MemFs> SetupDisk(const Env& env) {
  auto empty = EmptyDisk(env.settings.layout);
  Machine machine(*empty, faultfs::FaultPlan{}, env.op_budget);
  WorkloadPlan plan;
  plan.last = 0;
  plan.create = true;
  plan.clean_shutdown = true;
  WorkloadRun run = RunWorkload(machine.fs(), env, plan, nullptr);
  if (run.failure.failed()) {
    throw std::runtime_error("creating the databases failed with no fault active: " + run.failure.ToString());
  }
  return machine.disk().Clone();
}

Step::Step(CaseContext& ctx, std::uint64_t index) : ctx_(ctx), index_(index), hash_(Fold(ctx.seed(), index)) {}

Step::~Step() {
  for (std::string& what : failures_) ctx_.Fail(index_, std::move(what), plan_, hash_);
  ctx_.EndStep(index_, hash_);
}

void Step::AddHash(std::uint64_t h) {
  hash_ = Fold(hash_, h);
  if (capture_ != nullptr) capture_->hashes.push_back(h);
}

void Step::Reuse(const Outcome& outcome) {
  for (std::uint64_t h : outcome.hashes) AddHash(h);
  for (const std::string& what : outcome.failures) Fail(what);
}

void Step::AddPlan(const std::string& text) {
  if (text.empty()) return;
  plan_ += (plan_.empty() ? "" : "; ") + text;
}

bool Step::CheckCode(FaultClass fault, FileRole file, Phase phase, const std::string& call, JET_ERR code) {
  AddHash(static_cast<std::uint64_t>(static_cast<std::int64_t>(code)));
  std::string violation = ctx_.CodeViolation(fault, file, phase, code);
  if (violation.empty()) return true;
  Fail(fmt::format("{}: {}", call, violation));
  return false;
}

void Step::Fail(std::string what) {
  if (capture_ != nullptr) capture_->failures.push_back(what);
  failures_.push_back(std::move(what));
}

WorkloadRun RunWorkload(faultfs::Vfs& vfs, const Env& env, const WorkloadPlan& plan, CallObserver observer) {
  WorkloadRun run;
  RunWorkloadInto(vfs, env, plan, std::move(observer), &run);
  return run;
}

void RunWorkloadInto(faultfs::Vfs& vfs, const Env& env, const WorkloadPlan& plan, CallObserver observer,
                     WorkloadRun* out) {
  WorkloadRun& run = *out;
  {
    EngineInstance instance(&vfs, env.settings, observer);
    if (plan.before_call) instance.set_before_call(plan.before_call);
    instance.Init();
    if (instance.failure().failed()) {
      run.failure = instance.failure();
      return;
    }
    WorkloadSession session(instance, env.spec, plan.create);
    // A fresh instance gets the spec's preload, committed before anything else; every
    // run of the workload starts from the content it leaves.
    if (plan.create) session.RunPreload();
    run.model.SetBase(PreloadState(env.spec));
    std::size_t last = std::min(plan.last, env.spec.transactions.size());
    auto* faulted = dynamic_cast<faultfs::FaultFs*>(&vfs);
    auto op_count = [faulted] { return faulted != nullptr ? faulted->op_count() : 0; };
    auto backup = [&](bool incremental) {
      BackupMoment moment{incremental, run.model.MinPrefix(), 0, op_count(), 0, false};
      const std::string& dir = env.settings.layout.backup_dir;
      moment.done = (incremental ? instance.BackupIncremental(dir) : instance.Backup(dir)) >= 0;
      moment.commits_at_end = run.model.CommitCount();
      moment.end_op = op_count();
      if (moment.done && !incremental) {
        run.backup_done = true;
        run.commits_at_backup = moment.commits_at_end;
      }
      run.backups.push_back(moment);
    };
    auto after_transaction = [&](std::size_t done) {
      if (done == plan.backup_after) backup(false);
      for (std::size_t at : plan.incremental_after) {
        if (done == at && session.ok()) backup(true);
      }
    };
    if (session.ok()) after_transaction(plan.first);
    session.RunTransactions(plan.first, last, plan.inflight, &run.model,
                            [&](std::size_t i) { after_transaction(i + 1); });
    // A clean JetTerm flushes the log: every commit acknowledged before it is durable.
    if (plan.clean_shutdown && session.ok() && instance.Term() >= 0) run.model.Flushed();
    run.failure = instance.failure();
    // The instance's destructor ends it abruptly when it is still running.
  }
}

ReopenOutcome AttemptReopen(Step& step, const Env& env, Machine& machine, Reopen how, OpenFault fault, ReadBack* read) {
  return AttemptReopen(step, env, machine.fs(), how, fault, read);
}

ReopenOutcome AttemptReopen(Step& step, const Env& env, faultfs::Vfs& vfs, Reopen how, OpenFault fault,
                            ReadBack* read) {
  bool violation = false;
  Phase open_phase = how == Reopen::kRestore ? Phase::kRestore : Phase::kRecovery;
  const Phase attempt_phase = open_phase;
  auto observer = [&](const std::string& call, JET_ERR code) {
    if (code >= 0) return;
    Phase phase = call == "JetInit" || call == "JetRestoreInstance" ? open_phase : Phase::kWorkload;
    if (!step.CheckCode(fault.fault, fault.role, phase, call, code)) violation = true;
  };
  auto outcome = [&](bool ok) {
    // A whole attempt that succeeded is checked as JET_errSuccess: rows without it
    // say the fault must make the attempt fail.
    if (ok && !step.CheckCode(fault.fault, fault.role, attempt_phase,
                              how == Reopen::kRestore ? "restore and reopen" : "recovery and reopen", JET_errSuccess)) {
      violation = true;
    }
    if (violation) return ReopenOutcome::kViolation;
    return ok ? ReopenOutcome::kOk : ReopenOutcome::kRefused;
  };
  if (how == Reopen::kRestore) {
    EngineInstance restorer(&vfs, env.settings, observer);
    if (restorer.Restore(env.settings.layout.backup_dir) < 0) {
      read->refused_by = restorer.failure().call;
      return outcome(false);
    }
    open_phase = Phase::kRecovery;
  }
  EngineInstance instance(&vfs, env.settings, observer);
  if (instance.Init() < 0) {
    read->refused_by = instance.failure().call;
    return outcome(false);
  }
  *read = ReadAllDatabases(instance, env.spec, ScanMoveBudget(env.spec));
  if (instance.failure().failed()) {
    read->refused_by = instance.failure().call;
    return outcome(false);
  }
  if (!read->physical_problem.empty()) {
    step.Fail("physical check: " + read->physical_problem);
    return ReopenOutcome::kViolation;
  }
  return outcome(instance.Term() >= 0);
}

DbState VerifyReopen(Step& step, const Env& env, const faultfs::MemFs& image, Reopen how, const Model& model,
                     PrefixWindow window, std::unique_ptr<faultfs::MemFs>* final_image) {
  Machine machine(image, faultfs::FaultPlan{}, env.op_budget);
  machine.KeepTraceOnlyForPrinting();
  DbState state = VerifyReopenOn(step, env, machine.fs(), how, model, window);
  if (machine.hung()) step.Fail(fmt::format("hang: more than {} I/O operations while reopening", env.op_budget));
  step.AddHash(machine.fs().trace_hash());
  if (final_image != nullptr) *final_image = machine.ProcessCrashImage();
  return state;
}

ReopenOutcome AttemptAndJudge(Step& step, const Env& env, faultfs::Vfs& vfs, Reopen how, OpenFault fault,
                              const Model& model, PrefixWindow window, ReadBack* read) {
  ReopenOutcome outcome = AttemptReopen(step, env, vfs, how, fault, read);
  if (outcome != ReopenOutcome::kOk) return outcome;
  StateCheck check = CheckState(model, read->state, window);
  if (check.ok()) return outcome;
  step.Fail(fmt::format("{} returned success{}, with the wrong content: {}",
                        how == Reopen::kRestore ? "restore" : "soft recovery",
                        fault.fault == FaultClass::kNone
                            ? std::string()
                            : fmt::format(" under a {} on {}", FaultClassName(fault.fault), FileRoleName(fault.role)),
                        check.explanation));
  return ReopenOutcome::kViolation;
}

DbState VerifyReopenOn(Step& step, const Env& env, faultfs::Vfs& vfs, Reopen how, const Model& model,
                       PrefixWindow window) {
  ReadBack first;
  // With no fault active, kRefused cannot happen: every failure is a violation.
  bool ok = AttemptAndJudge(step, env, vfs, how, OpenFault{}, model, window, &first) == ReopenOutcome::kOk;
  if (ok) {
    // A clean JetInit/JetTerm cycle afterwards must work and show the same content.
    ReadBack second;
    ok = AttemptReopen(step, env, vfs, Reopen::kSoftRecovery, OpenFault{}, &second) == ReopenOutcome::kOk;
    if (ok && second.state != first.state) {
      step.Fail("the content changed across a clean JetTerm/JetInit cycle: " +
                CheckState(model, second.state, PrefixWindow{0, model.MaxPrefix()}).explanation);
      ok = false;
    }
  }
  return ok ? first.state : DbState{};
}

std::vector<SurvivorPolicy> SurvivorPolicies(std::uint64_t seed) {
  faultfs::CrashPolicy torn = faultfs::CrashPolicy::Random(seed ^ 0x7041ULL, 500'000);
  return {
      {"drop-unsynced", faultfs::CrashPolicy::DropAll()},
      {"keep-unsynced", faultfs::CrashPolicy::KeepAll()},
      {"random-subset", faultfs::CrashPolicy::Random(seed)},
      {"random-torn", torn},
  };
}

std::vector<SurvivorPolicy> EvictionSurvivorPolicies(std::uint64_t seed) {
  std::vector<SurvivorPolicy> policies = SurvivorPolicies(seed);
  policies.push_back({"db-kept-log-lost", faultfs::CrashPolicy::DropAll(), true});
  return policies;
}

std::unique_ptr<faultfs::MemFs> SurvivorImage(const Env& env, const faultfs::MemFs& disk,
                                              const SurvivorPolicy& survivors) {
  if (!survivors.database_writes_only) return disk.CrashImage(survivors.policy);
  faultfs::CrashPolicy policy = survivors.policy;
  for (const faultfs::PendingWrite& w : disk.PendingWrites()) {
    if (ClassifyPath(env.settings.layout, w.path) == FileRole::kDatabase) {
      policy.write_overrides[w.sequence] = faultfs::Fate::kKeep;
    }
  }
  return disk.CrashImage(policy);
}

FileRole RoleOfOp(const Env& env, Machine& machine, std::uint64_t op_index) {
  std::vector<faultfs::TraceEvent> trace = machine.fs().trace();
  if (op_index >= trace.size()) return FileRole::kAny;
  return ClassifyPath(env.settings.layout, trace[op_index].path);
}

}  // namespace jetharness

// property: RapidCheck generates a workload and a fault schedule; failures shrink.
#include <fmt/format.h>

#include <rapidcheck.h>
#include <rapidcheck/detail/TestListener.h>

#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "harness/core/hash.h"
#include "harness/engine/scenarios.h"

namespace jetharness {

namespace {

// The generated input, kept small and structural so shrinking means something
// (RapidCheck's numeric generators grow with the size parameter, so early tests are
// small; `element` choices are uniform):
// fewer transactions, fewer operations, shorter values, fewer and earlier faults.
struct GenOp {
  int table = 0;      // 0..1
  int key = 0;        // 0..7
  int value_len = 0;  // -1: delete
};
struct GenTxn {
  std::vector<GenOp> ops;
  int end = 0;  // 0 durable commit, 1 lazy commit, 2 rollback
};
// Backups in the schedule, and how the machine comes back after the power failure.
struct GenBackup {
  int full_after = -1;         // a full backup after this many transactions (-1: none)
  int incremental_after = -1;  // an incremental after this many (when after the full)
  bool restore = false;        // restore from the set (when the full backup returned), else soft recovery
};
struct GenFault {
  int kind = 0;       // 0 crash, 1 EIO, 2 ENOSPC
  int per_mille = 0;  // position in the fault-free run's I/O operations
  bool lose_dirty = false;
};

// A valid WorkloadSpec from the generated transactions (operations that would be
// invalid against the state so far are turned into valid ones).
WorkloadSpec BuildSpec(const std::vector<GenTxn>& txns) {
  WorkloadSpec spec;
  spec.databases.push_back(DatabaseSpec{"db0.edb", {"t0", "t1"}});
  std::map<std::string, std::set<Bytes>> present;
  for (const GenTxn& g : txns) {
    TxnSpec txn;
    auto view = present;
    std::set<std::pair<std::string, Bytes>> touched;
    for (const GenOp& o : g.ops) {
      SpecOp op;
      op.table = TableName(0, o.table);
      op.key = fmt::format("k{}", o.key);
      if (!touched.insert({op.table, op.key}).second) continue;
      bool exists = view[op.table].count(op.key) != 0;
      if (o.value_len < 0 && exists) {
        op.kind = OpKind::kDelete;
        view[op.table].erase(op.key);
      } else {
        op.kind = exists ? OpKind::kReplace : OpKind::kInsert;
        op.value.assign(static_cast<std::size_t>(std::max(0, o.value_len)), static_cast<char>('a' + o.key));
        view[op.table].insert(op.key);
      }
      txn.ops.push_back(std::move(op));
    }
    txn.end = g.end == 2 ? TxnEnd::kRollback : (g.end == 1 ? TxnEnd::kCommitLazy : TxnEnd::kCommitDurable);
    if (txn.end != TxnEnd::kRollback) present = std::move(view);
    spec.transactions.push_back(std::move(txn));
  }
  return spec;
}

std::string Describe(const std::vector<GenTxn>& txns, const GenBackup& backup, const std::vector<GenFault>& faults,
                     int survivors) {
  std::ostringstream out;
  if (backup.full_after >= 0) {
    out << "full backup after " << backup.full_after << " txns; ";
    if (backup.incremental_after > backup.full_after) out << "incremental after " << backup.incremental_after << "; ";
    if (backup.restore) out << "restore from the set; ";
  }
  for (const GenTxn& t : txns) {
    out << "txn(";
    for (const GenOp& o : t.ops) out << " t" << o.table << "/k" << o.key << "=" << o.value_len;
    out << " ) " << (t.end == 2 ? "rollback" : (t.end == 1 ? "lazy" : "durable")) << "; ";
  }
  for (const GenFault& f : faults) {
    out << (f.kind == 0 ? "crash" : (f.kind == 1 ? "eio" : "enospc")) << "@" << f.per_mille << "permille"
        << (f.lose_dirty ? "+lose_dirty" : "") << "; ";
  }
  out << "survivors " << survivors;
  return out.str();
}

// Runs one generated input; returns "" or what went wrong.
// `injected` receives the faults that fired, by class.
std::string CheckOne(const std::vector<GenTxn>& txns, const GenBackup& backup, const std::vector<GenFault>& faults,
                     int survivors, std::uint64_t seed, std::array<std::uint64_t, kFaultClassCount>* injected) {
  Env env;
  env.spec = BuildSpec(txns);
  auto setup = SetupDisk(env);
  WorkloadPlan workload;
  if (backup.full_after >= 0) {
    workload.backup_after = static_cast<std::size_t>(backup.full_after);
    if (backup.incremental_after > backup.full_after) {
      workload.incremental_after.push_back(static_cast<std::size_t>(backup.incremental_after));
    }
  }
  std::uint64_t ops = 0;
  {
    Machine dry(*setup, faultfs::FaultPlan{}, env.op_budget);
    RunWorkload(dry.fs(), env, workload, nullptr);
    ops = dry.fs().op_count();
  }
  faultfs::FaultPlan plan;
  plan.seed = seed;
  for (const GenFault& f : faults) {
    std::uint64_t nth = ops * static_cast<std::uint64_t>(f.per_mille) / 1000;
    plan.rules.push_back(
        f.kind == 0
            ? CrashRule(nth)
            : FailRule(nth, f.kind == 1 ? faultfs::ErrorCode::kIoError : faultfs::ErrorCode::kDiskFull, f.lose_dirty));
  }
  CaseContext scratch(CaseId{"property", seed, 0, {}}, std::nullopt, nullptr);
  {
    Step step(scratch, 0);
    Machine machine(*setup, plan, env.op_budget);
    std::vector<std::pair<std::string, JET_ERR>> failed;
    WorkloadRun run = RunWorkload(machine.fs(), env, workload, [&failed](const std::string& call, JET_ERR code) {
      if (code < 0) failed.emplace_back(call, code);
    });
    // Faults of several classes may be active: a code must be allowed for one of them.
    for (const auto& [call, code] : failed) {
      bool allowed = false;
      for (FaultClass c : {FaultClass::kCrash, FaultClass::kIoError, FaultClass::kDiskFull}) {
        allowed = allowed ||
                  scratch.CodeViolation(c, FileRole::kAny, PhaseOfCall(call, Phase::kWorkload), code).empty();
      }
      if (!allowed)
        step.Fail(fmt::format("{} returned {}, allowed for none of the injected faults", call, CodeLabel(code)));
    }
    // The faults that fired, by class, from the trace (a crash is counted once).
    bool crashed = false;
    for (const faultfs::TraceEvent& e : machine.fs().trace()) {
      if (e.fault == faultfs::FaultKind::kCrash && !crashed) {
        crashed = true;
        ++(*injected)[static_cast<std::size_t>(FaultClass::kCrash)];
      } else if (e.fault == faultfs::FaultKind::kFail) {
        FaultClass c = e.result == faultfs::ErrorCode::kDiskFull ? FaultClass::kDiskFull : FaultClass::kIoError;
        ++(*injected)[static_cast<std::size_t>(c)];
      }
    }
    std::vector<SurvivorPolicy> policies = SurvivorPolicies(seed);
    auto image = machine.PowerLossImage(policies[static_cast<std::size_t>(survivors) % policies.size()].policy);
    // A set the full backup completed (synced before it returned) restores with the log
    // path to every durable commit, as soft recovery must.
    const Reopen how = backup.restore && run.backup_done ? Reopen::kRestore : Reopen::kSoftRecovery;
    VerifyReopen(step, env, *image, how, run.model, DefaultWindow(run.model));
  }
  std::string out;
  for (const Failure& f : scratch.result().failures) out += (out.empty() ? "" : "; ") + f.what;
  return out;
}

// RapidCheck's default listener remembers failures and prints a reproduction hint at
// process exit; the campaign has its own replay line, so listen to nothing.
class SilentListener : public rc::detail::TestListener {
 public:
  void onTestCaseFinished(const rc::detail::CaseDescription&) override {}
  void onShrinkTried(const rc::detail::CaseDescription&, bool) override {}
  void onTestFinished(const rc::detail::TestMetadata&, const rc::detail::TestResult&) override {}
};

void RunProperty(CaseContext& ctx) {
  if (!ctx.WantStep(0)) return;
  Step step(ctx, 0);
  std::array<std::uint64_t, kFaultClassCount> injected{};
  auto property = [&]() {
    auto txns = *rc::gen::resize(
        6, rc::gen::container<std::vector<GenTxn>>(rc::gen::build<GenTxn>(
               rc::gen::set(&GenTxn::ops,
                            rc::gen::resize(4, rc::gen::container<std::vector<GenOp>>(rc::gen::build<GenOp>(
                                                   rc::gen::set(&GenOp::table, rc::gen::inRange(0, 2)),
                                                   rc::gen::set(&GenOp::key, rc::gen::inRange(0, 8)),
                                                   rc::gen::set(&GenOp::value_len, rc::gen::inRange(-1, 300)))))),
               rc::gen::set(&GenTxn::end, rc::gen::element(0, 1, 2)))));
    auto faults = *rc::gen::resize(3, rc::gen::container<std::vector<GenFault>>(rc::gen::build<GenFault>(
                                          rc::gen::set(&GenFault::kind, rc::gen::element(0, 1, 2)),
                                          rc::gen::set(&GenFault::per_mille, rc::gen::inRange(0, 1000)),
                                          rc::gen::set(&GenFault::lose_dirty, rc::gen::arbitrary<bool>()))));
    auto backup = *rc::gen::build<GenBackup>(rc::gen::set(&GenBackup::full_after, rc::gen::inRange(-1, 6)),
                                             rc::gen::set(&GenBackup::incremental_after, rc::gen::inRange(-1, 7)),
                                             rc::gen::set(&GenBackup::restore, rc::gen::arbitrary<bool>()));
    int survivors = *rc::gen::element(0, 1, 2, 3);
    std::string problem = CheckOne(txns, backup, faults, survivors, ctx.seed(), &injected);
    if (!problem.empty()) RC_FAIL(Describe(txns, backup, faults, survivors) + " -> " + problem);
  };
  rc::detail::TestParams params;
  params.seed = ctx.seed();
  params.maxSuccess = 40;
  params.maxSize = 100;  // RapidCheck scales numeric ranges by size: reach all of them
  // RapidCheck prints its configuration and progress on std::cerr; the campaign
  // reports the outcome itself, so that chatter is swallowed while it runs.
  std::ostringstream swallowed;
  std::streambuf* saved = std::cerr.rdbuf(swallowed.rdbuf());
  SilentListener listener;
  rc::detail::TestResult result = rc::detail::checkProperty(
      rc::detail::toProperty(property), rc::detail::TestMetadata{"jetfault-property", "property"}, params, listener);
  std::cerr.rdbuf(saved);
  for (std::size_t c = 0; c < kFaultClassCount; ++c) ctx.CountFault(static_cast<FaultClass>(c), injected[c]);
  rc::detail::FailureResult failure;
  rc::detail::SuccessResult success;
  if (result.match(failure)) {
    // The description is "<file>:<line>:\nRC_FAIL(...)\n\n<message>"; keep the message.
    std::string message = failure.description;
    std::size_t blank = message.rfind("\n\n");
    if (blank != std::string::npos) message = message.substr(blank + 2);
    step.AddHash(HashBytes(message));
    step.AddPlan("shrunk to: " + message.substr(0, message.find(" -> ")));
    step.Fail("property failed after " + std::to_string(failure.numSuccess) + " successes; minimal case: " + message);
  } else if (result.match(success)) {
    step.AddHash(static_cast<std::uint64_t>(success.numSuccess));
  } else {
    std::ostringstream text;
    result.printTo(text);
    step.Fail("rapidcheck did not run the property: " + text.str());
  }
}

}  // namespace

Scenario PropertyScenario() {
  return Scenario{
      "property", "RapidCheck: random workload + random fault schedule, shrunk to a minimal failing case",
      "RapidCheck generates a small workload (transactions of puts and deletes on two tables, durable, lazy or "
      "rolled back), backups in it (a full backup, an incremental after it, or none) and whether the machine "
      "comes back by restoring the set or by soft recovery, and a fault schedule (crashes, EIO and ENOSPC, some "
      "with dirty data lost, at positions relative to the fault-free run), plus a survivor policy. The workload "
      "runs with the faults, the power fails, and the restore (when the full backup returned) or soft recovery "
      "must keep every durable commit and show no uncommitted data; failing calls must be allowed for one of "
      "the injected faults. A failure shrinks to fewer transactions, operations, backups and faults, and the "
      "minimal case is reported. Seeded from the case seed, so replay is exact.",
      6, RunProperty};
}

}  // namespace jetharness

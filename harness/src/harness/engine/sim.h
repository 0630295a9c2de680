// harness/engine/sim.h — the simulated machine a case runs on, and the two things
// every scenario does with it: run (part of) a workload, and verify what a recovery
// or a restore leaves behind.
//
// A Machine is a MemFs disk behind a FaultFs with a plan. Every plan gets one extra
// rule, the watchdog: after `op_budget` operations the machine "crashes", so an engine
// stuck in an I/O loop returns instead of hanging the campaign, and the step reports
// a hang (a step budget, never a wall-clock limit).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "faultfs/fault_fs.h"
#include "faultfs/mem_fs.h"
#include "harness/core/errmap.h"
#include "harness/core/model.h"
#include "harness/core/oracle.h"
#include "harness/core/scenario.h"
#include "harness/core/workload.h"
#include "harness/engine/driver.h"
#include "harness/engine/layout.h"

namespace jetharness {

inline constexpr std::uint64_t kDefaultOpBudget = 2'000'000;

// `jetfault replay --trace`: every Machine prints its fault plan and I/O trace to
// stderr when it is destroyed (off by default; campaigns never print traces).
void SetPrintTraces(bool on);

// `plan` plus the watchdog rule: a crash after `op_budget` operations.
faultfs::FaultPlan WithWatchdog(faultfs::FaultPlan plan, std::uint64_t op_budget);

class Machine {
 public:
  // Runs on a copy of `image` (the image itself is left untouched).
  Machine(const faultfs::MemFs& image, faultfs::FaultPlan plan, std::uint64_t op_budget = kDefaultOpBudget);
  ~Machine();

  faultfs::FaultFs& fs() { return *fs_; }
  faultfs::MemFs& disk() { return *disk_; }
  const faultfs::MemFs& disk() const { return *disk_; }
  // True when the watchdog fired: the engine did more I/O than any phase needs.
  bool hung() const { return fs_->op_count() > op_budget_; }
  // What a power failure now leaves (pending writes decided by policy).
  std::unique_ptr<faultfs::MemFs> PowerLossImage(const faultfs::CrashPolicy& policy) const;
  // What a killed process leaves: everything written, synced or not (the OS survives).
  std::unique_ptr<faultfs::MemFs> ProcessCrashImage() const { return disk_->Clone(); }
  // The plan without the watchdog rule, as text (for failure reports).
  std::string PlanText() const { return plan_text_; }
  // For a machine nobody asks for its trace (only its hash): the events are not kept
  // unless `jetfault replay --trace` prints them. Storing every event's path was a
  // tenth of a crash state's check (perf, docs/BENCHMARKS.md).
  void KeepTraceOnlyForPrinting();

 private:
  std::unique_ptr<faultfs::MemFs> disk_;
  std::unique_ptr<faultfs::FaultFs> fs_;
  std::uint64_t op_budget_;
  std::string plan_text_;
};

// What one case works with: the workload, the engine settings, the operation budget.
struct Env {
  WorkloadSpec spec;
  InstanceSettings settings;
  std::uint64_t op_budget = kDefaultOpBudget;
};

// An empty disk with the layout's directories (durable).
std::unique_ptr<faultfs::MemFs> EmptyDisk(const Layout& layout);
// A disk with the spec's databases and tables created and the instance shut down
// cleanly. Throws std::runtime_error when the engine refuses (no fault is active, so
// that is a harness-level failure of the case).
std::unique_ptr<faultfs::MemFs> SetupDisk(const Env& env);

// One step of a case: collects its trace hash, fault plan and failures, and hands
// them to the CaseContext when it ends (failures carry the step's final hash).
class Step {
 public:
  Step(CaseContext& ctx, std::uint64_t index);
  ~Step();  // ends the step
  Step(const Step&) = delete;
  Step& operator=(const Step&) = delete;

  CaseContext& ctx() { return ctx_; }
  std::uint64_t index() const { return index_; }
  void AddHash(std::uint64_t h);
  void AddPlan(const std::string& text);
  // Checks one call's code against the error map; false (and a failure) if not allowed.
  bool CheckCode(FaultClass fault, FileRole file, Phase phase, const std::string& call, JET_ERR code);
  void Fail(std::string what);
  bool failed() const { return !failures_.empty(); }

  // What a check adds to a step (hashes and failures, in order): captured from one
  // step and replayed into another whose check would do exactly the same (an equal
  // crash state), so both steps end with the hash and failures a replay of either
  // computes by running the check.
  struct Outcome {
    std::vector<std::uint64_t> hashes;
    std::vector<std::string> failures;
  };
  void Capture(Outcome* into) { capture_ = into; }  // null: stop
  void Reuse(const Outcome& outcome);

 private:
  CaseContext& ctx_;
  std::uint64_t index_;
  std::uint64_t hash_;
  std::string plan_;
  std::vector<std::string> failures_;
  Outcome* capture_ = nullptr;
};

// The workload part of a case.
struct WorkloadPlan {
  std::size_t first = 0;  // transactions [first, last)
  std::size_t last = SIZE_MAX;
  std::size_t backup_after = SIZE_MAX;  // full backup after this many transactions
  // Incremental backups into the same set, each after this many transactions (after
  // the full backup; ascending).
  std::vector<std::size_t> incremental_after;
  bool inflight = false;        // leave spec.inflight open at the end
  bool create = false;          // create the databases (fresh disk)
  bool clean_shutdown = false;  // JetTerm at the end (else abrupt)
  // Called with each API call's name before it is made (EngineInstance::set_before_call).
  std::function<void(const std::string& call)> before_call;
};

// When a backup (full or incremental) ran, in the model's terms: a set that ends with
// it holds every commit durable when it began, and no commit issued after it returned.
struct BackupMoment {
  bool incremental = false;
  std::size_t durable_at_start = 0;  // Model::MinPrefix() when the backup began
  std::size_t commits_at_end = 0;    // Model::CommitCount() when it returned
  // The op count of the machine when the backup began and returned (a range of I/O
  // points that belong to it).
  std::uint64_t first_op = 0;
  std::uint64_t end_op = 0;
  bool done = false;  // it returned success
};

struct WorkloadRun {
  Model model;
  CallFailure failure;                // first failing call, if any
  std::size_t commits_at_backup = 0;  // Model::CommitCount() when the full backup returned
  bool backup_done = false;
  std::vector<BackupMoment> backups;  // every backup the plan asked for that began
};

// Runs the workload on `vfs` (a Machine's FaultFs, or real files for `jetfault
// workload`); every call result goes to `observer` (may be null). The instance is
// ended abruptly unless plan.clean_shutdown.
WorkloadRun RunWorkload(faultfs::Vfs& vfs, const Env& env, const WorkloadPlan& plan, CallObserver observer);
// The same, filling *run as it goes: a FaultFs hook (set_before_op) may read
// run->model mid-workload to know the window of a power failure at that operation.
void RunWorkloadInto(faultfs::Vfs& vfs, const Env& env, const WorkloadPlan& plan, CallObserver observer,
                     WorkloadRun* run);

// How the verification reaches the database.
enum class Reopen : std::uint8_t {
  kSoftRecovery,  // JetInit on the image's log path
  kRestore,       // JetRestoreInstance from the layout's backup dir, then JetInit
};

// A fault active while reopening: which class, on which file (for the error map).
struct OpenFault {
  FaultClass fault = FaultClass::kNone;
  FileRole role = FileRole::kAny;
};

enum class ReopenOutcome : std::uint8_t {
  kOk,         // opened, read back, physically consistent, shut down cleanly
  kRefused,    // a call failed with a code the error map allows for `fault`
  kViolation,  // a disallowed code or a physical problem (recorded in the step)
};

// Recovers or restores the machine's disk and reads everything back, checking every
// call's code against the error map for `fault` (the opening call as recovery/restore,
// the rest as workload). Does not judge the content: the caller runs the oracle.
ReopenOutcome AttemptReopen(Step& step, const Env& env, Machine& machine, Reopen how, OpenFault fault, ReadBack* read);
// The same on any Vfs (real files: the process scenarios).
ReopenOutcome AttemptReopen(Step& step, const Env& env, faultfs::Vfs& vfs, Reopen how, OpenFault fault, ReadBack* read);

// AttemptReopen, then the oracle: a success must hold a state within `window`; when it
// does not, the failure is recorded and the outcome is kViolation. Every path that lets
// a recovery or a restore run with a fault present judges a success this way, at once,
// before a repair or a fault-free rerun can replace what it left.
ReopenOutcome AttemptAndJudge(Step& step, const Env& env, faultfs::Vfs& vfs, Reopen how, OpenFault fault,
                              const Model& model, PrefixWindow window, ReadBack* read);

// With no fault active: recover or restore `image`, then require success, the oracle
// (state within `window`), the physical checks, a clean JetTerm, and a second
// JetInit/JetTerm cycle that shows the very same content. Failures go to `step`.
// Returns the content read (empty on failure).
// `final_image`, when given, receives the disk as the checks left it.
DbState VerifyReopen(Step& step, const Env& env, const faultfs::MemFs& image, Reopen how, const Model& model,
                     PrefixWindow window, std::unique_ptr<faultfs::MemFs>* final_image = nullptr);
// The same checks on `vfs` as it is (real files: the process scenarios), in place.
DbState VerifyReopenOn(Step& step, const Env& env, faultfs::Vfs& vfs, Reopen how, const Model& model,
                       PrefixWindow window);

// The survivor images a power failure may leave, each named; seeded by `seed`.
struct SurvivorPolicy {
  const char* name;
  faultfs::CrashPolicy policy;
  // Decided per machine from its pending writes: every unsynced database write
  // survives, every other pending operation is lost (DatabaseWritesOnly). Legal for a
  // correct engine: it writes a page only after the log records it depends on are
  // synced. An engine that writes a page before its log leaves pages nothing explains.
  bool database_writes_only = false;
};
std::vector<SurvivorPolicy> SurvivorPolicies(std::uint64_t seed);
// SurvivorPolicies plus "db-kept-log-lost" (database_writes_only): for workloads that
// evict dirty pages (a small page cache), where write-ahead ordering is at stake.
std::vector<SurvivorPolicy> EvictionSurvivorPolicies(std::uint64_t seed);
// What a power failure leaves of `disk` (with its pending operations) under `survivors`.
std::unique_ptr<faultfs::MemFs> SurvivorImage(const Env& env, const faultfs::MemFs& disk,
                                              const SurvivorPolicy& survivors);

// FileRole of the operation with this index in the machine's trace (kAny if none).
FileRole RoleOfOp(const Env& env, Machine& machine, std::uint64_t op_index);

}  // namespace jetharness

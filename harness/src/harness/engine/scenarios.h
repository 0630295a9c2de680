// harness/engine/scenarios.h — every scenario `jetfault` knows, and their shared parts.
//
// Each scenario lives in its own file (scenario_<name>.cc) and is described by its
// Scenario entry (name, summary, description: `jetfault list` prints them; the same
// text is in docs/HARNESS.md). RegisterScenarios adds them all, in documentation order.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "harness/core/scenario.h"
#include "harness/engine/sim.h"

namespace jetharness {

void RegisterScenarios(ScenarioRegistry* registry);

// bad-args runs its legacy-mode cases in a fresh process: `<exe> __bad-args-child N`.
// The jetfault CLI sets its own path; a test binary sets the jetfault it was built
// with. Unset: those cases are skipped (and not counted).
void SetChildExecutable(std::string path);
const std::string& ChildExecutable();
// Body of the hidden subcommand: runs legacy case N in this (fresh) process, prints
// the code the engine returned on stdout, returns the process exit status.
int RunBadArgsChild(int case_number);

// The factories, one per scenario file.
Scenario CrashWorkloadScenario();
Scenario CrashRestoreScenario();
Scenario CrashRestoreNestedScenario();
Scenario CrashCreateScenario();
Scenario MissingLogScenario();
Scenario CorruptPageScenario();
Scenario CorruptLogScenario();
Scenario ForeignLogScenario();
Scenario SharingViolationScenario();
Scenario IoErrorScenario();
Scenario OomScenario();
Scenario BadArgsScenario();
Scenario CircularLogScenario();
Scenario PropertyScenario();
Scenario BackupChainScenario();
Scenario LostWriteScenario();
// scenario_process.cc: real processes on real files (process_child.h)
Scenario ProcessKillScenario();
Scenario ProcessRestoreKillScenario();
Scenario ProcessBackupKillScenario();
Scenario ProcessSharingScenario();
Scenario ProcessRestoreSharingScenario();
Scenario ProcessBackupSharingScenario();
// scenario_seam.cc: the engine seam's generic scenarios on the JET adapter
Scenario JetSeamCrashScenario();
Scenario JetSeamIoErrorScenario();
Scenario JetSeamBackupScenario();

// ---- shared by the scenario files ---------------------------------------------------

// The Env of a case: a seeded workload of `transactions` transactions on a fresh layout.
Env MakeEnv(std::uint64_t seed, int transactions, int inflight = 1);

// Workloads that each reach another part of the engine. Scenarios that take a shape
// cycle through them by case number (ShapeOfCase), so every shape meets every fault.
enum class WorkloadShape : std::uint8_t {
  kSmall,       // a few short transactions over 24 short keys: every crash point is cheap
  kDeepTree,    // 200-byte keys, hundreds of records, runs of deletes: B-tree splits to
                // three levels at 4 KiB pages, leaves emptied by deletes
  kConcurrent,  // two databases; probes (a second session reads and writes records an open
                // transaction holds: committed values, write conflicts, interleaved
                // commits); savepoints rolled back; long values
  kLongValues,  // long values of 1..3 pages +-1 byte (chains ending exactly at a page
                // boundary), replaced, deleted and rolled back, savepoints
};
inline constexpr std::uint64_t kWorkloadShapeCount = 4;
const char* WorkloadShapeName(WorkloadShape shape);
WorkloadShape ShapeOfCase(std::uint64_t index);
Env MakeShapedEnv(std::uint64_t seed, WorkloadShape shape, int inflight = 1);

// A workload that spreads over several log generations (long values, small logs): what
// the file-level scenarios (missing, corrupt, foreign logs) need to pick from.
Env MakeLogHeavyEnv(std::uint64_t seed, int databases = 1);

// An API result is a failure of the workload phase: which phase does the call belong to?
Phase PhaseOfCall(const std::string& call, Phase otherwise);

// Collects the calls of a phase that failed, to check them afterwards against the
// error map for the fault that was active (the file it hit is known only then).
class FailedCalls {
 public:
  CallObserver Observer();
  // Each failed call must be allowed for (fault, role, the call's phase).
  void Check(Step& step, FaultClass fault, FileRole role, Phase phase) const;
  bool empty() const { return calls_.empty(); }

 private:
  std::vector<std::pair<std::string, JET_ERR>> calls_;
};

// A run recorded once and checked at its crash points (scenario_crash.cc: crash-workload,
// crash-create). CheckEveryCrashPoint runs `run` once on a Machine over `start`; before
// each I/O operation the case checks (crash_points.h) it snapshots the disk with
// `window()`, what a power failure there allows. Each point's survivor image under each
// policy is one step (k * policies + p), checked by `check` once per distinct state
// (equal states reuse the outcome). The point of lowest rank is also run through
// crashed by `run_through`, which checks the codes the calls return.
struct RecordedCrashes {
  const char* what;  // "workload": in "the workload failed with no fault active"
  const Env& env;
  const faultfs::MemFs& start;
  std::vector<SurvivorPolicy> policies;
  std::function<PrefixWindow()> window;
  // The recorded run; returns its failure ("" when it succeeded).
  std::function<std::string(faultfs::Vfs& vfs)> run;
  std::function<void(Step& step, std::uint64_t op, FileRole role)> run_through;
  std::function<void(Step& step, const faultfs::MemFs& image, PrefixWindow window)> check;
};
void CheckEveryCrashPoint(CaseContext& ctx, const RecordedCrashes& crashes);

// A plan with one rule.
faultfs::FaultPlan OneRulePlan(std::uint64_t seed, const faultfs::FaultRule& rule);
faultfs::FaultRule CrashRule(std::uint64_t nth);
faultfs::FaultRule FailRule(std::uint64_t nth, faultfs::ErrorCode error, bool lose_dirty = false);

// The workload of env (a backup after `backup_after`, in-flight transactions left
// open) on a fresh setup disk with no fault, ended abruptly. `after` is what the disk
// holds once the OS has written everything back (a process crash, then a sync): the
// starting point of the file-level and restore scenarios, which test what happens to
// *those* files, not the durability of the workload (crash-workload does that). Throws
// when the engine fails without a fault (a harness-level failure of the case).
struct Baseline {
  std::unique_ptr<faultfs::MemFs> setup;  // databases created, clean shutdown
  std::unique_ptr<faultfs::MemFs> after;  // after the workload, everything durable
  WorkloadRun run;

  // Every durable commit: what soft recovery, or a restore, must reach whenever it
  // succeeds. Damage to a log (missing, garbled, foreign generations) may make it
  // fail, never succeed with less: only the unsynced tail may be lost.
  PrefixWindow Durable() const { return {run.model.MinPrefix(), run.model.MaxPrefix()}; }
};
// `before_op`, when given, sees the baseline's machine before each I/O operation of the
// workload (e.g. to snapshot its disk: a rerun would not give the same bytes, since log
// headers carry the wall-clock time of their creation).
Baseline MakeBaseline(const Env& env, std::size_t backup_after, bool inflight,
                      const std::function<void(Machine&, const faultfs::TraceEvent&)>& before_op = nullptr);

// Counts the I/O operations JetRestoreInstance does on `image` (no fault); nullopt,
// with the failure in *error, when the restore fails.
std::optional<std::uint64_t> CountRestoreOps(const Env& env, const faultfs::MemFs& image, std::string* error);

// Files (names) in a directory of an image, sorted; empty if the directory is absent.
std::vector<std::string> ListFiles(const faultfs::MemFs& image, const std::string& dir);
// Generations present as archived logs (edbXXXXX.log) in a directory of an image.
std::vector<std::int32_t> ArchivedGenerations(const faultfs::MemFs& image, const std::string& dir);
// Copies one file's bytes from `from` into `to` (creating or replacing it, durably).
void CopyFile(const faultfs::MemFs& from, faultfs::MemFs* to, const std::string& path, const std::string& to_path = "");

// One fault on the files of a baseline's image, the attempt it must survive, and the
// repair after which nothing durable may be lost:
//   1. damage a copy of base.after;
//   2. attempt soft recovery or restore with the fault present: failing calls must be
//      allowed by the error map for (fault, role), success is checked as
//      JET_errSuccess (rows without it require failure) and then by the oracle
//      against success_window;
//   3. when the attempt was refused, repair the image it left behind and reopen with
//      no fault: this must succeed with the content in repair_window.
// A fault the engine is built to absorb (one of two checkpoint copies) is
// `must_succeed`: the attempt must succeed, with the content in success_window.
struct FileFault {
  FaultClass fault = FaultClass::kNone;
  FileRole role = FileRole::kAny;
  std::string description;  // for the failure report, e.g. "delete /backup/edb00002.log"
  Reopen attempt = Reopen::kSoftRecovery;
  PrefixWindow success_window;
  std::function<void(faultfs::MemFs&)> damage;
  std::function<void(faultfs::MemFs&)> repair;  // null: no repair needed
  Reopen repair_how = Reopen::kSoftRecovery;
  PrefixWindow repair_window;
  bool must_succeed = false;
  // The damage leaves nothing the engine may trust (both copies of a header, the one
  // header of the generation recovery starts from): a success is a violation, whatever
  // the content (an engine that reads past a failed checksum gets lucky at best).
  bool must_refuse = false;
  // A restore that refuses this damage must refuse it before writing anything: the
  // instance's files stay byte for byte as they were (docs/RESTORE.md checks the set and
  // the log path's generations first). Always so for damage to the backup set.
  bool refused_before_writing = false;
};
void RunFileFault(CaseContext& ctx, std::uint64_t step_index, const Env& env, const Baseline& base,
                  const FileFault& fault);
// The common FileFault: `damage` applied to the image, then soft recovery or restore
// (`how`); the repair copies each of `originals` back from base.after and does the
// same again. Both a success under the damage and the repaired reopen must reach every
// durable commit (base.Durable()): damage to a log may make the engine refuse, never
// succeed with less. The description is `what` + " then restore" / " then soft recovery".
FileFault DamageThenReopen(const Baseline& base, FaultClass fault, FileRole role, const std::string& what, Reopen how,
                           std::function<void(faultfs::MemFs&)> damage, std::vector<std::string> originals);
// After a successful restore on `machine` (no fault active): a full backup, which
// verifies every page of every database, must succeed.
void VerifyPagesByBackup(Step& step, const Env& env, Machine& machine);
// The first file below `dir` whose bytes differ between two images ("<path>
// (rewritten)", or created / deleted), or "" when every file is the same.
std::string FirstChangedFile(const faultfs::MemFs& before, const faultfs::MemFs& after, const std::string& dir = "/");
// A step with nothing to do (its target file does not exist in this case): counted,
// hashed as skipped, so step numbers stay stable.
void SkipStep(CaseContext& ctx, std::uint64_t step_index, const std::string& why);

// Replaces `length` bytes of a stored file with seeded garbage (bit rot on the medium).
void CorruptBytes(faultfs::MemFs& disk, const std::string& path, std::uint64_t offset, std::uint32_t length,
                  std::uint64_t seed);
std::uint64_t FileSizeOf(const faultfs::MemFs& disk, const std::string& path);

}  // namespace jetharness

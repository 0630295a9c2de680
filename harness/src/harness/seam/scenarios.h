// harness/seam/scenarios.h — crash and I/O-error scenarios for any EngineUnderTest.
//
// The same checks crash-workload and io-error make of JET, through the seam: a seeded
// workload (core/workload.h) runs on a simulated machine (engine/sim.h), the Model
// records it, and every recovered state goes to the oracle (core/oracle.h). An
// engine's scenarios are these functions bound to its factory (sqlite/scenarios.cc).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "faultfs/mem_fs.h"
#include "harness/core/scenario.h"
#include "harness/engine/sim.h"
#include "harness/seam/engine_under_test.h"

namespace jetharness {

struct SeamEnv {
  EngineFactory make;
  WorkloadSpec spec;
  std::string data_dir = "/db";        // created (durably) on the empty disk
  std::string backup_dir = "/backup";  // RunSeamBackup's: EngineUnderTest::Backup writes it
  std::uint64_t op_budget = kDefaultOpBudget;
};

// The workload every adapter's generic scenarios run: 8 short transactions with one
// left in flight, or, in odd cases, 10 longer ones with long values (values past a
// page, where engines store them apart); --txns and the like apply. An adapter may
// narrow it (SQLite: no per-transaction lazy commit) before generating the spec.
WorkloadConfig SeamWorkloadConfig(const CaseContext& ctx);

// A disk with the store created, the spec's tables and preload in it, closed cleanly,
// everything durable. Throws std::runtime_error when the engine refuses (no fault).
std::unique_ptr<faultfs::MemFs> SeamSetupDisk(const SeamEnv& env);

// Opens `image` (the engine's recovery runs), reads everything back, requires the
// oracle's verdict within `window`, a clean close, and a second open showing the same
// content. Failures go to `step`.
void SeamVerifyReopen(Step& step, const SeamEnv& env, const faultfs::MemFs& image, const Model& model,
                      PrefixWindow window);

// Power loss before every I/O operation of the workload (recorded once, sampled
// beyond 100 points: engine/crash_points.h), each survivor image of SurvivorPolicies,
// then SeamVerifyReopen against the window of that moment.
void RunSeamCrash(CaseContext& ctx, const SeamEnv& env);

// EIO, then ENOSPC, on every I/O operation of the workload (sampled beyond 100): the
// failing call's code must be one the engine's code map allows for the fault, the
// workload may not succeed past a fault that lost data, and the disk a power failure
// leaves afterwards (unsynced writes dropped) must recover within the window.
void RunSeamIoError(CaseContext& ctx, const SeamEnv& env);

// Backup, crash, restore, for an adapter that SupportsBackup (asserted), by the
// contract of EngineUnderTest::Backup and Restore. The workload (no transaction left in
// flight) runs its first half of the transactions, then Backup, then the rest (commits
// the backup must not hold), then a clean close; the backup holds exactly the first
// half's commits (window [k, k], k = the commits before Backup was called). Power
// loss before every I/O operation of Backup (recorded once with the model's window),
// and after it returned, four survivor images each: Restore on the image must either
// refuse (before Backup returned only; the store then recovers within the window of
// that moment) or give exactly the backup. Then power loss before every I/O operation
// of a Restore of the final disk, and after it returned: an interrupted Restore run
// again on the image must succeed with exactly the backup, and an acknowledged one
// must survive the power loss (else lost-durable-commit). Sampled beyond 100 points
// (both together), shrunk like the others.
void RunSeamBackup(CaseContext& ctx, const SeamEnv& env);

// The scenarios shrink a failing case (docs/HARNESS.md, "Shrunk findings"): a smaller
// variant of its workload that fails with the same violation class, replayable as a
// step of the same case numbered from kShrinkStepBase on.
using SeamCase = std::function<void(CaseContext&, const SeamEnv&)>;
// The shrinker itself, for any scenario whose case is a function of its SeamEnv's
// workload (sqlite-backup too): runs the case of `run`, then, if it failed, its
// variants (the first 0, 1, ... transactions, without then with the in-flight one)
// until one fails with the same violation class (the failure's text up to its first
// colon); sets that variant's replay line on every failure of the class. A replay of
// such a step runs that step of that variant alone.
void RunShrinking(CaseContext& ctx, const SeamEnv& env, const SeamCase& run);
struct ShrunkVariant {
  std::size_t transactions = 0;  // the first this many of the workload's transactions
  bool inflight = false;         // and the in-flight one
};
inline constexpr std::uint64_t kShrinkStepBase = 1'000'000'000;
struct ShrunkStepParts {
  ShrunkVariant variant;
  std::uint64_t inner_step = 0;  // the step of the variant's own case
};
std::uint64_t ShrunkStep(const ShrunkVariant& variant, std::uint64_t inner_step);
std::optional<ShrunkStepParts> ParseShrunkStep(std::uint64_t step);

}  // namespace jetharness

// io-error: EIO and ENOSPC at every I/O site of a workload (with a backup), of a restore
// and of a soft recovery (harness/engine/fault_sweep.h).
#include <fmt/format.h>

#include <array>

#include "harness/engine/fault_sweep.h"

namespace jetharness {

namespace {

// ENOSPC only makes sense where storage could grow.
bool CanRunOutOfSpace(faultfs::OpKind op) {
  using faultfs::OpKind;
  return op == OpKind::kWrite || op == OpKind::kAppend || op == OpKind::kTruncate || op == OpKind::kOpen ||
         op == OpKind::kMkdir || op == OpKind::kSync;
}

struct Site {
  faultfs::OpKind op;
  FileRole role;
  std::string path;
};

std::vector<Site> Sites(const Env& env, Machine& machine) {
  std::vector<Site> sites;
  for (const faultfs::TraceEvent& e : machine.fs().trace()) {
    sites.push_back(Site{e.op, ClassifyPath(env.settings.layout, e.path), e.path});
  }
  return sites;
}

void RunIoError(CaseContext& ctx) {
  FaultSweep sweep(ctx.seed());
  const Env& env = sweep.env();
  // Dry runs list the I/O operations of each phase; each fails with EIO (step 2k) and
  // with ENOSPC (step 2k+1).
  std::array<std::vector<Site>, kSweepPhases> sites;
  std::array<std::uint64_t, kSweepPhases> steps{};
  for (std::size_t p = 0; p < kSweepPhases; ++p) {
    Machine dry(sweep.Image(static_cast<SweepPhase>(p)), faultfs::FaultPlan{}, env.op_budget);
    sweep.Run(static_cast<SweepPhase>(p), dry, nullptr);
    sites[p] = Sites(env, dry);
    steps[p] = 2 * sites[p].size();
  }
  FaultSweep::ForEachStep(ctx, steps, [&](std::uint64_t index, SweepPhase phase, std::uint64_t j) {
    const Site& site = sites[static_cast<std::size_t>(phase)][j / 2];
    const bool enospc = j % 2 == 1;
    if (enospc && !CanRunOutOfSpace(site.op)) {
      SkipStep(ctx, index, "ENOSPC on an operation that does not allocate");
      return;
    }
    Step step(ctx, index);
    FaultClass fault = enospc ? FaultClass::kDiskFull : FaultClass::kIoError;
    // fsyncgate: a failed sync of the log or a database may have dropped its dirty data.
    bool lose_dirty = !enospc && site.op == faultfs::OpKind::kSync;
    faultfs::FaultRule rule = FailRule(j / 2, enospc ? faultfs::ErrorCode::kDiskFull : faultfs::ErrorCode::kIoError,
                                       lose_dirty);
    step.AddPlan(fmt::format("{} on {} #{} ({} {}){}", FaultClassName(fault), SweepPhaseName(phase), j / 2,
                             faultfs::OpKindName(site.op), site.path, lose_dirty ? ", dirty data lost" : ""));
    sweep.RunStep(step, phase, OneRulePlan(ctx.seed(), rule), fault, site.role);
  });
}

}  // namespace

Scenario IoErrorScenario() {
  return Scenario{
      "io-error", "EIO and ENOSPC at every I/O operation of a workload, a backup, a restore and a soft recovery",
      "A small workload with a full backup in the middle runs once to list its I/O operations, and a restore "
      "and a soft recovery (JetInit after the workload's process died) likewise. Each operation then fails once "
      "with EIO (a failed sync also drops its dirty data, as Linux does) and, where storage could grow, with "
      "ENOSPC. Every failing call must carry a code the error map allows for that file and phase. After a "
      "workload or recovery fault the power fails (unsynced data dropped) and soft recovery must show every "
      "durable commit; after a restore fault the same restore, fault removed, must succeed with every durable "
      "commit.",
      2, RunIoError};
}

}  // namespace jetharness

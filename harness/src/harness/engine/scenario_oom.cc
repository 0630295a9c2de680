// oom: every allocation site of a workload, a restore and a soft recovery fails once
// (harness/engine/fault_sweep.h).
#include <fmt/format.h>

#include <array>

#include "faultfs/alloc_fault.h"
#include "harness/engine/fault_sweep.h"

namespace jetharness {

namespace {

void RunOom(CaseContext& ctx) {
  FaultSweep sweep(ctx.seed());
  // Dry runs list the allocation sites of each phase; each fails at its first call
  // (step 2s) and at a seeded later one, 1..7 (step 2s+1).
  std::array<std::vector<std::string>, kSweepPhases> sites;
  std::array<std::uint64_t, kSweepPhases> steps{};
  for (std::size_t p = 0; p < kSweepPhases; ++p) {
    faultfs::AllocFaultInjector counter("*", UINT64_MAX, false);
    Machine dry(sweep.Image(static_cast<SweepPhase>(p)), faultfs::FaultPlan{}, sweep.env().op_budget);
    sweep.Run(static_cast<SweepPhase>(p), dry, nullptr);
    sites[p] = counter.sites_seen();
    steps[p] = 2 * sites[p].size();
  }
  FaultSweep::ForEachStep(ctx, steps, [&](std::uint64_t index, SweepPhase phase, std::uint64_t j) {
    const std::string& site = sites[static_cast<std::size_t>(phase)][j / 2];
    std::uint64_t nth = j % 2 == 0 ? 0 : 1 + faultfs::SplitMix64::Derive(ctx.seed(), index).Uniform(7);
    Step step(ctx, index);
    step.AddPlan(fmt::format("allocation #{} at site {} fails during {}", nth, site, SweepPhaseName(phase)));
    sweep.RunStep(step, phase, faultfs::FaultPlan{}, FaultClass::kOutOfMemory, FileRole::kAny,
                  [&](const std::function<void()>& run) {
                    faultfs::AllocFaultInjector injector(site, nth, false);
                    run();
                    return injector.failures();
                  });
  });
}

}  // namespace

Scenario OomScenario() {
  return Scenario{
      "oom", "every allocation site of a workload, a restore and a soft recovery fails once",
      "Dry runs list the engine's allocation sites (faultfs/alloc_fault.h) in a workload with a backup, in a "
      "restore and in a soft recovery. Each site then fails at its first call and at a seeded later one. Failing "
      "calls must return JET_errOutOfMemory (or a fatal log error); afterwards soft recovery, or a restore with "
      "the fault removed, must show every durable commit.",
      8, RunOom};
}

}  // namespace jetharness

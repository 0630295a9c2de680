// harness/engine/fault_sweep.h — what io-error and oom share: one fault at a time at
// every site of three phases of the same small case, each followed by a fault-free
// check that nothing durable was lost.
//
// The scenarios differ only in what a site is (an I/O operation of the trace, or an
// allocation site) and how a fault is armed (a FaultFs rule, or an allocation
// injector around the run); the phases, the starting images, the step numbering and
// the follow-up checks are here, once.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>

#include "harness/engine/scenarios.h"

namespace jetharness {

enum class SweepPhase : std::uint8_t {
  // A workload with a full backup in the middle and a transaction left in flight;
  // then the power fails (unsynced data lost) and soft recovery must keep every
  // durable commit.
  kWorkload,
  // JetRestoreInstance of that backup; then the same restore with the fault removed
  // must succeed with every durable commit.
  kRestore,
  // Soft recovery (JetInit) of the image the workload left when its process died;
  // then the power fails, and recovery with the fault removed must still succeed with
  // every durable commit (a failed recovery must leave a recoverable disk).
  kRecovery,
};
inline constexpr std::size_t kSweepPhases = 3;
const char* SweepPhaseName(SweepPhase phase);

class FaultSweep {
 public:
  // Runs the fault-free baseline of the case (throws, like MakeBaseline, when the
  // engine fails with no fault active).
  explicit FaultSweep(std::uint64_t seed);

  const Env& env() const { return env_; }
  // The image `phase` starts from (left untouched; a Machine runs on a copy).
  const faultfs::MemFs& Image(SweepPhase phase) const;
  // Runs `phase` on `machine`; every call result goes to `observer` (may be null).
  WorkloadRun Run(SweepPhase phase, Machine& machine, CallObserver observer) const;

  // Arms a fault that is not part of the FaultFs plan (an allocation injector) around
  // `run`, and returns how many faults it injected.
  using Armed = std::function<std::uint64_t(const std::function<void()>& run)>;
  // One step: `phase` on a machine with `plan`, inside `armed` when given; every failed
  // call must be allowed by the error map for (fault, role); then the follow-up check.
  void RunStep(Step& step, SweepPhase phase, const faultfs::FaultPlan& plan, FaultClass fault, FileRole role,
               const Armed& armed = nullptr) const;

  // Steps are numbered phase after phase (workload, restore, recovery), `per_phase[p]`
  // of phase p, so adding a phase at the end keeps earlier step numbers (and replay
  // lines) valid. Calls body(index, phase, j) for the j-th step of each wanted phase.
  static void ForEachStep(CaseContext& ctx, const std::array<std::uint64_t, kSweepPhases>& per_phase,
                          const std::function<void(std::uint64_t index, SweepPhase phase, std::uint64_t j)>& body);

 private:
  Env env_;
  Baseline base_;
  WorkloadPlan plan_;
};

}  // namespace jetharness

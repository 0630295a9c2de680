// harness/engine/crash_points.h — which I/O points of a recorded workload a case
// checks, and the disk snapshotted before each (record once, derive every crash state).
//
// Shared by crash-workload and the engine-seam crash scenarios (seam/scenarios.h):
// the workload runs once on a Machine; FaultFs::set_before_op calls a hook before
// every operation k, which snapshots the disk (copy-on-write) with the model's window
// for a power failure there when the case wants point k. Workloads with more than
// `max_points` I/O points take every stride-th point from a seeded offset, so a case
// stays within its budget while successive cases cover other points. The point after
// the last operation (k == ops) is always checked.
#pragma once

#include <cstdint>
#include <memory>

#include "faultfs/mem_fs.h"
#include "harness/core/errmap.h"
#include "harness/core/oracle.h"
#include "harness/core/scenario.h"

namespace jetharness {

// The disk as a power failure before one I/O operation would find it (pending writes
// not yet decided), and what the model allows then.
struct CrashPoint {
  std::uint64_t op = 0;
  std::uint64_t trace_hash = 0;  // of every operation before it
  FileRole role = FileRole::kAny;
  PrefixWindow window;
  std::unique_ptr<faultfs::MemFs> disk;
};

class CrashSampling {
 public:
  // ops: I/O operations of the fault-free run; per_point: steps per point (survivor
  // images), numbered k * per_point + p.
  CrashSampling(std::uint64_t ops, std::uint64_t per_point, std::uint64_t seed, std::uint64_t max_points = 100);

  std::uint64_t ops() const { return ops_; }
  std::uint64_t per_point() const { return per_point_; }
  std::uint64_t Step(std::uint64_t k, std::uint64_t p) const { return k * per_point_ + p; }
  // Point k (0..ops) is checked by this case and one of its steps is wanted.
  bool Wanted(const CaseContext& ctx, std::uint64_t k) const;

 private:
  std::uint64_t ops_;
  std::uint64_t per_point_;
  std::uint64_t stride_;
  std::uint64_t offset_;
};

}  // namespace jetharness

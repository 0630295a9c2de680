// harness/engine/crash_points.h — which I/O points of a recorded workload a case
// checks, and the disk snapshotted before each (record once, derive every crash state).
//
// Both ways run the workload once on a Machine; FaultFs::set_before_op calls a hook before
// every operation k, which snapshots the disk (copy-on-write) with the model's window
// for a power failure there when the case wants point k. Workloads with more than
// `max_points` I/O points take every stride-th point from a seeded offset, so a case
// stays within its budget while successive cases cover other points. The point after
// the last operation (k == ops) is always checked. CrashSampling, which needs the count
// of a first run, serves the engine-seam crash scenarios (seam/scenarios.h);
// crash-workload uses CrashPointRecorder (below), which needs no counting run.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

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

// Record once without counting first (crash-workload): which points of a recorded
// run a case checks is decided as the run goes. Point k gets a seeded rank; the case
// checks the `max_points` points of lowest rank (all of them in a shorter run), plus
// the point after the last operation. Before operation k, Offer says whether k ranks
// among the lowest so far (and a step of it is wanted): only then is the disk
// snapshotted, and a snapshot that drops out of the lowest ranks is released at once.
// So a run of any length holds at most max_points snapshots and takes about
// max_points * (1 + ln(ops / max_points)), and successive cases check other points.
class CrashPointRecorder {
 public:
  CrashPointRecorder(std::uint64_t per_point, std::uint64_t seed, std::uint64_t max_points = 100);

  std::uint64_t Step(std::uint64_t k, std::uint64_t p) const { return k * per_point_ + p; }
  // A step of point k is wanted by the case (a replay of one step wants one point).
  bool Wanted(const CaseContext& ctx, std::uint64_t k) const;
  // Before operation k (called for k = 0, 1, ... in order): true when the caller must
  // snapshot point k now and hand it to Keep.
  bool Offer(const CaseContext& ctx, std::uint64_t k) { return Offer(k, Wanted(ctx, k)); }
  // The same with the caller's own idea of whether point k is wanted.
  bool Offer(std::uint64_t k, bool wanted);
  void Keep(CrashPoint point);
  // After the run: the snapshots of the points checked, in operation order.
  std::vector<CrashPoint> Take();
  // The checked point of lowest rank (whether wanted or not), if any: the one whose
  // crash is also run through, to check the codes the workload's calls return.
  std::optional<std::uint64_t> lowest() const;

 private:
  std::uint64_t Rank(std::uint64_t k) const;

  std::uint64_t per_point_;
  std::uint64_t seed_;
  std::uint64_t max_points_;
  std::set<std::pair<std::uint64_t, std::uint64_t>> lowest_;  // (rank, k), at most max_points
  std::map<std::uint64_t, CrashPoint> kept_;                  // by k
};

}  // namespace jetharness

#include "harness/engine/crash_points.h"

#include "faultfs/prng.h"
#include "jetfault/assert.h"

namespace jetharness {

CrashSampling::CrashSampling(std::uint64_t ops, std::uint64_t per_point, std::uint64_t seed, std::uint64_t max_points)
    : ops_(ops),
      per_point_(per_point),
      stride_((ops + max_points) / max_points),  // >= 1 for ops + 1 points
      offset_(faultfs::SplitMix64(seed).Uniform(stride_)) {
  JF_ASSERT_GE(per_point, 1u);
  JF_ASSERT_GE(max_points, 1u);
}

bool CrashSampling::Wanted(const CaseContext& ctx, std::uint64_t k) const {
  JF_ASSERT_LE(k, ops_);
  if (k != ops_ && k % stride_ != offset_) return false;
  for (std::uint64_t p = 0; p < per_point_; ++p) {
    if (ctx.WantStep(Step(k, p))) return true;
  }
  return false;
}

CrashPointRecorder::CrashPointRecorder(std::uint64_t per_point, std::uint64_t seed, std::uint64_t max_points)
    : per_point_(per_point), seed_(seed), max_points_(max_points) {
  JF_ASSERT_GE(per_point, 1u);
  JF_ASSERT_GE(max_points, 1u);
}

std::uint64_t CrashPointRecorder::Rank(std::uint64_t k) const { return faultfs::SplitMix64::Derive(seed_, k).Next(); }

bool CrashPointRecorder::Wanted(const CaseContext& ctx, std::uint64_t k) const {
  for (std::uint64_t p = 0; p < per_point_; ++p) {
    if (ctx.WantStep(Step(k, p))) return true;
  }
  return false;
}

bool CrashPointRecorder::Offer(std::uint64_t k, bool wanted) {
  const std::uint64_t rank = Rank(k);
  if (lowest_.size() == max_points_) {
    auto highest = std::prev(lowest_.end());
    if (rank >= highest->first) return false;
    kept_.erase(highest->second);
    lowest_.erase(highest);
  }
  lowest_.emplace(rank, k);
  return wanted;
}

void CrashPointRecorder::Keep(CrashPoint point) {
  JF_ASSERT(lowest_.count(std::make_pair(Rank(point.op), point.op)) == 1);
  kept_.emplace(point.op, std::move(point));
}

std::vector<CrashPoint> CrashPointRecorder::Take() {
  std::vector<CrashPoint> points;
  for (auto& [k, point] : kept_) points.push_back(std::move(point));
  kept_.clear();
  return points;
}

std::optional<std::uint64_t> CrashPointRecorder::lowest() const {
  if (lowest_.empty()) return std::nullopt;
  return lowest_.begin()->second;
}

}  // namespace jetharness

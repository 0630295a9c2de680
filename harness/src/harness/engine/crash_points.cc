#include "harness/engine/crash_points.h"

#include "faultfs/prng.h"
#include "jetfault/assert.h"

namespace jetharness {

CrashSampling::CrashSampling(std::uint64_t ops, std::uint64_t per_point, std::uint64_t seed,
                             std::uint64_t max_points)
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

}  // namespace jetharness

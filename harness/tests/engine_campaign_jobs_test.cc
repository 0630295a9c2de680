// Campaigns of the real scenarios in worker processes (`jetfault run --jobs N`): the
// same report and trace hashes as one job, and a campaign's memory that does not grow
// with the number of cases it runs.
#include <gtest/gtest.h>
#include <malloc.h>

#include "harness/core/campaign.h"
#include "harness/core/report.h"
#include "harness/engine/scenarios.h"

namespace jetharness {
namespace {

ScenarioRegistry EngineRegistry() {
  ScenarioRegistry registry;
  RegisterScenarios(&registry);
  SetChildExecutable(JETFAULT_BINARY);
  return registry;
}

TEST(CampaignJobs, TwoJobsGiveOneJobsReportAndTraceHashes) {
  ScenarioRegistry registry = EngineRegistry();
  CampaignOptions options;
  options.seed = 3;
  options.cases = 3;
  options.scenarios = {"crash-workload", "oom", "sharing-violation", "bad-args", "property"};
  options.recheck_per_million = 300'000;
  options.jobs = 1;
  nlohmann::json one = JsonReportWithoutTimes(RunCampaign(registry, options));
  options.jobs = 2;
  nlohmann::json two = JsonReportWithoutTimes(RunCampaign(registry, options));
  EXPECT_EQ(one, two);
  for (const auto& s : one["scenarios"]) {
    EXPECT_EQ(s["cases"], 3) << s["name"];
    EXPECT_NE(s["trace_hash"], "0000000000000000") << s["name"];
  }
}

// Bytes the allocator has handed out and not got back: unlike the resident set, not
// blurred by pages the allocator keeps for reuse.
std::size_t HeapInUse() { return mallinfo2().uordblks; }

// The engine keeps ~1 KB per terminated instance (its registry retires instances
// instead of freeing them) and a crash-workload case creates over a thousand; a
// campaign that ran its cases in its own process grew by ~1.3 MB per case. With jobs,
// what a case leaves behind dies with its worker: 4x the cases, no more growth.
TEST(CampaignJobs, MemoryDoesNotGrowWithTheNumberOfCases) {
  ScenarioRegistry registry = EngineRegistry();
  CampaignOptions options;
  options.seed = 99;
  options.scenarios = {"crash-workload"};
  options.jobs = 1;
  options.recheck_per_million = 0;
  std::size_t before = HeapInUse();
  options.cases = 2;
  CampaignReport small = RunCampaign(registry, options);
  std::size_t after_small = HeapInUse();
  options.cases = 8;
  CampaignReport large = RunCampaign(registry, options);
  std::size_t after_large = HeapInUse();
  ASSERT_EQ(large.scenarios.at(0).cases, 8u);
  ASSERT_EQ(small.scenarios.at(0).cases, 2u);
  auto growth = [](std::size_t from, std::size_t to) { return to > from ? to - from : std::size_t{0}; };
  std::size_t small_growth = growth(before, after_small);
  std::size_t large_growth = growth(after_small, after_large);
  // Both reports stay alive; neither holds anything per passed case.
  EXPECT_LT(large_growth, small_growth + (std::size_t{256} << 10))
      << "heap grew by " << small_growth << " bytes over 2 cases and by " << large_growth << " over 8";
}

}  // namespace
}  // namespace jetharness

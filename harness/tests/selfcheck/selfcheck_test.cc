// The harness against a deliberately broken engine (the engine with one mutant of
// ci/mutants.txt applied, engine/CMakeLists.txt): the campaign must FAIL. Built once per
// variant by jetharness_add_selfcheck() in harness/CMakeLists.txt;
// JETHARNESS_SELFCHECK_SCENARIO names the scenario that must catch the bug and
// JETHARNESS_SELFCHECK_BUG the mutant (for messages).
#include <gtest/gtest.h>

#include <algorithm>

#include "harness/core/campaign.h"
#include "harness/core/report.h"
#include "harness/engine/scenarios.h"

namespace jetharness {
namespace {

TEST(SelfCheck, TheCampaignCatchesTheInjectedEngineBug) {
  ScenarioRegistry registry;
  RegisterScenarios(&registry);
#ifdef JETHARNESS_SELFCHECK_CHILD
  // The process scenarios' child: a jetfault built on the same broken engine.
  SetChildExecutable(JETHARNESS_SELFCHECK_CHILD);
#endif
  CampaignOptions options;
  options.scenarios = {JETHARNESS_SELFCHECK_SCENARIO};
  options.cases = 8;
  options.recheck_per_million = 0;
  CampaignReport report = RunCampaign(registry, options);
  std::printf("%s", TextReport(report).c_str());
  EXPECT_FALSE(report.ok()) << JETHARNESS_SELFCHECK_BUG << " went unnoticed by " << JETHARNESS_SELFCHECK_SCENARIO;
  // How reliably: a bug caught by one case in a hundred would slip through most
  // campaigns. JETHARNESS_SELFCHECK_MIN_FAILED_CASES of the 8 cases must catch it.
  EXPECT_GE(report.failed_cases(), std::uint64_t{JETHARNESS_SELFCHECK_MIN_FAILED_CASES})
      << JETHARNESS_SELFCHECK_BUG << " is caught by too few cases of " << JETHARNESS_SELFCHECK_SCENARIO;
  for (const auto& s : report.scenarios) {
    for (const auto& f : s.failures) {
      EXPECT_EQ(f.what.find("harness exception"), std::string::npos) << f.what;
    }
  }
  // Record once, the crash points chosen as the run goes and the outcomes reused for
  // equal crash states must not cost exactness: each of the first failures' replay
  // lines, run alone (so its check really runs), fails with the same trace hash.
  for (const auto& s : report.scenarios) {
    if (s.name != "crash-workload") continue;  // the kill scenarios' replays spawn processes
    for (std::size_t i = 0; i < std::min<std::size_t>(s.failures.size(), 12); ++i) {
      const Failure& f = s.failures[i];
      CaseId id;
      std::optional<std::uint64_t> step;
      ASSERT_TRUE(ParseReplayCommand(f.replay, &id, &step)) << f.replay;
      CaseResult again = RunCase(*registry.Find(id.scenario), id, step, nullptr);
      EXPECT_TRUE(std::any_of(again.failures.begin(), again.failures.end(), [&f](const Failure& g) {
        return g.trace_hash == f.trace_hash && g.what == f.what;
      })) << f.replay;
    }
  }
}

}  // namespace
}  // namespace jetharness

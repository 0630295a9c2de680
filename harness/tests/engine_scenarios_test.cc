// The scenarios against the real engine: each one runs a case end to end without a
// harness-level error, and replays to the same trace hash (the harness and the engine
// together are deterministic). Whether the engine passes is what `jetfault run`
// reports; these tests are about the harness.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <set>
#include <string>

#include "harness/core/campaign.h"
#include "harness/core/report.h"
#include "harness/engine/scenarios.h"

namespace jetharness {
namespace {

class ScenarioSmoke : public ::testing::TestWithParam<std::string> {};

TEST_P(ScenarioSmoke, RunsAndReplaysDeterministically) {
  ScenarioRegistry registry;
  RegisterScenarios(&registry);
  SetChildExecutable(JETFAULT_BINARY);
  const Scenario* scenario = registry.Find(GetParam());
  ASSERT_NE(scenario, nullptr);
  CaseId id{scenario->name, 7, 0, {}};
  ErrMapCoverage coverage;
  CaseResult first = RunCase(*scenario, id, std::nullopt, &coverage);
  // The engine of this tree is correct as far as the harness can tell: any failure is
  // either an engine bug or a false alarm, and both must be fixed.
  for (const Failure& f : first.failures) ADD_FAILURE() << f.what.substr(0, 2000) << "\n  " << f.replay;
  EXPECT_GT(first.steps, 0u) << "the case ran no step";
  // A scenario that is a table of steps runs each row once, as that step.
  if (!scenario->steps.empty()) {
    EXPECT_EQ(first.steps, scenario->steps.size()) << ReplayCommand(id, std::nullopt);
  }
  CaseResult again = RunCase(*scenario, id, std::nullopt, nullptr);
  EXPECT_EQ(again.trace_hash, first.trace_hash) << "nondeterministic: " << ReplayCommand(id, std::nullopt);
  EXPECT_EQ(again.failures.size(), first.failures.size());
  // A failing step replays alone to the same trace hash.
  if (!first.failures.empty()) {
    const Failure& f = first.failures.front();
    CaseResult one = RunCase(*scenario, id, f.step, nullptr);
    ASSERT_FALSE(one.failures.empty()) << f.replay;
    EXPECT_EQ(one.failures.front().trace_hash, f.trace_hash) << f.replay;
  }
}

// Steps that found engine bugs in campaigns beyond the default one (other seeds, other
// workload sizes), kept as regression cases: each failed on the engine before the fix
// named with it and must pass now.
TEST(ScenarioRegressions, StepsThatFoundEngineBugsPass) {
  struct Found {
    const char* scenario;
    std::uint64_t seed, index, step;
    WorkloadSize size;
    const char* bug;
  };
  WorkloadSize larger;
  larger.keys = 200;
  larger.value_bytes = 3000;
  const Found found[] = {
      {"lost-write", 22, 7, 271, {}, "a log shadow misdirected onto a synced segment read as a torn tail"},
      {"io-error", 3, 0, 296, larger,
       "an EIO reading a log header while pinning generations for a backup was skipped, "
       "then reported as JET_errMissingFileToBackup"},
  };
  ScenarioRegistry registry;
  RegisterScenarios(&registry);
  SetChildExecutable(JETFAULT_BINARY);
  for (const Found& f : found) {
    const Scenario* scenario = registry.Find(f.scenario);
    ASSERT_NE(scenario, nullptr) << f.scenario;
    const CaseId id{f.scenario, f.seed, f.index, f.size};
    CaseResult result = RunCase(*scenario, id, f.step, nullptr);
    EXPECT_EQ(result.steps, 1u) << ReplayCommand(id, f.step);
    for (const Failure& failure : result.failures) {
      ADD_FAILURE() << f.bug << ": " << failure.what.substr(0, 2000) << "\n  " << failure.replay;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllScenarios, ScenarioSmoke,
                         ::testing::Values("crash-workload", "crash-restore", "crash-restore-nested", "crash-create",
                                           "backup-chain", "missing-log", "corrupt-page", "corrupt-log", "lost-write",
                                           "foreign-log", "sharing-violation", "io-error", "oom", "bad-args",
                                           "circular-log", "property", "process-kill", "process-restore-kill",
                                           "process-backup-kill", "process-sharing"),
                         [](const ::testing::TestParamInfo<std::string>& param_info) {
                           std::string name = param_info.param;
                           for (char& c : name) c = c == '-' ? '_' : c;
                           return name;
                         });

// Each row of a step table runs alone (a replay of that step) as exactly one step, and
// the file-level scenarios are tables.
TEST(Scenarios, EveryRowOfAStepTableReplaysAlone) {
  ScenarioRegistry registry;
  RegisterScenarios(&registry);
  for (const char* name : {"missing-log", "corrupt-page", "corrupt-log", "foreign-log"}) {
    const Scenario* scenario = registry.Find(name);
    ASSERT_NE(scenario, nullptr) << name;
    ASSERT_FALSE(scenario->steps.empty()) << name << " is not a step table";
    CaseId id{scenario->name, 3, 1, {}};
    for (std::uint64_t k = 0; k < scenario->steps.size(); ++k) {
      CaseResult one = RunCase(*scenario, id, k, nullptr);
      EXPECT_EQ(one.steps, 1u) << ReplayCommand(id, k);
      for (const Failure& f : one.failures) ADD_FAILURE() << f.what.substr(0, 500) << "\n  " << f.replay;
    }
  }
}

// --txns and the like (WorkloadSize) reach every workload a case builds: the generated
// spec has that many transactions, databases and sessions, keys from that many, values
// up to that size, and the instance that page size.
TEST(Scenarios, WorkloadSizeReachesEveryWorkloadBuilder) {
  EXPECT_EQ(MakeShapedEnv(3, WorkloadShape::kSmall).spec.transactions.size(), 6u);  // the default
  WorkloadSize size;
  size.transactions = 40;
  size.keys = 60;
  size.value_bytes = 300;
  size.databases = 3;
  size.sessions = 4;
  size.page_size = 8192;
  WorkloadSizeScope scope(size);
  std::vector<std::pair<std::string, Env>> envs = {{"MakeEnv", MakeEnv(3, 6, 0)},
                                                   {"MakeLogHeavyEnv", MakeLogHeavyEnv(3)}};
  for (std::uint64_t s = 0; s < kWorkloadShapeCount; ++s) {
    const auto shape = static_cast<WorkloadShape>(s);
    envs.emplace_back(WorkloadShapeName(shape), MakeShapedEnv(3, shape));
  }
  for (const auto& [name, env] : envs) {
    SCOPED_TRACE(name);
    EXPECT_EQ(env.spec.transactions.size(), 40u);
    EXPECT_EQ(env.spec.databases.size(), 3u);
    EXPECT_EQ(env.spec.inflight.size(), 3u);
    EXPECT_EQ(env.settings.page_size, 8192u);
    std::set<std::string> keys;  // by their "k042" prefix: the key's index
    std::size_t longest_short_value = 0;
    for (const TxnSpec& txn : env.spec.transactions) {
      for (const SpecOp& op : txn.ops) {
        keys.insert(op.key.substr(0, 4));
        if (op.value.size() < 1000) longest_short_value = std::max(longest_short_value, op.value.size());
      }
    }
    EXPECT_GT(keys.size(), 24u);  // more than any shape's own key space but the deep tree's
    EXPECT_LE(keys.size(), 60u);
    EXPECT_LE(longest_short_value, 300u);
    EXPECT_GT(longest_short_value, 96u);
  }
}

// crash-workload checks equal crash states once: the small shape's workload has runs of
// reads between writes, and points between two syncs whose unsynced writes a survivor
// policy drops alike, so some of its states repeat an earlier one's survivor image
// (and are counted as such); the others are checked.
TEST(Scenarios, CrashWorkloadReusesTheCheckOfAnEqualCrashState) {
  ScenarioRegistry registry;
  RegisterScenarios(&registry);
  CaseResult result = RunCase(*registry.Find("crash-workload"), CaseId{"crash-workload", 7, 0, {}}, std::nullopt,
                              nullptr);
  ASSERT_TRUE(result.passed()) << result.failures.front().what;
  EXPECT_GT(result.duplicate_crash_states, 0u);
  EXPECT_LT(result.duplicate_crash_states, result.crash_states);
}

TEST(Scenarios, RegistryListsEveryScenarioOnceWithADescription) {
  ScenarioRegistry registry;
  RegisterScenarios(&registry);
  // Every scenario has a row of its own in docs/HARNESS.md's scenario table.
  std::ifstream in(std::string(JETFAULT_SOURCE_DIR) + "/docs/HARNESS.md", std::ios::binary);
  ASSERT_TRUE(in) << "docs/HARNESS.md is missing";
  const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::set<std::string> names;
  for (const Scenario& s : registry.all()) {
    EXPECT_TRUE(names.insert(s.name).second) << "registered twice: " << s.name;
    EXPECT_NE(doc.find("| `" + s.name + "` |"), std::string::npos) << s.name << " has no row in docs/HARNESS.md";
    EXPECT_FALSE(s.summary.empty()) << s.name;
    EXPECT_GT(s.description.size(), 100u) << s.name;
    EXPECT_GE(s.default_cases, 1u) << s.name;
  }
}

}  // namespace
}  // namespace jetharness

namespace jetharness {
namespace {

TEST(Scenarios, FirstChangedFileNamesARewrittenCreatedOrDeletedFile) {
  faultfs::MemFs before;
  ASSERT_TRUE(before.MakeDir("/d").ok());
  const std::vector<std::uint8_t> bytes{1, 2, 3};
  ASSERT_TRUE(faultfs::WriteWholeFile(before, "/d/a", bytes).ok());
  ASSERT_TRUE(faultfs::WriteWholeFile(before, "/b", bytes).ok());
  EXPECT_EQ(FirstChangedFile(before, *before.Clone()), "");

  auto rewritten = before.Clone();
  ASSERT_TRUE(rewritten->CorruptStored("/d/a", 1, std::vector<std::uint8_t>{9}).ok());
  EXPECT_EQ(FirstChangedFile(before, *rewritten), "/d/a (rewritten)");

  auto deleted = before.Clone();
  ASSERT_TRUE(deleted->Delete("/b").ok());
  EXPECT_EQ(FirstChangedFile(before, *deleted), "/b (deleted)");

  auto created = before.Clone();
  ASSERT_TRUE(faultfs::WriteWholeFile(*created, "/d/new", bytes).ok());
  EXPECT_EQ(FirstChangedFile(before, *created), "/d/new (created)");
}

}  // namespace
}  // namespace jetharness

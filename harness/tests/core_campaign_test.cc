// The campaign runner with fake scenarios: sharding, budgets, replay lines, the
// determinism re-check, and the reports (JSON fields, JUnit that an XML parser reads).
#include <gtest/gtest.h>

#include <boost/property_tree/ptree.hpp>
#include <boost/property_tree/xml_parser.hpp>
#include <algorithm>
#include <cstdlib>
#include <set>
#include <sstream>

#include "harness/core/campaign.h"
#include "harness/core/hash.h"
#include "harness/core/report.h"

namespace jetharness {
namespace {

// A scenario with three steps per case whose step 1 fails when the case seed is
// divisible by 4; it injects one io_error per step and checks a code against the map.
void FakeRun(CaseContext& ctx) {
  for (std::uint64_t step = 0; step < 3; ++step) {
    if (!ctx.WantStep(step)) continue;
    std::uint64_t hash = Fold(ctx.seed(), step);
    ctx.CountFault(FaultClass::kIoError);
    ctx.CheckCode(step, FaultClass::kIoError, FileRole::kLog, Phase::kWorkload, JET_errLogWriteFail, "JetCommit",
                  "io_error at op 3", hash);
    if (step == 1 && ctx.seed() % 4 == 0) ctx.Fail(step, "content <differs> & \"worse\"", "io_error at op 3", hash);
    ctx.EndStep(step, hash);
  }
}

ScenarioRegistry FakeRegistry() {
  ScenarioRegistry registry;
  registry.Add({"fake-a", "a", "fake scenario a", 10, FakeRun});
  registry.Add({"fake-b", "b", "fake scenario b", 7, FakeRun});
  return registry;
}

// FakeRegistry's campaign: `cases` cases of each scenario.
CampaignReport FakeCampaign(std::uint64_t seed, std::uint64_t cases) {
  ScenarioRegistry registry = FakeRegistry();
  CampaignOptions options;
  options.seed = seed;
  options.cases = cases;
  return RunCampaign(registry, options);
}

TEST(Shard, ParsesOnlyValidSpecs) {
  Shard s;
  EXPECT_TRUE(ParseShard("2/3", &s));
  EXPECT_EQ(s.index, 2u);
  EXPECT_EQ(s.count, 3u);
  for (const char* bad : {"0/3", "4/3", "1/0", "1", "a/b", "1/2x", "/2", ""}) EXPECT_FALSE(ParseShard(bad, &s)) << bad;
}

TEST(Shard, ShardsAreDisjointAndCoverEveryCase) {
  for (std::uint32_t n : {1u, 2u, 3u, 7u}) {
    for (const char* scenario : {"crash-workload", "oom"}) {
      for (std::uint64_t index = 0; index < 500; ++index) {
        int owners = 0;
        for (std::uint32_t k = 1; k <= n; ++k) owners += InShard(Shard{k, n}, scenario, index) ? 1 : 0;
        ASSERT_EQ(owners, 1) << scenario << " case " << index << " with " << n << " shards";
      }
    }
  }
}

TEST(Campaign, UnionOfShardRunsEqualsTheWholeRun) {
  ScenarioRegistry registry = FakeRegistry();
  CampaignOptions whole;
  whole.seed = 5;
  CampaignReport all = RunCampaign(registry, whole);
  std::uint64_t cases = 0, failed = 0;
  std::set<std::string> replays;
  for (std::uint32_t k = 1; k <= 3; ++k) {
    CampaignOptions part = whole;
    part.shard = Shard{k, 3};
    CampaignReport r = RunCampaign(registry, part);
    for (const auto& s : r.scenarios) {
      cases += s.cases;
      failed += s.failed;
      for (const auto& f : s.failures) EXPECT_TRUE(replays.insert(f.replay).second) << "twice: " << f.replay;
    }
  }
  EXPECT_EQ(cases, 17u);
  std::uint64_t all_failed = 0;
  std::set<std::string> all_replays;
  for (const auto& s : all.scenarios) {
    all_failed += s.failed;
    for (const auto& f : s.failures) all_replays.insert(f.replay);
  }
  EXPECT_EQ(failed, all_failed);
  EXPECT_EQ(replays, all_replays);
}

TEST(Campaign, ReplayLineReproducesTheFailureAndItsTraceHash) {
  CampaignReport report = FakeCampaign(11, 40);
  ASSERT_FALSE(report.ok());
  const Failure& f = report.scenarios[0].failures.at(0);
  CaseId id;
  std::optional<std::uint64_t> step;
  ASSERT_TRUE(ParseReplayCommand(f.replay, &id, &step)) << f.replay;
  EXPECT_EQ(id.scenario, "fake-a");
  EXPECT_EQ(id.seed, 11u);
  ASSERT_EQ(step, std::optional<std::uint64_t>(1));
  CaseResult again = RunCase(*FakeRegistry().Find(id.scenario), id, step, nullptr);
  ASSERT_EQ(again.failures.size(), 1u);
  EXPECT_EQ(again.failures[0].trace_hash, f.trace_hash);
  EXPECT_EQ(again.failures[0].replay, f.replay);
  EXPECT_EQ(again.steps, 1u);  // only the requested step ran
}

TEST(Campaign, ReplayCommandRoundTrips) {
  CaseId id{"crash-restore", 123, 45, {}};
  id.size.transactions = 48;
  id.size.page_size = 8192;
  CaseId parsed;
  std::optional<std::uint64_t> step;
  ASSERT_TRUE(ParseReplayCommand(ReplayCommand(id, 6), &parsed, &step));
  EXPECT_EQ(parsed.scenario, "crash-restore");
  EXPECT_EQ(parsed.seed, 123u);
  EXPECT_EQ(parsed.index, 45u);
  EXPECT_EQ(step, std::optional<std::uint64_t>(6));
  EXPECT_EQ(parsed.size, id.size);
  EXPECT_EQ(ReplayCommand(id, 6),
            "jetfault replay crash-restore --seed 123 --case 45 --step 6 --txns 48 --page-size 8192");
  ASSERT_TRUE(ParseReplayCommand("oom --case 2 --seed 9", &parsed, &step));
  EXPECT_TRUE(parsed.size.empty());
  EXPECT_FALSE(step.has_value());
  EXPECT_FALSE(ParseReplayCommand("oom --seed 9", &parsed, &step));
  EXPECT_FALSE(ParseReplayCommand("oom --seed x --case 1", &parsed, &step));
  EXPECT_FALSE(ParseReplayCommand("oom --seed 1 --case 1 --bogus 3", &parsed, &step));
  EXPECT_FALSE(ParseReplayCommand("oom --seed 1 --case 1 --txns 0", &parsed, &step));
}

TEST(Campaign, RecheckCatchesANondeterministicScenario) {
  ScenarioRegistry registry;
  int calls = 0;
  registry.Add({"flaky", "f", "depends on hidden state", 30,
                [&calls](CaseContext& ctx) { ctx.EndStep(0, static_cast<std::uint64_t>(++calls)); }});
  CampaignOptions options;
  options.recheck_per_million = 1'000'000;  // re-run every case
  CampaignReport report = RunCampaign(registry, options);
  EXPECT_EQ(report.scenarios[0].failed, 30u);
  EXPECT_NE(report.scenarios[0].failures[0].what.find("nondeterministic"), std::string::npos);

  ScenarioRegistry stable = FakeRegistry();
  CampaignReport ok = RunCampaign(stable, options);
  for (const auto& s : ok.scenarios) {
    EXPECT_EQ(s.rechecked, s.cases);
    for (const auto& f : s.failures) EXPECT_EQ(f.what.find("nondeterministic"), std::string::npos);
  }
}

TEST(Campaign, HarnessExceptionIsAFailureNotACrash) {
  ScenarioRegistry registry;
  registry.Add({"throws", "t", "throws", 1, [](CaseContext&) { throw std::runtime_error("boom"); }});
  CampaignReport report = RunCampaign(registry, CampaignOptions{});
  ASSERT_EQ(report.scenarios[0].failed, 1u);
  EXPECT_NE(report.scenarios[0].failures[0].what.find("boom"), std::string::npos);
  CampaignOptions unknown;
  unknown.scenarios = {"nope"};
  EXPECT_THROW(RunCampaign(registry, unknown), std::invalid_argument);
}

TEST(Report, JsonHasTheDocumentedFields) {
  nlohmann::json j = JsonReport(FakeCampaign(11, 40));
  EXPECT_EQ(j["seed"], 11);
  EXPECT_TRUE(j["elapsed_seconds"].is_number());
  EXPECT_TRUE(j["crash_states"].is_number());
  ASSERT_EQ(j["scenarios"].size(), 2u);
  const auto& s = j["scenarios"][0];
  EXPECT_EQ(s["name"], "fake-a");
  EXPECT_EQ(s["cases"], 40);
  EXPECT_EQ(s["passed"].get<int>() + s["failed"].get<int>(), 40);
  EXPECT_EQ(s["faults"]["io_error"], 120);
  ASSERT_FALSE(s["failures"].empty());
  EXPECT_TRUE(s["failures"][0]["replay"].get<std::string>().starts_with("jetfault replay fake-a --seed 11"));
  EXPECT_EQ(s["failures"][0]["trace_hash"].get<std::string>().size(), 16u);
  EXPECT_EQ(j["errmap"]["cells"], ErrorMapTable().size());
  EXPECT_EQ(j["errmap"]["exercised"], 1);
  EXPECT_EQ(j["errmap"]["violations"], 0);
  EXPECT_EQ(j["errmap"]["unexercised"].size(), ErrorMapTable().size() - 1);
}

TEST(Report, JunitIsWellFormedXmlWithOneTestcasePerFailure) {
  CampaignReport report = FakeCampaign(11, 40);
  std::istringstream in(JunitReport(report));
  boost::property_tree::ptree tree;
  ASSERT_NO_THROW(boost::property_tree::read_xml(in, tree));
  std::size_t suites = 0, failures = 0;
  for (const auto& [tag, suite] : tree.get_child("testsuites")) {
    if (tag != "testsuite") continue;
    ++suites;
    for (const auto& [ctag, testcase] : suite) {
      if (ctag == "testcase" && testcase.get_child_optional("failure")) ++failures;
    }
  }
  EXPECT_EQ(suites, 2u);
  std::size_t expected = 0;
  for (const auto& s : report.scenarios) expected += s.failures.size();
  EXPECT_EQ(failures, expected);
  EXPECT_GT(failures, 0u);
}

TEST(Report, HtmlAndTextNameEveryScenarioAndFailure) {
  ScenarioRegistry registry = FakeRegistry();
  CampaignOptions options;
  options.cases = 40;
  CampaignReport report = RunCampaign(registry, options);
  std::string html = HtmlReport(report);
  std::string text = TextReport(report);
  EXPECT_NE(html.find("fake-b"), std::string::npos);
  EXPECT_NE(html.find("content &lt;differs&gt; &amp; &quot;worse&quot;"), std::string::npos);
  EXPECT_EQ(html.find("<differs>"), std::string::npos);  // escaped
  EXPECT_NE(text.find("jetfault replay fake-a"), std::string::npos);
  EXPECT_NE(text.find("FAILED"), std::string::npos);
}

TEST(Jobs, WorkerProcessesGiveTheInProcessReport) {
  ScenarioRegistry registry = FakeRegistry();
  CampaignOptions options;
  options.seed = 11;
  options.cases = 40;
  options.recheck_per_million = 200'000;
  nlohmann::json in_process = JsonReportWithoutTimes(RunCampaign(registry, options));
  ASSERT_FALSE(in_process["ok"].get<bool>());  // failures, in order, are part of what must match
  for (std::uint32_t jobs : {1u, 2u, 3u}) {
    options.jobs = jobs;
    EXPECT_EQ(JsonReportWithoutTimes(RunCampaign(registry, options)), in_process) << jobs << " jobs";
  }
  options.worker_rss_limit = 0;  // every worker exits after its first case
  EXPECT_EQ(JsonReportWithoutTimes(RunCampaign(registry, options)), in_process) << "a fresh worker per case";
}

TEST(Jobs, ACrashingCaseIsAFailureWithItsReplayLine) {
  ScenarioRegistry registry;
  registry.Add({"crashes", "c", "case 3 aborts", 6, [](CaseContext& ctx) {
                  if (ctx.id().index == 3) std::abort();
                  ctx.EndStep(0, ctx.seed());
                }});
  CampaignOptions options;
  options.jobs = 2;
  CampaignReport report = RunCampaign(registry, options);
  ASSERT_EQ(report.scenarios.size(), 1u);
  const ScenarioStats& s = report.scenarios[0];
  EXPECT_EQ(s.cases, 6u);
  EXPECT_EQ(s.passed, 5u);
  ASSERT_EQ(s.failures.size(), 1u);
  EXPECT_NE(s.failures[0].what.find("killed by signal 6"), std::string::npos) << s.failures[0].what;
  EXPECT_EQ(s.failures[0].replay, "jetfault replay crashes --seed 1 --case 3");
}

TEST(Report, JsonReadsBackToTheSameReport) {
  CampaignReport report = FakeCampaign(11, 40);
  nlohmann::json j = JsonReport(report);
  EXPECT_EQ(JsonReport(ReportFromJson(j)), j);
  EXPECT_EQ(HtmlReport(ReportFromJson(j)), HtmlReport(report));
  nlohmann::json bad = j;
  bad["errmap"]["rows"].erase(0);
  EXPECT_THROW(ReportFromJson(bad), std::exception);
  bad = j;
  bad["scenarios"][0]["faults"]["no_such_fault"] = 1;
  EXPECT_THROW(ReportFromJson(bad), std::exception);
}

TEST(Report, MergedShardsEqualTheWholeRun) {
  ScenarioRegistry registry = FakeRegistry();
  CampaignOptions options;
  options.seed = 5;
  options.cases = 30;
  CampaignReport whole = RunCampaign(registry, options);
  CampaignReport merged;
  merged.seed = whole.seed;
  for (std::uint32_t k = 1; k <= 3; ++k) {
    options.shard = Shard{k, 3};
    MergeReport(&merged, ReportFromJson(JsonReport(RunCampaign(registry, options))));
  }
  nlohmann::json a = JsonReportWithoutTimes(whole), b = JsonReportWithoutTimes(merged);
  // Shards interleave the cases: the same failures, grouped by shard.
  for (nlohmann::json* j : {&a, &b}) {
    for (auto& s : (*j)["scenarios"]) {
      std::sort(s["failures"].begin(), s["failures"].end(),
                [](const auto& x, const auto& y) { return x["replay"] < y["replay"]; });
    }
  }
  EXPECT_EQ(a, b);
  EXPECT_NE(a["scenarios"][0]["trace_hash"], a["scenarios"][1]["trace_hash"]);
}

}  // namespace
}  // namespace jetharness

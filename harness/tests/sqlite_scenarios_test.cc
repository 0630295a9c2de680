// The expected result of each SQLite configuration (issue #16): the durable ones pass
// every crash and I/O-error step, DELETE/FULL loses acknowledged commits (the journal
// unlink is not durable), synchronous=OFF loses them too; and the `jetfault run`
// flags that select them.
#include <gtest/gtest.h>

#include <boost/process.hpp>

#include "harness/sqlite/scenarios.h"

namespace jetharness::sqlite {
namespace {

namespace bp = boost::process;

const ScenarioRegistry& Registry() {
  static const ScenarioRegistry registry = [] {
    ScenarioRegistry r;
    RegisterSqliteScenarios(&r);
    return r;
  }();
  return registry;
}

struct Outcome {
  std::uint64_t steps = 0;
  std::vector<Failure> failures;
};

Outcome RunCases(const std::string& name, std::uint64_t cases) {
  const Scenario* scenario = Registry().Find(name);
  EXPECT_NE(scenario, nullptr) << name;
  Outcome outcome;
  if (scenario == nullptr) return outcome;
  ErrMapCoverage coverage;
  for (std::uint64_t i = 0; i < cases; ++i) {
    CaseResult r = RunCase(*scenario, CaseId{name, 1, i, {}}, std::nullopt, &coverage);
    outcome.steps += r.steps;
    for (Failure& f : r.failures) outcome.failures.push_back(std::move(f));
  }
  return outcome;
}

std::string First(const Outcome& o) {
  return o.failures.empty() ? "" : o.failures[0].what + "\n" + o.failures[0].fault_plan + "\n" + o.failures[0].replay;
}

TEST(SqliteScenarios, DurableConfigurationsHaveNoViolations) {
  for (const Config& config :
       {Config{Journal::kWal, Synchronous::kFull}, Config{Journal::kDelete, Synchronous::kExtra}}) {
    for (Kind kind : {Kind::kCrash, Kind::kIoError, Kind::kBackup}) {
      const std::string name = ScenarioName(kind, config);
      Outcome o = RunCases(name, 4);
      EXPECT_GT(o.steps, 400u) << name;
      EXPECT_TRUE(o.failures.empty()) << name << ": " << o.failures.size() << " failures, first:\n" << First(o);
      EXPECT_TRUE(Registry().Find(name)->in_default_campaign) << name;
    }
  }
}

TEST(SqliteScenarios, DeleteFullLosesAnAcknowledgedCommitAndStaysConsistent) {
  const std::string name = ScenarioName(Kind::kCrash, Config{Journal::kDelete, Synchronous::kFull});
  EXPECT_FALSE(Registry().Find(name)->in_default_campaign);
  Outcome o = RunCases(name, 2);
  ASSERT_FALSE(o.failures.empty());
  for (const Failure& f : o.failures) {
    // Only the unlink of the journal is lost: the database is rolled back, never damaged.
    EXPECT_EQ(f.what.rfind("lost-durable-commit", 0), 0u) << f.what;
    EXPECT_EQ(f.replay.rfind("jetfault replay " + name + " --seed 1 --case ", 0), 0u) << f.replay;
  }
}

TEST(SqliteScenarios, DeleteFullLosesACompletedBackup) {
  const std::string name = ScenarioName(Kind::kBackup, Config{Journal::kDelete, Synchronous::kFull});
  Outcome o = RunCases(name, 4);
  ASSERT_FALSE(o.failures.empty());
  for (const Failure& f : o.failures) EXPECT_EQ(f.what.rfind("lost-durable-commit", 0), 0u) << f.what;
}

TEST(SqliteScenarios, SynchronousOffLosesAcknowledgedCommits) {
  for (Journal journal : {Journal::kWal, Journal::kDelete}) {
    const std::string name = ScenarioName(Kind::kCrash, Config{journal, Synchronous::kOff});
    Outcome o = RunCases(name, 1);
    EXPECT_FALSE(o.failures.empty()) << name;
  }
}

TEST(SqliteScenarios, AStepReplaysWithTheSameTraceHash) {
  const std::string name = ScenarioName(Kind::kCrash, Config{Journal::kDelete, Synchronous::kFull});
  Outcome o = RunCases(name, 1);
  ASSERT_FALSE(o.failures.empty());
  const Failure& f = o.failures.front();
  CaseId id;
  std::optional<std::uint64_t> step;
  ASSERT_TRUE(ParseReplayCommand(f.replay, &id, &step));
  ErrMapCoverage coverage;
  CaseResult again = RunCase(*Registry().Find(id.scenario), id, step, &coverage);
  ASSERT_EQ(again.failures.size(), 1u);
  EXPECT_EQ(again.failures[0].trace_hash, f.trace_hash);
  EXPECT_EQ(again.failures[0].what, f.what);
}

struct Output {
  int status = -1;
  std::string out;
};

Output Jetfault(const std::vector<std::string>& args) {
  bp::ipstream out;
  bp::child child(JETFAULT_BINARY, bp::args(args), bp::std_out > out, bp::std_err > bp::null);
  Output result;
  for (std::string line; std::getline(out, line);) result.out += line + "\n";
  child.wait();
  result.status = child.exit_code();
  return result;
}

TEST(SqliteCli, EngineSqliteRunsBothDurableConfigurationsAndPasses) {
  Output o = Jetfault({"run", "--engine", "sqlite", "--cases", "1", "--jobs", "1"});
  EXPECT_EQ(o.status, 0) << o.out;
  for (const char* name : {"sqlite-crash-wal-full", "sqlite-crash-delete-extra", "sqlite-io-error-wal-full",
                           "sqlite-io-error-delete-extra", "sqlite-backup-wal-full", "sqlite-backup-delete-extra"}) {
    EXPECT_NE(o.out.find(name), std::string::npos) << name << "\n" << o.out;
  }
  EXPECT_EQ(o.out.find("crash-workload"), std::string::npos) << o.out;
}

TEST(SqliteCli, UnsafeConfigurationsExitOneWithClassAndReplayLines) {
  for (std::vector<std::string> flags : {std::vector<std::string>{"--sqlite-synchronous", "off"},
                                         std::vector<std::string>{"--sqlite-journal", "delete",
                                                                  "--sqlite-synchronous", "full"}}) {
    std::vector<std::string> args = {"run", "--engine", "sqlite", "--cases", "1", "--jobs", "1"};
    args.insert(args.end(), flags.begin(), flags.end());
    Output o = Jetfault(args);
    EXPECT_EQ(o.status, 1) << o.out;
    EXPECT_NE(o.out.find("lost-durable-commit"), std::string::npos) << o.out;
    EXPECT_NE(o.out.find("jetfault replay sqlite-crash-"), std::string::npos) << o.out;
  }
  EXPECT_EQ(Jetfault({"run", "--engine", "sqlite", "--sqlite-synchronous", "sometimes"}).status, 2);
  EXPECT_EQ(Jetfault({"run", "--engine", "jet", "--sqlite-journal", "wal"}).status, 2);
}

}  // namespace
}  // namespace jetharness::sqlite

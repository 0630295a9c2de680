// The expected result of each SQLite configuration (issue #16): the durable ones pass
// every crash and I/O-error step, DELETE/FULL loses acknowledged commits (the journal
// unlink is not durable), synchronous=OFF loses them too; and the `jetfault run`
// flags that select them.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/process.hpp>
#include <fstream>
#include <sstream>

#include "harness/engine/scenarios.h"
#include "harness/sqlite/scenarios.h"
#include "seam_liars.h"

namespace jetharness::sqlite {
namespace {

namespace bp = boost::process;

const ScenarioRegistry& Registry() {
  static const ScenarioRegistry registry = [] {
    ScenarioRegistry r;
    RegisterSqliteScenarios(&r);
    // sqlite-backup-wal-full with a backup that misses the last committed write.
    const Config config{Journal::kWal, Synchronous::kFull};
    Scenario liar = *r.Find(ScenarioName(Kind::kBackup, config));
    liar.name = "sqlite-backup-omitting-liar";
    liar.in_default_campaign = false;
    liar.run = [config](CaseContext& ctx) {
      SeamEnv env = MakeSqliteEnv(ctx, config);
      env.make = [honest = env.make] { return std::make_unique<BackupOmitsLastWrite>(honest()); };
      RunSeamBackup(ctx, env);
    };
    r.Add(std::move(liar));
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

// Only a lost-durable-commit while or after the backup runs (a completed copy found
// empty, or the database's own last commit, as in sqlite-crash-delete-full). After an
// acknowledged restore that shrank the file, a power loss can also bring the restore's
// journal back after the truncation SQLite makes once the journal is deleted: its
// rollback leaves a malformed database (docs/HARNESS.md, "Expected results").
TEST(SqliteScenarios, DeleteFullLosesACompletedBackup) {
  const std::string name = ScenarioName(Kind::kBackup, Config{Journal::kDelete, Synchronous::kFull});
  Outcome o = RunCases(name, 4);
  ASSERT_FALSE(o.failures.empty());
  std::size_t lost_copies = 0;
  for (const Failure& f : o.failures) {
    if (f.fault_plan.rfind("power loss after Restore returned", 0) == 0) continue;
    EXPECT_EQ(f.what.rfind("lost-durable-commit", 0), 0u) << f.what << "\n" << f.fault_plan;
    if (f.fault_plan.rfind("power loss after Backup returned", 0) == 0) ++lost_copies;
  }
  EXPECT_GT(lost_copies, 0u);
}

// The generic backup scenario catches a backup that misses a commit made before Backup
// was called, on the durable WAL/FULL configuration, in every case (the restore of a
// complete backup shows it), each finding shrunk.
TEST(SqliteScenarios, ABackupMissingACommitIsCaught) {
  const std::string name = "sqlite-backup-omitting-liar";
  std::size_t failing_cases = 0;
  for (std::uint64_t i = 0; i < 4; ++i) {
    ErrMapCoverage coverage;
    CaseResult r = RunCase(*Registry().Find(name), CaseId{name, 1, i}, std::nullopt, &coverage);
    if (!r.failures.empty()) ++failing_cases;
    for (const Failure& f : r.failures) {
      EXPECT_TRUE(f.what.rfind("not-a-prefix", 0) == 0 || f.what.rfind("lost-durable-commit", 0) == 0) << f.what;
      EXPECT_FALSE(f.shrunk_replay.empty()) << f.replay;
    }
  }
  EXPECT_EQ(failing_cases, 4u);
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

// Each finding of the known-unsafe DELETE/FULL shrunk: a replay line of a smaller
// variant (no more transactions than the case) that fails with the same class when
// run alone, and deterministically so.
// A failing case's shrunk line (every failure of the case carries the same): it names
// the same case, a variant no larger than the original workload (8 transactions in even
// cases, 10 in odd ones) as its note says, and replays alone, twice, as one
// lost-durable-commit with the same replay line and trace hash. The variant, or nullopt.
std::optional<ShrunkStepParts> ExpectShrunkReplays(const std::string& name, std::uint64_t index, const CaseResult& r) {
  const Failure& f = r.failures.front();
  EXPECT_FALSE(f.shrunk_replay.empty()) << f.replay;
  for (const Failure& other : r.failures) EXPECT_EQ(other.shrunk_replay, f.shrunk_replay);
  CaseId shrunk_id;
  std::optional<std::uint64_t> step;
  if (!ParseReplayCommand(f.shrunk_replay, &shrunk_id, &step) || !step.has_value()) {
    ADD_FAILURE() << "not a replay line with a step: " << f.shrunk_replay;
    return std::nullopt;
  }
  EXPECT_EQ(shrunk_id.scenario, name);
  EXPECT_EQ(shrunk_id.index, index);
  std::optional<ShrunkStepParts> parts = ParseShrunkStep(*step);
  if (!parts.has_value()) {
    ADD_FAILURE() << "not a shrunk step: " << *step;
    return std::nullopt;
  }
  const std::size_t original = index % 2 == 0 ? 8 : 10;
  EXPECT_LE(parts->variant.transactions, original);
  EXPECT_NE(f.shrunk_note.find(std::to_string(parts->variant.transactions) + " of " + std::to_string(original)),
            std::string::npos)
      << f.shrunk_note;
  ErrMapCoverage coverage;
  CaseResult again = RunCase(*Registry().Find(name), shrunk_id, step, &coverage);
  CaseResult third = RunCase(*Registry().Find(name), shrunk_id, step, &coverage);
  if (again.failures.size() != 1 || third.failures.size() != 1) {
    ADD_FAILURE() << f.shrunk_replay << " replayed with " << again.failures.size() << " and " << third.failures.size()
                  << " failures, not 1";
    return std::nullopt;
  }
  EXPECT_EQ(again.failures[0].what.rfind("lost-durable-commit", 0), 0u) << again.failures[0].what;
  EXPECT_EQ(again.failures[0].replay, f.shrunk_replay);
  EXPECT_EQ(third.failures[0].trace_hash, again.failures[0].trace_hash);
  return parts;
}

TEST(SqliteShrink, DeleteFullFindingsShrinkToASmallerCaseOfTheSameClass) {
  const std::string name = ScenarioName(Kind::kCrash, Config{Journal::kDelete, Synchronous::kFull});
  for (std::uint64_t index : {0, 1}) {
    ErrMapCoverage coverage;
    CaseResult r = RunCase(*Registry().Find(name), CaseId{name, 1, index}, std::nullopt, &coverage);
    ASSERT_FALSE(r.failures.empty()) << index;
    EXPECT_NE(r.failures.front().shrunk_note.find("of "), std::string::npos) << r.failures.front().shrunk_note;
    EXPECT_TRUE(ExpectShrunkReplays(name, index, r).has_value()) << index;
  }
}

// sqlite-backup findings shrink as well (the same shrinker): the smallest source
// database, its first transactions only, whose backup a power loss leaves empty after
// SQLITE_DONE; replayable alone, with the same class and trace hash.
TEST(SqliteShrink, DeleteFullBackupFindingsShrinkToASmallerSource) {
  const std::string name = ScenarioName(Kind::kBackup, Config{Journal::kDelete, Synchronous::kFull});
  std::size_t shrunk = 0;
  for (std::uint64_t index = 0; index < 4; ++index) {
    ErrMapCoverage coverage;
    CaseResult r = RunCase(*Registry().Find(name), CaseId{name, 1, index}, std::nullopt, &coverage);
    // Each class has a shrunk line of its own: the lost backups' (see above).
    std::erase_if(r.failures, [](const Failure& f) { return f.what.rfind("lost-durable-commit", 0) != 0; });
    if (r.failures.empty()) continue;
    std::optional<ShrunkStepParts> parts = ExpectShrunkReplays(name, index, r);
    ASSERT_TRUE(parts.has_value()) << index;
    EXPECT_FALSE(parts->variant.inflight);  // a backup copies committed transactions only
    ++shrunk;
  }
  EXPECT_GT(shrunk, 0u) << "no sqlite-backup-delete-full case failed at seed 1";
}

TEST(SqliteShrink, APassingCaseHasNothingToShrink) {
  const std::string name = ScenarioName(Kind::kCrash, Config{Journal::kWal, Synchronous::kFull});
  ErrMapCoverage coverage;
  CaseResult r = RunCase(*Registry().Find(name), CaseId{name, 1, 0}, std::nullopt, &coverage);
  EXPECT_TRUE(r.failures.empty());
  // And a step of a shrunk variant of it replays (and passes) as well.
  CaseResult variant = RunCase(*Registry().Find(name), CaseId{name, 1, 0}, ShrunkStep({2, false}, 0), &coverage);
  EXPECT_TRUE(variant.failures.empty());
  EXPECT_EQ(variant.steps, 1u);
}

TEST(SqliteShrink, StepNumbersRoundTrip) {
  for (std::size_t t : {0, 1, 9}) {
    for (bool inflight : {false, true}) {
      std::optional<ShrunkStepParts> p = ParseShrunkStep(ShrunkStep({t, inflight}, 41));
      ASSERT_TRUE(p.has_value());
      EXPECT_EQ(p->variant.transactions, t);
      EXPECT_EQ(p->variant.inflight, inflight);
      EXPECT_EQ(p->inner_step, 41u);
    }
  }
  EXPECT_FALSE(ParseShrunkStep(kShrinkStepBase - 1).has_value());
}

// The code map: one table is the check and the docs.
TEST(SqliteCodeMap, TheCheckFollowsTheTable) {
  for (const SqliteCodeRow& row : SqliteCodeMap()) {
    for (int code : row.allowed) EXPECT_EQ(SqliteCodeViolation(row.fault, code), "") << code;
    EXPECT_NE(SqliteCodeViolation(row.fault, SQLITE_CORRUPT), "");
  }
  EXPECT_EQ(SqliteCodeViolation(FaultClass::kIoError, SQLITE_IOERR_FSYNC), "");
  EXPECT_NE(SqliteCodeViolation(FaultClass::kIoError, SQLITE_FULL), "");
  EXPECT_EQ(SqliteCodeViolation(FaultClass::kDiskFull, SQLITE_FULL), "");
  // A class without a row of its own: only success.
  EXPECT_NE(SqliteCodeViolation(FaultClass::kOutOfMemory, SQLITE_IOERR), "");
  EXPECT_EQ(SqliteCodeViolation(FaultClass::kOutOfMemory, SQLITE_OK), "");
  EXPECT_EQ(SqliteCodeViolation(FaultClass::kDiskFull, SQLITE_IOERR_WRITE), "");
  const std::string violation = SqliteCodeViolation(FaultClass::kCrash, SQLITE_FULL);
  EXPECT_NE(violation.find(SqliteAllowedText(SqliteCodeRowFor(FaultClass::kCrash))), std::string::npos) << violation;
}

// docs/SQLITE_ERRORS.md is generated; this keeps it from drifting from the table.
// Regenerate with: build/<dir>/harness/jetfault errmap --engine sqlite --markdown > docs/SQLITE_ERRORS.md
TEST(SqliteCodeMap, DocsSqliteErrorsMdEqualsTheGeneratedText) {
  std::ifstream in(std::string(JETFAULT_SOURCE_DIR) + "/docs/SQLITE_ERRORS.md", std::ios::binary);
  ASSERT_TRUE(in) << "docs/SQLITE_ERRORS.md is missing";
  std::stringstream buffer;
  buffer << in.rdbuf();
  EXPECT_EQ(buffer.str(), SqliteCodeMapMarkdown())
      << "docs/SQLITE_ERRORS.md is stale: run `jetfault errmap --engine sqlite --markdown > docs/SQLITE_ERRORS.md`";
  for (const SqliteCodeRow& row : SqliteCodeMap()) EXPECT_NE(buffer.str().find(row.why), std::string::npos);
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

// `--engine jet` runs JET's default scenarios, the seam's jet-seam-* among them, and
// no SQLite one; `--engine sqlite` the reverse.
TEST(EngineSelection, EachEngineGetsItsOwnScenarios) {
  ScenarioRegistry registry;
  RegisterScenarios(&registry);
  RegisterSqliteScenarios(&registry);
  std::vector<std::string> jet, sqlite;
  EXPECT_EQ(SelectEngineScenarios(registry, "jet", "", "", &jet), "");
  EXPECT_EQ(SelectEngineScenarios(registry, "sqlite", "", "", &sqlite), "");
  for (const char* name : {"jet-seam-crash", "jet-seam-io-error", "crash-workload"}) {
    EXPECT_NE(std::find(jet.begin(), jet.end(), name), jet.end()) << name;
    EXPECT_EQ(std::find(sqlite.begin(), sqlite.end(), name), sqlite.end()) << name;
  }
  for (const std::string& name : jet) EXPECT_NE(name.rfind("sqlite-", 0), 0u) << name;
  for (const std::string& name : sqlite) EXPECT_EQ(name.rfind("sqlite-", 0), 0u) << name;
}

TEST(SqliteCli, ErrmapEngineSqlitePrintsTheCodeMap) {
  Output text = Jetfault({"errmap", "--engine", "sqlite"});
  EXPECT_EQ(text.status, 0);
  EXPECT_EQ(text.out, SqliteCodeMapText());
  Output md = Jetfault({"errmap", "--engine", "sqlite", "--markdown"});
  EXPECT_EQ(md.out, SqliteCodeMapMarkdown());
  EXPECT_NE(Jetfault({"errmap", "--engine", "oracle"}).status, 0);
}

TEST(SqliteCli, EngineSqliteRunsBothDurableConfigurationsAndPasses) {
  Output o = Jetfault({"run", "--engine", "sqlite", "--cases", "1", "--jobs", "1"});
  EXPECT_EQ(o.status, 0) << o.out;
  for (const char* name :
       {"sqlite-crash-wal-full", "sqlite-crash-delete-extra", "sqlite-io-error-wal-full",
        "sqlite-io-error-delete-extra", "sqlite-backup-wal-full", "sqlite-backup-delete-extra", "fuse-sqlite"}) {
    EXPECT_NE(o.out.find(name), std::string::npos) << name << "\n" << o.out;
  }
  EXPECT_EQ(o.out.find("crash-workload"), std::string::npos) << o.out;
  EXPECT_EQ(o.out.find("fuse-sqlite-delete-full"), std::string::npos) << o.out;
}

TEST(SqliteCli, UnsafeConfigurationsExitOneWithClassAndReplayLines) {
  for (std::vector<std::string> flags :
       {std::vector<std::string>{"--sqlite-synchronous", "off"},
        std::vector<std::string>{"--sqlite-journal", "delete", "--sqlite-synchronous", "full"}}) {
    std::vector<std::string> args = {"run", "--engine", "sqlite", "--cases", "1", "--jobs", "1"};
    args.insert(args.end(), flags.begin(), flags.end());
    Output o = Jetfault(args);
    EXPECT_EQ(o.status, 1) << o.out;
    EXPECT_NE(o.out.find("lost-durable-commit"), std::string::npos) << o.out;
    EXPECT_NE(o.out.find("jetfault replay sqlite-crash-"), std::string::npos) << o.out;
  }
  EXPECT_EQ(Jetfault({"run", "--engine", "sqlite", "--sqlite-synchronous", "sometimes"}).status, 2);
  // DELETE/FULL's findings come with their shrunk replay line.
  Output o = Jetfault(
      {"run", "--sqlite-journal", "delete", "--sqlite-synchronous", "full", "--cases", "1", "--jobs", "1"});
  EXPECT_NE(o.out.find("  shrunk ("), std::string::npos) << o.out;
  EXPECT_EQ(Jetfault({"run", "--engine", "jet", "--sqlite-journal", "wal"}).status, 2);
}

}  // namespace
}  // namespace jetharness::sqlite

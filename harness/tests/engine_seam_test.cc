// The engine seam on JET (issue #16): the honest JET adapter passes the seam's generic
// crash, I/O-error and backup scenarios, and an adapter that lies about what it did (a
// durable commit made lazy, a write dropped, a backup missing a commit, a restore that
// rolls forward past the backup) makes the same generic scenario report the violation
// with its class and a replay line that reproduces it.
#include <algorithm>
#include <gtest/gtest.h>

#include "harness/engine/jet_under_test.h"
#include "harness/engine/scenarios.h"
#include "seam_liars.h"

namespace jetharness {
namespace {

// Asked for a durable commit, commits lazily (JET_bitCommitLazyFlush) and says it is done.
class LazyWhenDurable final : public LyingAdapter {
 public:
  using LyingAdapter::LyingAdapter;
  EngineResult Commit(CommitMode) override { return inner_->Commit(CommitMode::kLazy); }
};

// Answers every replace with success and does nothing (the key stays present, so no
// later call of the workload notices: only the content read back after a crash can).
class DropsReplaces final : public LyingAdapter {
 public:
  using LyingAdapter::LyingAdapter;
  EngineResult Write(const SpecOp& op) override {
    return op.kind == OpKind::kReplace ? EngineResult{} : inner_->Write(op);
  }
};

template <typename Liar>
Scenario LiarScenario(const std::string& name) {
  Scenario s = JetSeamCrashScenario();
  s.name = name;
  s.run = [](CaseContext& ctx) {
    SeamEnv env = MakeJetSeamEnv(ctx);
    env.make = [honest = env.make] { return std::make_unique<Liar>(honest()); };
    RunSeamCrash(ctx, env);
  };
  return s;
}

// jet-seam-backup with a backup that misses the last committed write.
Scenario BackupLiarScenario() {
  Scenario s = JetSeamBackupScenario();
  s.name = "jet-seam-backup-omitting-liar";
  s.run = [](CaseContext& ctx) {
    SeamEnv env = MakeJetSeamBackupEnv(ctx);
    env.make = [honest = env.make] { return std::make_unique<BackupOmitsLastWrite>(honest()); };
    RunSeamBackup(ctx, env);
  };
  return s;
}

// Claims backup support on an instance that does not log circularly: JetRestoreInstance
// then replays the log path's later generations (ESE's roll forward), so the store's
// commits after the backup come back. The seam's contract (exactly the backup) is not
// met, and the generic scenario must say so.
class RollsForward final : public LyingAdapter {
 public:
  using LyingAdapter::LyingAdapter;
  bool SupportsBackup() const override { return true; }
};

Scenario RollForwardScenario() {
  Scenario s = JetSeamBackupScenario();
  s.name = "jet-seam-backup-rolling-forward";
  s.run = [](CaseContext& ctx) {
    SeamEnv env = MakeJetSeamEnv(ctx);  // circular logging off
    env.make = [honest = env.make] { return std::make_unique<RollsForward>(honest()); };
    RunSeamBackup(ctx, env);
  };
  return s;
}

const ScenarioRegistry& Registry() {
  static const ScenarioRegistry registry = [] {
    ScenarioRegistry r;
    RegisterScenarios(&r);
    r.Add(LiarScenario<LazyWhenDurable>("jet-seam-crash-lazy-liar"));
    r.Add(LiarScenario<DropsReplaces>("jet-seam-crash-dropping-liar"));
    r.Add(BackupLiarScenario());
    r.Add(RollForwardScenario());
    return r;
  }();
  return registry;
}

constexpr std::uint64_t kSeeds[] = {1, 2};
constexpr std::uint64_t kCases = 2;  // an even (small) and an odd (long values) workload

std::vector<CaseResult> RunAll(const std::string& name, std::uint64_t case_step = 1) {
  const Scenario* scenario = Registry().Find(name);
  EXPECT_NE(scenario, nullptr) << name;
  std::vector<CaseResult> results;
  if (scenario == nullptr) return results;
  for (std::uint64_t seed : kSeeds) {
    for (std::uint64_t i = 0; i < kCases; i += case_step) {
      results.push_back(RunCase(*scenario, CaseId{name, seed, i}, std::nullopt, nullptr));
    }
  }
  return results;
}

// Every case of both, odd ones included: jet-seam-io-error's odd cases (long values,
// so the log rolls over and checkpoints run mid-workload) found the engine's lost
// flush (a failed database fsync inside a deferred checkpoint, then a retry that moved
// the checkpoint past the dropped pages: docs/HARNESS.md, "What the seam found").
TEST(JetSeam, TheHonestAdapterPassesTheGenericScenarios) {
  for (const std::string name : {"jet-seam-crash", "jet-seam-io-error", "jet-seam-backup"}) {
    std::uint64_t states = 0;
    for (const CaseResult& r : RunAll(name)) {
      states += r.crash_states;
      for (const Failure& f : r.failures) ADD_FAILURE() << name << ": " << f.what << "\n  " << f.replay;
    }
    EXPECT_GT(states, 400u) << name;
    EXPECT_TRUE(Registry().Find(name)->in_default_campaign) << name;
  }
}

// The finding, its class, its replay line and its replay: the same failure, same hash.
void ExpectReplays(const std::string& name, const Failure& f) {
  CaseId id;
  std::optional<std::uint64_t> step;
  ASSERT_TRUE(ParseReplayCommand(f.replay, &id, &step)) << f.replay;
  EXPECT_EQ(id.scenario, name);
  ASSERT_TRUE(step.has_value());
  CaseResult again = RunCase(*Registry().Find(name), id, step, nullptr);
  ASSERT_EQ(again.failures.size(), 1u) << f.replay;
  EXPECT_EQ(again.failures[0].what, f.what);
  EXPECT_EQ(again.failures[0].trace_hash, f.trace_hash);
}

// Every case of the liar `name` fails, each failure of one of `classes` (its text
// starts with the class) with a shrunk replay line; the first replays to itself.
void ExpectEveryCaseCaught(const std::string& name, std::initializer_list<const char*> classes) {
  std::size_t failing_cases = 0;
  std::optional<Failure> first;
  for (const CaseResult& r : RunAll(name)) {
    if (!r.failures.empty()) ++failing_cases;
    for (const Failure& f : r.failures) {
      EXPECT_TRUE(std::any_of(classes.begin(), classes.end(), [&](const char* c) { return f.what.rfind(c, 0) == 0; }))
          << f.what;
      EXPECT_EQ(f.replay.rfind("jetfault replay " + name + " --seed ", 0), 0u) << f.replay;
      EXPECT_FALSE(f.shrunk_replay.empty()) << f.replay;
      if (!first) first = f;
    }
  }
  EXPECT_EQ(failing_cases, std::size(kSeeds) * kCases);
  ASSERT_TRUE(first.has_value());
  ExpectReplays(name, *first);
}

// Only durability is lost: recovery still shows a prefix of the commits.
TEST(JetSeam, ADurableCommitMadeLazyIsALostDurableCommit) {
  ExpectEveryCaseCaught("jet-seam-crash-lazy-liar", {"lost-durable-commit"});
}

// The reopened content equals no prefix the model allows (or misses a durable commit).
TEST(JetSeam, ADroppedWriteIsCaught) {
  ExpectEveryCaseCaught("jet-seam-crash-dropping-liar", {"not-a-prefix", "lost-durable-commit"});
}

// The backup misses the last write committed before Backup was called: every restore
// of a complete backup shows it, as a lost commit or as content no prefix has.
TEST(JetSeam, ABackupMissingACommitIsCaught) {
  ExpectEveryCaseCaught("jet-seam-backup-omitting-liar", {"not-a-prefix", "lost-durable-commit"});
}

// A restore that rolls forward past the backup brings back commits made after Backup
// was called: beyond the backup's window.
TEST(JetSeam, ARestorePastTheBackupIsCaught) {
  const std::string name = "jet-seam-backup-rolling-forward";
  std::size_t beyond = 0;
  std::optional<Failure> first;
  for (const CaseResult& r : RunAll(name)) {
    for (const Failure& f : r.failures) {
      if (f.what.rfind("beyond-window", 0) == 0) ++beyond;
      if (!first) first = f;
    }
  }
  EXPECT_GT(beyond, 0u);
  ASSERT_TRUE(first.has_value());
  ExpectReplays(name, *first);
}

// The adapter's code map is the error map: the faulted file picks the row (a failed
// read may surface as a verification failure for a database page, not for a log) and
// the failing call its phase.
TEST(JetSeam, CodeViolationIsTheErrorMap) {
  JetUnderTest jet(JetSeamSettings("/db"));
  auto violation = [&](FaultClass fault, const std::string& path, const std::string& call, JET_ERR code) {
    return jet.CodeViolation(fault, path, EngineResult{code, call, ""});
  };
  EXPECT_EQ(violation(FaultClass::kIoError, "/db/db0.edb", "JetReplaceRecord", JET_errReadVerifyFailure), "");
  EXPECT_NE(violation(FaultClass::kIoError, "/db/edb.log", "JetCommitTransaction", JET_errReadVerifyFailure), "");
  EXPECT_EQ(violation(FaultClass::kDiskFull, "/db/edb.log", "JetCommitTransaction", JET_errLogDiskFull), "");
  EXPECT_NE(violation(FaultClass::kDiskFull, "/db/edb.log", "JetCommitTransaction", JET_errDiskFull), "");
  EXPECT_NE(violation(FaultClass::kIoError, "/db/db0.edb", "JetInsertRecord", kSeamModelMismatch), "");
  for (const auto& [fault, path, call] : {std::tuple{FaultClass::kIoError, "/db/db0.edb", "JetInit"},
                                          {FaultClass::kDiskFull, "/db/edb.chk", "JetTerm"}}) {
    const ErrCell& cell = ErrorMapTable()[static_cast<std::size_t>(
        FindErrCell(fault, ClassifyPath(JetSeamSettings("/db").layout, path), PhaseOfCall(call, Phase::kWorkload)))];
    for (JET_ERR code : cell.allowed) EXPECT_EQ(violation(fault, path, call, code), "") << CodeLabel(code);
  }
}

}  // namespace
}  // namespace jetharness

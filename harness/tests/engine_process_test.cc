// The process scenarios (scenario_process.cc, process_child.h): the judgement of a kill
// run can fail (fabricated events against real content), and the scenarios pass on the
// real engine, leaving no process and no scratch directory behind.
#include <dirent.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/filesystem.hpp>
#include <cstdlib>
#include <fstream>

#include <fmt/format.h>

#include <optional>

#include "harness/core/campaign.h"
#include "harness/core/oracle.h"
#include "harness/core/report.h"
#include "faultfs/posix_fs.h"
#include "harness/engine/process_child.h"
#include "harness/engine/rooted_fs.h"
#include "harness/engine/scenarios.h"

namespace jetharness {
namespace {

// Three commits: durable t0/a=1, lazy t0/b=2, durable t0/c=3; then one in flight t0/d=4.
Model ThreeCommits() {
  Model m;
  const char* keys[] = {"a", "b", "c"};
  for (int i = 0; i < 3; ++i) {
    auto t = m.Begin(i == 1 ? CommitMode::kLazy : CommitMode::kDurable);
    m.Put(t, "t0", keys[i], std::to_string(i + 1));
    m.CommitIssued(t);
    m.Committed(t);
  }
  auto open = m.Begin(CommitMode::kDurable);
  m.Put(open, "t0", "d", "4");
  return m;
}

ProcessEvent Ev(char kind, std::uint64_t index, JET_ERR code = JET_errSuccess) {
  return ProcessEvent{kind, index, code, 10 * index, 0x1234};
}

DbState State(std::initializer_list<std::pair<const char*, const char*>> records) {
  DbState s;
  for (const auto& [k, v] : records) s["t0"][k] = v;
  return s;
}

TEST(ProcessKill, WindowFollowsTheReportedOutcomes) {
  Model m = ThreeCommits();
  // Killed inside commit 2: 0 durably acknowledged, 1 lazily, 2 in flight.
  std::vector<ProcessEvent> reported = {Ev('B', 0), Ev('A', 0), Ev('B', 1), Ev('A', 1), Ev('B', 2)};
  PrefixWindow w = KillWindow(reported, m);
  EXPECT_EQ(w.min, 1u);
  EXPECT_EQ(w.max, 3u);
  EXPECT_TRUE(CheckState(m, State({{"a", "1"}}), w).ok());
  EXPECT_TRUE(CheckState(m, State({{"a", "1"}, {"b", "2"}, {"c", "3"}}), w).ok());
  // Killed before the first commit's call returned: nothing is promised.
  EXPECT_EQ(KillWindow({Ev('B', 0)}, m).min, 0u);
  // A failed commit call promises nothing either.
  EXPECT_EQ(KillWindow({Ev('B', 0), Ev('A', 0, JET_errDiskIO)}, m).min, 0u);
}

TEST(ProcessKill, AFabricatedAcknowledgedCommitThatIsMissingFails) {
  Model m = ThreeCommits();
  // The child "reported" commit 2 as durably acknowledged; the content lacks it.
  std::vector<ProcessEvent> reported = {Ev('B', 0), Ev('A', 0), Ev('B', 1), Ev('A', 1), Ev('B', 2), Ev('A', 2)};
  StateCheck check = CheckState(m, State({{"a", "1"}, {"b", "2"}}), KillWindow(reported, m));
  EXPECT_EQ(check.verdict, StateVerdict::kLostDurableCommit) << check.explanation;
}

TEST(ProcessKill, ACommitNeverReportedAsBegunMustNotBeVisible) {
  Model m = ThreeCommits();
  std::vector<ProcessEvent> reported = {Ev('B', 0), Ev('A', 0)};
  StateCheck check = CheckState(m, State({{"a", "1"}, {"b", "2"}}), KillWindow(reported, m));
  EXPECT_EQ(check.verdict, StateVerdict::kBeyondWindow) << check.explanation;
  // ... nor an in-flight transaction's write.
  check = CheckState(m, State({{"a", "1"}, {"d", "4"}}), KillWindow(reported, m));
  EXPECT_EQ(check.verdict, StateVerdict::kUncommittedVisible) << check.explanation;
}

TEST(ProcessKill, EventsThatLeaveTheSimulationAreADivergence) {
  std::vector<ProcessEvent> sim = {Ev('O', 0), Ev('B', 0), Ev('A', 0), Ev('E', 0)};
  EXPECT_EQ(EventDivergence({Ev('O', 0), Ev('B', 0)}, sim), "");
  std::vector<ProcessEvent> other = {Ev('O', 0), Ev('B', 0)};
  other[1].hash ^= 1;  // the same commit after other I/O
  EXPECT_NE(EventDivergence(other, sim).find("event 1"), std::string::npos);
  std::vector<ProcessEvent> longer = sim;
  longer.push_back(Ev('O', 9));
  EXPECT_NE(EventDivergence(longer, sim), "");
}

TEST(ProcessKill, EventsRoundTripAndGarbageIsNoEvent) {
  ProcessEvent e{'A', 7, JET_errDiskIO, 123, 0xfedcba9876543210ULL};
  EXPECT_EQ(ParseEvent(FormatEvent(e)), e);
  for (const char* bad : {"", "X 1 0 1 0000000000000000", "A 1 0 1 12", "A 1 0 1 000000000000000g",
                          "A 1 0 1 0000000000000000 extra", "jetfault: oops"}) {
    EXPECT_FALSE(ParseEvent(bad).has_value()) << bad;
  }
}

TEST(ProcessKill, OnlyADeathBySigkillCountsAsTheKill) {
  // Wait statuses as the kernel builds them: exit(9) is not SIGKILL.
  EXPECT_TRUE(ChildProcess::KilledBySigkill(SIGKILL));
  EXPECT_FALSE(ChildProcess::KilledBySigkill(9 << 8));
  EXPECT_FALSE(ChildProcess::KilledBySigkill(SIGSEGV));
}

// Children of this process still alive or unreaped (from /proc).
int ChildrenOfThisProcess() {
  int count = 0;
  DIR* proc = opendir("/proc");
  if (proc == nullptr) return -1;
  while (dirent* entry = readdir(proc)) {
    std::ifstream stat(std::string("/proc/") + entry->d_name + "/stat");
    std::string pid, comm, state;
    long ppid = 0;
    if (stat >> pid >> comm >> state >> ppid && ppid == getpid()) ++count;
  }
  closedir(proc);
  return count;
}

// TMPDIR pointed at a fresh directory for the life of the object (the scratch
// directories of the process scenarios go there), then restored and removed.
class ScopedTmpdir {
 public:
  ScopedTmpdir() {
    namespace fs = boost::filesystem;
    path_ = fs::temp_directory_path() / fs::unique_path("jetfault-process-test-%%%%-%%%%");
    fs::create_directories(path_);
    if (const char* old = std::getenv("TMPDIR")) saved_ = old;
    setenv("TMPDIR", path_.c_str(), 1);
  }
  ~ScopedTmpdir() {
    if (saved_) {
      setenv("TMPDIR", saved_->c_str(), 1);
    } else {
      unsetenv("TMPDIR");
    }
    boost::filesystem::remove_all(path_);
  }
  const boost::filesystem::path& path() const { return path_; }

 private:
  boost::filesystem::path path_;
  std::optional<std::string> saved_;
};

TEST(ProcessKill, AScratchDirectoryOfADeadCampaignIsRemoved) {
  namespace fs = boost::filesystem;
  ScopedTmpdir scoped;
  const fs::path& tmp = scoped.path();
  pid_t dead = fork();
  if (dead == 0) _exit(0);
  ASSERT_GT(dead, 0);
  waitpid(dead, nullptr, 0);  // reaped: no process has this pid now
  const fs::path stale = tmp / ("jetfault-process-" + std::to_string(dead) + "-abcd");
  const fs::path alive = tmp / ("jetfault-process-" + std::to_string(getppid()) + "-abcd");
  fs::create_directories(stale / "fs");
  fs::create_directories(alive);
  {
    ScratchDir scratch;
    EXPECT_TRUE(fs::is_directory(scratch.path()));
    EXPECT_FALSE(fs::exists(stale));
    EXPECT_TRUE(fs::exists(alive));  // its campaign still runs
  }
}

// A campaign process killed while its child holds an instance (as an interrupted run):
// the child dies with it (PR_SET_PDEATHSIG: by SIGKILL, not by the exit it would take
// once its stdin closes), and the next scratch directory sweeps the dead one's files.
TEST(ProcessKill, AKilledParentTakesItsChildAlongAndItsFilesAreSwept) {
  namespace fs = boost::filesystem;
  ScopedTmpdir scoped;
  const fs::path& tmp = scoped.path();
  // Orphans are re-parented to this process, so it can reap the grandchild itself.
  ASSERT_EQ(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  int report[2];
  ASSERT_EQ(pipe(report), 0);
  pid_t parent = fork();
  ASSERT_GE(parent, 0);
  if (parent == 0) {
    // The "campaign": a hold child on a baseline, its pid sent up, then it waits to die.
    close(report[0]);
    const Env env = ProcessEnv(ChildMode::kHold, 5, 0);
    Baseline base = MakeBaseline(env, 3, false);
    ScratchDir scratch;
    const std::string root = scratch.path() + "/fs";
    RootedFs rooted(&faultfs::DefaultPosixFs(), root);
    if (!faultfs::MakeDirs(faultfs::DefaultPosixFs(), root).ok() || !CopyTree(*base.after->Clone(), rooted).ok()) {
      _exit(2);
    }
    ChildProcess child(JETFAULT_BINARY, ChildMode::kHold, root, 5, 0);
    while (std::optional<ProcessEvent> e = child.Next()) {
      if (e->kind != 'H') continue;
      pid_t pid = child.pid();
      if (write(report[1], &pid, sizeof pid) != sizeof pid) _exit(3);
      for (;;) pause();
    }
    _exit(4);
  }
  close(report[1]);
  pid_t grandchild = 0;
  ASSERT_EQ(read(report[0], &grandchild, sizeof grandchild), static_cast<ssize_t>(sizeof grandchild));
  close(report[0]);
  kill(parent, SIGKILL);
  int status = 0;
  ASSERT_EQ(waitpid(parent, &status, 0), parent);
  ASSERT_EQ(waitpid(grandchild, &status, 0), grandchild);
  EXPECT_TRUE(ChildProcess::KilledBySigkill(status)) << ChildProcess::DescribeStatus(status);
  EXPECT_FALSE(fs::is_empty(tmp));  // the killed parent's scratch directory
  { ScratchDir next; }
  EXPECT_TRUE(fs::is_empty(tmp));
}

// A share lock belongs to its handle, never to a process the holder started meanwhile
// (PosixFs opens with O_CLOEXEC: an inherited descriptor would keep the open file
// description, and with it the OFD lock, alive in the child).
TEST(ProcessSharing, ALockDoesNotLeakIntoAChildProcess) {
  namespace bp = boost::process;
  ScratchDir scratch;
  faultfs::Vfs& fs = faultfs::DefaultPosixFs();
  const std::string path = scratch.path() + "/db0.edb";
  faultfs::OpenOptions exclusive{faultfs::Access::kReadWrite, faultfs::kShareNone, faultfs::Disposition::kOpenAlways};
  std::unique_ptr<faultfs::File> holder;
  ASSERT_TRUE(fs.Open(path, exclusive, &holder).ok());
  bp::opstream keep_alive;
  bp::child child("/bin/cat", bp::std_in<keep_alive, bp::std_out> bp::null);  // lives until killed
  std::unique_ptr<faultfs::File> second;
  EXPECT_EQ(fs.Open(path, exclusive, &second).code(), faultfs::ErrorCode::kSharingViolation);
  holder.reset();
  EXPECT_TRUE(fs.Open(path, exclusive, &second).ok()) << "the lock outlived its handle in a child process";
  ::kill(child.id(), SIGKILL);
  child.wait();
}

const char* const kProcessScenarios[] = {"process-kill",    "process-restore-kill",    "process-backup-kill",
                                         "process-sharing", "process-restore-sharing", "process-backup-sharing"};

class ProcessScenarios : public ::testing::TestWithParam<const char*> {};

TEST_P(ProcessScenarios, PassOnTheEngineAndLeaveNothingBehind) {
  namespace fs = boost::filesystem;
  SetChildExecutable(JETFAULT_BINARY);
  ScopedTmpdir tmp;
  ScenarioRegistry registry;
  RegisterScenarios(&registry);
  const Scenario* scenario = registry.Find(GetParam());
  ASSERT_NE(scenario, nullptr);
  for (std::uint64_t index : {0, 1}) {
    CaseId id{GetParam(), 11, index, {}};
    ErrMapCoverage coverage;
    const std::uint64_t kills_before = ChildProcess::SigkillsConfirmed();
    CaseResult result = RunCase(*scenario, id, std::nullopt, &coverage);
    EXPECT_EQ(result.steps, 1u);
    for (const Failure& f : result.failures) ADD_FAILURE() << f.replay << ": " << f.what << " [" << f.fault_plan << "]";
    EXPECT_EQ(ChildrenOfThisProcess(), 0);
    EXPECT_TRUE(fs::is_empty(tmp.path())) << "a scratch directory is left in " << tmp.path();
    // On real files, one child killed, and that kill counted under one phase.
    EXPECT_TRUE(result.real_files);
    EXPECT_EQ(ChildProcess::SigkillsConfirmed() - kills_before, 1u);
    ASSERT_EQ(result.kills.size(), 1u);
    EXPECT_EQ(result.kills.begin()->second, 1u);
  }
}

// The reports say which cases ran on real files and how many kills landed in which
// phase; the counts add up to the SIGKILLs this process sent and saw confirmed, and
// survive the JSON round trip a --jobs worker makes.
TEST(ProcessReport, KillsByPhaseAddUpToTheKillsConfirmed) {
  SetChildExecutable(JETFAULT_BINARY);
  ScopedTmpdir tmp;
  ScenarioRegistry registry;
  RegisterScenarios(&registry);
  CampaignOptions options;
  options.seed = 5;
  options.scenarios.assign(std::begin(kProcessScenarios), std::end(kProcessScenarios));
  options.scenarios.push_back("bad-args");  // in memory: no real files, no kill
  options.cases = 2;
  options.recheck_per_million = 0;  // a re-run's kills are not reported
  const std::uint64_t before = ChildProcess::SigkillsConfirmed();
  const CampaignReport report = RunCampaign(registry, options);
  const std::uint64_t confirmed = ChildProcess::SigkillsConfirmed() - before;
  EXPECT_TRUE(report.ok()) << TextReport(report);
  EXPECT_EQ(confirmed, 12u);  // one per case of each process scenario

  const nlohmann::json j = JsonReport(report);
  std::uint64_t by_phase = 0;
  for (const auto& [phase, n] : j.at("kills").items()) by_phase += n.get<std::uint64_t>();
  EXPECT_EQ(by_phase, confirmed) << j.at("kills").dump();
  EXPECT_EQ(j.at("real_file_cases").get<std::uint64_t>(), 12u);
  std::uint64_t by_scenario = 0;
  for (const auto& s : j.at("scenarios")) {
    const std::string name = s.at("name").get<std::string>();
    const bool real = name.rfind("process-", 0) == 0;
    EXPECT_EQ(s.at("real_file_cases").get<std::uint64_t>(), real ? 2u : 0u) << name;
    std::uint64_t kills = 0;
    for (const auto& [phase, n] : s.at("kills").items()) kills += n.get<std::uint64_t>();
    EXPECT_EQ(kills, real ? 2u : 0u) << name;
    by_scenario += kills;
  }
  EXPECT_EQ(by_scenario, confirmed);
  // Where the pausing scenarios kill is fixed by where they pause.
  EXPECT_EQ(report.kills().count("restore-replay") > 0, true);
  EXPECT_EQ(report.kills().count("backup-copy") > 0, true);
  EXPECT_EQ(report.kills().at("holding-instance"), 2u);
  EXPECT_EQ(ReportFromJson(j).kills(), report.kills());

  const std::string text = TextReport(report);
  EXPECT_NE(text.find(fmt::format("real processes on real files: 12 cases; kills by phase: {} = ", confirmed)),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  process-sharing: 2 of 2 cases on real files; kills: 2 = holding-instance 2"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("bad-args: "), std::string::npos) << text;
}

INSTANTIATE_TEST_SUITE_P(Real, ProcessScenarios, ::testing::ValuesIn(kProcessScenarios), [](const auto& param_info) {
  std::string name = param_info.param;
  for (char& c : name) c = c == '-' ? '_' : c;
  return name;
});

}  // namespace
}  // namespace jetharness

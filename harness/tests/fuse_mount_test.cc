// `jetfault mount` / `jetfault crash` (harness/fuse): a child process writes through
// the mount, the power cut keeps what it synced and drops what it did not (per the
// survivor policy), an image mounts again, and no run ever leaves a mount behind; the
// image path is checked with symbolic links resolved. Then the fuse-* scenarios: restore
// and sqlite3 cases pass, DELETE/FULL loses an acknowledged commit, and fuse-sqlite's
// oracle rejects crafted images.
// Skipped, with the reason, where FUSE cannot be used (no /dev/fuse, no fusermount3,
// a build without libfuse3, mounting not permitted).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <boost/process.hpp>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "harness/core/scenario.h"
#include "harness/engine/process_child.h"
#include "harness/engine/scenarios.h"
#include "harness/fuse/fuse_mount.h"
#include "harness/fuse/scenarios.h"

namespace jetharness::fuse {
namespace {

namespace bp = boost::process;
namespace stdfs = std::filesystem;

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs a command to its end; its exit status (-1 when it did not exit normally).
int Sh(const std::string& script) {
  bp::child c("/bin/sh", "-c", script, bp::std_in < bp::null);
  c.wait();
  return c.exit_code();
}

int Jetfault(const std::vector<std::string>& args, std::string* err = nullptr) {
  bp::ipstream err_stream;
  bp::child c(JETFAULT_BINARY, bp::args(args), bp::std_in<bp::null, bp::std_out> bp::null, bp::std_err > err_stream);
  std::string all, line;
  while (std::getline(err_stream, line)) all += line + "\n";
  c.wait();
  if (err != nullptr) *err = all;
  return c.exit_code();
}

class FuseMountTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::string why = FuseUnavailableReason(); !why.empty()) GTEST_SKIP() << why;
    mnt_ = scratch_.path() + "/mnt";
    image_ = scratch_.path() + "/image";
    stdfs::create_directories(mnt_);
  }
  // Mounts, or skips the test when mounting is not permitted here.
  std::unique_ptr<MountProcess> Mount(const std::vector<std::string>& args = {}) {
    try {
      return std::make_unique<MountProcess>(JETFAULT_BINARY, mnt_, args);
    } catch (const std::runtime_error& e) {
      const std::string what = e.what();
      if (what.find("ermission denied") != std::string::npos || what.find("not permitted") != std::string::npos) {
        skipped_ = "mounting is not permitted here: " + what;
      } else {
        ADD_FAILURE() << what;
      }
      return nullptr;
    }
  }
  ScratchDir scratch_;
  std::string mnt_, image_, skipped_;
};

#define MOUNT_OR_SKIP(var, ...)                            \
  auto var = Mount(__VA_ARGS__);                           \
  if (!var && !skipped_.empty()) GTEST_SKIP() << skipped_; \
  ASSERT_TRUE(var)

// A child writes a file, fsyncs it and its directory, then writes another without any
// sync: drop-all keeps exactly the first; keep-all keeps both.
TEST_F(FuseMountTest, CrashKeepsSyncedDataAndDropsUnsynced) {
  for (const char* policy : {"drop-all", "keep-all"}) {
    SCOPED_TRACE(policy);
    const std::string image = image_ + "-" + policy;
    {
      MOUNT_OR_SKIP(mount);
      ASSERT_EQ(0, Sh("mkdir " + mnt_ + "/d && printf synced > " + mnt_ + "/d/a && sync " + mnt_ + "/d/a " + mnt_ +
                      "/d " + mnt_ + " && printf unsynced > " + mnt_ + "/d/b && printf more >> " + mnt_ + "/d/a"));
      ASSERT_EQ("syncedmore", Slurp(mnt_ + "/d/a"));  // what the running system sees
      std::string err;
      ASSERT_EQ(0, Jetfault({"crash", mnt_, "--survivors", policy, "--image", image}, &err)) << err;
      EXPECT_FALSE(IsMounted(mnt_)) << "jetfault crash returned with the filesystem still mounted";
      EXPECT_EQ(0, mount->WaitExit(5000).value_or(-1)) << mount->ErrorText();
    }
    if (std::string(policy) == "drop-all") {
      EXPECT_EQ("synced", Slurp(image + "/d/a"));
      EXPECT_FALSE(stdfs::exists(image + "/d/b")) << "an unsynced create survived drop-all";
    } else {
      EXPECT_EQ("syncedmore", Slurp(image + "/d/a"));
      EXPECT_EQ("unsynced", Slurp(image + "/d/b"));
    }
  }
}

// After the cut the filesystem answers nothing but EIO until it is gone.
TEST_F(FuseMountTest, ArmedCutStopsBeforeTheOperationAndImageMountsAgain) {
  {
    MOUNT_OR_SKIP(mount);
    ASSERT_EQ(0, Sh("printf one > " + mnt_ + "/f && sync " + mnt_ + "/f " + mnt_));
    const std::string status = Control(mnt_, "status");
    unsigned long long ops = 0;
    ASSERT_EQ(1, std::sscanf(status.c_str(), "ok ops=%llu", &ops)) << status;
    // The next open (the shell's `>`) is operation `ops`: cut just before it.
    std::string err;
    ASSERT_EQ(0, Jetfault({"crash", mnt_, "--at-op", std::to_string(ops), "--survivors", "keep-all", "--image", image_},
                          &err))
        << err;
    EXPECT_TRUE(IsMounted(mnt_));
    EXPECT_NE(0, Sh("printf two > " + mnt_ + "/g 2>/dev/null")) << "an operation after the cut succeeded";
    // Still mounted, still EIO: the program cannot go on in the directory underneath.
    EXPECT_TRUE(IsMounted(mnt_));
    EXPECT_NE(0, Sh("printf three > " + mnt_ + "/h 2>/dev/null"));
    ASSERT_EQ(0, Jetfault({"crash", mnt_, "--image", image_ + "-unused"}, &err)) << err;
    EXPECT_FALSE(IsMounted(mnt_));
    EXPECT_FALSE(stdfs::exists(image_ + "-unused")) << "the image is the armed cut's";
    EXPECT_TRUE(mount->WaitExit(5000).has_value());
  }
  EXPECT_EQ("one", Slurp(image_ + "/f"));
  EXPECT_FALSE(stdfs::exists(image_ + "/g"));
  EXPECT_FALSE(stdfs::exists(mnt_ + "/h")) << "a write after the cut reached the directory under the mount";
  // The image mounted again: everything in it durable, so a drop-all cut keeps it.
  MOUNT_OR_SKIP(again, {"--from", image_});
  EXPECT_EQ("one", Slurp(mnt_ + "/f"));
  std::string err;
  ASSERT_EQ(0, Jetfault({"crash", mnt_, "--survivors", "drop-all", "--image", image_ + "2"}, &err)) << err;
  EXPECT_EQ("one", Slurp(image_ + "2/f"));
}

// Bad requests are refused with a message and leave the filesystem serving.
TEST_F(FuseMountTest, BadCrashRequestsAreRefused) {
  MOUNT_OR_SKIP(mount);
  ASSERT_EQ(0, Sh("printf x > " + mnt_ + "/f"));
  std::string err;
  EXPECT_EQ(1, Jetfault({"crash", mnt_, "--survivors", "drop-write-999999", "--image", image_}, &err));
  EXPECT_NE(std::string::npos, err.find("no survivor policy 'drop-write-999999'")) << err;
  EXPECT_EQ(1, Jetfault({"crash", mnt_, "--survivors", "sometimes", "--image", image_, "--at-op", "5"}, &err));
  EXPECT_EQ(1, Jetfault({"crash", mnt_, "--image", mnt_ + "/inside"}, &err));
  EXPECT_NE(std::string::npos, err.find("outside the mount")) << err;
  EXPECT_EQ(1, Jetfault({"crash", scratch_.path(), "--image", image_}, &err)) << "a directory that is no mount";
  EXPECT_TRUE(IsMounted(mnt_));
  EXPECT_EQ("x", Slurp(mnt_ + "/f"));
}

// The server resolves symbolic links in the image path without looking inside its own
// mount (which would wait for itself): an image inside the mount through a link is
// refused, through a link to the mount or to one of its parents, sent straight to the
// control file (`jetfault crash` resolves the path itself before sending it).
TEST_F(FuseMountTest, ImagePathThroughASymlinkIntoTheMountIsRefused) {
  MOUNT_OR_SKIP(mount);
  ASSERT_EQ(0, Sh("printf x > " + mnt_ + "/f"));
  const std::string s = scratch_.path();
  stdfs::create_symlink(mnt_, s + "/to-mnt");
  stdfs::create_symlink(s, s + "/to-scratch");
  stdfs::create_symlink("to-mnt/sub", s + "/rel-dir-link");  // relative: from the link's directory
  stdfs::create_directories(s + "/d");
  stdfs::create_symlink("../to-mnt", s + "/d/up");
  stdfs::create_symlink(s + "/loop-b", s + "/loop-a");
  stdfs::create_symlink(s + "/loop-a", s + "/loop-b");
  stdfs::create_directories(s + "/outside");
  stdfs::create_symlink(s + "/outside", s + "/to-outside");
  for (const std::string& image : {s + "/to-mnt/img", s + "/to-scratch/mnt/img", s + "/to-scratch/./mnt/../mnt/x/img",
                                   s + "/to-mnt", s + "/rel-dir-link/img", s + "/d/up/img", s + "/d/up/../mnt/img"}) {
    SCOPED_TRACE(image);
    for (const std::string& verb : {std::string("crash drop-all "), std::string("arm 5 drop-all ")}) {
      const std::string answer = Control(mnt_, verb + image);
      EXPECT_NE(std::string::npos, answer.find("outside the mount")) << answer;
    }
  }
  EXPECT_NE(std::string::npos, Control(mnt_, "crash drop-all " + s + "/loop-a/img").find("symbolic link loop"));
  // Paths that only pass by the mount, or lead outside through a link, are accepted
  // (an arm far ahead, so nothing fires): `..` after a link goes to the parent of
  // where the link points, as the kernel resolves it.
  for (const std::string& image : {s + "/d/up/../outside/img", s + "/to-outside/img", s + "/mnt/../outside/img"}) {
    const std::string answer = Control(mnt_, "arm 1000000 drop-all " + image);
    EXPECT_EQ(0u, answer.rfind("ok armed", 0)) << image << ": " << answer;
  }
  EXPECT_TRUE(IsMounted(mnt_));
  EXPECT_EQ("x", Slurp(mnt_ + "/f"));
  // A link that leads outside is followed: the image lands where it points.
  const std::string answer = Control(mnt_, "crash keep-all " + s + "/to-outside/img");
  EXPECT_EQ(0u, answer.rfind("ok", 0)) << answer;
  EXPECT_TRUE(WaitUnmounted(mnt_, 5000));
  EXPECT_EQ("x", Slurp(s + "/outside/img/f"));
}

// Never a stale mount: a server killed with SIGKILL (no chance to unmount) or
// interrupted (SIGINT) leaves no mount, and neither does a check that fails with the
// mount still up (the MountProcess destructor).
TEST_F(FuseMountTest, NoStaleMountAfterKillInterruptOrFailedCheck) {
  for (int sig : {SIGKILL, SIGINT, SIGTERM}) {
    SCOPED_TRACE(strsignal(sig));
    MOUNT_OR_SKIP(mount);
    ASSERT_TRUE(IsMounted(mnt_));
    ASSERT_EQ(0, kill(mount->pid(), sig));
    EXPECT_TRUE(WaitUnmounted(mnt_, 5000)) << "stale mount after " << strsignal(sig);
  }
  try {
    MOUNT_OR_SKIP(mount);
    throw std::runtime_error("a check failed");
  } catch (const std::runtime_error&) {
  }
  EXPECT_FALSE(IsMounted(mnt_));
}

// --- the fuse-* scenarios -------------------------------------------------------

class FuseScenarioTest : public FuseMountTest {
 protected:
  void SetUp() override {
    FuseMountTest::SetUp();
    if (IsSkipped()) return;
    if (JetutilExecutable().empty()) GTEST_SKIP() << "no jetutil";
    SetChildExecutable(JETFAULT_BINARY);
    RegisterFuseScenarios(&registry_);
  }
  CaseResult RunOne(const std::string& scenario, std::uint64_t seed, std::uint64_t index) {
    const Scenario* s = registry_.Find(scenario);
    if (s == nullptr) {
      ADD_FAILURE() << "no scenario " << scenario;
      return {};
    }
    return RunCase(*s, CaseId{scenario, seed, index, {}}, std::nullopt, nullptr);
  }
  static std::string Failures(const CaseResult& r) {
    std::string all;
    for (const Failure& f : r.failures) all += f.what + "\n  plan: " + f.fault_plan + "\n  " + f.replay + "\n";
    return all;
  }
  ScenarioRegistry registry_;
};

// Both restore targets (over the instance, onto a fresh machine) and both SQLite
// configurations pass on a few seeds, each case counted as one crash state.
TEST_F(FuseScenarioTest, RestoreAndSqliteCasesPass) {
  for (const char* scenario : {"fuse-restore", "fuse-sqlite"}) {
    for (std::uint64_t index = 0; index < 4; ++index) {
      SCOPED_TRACE(std::string(scenario) + " case " + std::to_string(index));
      CaseResult r = RunOne(scenario, 11, index);
      EXPECT_TRUE(r.passed()) << Failures(r);
      EXPECT_EQ(1u, r.crash_states);
    }
  }
}

// The check can fail: DELETE/FULL (the journal unlink at commit is not synced) loses
// an acknowledged commit in some case of a few seeds' worth.
TEST_F(FuseScenarioTest, SqliteDeleteFullLosesAnAcknowledgedCommit) {
  std::string found;
  for (std::uint64_t index = 0; index < 24 && found.empty(); ++index) {
    CaseResult r = RunOne("fuse-sqlite-delete-full", 1, index);
    for (const Failure& f : r.failures) {
      if (f.what.find("lost-durable-commit") != std::string::npos) found = f.replay;
    }
  }
  EXPECT_FALSE(found.empty()) << "no lost acknowledged commit in 24 cases of DELETE/FULL";
  EXPECT_NE(std::string::npos, found.find("jetfault replay fuse-sqlite-delete-full --seed 1 --case")) << found;
}

// The oracle on crafted images: the database of the first k transactions, written by
// the real sqlite3, is legal for k or k+1 acknowledged commits (the (k+1)-th uncertain),
// a lost durable commit for k+1 and past the window for k-2; damage is reported.
TEST(FuseSqliteOracle, RejectsAnImageMissingAnAcknowledgedCommit) {
  if (Sqlite3Executable().empty()) GTEST_SKIP() << "no sqlite3";
  ScratchDir scratch;
  const SqliteCliWorkload w = MakeSqliteCliWorkload(5, SqliteCliConfig{"delete", "extra"});
  ASSERT_GE(w.txns.size(), 3u);
  const std::size_t k = 2;
  std::string script = ".bail on\n" + SqliteCliSetupSql();
  for (std::size_t t = 0; t < k; ++t) script += w.txn_sql[t];
  std::ofstream(scratch.path() + "/script.sql") << script;
  const std::string db = scratch.path() + "/test.db";
  ASSERT_EQ(0, Sh(Sqlite3Executable() + " -batch -init /dev/null " + db + " < " + scratch.path() +
                  "/script.sql > /dev/null"));
  std::size_t matched = 0;
  EXPECT_EQ("", JudgeSqliteImage(db, w, k, false, &matched));
  EXPECT_EQ(k, matched);
  EXPECT_EQ("", JudgeSqliteImage(db, w, k - 1, false, &matched));
  std::string lost = JudgeSqliteImage(db, w, k + 1, false, &matched);
  EXPECT_NE(std::string::npos, lost.find("lost-durable-commit")) << lost;
  EXPECT_NE("", JudgeSqliteImage(db, w, k - 2, false, &matched)) << "a commit never attempted is visible";
  EXPECT_NE("", JudgeSqliteImage(db, w, k - 1, true, &matched)) << "past a finished script's last commit";
  // Damage: a page of the table garbled (the file's second half).
  {
    std::fstream f(db, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(stdfs::file_size(db) / 2));
    f << std::string(64, '\x5a');
  }
  EXPECT_NE("", JudgeSqliteImage(db, w, k, false, &matched));
}

// Every fuse-* scenario has its row in docs/HARNESS.md's scenario table, a summary and
// a description; fuse-sqlite-delete-full (violations expected) is not in the default
// campaign, the others are.
TEST(FuseScenarios, RegisteredWithRowsInHarnessDoc) {
  ScenarioRegistry registry;
  RegisterFuseScenarios(&registry);
  std::ifstream in(std::string(JETFAULT_SOURCE_DIR) + "/docs/HARNESS.md", std::ios::binary);
  const std::string doc((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(doc.empty());
  std::set<std::string> names;
  for (const Scenario& s : registry.all()) {
    names.insert(s.name);
    EXPECT_NE(doc.find("| `" + s.name + "` |"), std::string::npos) << s.name << " has no row in docs/HARNESS.md";
    EXPECT_FALSE(s.summary.empty()) << s.name;
    EXPECT_GT(s.description.size(), 100u) << s.name;
    EXPECT_EQ(s.in_default_campaign, s.name != "fuse-sqlite-delete-full") << s.name;
  }
  EXPECT_EQ((std::set<std::string>{"fuse-power-loss", "fuse-restore", "fuse-sqlite", "fuse-sqlite-delete-full"}),
            names);
}

TEST(FuseSqliteOracle, OutputParsingChecksTheConfigurationAndTheAckOrder) {
  const SqliteCliConfig wal{"wal", "full"};
  SqliteCliOutcome o = ParseSqliteCliOutput("exclusive\nwal\nconfig|wal|2\nack|1\nack|2\n", wal);
  EXPECT_TRUE(o.configured);
  EXPECT_EQ(2u, o.acked);
  EXPECT_EQ("", o.problem);
  o = ParseSqliteCliOutput("delete\nconfig|delete|2\nack|1\n", wal);
  EXPECT_FALSE(o.configured);
  EXPECT_NE("", o.problem);
  o = ParseSqliteCliOutput("config|wal|2\nack|2\n", wal);
  EXPECT_NE("", o.problem);
}

}  // namespace
}  // namespace jetharness::fuse

// `jetfault mount` / `jetfault crash` (harness/fuse): a child process writes through
// the mount, the power cut keeps what it synced and drops what it did not (per the
// survivor policy), an image mounts again, and no run ever leaves a mount behind.
// Skipped, with the reason, where FUSE cannot be used (no /dev/fuse, no fusermount3,
// a build without libfuse3, mounting not permitted).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>

#include <boost/process.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "harness/engine/process_child.h"
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

}  // namespace
}  // namespace jetharness::fuse

// The client side of `jetfault mount` (fuse_mount.h): the control file, mount-point
// checks, the unmount of last resort, and the mount child process of the scenarios.
#include <errno.h>
#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "harness/fuse/fuse_mount.h"

namespace jetharness::fuse {

namespace {

std::string Absolute(const std::string& path) {
  std::error_code ec;
  const std::filesystem::path absolute = std::filesystem::absolute(path, ec);
  std::filesystem::path p = std::filesystem::weakly_canonical(absolute, ec);
  // A mount point whose server died cannot be resolved (ENOTCONN): lexically then.
  if (ec) p = absolute;
  std::string s = p.lexically_normal().string();
  while (s.size() > 1 && s.back() == '/') s.pop_back();
  return s;
}

// /proc/self/mountinfo escapes space, tab, newline and backslash as \ooo.
std::string Unescape(const std::string& field) {
  std::string out;
  for (std::size_t i = 0; i < field.size(); ++i) {
    if (field[i] == '\\' && i + 3 < field.size()) {
      out += static_cast<char>(std::stoi(field.substr(i + 1, 3), nullptr, 8));
      i += 3;
    } else {
      out += field[i];
    }
  }
  return out;
}

std::string FindProgram(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::istringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    std::string candidate = dir + "/" + name;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  for (const char* dir : {"/usr/bin/", "/bin/", "/usr/sbin/", "/sbin/"}) {
    if (access((dir + name).c_str(), X_OK) == 0) return dir + name;
  }
  return "";
}

}  // namespace

std::string FuseUnavailableReason() {
  if (!BuiltWithFuse()) return "jetfault was built without libfuse3 (CMake did not find it; Debian: libfuse3-dev)";
  int fd = open("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (fd < 0) return fmt::format("cannot open /dev/fuse: {}", std::strerror(errno));
  close(fd);
  if (FindProgram("fusermount3").empty()) return "fusermount3 is not installed (Debian: fuse3)";
  return "";
}

bool IsMounted(const std::string& dir) {
  const std::string want = Absolute(dir);
  std::ifstream in("/proc/self/mountinfo");
  for (std::string line; std::getline(in, line);) {
    std::istringstream fields(line);
    std::string id, parent, devno, root, mount_point;
    if (fields >> id >> parent >> devno >> root >> mount_point && Unescape(mount_point) == want) return true;
  }
  return false;
}

bool WaitUnmounted(const std::string& dir, int timeout_ms) {
  for (int waited = 0;; waited += 10) {
    if (!IsMounted(dir)) return true;
    if (waited >= timeout_ms) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
}

bool ForceUnmount(const std::string& dir) {
  if (!IsMounted(dir)) return true;
  const std::string fusermount = FindProgram("fusermount3");
  if (!fusermount.empty()) {
    std::error_code ec;
    boost::process::child c(fusermount, "-u", "-z", Absolute(dir), boost::process::std_out > boost::process::null,
                            boost::process::std_err > boost::process::null, ec);
    if (!ec) c.wait(ec);
  }
  if (IsMounted(dir)) (void)umount2(Absolute(dir).c_str(), MNT_DETACH);
  return !IsMounted(dir);
}

std::string Control(const std::string& dir, const std::string& command) {
  const std::string path = Absolute(dir) + "/" + kControlName;
  int fd = open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0)
    throw std::runtime_error(fmt::format("{}: {} (is a `jetfault mount` there?)", path, std::strerror(errno)));
  const std::string line = command + "\n";
  const ssize_t written = write(fd, line.data(), line.size());
  const int write_errno = errno;
  // The answer is there whether the command succeeded or not.
  char buf[4096];
  const ssize_t n = pread(fd, buf, sizeof(buf), 0);
  close(fd);
  if (n > 0) return std::string(buf, static_cast<std::size_t>(n));
  if (written < 0) throw std::runtime_error(fmt::format("{}: {}", path, std::strerror(write_errno)));
  throw std::runtime_error(path + ": no answer");
}

int RunCrash(const std::string& dir, const CrashRequest& request) {
  if (request.image.empty()) {
    std::fprintf(stderr, "jetfault crash: --image wants a directory\n");
    return 2;
  }
  const std::string image = Absolute(request.image);
  const std::string command = request.at_op ? fmt::format("arm {} {} {}", *request.at_op, request.policy, image)
                                            : fmt::format("crash {} {}", request.policy, image);
  std::string answer;
  try {
    answer = Control(dir, command);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "jetfault crash: %s\n", e.what());
    return 1;
  }
  if (answer.rfind("ok", 0) != 0) {
    std::fprintf(stderr, "jetfault crash: %s", answer.c_str());
    return 1;
  }
  std::fputs(answer.c_str(), stdout);
  if (request.at_op && answer.find("already cut") == std::string::npos) return 0;
  if (!WaitUnmounted(dir, 10'000)) {
    std::fprintf(stderr, "jetfault crash: %s is still mounted 10 s after the power cut; unmounting it\n", dir.c_str());
    return ForceUnmount(dir) ? 0 : 1;
  }
  return 0;
}

MountProcess::MountProcess(const std::string& jetfault, const std::string& dir,
                           const std::vector<std::string>& extra_args)
    : dir_(Absolute(dir)) {
  namespace bp = boost::process;
  char err_template[] = "/tmp/jetfault-mount-err-XXXXXX";
  int fd = mkstemp(err_template);
  if (fd >= 0) close(fd);
  err_path_ = err_template;
  std::vector<std::string> args = {"mount", dir_, "--foreground"};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  child_ = bp::child(jetfault, bp::args(args), bp::std_out > out_, bp::std_err > err_path_, bp::std_in < bp::null);
  std::string line;
  if (!std::getline(out_, line) || line.rfind("mounted ", 0) != 0) {
    std::error_code ec;
    child_.wait(ec);
    const std::string err = ErrorText();
    (void)ForceUnmount(dir_);
    std::remove(err_path_.c_str());
    throw std::runtime_error(fmt::format("jetfault mount {} did not mount: {}", dir_, err));
  }
}

MountProcess::~MountProcess() {
  std::error_code ec;
  if (child_.valid() && child_.running(ec)) {
    kill(child_.id(), SIGTERM);
    if (!WaitExit(2000)) {
      child_.terminate(ec);
      child_.wait(ec);
    }
  }
  // The server unmounts itself, and fusermount3's auto_unmount watcher unmounts after
  // a server that died; this is the last resort (and a stale mount is a test failure).
  if (!WaitUnmounted(dir_, 2000)) (void)ForceUnmount(dir_);
  std::remove(err_path_.c_str());
}

std::optional<int> MountProcess::WaitExit(int timeout_ms) {
  std::error_code ec;
  if (!child_.valid()) return std::nullopt;
  // Polled: Boost.Process's wait_for sleeps in sigtimedwait for a SIGCHLD, which never
  // comes for a child that exited before the call (or is taken by another thread), so
  // it returned only at the timeout, with the child long gone (5 s in a test, 10 s in a
  // campaign case).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    if (!child_.running(ec)) {
      if (ec) return std::nullopt;
      return child_.exit_code();
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

std::string MountProcess::ErrorText() const {
  std::ifstream in(err_path_);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace jetharness::fuse

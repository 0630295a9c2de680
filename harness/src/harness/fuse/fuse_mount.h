// harness/fuse/fuse_mount.h — faultfs as a real filesystem: `jetfault mount` serves a
// MemFs behind a FaultFs through libfuse3, so unmodified programs do their I/O through
// the durability model, a fault plan and the trace; `jetfault crash` cuts the power.
//
// The server (fuse_server.cc, built only when CMake finds libfuse3) and its client
// (fuse_client.cc, always built) talk through a control file in the mount's root,
// `.jetfault-ctl` (hidden from directory listings, never numbered or faulted). A write
// of one command line runs it inside the server's single thread, so a crash happens
// between two operations of the filesystem; a read returns the answer:
//
//   crash POLICY IMAGE     power loss now: IMAGE (an absolute, empty or missing real
//                          directory outside the mount once symbolic links are
//                          resolved) receives the crash image the
//                          survivor policy POLICY allows; the filesystem answers EIO
//                          from then on and unmounts itself
//   arm K POLICY IMAGE     the same, just before FaultFs operation K (from 0), except
//                          that the filesystem keeps answering EIO (it does not unmount,
//                          which would let the program go on in the directory under the
//                          mount) until the next crash request, which unmounts it
//   status                 "ops=N crashed=0|1 pending_writes=W pending_dirops=D"
//
// Answers are "ok ..." or "error: ...". POLICY is a name of faultfs::SurvivorPolicies
// (keep-all, drop-all, drop-write-<seq>, drop-dirop-<seq>, tear-<seq>, random-<i>),
// computed with the mount's seed.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/process.hpp>

namespace jetharness::fuse {

inline constexpr const char* kControlName = ".jetfault-ctl";

struct MountOptions {
  std::string dir;
  std::uint64_t seed = 1;
  std::string plan_file;    // a fault plan (docs/FAULTS.md), line or JSON form
  std::string from_image;   // a real directory (a crash image) to serve instead of an empty filesystem
  bool foreground = false;  // stay in the foreground and print "mounted DIR" once it is
};

// True when this jetfault was built with libfuse3.
bool BuiltWithFuse();
// "" when a mount can work here (built with libfuse3, /dev/fuse openable, fusermount3
// installed), else the reason it cannot.
std::string FuseUnavailableReason();

// `jetfault mount`: serves until unmounted, a crash command, or SIGINT/SIGTERM/SIGHUP.
// Returns the exit status (0 when it ended by a crash command or an unmount).
int RunMount(const MountOptions& options);

struct CrashRequest {
  std::string policy = "drop-all";
  std::string image;  // made absolute by the client
  std::optional<std::uint64_t> at_op;
};
// `jetfault crash`: sends the request; without at_op waits until the mount is gone.
int RunCrash(const std::string& dir, const CrashRequest& request);

// One command on the control file of the mount at dir; the answer ("ok ..." or
// "error: ..."). Throws std::runtime_error when the control file cannot be used.
std::string Control(const std::string& dir, const std::string& command);

// True when dir is a mount point (per /proc/self/mountinfo).
bool IsMounted(const std::string& dir);
// Waits up to timeout_ms for dir to stop being a mount point.
bool WaitUnmounted(const std::string& dir, int timeout_ms);
// `fusermount3 -u -z dir`, else umount2(MNT_DETACH); true when dir is no mount point after.
bool ForceUnmount(const std::string& dir);

// A `jetfault mount DIR --foreground ...` child process for scenarios and tests. The
// constructor returns once the filesystem is mounted (or throws with the server's
// stderr). The destructor guarantees no stale mount: it stops a server still running
// (SIGTERM, then SIGKILL) and unmounts the directory if it is still a mount point.
class MountProcess {
 public:
  MountProcess(const std::string& jetfault, const std::string& dir, const std::vector<std::string>& extra_args);
  ~MountProcess();
  MountProcess(const MountProcess&) = delete;
  MountProcess& operator=(const MountProcess&) = delete;

  // Waits up to timeout_ms for the server to exit; its exit status, or nullopt.
  std::optional<int> WaitExit(int timeout_ms);
  std::string ErrorText() const;
  int pid() const { return child_.id(); }

 private:
  std::string dir_;
  std::string err_path_;
  boost::process::ipstream out_;
  boost::process::child child_;
};

}  // namespace jetharness::fuse

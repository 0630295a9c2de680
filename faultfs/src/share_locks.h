// share_locks.h — Windows share modes over Linux OFD byte-range locks (internal).
// See posix_fs.h for the scheme.
#pragma once

#include <cstdint>
#include <string>

#include "faultfs/vfs.h"

namespace faultfs::internal {

// Holds the exclusive "mutex byte" lock of a file while alive.
class ShareMutex {
 public:
  // Waits for the mutex byte of fd's file; *status reports failure (then nothing is held).
  ShareMutex(int fd, Status* status);
  ~ShareMutex();
  ShareMutex(const ShareMutex&) = delete;
  ShareMutex& operator=(const ShareMutex&) = delete;

 private:
  int fd_;
  bool held_ = false;
};

// Checks that a new handle with (access, share) on fd's file conflicts with no other
// handle, then records it by locking fd's bytes. Call with the ShareMutex held, unless
// fd is read-only (then the check and set are not atomic).
Status AcquireShareMode(int fd, Access access, std::uint8_t share, const std::string& path);

// kSharingViolation when some handle of fd's file does not share delete.
Status CheckDeleteAllowed(int fd, const std::string& path);

}  // namespace faultfs::internal

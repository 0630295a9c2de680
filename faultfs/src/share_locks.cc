#include "share_locks.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "path_rules.h"

namespace faultfs::internal {
namespace {

// The lock bytes sit at 2^62, far past any file this project writes (kMaxFileSize is
// 2^40), so they never overlap data and no real I/O ever touches them.
constexpr off_t kLockBase = off_t{1} << 62;
enum LockByte : off_t {
  kMutexByte = 0,
  kHasRead = 1,
  kHasWrite = 2,
  kDeniesRead = 3,
  kDeniesWrite = 4,
  kDeniesDelete = 5,
};

struct flock ByteLock(short type, off_t byte) {
  struct flock lock;
  std::memset(&lock, 0, sizeof(lock));
  lock.l_type = type;
  lock.l_whence = SEEK_SET;
  lock.l_start = kLockBase + byte;
  lock.l_len = 1;
  lock.l_pid = 0;  // required by the OFD commands
  return lock;
}

Status LockError(const std::string& path) {
  return Status::Error(ErrorCode::kIoError, "share-mode lock failed on " + path + ": " + std::strerror(errno));
}

// True when another open file description holds a lock on the byte.
Status HeldByOther(int fd, off_t byte, const std::string& path, bool* held) {
  struct flock probe = ByteLock(F_WRLCK, byte);
  if (fcntl(fd, F_OFD_GETLK, &probe) != 0) return LockError(path);
  *held = probe.l_type != F_UNLCK;
  return Status::Ok();
}

Status HoldShared(int fd, off_t byte, const std::string& path) {
  struct flock lock = ByteLock(F_RDLCK, byte);
  if (fcntl(fd, F_OFD_SETLK, &lock) != 0) {
    if (errno == EAGAIN || errno == EACCES) {
      return Status::Error(ErrorCode::kSharingViolation, path + " is open with an incompatible share mode");
    }
    return LockError(path);
  }
  return Status::Ok();
}

}  // namespace

ShareMutex::ShareMutex(int fd, Status* status) : fd_(fd) {
  struct flock lock = ByteLock(F_WRLCK, kMutexByte);
  while (fcntl(fd_, F_OFD_SETLKW, &lock) != 0) {
    if (errno == EINTR) continue;
    if (errno == EBADF) {  // read-only descriptor: no exclusive lock possible
      *status = Status::Ok();
      return;
    }
    *status = LockError("a file");
    return;
  }
  held_ = true;
  *status = Status::Ok();
}

ShareMutex::~ShareMutex() {
  if (!held_) return;
  struct flock lock = ByteLock(F_UNLCK, kMutexByte);
  (void)fcntl(fd_, F_OFD_SETLK, &lock);
}

Status AcquireShareMode(int fd, Access access, std::uint8_t share, const std::string& path) {
  // Each entry: "if this is true of me, nobody may hold that byte".
  const struct {
    bool applies;
    off_t forbidden;
  } checks[] = {
      {HasRead(access), kDeniesRead},
      {HasWrite(access), kDeniesWrite},
      {(share & kShareRead) == 0, kHasRead},
      {(share & kShareWrite) == 0, kHasWrite},
  };
  for (const auto& check : checks) {
    if (!check.applies) continue;
    bool held = false;
    Status s = HeldByOther(fd, check.forbidden, path, &held);
    if (!s.ok()) return s;
    if (held) return Status::Error(ErrorCode::kSharingViolation, path + " is open with an incompatible share mode");
  }
  const struct {
    bool applies;
    off_t byte;
  } holds[] = {
      {HasRead(access), kHasRead},
      {HasWrite(access), kHasWrite},
      {(share & kShareRead) == 0, kDeniesRead},
      {(share & kShareWrite) == 0, kDeniesWrite},
      {(share & kShareDelete) == 0, kDeniesDelete},
  };
  for (const auto& hold : holds) {
    if (!hold.applies) continue;
    Status s = HoldShared(fd, hold.byte, path);
    if (!s.ok()) return s;  // the caller closes fd, which drops what was taken
  }
  return Status::Ok();
}

Status CheckDeleteAllowed(int fd, const std::string& path) {
  bool held = false;
  Status s = HeldByOther(fd, kDeniesDelete, path, &held);
  if (!s.ok()) return s;
  if (held) return Status::Error(ErrorCode::kSharingViolation, path + " is open without FILE_SHARE_DELETE");
  return Status::Ok();
}

}  // namespace faultfs::internal

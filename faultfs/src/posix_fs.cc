#include "faultfs/posix_fs.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>
#include <utility>

#include "path_rules.h"
#include "share_locks.h"

namespace faultfs {
namespace {

// The one place errno becomes an ErrorCode. ENOTDIR means either "a component of the
// path is a file" (nothing there: kNotFound) or "the path itself is a file where a
// directory was needed" (kAccessDenied, as MemFs reports it); a stat tells which.
Status ErrnoStatus(int err, const std::string& path, const char* op) {
  ErrorCode code = ErrorCode::kIoError;
  switch (err) {
    case ENOENT: code = ErrorCode::kNotFound; break;
    case ENOTDIR: {
      struct stat st;
      code = (::stat(path.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) ? ErrorCode::kAccessDenied : ErrorCode::kNotFound;
      break;
    }
    case EACCES:
    case EPERM:
    case EISDIR:
    case EROFS:
    case EBUSY:
    case ETXTBSY: code = ErrorCode::kAccessDenied; break;
    case EEXIST: code = ErrorCode::kAlreadyExists; break;
    case ENOTEMPTY: code = ErrorCode::kNotEmpty; break;
    case ENOSPC:
    case EDQUOT:
    case EFBIG: code = ErrorCode::kDiskFull; break;
    case ENAMETOOLONG:
    case ELOOP: code = ErrorCode::kInvalidPath; break;
    default:
      code = ErrorCode::kIoError;  // EIO and everything unexpected
      break;
  }
  return Status::Error(code, std::string(op) + " " + path + ": " + std::strerror(err));
}

// Closes the descriptor on scope exit unless released.
class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

// Opens a file for I/O and for the share-mode lock protocol, which wants a read/write
// descriptor. When the caller only needs to read and may not write, falls back to a
// read-only descriptor (see posix_fs.h for what that costs).
Status OpenForLocks(const std::string& path, int extra_flags, bool needs_write, Fd* out) {
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC | extra_flags, 0644);
  if (fd < 0 && errno == EACCES && !needs_write) fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | extra_flags, 0644);
  if (fd < 0) return ErrnoStatus(errno, path, "open");
  struct stat st;
  if (::fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
    ::close(fd);
    return Status::Error(ErrorCode::kAccessDenied, path + " is a directory");
  }
  out->reset(fd);
  return Status::Ok();
}

class PosixFile final : public File {
 public:
  PosixFile(int fd, Access access, std::string path) : fd_(fd), access_(access), path_(std::move(path)) {}
  ~PosixFile() override { ::close(fd_); }

  Status Read(std::uint64_t offset, std::span<std::uint8_t> dst, std::size_t* bytes_read) override {
    *bytes_read = 0;
    if (!internal::HasRead(access_)) return internal::HandleLacksAccess("read", path_);
    while (*bytes_read < dst.size()) {
      ssize_t n = ::pread(fd_, dst.data() + *bytes_read, dst.size() - *bytes_read,
                          static_cast<off_t>(offset + *bytes_read));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ErrnoStatus(errno, path_, "read");
      if (n == 0) break;
      *bytes_read += static_cast<std::size_t>(n);
    }
    return Status::Ok();
  }

  Status Write(std::uint64_t offset, std::span<const std::uint8_t> data) override {
    if (!internal::HasWrite(access_)) return internal::HandleLacksAccess("write", path_);
    if (!internal::WithinMaxFileSize(offset, data.size())) return internal::FileTooLarge(path_);
    std::size_t done = 0;
    while (done < data.size()) {
      ssize_t n = ::pwrite(fd_, data.data() + done, data.size() - done, static_cast<off_t>(offset + done));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return ErrnoStatus(errno, path_, "write");
      done += static_cast<std::size_t>(n);
    }
    return Status::Ok();
  }

  Status Append(std::span<const std::uint8_t> data) override {
    std::uint64_t size = 0;
    Status s = Size(&size);
    if (!s.ok()) return s;
    return Write(size, data);
  }

  Status Flush() override { return Status::Ok(); }

  Status Sync() override {
    if (::fsync(fd_) != 0) return ErrnoStatus(errno, path_, "fsync");
    return Status::Ok();
  }

  Status Size(std::uint64_t* size) override {
    struct stat st;
    if (::fstat(fd_, &st) != 0) return ErrnoStatus(errno, path_, "fstat");
    *size = static_cast<std::uint64_t>(st.st_size);
    return Status::Ok();
  }

  Status Truncate(std::uint64_t size) override {
    if (!internal::HasWrite(access_)) return internal::HandleLacksAccess("truncate", path_);
    if (!internal::WithinMaxFileSize(size, 0)) return internal::FileTooLarge(path_);
    if (::ftruncate(fd_, static_cast<off_t>(size)) != 0) return ErrnoStatus(errno, path_, "ftruncate");
    return Status::Ok();
  }

  const std::string& path() const override { return path_; }

 private:
  int fd_;
  Access access_;
  std::string path_;
};

Status StatPath(const std::string& path, struct stat* st) {
  Status s = internal::CheckPath(path);
  if (!s.ok()) return s;
  if (::stat(path.c_str(), st) != 0) return ErrnoStatus(errno, path, "stat");
  return Status::Ok();
}

}  // namespace

Status PosixFs::Open(const std::string& path, const OpenOptions& options, std::unique_ptr<File>* out) {
  Status s = internal::CheckPath(path);
  if (!s.ok()) return s;
  int flags = 0;
  switch (options.disposition) {
    case Disposition::kOpenExisting: break;
    case Disposition::kCreateNew: flags = O_CREAT | O_EXCL; break;
    case Disposition::kOpenAlways:
    case Disposition::kCreateAlways:  // truncated below, once the share check passed
      flags = O_CREAT;
      break;
  }
  if (!options.follow_links) flags |= O_NOFOLLOW;
  Fd fd;
  s = OpenForLocks(path, flags, internal::HasWrite(options.access), &fd);
  if (!s.ok()) return s;
  {
    internal::ShareMutex mutex(fd.get(), &s);
    if (!s.ok()) return s;
    s = internal::AcquireShareMode(fd.get(), options.access, options.share, path);
    if (!s.ok()) return s;
    // Truncate under the mutex byte, so no handle can be admitted in between.
    if (options.disposition == Disposition::kCreateAlways && ::ftruncate(fd.get(), 0) != 0) {
      return ErrnoStatus(errno, path, "ftruncate");
    }
  }
  *out = std::make_unique<PosixFile>(fd.release(), options.access, path);
  return Status::Ok();
}

Status PosixFs::Delete(const std::string& path) {
  Status s = internal::CheckPath(path);
  if (!s.ok()) return s;
  Fd fd;
  s = OpenForLocks(path, 0, false, &fd);
  if (!s.ok()) return s;
  internal::ShareMutex mutex(fd.get(), &s);
  if (!s.ok()) return s;
  s = internal::CheckDeleteAllowed(fd.get(), path);
  if (!s.ok()) return s;
  if (::unlink(path.c_str()) != 0) return ErrnoStatus(errno, path, "unlink");
  return Status::Ok();
}

Status PosixFs::Rename(const std::string& from, const std::string& to) {
  Status s = internal::CheckPath(from);
  if (!s.ok()) return s;
  s = internal::CheckPath(to);
  if (!s.ok()) return s;
  Fd source;
  s = OpenForLocks(from, 0, false, &source);
  if (!s.ok()) return s;
  struct stat parent;
  if (::stat(ParentPath(to).c_str(), &parent) != 0 || !S_ISDIR(parent.st_mode)) {
    return Status::Error(ErrorCode::kNotFound, "parent directory of " + to + " does not exist");
  }
  struct stat source_st, target_st;
  bool target_exists = ::stat(to.c_str(), &target_st) == 0;
  if (target_exists && ::fstat(source.get(), &source_st) == 0 && source_st.st_dev == target_st.st_dev &&
      source_st.st_ino == target_st.st_ino) {
    return Status::Ok();  // same file: rename(2) does nothing either
  }
  internal::ShareMutex source_mutex(source.get(), &s);
  if (!s.ok()) return s;
  s = internal::CheckDeleteAllowed(source.get(), from);
  if (!s.ok()) return s;
  Fd target;
  if (target_exists) {
    s = OpenForLocks(to, 0, false, &target);
    if (!s.ok()) return s;
  }
  std::optional<internal::ShareMutex> target_mutex;
  if (target.get() >= 0) {
    target_mutex.emplace(target.get(), &s);
    if (!s.ok()) return s;
    s = internal::CheckDeleteAllowed(target.get(), to);
    if (!s.ok()) return s;
  }
  if (::rename(from.c_str(), to.c_str()) != 0) return ErrnoStatus(errno, to, "rename");
  return Status::Ok();
}

Status PosixFs::Exists(const std::string& path, bool* exists) {
  struct stat st;
  Status s = StatPath(path, &st);
  *exists = s.ok();
  return s.code() == ErrorCode::kNotFound ? Status::Ok() : s;
}

Status PosixFs::IsDirectory(const std::string& path, bool* is_dir) {
  struct stat st;
  Status s = StatPath(path, &st);
  if (!s.ok()) return s;
  *is_dir = S_ISDIR(st.st_mode);
  return Status::Ok();
}

Status PosixFs::IsSymlink(const std::string& path, bool* is_link) {
  Status s = internal::CheckPath(path);
  if (!s.ok()) return s;
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return ErrnoStatus(errno, path, "lstat");
  *is_link = S_ISLNK(st.st_mode);
  return Status::Ok();
}

Status PosixFs::ListDir(const std::string& path, std::vector<std::string>* names) {
  Status s = internal::CheckPath(path);
  if (!s.ok()) return s;
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return ErrnoStatus(errno, path, "opendir");
  names->clear();
  errno = 0;
  while (struct dirent* entry = ::readdir(dir)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") names->push_back(std::move(name));
  }
  int err = errno;
  ::closedir(dir);
  if (err != 0) return ErrnoStatus(err, path, "readdir");
  std::sort(names->begin(), names->end());
  return Status::Ok();
}

Status PosixFs::MakeDir(const std::string& path) {
  Status s = internal::CheckPath(path);
  if (!s.ok()) return s;
  if (::mkdir(path.c_str(), 0755) != 0) return ErrnoStatus(errno, path, "mkdir");
  return Status::Ok();
}

Status PosixFs::RemoveDir(const std::string& path) {
  Status s = internal::CheckPath(path);
  if (!s.ok()) return s;
  if (::rmdir(path.c_str()) != 0) {
    if (errno == EEXIST) return Status::Error(ErrorCode::kNotEmpty, path + " is not empty");
    return ErrnoStatus(errno, path, "rmdir");
  }
  return Status::Ok();
}

Status PosixFs::SyncDir(const std::string& path) {
  Status s = internal::CheckPath(path);
  if (!s.ok()) return s;
  Fd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (fd.get() < 0) return ErrnoStatus(errno, path, "open directory");
  if (::fsync(fd.get()) != 0) return ErrnoStatus(errno, path, "fsync directory");
  return Status::Ok();
}

Status PosixFs::FileSize(const std::string& path, std::uint64_t* size) {
  struct stat st;
  Status s = StatPath(path, &st);
  if (!s.ok()) return s;
  if (S_ISDIR(st.st_mode)) return Status::Error(ErrorCode::kAccessDenied, path + " is a directory");
  *size = static_cast<std::uint64_t>(st.st_size);
  return Status::Ok();
}

std::unique_ptr<Vfs> NewPosixFs() { return std::make_unique<PosixFs>(); }

Vfs& DefaultPosixFs() {
  static PosixFs* fs = new PosixFs();  // never destroyed: handles may outlive static destruction
  return *fs;
}

}  // namespace faultfs

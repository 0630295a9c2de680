// faultfs/posix_fs.h — the Vfs over real files (Linux).
//
// Errors: every errno is mapped onto an ErrorCode (ENOENT -> kNotFound, ENOSPC ->
// kDiskFull, EIO -> kIoError, ...); errno never escapes. The message carries the
// system's text for humans.
//
// Share modes hold across processes. They are emulated with Linux open-file-
// description locks (fcntl F_OFD_SETLK / F_OFD_GETLK) on single bytes far beyond any
// real end of file, one byte per fact:
//     has-read-access  has-write-access  denies-read  denies-write  denies-delete
// Each handle holds a shared lock on the bytes that describe it. An open checks for
// conflicting holders and sets its own bytes while holding an exclusive lock on a
// separate "mutex byte", so check-and-set is atomic against other openers. OFD locks
// belong to the open file description, so they conflict between two handles of the
// same process too, vanish when the handle is closed, and vanish when the process
// dies (a killed process never leaves a file locked). Delete and Rename take the
// mutex byte and refuse (kSharingViolation) while any handle denies delete.
// A file the caller may not write to is opened read-only and can then only take the
// shared locks: its share mode is enforced towards others, but its check-and-set is
// not atomic.
//
// Paths are passed to the OS as given (relative paths are relative to the current
// directory), after the common checks of vfs.h.
#pragma once

#include <memory>

#include "faultfs/vfs.h"

namespace faultfs {

class PosixFs final : public Vfs {
 public:
  PosixFs() = default;

  Status Open(const std::string& path, const OpenOptions& options, std::unique_ptr<File>* out) override;
  Status Delete(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Exists(const std::string& path, bool* exists) override;
  Status IsDirectory(const std::string& path, bool* is_dir) override;
  Status IsSymlink(const std::string& path, bool* is_link) override;
  Status ListDir(const std::string& path, std::vector<std::string>* names) override;
  Status MakeDir(const std::string& path) override;
  Status RemoveDir(const std::string& path) override;
  Status SyncDir(const std::string& path) override;
  Status FileSize(const std::string& path, std::uint64_t* size) override;
};

std::unique_ptr<Vfs> NewPosixFs();
// The process-wide PosixFs the engine uses when JET_paramVfs is not set. Never destroyed.
Vfs& DefaultPosixFs();

}  // namespace faultfs

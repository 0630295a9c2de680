// faultfs/vfs.h — the narrow filesystem interface through which all storage I/O flows.
//
// In the spirit of LevelDB's Env: the engine sees nothing but this header. Three
// implementations exist: PosixFs (real files), MemFs (in memory, with an explicit
// durability model and crash images) and FaultFs (wraps any Vfs and injects faults
// from a seeded, replayable plan).
//
// Paths are '/'-separated UTF-8 strings. Backends reject empty paths, NUL bytes and
// components longer than 255 bytes with kInvalidPath.
//
// Durability contract (what MemFs models and FaultFs perturbs):
//  * Write/Append/Truncate change the volatile state, visible at once to every handle.
//  * File::Sync makes the file's data and size durable.
//  * Directory entries (create, rename, delete) become durable only after
//    Vfs::SyncDir on the parent directory.
//  * After a crash only durable state is guaranteed; unsynced writes may be kept,
//    dropped, torn or reordered.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "faultfs/status.h"

namespace faultfs {

// What the handle may do. A handle opened kRead cannot write (kAccessDenied).
enum class Access : std::uint8_t { kRead = 1, kWrite = 2, kReadWrite = 3 };

// Windows-like share mode: which accesses this handle lets *other* handles have.
// An open fails with kSharingViolation when either side's share mode forbids the
// other side's access; Delete and Rename of an open file need kShareDelete.
enum ShareMode : std::uint8_t {
  kShareNone = 0,
  kShareRead = 1,
  kShareWrite = 2,
  kShareDelete = 4,
  kShareAll = kShareRead | kShareWrite | kShareDelete,
};

enum class Disposition : std::uint8_t {
  kOpenExisting,  // fail with kNotFound if absent
  kCreateNew,     // fail with kAlreadyExists if present
  kOpenAlways,    // open, creating an empty file if absent
  kCreateAlways,  // create, truncating an existing file to zero
};

struct OpenOptions {
  Access access = Access::kRead;
  std::uint8_t share = kShareRead;
  Disposition disposition = Disposition::kOpenExisting;
  // false: a symbolic link as the last component of the path is refused with
  // kInvalidPath instead of followed (O_NOFOLLOW), in the same system call as the open,
  // so no link can be planted between a check and the open. MemFs has no links.
  bool follow_links = true;
};

// An open file. Destroying the handle closes it and releases its share mode.
class File {
 public:
  virtual ~File() = default;
  File(const File&) = delete;
  File& operator=(const File&) = delete;

  // Reads up to dst.size() bytes at offset; *bytes_read < dst.size() only at end of file.
  virtual Status Read(std::uint64_t offset, std::span<std::uint8_t> dst, std::size_t* bytes_read) = 0;
  // Writes all of data at offset, extending the file (with zeros) if needed.
  virtual Status Write(std::uint64_t offset, std::span<const std::uint8_t> data) = 0;
  // Writes at the current end of file.
  virtual Status Append(std::span<const std::uint8_t> data) = 0;
  // Hands buffered data to the OS; no durability promise. (Backends here are unbuffered.)
  virtual Status Flush() = 0;
  // Makes this file's data and size durable. A failed Sync may have lost dirty data.
  virtual Status Sync() = 0;
  virtual Status Size(std::uint64_t* size) = 0;
  // Sets the size: shrinking discards bytes, growing appends zeros.
  virtual Status Truncate(std::uint64_t size) = 0;
  virtual const std::string& path() const = 0;

 protected:
  File() = default;
};

class Vfs {
 public:
  virtual ~Vfs() = default;
  Vfs(const Vfs&) = delete;
  Vfs& operator=(const Vfs&) = delete;

  virtual Status Open(const std::string& path, const OpenOptions& options, std::unique_ptr<File>* out) = 0;
  // Removes a file (not a directory). kSharingViolation if open without kShareDelete.
  virtual Status Delete(const std::string& path) = 0;
  // Atomically renames a file, replacing any existing target file.
  virtual Status Rename(const std::string& from, const std::string& to) = 0;
  virtual Status Exists(const std::string& path, bool* exists) = 0;
  // True when the path names a directory; kNotFound when it names nothing.
  virtual Status IsDirectory(const std::string& path, bool* is_dir) = 0;
  // True when the last component of path is itself a symbolic link (lstat: the link is
  // not followed); kNotFound when it names nothing. Callers that must not follow links
  // out of a directory (restore reading a backup set) ask this first. The default is
  // for backends without symbolic links (MemFs): an existing path is never a link.
  virtual Status IsSymlink(const std::string& path, bool* is_link);
  // Names (not paths) of the entries of a directory, sorted.
  virtual Status ListDir(const std::string& path, std::vector<std::string>* names) = 0;
  // Creates one directory; kAlreadyExists if it exists, kNotFound if the parent does not.
  virtual Status MakeDir(const std::string& path) = 0;
  virtual Status RemoveDir(const std::string& path) = 0;
  // Makes the directory's entries (creates, renames, deletes inside it) durable.
  virtual Status SyncDir(const std::string& path) = 0;
  virtual Status FileSize(const std::string& path, std::uint64_t* size) = 0;

 protected:
  Vfs() = default;
};

// Small helpers shared by every caller; implemented once over the interface.
Status ReadWholeFile(Vfs& vfs, const std::string& path, std::vector<std::uint8_t>* out);
// Creates or replaces path with data and syncs it (not the directory).
Status WriteWholeFile(Vfs& vfs, const std::string& path, std::span<const std::uint8_t> data);
// Creates every missing directory along path (like mkdir -p).
Status MakeDirs(Vfs& vfs, const std::string& path);
// Joins two path pieces with exactly one '/'.
std::string JoinPath(const std::string& dir, const std::string& name);
// Parent directory of a path ("/a/b" -> "/a", "b" -> ".", "/a" -> "/").
std::string ParentPath(const std::string& path);
// Last component of a path ("/a/b.log" -> "b.log").
std::string BaseName(const std::string& path);

}  // namespace faultfs

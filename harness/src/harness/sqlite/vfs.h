// harness/sqlite/vfs.h — a sqlite3_vfs over faultfs::Vfs.
//
// Everything SQLite does to storage goes through a faultfs::Vfs (a Machine's FaultFs
// over a MemFs), so crash images, torn writes and EIO/ENOSPC reach SQLite exactly as
// they reach the JET engine. The VFS must be honest, or the campaign's results mean
// nothing (docs/HARNESS.md, "What SQLite assumes of the VFS"):
//   * a short read zero-fills the rest of the buffer and returns SQLITE_IOERR_SHORT_READ;
//   * xFileControl answers SQLITE_NOTFOUND to every opcode (SQLITE_OK would mean "the
//     VFS handled it", and every PRAGMA, `synchronous` included, would do nothing);
//   * xDeviceCharacteristics claims nothing (0): no ATOMIC*, SAFE_APPEND, SEQUENTIAL,
//     and no POWERSAFE_OVERWRITE, since a reordered crash image may put an older write's
//     bytes over a newer one's;
//   * xSectorSize is the crash model's tear unit (VfsOptions::sector_size);
//   * the first xSync of a main journal, super-journal or WAL opened with
//     SQLITE_OPEN_CREATE also syncs its directory, as the default unix VFS does (or
//     a crash image may hold overwritten database pages without their journal);
//   * xDelete with syncDir != 0 syncs the directory before returning;
//   * xAccess answers from the live namespace.
// Every storage failure maps as the unix VFS maps it (ENOSPC on a write is
// SQLITE_FULL; a failed sync SQLITE_IOERR_FSYNC, ...). Randomness and time are
// derived from the seed, and xSleep returns at once: nothing depends on the clock.
//
// Each instance registers itself under a unique name (sqlite3_vfs_register) and
// unregisters when destroyed; connections must be closed before that. Shared memory
// for WAL (xShm*) lives in the instance (it is lost at a crash, as -shm content may
// be: SQLite rebuilds it from the WAL). Locks are per file path inside the instance;
// one process, one thread.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "faultfs/vfs.h"

namespace jetharness::sqlite {

struct VfsOptions {
  std::uint64_t seed = 0;           // xRandomness
  std::uint32_t sector_size = 512;  // xSectorSize: the tear unit of the crash images
};

class FaultVfs {
 public:
  FaultVfs(faultfs::Vfs* fs, VfsOptions options);
  ~FaultVfs();
  FaultVfs(const FaultVfs&) = delete;
  FaultVfs& operator=(const FaultVfs&) = delete;

  const char* name() const { return name_.c_str(); }
  sqlite3_vfs* vfs() { return &vfs_; }
  faultfs::Vfs* fs() const { return fs_; }
  const VfsOptions& options() const { return options_; }
  // File-control opcodes SQLite sent (all answered SQLITE_NOTFOUND), in order.
  const std::vector<int>& file_controls() const { return file_controls_; }

  // Internal state shared with the io methods (vfs.cc).
  struct FileState;
  struct Shm {
    std::vector<std::unique_ptr<char[]>> regions;
    int region_size = 0;
    int mapped = 0;  // handles that mapped it
  };
  std::map<std::string, std::vector<FileState*>>& open_files() { return open_files_; }
  std::map<std::string, Shm>& shm() { return shm_; }
  void NoteFileControl(int op) { file_controls_.push_back(op); }
  std::uint64_t NextRandom();
  std::uint64_t NextTempId() { return ++temp_files_; }

 private:
  faultfs::Vfs* fs_;
  VfsOptions options_;
  std::string name_;
  sqlite3_vfs vfs_{};
  std::uint64_t random_state_;
  std::uint64_t temp_files_ = 0;
  std::map<std::string, std::vector<FileState*>> open_files_;
  std::map<std::string, Shm> shm_;
  std::vector<int> file_controls_;
};

// SQLite's name of an extended result code ("SQLITE_IOERR_FSYNC (1034)").
std::string ResultCodeLabel(int code);

}  // namespace jetharness::sqlite

// faultfs/mem_fs.h — an in-memory Vfs with an explicit durability model.
//
// MemFs is fast (no I/O), thread-safe (one mutex) and, above all, it knows exactly
// what a power failure could leave behind. Every file's data and size, and every
// directory's entries, exist in two states:
//
//   volatile  what every handle sees now (the OS page cache and dentry cache);
//   durable   what is guaranteed to be on the medium.
//
// File::Sync makes that file's data and size durable; Vfs::SyncDir makes the entries
// of that one directory durable (creating a file and syncing the file does NOT make
// its name durable: the parent directory must be synced too, as on Linux).
//
// Everything that changed the volatile state but is not yet durable is kept as a list
// of *pending operations*, each numbered by one global sequence:
//   - pending writes: Write/Append (the bytes), Truncate and the truncation done by
//     Disposition::kCreateAlways (the new size);
//   - pending directory operations: create, delete, rename, mkdir, rmdir.
// CrashImage() builds the filesystem a reboot would find: the durable state plus the
// pending operations a CrashPolicy lets survive (optionally torn at an atomic unit, or
// applied out of order). Because it only ever re-applies recorded operations to the
// durable state, an image never contains a byte that was never written (zeros appear
// only where a surviving write or truncate itself extended the file) and always
// contains everything that was synced.
//
// Storage is copy-on-write (4 KiB blocks behind shared pointers): Clone() and
// CrashImage() copy pointers, not data.
//
// Paths are absolute ('/a/b'); repeated and trailing '/' are ignored. "." and ".."
// components are rejected with kInvalidPath, as are empty paths, relative paths, NUL
// bytes and components longer than 255 bytes.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "faultfs/vfs.h"

namespace faultfs {

// What happens at a crash to one pending operation.
enum class Fate : std::uint8_t {
  kKeep,    // reaches the medium whole
  kDrop,    // never reaches the medium
  kTear,    // writes only: a seeded subset of its atomic units reaches the medium
  kRandom,  // decided from the policy's seed and probabilities
};

struct CrashPolicy {
  std::uint64_t seed = 0;
  // Fate of every pending write / directory operation not named in an override.
  Fate writes = Fate::kKeep;
  Fate dir_ops = Fate::kKeep;
  // Per-operation fates, keyed by PendingWrite::sequence / PendingDirOp::sequence.
  std::map<std::uint64_t, Fate> write_overrides;
  std::map<std::uint64_t, Fate> dir_op_overrides;
  // kRandom: probability (per million) that an operation survives, and that a
  // surviving write is torn. Directory operations are atomic and never torn.
  std::uint32_t keep_per_million = 500'000;
  std::uint32_t tear_per_million = 0;
  // The unit a device writes atomically (typically 512 or 4096); tearing keeps or
  // loses whole units, aligned to multiples of the unit within the file.
  std::uint32_t atomic_unit = 512;
  // When true, the surviving writes of each file are applied in a seeded random order
  // instead of issue order: between two barriers a device may reorder writes, so an
  // older write can land on top of a newer overlapping one.
  bool reorder = false;

  static CrashPolicy KeepAll();
  static CrashPolicy DropAll();
  // Keeps everything except the one pending write (or directory op) with this sequence.
  static CrashPolicy DropOne(std::uint64_t sequence);
  // Each pending operation survives with probability 1/2; surviving writes are torn
  // with probability tear_per_million; all decided from seed.
  static CrashPolicy Random(std::uint64_t seed, std::uint32_t tear_per_million = 0);
};

// One write (or size change) that changed a file's volatile data and is not durable.
struct PendingWrite {
  std::uint64_t sequence = 0;  // global order of pending operations
  std::uint64_t epoch = 0;     // barriers (successful Sync/SyncDir) completed before it
  std::uint64_t file_id = 0;   // stable identity of the file (survives renames)
  std::string path;            // the path it was written through
  bool is_truncate = false;    // size change to `offset`; length is 0
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

// One directory operation not yet made durable by SyncDir on every directory it touched.
struct PendingDirOp {
  std::uint64_t sequence = 0;
  std::uint64_t epoch = 0;
  std::string description;  // e.g. "rename /db/tmp.chk -> /db/edb.chk"
};

class MemFs final : public Vfs {
 public:
  MemFs();
  ~MemFs() override;

  Status Open(const std::string& path, const OpenOptions& options, std::unique_ptr<File>* out) override;
  Status Delete(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Exists(const std::string& path, bool* exists) override;
  Status IsDirectory(const std::string& path, bool* is_dir) override;
  Status ListDir(const std::string& path, std::vector<std::string>* names) override;
  Status MakeDir(const std::string& path) override;
  Status RemoveDir(const std::string& path) override;
  Status SyncDir(const std::string& path) override;
  Status FileSize(const std::string& path, std::uint64_t* size) override;

  // An exact copy: same volatile state, same durable state, same pending operations
  // (with the same sequence numbers). Open handles are not copied.
  std::unique_ptr<MemFs> Clone() const;
  // What a reboot after a power failure now would find, under policy. The image has
  // no pending operations: everything in it is durable. Deterministic in the policy.
  std::unique_ptr<MemFs> CrashImage(const CrashPolicy& policy) const;

  // For crash images (nothing pending, no open handle): a hash of what the image holds
  // (every name, which are directories and which name the same file, every file's
  // bytes), and exact equality of two images. Equal images answer every Vfs operation
  // alike, so a deterministic program run on either does the same I/O and reads the
  // same bytes. ImageHash may collide; SameImage is exact (shared blocks compare by
  // pointer, the rest by content).
  std::uint64_t ImageHash() const;
  bool SameImage(const MemFs& other) const;

  // Pending operations in sequence order; the harness enumerates survivor images
  // from these (each one dropped, each one torn, ...).
  std::vector<PendingWrite> PendingWrites() const;
  std::vector<PendingDirOp> PendingDirOps() const;

  // Linux "fsyncgate": a failed fsync marks the dirty pages it covered clean without
  // writing them. The file keeps showing the new bytes, but they are forgotten as
  // pending writes, so no later Sync and no crash image will ever contain them.
  // `file` must be a handle opened on this MemFs. Returns how many writes were lost.
  std::size_t LoseUnsyncedWrites(File& file);

  // Bit rot: replaces bytes of a file in both the volatile and the durable state,
  // without a pending write (the medium changed under the filesystem). Bytes past the
  // end of the file are ignored.
  Status CorruptStored(const std::string& path, std::uint64_t offset, std::span<const std::uint8_t> bytes);

  struct State;  // defined in mem_fs.cc; shared with open handles

 private:
  explicit MemFs(std::shared_ptr<State> state);
  std::shared_ptr<State> state_;
};

}  // namespace faultfs

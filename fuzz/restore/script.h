// fuzz/restore/script.h — restore_fuzzer's input: edits to a backup set and its log
// path, and a fault plan.
//
// Bytes, read with InputReader (short inputs read as zeros):
//   u8 head: bits 0-2 the number of edits, bit 3 restore elsewhere (szDest);
//   that many edits, each {u8 file, u8 action, u32 offset, u16 length + that many bytes
//   (at most 64 are read)};
//   the rest: a fault plan (faultfs/fault_plan.h, text or JSON).
// An edit names files[file % files.size()] of EditableFiles (the set's and the log
// path's files, sorted, as they were before any edit) and acts at offset % (size + 1):
//   action % 4: 0 overwrite with the bytes, 1 XOR them in, 2 truncate, 3 delete;
//   action % 8 >= 4: the same, then re-sealed (ResealEdit): every checksum that covers
//   the changed bytes is recomputed the way the engine would have written it, so the
//   edit reaches the checks behind the checksums (a forged but well-sealed file).
// Re-sealing happens when the edit is applied, from the file's bytes at that moment,
// so a script means the same on every backup set the scenario makes (their signatures
// and timestamps differ from run to run).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "faultfs/mem_fs.h"
#include "fuzz_check.h"

namespace jetfault::fuzz {

inline constexpr std::size_t kMaxRestoreEdits = 7;
inline constexpr std::size_t kMaxRestoreEditBytes = 64;

enum class EditAction : std::uint8_t { kOverwrite = 0, kXor = 1, kTruncate = 2, kDelete = 3 };

struct RestoreEdit {
  std::uint8_t file = 0;
  std::uint8_t action = 0;
  std::uint32_t offset = 0;
  std::vector<std::uint8_t> bytes;  // at most kMaxRestoreEditBytes

  EditAction kind() const { return static_cast<EditAction>(action % 4); }
  bool resealed() const { return action % 8 >= 4; }
};

struct RestoreScript {
  std::uint8_t head = 0;
  std::vector<RestoreEdit> edits;  // head % 8 of them
  std::vector<std::uint8_t> plan;  // the rest of the input

  bool elsewhere() const { return (head & 0x08) != 0; }

  static RestoreScript Parse(Bytes input);
  // The bytes Parse reads back as this script (head's count bits from edits.size(),
  // which must be at most kMaxRestoreEdits).
  std::vector<std::uint8_t> Serialize() const;
};

// The files an edit can name: the backup set's, then the log path's, each sorted.
std::vector<std::string> EditableFiles(faultfs::Vfs& fs, const std::string& backup_dir, const std::string& log_dir);

// Applies the edits in order; returns how many changed something (an edit of a file an
// earlier edit deleted does not).
int ApplyEdits(faultfs::MemFs& fs, const std::vector<std::string>& files, const std::vector<RestoreEdit>& edits,
               const std::string& backup_dir, std::uint32_t page_size);

// Re-seals file `path` after its bytes [begin, end) changed from `before` to `after`
// (or, for a truncation, begin == end == the new size), by what the file is:
//   a log file: header checksum, record CRCs, segment checksums (fuzz/log_image.h),
//     and for a log of the backup set also its size and CRC in the set's manifest;
//   the manifest: cbManifest and its CRC;
//   a checkpoint (.chk): the checksum of each copy touched;
//   any other file of the set (a database copy): the checksum of each page touched —
//     header pair and trailer plain, data pages with their page number.
void ResealEdit(faultfs::MemFs& fs, const std::string& path, const std::vector<std::uint8_t>& before,
                std::vector<std::uint8_t>& after, std::size_t begin, std::size_t end, const std::string& backup_dir,
                std::uint32_t page_size);

}  // namespace jetfault::fuzz

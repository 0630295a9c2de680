#include "restore/script.h"

#include <algorithm>

#include "checksum_fixup.h"
#include "format/backup_manifest.h"
#include "format/checkpoint.h"
#include "format/checksum.h"
#include "jet/file_names.h"
#include "log_image.h"

namespace jetfault::fuzz {

namespace format = jet::format;

namespace {

constexpr char kManifestName[] = "jetbackup.manifest";  // backup/backup_set.h
constexpr std::size_t kManifestLengthOffset = 12;
constexpr std::size_t kManifestCrcOffset = 16;
constexpr std::size_t kManifestCrcFrom = 20;

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

void ResealManifest(std::vector<std::uint8_t>& manifest) {
  if (manifest.size() < kManifestCrcFrom) return;
  format::StoreU32(manifest.data() + kManifestLengthOffset, static_cast<std::uint32_t>(manifest.size()));
  format::StoreU32(manifest.data() + kManifestCrcOffset,
                   format::Crc32c(std::span<const std::uint8_t>(manifest).subspan(kManifestCrcFrom)));
}

// The set's manifest vouches for each of its log files by size and CRC: a re-sealed log
// gets its entry (the generation whose name it has) and the manifest re-sealed too.
void ResealManifestEntry(faultfs::MemFs& fs, const std::string& backup_dir, const std::string& log_name,
                         const std::vector<std::uint8_t>& log) {
  const std::string path = faultfs::JoinPath(backup_dir, kManifestName);
  std::vector<std::uint8_t> bytes;
  if (!faultfs::ReadWholeFile(fs, path, &bytes).ok()) return;
  format::BackupManifest manifest;
  if (format::DecodeBackupManifest(bytes, &manifest) < 0) return;
  bool changed = false;
  for (format::BackupLogEntry& entry : manifest.logs) {
    if (jet::files::ArchivedLogName(manifest.base_name, entry.generation) != log_name) continue;
    entry.size = log.size();
    entry.crc = format::Crc32c(log);
    changed = true;
  }
  if (!changed || format::EncodeBackupManifest(manifest, &bytes) < 0) return;
  FUZZ_CHECK(faultfs::WriteWholeFile(fs, path, bytes).ok());
}

// Blocks of `block` bytes touched by [begin, end), each whole in `file`.
template <class Fn>
void ForEachTouchedBlock(std::vector<std::uint8_t>& file, std::size_t block, std::size_t begin, std::size_t end,
                         Fn fn) {
  if (begin >= end) return;
  for (std::size_t index = begin / block; index <= (end - 1) / block; ++index) {
    if ((index + 1) * block > file.size()) break;
    fn(index, std::span<std::uint8_t>(file).subspan(index * block, block));
  }
}

}  // namespace

RestoreScript RestoreScript::Parse(Bytes input) {
  InputReader in(input);
  RestoreScript script;
  script.head = in.U8();
  for (int i = 0; i < script.head % 8; ++i) {
    RestoreEdit edit;
    edit.file = in.U8();
    edit.action = in.U8();
    edit.offset = in.U32();
    edit.bytes = in.Blob(kMaxRestoreEditBytes);
    script.edits.push_back(std::move(edit));
  }
  script.plan = in.Rest();
  return script;
}

std::vector<std::uint8_t> RestoreScript::Serialize() const {
  FUZZ_CHECK(edits.size() <= kMaxRestoreEdits);
  std::vector<std::uint8_t> out;
  out.push_back(static_cast<std::uint8_t>((head & ~0x07) | edits.size()));
  for (const RestoreEdit& edit : edits) {
    FUZZ_CHECK(edit.bytes.size() <= kMaxRestoreEditBytes);
    out.push_back(edit.file);
    out.push_back(edit.action);
    for (int k = 0; k < 4; ++k) out.push_back(static_cast<std::uint8_t>(edit.offset >> (8 * k)));
    out.push_back(static_cast<std::uint8_t>(edit.bytes.size()));
    out.push_back(0);
    out.insert(out.end(), edit.bytes.begin(), edit.bytes.end());
  }
  out.insert(out.end(), plan.begin(), plan.end());
  return out;
}

std::vector<std::string> EditableFiles(faultfs::Vfs& fs, const std::string& backup_dir, const std::string& log_dir) {
  std::vector<std::string> paths;
  for (const std::string& dir : {backup_dir, log_dir}) {
    std::vector<std::string> names;
    FUZZ_CHECK(fs.ListDir(dir, &names).ok());
    std::sort(names.begin(), names.end());
    for (const auto& name : names) paths.push_back(faultfs::JoinPath(dir, name));
  }
  return paths;
}

void ResealEdit(faultfs::MemFs& fs, const std::string& path, const std::vector<std::uint8_t>& before,
                std::vector<std::uint8_t>& after, std::size_t begin, std::size_t end, const std::string& backup_dir,
                std::uint32_t page_size) {
  const std::string name = faultfs::BaseName(path);
  const bool in_set = faultfs::ParentPath(path) == backup_dir;
  if (name == kManifestName) {
    ResealManifest(after);
  } else if (EndsWith(name, jet::files::kLogExtension)) {
    ResealLogEdit(before, after, begin, end);
    if (in_set) ResealManifestEntry(fs, backup_dir, name, after);
  } else if (EndsWith(name, ".chk")) {
    ForEachTouchedBlock(after, format::kCheckpointCopySize, begin, end,
                        [](std::size_t, std::span<std::uint8_t> copy) { FixXorChecksum(copy); });
  } else if (in_set) {
    // A database copy: header, shadow, pages 1..pgno_last, trailer (docs/formats/backup.md).
    const std::size_t pages = after.size() / page_size;
    ForEachTouchedBlock(after, page_size, begin, end, [pages](std::size_t index, std::span<std::uint8_t> page) {
      if (index <= 1 || index + 1 == pages) {
        FixXorChecksum(page);
      } else {
        FixNumberedChecksum(page, static_cast<std::uint32_t>(index - 1));
      }
    });
  }
}

int ApplyEdits(faultfs::MemFs& fs, const std::vector<std::string>& files, const std::vector<RestoreEdit>& edits,
               const std::string& backup_dir, std::uint32_t page_size) {
  int applied = 0;
  for (const RestoreEdit& edit : edits) {
    const std::string& path = files[edit.file % files.size()];
    std::vector<std::uint8_t> data;
    if (!faultfs::ReadWholeFile(fs, path, &data).ok()) continue;  // deleted by an earlier edit
    const std::size_t offset = edit.offset % (data.size() + 1);
    if (edit.kind() == EditAction::kDelete) {
      FUZZ_CHECK(fs.Delete(path).ok());
      ++applied;
      continue;
    }
    std::vector<std::uint8_t> before;
    if (edit.resealed()) before = data;
    std::size_t end = offset;
    if (edit.kind() == EditAction::kTruncate) {
      data.resize(offset);
    } else {
      if (offset + edit.bytes.size() > data.size()) data.resize(offset + edit.bytes.size());
      for (std::size_t k = 0; k < edit.bytes.size(); ++k) {
        data[offset + k] = edit.kind() == EditAction::kOverwrite
                               ? edit.bytes[k]
                               : static_cast<std::uint8_t>(data[offset + k] ^ edit.bytes[k]);
      }
      end = offset + edit.bytes.size();
    }
    if (edit.resealed()) ResealEdit(fs, path, before, data, offset, end, backup_dir, page_size);
    FUZZ_CHECK(faultfs::WriteWholeFile(fs, path, data).ok());
    ++applied;
  }
  return applied;
}

}  // namespace jetfault::fuzz

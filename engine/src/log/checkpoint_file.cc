// log/checkpoint_file.cc — edb.chk: two shadowed copies of format::Checkpoint.
//
// Copy 0 at offset 0, copy 1 at offset 4096. The writer finishes (and syncs) copy 0
// before touching copy 1, so a crash tears at most one of them; the reader takes the
// first copy that verifies.
#include <array>

#include <fmt/format.h>

#include "base/io_error.h"
#include "format/checkpoint.h"
#include "jetfault/assert.h"
#include "log/log.h"

namespace jet::log {

namespace {
constexpr std::size_t kCopySize = format::kCheckpointCopySize;

JET_ERR CheckpointIoError(const faultfs::Status& status, const std::string& what) {
  SetLastErrorDetail(fmt::format("{}: {}", what, status.ToString()));
  return IoError(status, FileKind::kCheckpoint);
}
}  // namespace

JET_ERR ReadCheckpoint(faultfs::Vfs& vfs, const std::string& path, Checkpoint* out) {
  std::unique_ptr<faultfs::File> file;
  faultfs::OpenOptions options{faultfs::Access::kRead, faultfs::kShareAll, faultfs::Disposition::kOpenExisting};
  if (auto s = vfs.Open(path, options, &file); !s.ok()) {
    if (s.code() == faultfs::ErrorCode::kNotFound) {
      SetLastErrorDetail(fmt::format("{}: checkpoint file not found", path));
      return JET_errCheckpointFileNotFound;
    }
    return CheckpointIoError(s, "open " + path);
  }
  std::array<std::uint8_t, 2 * kCopySize> bytes{};
  std::size_t got = 0;
  if (auto s = file->Read(0, bytes, &got); !s.ok()) return CheckpointIoError(s, "read " + path);
  JF_ASSERT_LE(got, bytes.size());
  const std::span<const std::uint8_t> valid(bytes.data(), got);
  JET_ERR first = JET_errCheckpointCorrupt;
  for (std::size_t copy = 0; copy < 2; ++copy) {
    if (valid.size() < (copy + 1) * kCopySize) break;
    JET_ERR err = format::DecodeCheckpoint(valid.subspan(copy * kCopySize, kCopySize), out);
    if (err >= 0) return JET_errSuccess;
    if (copy == 0) first = err;
  }
  // Both copies bad. A checksummed copy of the wrong type says what the file really is.
  SetLastErrorDetail(fmt::format("{}: both checkpoint copies are invalid", path));
  return first == JET_errFileInvalidType ? JET_errFileInvalidType : JET_errCheckpointCorrupt;
}

JET_ERR WriteCheckpoint(faultfs::Vfs& vfs, const std::string& path, const Checkpoint& checkpoint) {
  std::array<std::uint8_t, kCopySize> copy{};
  if (JET_ERR err = format::EncodeCheckpoint(checkpoint, copy); err < 0) return err;
  // What is written is what the reader accepts: the encoder and the decoder agree.
  Checkpoint written;
  JF_ASSERT(format::DecodeCheckpoint(copy, &written) >= 0);
  JF_ASSERT_EQ(written.checkpoint, checkpoint.checkpoint);
  bool existed = false;
  if (auto s = vfs.Exists(path, &existed); !s.ok()) return CheckpointIoError(s, "stat " + path);
  std::unique_ptr<faultfs::File> file;
  faultfs::OpenOptions options{faultfs::Access::kReadWrite, faultfs::kShareRead, faultfs::Disposition::kOpenAlways};
  if (auto s = vfs.Open(path, options, &file); !s.ok()) return CheckpointIoError(s, "open " + path);
  for (std::size_t i = 0; i < 2; ++i) {
    if (auto s = file->Write(i * kCopySize, copy); !s.ok()) return CheckpointIoError(s, "write " + path);
    if (auto s = file->Sync(); !s.ok()) return CheckpointIoError(s, "sync " + path);
  }
  if (!existed) {
    if (auto s = vfs.SyncDir(faultfs::ParentPath(path)); !s.ok())
      return CheckpointIoError(s, "sync directory of " + path);
  }
  return JET_errSuccess;
}

}  // namespace jet::log

#include "backup/backup_set.h"

#include <algorithm>
#include <memory>
#include <new>
#include <vector>

#include <fmt/format.h>

#include "base/io_error.h"
#include "faultfs/alloc_fault.h"
#include "format/checksum.h"
#include "jetfault/assert.h"
#include "log/log.h"

namespace jet::backup {

namespace {

// Bytes per read when a log is copied or CRC-checked. 64 KiB reads run at the page
// cache's speed already, and a buffer this size comes from an allocator's reusable
// small-object pools (glibc's and ASan's both start mapping fresh pages, and unmapping
// them on free, above 128 KiB), so a restore that checks many logs does not fault in a
// new buffer for each.
constexpr std::size_t kCopyChunk = 64 * 1024;

JET_ERR Fail(const faultfs::Status& status, FileKind kind, const std::string& what) {
  SetLastErrorDetail(fmt::format("{}: {}", what, status.ToString()));
  return IoError(status, kind);
}

// Left uninitialised: its users only look at the bytes a read filled, and zeroing a
// whole copy chunk to CRC a set log a fraction of its size cost more than the read.
JET_ERR AllocateBuffer(std::unique_ptr<std::uint8_t[]>* buffer, std::size_t size) {
  if (faultfs::AllocationAllowed("backup-copy-buffer")) buffer->reset(new (std::nothrow) std::uint8_t[size]);
  if (*buffer == nullptr) {
    SetLastErrorDetail(fmt::format("no memory for a {}-byte copy buffer", size));
    return JET_errOutOfMemory;
  }
  return JET_errSuccess;
}

}  // namespace

bool IsSafeSetFileName(const std::string& name) {
  if (name.empty() || name.size() > 255 || name == "." || name == "..") return false;
  if (name == kManifestName || name == kManifestTempName) return false;
  return std::none_of(name.begin(), name.end(), [](char c) { return c == '/' || c == '\\' || c == '\0'; });
}

bool IsSafeAbsolutePath(const std::string& path) {
  if (path.size() < 2 || path.front() != '/' || path.back() == '/') return false;
  if (path.find('\0') != std::string::npos || path.find('\\') != std::string::npos) return false;
  std::size_t begin = 1;
  while (begin <= path.size()) {
    const std::size_t end = std::min(path.find('/', begin), path.size());
    const std::string component = path.substr(begin, end - begin);
    if (component.empty() || component == "." || component == ".." || component.size() > 255) return false;
    begin = end + 1;
  }
  return true;
}

bool IsLogFileName(const std::string& base, const std::string& name) {
  std::int32_t generation = 0;
  return name == log::CurrentLogName(base) || log::ParseArchivedLogName(base, name, &generation);
}

std::string UniqueSetFileName(const std::string& base, const std::string& path, std::set<std::string>* taken) {
  const std::string name = faultfs::BaseName(path);
  auto usable = [&](const std::string& candidate) {
    return IsSafeSetFileName(candidate) && !IsLogFileName(base, candidate) && taken->count(candidate) == 0;
  };
  std::string chosen = name;
  if (!usable(chosen)) {
    const std::size_t dot = name.rfind('.');
    const bool has_ext = dot != std::string::npos && dot != 0;
    const std::string stem = has_ext ? name.substr(0, dot) : name;
    const std::string ext = has_ext ? name.substr(dot) : std::string();
    chosen.clear();
    // taken->size() + 1 candidates: at least one of them is free.
    for (std::size_t n = 1; n <= taken->size() + 1 && chosen.empty(); ++n) {
      std::string candidate = fmt::format("{}-{}{}", stem, n, ext);
      if (usable(candidate)) chosen = std::move(candidate);
    }
    if (chosen.empty()) return chosen;  // e.g. a name too long to extend
  }
  // A set file name is safe to create and never a log's name (usable() checked both).
  JF_ASSERT(IsSafeSetFileName(chosen));
  JF_ASSERT(!IsLogFileName(base, chosen));
  taken->insert(chosen);
  return chosen;
}

faultfs::OpenOptions NoFollowRead(std::uint8_t share) {
  faultfs::OpenOptions options{faultfs::Access::kRead, share, faultfs::Disposition::kOpenExisting};
  options.follow_links = false;
  return options;
}

JET_ERR RefuseSymlink(faultfs::Vfs& vfs, const std::string& path, FileKind kind, const std::string& role) {
  bool is_link = false;
  const faultfs::Status s = vfs.IsSymlink(path, &is_link);
  if (s.code() == faultfs::ErrorCode::kNotFound) return JET_errSuccess;
  if (!s.ok()) return Fail(s, kind, "lstat " + path);
  if (!is_link) return JET_errSuccess;
  SetLastErrorDetail(fmt::format("{} {} is a symbolic link: restore does not follow links", role, path));
  return JET_errInvalidPath;
}

JET_ERR ReadManifest(faultfs::Vfs& vfs, const std::string& dir, format::BackupManifest* out) {
  const std::string path = faultfs::JoinPath(dir, kManifestName);
  if (JET_ERR err = RefuseSymlink(vfs, path, FileKind::kBackupSet, "the backup manifest"); err < 0) return err;
  std::uint64_t size = 0;
  if (auto s = vfs.FileSize(path, &size); !s.ok()) {
    if (s.code() == faultfs::ErrorCode::kNotFound) {
      SetLastErrorDetail(fmt::format("{}: no backup manifest: not a complete backup set", dir));
      return JET_errFileNotFound;
    }
    return Fail(s, FileKind::kBackupSet, "size of " + path);
  }
  if (size > format::kBackupManifestMaxSize) {
    SetLastErrorDetail(fmt::format("{}: manifest of {} bytes is too large", path, size));
    return JET_errReadVerifyFailure;
  }
  std::unique_ptr<std::uint8_t[]> storage;
  if (JET_ERR err = AllocateBuffer(&storage, static_cast<std::size_t>(size)); err < 0) return err;
  const std::span<std::uint8_t> bytes(storage.get(), static_cast<std::size_t>(size));
  std::unique_ptr<faultfs::File> file;
  if (auto s = vfs.Open(path, NoFollowRead(faultfs::kShareRead), &file); !s.ok()) {
    return Fail(s, FileKind::kBackupSet, "open " + path);
  }
  std::size_t got = 0;
  if (auto s = file->Read(0, bytes, &got); !s.ok()) return Fail(s, FileKind::kBackupSet, "read " + path);
  if (JET_ERR err = format::DecodeBackupManifest(bytes.first(got), out); err < 0) {
    SetLastErrorDetail(fmt::format("{}: damaged backup manifest", path));
    return err;
  }
  return JET_errSuccess;
}

JET_ERR WriteManifest(faultfs::Vfs& vfs, const std::string& dir, const format::BackupManifest& manifest) {
  std::vector<std::uint8_t> bytes;
  if (JET_ERR err = format::EncodeBackupManifest(manifest, &bytes); err < 0) {
    SetLastErrorDetail(fmt::format("{}: the manifest does not fit its format (too many or too long names)", dir));
    return err;
  }
  // What ReadManifest will read back: the encoder produces what the decoder accepts.
  format::BackupManifest written;
  JF_ASSERT(format::DecodeBackupManifest(bytes, &written) >= 0);
  JF_ASSERT_EQ(written.logs.size(), manifest.logs.size());
  // Every file the manifest names must be durable in the directory before the manifest
  // that names it: otherwise a power failure can keep the new manifest and lose a file
  // (a log copy an incremental backup just created), and the set no longer restores.
  if (auto s = vfs.SyncDir(dir); !s.ok()) return Fail(s, FileKind::kBackupSet, "sync " + dir);
  const std::string tmp = faultfs::JoinPath(dir, kManifestTempName);
  if (auto s = faultfs::WriteWholeFile(vfs, tmp, bytes); !s.ok()) return Fail(s, FileKind::kBackupSet, "write " + tmp);
  const std::string path = faultfs::JoinPath(dir, kManifestName);
  if (auto s = vfs.Rename(tmp, path); !s.ok()) return Fail(s, FileKind::kBackupSet, "rename " + tmp);
  if (auto s = vfs.SyncDir(dir); !s.ok()) return Fail(s, FileKind::kBackupSet, "sync " + dir);
  return JET_errSuccess;
}

JET_ERR FileCrc(faultfs::Vfs& vfs, const std::string& path, FileKind kind, std::uint64_t* size, std::uint32_t* crc) {
  std::unique_ptr<faultfs::File> in;
  if (auto s = vfs.Open(path, NoFollowRead(faultfs::kShareRead | faultfs::kShareWrite), &in); !s.ok()) {
    return Fail(s, kind, "open " + path);
  }
  return CopyOpenFileWithCrc(*in, path, kind, vfs, std::string(), kind, size, crc);
}

JET_ERR CopyOpenFileWithCrc(faultfs::File& in, const std::string& from, FileKind from_kind, faultfs::Vfs& vfs,
                            const std::string& to, FileKind to_kind, std::uint64_t* size, std::uint32_t* crc) {
  std::unique_ptr<faultfs::File> out;
  if (!to.empty()) {
    if (auto s = vfs.Open(to, {faultfs::Access::kReadWrite, faultfs::kShareNone, faultfs::Disposition::kCreateAlways},
                          &out);
        !s.ok()) {
      return Fail(s, to_kind, "create " + to);
    }
  }
  std::unique_ptr<std::uint8_t[]> storage;
  if (JET_ERR err = AllocateBuffer(&storage, kCopyChunk); err < 0) return err;
  const std::span<std::uint8_t> buffer(storage.get(), kCopyChunk);
  std::uint64_t offset = 0;
  std::uint32_t running = 0;
  for (;;) {
    std::size_t got = 0;
    if (auto s = in.Read(offset, buffer, &got); !s.ok()) return Fail(s, from_kind, "read " + from);
    if (got == 0) break;
    JF_ASSERT_LE(got, buffer.size());  // a read returns at most what it was asked for
    const std::span<const std::uint8_t> chunk = buffer.first(got);
    running = format::Crc32cContinue(running, chunk);  // the whole file's CRC-32C, whatever kCopyChunk is
    if (out != nullptr) {
      if (auto s = out->Write(offset, chunk); !s.ok()) return Fail(s, to_kind, "write " + to);
    }
    offset += got;
    if (got < buffer.size()) break;
  }
  if (out != nullptr) {
    if (auto s = out->Sync(); !s.ok()) return Fail(s, to_kind, "sync " + to);
  }
  *size = offset;
  *crc = running;
  return JET_errSuccess;
}

void Progress::Advance(std::uint64_t done, std::uint64_t total) {
  if (total == 0) return;
  const auto percent = static_cast<unsigned long>(std::min<std::uint64_t>(100, done * 100 / total));
  if (percent > reported_ && percent < 100) Send(JET_sntProgress, percent);
}

void Progress::Send(JET_SNT snt, unsigned long done) {
  reported_ = std::max(reported_, done);
  if (pfn_ == nullptr) return;
  JET_SNPROG prog{sizeof(JET_SNPROG), done, 100};
  (void)pfn_(JET_sesidNil, snp_, snt, &prog);
}

}  // namespace jet::backup

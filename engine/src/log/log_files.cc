#include "log/log_files.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

#include "base/io_error.h"
#include "format/checksum.h"
#include "jetfault/assert.h"

namespace jet::log {

namespace {

JET_ERR LogIoError(const faultfs::Status& status, const std::string& what) {
  SetLastErrorDetail(fmt::format("{}: {}", what, status.ToString()));
  return IoError(status, FileKind::kLog);
}

}  // namespace

JET_ERR ReadLogFileHeader(faultfs::Vfs& vfs, const std::string& path, format::LogFileHeader* header, bool* blank) {
  if (blank != nullptr) *blank = false;
  std::unique_ptr<faultfs::File> file;
  faultfs::OpenOptions options{faultfs::Access::kRead, faultfs::kShareAll, faultfs::Disposition::kOpenExisting};
  if (auto s = vfs.Open(path, options, &file); !s.ok()) return LogIoError(s, "open " + path);
  std::array<std::uint8_t, format::kLogHeaderSize> bytes{};
  std::size_t got = 0;
  if (auto s = file->Read(0, bytes, &got); !s.ok()) return LogIoError(s, "read header of " + path);
  if (got < bytes.size() || format::IsAllZero(bytes)) {
    if (blank != nullptr) *blank = true;
    SetLastErrorDetail(fmt::format("{}: blank or short log file header", path));
    return JET_errLogFileCorrupt;
  }
  if (JET_ERR err = format::DecodeLogFileHeader(bytes, header); err < 0) {
    SetLastErrorDetail(fmt::format("{}: invalid log file header", path));
    return err;
  }
  std::uint64_t size = 0;
  if (auto s = file->Size(&size); !s.ok()) return LogIoError(s, "size of " + path);
  if (size != std::uint64_t{header->csec_file} * format::kLogSectorSize) {
    SetLastErrorDetail(fmt::format("{}: size {} but header says {} sectors", path, size, header->csec_file));
    return JET_errLogFileSizeMismatch;
  }
  return JET_errSuccess;
}

GenerationInfo MakeGenerationInfo(const format::LogFileHeader& header, const std::string& path) {
  GenerationInfo info;
  info.generation = header.generation;
  info.path = path;
  info.sign_log = header.sign_log;
  info.tm_create = header.tm_create;
  info.tm_prev_gen = header.tm_prev_gen;
  info.prev_generation_end = header.prev_generation_end;
  info.page_size = header.page_size;
  info.circular = (header.flags & format::kLogFlagCircularCurrent) != 0;
  info.attach = header.attach;
  info.csec_file = header.csec_file;
  return info;
}

JET_ERR InstallGeneration(faultfs::Vfs& vfs, const std::string& dir, const std::string& base,
                          const format::LogFileHeader& header) {
  // The writer's own header: a real generation, with a header, a data segment and a
  // shadow slot (LogConfig validation).
  JF_ASSERT_GT(header.generation, 0);
  JF_ASSERT_GE(header.csec_file, 3);
  std::array<std::uint8_t, format::kLogHeaderSize> bytes{};
  if (JET_ERR err = format::EncodeLogFileHeader(header, bytes); err < 0) return err;

  const std::string tmp_path = faultfs::JoinPath(dir, TempLogName(base));
  {
    std::unique_ptr<faultfs::File> tmp;
    faultfs::OpenOptions options{faultfs::Access::kReadWrite, faultfs::kShareRead | faultfs::kShareDelete,
                                 faultfs::Disposition::kCreateAlways};
    if (auto s = vfs.Open(tmp_path, options, &tmp); !s.ok()) return LogIoError(s, "create " + tmp_path);
    // Preallocated to full size: later flushes never change the file's size, so a
    // sync of the data alone makes them durable.
    if (auto s = tmp->Truncate(std::uint64_t{header.csec_file} * format::kLogSectorSize); !s.ok()) {
      return LogIoError(s, "preallocate " + tmp_path);
    }
    if (auto s = tmp->Write(0, bytes); !s.ok()) return LogIoError(s, "write header of " + tmp_path);
    if (auto s = tmp->Sync(); !s.ok()) return LogIoError(s, "sync " + tmp_path);
  }
  // edbtmp.log's name must be durable before edb.log is archived: recovery reads "edb.log
  // absent and edbtmp.log absent" as the loss of the newest generation, so no crash may
  // leave that state behind.
  if (auto s = vfs.SyncDir(dir); !s.ok()) return LogIoError(s, "sync directory " + dir);

  const std::string current_path = faultfs::JoinPath(dir, CurrentLogName(base));
  bool exists = false;
  if (auto s = vfs.Exists(current_path, &exists); !s.ok()) return LogIoError(s, "stat " + current_path);
  if (exists) {
    format::LogFileHeader current;
    bool blank = false;
    JET_ERR err = ReadLogFileHeader(vfs, current_path, &current, &blank);
    if (err >= 0) {
      if (current.generation >= header.generation) {
        SetLastErrorDetail(fmt::format("{} already holds generation {} (creating {})", current_path, current.generation,
                                       header.generation));
        return JET_errInvalidLogSequence;
      }
      JF_ASSERT_LT(current.generation, header.generation);  // generations only grow
      const std::string archived = faultfs::JoinPath(dir, ArchivedLogName(base, current.generation));
      if (auto s = vfs.Rename(current_path, archived); !s.ok()) return LogIoError(s, "archive " + current_path);
      // The archive rename must be durable before edb.log is replaced: directory
      // operations may otherwise reach storage in any order, and the replacing rename
      // alone would destroy the old generation.
      if (auto s = vfs.SyncDir(dir); !s.ok()) return LogIoError(s, "sync directory " + dir);
    } else if (!blank) {
      return err;  // a damaged current log is evidence; never replace it
    }
  }
  if (auto s = vfs.Rename(tmp_path, current_path); !s.ok()) return LogIoError(s, "install " + current_path);
  if (auto s = vfs.SyncDir(dir); !s.ok()) return LogIoError(s, "sync directory " + dir);
  return JET_errSuccess;
}

}  // namespace jet::log

// log_test_util.h — helpers shared by the log, checkpoint, backup and restore tests.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "faultfs/mem_fs.h"
#include "faultfs/vfs.h"
#include "log/log.h"

namespace jet::testing {

// Forwards to an inner Vfs and "crashes" after `budget` mutating operations (open for
// write, write, append, truncate, sync, rename, delete, mkdir, syncdir): that
// operation and every later one fail with kCrashed, so the inner MemFs holds the
// state at the crash (take inner.CrashImage() for what a reboot finds).
class CrashAfterVfs final : public faultfs::Vfs {
 public:
  CrashAfterVfs(faultfs::Vfs& inner, std::uint64_t budget) : inner_(inner), budget_(budget) {}

  bool crashed() const { return crashed_; }
  // Allows `more` further mutations from now on.
  void SetBudgetFromNow(std::uint64_t more) { budget_ = mutations_ + more; }
  std::uint64_t mutations() const { return mutations_; }

  faultfs::Status Open(const std::string& path, const faultfs::OpenOptions& options,
                       std::unique_ptr<faultfs::File>* out) override;
  faultfs::Status Delete(const std::string& path) override;
  faultfs::Status Rename(const std::string& from, const std::string& to) override;
  faultfs::Status Exists(const std::string& path, bool* exists) override;
  faultfs::Status IsDirectory(const std::string& path, bool* is_dir) override;
  faultfs::Status ListDir(const std::string& path, std::vector<std::string>* names) override;
  faultfs::Status MakeDir(const std::string& path) override;
  faultfs::Status RemoveDir(const std::string& path) override;
  faultfs::Status SyncDir(const std::string& path) override;
  faultfs::Status FileSize(const std::string& path, std::uint64_t* size) override;

  // Charges one mutation; false (and crashed() from then on) when over budget.
  bool Mutate();
  faultfs::Status Crashed() const;

 private:
  faultfs::Vfs& inner_;
  std::uint64_t budget_;
  std::uint64_t mutations_ = 0;
  bool crashed_ = false;
};

inline log::LogConfig SmallLogConfig(faultfs::Vfs* vfs, std::uint32_t sectors = 8) {
  log::LogConfig config;
  config.vfs = vfs;
  config.log_dir = "/logs";
  config.log_file_bytes = sectors * 4096;
  config.page_size = 8192;
  return config;
}

inline format::Signature TestSignature(std::uint32_t random) {
  format::LogTime time;
  time.bytes = {1, 2, 3, 4, 5, 126, 1, 0};
  return format::MakeSignature(random, time);
}

// Every record of dir's generations from the first generation's start.
struct ReadResult {
  JET_ERR err = JET_errSuccess;
  std::vector<log::LogRecord> records;
  log::Lgpos valid_end;
};
ReadResult ReadAllRecords(faultfs::Vfs& vfs, const std::string& dir, const std::string& base = "edb");

// A payload whose bytes identify it: n bytes derived from id.
std::vector<std::uint8_t> TestPayload(std::uint32_t id, std::size_t n);

}  // namespace jet::testing

#include "log_test_util.h"

namespace jet::testing {

namespace {

class CrashAfterFile final : public faultfs::File {
 public:
  CrashAfterFile(CrashAfterVfs& vfs, std::unique_ptr<faultfs::File> inner) : vfs_(vfs), inner_(std::move(inner)) {}
  faultfs::Status Read(std::uint64_t offset, std::span<std::uint8_t> dst, std::size_t* bytes_read) override {
    if (vfs_.crashed()) return vfs_.Crashed();
    return inner_->Read(offset, dst, bytes_read);
  }
  faultfs::Status Write(std::uint64_t offset, std::span<const std::uint8_t> data) override {
    return vfs_.Mutate() ? inner_->Write(offset, data) : vfs_.Crashed();
  }
  faultfs::Status Append(std::span<const std::uint8_t> data) override {
    return vfs_.Mutate() ? inner_->Append(data) : vfs_.Crashed();
  }
  faultfs::Status Flush() override { return vfs_.crashed() ? vfs_.Crashed() : inner_->Flush(); }
  faultfs::Status Sync() override { return vfs_.Mutate() ? inner_->Sync() : vfs_.Crashed(); }
  faultfs::Status Size(std::uint64_t* size) override { return vfs_.crashed() ? vfs_.Crashed() : inner_->Size(size); }
  faultfs::Status Truncate(std::uint64_t size) override {
    return vfs_.Mutate() ? inner_->Truncate(size) : vfs_.Crashed();
  }
  const std::string& path() const override { return inner_->path(); }

 private:
  CrashAfterVfs& vfs_;
  std::unique_ptr<faultfs::File> inner_;
};

}  // namespace

bool CrashAfterVfs::Mutate() {
  if (crashed_) return false;
  if (mutations_ >= budget_) {
    crashed_ = true;
    return false;
  }
  ++mutations_;
  return true;
}

faultfs::Status CrashAfterVfs::Crashed() const {
  return faultfs::Status::Error(faultfs::ErrorCode::kCrashed, "simulated crash");
}

faultfs::Status CrashAfterVfs::Open(const std::string& path, const faultfs::OpenOptions& options,
                                    std::unique_ptr<faultfs::File>* out) {
  const bool mutating = options.access != faultfs::Access::kRead ||
                        options.disposition != faultfs::Disposition::kOpenExisting;
  if (mutating ? !Mutate() : crashed_) return Crashed();
  std::unique_ptr<faultfs::File> inner;
  if (auto s = inner_.Open(path, options, &inner); !s.ok()) return s;
  *out = std::make_unique<CrashAfterFile>(*this, std::move(inner));
  return faultfs::Status::Ok();
}
faultfs::Status CrashAfterVfs::Delete(const std::string& path) { return Mutate() ? inner_.Delete(path) : Crashed(); }
faultfs::Status CrashAfterVfs::Rename(const std::string& from, const std::string& to) {
  return Mutate() ? inner_.Rename(from, to) : Crashed();
}
faultfs::Status CrashAfterVfs::Exists(const std::string& path, bool* exists) {
  return crashed_ ? Crashed() : inner_.Exists(path, exists);
}
faultfs::Status CrashAfterVfs::IsDirectory(const std::string& path, bool* is_dir) {
  return crashed_ ? Crashed() : inner_.IsDirectory(path, is_dir);
}
faultfs::Status CrashAfterVfs::ListDir(const std::string& path, std::vector<std::string>* names) {
  return crashed_ ? Crashed() : inner_.ListDir(path, names);
}
faultfs::Status CrashAfterVfs::MakeDir(const std::string& path) { return Mutate() ? inner_.MakeDir(path) : Crashed(); }
faultfs::Status CrashAfterVfs::RemoveDir(const std::string& path) {
  return Mutate() ? inner_.RemoveDir(path) : Crashed();
}
faultfs::Status CrashAfterVfs::SyncDir(const std::string& path) { return Mutate() ? inner_.SyncDir(path) : Crashed(); }
faultfs::Status CrashAfterVfs::FileSize(const std::string& path, std::uint64_t* size) {
  return crashed_ ? Crashed() : inner_.FileSize(path, size);
}

ReadResult ReadAllRecords(faultfs::Vfs& vfs, const std::string& dir, const std::string& base) {
  ReadResult result;
  std::vector<log::GenerationInfo> generations;
  result.err = log::ListGenerations(vfs, dir, base, &generations);
  if (result.err < 0 || generations.empty()) return result;
  const log::Lgpos start{40, 1, generations.front().generation};
  std::unique_ptr<log::LogReader> reader;
  result.err = log::LogReader::Open(vfs, std::move(generations), start, &reader);
  if (result.err < 0) return result;
  for (;;) {
    log::LogRecord record;
    bool end = false;
    result.err = reader->Next(&record, &end);
    if (result.err < 0 || end) break;
    result.records.push_back(std::move(record));
  }
  result.valid_end = reader->valid_end();
  return result;
}

std::vector<std::uint8_t> TestPayload(std::uint32_t id, std::size_t n) {
  std::vector<std::uint8_t> bytes(n);
  std::uint32_t x = id * 2654435761u + 1;
  for (auto& b : bytes) {
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    b = static_cast<std::uint8_t>(x);
  }
  return bytes;
}

}  // namespace jet::testing

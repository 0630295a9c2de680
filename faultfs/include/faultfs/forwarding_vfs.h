// faultfs/forwarding_vfs.h — a Vfs (and File) that passes every call to another one.
// A base for wrappers that watch or change a few calls and forward the rest: the
// engine's backup/page_writes.h (which pages of a database a restore's recovery
// wrote), the harness's RootedFs files (which report the engine's path).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "faultfs/status.h"
#include "faultfs/vfs.h"

namespace faultfs {

class ForwardingFile : public faultfs::File {
 public:
  explicit ForwardingFile(std::unique_ptr<faultfs::File> base) : base_(std::move(base)) {}

  faultfs::Status Read(std::uint64_t offset, std::span<std::uint8_t> dst, std::size_t* bytes_read) override {
    return base_->Read(offset, dst, bytes_read);
  }
  faultfs::Status Write(std::uint64_t offset, std::span<const std::uint8_t> data) override {
    return base_->Write(offset, data);
  }
  faultfs::Status Append(std::span<const std::uint8_t> data) override { return base_->Append(data); }
  faultfs::Status Flush() override { return base_->Flush(); }
  faultfs::Status Sync() override { return base_->Sync(); }
  faultfs::Status Size(std::uint64_t* size) override { return base_->Size(size); }
  faultfs::Status Truncate(std::uint64_t size) override { return base_->Truncate(size); }
  const std::string& path() const override { return base_->path(); }

 protected:
  faultfs::File& base() { return *base_; }

 private:
  std::unique_ptr<faultfs::File> base_;
};

class ForwardingVfs : public faultfs::Vfs {
 public:
  explicit ForwardingVfs(faultfs::Vfs& base) : base_(base) {}

  faultfs::Status Open(const std::string& path, const faultfs::OpenOptions& options,
                       std::unique_ptr<faultfs::File>* out) override {
    return base_.Open(path, options, out);
  }
  faultfs::Status Delete(const std::string& path) override { return base_.Delete(path); }
  faultfs::Status Rename(const std::string& from, const std::string& to) override { return base_.Rename(from, to); }
  faultfs::Status Exists(const std::string& path, bool* exists) override { return base_.Exists(path, exists); }
  faultfs::Status IsDirectory(const std::string& path, bool* is_dir) override {
    return base_.IsDirectory(path, is_dir);
  }
  faultfs::Status IsSymlink(const std::string& path, bool* is_link) override { return base_.IsSymlink(path, is_link); }
  faultfs::Status ListDir(const std::string& path, std::vector<std::string>* names) override {
    return base_.ListDir(path, names);
  }
  faultfs::Status MakeDir(const std::string& path) override { return base_.MakeDir(path); }
  faultfs::Status RemoveDir(const std::string& path) override { return base_.RemoveDir(path); }
  faultfs::Status SyncDir(const std::string& path) override { return base_.SyncDir(path); }
  faultfs::Status FileSize(const std::string& path, std::uint64_t* size) override { return base_.FileSize(path, size); }

 protected:
  faultfs::Vfs& base() { return base_; }

 private:
  faultfs::Vfs& base_;
};

}  // namespace faultfs

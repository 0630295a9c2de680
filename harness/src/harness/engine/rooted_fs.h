// harness/engine/rooted_fs.h — a directory of real files seen as the root of a Vfs.
//
// The process scenarios run the engine on real files (PosixFs) with the very Layout
// the simulated scenarios use (/inst/..., /backup): RootedFs maps every absolute path
// "/x" to "<root>/x" on its base. The engine then does the same I/O, with the same
// paths, on real files as on a MemFs, so a FaultFs over it has the same trace hash as
// the simulation of the same workload: that is how a kill -9 run is compared with the
// simulation (scenario_process.cc). File::path() reports the path as the engine gave it.
#pragma once

#include <memory>
#include <string>

#include "faultfs/status.h"
#include "faultfs/vfs.h"

namespace jetharness {

class RootedFs final : public faultfs::Vfs {
 public:
  // `base` must outlive this; `root` is a directory of base ("/tmp/x", no trailing '/').
  RootedFs(faultfs::Vfs* base, std::string root) : base_(base), root_(std::move(root)) {}

  faultfs::Status Open(const std::string& path, const faultfs::OpenOptions& options,
                       std::unique_ptr<faultfs::File>* out) override;
  faultfs::Status Delete(const std::string& path) override { return base_->Delete(Real(path)); }
  faultfs::Status Rename(const std::string& from, const std::string& to) override {
    return base_->Rename(Real(from), Real(to));
  }
  faultfs::Status Exists(const std::string& path, bool* exists) override { return base_->Exists(Real(path), exists); }
  faultfs::Status IsDirectory(const std::string& path, bool* is_dir) override {
    return base_->IsDirectory(Real(path), is_dir);
  }
  faultfs::Status IsSymlink(const std::string& path, bool* is_link) override {
    return base_->IsSymlink(Real(path), is_link);
  }
  faultfs::Status ListDir(const std::string& path, std::vector<std::string>* names) override {
    return base_->ListDir(Real(path), names);
  }
  faultfs::Status MakeDir(const std::string& path) override { return base_->MakeDir(Real(path)); }
  faultfs::Status RemoveDir(const std::string& path) override { return base_->RemoveDir(Real(path)); }
  faultfs::Status SyncDir(const std::string& path) override { return base_->SyncDir(Real(path)); }
  faultfs::Status FileSize(const std::string& path, std::uint64_t* size) override {
    return base_->FileSize(Real(path), size);
  }

  // The base's path of `path` ("/" is the root itself; relative paths are under it too).
  std::string Real(const std::string& path) const;

 private:
  faultfs::Vfs* base_;
  std::string root_;
};

// Copies every file and directory below `dir` of `from` to the same paths of `to`
// (files written whole and synced, directories created as needed). The bridge between
// MemFs images and real files: a baseline built in memory is written out for a child
// process, and the files a killed process left are read back into an image.
faultfs::Status CopyTree(faultfs::Vfs& from, faultfs::Vfs& to, const std::string& dir = "/");

}  // namespace jetharness

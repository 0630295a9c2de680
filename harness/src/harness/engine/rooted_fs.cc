#include "harness/engine/rooted_fs.h"

#include <span>
#include <vector>

#include "faultfs/forwarding_vfs.h"

namespace jetharness {

namespace {

// Forwards to the base's file; path() is the engine's path, not the real one.
class RootedFile final : public faultfs::ForwardingFile {
 public:
  RootedFile(std::unique_ptr<faultfs::File> base, std::string path)
      : ForwardingFile(std::move(base)), path_(std::move(path)) {}
  const std::string& path() const override { return path_; }

 private:
  std::string path_;
};

}  // namespace

std::string RootedFs::Real(const std::string& path) const {
  if (path.empty()) return path;  // the base rejects it with its own code
  if (path == "/") return root_;
  return path.front() == '/' ? root_ + path : root_ + "/" + path;
}

faultfs::Status RootedFs::Open(const std::string& path, const faultfs::OpenOptions& options,
                               std::unique_ptr<faultfs::File>* out) {
  std::unique_ptr<faultfs::File> file;
  faultfs::Status s = base_->Open(Real(path), options, &file);
  if (s.ok()) *out = std::make_unique<RootedFile>(std::move(file), path);
  return s;
}

faultfs::Status CopyTree(faultfs::Vfs& from, faultfs::Vfs& to, const std::string& dir) {
  std::vector<std::string> names;
  if (faultfs::Status s = from.ListDir(dir, &names); !s.ok()) return s;
  if (faultfs::Status s = faultfs::MakeDirs(to, dir); !s.ok()) return s;
  for (const std::string& name : names) {
    const std::string path = faultfs::JoinPath(dir, name);
    bool is_dir = false;
    if (faultfs::Status s = from.IsDirectory(path, &is_dir); !s.ok()) return s;
    if (is_dir) {
      if (faultfs::Status s = CopyTree(from, to, path); !s.ok()) return s;
      continue;
    }
    std::vector<std::uint8_t> bytes;
    if (faultfs::Status s = faultfs::ReadWholeFile(from, path, &bytes); !s.ok()) return s;
    if (faultfs::Status s = faultfs::WriteWholeFile(to, path, bytes); !s.ok()) return s;
  }
  return to.SyncDir(dir);
}

}  // namespace jetharness

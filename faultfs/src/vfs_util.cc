// Helpers written once over the Vfs interface, so no backend re-implements them.
#include <algorithm>

#include "faultfs/vfs.h"

namespace faultfs {

Status Vfs::IsSymlink(const std::string& path, bool* is_link) {
  bool exists = false;
  Status s = Exists(path, &exists);
  if (!s.ok()) return s;
  if (!exists) return Status::Error(ErrorCode::kNotFound, path + ": no such file or directory");
  *is_link = false;
  return Status::Ok();
}

Status ReadWholeFile(Vfs& vfs, const std::string& path, std::vector<std::uint8_t>* out) {
  std::unique_ptr<File> file;
  OpenOptions options;
  options.access = Access::kRead;
  options.share = kShareRead | kShareWrite | kShareDelete;
  Status s = vfs.Open(path, options, &file);
  if (!s.ok()) return s;
  std::uint64_t size = 0;
  s = file->Size(&size);
  if (!s.ok()) return s;
  out->assign(static_cast<std::size_t>(size), 0);
  std::size_t got = 0;
  s = file->Read(0, std::span<std::uint8_t>(*out), &got);
  if (!s.ok()) return s;
  out->resize(got);
  return Status::Ok();
}

Status WriteWholeFile(Vfs& vfs, const std::string& path, std::span<const std::uint8_t> data) {
  std::unique_ptr<File> file;
  OpenOptions options;
  options.access = Access::kReadWrite;
  options.share = kShareNone;
  options.disposition = Disposition::kCreateAlways;
  Status s = vfs.Open(path, options, &file);
  if (!s.ok()) return s;
  s = file->Write(0, data);
  if (!s.ok()) return s;
  return file->Sync();
}

Status MakeDirs(Vfs& vfs, const std::string& path) {
  if (path.empty()) return Status::Error(ErrorCode::kInvalidPath, "empty path");
  bool exists = false;
  Status s = vfs.Exists(path, &exists);
  if (!s.ok()) return s;
  if (exists) {
    bool is_dir = false;
    s = vfs.IsDirectory(path, &is_dir);
    if (!s.ok()) return s;
    return is_dir ? Status::Ok() : Status::Error(ErrorCode::kAlreadyExists, path + " exists and is not a directory");
  }
  std::string parent = ParentPath(path);
  if (parent != path && parent != "." && parent != "/") {
    s = MakeDirs(vfs, parent);
    if (!s.ok()) return s;
  }
  s = vfs.MakeDir(path);
  if (s.code() == ErrorCode::kAlreadyExists) return Status::Ok();
  return s;
}

std::string JoinPath(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  if (name.empty()) return dir;
  std::string d = dir;
  while (d.size() > 1 && d.back() == '/') d.pop_back();
  std::size_t start = 0;
  while (start < name.size() && name[start] == '/') ++start;
  if (d == "/") return "/" + name.substr(start);
  return d + "/" + name.substr(start);
}

std::string ParentPath(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  auto pos = p.rfind('/');
  if (pos == std::string::npos) return ".";
  if (pos == 0) return "/";
  return p.substr(0, pos);
}

std::string BaseName(const std::string& path) {
  std::string p = path;
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  auto pos = p.rfind('/');
  return pos == std::string::npos ? p : p.substr(pos + 1);
}

}  // namespace faultfs

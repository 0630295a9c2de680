#include "path_rules.h"

namespace faultfs::internal {

Status CheckPath(const std::string& path) {
  if (path.empty()) return Status::Error(ErrorCode::kInvalidPath, "empty path");
  if (path.find('\0') != std::string::npos) return Status::Error(ErrorCode::kInvalidPath, "path contains a NUL byte");
  std::size_t start = 0;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (end - start > kMaxComponentLength) {
      return Status::Error(ErrorCode::kInvalidPath, "path component longer than 255 bytes");
    }
    start = end + 1;
  }
  return Status::Ok();
}

Status SplitAbsolutePath(const std::string& path, std::vector<std::string>* components) {
  Status s = CheckPath(path);
  if (!s.ok()) return s;
  if (path[0] != '/') return Status::Error(ErrorCode::kInvalidPath, "not an absolute path: " + path);
  components->clear();
  std::size_t start = 1;
  while (start <= path.size()) {
    std::size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    if (end > start) {
      std::string part = path.substr(start, end - start);
      if (part == "." || part == "..") {
        return Status::Error(ErrorCode::kInvalidPath, "'.' and '..' are not supported: " + path);
      }
      components->push_back(std::move(part));
    }
    start = end + 1;
  }
  return Status::Ok();
}

bool SharesCompatible(Access a, std::uint8_t share_a, Access b, std::uint8_t share_b) {
  auto allows = [](std::uint8_t share, Access access) {
    return (!HasRead(access) || (share & kShareRead) != 0) && (!HasWrite(access) || (share & kShareWrite) != 0);
  };
  return allows(share_a, b) && allows(share_b, a);
}

Status HandleLacksAccess(const char* operation, const std::string& path) {
  return Status::Error(ErrorCode::kAccessDenied,
                       std::string(operation) + " on a handle opened without that access: " + path);
}

Status FileTooLarge(const std::string& path) {
  return Status::Error(ErrorCode::kDiskFull, "file would exceed 1 TiB: " + path);
}

}  // namespace faultfs::internal

// path_rules.h — the path and share-mode rules every backend applies (internal).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "faultfs/vfs.h"

namespace faultfs::internal {

inline constexpr std::size_t kMaxComponentLength = 255;
// Every backend refuses to grow a file past this (kDiskFull), so a wild offset from a
// corrupt structure cannot exhaust memory or disk.
inline constexpr std::uint64_t kMaxFileSize = std::uint64_t{1} << 40;

// True when [offset, offset + length) stays within kMaxFileSize.
inline bool WithinMaxFileSize(std::uint64_t offset, std::uint64_t length) {
  return offset <= kMaxFileSize && length <= kMaxFileSize - offset;
}

// vfs.h's rule for every backend: non-empty, no NUL byte, no component over 255 bytes.
Status CheckPath(const std::string& path);

// CheckPath, plus: absolute, no "." or ".." component. Empty and repeated separators
// are skipped, so "/a//b/" gives {"a", "b"} and "/" gives {}.
Status SplitAbsolutePath(const std::string& path, std::vector<std::string>* components);

// Windows share-mode rule: two handles may coexist when each one's share mode allows
// the other's access.
bool SharesCompatible(Access a, std::uint8_t share_a, Access b, std::uint8_t share_b);

// The errors both backends give for a handle used beyond its access, or a file grown
// past kMaxFileSize.
Status HandleLacksAccess(const char* operation, const std::string& path);
Status FileTooLarge(const std::string& path);

inline bool HasRead(Access a) { return (static_cast<int>(a) & static_cast<int>(Access::kRead)) != 0; }
inline bool HasWrite(Access a) { return (static_cast<int>(a) & static_cast<int>(Access::kWrite)) != 0; }

}  // namespace faultfs::internal

#include "faultfs/status.h"

#include <array>

namespace faultfs {
namespace {
constexpr std::array<std::string_view, 10> kNames = {
    "ok",        "not_found",    "sharing_violation", "access_denied", "io_error",
    "disk_full", "invalid_path", "already_exists",    "not_empty",     "crashed",
};
}  // namespace

std::string_view ErrorCodeName(ErrorCode code) {
  auto index = static_cast<std::size_t>(code);
  return index < kNames.size() ? kNames[index] : std::string_view("unknown");
}

bool ParseErrorCode(std::string_view name, ErrorCode* out) {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) {
      *out = static_cast<ErrorCode>(i);
      return true;
    }
  }
  return false;
}

std::string Status::ToString() const {
  if (ok()) return "ok";
  std::string s(ErrorCodeName(code_));
  if (!message_.empty()) {
    s += ": ";
    s += message_;
  }
  return s;
}

}  // namespace faultfs

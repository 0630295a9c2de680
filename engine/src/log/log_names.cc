// log/log_names.cc — the file names of the log subsystem (ese.md §4.3).

#include <fmt/format.h>

#include "log/log.h"

namespace jet::log {

namespace {
constexpr char kLogExtension[] = ".log";
constexpr std::int32_t kFiveDigitMax = 0xFFFFF;
}  // namespace

std::string CurrentLogName(const std::string& base) { return base + kLogExtension; }

std::string ArchivedLogName(const std::string& base, std::int32_t generation) {
  const auto g = static_cast<std::uint32_t>(generation);
  return generation <= kFiveDigitMax ? fmt::format("{}{:05X}.log", base, g) : fmt::format("{}{:08X}.log", base, g);
}

std::string CheckpointName(const std::string& base) { return base + ".chk"; }

std::string TempLogName(const std::string& base) { return base + "tmp" + kLogExtension; }

bool ParseArchivedLogName(const std::string& base, const std::string& name, std::int32_t* generation) {
  const std::size_t ext = sizeof(kLogExtension) - 1;
  if (name.size() <= base.size() + ext || name.compare(0, base.size(), base) != 0 ||
      name.compare(name.size() - ext, ext, kLogExtension) != 0) {
    return false;
  }
  const std::string digits = name.substr(base.size(), name.size() - base.size() - ext);
  if (digits.size() != 5 && digits.size() != 8) return false;
  std::uint64_t value = 0;
  for (char c : digits) {
    // Uppercase only: the writer never produces lowercase, and accepting both would
    // let two files name the same generation.
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    } else {
      return false;
    }
    value = value * 16 + static_cast<std::uint64_t>(digit);
  }
  // 8 digits only above the 5-digit range, so every generation has exactly one name.
  if (value == 0 || value > 0x7FFFFFFF || (digits.size() == 8 && value <= kFiveDigitMax)) return false;
  *generation = static_cast<std::int32_t>(value);
  return true;
}

}  // namespace jet::log

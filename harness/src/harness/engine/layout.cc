#include "harness/engine/layout.h"

#include <fmt/format.h>

namespace jetharness {

std::string ArchivedLogName(std::int32_t generation) {
  return generation <= 0xFFFFF ? fmt::format("edb{:05X}.log", generation) : fmt::format("edb{:08X}.log", generation);
}

bool ParseArchivedLogName(const std::string& name, std::int32_t* generation) {
  if (name.size() != 12 && name.size() != 15) return false;
  if (name.rfind("edb", 0) != 0 || name.substr(name.size() - 4) != ".log") return false;
  std::int64_t value = 0;
  for (std::size_t i = 3; i + 4 < name.size(); ++i) {
    char c = name[i];
    int digit = c >= '0' && c <= '9' ? c - '0' : (c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1);
    if (digit < 0) return false;
    value = value * 16 + digit;
  }
  if (value <= 0 || value > 0x7FFFFFFF) return false;
  *generation = static_cast<std::int32_t>(value);
  return true;
}

namespace {
bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
}  // namespace

FileRole ClassifyPath(const Layout& layout, const std::string& path) {
  // A rename is traced as "from -> to"; classify by its source.
  std::string p = path.substr(0, path.find(" -> "));
  if (p == layout.backup_dir || p.rfind(layout.backup_dir + "/", 0) == 0) return FileRole::kBackupSet;
  if (EndsWith(p, ".edb")) return FileRole::kDatabase;
  if (EndsWith(p, ".log")) return FileRole::kLog;
  if (EndsWith(p, ".chk")) return FileRole::kCheckpoint;
  return FileRole::kAny;
}

}  // namespace jetharness

#include "harness/engine/layout.h"

#include "jet/file_names.h"

namespace jetharness {

std::string ArchivedLogName(std::int32_t generation) { return jet::files::ArchivedLogName(kBaseName, generation); }

bool ParseArchivedLogName(const std::string& name, std::int32_t* generation) {
  return jet::files::ParseArchivedLogName(kBaseName, name, generation);
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

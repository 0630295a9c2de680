// log/generations.cc — ListGenerations: which generations a directory holds.
//
// Only archived names (edbXXXXX.log) and edb.log count. edbtmp.log is ignored: a
// generation is written there and renamed only after it is synced, and records are
// appended only after the rename is durable, so edbtmp.log never holds a record.
#include <algorithm>

#include <fmt/format.h>

#include "base/io_error.h"
#include "format/log_header.h"
#include "jetfault/assert.h"
#include "log/log.h"
#include "log/log_files.h"

namespace jet::log {

JET_ERR ListGenerations(faultfs::Vfs& vfs, const std::string& dir, const std::string& base,
                        std::vector<GenerationInfo>* out) {
  out->clear();
  std::vector<std::string> names;
  if (auto s = vfs.ListDir(dir, &names); !s.ok()) {
    if (s.code() == faultfs::ErrorCode::kNotFound) return JET_errSuccess;  // no log directory yet: no logs
    SetLastErrorDetail(fmt::format("list {}: {}", dir, s.ToString()));
    return IoError(s, FileKind::kLog);
  }
  const std::string current_name = CurrentLogName(base);
  std::vector<GenerationInfo> found;
  for (const std::string& name : names) {
    std::int32_t named_generation = 0;
    const bool is_current = name == current_name;
    if (!is_current && !ParseArchivedLogName(base, name, &named_generation)) continue;
    // The parser accepts exactly the names the writer produces: one name per generation.
    if (!is_current) JF_ASSERT_EQ(ArchivedLogName(base, named_generation), name);
    const std::string path = faultfs::JoinPath(dir, name);
    format::LogFileHeader header;
    bool blank = false;
    if (JET_ERR err = ReadLogFileHeader(vfs, path, &header, &blank); err < 0) {
      if (is_current && blank) continue;  // its creation never completed
      return err;
    }
    if (!is_current && header.generation != named_generation) {
      SetLastErrorDetail(fmt::format("{} holds generation {}", path, header.generation));
      return JET_errLogGenerationMismatch;
    }
    found.push_back(MakeGenerationInfo(header, path));
  }
  std::sort(found.begin(), found.end(),
            [](const GenerationInfo& a, const GenerationInfo& b) { return a.generation < b.generation; });
  // edb.log and an archived file with the same generation: the same generation seen
  // twice (e.g. copied back by hand). Identical headers: keep the archived one.
  std::vector<GenerationInfo> unique;
  for (GenerationInfo& g : found) {
    if (unique.empty() || unique.back().generation != g.generation) {
      unique.push_back(std::move(g));
      continue;
    }
    GenerationInfo& kept = unique.back();
    if (kept.tm_create != g.tm_create || kept.sign_log != g.sign_log) {
      SetLastErrorDetail(fmt::format("{} and {} both claim generation {}", kept.path, g.path, g.generation));
      return JET_errInvalidLogSequence;
    }
    if (faultfs::BaseName(kept.path) == current_name) kept = std::move(g);
  }
  // Strictly increasing generations: sorted, and each generation kept once.
  for (std::size_t i = 1; i < unique.size(); ++i) JF_ASSERT_LT(unique[i - 1].generation, unique[i].generation);
  found = std::move(unique);
  *out = std::move(found);
  return JET_errSuccess;
}

JET_ERR CurrentLogLost(faultfs::Vfs& vfs, const std::string& dir, const std::string& base, bool* lost) {
  const std::string tmp_path = faultfs::JoinPath(dir, TempLogName(base));
  bool rollover_in_progress = false;
  if (auto s = vfs.Exists(tmp_path, &rollover_in_progress); !s.ok()) {
    SetLastErrorDetail(fmt::format("stat {}: {}", tmp_path, s.ToString()));
    return IoError(s, FileKind::kLog);
  }
  *lost = !rollover_in_progress;
  return JET_errSuccess;
}

}  // namespace jet::log

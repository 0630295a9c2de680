#include "describe.h"

#include <cstring>

#include <fmt/core.h>

namespace jetutil {

namespace format = jet::format;

std::string DescribeLogTime(const format::LogTime& time) {
  if (time == format::LogTime{}) return "none";
  const auto& b = time.bytes;
  const unsigned ms = static_cast<unsigned>((b[6] >> 1) & 0x7F) | (static_cast<unsigned>((b[7] >> 1) & 0x7) << 7);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}.{:03}{}", 1900 + b[5], b[4] + 1, b[3], b[2], b[1], b[0], ms,
                     (b[6] & 1) != 0 ? " UTC" : "");
}

Json DescribeSignature(const format::Signature& signature) {
  const std::size_t length = strnlen(signature.computer.data(), signature.computer.size());
  return Json{{"random", fmt::format("0x{:08x}", signature.random)},
              {"time", DescribeLogTime(signature.time)},
              {"computer", std::string(signature.computer.data(), length)}};
}

std::string DescribeLgpos(const format::Lgpos& lgpos) { return format::ToString(lgpos); }

Json DescribeAttachList(const std::vector<format::AttachInfo>& list) {
  Json out = Json::array();
  for (const auto& a : list) {
    out.push_back(Json{{"dbid", a.dbid},
                       {"path", a.path},
                       {"page_size", a.page_size},
                       {"lgpos_attach", DescribeLgpos(a.lgpos_attach)},
                       {"lgpos_consistent", DescribeLgpos(a.lgpos_consistent)},
                       {"sign_db", DescribeSignature(a.sign_db)}});
  }
  return out;
}

namespace {

std::string DbStateName(format::DbState state) {
  switch (static_cast<std::uint32_t>(state)) {
    case 1: return "Just Created (1)";
    case 2: return "Dirty Shutdown (2)";
    case 3: return "Clean Shutdown (3)";
    default: return fmt::format("({})", static_cast<std::uint32_t>(state));
  }
}

Json DescribeBackupInfo(const format::BackupInfo& info) {
  return Json{{"lgpos_mark", DescribeLgpos(info.lgpos_mark)},
              {"time", DescribeLogTime(info.logtime_mark)},
              {"gen_low", info.gen_low},
              {"gen_high", info.gen_high}};
}

}  // namespace

Json DescribeDbHeader(const format::DbHeader& h) {
  return Json{{"file_type", "database"},
              {"format_version", fmt::format("0x{:x}", h.version)},
              {"page_size", h.page_size},
              {"dbstate", DbStateName(h.dbstate)},
              {"dbtime_dirtied", h.dbtime_dirtied},
              {"dbid", h.dbid},
              {"sign_db", DescribeSignature(h.sign_db)},
              {"sign_log", DescribeSignature(h.sign_log)},
              {"lgpos_consistent", DescribeLgpos(h.lgpos_consistent)},
              {"logtime_consistent", DescribeLogTime(h.logtime_consistent)},
              {"lgpos_attach", DescribeLgpos(h.lgpos_attach)},
              {"logtime_attach", DescribeLogTime(h.logtime_attach)},
              {"lgpos_detach", DescribeLgpos(h.lgpos_detach)},
              {"logtime_detach", DescribeLogTime(h.logtime_detach)},
              {"gen_min_required", h.gen_min_required},
              {"gen_max_required", h.gen_max_required},
              {"objid_last", h.objid_last},
              {"pgno_last", h.pgno_last},
              {"backup_full_prev", DescribeBackupInfo(h.bkinfo_full_prev)},
              {"backup_inc_prev", DescribeBackupInfo(h.bkinfo_inc_prev)},
              {"backup_full_cur", DescribeBackupInfo(h.bkinfo_full_cur)}};
}

Json DescribeLogFileHeader(const format::LogFileHeader& h) {
  return Json{{"file_type", "log"},
              {"generation", h.generation},
              {"file_sectors", h.csec_file},
              {"file_bytes", static_cast<std::uint64_t>(h.csec_file) * format::kLogSectorSize},
              {"page_size", h.page_size},
              {"tm_create", DescribeLogTime(h.tm_create)},
              {"tm_prev_gen", DescribeLogTime(h.tm_prev_gen)},
              {"sign_log", DescribeSignature(h.sign_log)},
              {"circular_logging", (h.flags & format::kLogFlagCircularCurrent) != 0},
              {"circular_logging_ever", (h.flags & format::kLogFlagCircularHistory) != 0},
              {"prev_generation_end", DescribeLgpos(h.prev_generation_end)},
              {"attached", DescribeAttachList(h.attach)}};
}

Json DescribeCheckpoint(const format::Checkpoint& c) {
  return Json{{"file_type", "checkpoint"},
              {"checkpoint", DescribeLgpos(c.checkpoint)},
              {"sign_log", DescribeSignature(c.sign_log)},
              {"lgpos_full_backup", DescribeLgpos(c.lgpos_full_backup)},
              {"full_backup_gen_low", c.full_backup_gen_low},
              {"full_backup_gen_high", c.full_backup_gen_high},
              {"lgpos_inc_backup", DescribeLgpos(c.lgpos_inc_backup)},
              {"attached", DescribeAttachList(c.attach)}};
}

namespace {

void RenderInto(const Json& json, int indent, std::string* out) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  auto scalar = [](const Json& value) { return value.is_string() ? value.get<std::string>() : value.dump(); };
  if (json.is_object()) {
    for (const auto& [key, value] : json.items()) {
      if (value.is_structured()) {
        *out += fmt::format("{}{}:{}\n", pad, key, value.empty() ? " (none)" : "");
        RenderInto(value, indent + 2, out);
      } else {
        *out += fmt::format("{}{}: {}\n", pad, key, scalar(value));
      }
    }
  } else if (json.is_array()) {
    for (const auto& item : json) {
      if (item.is_structured()) {
        *out += fmt::format("{}-\n", pad);
        RenderInto(item, indent + 2, out);
      } else {
        *out += fmt::format("{}- {}\n", pad, scalar(item));
      }
    }
  } else {
    *out += pad + scalar(json) + "\n";
  }
}

}  // namespace

std::string RenderText(const Json& json) {
  std::string out;
  RenderInto(json, 0, &out);
  return out;
}

}  // namespace jetutil

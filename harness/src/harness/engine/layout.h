// harness/engine/layout.h — where a simulated instance keeps its files, and which
// role a path plays (for the error map).
#pragma once

#include <algorithm>
#include <cstdint>
#include <string>

#include "harness/core/errmap.h"
#include "jet/file_names.h"
#include "jet/jet.h"

namespace jetharness {

// Every scenario uses the same absolute layout on its MemFs, so traces and fault
// plans read the same everywhere:
//   /inst/sys/edb.chk      checkpoint (JET_paramSystemPath)
//   /inst/log/edb*.log     log generations (JET_paramLogFilePath)
//   /inst/db/db0.edb ...   databases
//   /backup/...            the backup set of JetBackupInstance
// Every simulated instance keeps the engine's default JET_paramBaseName.
inline constexpr char kBaseName[] = "edb";

struct Layout {
  std::string system_dir = "/inst/sys";
  std::string log_dir = "/inst/log";
  std::string db_dir = "/inst/db";
  std::string backup_dir = "/backup";
  // JetRestoreInstance's szDest: where a restore puts the databases ("" = null: their
  // original paths). A layout restoring elsewhere has db_dir == restore_dest.
  std::string restore_dest;

  std::string DatabasePath(const std::string& file_name) const { return db_dir + "/" + file_name; }
  std::string CheckpointPath() const { return system_dir + "/" + jet::files::CheckpointName(kBaseName); }
  std::string CurrentLogPath() const { return log_dir + "/" + jet::files::CurrentLogName(kBaseName); }
};

// The engine's own naming rules (jet/file_names.h) for the base name "edb":
// "edb0000A.log" for generation 10.
std::string ArchivedLogName(std::int32_t generation);
// Parses an archived log name; false for anything else (edb.log included).
bool ParseArchivedLogName(const std::string& name, std::int32_t* generation);

// The role of the file at `path`: under the backup directory -> backup set; else by
// extension (.edb database, .log log, .chk checkpoint); anything else -> kAny.
FileRole ClassifyPath(const Layout& layout, const std::string& path);

// Engine-tuning knobs that every simulated instance shares.
struct InstanceSettings {
  Layout layout;
  std::uint32_t page_size = 4096;
  std::uint32_t log_file_kib = 64;  // small generations: many of them per workload
  bool circular = false;
  // JET_paramLogFileSize as set: log_file_kib, raised to the JET_cpgLogFileMin pages a
  // generation must hold (jet.h), so small generations grow with the page size.
  std::uint32_t LogFileKib() const {
    return std::max<std::uint32_t>(log_file_kib, static_cast<std::uint32_t>(JET_cpgLogFileMin * page_size / 1024));
  }
  // Page cache limit (JET_paramCacheSizeMax; 0 = the engine's default, 32 MiB of pages).
  // A small cache makes the engine evict dirty pages mid-transaction, which is where
  // the write-ahead rule matters.
  std::uint32_t cache_pages_max = 0;
};

}  // namespace jetharness

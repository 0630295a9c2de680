#include "bench_fixture.h"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace jetbench {

void Check(JET_ERR err, const char* what) {
  if (err < 0) {
    std::fprintf(stderr, "benchmark setup failed: %s returned %s (%d)\n", what, JetErrorName(err), err);
    std::abort();
  }
}

std::string NextInstanceName() {
  static std::uint64_t next = 0;
  return "bench-" + std::to_string(next++);
}

JET_INSTANCE CreateConfiguredInstance(faultfs::Vfs& vfs, const Layout& layout, unsigned long page_size) {
  JET_INSTANCE instance = 0;
  Check(JetCreateInstance(&instance, NextInstanceName().c_str()), "JetCreateInstance");
  Check(JetSetSystemParameter(&instance, JET_sesidNil, JET_paramVfs, reinterpret_cast<JET_API_PTR>(&vfs), nullptr),
        "JET_paramVfs");
  Check(JetSetSystemParameter(&instance, JET_sesidNil, JET_paramSystemPath, 0, layout.system_path().c_str()),
        "JET_paramSystemPath");
  Check(JetSetSystemParameter(&instance, JET_sesidNil, JET_paramLogFilePath, 0, layout.log_path().c_str()),
        "JET_paramLogFilePath");
  Check(JetSetSystemParameter(&instance, JET_sesidNil, JET_paramDatabasePageSize, page_size, nullptr),
        "JET_paramDatabasePageSize");
  // Restores go to a destination that does not exist yet.
  Check(JetSetSystemParameter(&instance, JET_sesidNil, JET_paramCreatePathIfNotExist, 1, nullptr),
        "JET_paramCreatePathIfNotExist");
  return instance;
}

JET_INSTANCE StartInstance(faultfs::Vfs& vfs, const Layout& layout, unsigned long page_size) {
  Check(faultfs::MakeDirs(vfs, layout.system_path()).ok() ? JET_errSuccess : JET_errInvalidPath, "mkdir sys");
  Check(faultfs::MakeDirs(vfs, layout.log_path()).ok() ? JET_errSuccess : JET_errInvalidPath, "mkdir log");
  Check(faultfs::MakeDirs(vfs, faultfs::ParentPath(layout.db_path())).ok() ? JET_errSuccess : JET_errInvalidPath,
        "mkdir db");
  JET_INSTANCE instance = CreateConfiguredInstance(vfs, layout, page_size);
  Check(JetInit(&instance), "JetInit");
  return instance;
}

BenchTable StartWithTable(faultfs::Vfs& vfs, const Layout& layout, unsigned long page_size, const char* table_name) {
  BenchTable t;
  t.instance = StartInstance(vfs, layout, page_size);
  Check(JetBeginSession(t.instance, &t.sesid, nullptr, nullptr), "JetBeginSession");
  Check(JetCreateDatabase(t.sesid, layout.db_path().c_str(), nullptr, &t.dbid, 0), "JetCreateDatabase");
  Check(JetCreateTable(t.sesid, t.dbid, table_name, 0, 0, &t.table), "JetCreateTable");
  return t;
}

void BuildBackedUpDatabase(faultfs::Vfs& vfs, const Layout& layout, unsigned long page_size, std::uint32_t records,
                           std::uint32_t value_bytes, std::uint32_t txn_size) {
  const BenchTable t = StartWithTable(vfs, layout, page_size, "bench");
  std::vector<std::uint8_t> value(value_bytes);
  for (std::uint32_t i = 0; i < records; ++i) {
    if (i % txn_size == 0) Check(JetBeginTransaction(t.sesid), "JetBeginTransaction");
    std::uint8_t key[4] = {static_cast<std::uint8_t>(i >> 24), static_cast<std::uint8_t>(i >> 16),
                           static_cast<std::uint8_t>(i >> 8), static_cast<std::uint8_t>(i)};
    for (std::uint32_t b = 0; b < value_bytes; ++b) value[b] = static_cast<std::uint8_t>(i * 31 + b);
    Check(JetInsertRecord(t.sesid, t.table, key, sizeof key, value.data(), value_bytes), "JetInsertRecord");
    if (i % txn_size == txn_size - 1 || i + 1 == records) {
      Check(JetCommitTransaction(t.sesid, JET_bitCommitLazyFlush), "JetCommitTransaction");
    }
  }
  Check(JetCloseTable(t.sesid, t.table), "JetCloseTable");
  Check(JetBackupInstance(t.instance, layout.backup_path().c_str(), 0, nullptr), "JetBackupInstance");
  Check(JetEndSession(t.sesid, 0), "JetEndSession");
  Check(JetTerm(t.instance), "JetTerm");
}

std::uint64_t CopyTree(faultfs::Vfs& vfs, const std::string& from, const std::string& to) {
  Check(faultfs::MakeDirs(vfs, to).ok() ? JET_errSuccess : JET_errInvalidPath, "mkdir copy");
  std::vector<std::string> names;
  Check(vfs.ListDir(from, &names).ok() ? JET_errSuccess : JET_errDiskIO, "list");
  std::uint64_t bytes = 0;
  std::vector<std::uint8_t> data;
  for (const auto& name : names) {
    std::string src = faultfs::JoinPath(from, name);
    bool is_dir = false;
    Check(vfs.IsDirectory(src, &is_dir).ok() ? JET_errSuccess : JET_errDiskIO, "stat");
    if (is_dir) {
      bytes += CopyTree(vfs, src, faultfs::JoinPath(to, name));
      continue;
    }
    Check(faultfs::ReadWholeFile(vfs, src, &data).ok() ? JET_errSuccess : JET_errDiskIO, "read");
    Check(faultfs::WriteWholeFile(vfs, faultfs::JoinPath(to, name), data).ok() ? JET_errSuccess : JET_errDiskIO,
          "write");
    bytes += data.size();
  }
  Check(vfs.SyncDir(to).ok() ? JET_errSuccess : JET_errDiskIO, "syncdir");
  return bytes;
}

}  // namespace jetbench

// backup_test_util.h — a fixture for backup and restore tests: an instance on a MemFs
// with one database and table, a model of its committed contents, and helpers to
// back up, crash, restore and read back.
#pragma once

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "api_test_util.h"
#include "faultfs/mem_fs.h"

namespace jet_test {

using Model = std::map<std::string, std::string>;

// Records every (snp, snt, cunitDone, cunitTotal) a JET_PFNSTATUS receives.
struct StatusEvent {
  JET_SNP snp;
  JET_SNT snt;
  unsigned long done;
  unsigned long total;
};
std::vector<StatusEvent>& StatusEvents();
JET_ERR RecordStatus(JET_SESID sesid, JET_SNP snp, JET_SNT snt, void* pv);

struct BackupConfig {
  std::uint32_t page_size = 8192;
  bool circular = false;
  unsigned long log_kib = 128;
};

class BackupRestoreTest : public EngineTest {
 protected:
  // A running instance on fs_ with /data/test.edb and table "t" (created or attached).
  JET_ERR Start(bool create);
  // Stops the instance as if the process died.
  void Crash();
  JET_ERR Put(const std::string& key, const std::string& value);
  // n committed writes keyed from `first`, recorded in model_.
  void Load(int first, int n, std::size_t value_size = 300);
  // Start(true), `before` committed writes, a full backup to /backup (*at_backup: the
  // model then), `after` more writes, Crash(). Call with ASSERT_NO_FATAL_FAILURE.
  void BackupThenCrash(int before, int after, Model* at_backup = nullptr);
  // Deletes every file in dir (as a lost disk or a careless operator would).
  void DeleteAllIn(const std::string& dir);
  // A new instance handle configured like the first one (not initialised).
  JET_ERR NewInstance(JET_INSTANCE* inst);
  // JetInit on inst, attach the database at path and read table "t".
  JET_ERR ReadRestored(JET_INSTANCE inst, const std::string& db_path, Model* out);
  // Adds to the manifest of the set in /backup a second database (restored to
  // /data/other.edb) whose file is named like the first's plus `suffix`: a name a
  // scratch file of the restore would take. Call with ASSERT_NO_FATAL_FAILURE.
  void AddSetFileNamedAfterTheFirst(const std::string& suffix);
  // ReadRestored, which must succeed, and what it reads must be `expected`.
  void ExpectRestored(JET_INSTANCE inst, const std::string& db_path, const Model& expected);

  faultfs::MemFs fs_;
  BackupConfig config_;
  JET_INSTANCE inst_ = JET_instanceNil;
  JET_SESID ses_ = 0;
  JET_DBID dbid_ = 0;
  JET_TABLEID tab_ = 0;
  Model model_;
};

}  // namespace jet_test

#include "backup_test_util.h"

#include "backup/backup_set.h"

namespace jet_test {

std::vector<StatusEvent>& StatusEvents() {
  static std::vector<StatusEvent> events;
  return events;
}

JET_ERR RecordStatus(JET_SESID, JET_SNP snp, JET_SNT snt, void* pv) {
  const auto* prog = static_cast<const JET_SNPROG*>(pv);
  StatusEvents().push_back({snp, snt, prog ? prog->cunitDone : 0ul, prog ? prog->cunitTotal : 0ul});
  return JET_errSuccess;
}

JET_ERR BackupRestoreTest::NewInstance(JET_INSTANCE* inst) {
  return CreateConfigured(&fs_, inst, config_.page_size, config_.log_kib, config_.circular);
}

JET_ERR BackupRestoreTest::Start(bool create) {
  JET_ERR err = NewInstance(&inst_);
  if (err < 0) return err;
  return InitAndOpenTable(&inst_, &ses_, &dbid_, &tab_, create);
}

void BackupRestoreTest::Crash() { ASSERT_JET(JetTerm2(inst_, JET_bitTermAbrupt)); }

JET_ERR BackupRestoreTest::Put(const std::string& k, const std::string& v) {
  JET_ERR err = JetInsertRecord(ses_, tab_, k.data(), k.size(), v.data(), v.size());
  if (err == JET_errKeyDuplicate) err = JetReplaceRecord(ses_, tab_, k.data(), k.size(), v.data(), v.size());
  return err;
}

void BackupRestoreTest::Load(int first, int n, std::size_t value_size) {
  for (int i = first; i < first + n; ++i) {
    std::string key = "key" + std::to_string(i % 500);
    std::string value(value_size + static_cast<std::size_t>(i % 97), static_cast<char>('a' + i % 26));
    ASSERT_JET(Put(key, value));
    model_[key] = value;
  }
}

void BackupRestoreTest::BackupThenCrash(int before, int after, Model* at_backup) {
  ASSERT_JET(Start(true));
  Load(0, before);
  ASSERT_JET(JetBackupInstance(inst_, "/backup", 0, nullptr));
  if (at_backup != nullptr) *at_backup = model_;
  Load(before, after);
  Crash();
}

void BackupRestoreTest::DeleteAllIn(const std::string& dir) {
  std::vector<std::string> names;
  ASSERT_TRUE(fs_.ListDir(dir, &names).ok()) << dir;
  for (const std::string& name : names) ASSERT_TRUE(fs_.Delete(dir + "/" + name).ok()) << dir << "/" << name;
}

JET_ERR BackupRestoreTest::ReadRestored(JET_INSTANCE inst, const std::string& db_path, Model* out) {
  JET_ERR err = JetInit(&inst);
  JET_SESID ses = 0;
  JET_DBID dbid = 0;
  JET_TABLEID tab = 0;
  if (err >= 0) err = JetBeginSession(inst, &ses, nullptr, nullptr);
  if (err >= 0) err = JetAttachDatabase(ses, db_path.c_str(), 0);
  if (err >= 0) err = JetOpenDatabase(ses, db_path.c_str(), nullptr, &dbid, 0);
  if (err >= 0) err = JetOpenTable(ses, dbid, "t", nullptr, 0, 0, &tab);
  if (err >= 0) err = ReadTable(ses, tab, out);
  if (err < 0) return err;
  return JetTerm(inst);
}

void BackupRestoreTest::AddSetFileNamedAfterTheFirst(const std::string& suffix) {
  jet::format::BackupManifest m;
  ASSERT_JET(jet::backup::ReadManifest(fs_, "/backup", &m));
  jet::format::BackupDbEntry other = m.dbs[0];
  other.file_name = m.dbs[0].file_name + suffix;
  other.original_path = "/data/other.edb";
  m.dbs.push_back(other);
  ASSERT_JET(jet::backup::WriteManifest(fs_, "/backup", m));
}

void BackupRestoreTest::ExpectRestored(JET_INSTANCE inst, const std::string& db_path, const Model& expected) {
  Model restored;
  ASSERT_JET(ReadRestored(inst, db_path, &restored));
  EXPECT_EQ(restored, expected) << "the database restored at " << db_path;
}

}  // namespace jet_test

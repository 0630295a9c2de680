// Where restore reads and writes (docs/RESTORE.md, "szDest" and "Path safety"):
//  * a database created after the backup goes into szDest too, by base name;
//  * two databases of the same base name are backed up under distinct names and
//    restored to their own paths (szDest null) or distinct names in szDest;
//  * symbolic links in the set (manifest, database copy, log) or at a target are
//    refused with JET_errInvalidPath, before anything is written (PosixFs, temp dir).
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <set>

#include "backup/backup_set.h"
#include "backup_test_util.h"
#include "faultfs/posix_fs.h"
#include "log/log.h"

namespace jet_test {
namespace {

namespace fs = std::filesystem;

class RestorePaths : public BackupRestoreTest {
 protected:
  // A database of its own with table "t" holding `records`.
  void CreateDatabase(const std::string& path, const Model& records) {
    JET_DBID dbid = 0;
    JET_TABLEID tab = 0;
    ASSERT_JET(JetCreateDatabase(ses_, path.c_str(), nullptr, &dbid, 0));
    ASSERT_JET(JetCreateTable(ses_, dbid, "t", 0, 0, &tab));
    for (const auto& [k, v] : records) ASSERT_JET(JetInsertRecord(ses_, tab, k.data(), k.size(), v.data(), v.size()));
    ASSERT_JET(JetCloseTable(ses_, tab));
    ASSERT_JET(JetCloseDatabase(ses_, dbid, 0));
  }
  // Restores the set in /backup from a clone of the crashed files; reads each database
  // of `expected` (path -> records) back from the clone.
  JET_ERR RestoreAndRead(faultfs::MemFs& fs, const char* dest, const std::map<std::string, Model>& expected) {
    JET_INSTANCE inst = 0;
    JET_ERR err = CreateConfigured(&fs, &inst, config_.page_size, config_.log_kib, false);
    if (err >= 0) err = JetRestoreInstance(inst, "/backup", dest, nullptr);
    if (err < 0) {
      const std::string detail = JetGetLastErrorDetail();
      JetTerm(inst);  // releases the uninitialised handle and its name
      detail_ = detail;
      return err;
    }
    // One JetInit for all of them: JetTerm retires a multi-instance handle.
    JET_SESID ses = 0;
    if ((err = JetInit(&inst)) < 0 || (err = JetBeginSession(inst, &ses, nullptr, nullptr)) < 0) return err;
    for (const auto& [path, records] : expected) {
      JET_DBID dbid = 0;
      JET_TABLEID tab = 0;
      Model restored;
      if ((err = JetAttachDatabase(ses, path.c_str(), 0)) < 0 ||
          (err = JetOpenDatabase(ses, path.c_str(), nullptr, &dbid, 0)) < 0 ||
          (err = JetOpenTable(ses, dbid, "t", nullptr, 0, 0, &tab)) < 0 || (err = ReadTable(ses, tab, &restored)) < 0) {
        JetTerm2(inst, JET_bitTermAbrupt);
        return err;
      }
      EXPECT_EQ(restored, records) << path;
    }
    return JetTerm(inst);
  }
  std::string detail_;  // of the last failed restore
};

Model Records(const std::string& tag, int n) {
  Model m;
  for (int i = 0; i < n; ++i) m[tag + std::to_string(i)] = std::string(100 + static_cast<std::size_t>(i), 'x');
  return m;
}

// Before: a database created after the backup was restored at its logged path
// (/data/late.edb) even with szDest given — a write outside the destination.
TEST_F(RestorePaths, DatabaseCreatedAfterTheBackupGoesIntoTheDestination) {
  ASSERT_JET(Start(true));
  Load(0, 50);
  ASSERT_JET(JetBackupInstance(inst_, "/backup", 0, nullptr));
  const Model late = Records("late", 30);
  CreateDatabase("/data/late.edb", late);
  Load(50, 20);
  Crash();
  std::vector<std::uint8_t> before;
  ASSERT_TRUE(faultfs::ReadWholeFile(fs_, "/data/late.edb", &before).ok());
  std::unique_ptr<faultfs::MemFs> clone = fs_.Clone();
  ASSERT_JET(RestoreAndRead(*clone, "/restored", {{"/restored/test.edb", model_}, {"/restored/late.edb", late}}));
  std::vector<std::uint8_t> after;
  ASSERT_TRUE(faultfs::ReadWholeFile(*clone, "/data/late.edb", &after).ok());
  EXPECT_TRUE(before == after) << "the restore wrote outside its destination";
}

TEST_F(RestorePaths, LaterDatabaseCollidingInTheDestinationIsInvalidPath) {
  ASSERT_JET(Start(true));
  Load(0, 50);
  ASSERT_JET(JetBackupInstance(inst_, "/backup", 0, nullptr));
  CreateDatabase("/other/test.edb", Records("other", 5));  // same base name as the set's
  Crash();
  std::unique_ptr<faultfs::MemFs> clone = fs_.Clone();
  EXPECT_JET_ERR(JET_errInvalidPath, RestoreAndRead(*clone, "/restored", {}));
  const std::string detail = detail_;
  EXPECT_NE(detail.find("/other/test.edb"), std::string::npos) << detail;
  EXPECT_NE(detail.find("/restored/test.edb"), std::string::npos) << detail;
  // Without a destination each goes back where it was.
  clone = fs_.Clone();
  EXPECT_JET_ERR(JET_errSuccess, RestoreAndRead(*clone, nullptr, {{kDbPath, model_}}));
}

TEST_F(RestorePaths, DatabasesWithTheSameBaseNameAreBackedUpTogether) {
  ASSERT_JET(Start(true));
  Load(0, 50);
  const Model other = Records("other", 40);
  CreateDatabase("/other/test.edb", other);
  ASSERT_JET(JetBackupInstance(inst_, "/backup", 0, nullptr));
  Crash();
  jet::format::BackupManifest m;
  ASSERT_EQ(jet::backup::ReadManifest(fs_, "/backup", &m), JET_errSuccess);
  ASSERT_EQ(m.dbs.size(), 2u);
  std::map<std::string, std::string> names;  // original path -> name in the set
  for (const auto& db : m.dbs) names[db.original_path] = db.file_name;
  EXPECT_EQ(names[kDbPath], "test.edb");
  EXPECT_EQ(names["/other/test.edb"], "test-1.edb");
  std::unique_ptr<faultfs::MemFs> clone = fs_.Clone();
  ASSERT_TRUE(clone->Delete(kDbPath).ok());
  ASSERT_TRUE(clone->Delete("/other/test.edb").ok());
  EXPECT_JET_ERR(JET_errSuccess, RestoreAndRead(*clone, nullptr, {{kDbPath, model_}, {"/other/test.edb", other}}));
  clone = fs_.Clone();
  EXPECT_JET_ERR(JET_errSuccess, RestoreAndRead(*clone, "/restored",
                                                {{"/restored/test.edb", model_}, {"/restored/test-1.edb", other}}));
}

TEST(BackupSetNames, UniqueSetFileNameAvoidsTakenAndLogNames) {
  std::set<std::string> taken;
  EXPECT_EQ(jet::backup::UniqueSetFileName("edb", "/a/x.edb", &taken), "x.edb");
  EXPECT_EQ(jet::backup::UniqueSetFileName("edb", "/b/x.edb", &taken), "x-1.edb");
  EXPECT_EQ(jet::backup::UniqueSetFileName("edb", "/c/x-1.edb", &taken), "x-1-1.edb");
  EXPECT_EQ(jet::backup::UniqueSetFileName("edb", "/d/edb00001.log", &taken), "edb00001-1.log");
  EXPECT_EQ(jet::backup::UniqueSetFileName("edb", "/d/jetbackup.manifest", &taken), "jetbackup-1.manifest");
  EXPECT_EQ(jet::backup::UniqueSetFileName("edb", "/e/noext", &taken), "noext");
  EXPECT_EQ(jet::backup::UniqueSetFileName("edb", "/f/noext", &taken), "noext-1");
  EXPECT_EQ(jet::backup::UniqueSetFileName("edb", "/g/" + std::string(255, 'n'), &taken), std::string(255, 'n'));
  EXPECT_EQ(jet::backup::UniqueSetFileName("edb", "/h/" + std::string(255, 'n'), &taken), "")
      << "no safe name: longer than 255 bytes";
}

// Symbolic links, on real files: the set is built in a temp dir through PosixFs.
class RestoreSymlinks : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    char tmpl[] = "/tmp/jetfault-restore-links-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    fs::create_directories(root_ / "data");
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(root_, ec);
    EngineTest::TearDown();
  }
  JET_ERR Configure(JET_INSTANCE* inst) {
    JET_ERR err = JetCreateInstance(inst, "links");
    if (err < 0) return err;
    JetSetSystemParameter(inst, JET_sesidNil, JET_paramVfs, reinterpret_cast<JET_API_PTR>(&posix_), nullptr);
    JetSetSystemParameter(inst, JET_sesidNil, JET_paramLogFilePath, 0, (root_ / "log").c_str());
    JetSetSystemParameter(inst, JET_sesidNil, JET_paramSystemPath, 0, (root_ / "sys").c_str());
    JetSetSystemParameter(inst, JET_sesidNil, JET_paramDatabasePageSize, 8192, nullptr);
    JetSetSystemParameter(inst, JET_sesidNil, JET_paramCreatePathIfNotExist, 1, nullptr);  // dest is new
    return JetSetSystemParameter(inst, JET_sesidNil, JET_paramLogFileSize, 128, nullptr);
  }
  // A backup of a small database in root/backup, then a crash.
  void MakeSet() {
    JET_INSTANCE inst = 0;
    JET_SESID ses = 0;
    JET_DBID dbid = 0;
    JET_TABLEID tab = 0;
    ASSERT_JET(Configure(&inst));
    ASSERT_JET(JetInit(&inst));
    ASSERT_JET(JetBeginSession(inst, &ses, nullptr, nullptr));
    ASSERT_JET(JetCreateDatabase(ses, db_.c_str(), nullptr, &dbid, 0));
    ASSERT_JET(JetCreateTable(ses, dbid, "t", 0, 0, &tab));
    for (int i = 0; i < 40; ++i) {
      const std::string k = "k" + std::to_string(i), v(200, static_cast<char>('a' + i % 26));
      ASSERT_JET(JetInsertRecord(ses, tab, k.data(), k.size(), v.data(), v.size()));
      model_[k] = v;
    }
    ASSERT_JET(JetBackupInstance(inst, (root_ / "backup").c_str(), 0, nullptr));
    ASSERT_JET(JetTerm2(inst, JET_bitTermAbrupt));
  }
  // Replaces root/backup/<name> with a link to an identical copy outside the set.
  void LinkOut(const std::string& name) {
    const fs::path inside = root_ / "backup" / name;
    const fs::path outside = root_ / ("outside-" + name);
    fs::copy_file(inside, outside);
    fs::remove(inside);
    fs::create_symlink(outside, inside);
  }
  void Unlink(const std::string& name) {
    const fs::path inside = root_ / "backup" / name;
    fs::remove(inside);
    fs::rename(root_ / ("outside-" + name), inside);
  }
  JET_ERR Restore(const fs::path& dest) {
    JET_INSTANCE inst = 0;
    JET_ERR err = Configure(&inst);
    if (err >= 0) err = JetRestoreInstance(inst, (root_ / "backup").c_str(), dest.c_str(), nullptr);
    detail_ = JetGetLastErrorDetail();
    JetTerm(inst);  // releases the uninitialised handle and its name
    return err;
  }

  faultfs::PosixFs posix_;
  fs::path root_;
  std::string db_ = "";
  Model model_;
  std::string detail_;
};

TEST_F(RestoreSymlinks, LinksInTheSetOrAtTheTargetAreRefused) {
  db_ = (root_ / "data" / "test.edb").string();
  MakeSet();
  ASSERT_FALSE(HasFatalFailure());
  jet::format::BackupManifest m;
  ASSERT_EQ(jet::backup::ReadManifest(posix_, (root_ / "backup").string(), &m), JET_errSuccess);
  const std::string log_name = jet::log::ArchivedLogName("edb", m.gen_low);
  for (const std::string& name : {std::string("jetbackup.manifest"), std::string("test.edb"), log_name}) {
    SCOPED_TRACE(name);
    LinkOut(name);
    EXPECT_JET_ERR(JET_errInvalidPath, Restore(root_ / "restored"));
    EXPECT_NE(detail_.find("symbolic link"), std::string::npos) << detail_;
    EXPECT_NE(detail_.find(name), std::string::npos) << detail_;
    EXPECT_FALSE(fs::exists(root_ / "restored" / "test.edb")) << "refused before anything is written";
    Unlink(name);
  }
  // A link planted at the target: restore would write through it.
  fs::create_directories(root_ / "restored");
  { std::ofstream(root_ / "victim") << "precious"; }
  fs::create_symlink(root_ / "victim", root_ / "restored" / "test.edb");
  EXPECT_JET_ERR(JET_errInvalidPath, Restore(root_ / "restored"));
  EXPECT_NE(detail_.find("restore target"), std::string::npos) << detail_;
  EXPECT_EQ(fs::file_size(root_ / "victim"), 8u) << "the link's target was written";
  fs::remove(root_ / "restored" / "test.edb");
  // The undamaged set restores.
  EXPECT_JET_ERR(JET_errSuccess, Restore(root_ / "restored"));
}

}  // namespace
}  // namespace jet_test

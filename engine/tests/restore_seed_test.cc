// JetRestoreInstance to the letter of the seed page (docs/RESTORE.md): JET_errInvalidPath
// for each of the four paths, JET_paramCreatePathIfNotExist, the instance held
// exclusively for the whole restore, the API guard, legacy mode and progress.
#include <gtest/gtest.h>

#include <algorithm>
#include <thread>

#include "backup_test_util.h"

namespace jet_test {
namespace {

class RestoreSeed : public BackupRestoreTest {
 protected:
  // A restore instance like the test's, with JET_paramCreatePathIfNotExist as given.
  JET_INSTANCE Instance(bool create_paths) {
    JET_INSTANCE inst = 0;
    EXPECT_GE(NewInstance(&inst), 0);
    EXPECT_GE(JetSetSystemParameter(&inst, JET_sesidNil, JET_paramCreatePathIfNotExist, create_paths ? 1 : 0, nullptr),
              0);
    return inst;
  }
  void SetPath(JET_INSTANCE* inst, unsigned long param, const char* path) {
    ASSERT_JET(JetSetSystemParameter(inst, JET_sesidNil, param, 0, path));
  }
  void MakeFile(const std::string& path) {
    ASSERT_TRUE(faultfs::WriteWholeFile(fs_, path, std::vector<std::uint8_t>{1, 2, 3}).ok());
  }
  bool Exists(const std::string& path) {
    bool exists = false;
    EXPECT_TRUE(fs_.Exists(path, &exists).ok());
    return exists;
  }
  // Every file under the instance's paths and the original database directory.
  std::map<std::string, std::vector<std::uint8_t>> Snapshot() {
    std::map<std::string, std::vector<std::uint8_t>> files;
    for (const std::string dir : {"/log", "/sys", "/data"}) {
      std::vector<std::string> names;
      if (!fs_.ListDir(dir, &names).ok()) continue;
      for (const std::string& name : names) {
        EXPECT_TRUE(faultfs::ReadWholeFile(fs_, dir + "/" + name, &files[dir + "/" + name]).ok());
      }
    }
    return files;
  }
  void ExpectInvalidPathNaming(JET_ERR err, const std::string& path) {
    EXPECT_EQ(err, JET_errInvalidPath) << JetErrorName(err);
    EXPECT_NE(std::string(JetGetLastErrorDetail()).find(path), std::string::npos) << JetGetLastErrorDetail();
  }
};

TEST_F(RestoreSeed, EachOfTheFourPathsThatIsAFileIsInvalidPath) {
  ASSERT_NO_FATAL_FAILURE(BackupThenCrash(50, 20));
  MakeFile("/afile");
  const auto before = Snapshot();
  JET_INSTANCE inst = Instance(/*create_paths=*/true);  // creating cannot turn a file into a directory
  ExpectInvalidPathNaming(JetRestoreInstance(inst, "/afile", "/restored", nullptr), "/afile");
  ExpectInvalidPathNaming(JetRestoreInstance(inst, "/backup", "/afile", nullptr), "/afile");
  SetPath(&inst, JET_paramLogFilePath, "/afile");
  ExpectInvalidPathNaming(JetRestoreInstance(inst, "/backup", "/restored", nullptr), "/afile");
  SetPath(&inst, JET_paramLogFilePath, "/log");
  SetPath(&inst, JET_paramSystemPath, "/afile");
  ExpectInvalidPathNaming(JetRestoreInstance(inst, "/backup", "/restored", nullptr), "/afile");
  // A path below a file cannot be created either.
  SetPath(&inst, JET_paramSystemPath, "/afile/sub");
  ExpectInvalidPathNaming(JetRestoreInstance(inst, "/backup", "/restored", nullptr), "/afile/sub");
  EXPECT_EQ(Snapshot(), before) << "a refused restore writes nothing";
  EXPECT_FALSE(Exists("/restored"));
  SetPath(&inst, JET_paramSystemPath, "/sys");
  EXPECT_JET_ERR(JET_errSuccess, JetRestoreInstance(inst, "/backup", "/restored", nullptr));
}

TEST_F(RestoreSeed, MissingPathsAreInvalidPathUnlessCreatePathIfNotExist) {
  Model at_backup;
  ASSERT_NO_FATAL_FAILURE(BackupThenCrash(50, 20, &at_backup));
  JET_INSTANCE inst = Instance(/*create_paths=*/false);
  JET_API_PTR value = 7;
  ASSERT_JET(JetGetSystemParameter(inst, JET_sesidNil, JET_paramCreatePathIfNotExist, &value, nullptr, 0));
  EXPECT_EQ(value, 0u) << "off by default once set to 0";
  ExpectInvalidPathNaming(JetRestoreInstance(inst, "/no/backup", nullptr, nullptr), "/no/backup");
  ExpectInvalidPathNaming(JetRestoreInstance(inst, "/backup", "/restored", nullptr), "/restored");
  ASSERT_TRUE(faultfs::MakeDirs(fs_, "/restored").ok());
  SetPath(&inst, JET_paramLogFilePath, "/newlog");
  ExpectInvalidPathNaming(JetRestoreInstance(inst, "/backup", "/restored", nullptr), "/newlog");
  SetPath(&inst, JET_paramLogFilePath, "/log");
  SetPath(&inst, JET_paramSystemPath, "/newsys");
  ExpectInvalidPathNaming(JetRestoreInstance(inst, "/backup", "/restored", nullptr), "/newsys");
  EXPECT_FALSE(Exists("/newlog"));
  EXPECT_FALSE(Exists("/newsys"));
  EXPECT_FALSE(Exists("/restored/test.edb"));

  // With the parameter, every missing path but the backup's is created.
  ASSERT_JET(JetSetSystemParameter(&inst, JET_sesidNil, JET_paramCreatePathIfNotExist, 1, nullptr));
  SetPath(&inst, JET_paramLogFilePath, "/newlog");
  ExpectInvalidPathNaming(JetRestoreInstance(inst, "/no/backup", "/new/dest", nullptr), "/no/backup");
  Model restored;
  EXPECT_JET_ERR(JET_errSuccess, JetRestoreInstance(inst, "/backup", "/new/dest", nullptr));
  EXPECT_TRUE(Exists("/newsys/edb.chk"));
  EXPECT_JET_ERR(JET_errSuccess, ReadRestored(inst, "/new/dest/test.edb", &restored));
  EXPECT_EQ(restored, at_backup) << "a new log path holds no later generation: the backup moment";
}

// Every call the seed's exclusivity covers, made on the restoring instance; each
// result is recorded for the test to check afterwards.
struct Intrusion {
  JET_INSTANCE inst = 0;
  std::vector<JET_ERR> results;
  void Run() {
    JET_INSTANCE handle = inst;
    results.push_back(JetInit(&handle));
    handle = inst;
    results.push_back(JetSetSystemParameter(&handle, JET_sesidNil, JET_paramCircularLog, 1, nullptr));
    results.push_back(JetBackupInstance(inst, "/backup-during-restore", 0, nullptr));
    results.push_back(JetRestoreInstance(inst, "/backup", "/restored-twice", nullptr));
    JET_SESID ses = 0;
    results.push_back(JetBeginSession(inst, &ses, nullptr, nullptr));
    results.push_back(JetTerm(inst));
  }
};
Intrusion* g_intrusion = nullptr;
bool g_from_thread = false;
std::vector<JET_SNT> g_snts;

JET_ERR IntrudingStatus(JET_SESID, JET_SNP, JET_SNT snt, void*) {
  g_snts.push_back(snt);
  if (g_from_thread) {
    std::thread other([] { g_intrusion->Run(); });
    other.join();
  } else {
    g_intrusion->Run();
  }
  return JET_errSuccess;
}

class RestoreExclusive : public RestoreSeed, public ::testing::WithParamInterface<bool> {};

TEST_P(RestoreExclusive, EveryCallOnTheRestoringInstanceIsRestoreInProgress) {
  ASSERT_NO_FATAL_FAILURE(BackupThenCrash(200, 100));
  Intrusion intrusion;
  intrusion.inst = Instance(true);
  g_intrusion = &intrusion;
  g_from_thread = GetParam();
  g_snts.clear();
  EXPECT_JET_ERR(JET_errSuccess, JetRestoreInstance(intrusion.inst, "/backup", "/restored", IntrudingStatus));
  g_intrusion = nullptr;
  // Begin, at least one Progress (redo, with the instance mutex released), Complete.
  ASSERT_GE(g_snts.size(), 3u);
  EXPECT_EQ(g_snts.front(), JET_sntBegin);
  EXPECT_EQ(g_snts.back(), JET_sntComplete);
  EXPECT_NE(std::find(g_snts.begin(), g_snts.end(), JET_sntProgress), g_snts.end());
  ASSERT_EQ(intrusion.results.size(), 6 * g_snts.size());
  for (JET_ERR err : intrusion.results) EXPECT_EQ(err, JET_errRestoreInProgress) << JetErrorName(err);
  EXPECT_FALSE(Exists("/backup-during-restore/jetbackup.manifest"));
  EXPECT_FALSE(Exists("/restored-twice"));
  // After the restore the instance is free again: the refused calls changed nothing.
  Model restored;
  EXPECT_JET_ERR(JET_errSuccess, ReadRestored(intrusion.inst, "/restored/test.edb", &restored));
  EXPECT_EQ(restored, model_);
}

INSTANTIATE_TEST_SUITE_P(FromCallbackOrThread, RestoreExclusive, ::testing::Bool(),
                         [](const auto& param_info) { return param_info.param ? "AnotherThread" : "SameThread"; });

TEST_F(RestoreSeed, BackupAndRestoreClearTheLastErrorDetailOnEntry) {
  ASSERT_NO_FATAL_FAILURE(BackupThenCrash(20, 0));
  JET_INSTANCE inst = Instance(false);
  EXPECT_JET_ERR(JET_errInvalidPath, JetRestoreInstance(inst, "/no/backup", nullptr, nullptr));
  ASSERT_STRNE(JetGetLastErrorDetail(), "");
  // Not running: an error without a detail of its own, so an old one must be gone.
  EXPECT_JET_ERR(JET_errNotInitialized, JetBackupInstance(inst, "/b2", 0, nullptr));
  EXPECT_STREQ(JetGetLastErrorDetail(), "");
  EXPECT_JET_ERR(JET_errInvalidPath, JetRestoreInstance(inst, "/no/backup", nullptr, nullptr));
  EXPECT_JET_ERR(JET_errInvalidParameter, JetRestoreInstance(inst + 999, "/backup", nullptr, nullptr));
  EXPECT_STREQ(JetGetLastErrorDetail(), "");
}

std::vector<StatusEvent> g_legacy_events;
JET_ERR LegacyStatus(JET_SESID sesid, JET_SNP snp, JET_SNT snt, void* pv) {
  EXPECT_EQ(sesid, JET_sesidNil);
  const auto* prog = static_cast<const JET_SNPROG*>(pv);
  g_legacy_events.push_back({snp, snt, prog->cunitDone, prog->cunitTotal});
  return JET_errSuccess;
}

TEST_F(RestoreSeed, LegacyModeRestoreSucceedsAndReportsProgress) {
  ASSERT_NO_FATAL_FAILURE(BackupThenCrash(300, 200));
  // The backup's multi-instance handle ended with its JetTerm: the process may use the
  // global instance now, configured through a null instance pointer.
  ASSERT_JET(JetSetSystemParameter(nullptr, JET_sesidNil, JET_paramVfs, reinterpret_cast<JET_API_PTR>(&fs_), nullptr));
  ASSERT_JET(JetSetSystemParameter(nullptr, JET_sesidNil, JET_paramLogFilePath, 0, "/log"));
  ASSERT_JET(JetSetSystemParameter(nullptr, JET_sesidNil, JET_paramSystemPath, 0, "/sys"));
  ASSERT_JET(JetSetSystemParameter(nullptr, JET_sesidNil, JET_paramLogFileSize, config_.log_kib, nullptr));
  g_legacy_events.clear();
  EXPECT_JET_ERR(JET_errSuccess, JetRestoreInstance(0, "/backup", nullptr, LegacyStatus));
  ASSERT_GE(g_legacy_events.size(), 3u);
  EXPECT_EQ(g_legacy_events.front().snt, JET_sntBegin);
  EXPECT_EQ(g_legacy_events.back().snt, JET_sntComplete);
  EXPECT_EQ(g_legacy_events.back().done, 100u);
  unsigned long last = 0;
  int progress = 0;
  for (const StatusEvent& e : g_legacy_events) {
    EXPECT_EQ(e.snp, JET_snpRestore);
    EXPECT_EQ(e.total, 100u);
    if (e.snt != JET_sntProgress) continue;
    ++progress;
    EXPECT_GT(e.done, last) << "sntProgress only when cunitDone rises";
    last = e.done;
  }
  EXPECT_GE(progress, 1) << "sntProgress arrives while the logs are replayed";
  Model restored;
  EXPECT_JET_ERR(JET_errSuccess, ReadRestored(0, kDbPath, &restored));
  EXPECT_EQ(restored, model_) << "original paths, every commit of the log path replayed";
}

std::vector<std::string> g_events;
void RecordEvent(const char* line) { g_events.emplace_back(line); }

std::size_t CountEvents(const std::string& name) {
  const std::string prefix = "{\"event\": \"" + name + "\"";
  return static_cast<std::size_t>(
      std::count_if(g_events.begin(), g_events.end(), [&](const std::string& e) { return e.rfind(prefix, 0) == 0; }));
}

// The seed's "Event Log entries": one JSON line per step, in order, from the begin to
// the result, one per database copied and per log generation replayed.
TEST_F(RestoreSeed, EachStepIsAStructuredEvent) {
  ASSERT_NO_FATAL_FAILURE(BackupThenCrash(300, 300));
  JET_INSTANCE inst = Instance(true);
  ASSERT_JET(JetSetSystemParameter(&inst, JET_sesidNil, JET_paramRestoreEventSink,
                                   reinterpret_cast<JET_API_PTR>(&RecordEvent), nullptr));
  g_events.clear();
  ASSERT_JET(JetRestoreInstance(inst, "/backup", "/restored", nullptr));
  ASSERT_GE(g_events.size(), 6u);
  EXPECT_EQ(g_events.front(), "{\"event\": \"restore_begin\", \"backup\": \"/backup\", \"dest\": \"/restored\"}");
  EXPECT_EQ(CountEvents("set_verified"), 1u);
  EXPECT_EQ(CountEvents("database_copied"), 1u);
  EXPECT_EQ(CountEvents("recovered"), 1u);
  const std::size_t replayed = CountEvents("generation_replayed");
  EXPECT_GE(replayed, 2u) << "the set's generation and the log path's later ones";
  const auto recovered = std::find_if(g_events.begin(), g_events.end(), [](const std::string& e) {
    return e.find("\"recovered\"") != std::string::npos;
  });
  ASSERT_NE(recovered, g_events.end());
  EXPECT_NE(recovered->find("\"generations_replayed\": " + std::to_string(replayed) + "}"), std::string::npos)
      << *recovered;
  EXPECT_NE(std::find_if(g_events.begin(), g_events.end(),
                         [](const std::string& e) {
                           return e.find("\"database_copied\"") != std::string::npos &&
                                  e.find("\"target\": \"/restored/test.edb\"") != std::string::npos;
                         }),
            g_events.end());
  EXPECT_EQ(g_events.back(), "{\"event\": \"result\", \"err\": 0, \"name\": \"JET_errSuccess\", \"detail\": \"\"}");
  JetTerm(inst);

  // A refused set: the result names the error and says why.
  std::vector<std::uint8_t> bytes;
  ASSERT_TRUE(faultfs::ReadWholeFile(fs_, "/backup/test.edb", &bytes).ok());
  std::uint8_t b = bytes[8192 * 3 + 100] ^ 0x40;
  ASSERT_TRUE(fs_.CorruptStored("/backup/test.edb", 8192 * 3 + 100, std::span(&b, 1)).ok());
  inst = Instance(true);
  ASSERT_JET(JetSetSystemParameter(&inst, JET_sesidNil, JET_paramRestoreEventSink,
                                   reinterpret_cast<JET_API_PTR>(&RecordEvent), nullptr));
  g_events.clear();
  EXPECT_JET_ERR(JET_errReadVerifyFailure, JetRestoreInstance(inst, "/backup", "/restored2", nullptr));
  ASSERT_FALSE(g_events.empty());
  EXPECT_EQ(g_events.back().rfind("{\"event\": \"result\", \"err\": -1018, \"name\": \"JET_errReadVerifyFailure\", "
                                  "\"detail\": \"/backup/test.edb: page 2 fails verification",
                                  0),
            0u)
      << g_events.back();
  EXPECT_EQ(CountEvents("set_verified"), 0u);
  JetTerm(inst);
}

}  // namespace
}  // namespace jet_test

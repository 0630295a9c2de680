// restore_fuzzer — the whole restore path: JetRestoreInstance on a damaged backup set
// and log path, under injected storage faults.
//
// Once per process a real backup set is made on MemFs (corpus/engine_scenario.h:
// /backup, later logs in /inst, the database at /data/main.edb). Each input is a script
// read with InputReader:
//   u8 n, then n edits of {u8 file, u8 action, u32 offset, blob bytes}: overwrite,
//   XOR, truncate at, or delete one of the set's or the log path's files;
//   the rest: a fault plan (faultfs/fault_plan.h, text or JSON). If it parses, the
//   restore runs on FaultFs(plan) over the edited MemFs.
// Checked:
//   * JetRestoreInstance returns success or a code from kAllowedRestoreErrors (the
//     codes ESE documents for it plus the corruption/mismanagement codes of the log
//     and database readers) — never an internal error, an API-misuse code or a code
//     the error table does not know;
//   * with no edits and no faults the restore succeeds;
//   * after a success, the restored database passes a physical check through the API
//     on the plain filesystem: soft recovery (JetInit) succeeds, the database
//     attaches, and every table scans from first to last record without an error.
// RESTORE_FUZZER_VERBOSE=1 prints each input's edits, rules and result.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/core.h>

#include "corpus/engine_scenario.h"
#include "faultfs/fault_fs.h"
#include "faultfs/fault_plan.h"
#include "faultfs/mem_fs.h"
#include "fuzz_check.h"

namespace {

using jetfault::fuzz::Bytes;
using jetfault::fuzz::InputReader;
namespace corpus = jetfault::corpus;

constexpr std::uint32_t kPageSize = 8192;

const std::set<JET_ERR> kAllowedRestoreErrors = {
    // documented for JetRestoreInstance (ese.md §1.1)
    JET_errInvalidLogSequence, JET_errInvalidParameter, JET_errInvalidPath, JET_errPageSizeMismatch,
    JET_errOutOfMemory, JET_errReadVerifyFailure, JET_errLogFileCorrupt, JET_errBadPageLink, JET_errMissingLogFile,
    JET_errAttachedDatabaseMismatch, JET_errDatabaseSharingViolation,
    // storage failures (core/io_error.h)
    JET_errDiskIO, JET_errDiskFull, JET_errLogDiskFull, JET_errFileNotFound, JET_errFileAccessDenied,
    JET_errLogWriteFail,
    // a damaged or mismatched backup set or log path (ese.md §3.2, §5)
    JET_errBadPatchPage, JET_errPatchFileMissing, JET_errDatabasePatchFileMismatch, JET_errEndingRestoreLogTooLow,
    JET_errStartingRestoreLogTooHigh, JET_errGivenLogFileHasBadSignature, JET_errGivenLogFileIsNotContiguous,
    JET_errMissingRestoreLogFiles, JET_errMissingCurrentLogFiles, JET_errLogTornWriteDuringHardRestore,
    JET_errLogTornWriteDuringHardRecovery, JET_errLogCorruptDuringHardRestore, JET_errLogCorruptDuringHardRecovery,
    JET_errExistingLogFileHasBadSignature, JET_errExistingLogFileIsNotContiguous, JET_errLogReadVerifyFailure,
    JET_errRestoreOfNonBackupDatabase, JET_errBadLogSignature, JET_errBadDbSignature, JET_errLogGenerationMismatch,
    JET_errBadLogVersion, JET_errLogFileSizeMismatch, JET_errLogSequenceChecksumMismatch, JET_errMissingPreviousLogFile,
    JET_errRequiredLogFilesMissing, JET_errCommittedLogFilesMissing, JET_errDatabaseLogSetMismatch,
    JET_errConsistentTimeMismatch, JET_errRedoAbruptEnded,
    // a damaged database copy or page (redo's checks)
    JET_errDbTimeTooOld, JET_errDbTimeTooNew, JET_errDbTimeBeyondMaxRequired, JET_errDatabaseCorrupted,
    JET_errPageNotInitialized, JET_errReadPgnoVerifyFailure, JET_errReadLostFlushVerifyFailure,
    JET_errInvalidDatabase, JET_errFileInvalidType, JET_errDatabaseDirtyShutdown, JET_errRecordTooBig,
    JET_errKeyTooBig, JET_errRecoveryVerifyFailure,
};

// The backup set, made once; every input edits a copy-on-write clone of it.
const faultfs::MemFs& BaseFiles() {
  static const std::unique_ptr<faultfs::MemFs> base = [] {
    corpus::ScenarioFiles files = corpus::RunEngineScenario(kPageSize, /*seed=*/1);
    return std::move(files.shut_down);
  }();
  return *base;
}

// The files an edit can name: the backup set's and the log path's, sorted.
std::vector<std::string> EditableFiles(faultfs::Vfs& fs) {
  std::vector<std::string> paths;
  for (const char* dir : {corpus::kBackupDir, corpus::kInstanceDir}) {
    std::vector<std::string> names;
    FUZZ_CHECK(fs.ListDir(dir, &names).ok());
    for (const auto& name : names) paths.push_back(faultfs::JoinPath(dir, name));
  }
  return paths;
}

// Applies the edit script; returns how many edits changed something.
int ApplyEdits(faultfs::MemFs& fs, InputReader& in) {
  const std::vector<std::string> files = EditableFiles(fs);
  const int count = in.U8() % 8;
  int applied = 0;
  for (int i = 0; i < count; ++i) {
    const std::string& path = files[in.U8() % files.size()];
    const std::uint8_t action = in.U8() % 4;
    const std::uint32_t offset_choice = in.U32();
    const std::vector<std::uint8_t> bytes = in.Blob(64);
    std::vector<std::uint8_t> data;
    if (!faultfs::ReadWholeFile(fs, path, &data).ok()) continue;  // deleted by an earlier edit
    const std::size_t offset = offset_choice % (data.size() + 1);
    if (action == 3) {
      FUZZ_CHECK(fs.Delete(path).ok());
      ++applied;
      continue;
    }
    if (action == 2) {
      data.resize(offset);
    } else {
      if (offset + bytes.size() > data.size()) data.resize(offset + bytes.size());
      for (std::size_t k = 0; k < bytes.size(); ++k) {
        data[offset + k] = action == 0 ? bytes[k] : static_cast<std::uint8_t>(data[offset + k] ^ bytes[k]);
      }
    }
    FUZZ_CHECK(faultfs::WriteWholeFile(fs, path, data).ok());
    ++applied;
  }
  return applied;
}

std::string UniqueName(const char* what) {
  static std::atomic<unsigned> counter{0};
  return fmt::format("{}-{}", what, counter++);
}

JET_INSTANCE MakeInstance(faultfs::Vfs* vfs, const char* what) {
  JET_INSTANCE instance = JET_instanceNil;
  FUZZ_CHECK(JetCreateInstance(&instance, UniqueName(what).c_str()) == JET_errSuccess);
  auto set = [&](unsigned long param, JET_API_PTR number, const char* text) {
    FUZZ_CHECK(JetSetSystemParameter(&instance, JET_sesidNil, param, number, text) == JET_errSuccess);
  };
  set(JET_paramVfs, reinterpret_cast<JET_API_PTR>(vfs), nullptr);
  set(JET_paramSystemPath, 0, corpus::kInstanceDir);
  set(JET_paramLogFilePath, 0, corpus::kInstanceDir);
  set(JET_paramLogFileSize, 64, nullptr);
  set(JET_paramDatabasePageSize, kPageSize, nullptr);
  return instance;
}

// The restored database, read back through the API on the plain filesystem.
void CheckRestoredDatabase(faultfs::MemFs& fs) {
  JET_INSTANCE instance = MakeInstance(&fs, "restore-check");
  const JET_ERR init = JetInit(&instance);
  if (init < 0) std::fprintf(stderr, "JetInit after a successful restore: %s\n", JetErrorName(init));
  FUZZ_CHECK(init >= 0);
  JET_SESID sesid = JET_sesidNil;
  FUZZ_CHECK(JetBeginSession(instance, &sesid, nullptr, nullptr) == JET_errSuccess);
  FUZZ_CHECK(JetAttachDatabase(sesid, corpus::kDatabasePath, 0) >= 0);
  JET_DBID dbid = JET_dbidNil;
  FUZZ_CHECK(JetOpenDatabase(sesid, corpus::kDatabasePath, nullptr, &dbid, 0) == JET_errSuccess);
  std::vector<char> names(4096);
  unsigned long size = 0;
  FUZZ_CHECK(JetGetTableNames(sesid, dbid, names.data(), static_cast<unsigned long>(names.size()), &size) ==
             JET_errSuccess);
  for (std::size_t at = 0; at < size && names[at] != '\0';) {
    const std::string table(names.data() + at);
    at += table.size() + 1;
    JET_TABLEID tableid = JET_tableidNil;
    FUZZ_CHECK(JetOpenTable(sesid, dbid, table.c_str(), nullptr, 0, 0, &tableid) == JET_errSuccess);
    std::vector<std::uint8_t> key(JET_cbKeyMost), value;
    JET_ERR err = JetMove(sesid, tableid, JET_MoveFirst, 0);
    for (int n = 0; err == JET_errSuccess && n < 100000; ++n, err = JetMove(sesid, tableid, JET_MoveNext, 0)) {
      unsigned long cb = 0;
      FUZZ_CHECK(JetRetrieveKey(sesid, tableid, key.data(), JET_cbKeyMost, &cb, 0) == JET_errSuccess);
      JET_ERR value_err = JetRetrieveCurrentValue(sesid, tableid, nullptr, 0, &cb);
      FUZZ_CHECK(value_err == JET_errSuccess || value_err == JET_errBufferTooSmall);
      value.resize(cb);
      FUZZ_CHECK(JetRetrieveCurrentValue(sesid, tableid, value.data(), cb, &cb) == JET_errSuccess);
    }
    if (err != JET_errNoCurrentRecord) std::fprintf(stderr, "scan of %s: %s\n", table.c_str(), JetErrorName(err));
    FUZZ_CHECK(err == JET_errNoCurrentRecord);
    FUZZ_CHECK(JetCloseTable(sesid, tableid) == JET_errSuccess);
  }
  FUZZ_CHECK(JetCloseDatabase(sesid, dbid, 0) == JET_errSuccess);
  FUZZ_CHECK(JetEndSession(sesid, 0) == JET_errSuccess);
  FUZZ_CHECK(JetTerm(instance) == JET_errSuccess);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  InputReader in(Bytes(data, size));
  std::unique_ptr<faultfs::MemFs> fs = BaseFiles().Clone();
  const int edits = ApplyEdits(*fs, in);
  const std::vector<std::uint8_t> rest = in.Rest();
  faultfs::FaultPlan plan;
  std::string plan_error;
  const bool faults = !rest.empty() &&
                      faultfs::ParseFaultPlan(std::string_view(reinterpret_cast<const char*>(rest.data()), rest.size()),
                                              &plan, &plan_error) &&
                      !plan.rules.empty();
  std::unique_ptr<faultfs::FaultFs> faulty;
  if (faults) faulty = std::make_unique<faultfs::FaultFs>(fs.get(), plan);
  faultfs::Vfs* vfs = faults ? static_cast<faultfs::Vfs*>(faulty.get()) : fs.get();

  JET_INSTANCE instance = MakeInstance(vfs, "restore");
  const JET_ERR err = JetRestoreInstance(instance, corpus::kBackupDir, nullptr, nullptr);
  JetTerm(instance);  // releases the instance whatever state the restore left it in
  static const bool verbose = std::getenv("RESTORE_FUZZER_VERBOSE") != nullptr;
  if (verbose) {
    std::fprintf(stderr, "restore_fuzzer: %d edits, %zu fault rules: %s (%d)\n", edits,
                 faults ? plan.rules.size() : 0, JetErrorName(err), err);
  }
  if (err < 0 && kAllowedRestoreErrors.count(err) == 0) {
    std::fprintf(stderr, "JetRestoreInstance returned %s (%d), not an allowed code\n", JetErrorName(err), err);
  }
  FUZZ_CHECK(err >= 0 || kAllowedRestoreErrors.count(err) == 1);
  if (edits == 0 && !faults) FUZZ_CHECK(err >= 0);
  if (err >= 0) {
    faulty.reset();
    CheckRestoredDatabase(*fs);
  }
  return 0;
}

#include "harness/core/errmap.h"

#include <fmt/format.h>

#include <algorithm>

namespace jetharness {

const char* FaultClassName(FaultClass fault) {
  switch (fault) {
    case FaultClass::kNone: return "none";
    case FaultClass::kCrash: return "crash";
    case FaultClass::kIoError: return "io_error";
    case FaultClass::kDiskFull: return "disk_full";
    case FaultClass::kOutOfMemory: return "out_of_memory";
    case FaultClass::kMissingLog: return "missing_log";
    case FaultClass::kCorruptPage: return "corrupt_page";
    case FaultClass::kCorruptCheckpoint: return "corrupt_checkpoint";
    case FaultClass::kCorruptLog: return "corrupt_log";
    case FaultClass::kTornLog: return "torn_log";
    case FaultClass::kForeignLog: return "foreign_log";
    case FaultClass::kSharingViolation: return "sharing_violation";
    case FaultClass::kBadArgument: return "bad_argument";
    case FaultClass::kLostWrite: return "lost_write";
    case FaultClass::kMisdirectedWrite: return "misdirected_write";
    case FaultClass::kForeignDatabase: return "foreign_database";
  }
  return "?";
}

bool ParseFaultClass(const std::string& name, FaultClass* out) {
  for (std::size_t i = 0; i < kFaultClassCount; ++i) {
    auto fault = static_cast<FaultClass>(i);
    if (name == FaultClassName(fault)) {
      *out = fault;
      return true;
    }
  }
  return false;
}

const char* FileRoleName(FileRole role) {
  switch (role) {
    case FileRole::kAny: return "any";
    case FileRole::kDatabase: return "database";
    case FileRole::kLog: return "log";
    case FileRole::kCheckpoint: return "checkpoint";
    case FileRole::kBackupSet: return "backup-set";
  }
  return "?";
}

const char* PhaseName(Phase phase) {
  switch (phase) {
    case Phase::kAny: return "any";
    case Phase::kApi: return "api";
    case Phase::kWorkload: return "workload";
    case Phase::kBackup: return "backup";
    case Phase::kRestore: return "restore";
    case Phase::kRecovery: return "recovery";
  }
  return "?";
}

namespace {

using FC = FaultClass;
using FR = FileRole;
using PH = Phase;

// Building blocks shared by several cells: each list is one idea, named once.
std::vector<JET_ERR> Join(std::initializer_list<std::vector<JET_ERR>> parts) {
  std::vector<JET_ERR> out;
  for (const auto& part : parts) out.insert(out.end(), part.begin(), part.end());
  std::sort(out.begin(), out.end(), [](JET_ERR a, JET_ERR b) { return a > b; });
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}
// After a fatal log or database write error an instance refuses further work.
const std::vector<JET_ERR> kFatal = {JET_errInstanceUnavailable};
const std::vector<JET_ERR> kOk = {JET_errSuccess};
const std::vector<JET_ERR> kEio = {JET_errDiskIO};
const std::vector<JET_ERR> kLogWrite = {JET_errLogWriteFail};
const std::vector<JET_ERR> kFull = {JET_errDiskFull, JET_errLogDiskFull};
const std::vector<JET_ERR> kOom = {JET_errOutOfMemory, JET_errOutOfBuffers};
const std::vector<JET_ERR> kPageDamage = {JET_errReadVerifyFailure,
                                          JET_errPageNotInitialized,
                                          JET_errReadPgnoVerifyFailure,
                                          JET_errReadLostFlushVerifyFailure,
                                          JET_errDatabaseCorrupted,
                                          JET_errBadPageLink,
                                          JET_errDbTimeTooOld,
                                          JET_errDbTimeTooNew,
                                          JET_errDbTimeBeyondMaxRequired,
                                          JET_errRecoveryVerifyFailure,
                                          JET_errInvalidDatabase};
// The trailer also carries the generation range the copy needs (-553/-554) and the
// page size (-1213) that restore checks against the set's logs.
const std::vector<JET_ERR> kBackupTrailer = {
    JET_errBadPatchPage,           JET_errDatabasePatchFileMismatch, JET_errRestoreOfNonBackupDatabase,
    JET_errEndingRestoreLogTooLow, JET_errStartingRestoreLogTooHigh, JET_errPageSizeMismatch};
const std::vector<JET_ERR> kLogDamage = {JET_errLogFileCorrupt,
                                         JET_errLogReadVerifyFailure,
                                         JET_errBadLogVersion,
                                         JET_errLogGenerationMismatch,
                                         JET_errLogFileSizeMismatch,
                                         JET_errRedoAbruptEnded,
                                         JET_errLogSequenceChecksumMismatch};
const std::vector<JET_ERR> kRestoreLogDamage = {JET_errLogCorruptDuringHardRestore,
                                                JET_errLogTornWriteDuringHardRestore};
const std::vector<JET_ERR> kLogPathDamageInRestore = {JET_errLogCorruptDuringHardRecovery,
                                                      JET_errLogTornWriteDuringHardRecovery};
const std::vector<JET_ERR> kGap = {JET_errMissingLogFile,          JET_errMissingPreviousLogFile,
                                   JET_errRequiredLogFilesMissing, JET_errCommittedLogFilesMissing,
                                   JET_errInvalidLogSequence,      JET_errCheckpointFileNotFound};
const std::vector<JET_ERR> kRestoreGap = {JET_errMissingRestoreLogFiles,
                                          JET_errStartingRestoreLogTooHigh,
                                          JET_errEndingRestoreLogTooLow,
                                          JET_errMissingLogFile,
                                          JET_errFileNotFound,
                                          JET_errInvalidLogSequence,
                                          JET_errRequiredLogFilesMissing,
                                          JET_errCommittedLogFilesMissing};
const std::vector<JET_ERR> kLogPathGap = {JET_errMissingCurrentLogFiles, JET_errExistingLogFileIsNotContiguous,
                                          JET_errInvalidLogSequence, JET_errMissingLogFile,
                                          JET_errCommittedLogFilesMissing};
const std::vector<JET_ERR> kLineage = {
    JET_errBadLogSignature,          JET_errInvalidLogSequence,     JET_errLogSequenceChecksumMismatch,
    JET_errLogGenerationMismatch,    JET_errBadCheckpointSignature, JET_errDatabaseLogSetMismatch,
    JET_errAttachedDatabaseMismatch, JET_errConsistentTimeMismatch};
const std::vector<JET_ERR> kGivenLineage = {JET_errGivenLogFileHasBadSignature, JET_errGivenLogFileIsNotContiguous,
                                            JET_errMissingRestoreLogFiles};
const std::vector<JET_ERR> kExistingLineage = {
    JET_errExistingLogFileHasBadSignature, JET_errExistingLogFileIsNotContiguous, JET_wrnExistingLogFileHasBadSignature,
    JET_wrnExistingLogFileIsNotContiguous};
const std::vector<JET_ERR> kShare = {JET_errDatabaseSharingViolation, JET_errFileAccessDenied, JET_errDatabaseInUse};
const std::vector<JET_ERR> kMisuse = {JET_errInvalidParameter,
                                      JET_errInvalidPath,
                                      JET_errPageSizeMismatch,
                                      JET_errAlreadyInitialized,
                                      JET_errInvalidInstance,
                                      JET_errRunningInOneInstanceMode,
                                      JET_errRunningInMultiInstanceMode,
                                      JET_errNotInitialized,
                                      JET_errAfterInitialization,
                                      JET_errSystemParamsAlreadySet,
                                      JET_errInvalidName,
                                      JET_errInvalidSesid,
                                      JET_errInvalidTableId,
                                      JET_errInvalidDatabaseId,
                                      JET_errInvalidGrbit,
                                      JET_errBadRestoreTargetInstance,
                                      JET_errNoBackupDirectory,
                                      JET_errBackupDirectoryNotEmpty,
                                      JET_errFileNotFound,
                                      JET_errDatabaseNotFound,
                                      JET_errInstanceNameInUse,
                                      JET_errInvalidDatabase,
                                      JET_errKeyTooBig,
                                      JET_errRecordTooBig,
                                      JET_errDatabaseInvalidName,
                                      JET_errInvalidBackup,
                                      JET_errNotInTransaction,
                                      JET_errInTransaction,
                                      JET_errObjectNotFound};

// A write the device acknowledged but dropped or stored elsewhere (scenario lost-write),
// one set of rows for each of the two classes: what was written is simply not where
// it belongs, so the codes are those of damage at rest in that file.
std::vector<ErrCell> DroppedWriteCells(FaultClass fault) {
  return {
      {fault, FR::kDatabase, PH::kAny, Join({kOk, kPageDamage, kFatal}),
       "a stale or clobbered page: ReadLostFlushVerifyFailure when the instance that wrote it reads it back, "
       "DbTimeTooOld when redo meets it, a page verification error when it holds another page; after a "
       "restart a stale page behind the checkpoint reads as valid (no persistent flush map): a restore repairs it"},
      {fault, FR::kLog, PH::kAny,
       Join({kOk, kLogDamage, kLineage, kGap, kFatal, {JET_errMissingFileToBackup, JET_errFileInvalidType}}),
       "a hole or a misplaced segment in a log (a clobbered header: FileInvalidType): refuse it (a backup: it "
       "cannot copy the generation), or recover every commit durable before the write"},
      {fault, FR::kCheckpoint, PH::kAny,
       Join({kOk, {JET_errCheckpointCorrupt, JET_errBadCheckpointSignature, JET_errFileInvalidType}}),
       "an older or misplaced checkpoint copy: recovery starts from the other copy or earlier, or refuses"},
      {fault, FR::kBackupSet, PH::kRestore,
       Join({kOk, kPageDamage, kBackupTrailer, kRestoreLogDamage, kLogDamage, kGivenLineage, kRestoreGap}),
       "a backup set the device damaged after the backup returned: restore must notice, or restore every "
       "durable commit"},
  };
}

std::vector<ErrCell> BuildTable() {
  std::vector<ErrCell> table = {
      // No fault active: the follow-up call must simply work.
      {FC::kNone, FR::kAny, PH::kRecovery, kOk,
       "after a crash, soft recovery (JetInit) of any crash image must succeed"},
      {FC::kNone, FR::kAny, PH::kRestore, kOk, "with faults removed, a restore from an intact backup set must succeed"},
      {FC::kNone, FR::kAny, PH::kAny, kOk, "no fault active: every call must succeed"},
      // Power loss: the interrupted call sees the device vanish (faultfs kCrashed -> DiskIO).
      {FC::kCrash, FR::kAny, PH::kAny, Join({kOk, kEio, kLogWrite, kFatal}),
       "the call running when the machine died sees the device fail; it may also have finished first"},
      // EIO.
      {FC::kIoError, FR::kLog, PH::kAny, Join({kOk, kEio, kLogWrite, kFatal}),
       "a failed log write or sync is fatal to the instance (ESE: LogWriteFail, then InstanceUnavailable)"},
      {FC::kIoError, FR::kDatabase, PH::kAny, Join({kOk, kEio, kLogWrite, kFatal, {JET_errReadVerifyFailure}}),
       "a failed page read or write; a failed read may surface as a verification failure"},
      {FC::kIoError, FR::kCheckpoint, PH::kRecovery, Join({kOk, kEio, kFatal, {JET_errCheckpointCorrupt}}),
       "recovery may fall back to scanning the logs when the checkpoint cannot be read"},
      {FC::kIoError, FR::kAny, PH::kAny, Join({kOk, kEio, kLogWrite, kFatal}),
       "any other file (checkpoint, backup set): the operation fails with the I/O error"},
      // ENOSPC.
      {FC::kDiskFull, FR::kLog, PH::kAny, Join({kOk, {JET_errLogDiskFull}, kLogWrite, kFatal}),
       "no room for a log generation: LogDiskFull (or LogWriteFail, then InstanceUnavailable), never the "
       "database's DiskFull"},
      {FC::kDiskFull, FR::kAny, PH::kAny, Join({kOk, kFull, kLogWrite, kFatal}),
       "no room for a database page, checkpoint or backup file: DiskFull"},
      // Allocation failure.
      {FC::kOutOfMemory, FR::kAny, PH::kAny, Join({kOk, kOom, kLogWrite, kFatal}),
       "every refused allocation becomes OutOfMemory at the API (a log buffer one may be fatal)"},
      // Missing generations.
      {FC::kMissingLog, FR::kLog, PH::kRecovery, Join({kOk, kGap}),
       "soft recovery with a generation missing from the log path; success only if no needed record was in it"},
      {FC::kMissingLog,
       FR::kBackupSet,
       PH::kRestore,
       {JET_errMissingLogFile},
       "restore with a generation missing from the backup set: every one of them is needed, refused as documented "
       "(docs/RESTORE.md)"},
      {FC::kMissingLog, FR::kLog, PH::kRestore, Join({kOk, kLogPathGap}),
       "restore with a generation missing from the log path: stop at the backup set or refuse the gap"},
      {FC::kMissingLog, FR::kLog, PH::kBackup, Join({kOk, {JET_errMissingFileToBackup, JET_errMissingLogFile}}),
       "backup when a generation it must copy is gone"},
      // Corruption at rest.
      {FC::kCorruptPage, FR::kDatabase, PH::kBackup, Join({kOk, kPageDamage}),
       "backup verifies every page checksum it streams"},
      {FC::kCorruptPage, FR::kBackupSet, PH::kRestore,
       Join({kOk,
             {JET_errReadVerifyFailure, JET_errReadPgnoVerifyFailure, JET_errPageNotInitialized, JET_errInvalidDatabase,
              JET_errBadPatchPage, JET_errDatabasePatchFileMismatch, JET_errRestoreOfNonBackupDatabase,
              JET_errStartingRestoreLogTooHigh, JET_errEndingRestoreLogTooLow, JET_errPageSizeMismatch,
              JET_errBadPageLink}}),
       "restore of a damaged database copy or trailer page: the codes docs/RESTORE.md (\"Damage: what restore "
       "may answer\") documents for a damaged database copy; never a recovery code (DbTime*, DatabaseCorrupted): "
       "the copy is verified before anything is replayed"},
      {FC::kCorruptPage, FR::kDatabase, PH::kAny, Join({kOk, kPageDamage, kFatal}),
       "a damaged page is detected when read (checksum, page number, dbtime): a verification error, never "
       "DiskIO (the device did not fail)"},
      {FC::kCorruptCheckpoint, FR::kCheckpoint, PH::kAny,
       Join({kOk, {JET_errCheckpointCorrupt, JET_errBadCheckpointSignature, JET_errFileInvalidType}}),
       "both checkpoint copies damaged; recovery may instead start from the oldest log"},
      {FC::kCorruptLog,
       FR::kBackupSet,
       PH::kRestore,
       {JET_errLogCorruptDuringHardRestore, JET_errLogGenerationMismatch},
       "corruption inside a backup-set log is never a torn tail: restore must fail with the documented code "
       "(docs/RESTORE.md: the log differs from what the backup wrote, or holds another generation)"},
      {FC::kCorruptLog, FR::kLog, PH::kRestore,
       Join({kOk,
             kLogPathDamageInRestore,
             kRestoreLogDamage,
             kLogDamage,
             kExistingLineage,
             {JET_errMissingCurrentLogFiles}}),
       "corruption in a log-path log during restore: fail (ESE picks -573/-570 or -574/-571 by whether the "
       "generation is inside the backup set's range, not by directory), or stop before it if nothing "
       "acknowledged is lost; a blanked current log behind later generations is MissingCurrentLogFiles"},
      {FC::kCorruptLog, FR::kLog, PH::kAny, Join({kOk, kLogDamage, kLineage}),
       "corruption before the durable end of the log: LogFileCorrupt; success only if no durable commit is lost"},
      {FC::kTornLog, FR::kLog, PH::kRecovery, kOk,
       "a torn unsynced log tail is what every crash leaves: soft recovery must succeed"},
      {FC::kTornLog,
       FR::kBackupSet,
       PH::kRestore,
       {JET_errMissingLogFile, JET_errInvalidLogSequence, JET_errLogGenerationMismatch,
        JET_errLogCorruptDuringHardRestore},
       "backup-set logs were complete when copied: a tear there is damage, refused with a code docs/RESTORE.md "
       "documents for a set log"},
      {FC::kTornLog, FR::kAny, PH::kAny, Join({kOk, kLogPathDamageInRestore, kLogDamage}),
       "an unsynced tail torn at a sector is a normal crash: recovery must succeed"},
      {FC::kForeignLog,
       FR::kBackupSet,
       PH::kRestore,
       {JET_errMissingLogFile, JET_errInvalidLogSequence, JET_errLogGenerationMismatch,
        JET_errLogCorruptDuringHardRestore},
       "a backup-set log from another lineage or out of order: restore must refuse the set with a code "
       "docs/RESTORE.md documents for a set log"},
      {FC::kForeignLog, FR::kLog, PH::kRestore, Join({kOk, kExistingLineage, kLineage, kLogPathGap}),
       "a log-path log from another lineage: refuse, or ignore it with a warning"},
      {FC::kForeignLog, FR::kAny, PH::kAny, Join({kOk, kLineage, kExistingLineage, kGap}),
       "soft recovery meeting a foreign or out-of-order generation"},
      // Another database's file at an attach path.
      {FC::kForeignDatabase, FR::kDatabase, PH::kRestore, Join({kOk, kLineage, kPageDamage}),
       "restore writes its own copy over whatever is at the destination path (or refuses it)"},
      {FC::kForeignDatabase, FR::kDatabase, PH::kAny, Join({kLineage, {JET_errBadDbSignature, JET_errInvalidDatabase}}),
       "soft recovery must not redo this log into another database: a signature or attach mismatch"},
      // Another handle holds a file.
      {FC::kSharingViolation, FR::kAny, PH::kAny, Join({kShare, kLogWrite, kFatal}),
       "a file held open without sharing by another handle"},
      // API misuse.
      {FC::kBadArgument, FR::kAny, PH::kAny, kMisuse,
       "invalid paths, handles, parameters or modes: a parameter error, nothing else"},
  };
  for (FaultClass dropped : {FC::kLostWrite, FC::kMisdirectedWrite}) {
    std::vector<ErrCell> cells = DroppedWriteCells(dropped);
    table.insert(table.end() - 1, cells.begin(), cells.end());  // before the API-misuse row
  }
  return table;
}

bool Matches(const ErrCell& cell, FaultClass fault, FileRole file, Phase phase, bool any_file, bool any_phase) {
  return cell.fault == fault && (any_file ? cell.file == FileRole::kAny : cell.file == file) &&
         (any_phase ? cell.phase == Phase::kAny : cell.phase == phase);
}

}  // namespace

const std::vector<ErrCell>& ErrorMapTable() {
  static const std::vector<ErrCell> table = BuildTable();
  return table;
}

int FindErrCell(FaultClass fault, FileRole file, Phase phase) {
  const auto& table = ErrorMapTable();
  for (auto [any_file, any_phase] : {std::pair{false, false}, {true, false}, {false, true}, {true, true}}) {
    for (std::size_t i = 0; i < table.size(); ++i) {
      if (Matches(table[i], fault, file, phase, any_file, any_phase)) return static_cast<int>(i);
    }
  }
  return -1;
}

std::string CodeLabel(JET_ERR code) { return fmt::format("{} ({})", JetErrorName(code), code); }

ErrMapCoverage::ErrMapCoverage() : exercised_(ErrorMapTable().size(), 0), codes_seen_(ErrorMapTable().size()) {}

std::string ErrMapCoverage::Check(FaultClass fault, FileRole file, Phase phase, JET_ERR code) {
  int index = FindErrCell(fault, file, phase);
  std::string where = fmt::format("{} on {} during {}", FaultClassName(fault), FileRoleName(file), PhaseName(phase));
  if (index < 0) {
    ++violations_;
    return fmt::format("{} returned {}: no error-map cell covers this site", where, CodeLabel(code));
  }
  auto cell = static_cast<std::size_t>(index);
  Add(cell, code, 1);
  const auto& allowed = ErrorMapTable()[cell].allowed;
  if (std::find(allowed.begin(), allowed.end(), code) != allowed.end()) return "";
  ++violations_;
  std::string list;
  for (JET_ERR a : allowed) list += (list.empty() ? "" : ", ") + std::string(JetErrorName(a));
  return fmt::format("{} returned {}, allowed: {}", where, CodeLabel(code), list);
}

void ErrMapCoverage::Add(std::size_t cell, JET_ERR code, std::uint64_t hits) {
  exercised_.at(cell) += hits;
  auto& seen = codes_seen_[cell];
  auto it = std::find_if(seen.begin(), seen.end(), [code](const auto& p) { return p.first == code; });
  if (it == seen.end()) {
    seen.push_back({code, hits});
  } else {
    it->second += hits;
  }
}

void ErrMapCoverage::Merge(const ErrMapCoverage& other) {
  for (std::size_t i = 0; i < exercised_.size(); ++i) {
    for (const auto& [code, n] : other.codes_seen_[i]) Add(i, code, n);
  }
  violations_ += other.violations_;
}

std::size_t ErrMapCoverage::exercised_cells() const {
  return static_cast<std::size_t>(std::count_if(exercised_.begin(), exercised_.end(), [](auto n) { return n > 0; }));
}

std::string ErrorMapMarkdown() {
  std::string out =
      "<!-- Generated by `jetfault errmap --markdown` from harness/src/harness/core/errmap.cc; do not edit.\n"
      "     harness_tests fails when this file differs from the generated text. -->\n"
      "# Error codes\n\n"
      "## Error map: which codes each injected fault may produce\n\n"
      "Every campaign of `jetfault run` checks API results against this table: fault class x site\n"
      "(the file the fault hit and the phase it hit in) -> the codes a call may return. Every failing call\n"
      "is checked, and so is every phase (recovery, restore, backup, workload) that succeeded as a whole,\n"
      "as `JET_errSuccess (0)`: a row without it means the fault must make that phase fail. Success is\n"
      "listed where the content check (the oracle) can still judge the outcome: it is never accepted on\n"
      "its own. `any` is a wildcard; the most specific row wins (fault+file+phase, then fault+phase, then\n"
      "fault+file, then fault alone).\n\n"
      "| fault | file | phase | allowed codes | why |\n"
      "|---|---|---|---|---|\n";
  for (const ErrCell& cell : ErrorMapTable()) {
    std::string codes;
    for (JET_ERR code : cell.allowed) codes += (codes.empty() ? "" : "<br>") + CodeLabel(code);
    out += fmt::format("| {} | {} | {} | {} | {} |\n", FaultClassName(cell.fault), FileRoleName(cell.file),
                       PhaseName(cell.phase), codes, cell.why);
  }
  out +=
      "\n## Every engine code\n\n"
      "From the engine's error table (`engine/include/jet/jet_errors.def`, via `JetErrorCount()`,\n"
      "`JetErrorAt()`, `JetErrorName()`, `JetErrorMessage()`). Names and values are ESE's.\n\n"
      "| code | value | meaning |\n"
      "|---|---|---|\n";
  for (std::size_t i = 0; i < JetErrorCount(); ++i) {
    JET_ERR code = JetErrorAt(i);
    out += fmt::format("| {} | {} | {} |\n", JetErrorName(code), code, JetErrorMessage(code));
  }
  return out;
}

std::string ErrorMapText() {
  std::string out;
  for (const ErrCell& cell : ErrorMapTable()) {
    out += fmt::format("{:<18} {:<10} {:<9}", FaultClassName(cell.fault), FileRoleName(cell.file),
                       PhaseName(cell.phase));
    std::string codes;
    for (JET_ERR code : cell.allowed) codes += (codes.empty() ? "" : " ") + std::string(JetErrorName(code));
    out += codes + "\n";
  }
  return out;
}

}  // namespace jetharness

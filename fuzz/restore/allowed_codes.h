// fuzz/restore/allowed_codes.h — the codes docs/RESTORE.md says JetRestoreInstance may
// return, and nothing else: restore_fuzzer fails on any other code.
#pragma once

#include <set>

#include "jet/jet.h"

namespace jetfault::fuzz {

inline const std::set<JET_ERR>& AllowedRestoreErrors() {
  static const std::set<JET_ERR> codes = {
      // "The four paths" and `szDest` (a path the system refuses; a target held open)
      JET_errInvalidParameter,
      JET_errInvalidPath,
      JET_errDatabaseSharingViolation,
      // `sz`: no manifest / a damaged manifest
      JET_errFileNotFound,
      JET_errReadVerifyFailure,
      // "Databases, in one pass" table and the "Damage" table's database-copy row
      JET_errPageSizeMismatch,
      JET_errReadPgnoVerifyFailure,
      JET_errPageNotInitialized,
      JET_errInvalidDatabase,
      JET_errBadPatchPage,
      JET_errDatabasePatchFileMismatch,
      JET_errRestoreOfNonBackupDatabase,
      JET_errStartingRestoreLogTooHigh,
      JET_errEndingRestoreLogTooLow,
      JET_errBadPageLink,
      JET_errAttachedDatabaseMismatch,
      JET_errOutOfMemory,
      // "Log choice" and the "Damage" table's log rows (never JET_errLogFileCorrupt)
      JET_errMissingLogFile,
      JET_errInvalidLogSequence,
      JET_errLogGenerationMismatch,
      JET_errLogCorruptDuringHardRestore,
      JET_errLogCorruptDuringHardRecovery,
      JET_errMissingCurrentLogFiles,
      // "I/O errors: through jet::IoError (docs/ERRORS.md)": what base/io_error.cc maps
      // a failed file operation to, and the error map's rows for the injected classes
      // (crash, io_error, disk_full, out_of_memory, sharing_violation)
      JET_errDiskIO,
      JET_errDiskFull,
      JET_errLogDiskFull,
      JET_errFileAccessDenied,
      JET_errDatabaseDuplicate,
      JET_errBackupDirectoryNotEmpty,
      JET_errLogWriteFail,
      JET_errInstanceUnavailable,
      JET_errOutOfBuffers,
  };
  return codes;
}

// A set forged by re-sealed edits (restore/script.h) can hold a log and a database that
// disagree behind checksums that hold — what no damage a checksum catches can do. Then
// recovery's own answers for that disagreement are allowed too (docs/RESTORE.md, "A
// forged set"): a page older or newer than the record redone on it, a page or record
// content that does not fit, a database header older than the log's attach.
inline const std::set<JET_ERR>& ForgedSetExtraErrors() {
  static const std::set<JET_ERR> codes = {
      JET_errDbTimeTooOld,
      JET_errDbTimeTooNew,
      JET_errDatabaseCorrupted,
      JET_errConsistentTimeMismatch,
  };
  return codes;
}

}  // namespace jetfault::fuzz

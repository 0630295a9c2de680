// base/io_error.h — the one place where faultfs errors become JET_err codes.
//
// Every engine call site that touches storage passes a failed faultfs::Status through
// IoError() with the kind of file it was working on. docs/ERRORS.md documents this
// mapping. A few call sites look at faultfs::ErrorCode first, for the outcomes that
// are not a storage failure there: an absence that is expected (no log directory yet,
// a generation or file already gone, no manifest in a backup directory), a directory
// that already exists, a generation a backup still holds open (left for later), and
// two that have a code of their own: a missing checkpoint file
// (JET_errCheckpointFileNotFound) and a backup or destination path that names no
// directory (JET_errInvalidPath).
#pragma once

#include "faultfs/status.h"
#include "jet/jet.h"

namespace jet {

// What the failing operation was touching: decides between codes that ESE
// distinguishes by file (e.g. a missing log vs a missing database).
enum class FileKind { kDatabase, kLog, kCheckpoint, kBackupSet, kOther };

// OK -> JET_errSuccess; not_found -> JET_errFileNotFound (JET_errMissingLogFile for
// logs); io_error -> JET_errDiskIO; disk_full -> JET_errDiskFull (JET_errLogDiskFull
// for logs); sharing_violation -> JET_errDatabaseSharingViolation for databases,
// JET_errFileAccessDenied otherwise; access_denied -> JET_errFileAccessDenied;
// invalid_path -> JET_errInvalidPath; already_exists -> JET_errDatabaseDuplicate for
// databases, JET_errFileAccessDenied otherwise; not_empty -> JET_errBackupDirectoryNotEmpty
// for backup sets, JET_errFileAccessDenied otherwise; crashed -> JET_errDiskIO.
JET_ERR IoError(const faultfs::Status& status, FileKind kind);

// Records the message of the last failing call on this thread so tools can print
// "jetutil: JET_errName (code): message". Every error path should set it.
void SetLastErrorDetail(std::string detail);
const std::string& LastErrorDetail();

}  // namespace jet

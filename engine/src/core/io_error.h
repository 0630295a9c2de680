// core/io_error.h — the one place where faultfs errors become JET_err codes.
//
// Every engine call site that touches storage passes the faultfs::Status through
// IoError() with the kind of file it was working on; nothing else in the engine
// inspects faultfs::ErrorCode. docs/ERRORS.md documents this mapping.
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

#include "base/io_error.h"

#include <string>

namespace jet {

JET_ERR IoError(const faultfs::Status& status, FileKind kind) {
  using faultfs::ErrorCode;
  switch (status.code()) {
    case ErrorCode::kOk: return JET_errSuccess;
    case ErrorCode::kNotFound: return kind == FileKind::kLog ? JET_errMissingLogFile : JET_errFileNotFound;
    case ErrorCode::kIoError:
    case ErrorCode::kCrashed: return JET_errDiskIO;
    case ErrorCode::kDiskFull: return kind == FileKind::kLog ? JET_errLogDiskFull : JET_errDiskFull;
    case ErrorCode::kSharingViolation:
      return kind == FileKind::kDatabase ? JET_errDatabaseSharingViolation : JET_errFileAccessDenied;
    case ErrorCode::kAccessDenied: return JET_errFileAccessDenied;
    case ErrorCode::kInvalidPath: return JET_errInvalidPath;
    case ErrorCode::kAlreadyExists:
      return kind == FileKind::kDatabase ? JET_errDatabaseDuplicate : JET_errFileAccessDenied;
    case ErrorCode::kNotEmpty:
      return kind == FileKind::kBackupSet ? JET_errBackupDirectoryNotEmpty : JET_errFileAccessDenied;
  }
  return JET_errDiskIO;
}

namespace {
thread_local std::string g_last_detail;
}  // namespace

void SetLastErrorDetail(std::string detail) { g_last_detail = std::move(detail); }
const std::string& LastErrorDetail() { return g_last_detail; }

}  // namespace jet

const char* JetGetLastErrorDetail() { return jet::LastErrorDetail().c_str(); }

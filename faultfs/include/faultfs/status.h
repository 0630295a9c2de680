// faultfs/status.h — the result of every faultfs operation.
//
// A Status is either OK or a typed error plus a human-readable message. faultfs
// never throws into its callers and never lets errno escape: every backend maps
// its native failures onto this small closed set, so the engine can map each
// one onto exactly one JET_err in one place.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace faultfs {

enum class ErrorCode : std::uint8_t {
  kOk = 0,
  kNotFound,          // file or directory does not exist
  kSharingViolation,  // an open handle's share mode forbids this access
  kAccessDenied,      // permissions, read-only handle, or a directory where a file was expected
  kIoError,           // the device failed the operation (EIO)
  kDiskFull,          // no space left (ENOSPC)
  kInvalidPath,       // empty, malformed, or too long a path
  kAlreadyExists,     // exclusive create of an existing name
  kNotEmpty,          // removing a directory that still has entries
  kCrashed,           // the simulated machine has crashed; nothing more reaches storage
};

// Stable lowercase name, e.g. "sharing_violation"; used in traces and fault plans.
std::string_view ErrorCodeName(ErrorCode code);
// Inverse of ErrorCodeName; returns false for an unknown name.
bool ParseErrorCode(std::string_view name, ErrorCode* out);

class [[nodiscard]] Status {
 public:
  Status() = default;
  static Status Ok() { return Status(); }
  static Status Error(ErrorCode code, std::string message) { return Status(code, std::move(message)); }

  bool ok() const { return code_ == ErrorCode::kOk; }
  ErrorCode code() const { return code_; }
  const std::string& message() const { return message_; }
  // "sharing_violation: /db/edb.log is open without FILE_SHARE_WRITE"
  std::string ToString() const;

 private:
  Status(ErrorCode code, std::string message) : code_(code), message_(std::move(message)) {}
  ErrorCode code_ = ErrorCode::kOk;
  std::string message_;
};

}  // namespace faultfs

// tools/jetutil/cli.h — what every jetutil subcommand shares: the global options, the
// exit-status policy and how an engine error is reported.
//
// Exit status (docs/JETUTIL.md):  0 success;  1 the engine returned an error;
// 2 a usage error (bad options, malformed input). Command code reports failures by
// throwing JetFailure or UsageError; main() turns them into the status and the message,
// so every subcommand fails the same way.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

#include <nlohmann/json.hpp>

#include "jet/jet.h"

namespace jetutil {

// Key order is kept as written, so --json output reads in the same order as the text.
using Json = nlohmann::ordered_json;

enum ExitStatus : int { kExitOk = 0, kExitEngineError = 1, kExitUsage = 2 };

// Options accepted by every subcommand (CLI11 lets them fall through to the app).
struct GlobalOptions {
  bool json = false;                               // --json: machine-readable stdout
  bool verbose = false;                            // -v: restore events (JSON lines) on stderr
  std::optional<std::uint32_t> page_size;          // --page-size BYTES
  std::optional<std::uint32_t> log_file_size_kib;  // --log-file-size KIB
};

// An engine call failed: `err` is its JET_err, `context` says what jetutil was doing.
// `details` (optional) is merged into the --json error report (e.g. damaged pages).
class JetFailure : public std::runtime_error {
 public:
  JetFailure(JET_ERR err, const std::string& context, Json details = Json::object())
      : std::runtime_error(context), err_(err), details_(std::move(details)) {}
  JET_ERR err() const { return err_; }
  const Json& details() const { return details_; }

 private:
  JET_ERR err_;
  Json details_;
};

// The user asked for something that cannot be done (bad input line, bad option mix).
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws JetFailure when err is an error (< 0). Warnings (> 0) pass.
// The engine's own detail (JetGetLastErrorDetail: which file, what was wrong) follows
// the context, so a refusal says why and not only what.
inline void CheckJet(JET_ERR err, const std::string& context) {
  if (err >= 0) return;
  const std::string detail = JetGetLastErrorDetail();
  if (detail.empty()) throw JetFailure(err, context);
  throw JetFailure(err, context + ": " + detail, Json{{"detail", detail}});
}

// stderr: "jetutil: JET_errName (code): message: context"; with --json also stdout:
// {"err": code, "name": "JET_errName", "message": ..., "context": ..., details...}.
// Returns 1.
int ReportJetFailure(const JetFailure& failure, const GlobalOptions& options);
// stderr: "jetutil: message". Returns 2.
int ReportUsageError(const UsageError& error);

// Prints a command's result: the JSON document with --json, else the text.
void PrintResult(const GlobalOptions& options, const Json& json, std::string_view text);

}  // namespace jetutil

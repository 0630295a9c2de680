#include "cli.h"

#include <cstdio>
#include <iostream>

namespace jetutil {

int ReportJetFailure(const JetFailure& failure, const GlobalOptions& options) {
  const JET_ERR err = failure.err();
  std::fprintf(stderr, "jetutil: %s (%d): %s: %s\n", JetErrorName(err), err, JetErrorMessage(err), failure.what());
  if (options.json) {
    Json report = {
        {"err", err}, {"name", JetErrorName(err)}, {"message", JetErrorMessage(err)}, {"context", failure.what()}};
    report.update(failure.details());
    std::cout << report.dump() << '\n';
  }
  return kExitEngineError;
}

int ReportUsageError(const UsageError& error) {
  std::fprintf(stderr, "jetutil: %s\n", error.what());
  return kExitUsage;
}

void PrintResult(const GlobalOptions& options, const Json& json, std::string_view text) {
  if (options.json) {
    std::cout << json.dump(2) << '\n';
  } else {
    std::cout << text;
  }
  std::cout.flush();
}

}  // namespace jetutil

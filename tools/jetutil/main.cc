// tools/jetutil/main.cc — `jetutil`, an esentutl-like command-line tool for jetfault
// databases, logs and backup sets. Reference: docs/JETUTIL.md.
#include <exception>
#include <memory>
#include <vector>

#include <CLI/CLI.hpp>

#include "cli.h"
#include "commands.h"

int main(int argc, char** argv) {
  using namespace jetutil;
  GlobalOptions globals;
  CLI::App app{"jetutil: inspect, load, back up and restore jetfault databases and logs", "jetutil"};
  app.require_subcommand(1);
  // Global options may be written before or after the subcommand.
  app.fallthrough();
  app.add_flag("--json", globals.json, "Machine-readable output on stdout (errors as {\"err\": code, ...})");
  app.add_flag("-v,--verbose", globals.verbose, "Restore: print the engine's structured events (JSON lines) on stderr");
  app.add_option("--page-size", globals.page_size, "Database page size in bytes (JET_paramDatabasePageSize)")
      ->check(CLI::IsMember({4096, 8192, 16384, 32768}));
  app.add_option("--log-file-size", globals.log_file_size_kib, "Log generation size in KiB (JET_paramLogFileSize)")
      ->check(CLI::Range(64, 65536));

  const std::vector<Command> commands = {
      AddLoadCommand(app, globals),    AddBackupCommand(app, globals), AddRestoreCommand(app, globals),
      AddRecordsCommand(app, globals), AddDumpCommand(app, globals),   AddCheckCommand(app, globals),
      AddRecoverCommand(app, globals),
  };

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version are "errors" with status 0; every real parse error is usage.
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  try {
    for (const Command& command : commands) {
      if (command.subcommand->parsed()) command.run();
    }
  } catch (const JetFailure& failure) {
    return ReportJetFailure(failure, globals);
  } catch (const UsageError& error) {
    return ReportUsageError(error);
  } catch (const std::bad_alloc&) {
    return ReportJetFailure(JetFailure(JET_errOutOfMemory, "jetutil"), globals);
  }
  return kExitOk;
}

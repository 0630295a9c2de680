// tools/jetutil/commands.h — the subcommands. Each Add*Command declares one
// subcommand's options on the CLI11 app and returns the function that runs it once
// parsing has succeeded. A runner returns normally on success and throws JetFailure or
// UsageError on failure (cli.h); main() maps those onto the exit status.
#pragma once

#include <functional>

#include <CLI/CLI.hpp>

#include "cli.h"

namespace jetutil {

struct Command {
  CLI::App* subcommand = nullptr;
  std::function<void()> run;
};

Command AddLoadCommand(CLI::App& app, const GlobalOptions& globals);     // commands/load.cc
Command AddBackupCommand(CLI::App& app, const GlobalOptions& globals);   // commands/backup.cc
Command AddRestoreCommand(CLI::App& app, const GlobalOptions& globals);  // commands/restore.cc
Command AddRecordsCommand(CLI::App& app, const GlobalOptions& globals);  // commands/records.cc
Command AddDumpCommand(CLI::App& app, const GlobalOptions& globals);     // commands/dump.cc
Command AddCheckCommand(CLI::App& app, const GlobalOptions& globals);    // commands/check.cc
Command AddRecoverCommand(CLI::App& app, const GlobalOptions& globals);  // commands/recover.cc

}  // namespace jetutil

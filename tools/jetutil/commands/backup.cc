// jetutil backup — a full (or --incremental) backup of an instance's databases and
// logs into a directory: JetInit (soft recovery), JetBackupInstance, clean shutdown.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "commands.h"
#include "instance.h"
#include "progress.h"

namespace jetutil {

namespace {

struct BackupOptions {
  std::string system_path;
  std::string log_path;
  std::string to;
  bool incremental = false;
  bool circular_log = false;
  bool logs_only = false;
  std::vector<std::string> databases;
};

void RunBackup(const BackupOptions& options, const GlobalOptions& globals) {
  // JetInit after a clean shutdown attaches no database, so a full backup without --db
  // would write a set of logs alone, which cannot restore any database. Refused before
  // anything is touched, unless that is what the user asks for.
  if (!options.incremental && options.databases.empty() && !options.logs_only) {
    throw UsageError(
        "backup: no database to back up: name each database with --db FILE (a clean shutdown detaches them), "
        "or pass --logs-only for a set that holds only the logs");
  }
  Instance instance(MakeInstanceConfig(globals, options.system_path, options.log_path, options.circular_log));
  instance.Init();
  {
    // A clean shutdown detaches databases; --db attaches them again for the backup.
    Session session(instance);
    for (const std::string& db : options.databases) {
      const std::string path = std::filesystem::absolute(db).lexically_normal().string();
      CheckJet(JetAttachDatabase(session.id(), path.c_str(), 0), "attaching " + path);
    }
    const std::string to = std::filesystem::absolute(options.to).lexically_normal().string();
    const JET_GRBIT grbit = options.incremental ? JET_bitBackupIncremental : 0;
    CheckJet(JetBackupInstance(instance.handle(), to.c_str(), grbit, globals.json ? nullptr : ShowProgress),
             "backing up to " + to);
  }
  instance.Term();
  const Json result = {
      {"backup", options.to}, {"incremental", options.incremental}, {"databases", options.databases.size()}};
  PrintResult(globals, result,
              fmt::format("{} backup written to {}{}\n", options.incremental ? "incremental" : "full", options.to,
                          options.incremental ? std::string()
                                              : fmt::format(" ({} database{})", options.databases.size(),
                                                            options.databases.size() == 1 ? "" : "s")));
}

}  // namespace

Command AddBackupCommand(CLI::App& app, const GlobalOptions& globals) {
  auto options = std::make_shared<BackupOptions>();
  CLI::App* sub = app.add_subcommand("backup", "Back up an instance (JetBackupInstance)");
  sub->add_option("--system-path", options->system_path, "Checkpoint directory")->required();
  sub->add_option("--log-path", options->log_path, "Log directory")->required();
  sub->add_option("--to", options->to, "Backup directory")->required();
  sub->add_flag("--incremental", options->incremental, "Copy only the logs since the last backup");
  sub->add_option("--db", options->databases, "Attach this database first (repeatable)");
  sub->add_flag("--circular-log", options->circular_log, "Circular logging (JET_paramCircularLog)");
  sub->add_flag("--logs-only", options->logs_only, "Allow a full backup without --db: a set of logs only");
  return {sub, [options, &globals] { RunBackup(*options, globals); }};
}

}  // namespace jetutil

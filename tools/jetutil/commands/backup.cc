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
  std::vector<std::string> databases;
};

void RunBackup(const BackupOptions& options, const GlobalOptions& globals) {
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
  const Json result = {{"backup", options.to}, {"incremental", options.incremental}};
  PrintResult(globals, result,
              fmt::format("{} backup written to {}\n", options.incremental ? "incremental" : "full", options.to));
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
  return {sub, [options, &globals] { RunBackup(*options, globals); }};
}

}  // namespace jetutil

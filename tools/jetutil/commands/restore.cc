// jetutil restore — JetRestoreInstance: copies a backup set's databases to their
// original paths (or --dest), replays the set's logs and then the log path's, and
// leaves clean databases. Progress goes to stderr.
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <fmt/core.h>

#include "commands.h"
#include "instance.h"
#include "progress.h"

namespace jetutil {

namespace {

struct RestoreOptions {
  std::string backup_dir;
  std::string system_path;
  std::string log_path;
  std::optional<std::string> dest;
  bool circular_log = false;
};

void RunRestore(const RestoreOptions& options, const GlobalOptions& globals) {
  Instance instance(MakeInstanceConfig(globals, options.system_path, options.log_path, options.circular_log));
  const std::string from = std::filesystem::absolute(options.backup_dir).lexically_normal().string();
  std::optional<std::string> dest;
  if (options.dest) dest = std::filesystem::absolute(*options.dest).lexically_normal().string();
  CheckJet(JetRestoreInstance(instance.handle(), from.c_str(), dest ? dest->c_str() : nullptr,
                              globals.json ? nullptr : ShowProgress),
           "restoring from " + from);
  const Json result = {{"restored_from", options.backup_dir},
                                 {"dest", options.dest ? Json(*options.dest) : Json()}};
  PrintResult(globals, result, fmt::format("restored {}\n", options.backup_dir));
}

}  // namespace

Command AddRestoreCommand(CLI::App& app, const GlobalOptions& globals) {
  auto options = std::make_shared<RestoreOptions>();
  CLI::App* sub = app.add_subcommand("restore", "Restore and recover a backup set (JetRestoreInstance)");
  sub->add_option("DIR", options->backup_dir, "Backup set directory")->required();
  sub->add_option("--system-path", options->system_path, "Checkpoint directory")->required();
  sub->add_option("--log-path", options->log_path, "Log directory")->required();
  sub->add_option("--dest", options->dest, "Restore the databases into this directory");
  sub->add_flag("--circular-log", options->circular_log, "Circular logging (JET_paramCircularLog)");
  return {sub, [options, &globals] { RunRestore(*options, globals); }};
}

}  // namespace jetutil

// jetutil recover — soft recovery only: JetInit replays the log path's logs from the
// checkpoint, then JetTerm shuts down cleanly, leaving consistent databases.
#include <memory>
#include <string>

#include <fmt/core.h>

#include "commands.h"
#include "instance.h"

namespace jetutil {

namespace {

struct RecoverOptions {
  std::string system_path;
  std::string log_path;
  bool circular_log = false;
};

void RunRecover(const RecoverOptions& options, const GlobalOptions& globals) {
  Instance instance(MakeInstanceConfig(globals, options.system_path, options.log_path, options.circular_log));
  instance.Init();
  instance.Term();
  PrintResult(globals, Json{{"recovered", options.log_path}}, fmt::format("recovered {}\n", options.log_path));
}

}  // namespace

Command AddRecoverCommand(CLI::App& app, const GlobalOptions& globals) {
  auto options = std::make_shared<RecoverOptions>();
  CLI::App* sub = app.add_subcommand("recover", "Soft recovery (JetInit + JetTerm)");
  sub->add_option("--system-path", options->system_path, "Checkpoint directory")->required();
  sub->add_option("--log-path", options->log_path, "Log directory")->required();
  sub->add_flag("--circular-log", options->circular_log, "Circular logging (JET_paramCircularLog)");
  return {sub, [options, &globals] { RunRecover(*options, globals); }};
}

}  // namespace jetutil

// jetutil restore — JetRestoreInstance: copies a backup set's databases to their
// original paths (or --dest), replays the set's logs and then the log path's, and
// leaves clean databases. Progress goes to stderr; one summary line ends it.
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include <fmt/core.h>

#include "commands.h"
#include "file_io.h"
#include "format/backup_manifest.h"
#include "format/checkpoint.h"
#include "instance.h"
#include "progress.h"

namespace jetutil {

namespace {

namespace format = jet::format;

struct RestoreOptions {
  std::string backup_dir;
  std::string system_path;
  std::string log_path;
  std::optional<std::string> dest;
  bool circular_log = false;
  std::optional<std::uint64_t> link_memory;
};

// What the summary line reports, read from the set's manifest (databases, bytes, the
// first generation) and, after the restore, from the instance's checkpoint: recovery
// always continues in a new generation after the last one it replayed, so the
// checkpoint's generation minus the set's first is the number of generations replayed.
struct SetFacts {
  std::size_t databases = 0;
  std::uint64_t bytes = 0;
  std::int32_t gen_low = 0;
};

SetFacts ReadSetFacts(const std::string& set_dir) {
  const std::vector<std::uint8_t> bytes = ReadWholeFile(set_dir + "/jetbackup.manifest");
  format::BackupManifest manifest;
  CheckJet(format::DecodeBackupManifest(bytes, &manifest), "reading the manifest of " + set_dir);
  SetFacts facts;
  facts.databases = manifest.dbs.size();
  facts.gen_low = manifest.gen_low;
  for (const format::BackupDbEntry& db : manifest.dbs)
    facts.bytes += (std::uint64_t{db.pgno_last} + 3) * manifest.page_size;
  for (const format::BackupLogEntry& log : manifest.logs) facts.bytes += log.size;
  return facts;
}

std::int32_t GenerationsReplayed(const std::string& system_path, std::int32_t gen_low) {
  const std::vector<std::uint8_t> file = ReadWholeFile(system_path + "/edb.chk");
  format::Checkpoint checkpoint;
  for (std::size_t copy = 0; copy < 2; ++copy) {
    if (format::DecodeCheckpoint(Slice(file, copy * format::kCheckpointCopySize, format::kCheckpointCopySize),
                                 &checkpoint) == JET_errSuccess) {
      return checkpoint.checkpoint.generation - gen_low;
    }
  }
  throw JetFailure(JET_errCheckpointCorrupt, "reading " + system_path + "/edb.chk after the restore");
}

void RunRestore(const RestoreOptions& options, const GlobalOptions& globals) {
  InstanceConfig config = MakeInstanceConfig(globals, options.system_path, options.log_path, options.circular_log);
  config.restore_link_memory = options.link_memory;
  Instance instance(config);
  const std::string from = std::filesystem::absolute(options.backup_dir).lexically_normal().string();
  std::optional<std::string> dest;
  if (options.dest) dest = std::filesystem::absolute(*options.dest).lexically_normal().string();
  const auto start = std::chrono::steady_clock::now();
  CheckJet(JetRestoreInstance(instance.handle(), from.c_str(), dest ? dest->c_str() : nullptr,
                              globals.json ? nullptr : ShowProgress),
           "restoring from " + from);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  // Read after the restore: JetRestoreInstance verified the manifest, so a damaged one
  // has already been reported as the engine's error.
  const SetFacts facts = ReadSetFacts(from);
  const std::int32_t replayed = GenerationsReplayed(config.system_path, facts.gen_low);
  const Json result = {{"restored_from", options.backup_dir},
                       {"dest", options.dest ? Json(*options.dest) : Json()},
                       {"databases", facts.databases},
                       {"generations_replayed", replayed},
                       {"bytes", facts.bytes},
                       {"seconds", seconds}};
  PrintResult(globals, result,
              fmt::format("restored {}: {} database{}, {} log generation{} replayed, {:.1f} MiB, {:.2f} s\n",
                          options.backup_dir, facts.databases, facts.databases == 1 ? "" : "s", replayed,
                          replayed == 1 ? "" : "s", static_cast<double>(facts.bytes) / (1 << 20), seconds));
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
  sub->add_option("--link-memory", options->link_memory,
                  "Memory for the page link tables (JET_paramRestoreLinkMemoryMax; e.g. 1M; default 8M); "
                  "larger tables go to <database>.jetlinks scratch files")
      ->transform(CLI::AsSizeValue(false))
      ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{1} << 40));
  return {sub, [options, &globals] { RunRestore(*options, globals); }};
}

}  // namespace jetutil

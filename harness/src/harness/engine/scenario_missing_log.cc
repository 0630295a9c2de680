// missing-log: a log generation deleted from the backup set or from the log path.
#include <fmt/format.h>

#include "harness/engine/scenarios.h"

namespace jetharness {

namespace {

// Which generation of a list a variant removes.
enum class Pick { kFirst, kMiddle, kLast };
const char* PickName(Pick p) { return p == Pick::kFirst ? "first" : (p == Pick::kMiddle ? "middle" : "last"); }

std::optional<std::int32_t> PickGeneration(const std::vector<std::int32_t>& gens, Pick pick) {
  if (gens.empty()) return std::nullopt;
  switch (pick) {
    case Pick::kFirst: return gens.front();
    case Pick::kMiddle: return gens[gens.size() / 2];
    case Pick::kLast: return gens.back();
  }
  return std::nullopt;
}

void RunMissingLog(CaseContext& ctx) {
  Env env = MakeLogHeavyEnv(ctx.seed());
  Baseline base = MakeBaseline(env, 5, true);
  const Layout& layout = env.settings.layout;
  const Model& model = base.run.model;
  PrefixWindow durable{model.MinPrefix(), model.MaxPrefix()};
  PrefixWindow since_backup{base.run.commits_at_backup, model.MaxPrefix()};
  std::vector<std::int32_t> backup_gens = ArchivedGenerations(*base.after, layout.backup_dir);
  std::vector<std::int32_t> path_gens = ArchivedGenerations(*base.after, layout.log_dir);

  // Removes `path`; the repair puts the original back.
  auto missing = [&](std::uint64_t step, FileRole role, Reopen how, PrefixWindow success, const std::string& path) {
    FileFault f;
    f.fault = FaultClass::kMissingLog;
    f.role = role;
    f.description = fmt::format("delete {} then {}", path, how == Reopen::kRestore ? "restore" : "soft recovery");
    f.attempt = how;
    f.success_window = success;
    f.damage = [path](faultfs::MemFs& disk) {
      faultfs::Status s = disk.Delete(path);
      if (s.ok()) s = disk.SyncDir(faultfs::ParentPath(path));
      if (!s.ok()) throw std::runtime_error("delete " + path + ": " + s.ToString());
    };
    f.repair = [&base, path](faultfs::MemFs& disk) { CopyFile(*base.after, &disk, path); };
    f.repair_how = how;
    f.repair_window = durable;
    RunFileFault(ctx, step, env, base, f);
  };

  std::uint64_t step = 0;
  // 0-2: a generation missing from the backup set (restore).
  for (Pick pick : {Pick::kFirst, Pick::kMiddle, Pick::kLast}) {
    auto gen = PickGeneration(backup_gens, pick);
    if (gen) {
      missing(step, FileRole::kBackupSet, Reopen::kRestore, since_backup,
              layout.backup_dir + "/" + ArchivedLogName(*gen));
    } else {
      SkipStep(ctx, step, "no archived generation in the backup set");
    }
    ++step;
  }
  // 3-6 (restore) and 7-10 (soft recovery): first/middle/last archived generation of
  // the log path, then the current generation edb.log.
  for (Reopen how : {Reopen::kRestore, Reopen::kSoftRecovery}) {
    PrefixWindow success = how == Reopen::kRestore ? since_backup : durable;
    for (Pick pick : {Pick::kFirst, Pick::kMiddle, Pick::kLast}) {
      auto gen = PickGeneration(path_gens, pick);
      if (gen) {
        missing(step, FileRole::kLog, how, success, layout.log_dir + "/" + ArchivedLogName(*gen));
      } else {
        SkipStep(ctx, step, fmt::format("no {} archived generation in the log path", PickName(pick)));
      }
      ++step;
    }
    missing(step++, FileRole::kLog, how, success, layout.CurrentLogPath());
  }
}

}  // namespace

Scenario MissingLogScenario() {
  return Scenario{
      "missing-log",
      "first/middle/last/current generation missing, in the backup set and in the log path",
      "After a workload spread over several log generations with a full backup in the middle, one generation "
      "is deleted: the first, middle or last one of the backup set (then restore), or the first, middle, last "
      "archived or current one of the log path (then restore, and separately soft recovery). A refusal must "
      "use a missing-log code; a success must still show at least the backup moment (restore) or every durable "
      "commit (soft recovery). After a refusal the file is put back and the same operation must succeed with "
      "every durable commit.",
      20,
      RunMissingLog};
}

}  // namespace jetharness

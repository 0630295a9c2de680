// foreign-log: a generation from another lineage, or generations out of order.
#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "harness/engine/scenarios.h"

namespace jetharness {

namespace {

// Snapshots of the disk taken during the baseline's own run, before every sync of the
// current log (each one a moment when the log was shorter than it ended up).
struct LogSnapshots {
  std::vector<std::unique_ptr<faultfs::MemFs>> disks;
  std::function<void(Machine&, const faultfs::TraceEvent&)> Hook(const Layout& layout) {
    return [this, current = layout.CurrentLogPath()](Machine& machine, const faultfs::TraceEvent& next) {
      if (next.op == faultfs::OpKind::kSync && next.path == current) disks.push_back(machine.disk().Clone());
    };
  }
};

// The current log as it was halfway through the workload (an older copy of some
// generation), and the path of that generation in the final image: the archived
// generation whose header (the first 512 bytes, written once when the generation began)
// is the same, or the current log. nullopt when the copy equals the final file.
std::optional<std::pair<std::string, const faultfs::MemFs*>> OlderCopyOfAGeneration(const Env& env,
                                                                                   const Baseline& base,
                                                                                   const LogSnapshots& snapshots) {
  const Layout& layout = env.settings.layout;
  if (snapshots.disks.empty()) return std::nullopt;
  const faultfs::MemFs* halfway = snapshots.disks[snapshots.disks.size() / 2].get();
  std::vector<std::uint8_t> old_bytes;
  if (!faultfs::ReadWholeFile(*halfway->Clone(), layout.CurrentLogPath(), &old_bytes).ok() || old_bytes.size() < 512) {
    return std::nullopt;
  }
  std::vector<std::string> candidates = {layout.CurrentLogPath()};
  for (std::int32_t gen : ArchivedGenerations(*base.after, layout.log_dir)) {
    candidates.push_back(layout.log_dir + "/" + ArchivedLogName(gen));
  }
  auto final_disk = base.after->Clone();
  for (const std::string& path : candidates) {
    std::vector<std::uint8_t> bytes;
    if (!faultfs::ReadWholeFile(*final_disk, path, &bytes).ok() || bytes.size() < 512) continue;
    if (!std::equal(bytes.begin(), bytes.begin() + 512, old_bytes.begin())) continue;
    if (bytes == old_bytes) return std::nullopt;
    return std::make_pair(path, halfway);
  }
  return std::nullopt;
}

template <typename Replace>
void RunOlderCopy(CaseContext& ctx, const Env& env, const Baseline& base, const LogSnapshots& snapshots,
                  PrefixWindow durable, Replace& replace) {
  auto older = OlderCopyOfAGeneration(env, base, snapshots);
  if (!older) {
    for (std::uint64_t step : {9, 10}) SkipStep(ctx, step, "no generation changed after the workload's halfway point");
    return;
  }
  const std::string& target = older->first;
  const std::string current = env.settings.layout.CurrentLogPath();
  for (std::uint64_t step : {9, 10}) {
    const Reopen how = step == 9 ? Reopen::kSoftRecovery : Reopen::kRestore;
    // Its own lineage, its own number: to the engine this is a generation whose later
    // segments are gone, i.e. log damage (the corrupt_log rows of the error map).
    replace(step, FileRole::kLog, how, durable, fmt::format("{} replaced by its own older copy (from halfway)", target),
            *older->second, {{current, target}}, FaultClass::kCorruptLog);
  }
}

void RunForeignLog(CaseContext& ctx) {
  // Two databases: one can stand at the other's attach path (step 11).
  Env env = MakeLogHeavyEnv(ctx.seed(), 2);
  LogSnapshots snapshots;
  Baseline base = MakeBaseline(env, 5, true, snapshots.Hook(env.settings.layout));
  // Another lineage: the same layout and workload shape, its own instance and logs.
  Env other_env = MakeLogHeavyEnv(ctx.seed() ^ 0xF0F0F0F0ULL);
  Baseline other = MakeBaseline(other_env, 5, true);
  const Layout& layout = env.settings.layout;
  const PrefixWindow durable = base.Durable();

  // Replaces each of `paths` in A's image with `sources` (files of `from`); the repair
  // copies A's originals back.
  auto replace = [&](std::uint64_t step, FileRole role, Reopen how, PrefixWindow success, const std::string& what,
                     const faultfs::MemFs& from, std::vector<std::pair<std::string, std::string>> moves,
                     FaultClass fault = FaultClass::kForeignLog) {
    for (const auto& [source, target] : moves) {
      if (FileSizeOf(from, source) == 0 || FileSizeOf(*base.after, target) == 0) {
        SkipStep(ctx, step, "a generation this variant needs does not exist");
        return;
      }
    }
    FileFault f;
    f.fault = fault;
    f.role = role;
    f.description = what + (how == Reopen::kRestore ? " then restore" : " then soft recovery");
    f.attempt = how;
    f.success_window = success;
    const faultfs::MemFs* source_disk = &from;
    f.damage = [source_disk, moves](faultfs::MemFs& disk) {
      for (const auto& [source, target] : moves) CopyFile(*source_disk, &disk, source, target);
    };
    f.repair = [&base, moves](faultfs::MemFs& disk) {
      for (const auto& move : moves) CopyFile(*base.after, &disk, move.second);
    };
    f.repair_how = how;
    f.repair_window = durable;
    RunFileFault(ctx, step, env, base, f);
  };

  std::vector<std::int32_t> path_gens = ArchivedGenerations(*base.after, layout.log_dir);
  std::vector<std::int32_t> backup_gens = ArchivedGenerations(*base.after, layout.backup_dir);
  auto log_path = [&](std::int32_t gen) { return layout.log_dir + "/" + ArchivedLogName(gen); };
  auto backup_path = [&](std::int32_t gen) { return layout.backup_dir + "/" + ArchivedLogName(gen); };
  std::int32_t g = path_gens.empty() ? 1 : path_gens.back();
  std::int32_t b = backup_gens.empty() ? 1 : backup_gens.back();

  // 0: the last archived log-path generation comes from the other lineage.
  replace(0, FileRole::kLog, Reopen::kSoftRecovery, durable, "foreign " + log_path(g), *other.after,
          {{log_path(g), log_path(g)}});
  // 1: the current generation comes from the other lineage.
  replace(1, FileRole::kLog, Reopen::kSoftRecovery, durable, "foreign " + layout.CurrentLogPath(), *other.after,
          {{layout.CurrentLogPath(), layout.CurrentLogPath()}});
  // 2: a backup-set generation from the other lineage: restore must refuse the set.
  replace(2, FileRole::kBackupSet, Reopen::kRestore, durable, "foreign " + backup_path(b), *other.after,
          {{backup_path(b), backup_path(b)}});
  // 3: a log-path generation after the backup set from the other lineage, restore.
  replace(3, FileRole::kLog, Reopen::kRestore, durable, "foreign " + log_path(g), *other.after,
          {{log_path(g), log_path(g)}});
  // 4: out of order: two neighbouring log-path generations swapped.
  if (path_gens.size() >= 2) {
    std::int32_t a = path_gens[path_gens.size() - 2];
    replace(4, FileRole::kLog, Reopen::kSoftRecovery, durable,
            fmt::format("swap {} and {}", log_path(a), log_path(g)), *base.after,
            {{log_path(a), log_path(g)}, {log_path(g), log_path(a)}});
  } else {
    SkipStep(ctx, 4, "fewer than two archived generations in the log path");
  }
  // 5: out of order inside the backup set.
  if (backup_gens.size() >= 2) {
    std::int32_t a = backup_gens[backup_gens.size() - 2];
    replace(5, FileRole::kBackupSet, Reopen::kRestore, durable,
            fmt::format("swap {} and {}", backup_path(a), backup_path(b)), *base.after,
            {{backup_path(a), backup_path(b)}, {backup_path(b), backup_path(a)}});
  } else {
    SkipStep(ctx, 5, "fewer than two generations in the backup set");
  }
  // 6: a fork of the same lineage: the oldest archived log-path generation replaced by
  // the same-numbered generation of this very instance run from the same setup with
  // another history (its first transaction skipped): same signLog, another tmCreate,
  // other records, as an old generation copied back after a restore. The checkpoint is
  // removed so that soft recovery reads every generation and must notice the broken
  // tmPrevGen chain.
  Machine fork_machine(*base.setup, faultfs::FaultPlan{}, env.op_budget);
  WorkloadPlan fork_plan;
  fork_plan.first = 1;
  RunWorkload(fork_machine.fs(), env, fork_plan, nullptr);
  auto fork = fork_machine.PowerLossImage(faultfs::CrashPolicy::KeepAll());
  std::vector<std::int32_t> fork_gens = ArchivedGenerations(*fork, layout.log_dir);
  std::optional<std::int32_t> shared;
  for (std::int32_t gen : path_gens) {
    if (!shared && std::find(fork_gens.begin(), fork_gens.end(), gen) != fork_gens.end()) shared = gen;
  }
  if (shared) {
    const std::string chk = layout.CheckpointPath();
    FileFault f;
    f.fault = FaultClass::kForeignLog;
    f.role = FileRole::kLog;
    f.description = fmt::format("{} from a fork of the same lineage, checkpoint deleted, then soft recovery",
                                log_path(*shared));
    f.attempt = Reopen::kSoftRecovery;
    f.success_window = durable;
    const faultfs::MemFs* fork_disk = fork.get();
    const std::string target = log_path(*shared);
    f.damage = [fork_disk, target, chk](faultfs::MemFs& disk) {
      CopyFile(*fork_disk, &disk, target);
      if (!disk.Delete(chk).ok()) throw std::runtime_error("delete " + chk);
    };
    f.repair = [&base, target, chk](faultfs::MemFs& disk) {
      CopyFile(*base.after, &disk, target);
      CopyFile(*base.after, &disk, chk);
    };
    f.repair_how = Reopen::kSoftRecovery;
    f.repair_window = durable;
    RunFileFault(ctx, 6, env, base, f);
  } else {
    SkipStep(ctx, 6, "no archived generation that the fork also has");
  }
  // 7, 8: another database's file (the other lineage's, same name) at the path this
  // instance's log attaches. Soft recovery must not redo into it (it must refuse);
  // restore writes its own copy over it and must reach every durable commit.
  const std::string db = layout.DatabasePath(env.spec.databases[0].file_name);
  replace(7, FileRole::kDatabase, Reopen::kSoftRecovery, durable, "another database's file at " + db, *other.after,
          {{other_env.settings.layout.DatabasePath(other_env.spec.databases[0].file_name), db}},
          FaultClass::kForeignDatabase);
  replace(8, FileRole::kDatabase, Reopen::kRestore, durable, "another database's file at " + db, *other.after,
          {{other_env.settings.layout.DatabasePath(other_env.spec.databases[0].file_name), db}},
          FaultClass::kForeignDatabase);
  // 9, 10: a log-path generation replaced by an older copy of itself (the current log
  // as it was halfway through the workload, put back over the generation it became):
  // its later records, some of them durable commits, are gone. Soft recovery (9) and
  // restore (10) must notice, or lose no durable commit.
  RunOlderCopy(ctx, env, base, snapshots, durable, replace);
  // 11, 12: a copy of the instance's second database at the first one's path. Same log
  // lineage, dirty, attached later than the first (so no attach-time check tells them
  // apart): only the database signature (signDb) does. Soft recovery must refuse (11);
  // restore writes its own copy over it (12).
  const std::string db1 = layout.DatabasePath(env.spec.databases[1].file_name);
  for (std::uint64_t step : {11, 12}) {
    const Reopen how = step == 11 ? Reopen::kSoftRecovery : Reopen::kRestore;
    replace(step, FileRole::kDatabase, how, durable, fmt::format("a copy of {} at {}", db1, db), *base.after,
            {{db1, db}}, FaultClass::kForeignDatabase);
  }
}

}  // namespace

Scenario ForeignLogScenario() {
  return Scenario{
      "foreign-log",
      "a log generation from another lineage, or two generations out of order",
      "Two instances run the same kind of workload, each with its own log lineage. A generation of the first "
      "(archived or current, in the log path or in the backup set) is replaced by the second's generation of "
      "the same number, or two neighbouring generations are swapped. Soft recovery and restore must refuse with "
      "a lineage or sequence code (a restore may instead ignore a foreign log-path file with a warning, but "
      "must then still show the backup moment); after the originals are put back they must succeed. A "
      "generation from a fork of the same lineage (same signLog, another history) must be refused by soft "
      "recovery through the tmPrevGen chain. Another database's file at the path the log attaches must be "
      "refused by soft recovery (restore writes its own copy over it). A log-path generation replaced by an "
      "older copy of itself (the current log from halfway through the workload) must be refused, or lose no "
      "durable commit. A copy of the instance's second database at the first one's path (same lineage, only "
      "signDb differs) must be refused by soft recovery.",
      15,
      RunForeignLog};
}

}  // namespace jetharness

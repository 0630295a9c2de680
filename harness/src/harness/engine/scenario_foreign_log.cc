// foreign-log: a generation from another lineage, or generations out of order.
#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "harness/engine/step_table.h"

namespace jetharness {

namespace {

// A snapshot of the disk taken during the baseline's own run, before a sync of the
// current log about halfway through the workload (a moment when the log was shorter
// than it ended up). The number of syncs is known only at the end, so it keeps one
// snapshot every `stride` syncs and halves what it holds whenever it holds too many:
// the middle one it keeps is within a stride of the true middle.
class HalfwaySnapshot {
 public:
  std::function<void(Machine&, const faultfs::TraceEvent&)> Hook(const Layout& layout) {
    return [this, current = layout.CurrentLogPath()](Machine& machine, const faultfs::TraceEvent& next) {
      if (next.op != faultfs::OpKind::kSync || next.path != current) return;
      if (syncs_++ % stride_ != 0) return;
      disks_.push_back(machine.disk().Clone());
      if (disks_.size() < kMaxKept) return;
      // Keep every other one (syncs 0, 2·stride, 4·stride, ...): the stride doubles.
      for (std::size_t k = 0; 2 * k < disks_.size(); ++k) disks_[k] = std::move(disks_[2 * k]);
      disks_.resize((disks_.size() + 1) / 2);
      stride_ *= 2;
    };
  }
  const faultfs::MemFs* halfway() const { return disks_.empty() ? nullptr : disks_[disks_.size() / 2].get(); }

 private:
  static constexpr std::size_t kMaxKept = 8;
  std::vector<std::unique_ptr<faultfs::MemFs>> disks_;
  std::uint64_t syncs_ = 0;
  std::uint64_t stride_ = 1;
};

struct ForeignLogCase : LogHeavyCase {
  HalfwaySnapshot halfway;
  Env other_env;  // another lineage: the same layout and workload shape, its own logs
  Baseline other;

  std::string LogPath(std::int32_t gen) const { return env.settings.layout.log_dir + "/" + ArchivedLogName(gen); }
  std::string BackupPath(std::int32_t gen) const { return env.settings.layout.backup_dir + "/" + ArchivedLogName(gen); }
  std::int32_t LastPathGeneration() const { return path_gens.empty() ? 1 : path_gens.back(); }
  std::int32_t LastBackupGeneration() const { return backup_gens.empty() ? 1 : backup_gens.back(); }
  std::string FirstDatabase() const { return env.settings.layout.DatabasePath(env.spec.databases[0].file_name); }
};

// Each (source, target): the target path of this instance's image replaced by the
// source file of `from`; the repair copies the originals back.
StepAction Replaced(const ForeignLogCase& c, FileRole role, Reopen how, const std::string& what,
                    const faultfs::MemFs& from, std::vector<std::pair<std::string, std::string>> moves,
                    FaultClass fault = FaultClass::kForeignLog, bool refused_before_writing = false) {
  std::vector<std::string> originals;
  for (const auto& [source, target] : moves) {
    if (FileSizeOf(from, source) == 0 || FileSizeOf(*c.base.after, target) == 0) {
      return StepAction::Skip("a generation this variant needs does not exist");
    }
    originals.push_back(target);
  }
  const faultfs::MemFs* source_disk = &from;
  FileFault damage = DamageThenReopen(
      c.base, fault, role, what, how,
      [source_disk, moves](faultfs::MemFs& disk) {
        for (const auto& [source, target] : moves) CopyFile(*source_disk, &disk, source, target);
      },
      originals);
  damage.refused_before_writing = refused_before_writing;
  return StepAction::Fault(std::move(damage));
}

// The same-numbered file of the other lineage. In the log path, restore checks every
// generation's signLog before it writes anything (docs/RESTORE.md, log choice 2).
StepAction Foreign(const ForeignLogCase& c, FileRole role, Reopen how, const std::string& path) {
  return Replaced(c, role, how, "foreign " + path, *c.other.after, {{path, path}}, FaultClass::kForeignLog,
                  role == FileRole::kLog && how == Reopen::kRestore);
}

template <Reopen how>
StepAction ForeignLastLogPathGeneration(const ForeignLogCase& c, faultfs::SplitMix64&) {
  return Foreign(c, FileRole::kLog, how, c.LogPath(c.LastPathGeneration()));
}

StepAction ForeignCurrentGeneration(const ForeignLogCase& c, faultfs::SplitMix64&) {
  return Foreign(c, FileRole::kLog, Reopen::kSoftRecovery, c.env.settings.layout.CurrentLogPath());
}

StepAction ForeignBackupSetGeneration(const ForeignLogCase& c, faultfs::SplitMix64&) {
  return Foreign(c, FileRole::kBackupSet, Reopen::kRestore, c.BackupPath(c.LastBackupGeneration()));
}

StepAction SwappedLogPathGenerations(const ForeignLogCase& c, faultfs::SplitMix64&) {
  if (c.path_gens.size() < 2) return StepAction::Skip("fewer than two archived generations in the log path");
  const std::string a = c.LogPath(c.path_gens[c.path_gens.size() - 2]);
  const std::string b = c.LogPath(c.LastPathGeneration());
  return Replaced(c, FileRole::kLog, Reopen::kSoftRecovery, fmt::format("swap {} and {}", a, b), *c.base.after,
                  {{a, b}, {b, a}});
}

StepAction SwappedBackupSetGenerations(const ForeignLogCase& c, faultfs::SplitMix64&) {
  if (c.backup_gens.size() < 2) return StepAction::Skip("fewer than two generations in the backup set");
  const std::string a = c.BackupPath(c.backup_gens[c.backup_gens.size() - 2]);
  const std::string b = c.BackupPath(c.LastBackupGeneration());
  return Replaced(c, FileRole::kBackupSet, Reopen::kRestore, fmt::format("swap {} and {}", a, b), *c.base.after,
                  {{a, b}, {b, a}});
}

// The oldest archived log-path generation replaced by the same-numbered generation of
// this very instance run from the same setup with another history (its first
// transaction skipped): same signLog, another tmCreate, other records, as an old
// generation copied back after a restore. The checkpoint is removed so that soft
// recovery reads every generation and must notice the broken tmPrevGen chain.
StepAction ForkedGeneration(const ForeignLogCase& c, faultfs::SplitMix64&) {
  const Layout& layout = c.env.settings.layout;
  Machine fork_machine(*c.base.setup, faultfs::FaultPlan{}, c.env.op_budget);
  WorkloadPlan fork_plan;
  fork_plan.first = 1;
  RunWorkload(fork_machine.fs(), c.env, fork_plan, nullptr);
  std::shared_ptr<const faultfs::MemFs> fork = fork_machine.PowerLossImage(faultfs::CrashPolicy::KeepAll());
  std::vector<std::int32_t> fork_gens = ArchivedGenerations(*fork, layout.log_dir);
  std::optional<std::int32_t> shared;
  for (std::int32_t gen : c.path_gens) {
    if (!shared && std::find(fork_gens.begin(), fork_gens.end(), gen) != fork_gens.end()) shared = gen;
  }
  if (!shared) return StepAction::Skip("no archived generation that the fork also has");
  const std::string chk = layout.CheckpointPath();
  const std::string target = c.LogPath(*shared);
  return StepAction::Fault(DamageThenReopen(
      c.base, FaultClass::kForeignLog, FileRole::kLog,
      fmt::format("{} from a fork of the same lineage, checkpoint deleted", target), Reopen::kSoftRecovery,
      [fork, target, chk](faultfs::MemFs& disk) {
        CopyFile(*fork, &disk, target);
        if (!disk.Delete(chk).ok()) throw std::runtime_error("delete " + chk);
      },
      {target, chk}));
}

// Soft recovery must not redo into another database's file (it must refuse); restore
// writes its own copy over it and must reach every durable commit.
template <Reopen how>
StepAction OtherLineagesDatabase(const ForeignLogCase& c, faultfs::SplitMix64&) {
  const std::string db = c.FirstDatabase();
  const std::string theirs = c.other_env.settings.layout.DatabasePath(c.other_env.spec.databases[0].file_name);
  return Replaced(c, FileRole::kDatabase, how, "another database's file at " + db, *c.other.after, {{theirs, db}},
                  FaultClass::kForeignDatabase);
}

// The current log as it was halfway through the workload put back over the generation
// it became (found by its header, the first 512 bytes, written once when the
// generation began): its later records, some of them durable commits, are gone. To the
// engine this is its own generation whose later segments are gone, i.e. log damage
// (the corrupt_log rows of the error map).
template <Reopen how>
StepAction OlderCopyOfAGeneration(const ForeignLogCase& c, faultfs::SplitMix64&) {
  const Layout& layout = c.env.settings.layout;
  const char* none = "no generation changed after the workload's halfway point";
  const faultfs::MemFs* halfway = c.halfway.halfway();
  if (halfway == nullptr) return StepAction::Skip(none);
  std::vector<std::uint8_t> old_bytes;
  if (!faultfs::ReadWholeFile(*halfway->Clone(), layout.CurrentLogPath(), &old_bytes).ok() || old_bytes.size() < 512) {
    return StepAction::Skip(none);
  }
  std::vector<std::string> candidates = {layout.CurrentLogPath()};
  for (std::int32_t gen : c.path_gens) candidates.push_back(c.LogPath(gen));
  auto final_disk = c.base.after->Clone();
  for (const std::string& path : candidates) {
    std::vector<std::uint8_t> bytes;
    if (!faultfs::ReadWholeFile(*final_disk, path, &bytes).ok() || bytes.size() < 512) continue;
    if (!std::equal(bytes.begin(), bytes.begin() + 512, old_bytes.begin())) continue;
    if (bytes == old_bytes) break;
    return Replaced(c, FileRole::kLog, how, fmt::format("{} replaced by its own older copy (from halfway)", path),
                    *halfway, {{layout.CurrentLogPath(), path}}, FaultClass::kCorruptLog);
  }
  return StepAction::Skip(none);
}

// Same log lineage, dirty, attached later than the first (so no attach-time check tells
// them apart): only the database signature (signDb) does. Soft recovery must refuse;
// restore writes its own copy over it.
template <Reopen how>
StepAction SecondDatabaseAtFirstsPath(const ForeignLogCase& c, faultfs::SplitMix64&) {
  const std::string db = c.FirstDatabase();
  const std::string db1 = c.env.settings.layout.DatabasePath(c.env.spec.databases[1].file_name);
  return Replaced(c, FileRole::kDatabase, how, fmt::format("a copy of {} at {}", db1, db), *c.base.after, {{db1, db}},
                  FaultClass::kForeignDatabase);
}

const StepRow<ForeignLogCase> kForeignLogSteps[] = {
    {"the last archived log-path generation from another lineage, soft recovery",
     ForeignLastLogPathGeneration<Reopen::kSoftRecovery>},
    {"the current generation from another lineage, soft recovery", ForeignCurrentGeneration},
    {"a backup-set generation from another lineage, restore (must refuse)", ForeignBackupSetGeneration},
    {"a log-path generation after the set from another lineage, restore",
     ForeignLastLogPathGeneration<Reopen::kRestore>},
    {"two neighbouring log-path generations swapped, soft recovery", SwappedLogPathGenerations},
    {"two neighbouring backup-set generations swapped, restore", SwappedBackupSetGenerations},
    {"a generation from a fork of the same lineage, checkpoint deleted, soft recovery", ForkedGeneration},
    {"another lineage's database at the attach path, soft recovery (must refuse)",
     OtherLineagesDatabase<Reopen::kSoftRecovery>},
    {"another lineage's database at the attach path, restore", OtherLineagesDatabase<Reopen::kRestore>},
    {"a log-path generation replaced by its own older copy, soft recovery",
     OlderCopyOfAGeneration<Reopen::kSoftRecovery>},
    {"a log-path generation replaced by its own older copy, restore", OlderCopyOfAGeneration<Reopen::kRestore>},
    {"a copy of the second database at the first one's path, soft recovery (must refuse)",
     SecondDatabaseAtFirstsPath<Reopen::kSoftRecovery>},
    {"a copy of the second database at the first one's path, restore", SecondDatabaseAtFirstsPath<Reopen::kRestore>},
};

void RunForeignLog(CaseContext& ctx) {
  ForeignLogCase c;
  // Two databases: one can stand at the other's attach path.
  Env env = MakeLogHeavyEnv(ctx.seed(), 2);
  c.Build(env, c.halfway.Hook(env.settings.layout));
  c.other_env = MakeLogHeavyEnv(ctx.seed() ^ 0xF0F0F0F0ULL);
  c.other = MakeBaseline(c.other_env, 5, true);
  RunStepTable(ctx, c, kForeignLogSteps);
}

}  // namespace

Scenario ForeignLogScenario() {
  Scenario s{"foreign-log", "a log generation from another lineage, or two generations out of order",
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
             15, RunForeignLog};
  s.steps = StepNames(kForeignLogSteps);
  return s;
}

}  // namespace jetharness

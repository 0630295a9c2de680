// corrupt-page and corrupt-log: bytes changed on the medium (bit rot), and torn log tails.
#include <fmt/format.h>

#include "harness/core/hash.h"
#include "harness/engine/scenarios.h"

namespace jetharness {

namespace {

constexpr std::uint32_t kGarbageBytes = 16;

// A FileFault that overwrites kGarbageBytes at `offset` of `path` (seeded garbage);
// the repair copies the original file back from the baseline.
FileFault Corruption(const Baseline& base, FaultClass fault, FileRole role, const std::string& path,
                     std::uint64_t offset, std::uint64_t seed, Reopen how) {
  FileFault f;
  f.fault = fault;
  f.role = role;
  f.description = fmt::format("garble {} bytes of {} at offset {} then {}", kGarbageBytes, path, offset,
                              how == Reopen::kRestore ? "restore" : "soft recovery");
  f.attempt = how;
  f.damage = [path, offset, seed](faultfs::MemFs& disk) { CorruptBytes(disk, path, offset, kGarbageBytes, seed); };
  f.repair = [&base, path](faultfs::MemFs& disk) { CopyFile(*base.after, &disk, path); };
  f.repair_how = how;
  return f;
}

std::optional<std::string> FirstWithSuffix(const std::vector<std::string>& names, const std::string& suffix) {
  for (const std::string& n : names) {
    if (n.size() >= suffix.size() && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0) return n;
  }
  return std::nullopt;
}

constexpr int kPagesPerCase = 4;

void RunCorruptPage(CaseContext& ctx) {
  Env env = MakeEnv(ctx.seed(), 10);
  Baseline base = MakeBaseline(env, 5, true);
  const Layout& layout = env.settings.layout;
  const Model& model = base.run.model;
  PrefixWindow durable{model.MinPrefix(), model.MaxPrefix()};
  const std::uint32_t page = env.settings.page_size;
  faultfs::SplitMix64 rng(ctx.seed());

  // 0..3: a data page of the live database; soft recovery (and every read) must detect
  // it or be unaffected. No repair of the file: the way back is a restore from the
  // intact backup set, which must then reach every durable commit.
  std::string db = layout.DatabasePath(env.spec.databases[0].file_name);
  std::uint64_t pages = FileSizeOf(*base.after, db) / page;
  for (int i = 0; i < kPagesPerCase; ++i) {
    if (pages <= 2) {
      SkipStep(ctx, static_cast<std::uint64_t>(i), "the database has no data pages");
      continue;
    }
    std::uint64_t pgno = 2 + rng.Uniform(pages - 2);
    std::uint64_t offset = pgno * page + rng.Uniform(page - kGarbageBytes);
    FileFault f = Corruption(base, FaultClass::kCorruptPage, FileRole::kDatabase, db, offset, rng.Next(),
                             Reopen::kSoftRecovery);
    f.success_window = durable;
    f.repair = [](faultfs::MemFs&) {};
    f.repair_how = Reopen::kRestore;
    f.repair_window = durable;
    RunFileFault(ctx, static_cast<std::uint64_t>(i), env, base, f);
  }
  // 4..7: a page of the database copy in the backup set; restore.
  std::optional<std::string> copy = FirstWithSuffix(ListFiles(*base.after, layout.backup_dir), ".edb");
  for (int i = 0; i < kPagesPerCase; ++i) {
    auto step = static_cast<std::uint64_t>(kPagesPerCase + i);
    std::uint64_t copy_pages = copy ? FileSizeOf(*base.after, layout.backup_dir + "/" + *copy) / page : 0;
    if (copy_pages == 0) {
      SkipStep(ctx, step, "no database copy in the backup set");
      continue;
    }
    std::string path = layout.backup_dir + "/" + *copy;
    std::uint64_t copy_pgno = rng.Uniform(copy_pages);
    std::uint64_t offset = copy_pgno * page + rng.Uniform(page - kGarbageBytes);
    FileFault f = Corruption(base, FaultClass::kCorruptPage, FileRole::kBackupSet, path, offset, rng.Next(),
                             Reopen::kRestore);
    f.success_window = durable;
    f.repair_window = durable;
    RunFileFault(ctx, step, env, base, f);
  }
  // 8: both copies of the checkpoint (4 KiB each).
  FileFault chk = Corruption(base, FaultClass::kCorruptCheckpoint, FileRole::kCheckpoint, layout.CheckpointPath(),
                             0, rng.Next(), Reopen::kSoftRecovery);
  auto garble_first = chk.damage;
  std::string chk_path = layout.CheckpointPath();
  std::uint64_t chk_seed = rng.Next();
  chk.damage = [garble_first, chk_path, chk_seed](faultfs::MemFs& disk) {
    garble_first(disk);
    CorruptBytes(disk, chk_path, 4096, kGarbageBytes, chk_seed);
  };
  chk.description = "garble both copies of " + chk_path + " then soft recovery";
  chk.success_window = durable;
  chk.repair_window = durable;
  if (FileSizeOf(*base.after, chk_path) >= 4096 + kGarbageBytes) {
    RunFileFault(ctx, 2 * kPagesPerCase, env, base, chk);
  } else {
    SkipStep(ctx, 2 * kPagesPerCase, "no two-copy checkpoint file");
  }
}

void RunCorruptLog(CaseContext& ctx) {
  Env env = MakeLogHeavyEnv(ctx.seed());
  Baseline base = MakeBaseline(env, 5, true);
  const Layout& layout = env.settings.layout;
  const Model& model = base.run.model;
  PrefixWindow durable{model.MinPrefix(), model.MaxPrefix()};
  PrefixWindow since_backup{base.run.commits_at_backup, model.MaxPrefix()};
  faultfs::SplitMix64 rng(ctx.seed());

  auto corrupt = [&](std::uint64_t step, FileRole role, const std::string& path, Reopen how, PrefixWindow success) {
    std::uint64_t size = FileSizeOf(*base.after, path);
    if (size < 2 * kGarbageBytes) {
      SkipStep(ctx, step, path + " is missing or empty");
      return;
    }
    std::uint64_t offset = rng.Uniform(size - kGarbageBytes);
    std::uint64_t seed = rng.Next();
    FileFault f = Corruption(base, FaultClass::kCorruptLog, role, path, offset, seed, how);
    f.success_window = success;
    f.repair_window = durable;
    RunFileFault(ctx, step, env, base, f);
  };
  std::vector<std::int32_t> path_gens = ArchivedGenerations(*base.after, layout.log_dir);
  std::vector<std::int32_t> backup_gens = ArchivedGenerations(*base.after, layout.backup_dir);
  auto archived = [&](const std::vector<std::int32_t>& gens, const std::string& dir) {
    return gens.empty() ? dir + "/missing.log" : dir + "/" + ArchivedLogName(gens[rng.Uniform(gens.size())]);
  };
  // 0: an archived log-path generation, soft recovery. 1: the current generation.
  corrupt(0, FileRole::kLog, archived(path_gens, layout.log_dir), Reopen::kSoftRecovery, durable);
  corrupt(1, FileRole::kLog, layout.CurrentLogPath(), Reopen::kSoftRecovery, durable);
  // 2: a backup-set generation, restore (must fail). 3: a log-path generation, restore.
  corrupt(2, FileRole::kBackupSet, archived(backup_gens, layout.backup_dir), Reopen::kRestore, durable);
  corrupt(3, FileRole::kLog, archived(path_gens, layout.log_dir), Reopen::kRestore, since_backup);

  // 4..7: torn tails. The workload ends with its last transactions unsynced (lazy
  // commits, the in-flight one); a power failure tears every pending log write at
  // 512-byte units and drops every other pending write. Soft recovery must succeed.
  for (std::uint64_t t = 0; t < 4; ++t) {
    std::uint64_t step = 4 + t;
    if (!ctx.WantStep(step)) continue;
    Step s(ctx, step);
    Machine machine(*base.setup, faultfs::FaultPlan{}, env.op_budget);
    WorkloadPlan plan;
    plan.inflight = true;
    WorkloadRun run = RunWorkload(machine.fs(), env, plan, nullptr);
    faultfs::CrashPolicy policy = faultfs::CrashPolicy::DropAll();
    policy.seed = faultfs::SplitMix64::Derive(ctx.seed(), step).Next();
    std::uint64_t torn = 0;
    for (const faultfs::PendingWrite& w : machine.disk().PendingWrites()) {
      if (ClassifyPath(layout, w.path) != FileRole::kLog || w.is_truncate) continue;
      policy.write_overrides[w.sequence] = faultfs::Fate::kTear;
      ++torn;
    }
    s.AddPlan(fmt::format("power loss tearing {} pending log writes (seed {})", torn, policy.seed));
    s.AddHash(machine.fs().trace_hash());
    ctx.CountFault(FaultClass::kTornLog);
    ctx.CountCrashState();
    auto image = machine.PowerLossImage(policy);
    Machine reopen(*image, faultfs::FaultPlan{}, env.op_budget);
    ReadBack read;
    ReopenOutcome outcome =
        AttemptReopen(s, env, reopen, Reopen::kSoftRecovery, OpenFault{FaultClass::kTornLog, FileRole::kLog}, &read);
    s.AddHash(reopen.fs().trace_hash());
    if (outcome == ReopenOutcome::kOk) {
      StateCheck check = CheckState(run.model, read.state, DefaultWindow(run.model));
      if (!check.ok()) s.Fail(check.explanation);
    }
  }
}

}  // namespace

Scenario CorruptPageScenario() {
  return Scenario{
      "corrupt-page",
      "garbled database pages (live and in the backup set) and a garbled checkpoint",
      "Sixteen seeded bytes of a data page are overwritten on the medium: in the live database (then soft "
      "recovery and a full read; afterwards a restore from the intact backup set must reach every durable "
      "commit), in the backup set's database copy (then restore; afterwards the copy is repaired and the "
      "restore must succeed), and in both copies of the checkpoint. Every failure must carry a page-damage "
      "code; every success must show correct content (an unused page may be garbled harmlessly).",
      20,
      RunCorruptPage};
}

Scenario CorruptLogScenario() {
  return Scenario{
      "corrupt-log",
      "garbled log generations (log path, backup set) and torn log tails",
      "Sixteen seeded bytes of a log generation are overwritten: an archived or the current generation of the "
      "log path (soft recovery, and restore), or a backup-set generation (restore, which must refuse it). A "
      "success must not lose durable commits; after a refusal the file is repaired and the operation must "
      "succeed. Torn tails: a power failure tears every pending log write at 512-byte units; soft recovery "
      "must succeed with every durable commit.",
      20,
      RunCorruptLog};
}

}  // namespace jetharness

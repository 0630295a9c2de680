// corrupt-page and corrupt-log: bytes changed on the medium (bit rot), and torn log tails.
#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

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

// Offset of the last `unit`-aligned unit of `path` holding a non-zero byte, skipping
// the `skip` last such units.
std::optional<std::uint64_t> LastWrittenUnit(const faultfs::MemFs& image, const std::string& path, std::uint64_t unit,
                                             std::uint64_t skip = 0) {
  auto copy = image.Clone();
  std::vector<std::uint8_t> bytes;
  if (!faultfs::ReadWholeFile(*copy, path, &bytes).ok()) return std::nullopt;
  for (std::uint64_t end = bytes.size() / unit; end > 0; --end) {
    auto first = bytes.begin() + static_cast<std::ptrdiff_t>((end - 1) * unit);
    if (std::any_of(first, first + static_cast<std::ptrdiff_t>(unit), [](std::uint8_t b) { return b != 0; })) {
      if (skip == 0) return (end - 1) * unit;
      --skip;
    }
  }
  return std::nullopt;
}

// Zeroes [offset, offset + length) of a stored file (a lost write on the medium).
void ZeroStored(faultfs::MemFs& disk, const std::string& path, std::uint64_t offset, std::uint64_t length) {
  faultfs::Status st = disk.CorruptStored(path, offset, std::vector<std::uint8_t>(length, 0));
  if (!st.ok()) throw std::runtime_error("zero " + path + ": " + st.ToString());
}

std::optional<std::string> FirstWithSuffix(const std::vector<std::string>& names, const std::string& suffix) {
  for (const std::string& n : names) {
    if (n.size() >= suffix.size() && n.compare(n.size() - suffix.size(), suffix.size(), suffix) == 0) return n;
  }
  return std::nullopt;
}

constexpr int kPagesPerCase = 4;

// A data page of the live database garbled, then soft recovery and a full backup into
// a fresh directory. Backup verifies every page it streams: it must refuse the page, or
// (the page was rewritten from a logged image, or is unused) write a set that restores
// with every durable commit. A set that holds the garbage would fail that restore.
void BackupOfGarbledPage(CaseContext& ctx, std::uint64_t index, const Env& env, const Baseline& base,
                         const std::string& db, std::uint64_t offset, std::uint64_t seed) {
  if (!ctx.WantStep(index)) return;
  Step step(ctx, index);
  Env fresh = env;
  fresh.settings.layout.backup_dir = "/backup-of-garbled";
  step.AddPlan(fmt::format("garble {} bytes of {} at offset {} then soft recovery and a full backup to {} "
                           "(corrupt_page on database)",
                           kGarbageBytes, db, offset, fresh.settings.layout.backup_dir));
  ctx.CountFault(FaultClass::kCorruptPage);
  auto image = base.after->Clone();
  CorruptBytes(*image, db, offset, kGarbageBytes, seed);
  Machine machine(*image, faultfs::FaultPlan{}, env.op_budget);
  bool backed_up = false;
  {
    FailedCalls observer;
    EngineInstance instance(&machine.fs(), env.settings, observer.Observer());
    // Soft recovery leaves the databases detached: attach them, or the "full" backup
    // would hold logs only and restore would leave the garbled file where it is.
    if (instance.Init() >= 0 && AttachAllDatabases(instance, env.spec) >= 0 &&
        instance.Backup(fresh.settings.layout.backup_dir) >= 0) {
      backed_up = step.CheckCode(FaultClass::kCorruptPage, FileRole::kDatabase, Phase::kBackup, "JetBackupInstance",
                                 JET_errSuccess);
    }
    observer.Check(step, FaultClass::kCorruptPage, FileRole::kDatabase, Phase::kWorkload);
    if (!instance.failure().failed()) instance.Term();
  }
  step.AddHash(machine.fs().trace_hash());
  if (!backed_up) return;
  VerifyReopen(step, fresh, *machine.ProcessCrashImage(), Reopen::kRestore, base.run.model, base.Durable());
}

// Step 10 of corrupt-page (described there).
void RunGarbledPageOfSecondBackup(CaseContext& ctx, std::uint64_t step_index, const Env& env,
                                  faultfs::SplitMix64& rng) {
  // No transaction left in flight either: its first change would log a page image.
  Baseline late = MakeBaseline(env, env.spec.transactions.size(), false);
  Env again = env;
  again.settings.layout.backup_dir = "/backup-again";
  {
    Machine machine(*late.after, faultfs::FaultPlan{}, env.op_budget);
    EngineInstance instance(&machine.fs(), env.settings);
    if (instance.Init() < 0 || AttachAllDatabases(instance, env.spec) < 0 ||
        instance.Backup(again.settings.layout.backup_dir) < 0 || instance.Term() < 0) {
      throw std::runtime_error("a second full backup failed with no fault active: " + instance.failure().ToString());
    }
    late.after = machine.ProcessCrashImage();
  }
  const std::uint32_t page = env.settings.page_size;
  const std::string& dir = again.settings.layout.backup_dir;
  std::optional<std::string> copy = FirstWithSuffix(ListFiles(*late.after, dir), ".edb");
  std::uint64_t copy_pages = copy ? FileSizeOf(*late.after, dir + "/" + *copy) / page : 0;
  if (copy_pages < 4) {
    SkipStep(ctx, step_index, "no data page in the database copy");
    return;
  }
  // Pages 0 and 1 are the header pair, the last one the trailer.
  std::uint64_t copy_pgno = 2 + rng.Uniform(copy_pages - 3);
  std::uint64_t offset = copy_pgno * page + rng.Uniform(page - kGarbageBytes);
  FileFault f = Corruption(late, FaultClass::kCorruptPage, FileRole::kBackupSet, dir + "/" + *copy, offset,
                           rng.Next(), Reopen::kRestore);
  f.description += " (a second full backup, no data-page record in its logs)";
  f.success_window = late.Durable();
  f.repair_window = f.success_window;
  RunFileFault(ctx, step_index, again, late, f);
}

void RunCorruptPage(CaseContext& ctx) {
  Env env = MakeEnv(ctx.seed(), 10);
  Baseline base = MakeBaseline(env, 5, true);
  const Layout& layout = env.settings.layout;
  const PrefixWindow durable = base.Durable();
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
  // 9: a garbled live page, then a full backup.
  const std::uint64_t backup_step = 2 * kPagesPerCase + 1;
  if (pages <= 2) {
    SkipStep(ctx, backup_step, "the database has no data pages");
  } else {
    std::uint64_t pgno = 2 + rng.Uniform(pages - 2);
    std::uint64_t offset = pgno * page + rng.Uniform(page - kGarbageBytes);
    BackupOfGarbledPage(ctx, backup_step, env, base, db, offset, rng.Next());
  }
  // 10: a data page of the copy in a second full backup, taken right after a first one
  // that followed the last transaction. A restore replays the set's generations from
  // their start; the first backup's rollover leaves the second set's generation with no
  // record that touches a data page, so nothing re-images the garbled page: a restore
  // that copied it without verifying would leave it in the database (found by the
  // page-verifying backup after a successful restore, or by the unchanged-files check
  // after a refusal). Restore must refuse it before writing anything.
  const std::uint64_t late_step = 2 * kPagesPerCase + 2;
  if (ctx.WantStep(late_step)) RunGarbledPageOfSecondBackup(ctx, late_step, env, rng);
  // 11: one copy of the checkpoint garbled (the first or the second, seeded). The other
  // copy is intact, which is what two copies are for: soft recovery must succeed as if
  // nothing had happened, with every durable commit.
  const std::uint64_t one_copy_step = 2 * kPagesPerCase + 3;
  const std::uint64_t copy_offset = 4096 * rng.Uniform(2);
  const std::uint64_t one_copy_seed = rng.Next();
  if (FileSizeOf(*base.after, chk_path) < 4096 + kGarbageBytes) {
    SkipStep(ctx, one_copy_step, "no two-copy checkpoint file");
  } else if (ctx.WantStep(one_copy_step)) {
    Step step(ctx, one_copy_step);
    step.AddPlan(fmt::format("garble {} bytes of the checkpoint copy at offset {} of {} then soft recovery "
                             "(the other copy intact)",
                             kGarbageBytes, copy_offset, chk_path));
    ctx.CountFault(FaultClass::kCorruptCheckpoint);
    auto image = base.after->Clone();
    CorruptBytes(*image, chk_path, copy_offset, kGarbageBytes, one_copy_seed);
    VerifyReopen(step, env, *image, Reopen::kSoftRecovery, base.run.model, durable);
  }
}

void RunCorruptLog(CaseContext& ctx) {
  Env env = MakeLogHeavyEnv(ctx.seed());
  Baseline base = MakeBaseline(env, 5, true);
  const Layout& layout = env.settings.layout;
  const PrefixWindow durable = base.Durable();
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
  corrupt(3, FileRole::kLog, archived(path_gens, layout.log_dir), Reopen::kRestore, durable);

  // 8 (below): the tail of a backup-set generation torn.
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
  // 8: the last written 512-byte unit of the backup set's newest generation zeroed, as
  // a torn write leaves it. The set's logs were complete when copied (the manifest has
  // their CRCs): restore must refuse it, never read it as a torn tail of a live log.
  const std::string newest =
      backup_gens.empty() ? layout.backup_dir + "/missing.log"
                          : layout.backup_dir + "/" + ArchivedLogName(*std::max_element(backup_gens.begin(), backup_gens.end()));
  std::optional<std::uint64_t> tail = LastWrittenUnit(*base.after, newest, 512);
  if (!tail) {
    SkipStep(ctx, 8, newest + " is missing or blank");
  } else {
    FileFault f;
    f.fault = FaultClass::kTornLog;
    f.role = FileRole::kBackupSet;
    f.description = fmt::format("zero the last written 512-byte unit of {} (offset {}) then restore", newest, *tail);
    f.attempt = Reopen::kRestore;
    f.damage = [newest, offset = *tail](faultfs::MemFs& disk) { ZeroStored(disk, newest, offset, 512); };
    f.repair = [&base, newest](faultfs::MemFs& disk) { CopyFile(*base.after, &disk, newest); };
    f.repair_how = Reopen::kRestore;
    f.success_window = durable;
    f.repair_window = durable;
    RunFileFault(ctx, 8, env, base, f);
  }
  // 9, 10: an archived log-path generation that another one follows loses its tail (its
  // last data segment and the shadow after it, 8 KiB, zeroed): nothing left in the file
  // proves the lost segment was durable, but the next generation's lgposPrevGenEnd
  // does. 9: restore (the generation is after the backup set); 10: soft recovery with
  // the checkpoint removed, so redo starts at the oldest generation. Both must refuse
  // the truncated generation, or succeed without losing a durable commit.
  std::int32_t set_high = backup_gens.empty() ? 0 : *std::max_element(backup_gens.begin(), backup_gens.end());
  std::optional<std::int32_t> followed;
  for (std::int32_t g : path_gens) {
    if (g > set_high && !followed) followed = g;
  }
  for (std::uint64_t step : {9, 10}) {
    const bool restore = step == 9;
    std::string path = followed ? layout.log_dir + "/" + ArchivedLogName(*followed) : layout.log_dir + "/missing.log";
    std::optional<std::uint64_t> from = LastWrittenUnit(*base.after, path, 4096, 1);
    std::optional<std::uint64_t> last = LastWrittenUnit(*base.after, path, 4096, 0);
    if (!followed || !from || !last || *from < 4096) {
      SkipStep(ctx, step, "no archived log-path generation after the backup set with two written segments");
      continue;
    }
    FileFault f;
    f.fault = FaultClass::kCorruptLog;
    f.role = FileRole::kLog;
    f.attempt = restore ? Reopen::kRestore : Reopen::kSoftRecovery;
    f.description = fmt::format("zero the last {} written bytes of {} (from offset {}){} then {}",
                                *last + 4096 - *from, path, *from, restore ? "" : " and delete the checkpoint",
                                restore ? "restore" : "soft recovery");
    const std::string chk = layout.CheckpointPath();
    f.damage = [path, chk, restore, offset = *from, length = *last + 4096 - *from](faultfs::MemFs& disk) {
      ZeroStored(disk, path, offset, length);
      if (!restore && !disk.Delete(chk).ok()) throw std::runtime_error("delete " + chk);
    };
    f.repair = [&base, path, chk, restore](faultfs::MemFs& disk) {
      CopyFile(*base.after, &disk, path);
      if (!restore) CopyFile(*base.after, &disk, chk);
    };
    f.repair_how = f.attempt;
    f.success_window = restore ? durable : durable;
    f.repair_window = durable;
    RunFileFault(ctx, step, env, base, f);
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
      "restore must succeed; also in a second full backup taken right after one that followed the last transaction, whose logs hold no record that re-images a data page; a refused set must leave the instance's files unchanged), in both copies of the checkpoint (and in one: soft recovery must then succeed with every durable commit), and in the live database before a full backup (which must refuse it or write a set that restores correctly). Every failure must carry a page-damage "
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
      "must succeed with every durable commit. A backup-set generation whose last written sector is zeroed (a "
      "torn copy) must be refused by restore; so must an archived log-path generation that lost its last "
      "segments (restore, and soft recovery without a checkpoint).",
      20,
      RunCorruptLog};
}

}  // namespace jetharness

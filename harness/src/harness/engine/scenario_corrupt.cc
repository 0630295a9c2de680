// corrupt-page and corrupt-log: bytes changed on the medium (bit rot), and torn log tails.
#include <fmt/format.h>

#include <algorithm>
#include <stdexcept>

#include "harness/core/hash.h"
#include "harness/engine/step_table.h"

namespace jetharness {

namespace {

constexpr std::uint32_t kGarbageBytes = 16;

// kGarbageBytes of seeded garbage at `offset` of `path`, then `how`; the repair copies
// the original file back from the baseline.
FileFault Garbled(const Baseline& base, FaultClass fault, FileRole role, const std::string& path, std::uint64_t offset,
                  std::uint64_t seed, Reopen how) {
  return DamageThenReopen(
      base, fault, role, fmt::format("garble {} bytes of {} at offset {}", kGarbageBytes, path, offset), how,
      [path, offset, seed](faultfs::MemFs& disk) { CorruptBytes(disk, path, offset, kGarbageBytes, seed); }, {path});
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

// A data page of the live database garbled, then soft recovery and a full backup into
// a fresh directory. Backup verifies every page it streams: it must refuse the page, or
// (the page was rewritten from a logged image, or is unused) write a set that restores
// with every durable commit. A set that holds the garbage would fail that restore.
void BackupOfGarbledPage(CaseContext& ctx, std::uint64_t index, const Env& env, const Baseline& base,
                         const std::string& db, std::uint64_t offset, std::uint64_t seed) {
  Step step(ctx, index);
  Env fresh = env;
  fresh.settings.layout.backup_dir = "/backup-of-garbled";
  step.AddPlan(
      fmt::format("garble {} bytes of {} at offset {} then soft recovery and a full backup to {} "
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

// A data page of the copy in a second full backup (described at its row).
void RunGarbledPageOfSecondBackup(CaseContext& ctx, std::uint64_t step_index, const Env& env, std::uint64_t seed) {
  faultfs::SplitMix64 rng(seed);
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
  FileFault f = Garbled(late, FaultClass::kCorruptPage, FileRole::kBackupSet, dir + "/" + *copy, offset, rng.Next(),
                        Reopen::kRestore);
  f.description += " (a second full backup, no data-page record in its logs)";
  RunFileFault(ctx, step_index, again, late, f);
}

struct CorruptPageCase {
  Env env;
  Baseline base;
  std::string db;                   // the first database's path
  std::uint64_t pages = 0;          // its size in pages
  std::optional<std::string> copy;  // its copy in the backup set (a file name)
  std::string checkpoint;
};

// A seeded offset inside a data page of the live database (pages 0 and 1 are the
// header pair), or nullopt when it has none.
std::optional<std::uint64_t> LiveDataPageOffset(const CorruptPageCase& c, faultfs::SplitMix64& rng) {
  if (c.pages <= 2) return std::nullopt;
  const std::uint32_t page = c.env.settings.page_size;
  std::uint64_t pgno = 2 + rng.Uniform(c.pages - 2);
  return pgno * page + rng.Uniform(page - kGarbageBytes);
}

bool HasTwoCheckpointCopies(const CorruptPageCase& c) {
  return FileSizeOf(*c.base.after, c.checkpoint) >= 4096 + kGarbageBytes;
}

// Soft recovery (and every read) must detect the page or be unaffected. No repair of
// the file: the way back is a restore from the intact backup set, which must then
// reach every durable commit.
StepAction LivePage(const CorruptPageCase& c, faultfs::SplitMix64& rng) {
  std::optional<std::uint64_t> offset = LiveDataPageOffset(c, rng);
  if (!offset) return StepAction::Skip("the database has no data pages");
  FileFault f = Garbled(c.base, FaultClass::kCorruptPage, FileRole::kDatabase, c.db, *offset, rng.Next(),
                        Reopen::kSoftRecovery);
  f.repair = [](faultfs::MemFs&) {};
  f.repair_how = Reopen::kRestore;
  return StepAction::Fault(f);
}

StepAction BackupCopyPage(const CorruptPageCase& c, faultfs::SplitMix64& rng) {
  const Layout& layout = c.env.settings.layout;
  const std::uint32_t page = c.env.settings.page_size;
  std::uint64_t copy_pages = c.copy ? FileSizeOf(*c.base.after, layout.backup_dir + "/" + *c.copy) / page : 0;
  if (copy_pages == 0) return StepAction::Skip("no database copy in the backup set");
  std::uint64_t offset = rng.Uniform(copy_pages) * page + rng.Uniform(page - kGarbageBytes);
  return StepAction::Fault(Garbled(c.base, FaultClass::kCorruptPage, FileRole::kBackupSet,
                                   layout.backup_dir + "/" + *c.copy, offset, rng.Next(), Reopen::kRestore));
}

StepAction BothCheckpointCopies(const CorruptPageCase& c, faultfs::SplitMix64& rng) {
  if (!HasTwoCheckpointCopies(c)) return StepAction::Skip("no two-copy checkpoint file");
  const std::string path = c.checkpoint;
  const std::uint64_t first_seed = rng.Next();
  const std::uint64_t second_seed = rng.Next();
  return StepAction::Fault(DamageThenReopen(c.base, FaultClass::kCorruptCheckpoint, FileRole::kCheckpoint,
                                            "garble both copies of " + path, Reopen::kSoftRecovery,
                                            [path, first_seed, second_seed](faultfs::MemFs& disk) {
                                              CorruptBytes(disk, path, 0, kGarbageBytes, first_seed);
                                              CorruptBytes(disk, path, 4096, kGarbageBytes, second_seed);
                                            },
                                            {path}));
}

// The other copy is intact, which is what two copies are for: soft recovery must
// succeed as if nothing had happened, with every durable commit.
StepAction OneCheckpointCopy(const CorruptPageCase& c, faultfs::SplitMix64& rng) {
  if (!HasTwoCheckpointCopies(c)) return StepAction::Skip("no two-copy checkpoint file");
  const std::uint64_t offset = 4096 * rng.Uniform(2);
  FileFault f = Garbled(c.base, FaultClass::kCorruptCheckpoint, FileRole::kCheckpoint, c.checkpoint, offset, rng.Next(),
                        Reopen::kSoftRecovery);
  f.description += " (the other copy intact)";
  f.must_succeed = true;
  return StepAction::Fault(f);
}

// ESE's database header (DBFILEHDR) is the first 748 bytes of pages 0 and 1, a copy
// each; the checksum covers the whole page. Garbage inside it, in one copy or both.
constexpr std::uint64_t kDbHeaderBytes = 748;

std::uint64_t HeaderOffset(const CorruptPageCase& c, std::uint64_t copy, faultfs::SplitMix64& rng) {
  return copy * c.env.settings.page_size + rng.Uniform(kDbHeaderBytes - kGarbageBytes + 1);
}

// The other copy is intact: soft recovery must use it and succeed with every durable
// commit (an engine that takes the garbled copy without checking its checksum reads
// garbage fields: another database's signature, a wrong state or page count).
StepAction OneHeaderCopy(const CorruptPageCase& c, faultfs::SplitMix64& rng) {
  if (c.pages < 2) return StepAction::Skip("the database has no header pair");
  const std::uint64_t copy = rng.Uniform(2);
  FileFault f = Garbled(c.base, FaultClass::kCorruptPage, FileRole::kDatabase, c.db, HeaderOffset(c, copy, rng),
                        rng.Next(), Reopen::kSoftRecovery);
  f.description += copy == 0 ? " (the header; its shadow intact)" : " (the header's shadow; the header intact)";
  f.must_succeed = true;
  return StepAction::Fault(f);
}

// Garbage in both copies of the header pair of `path` (the live database or the set's
// copy), then `how`, which must refuse: nothing says what the database is.
FileFault GarbledHeaderPair(const CorruptPageCase& c, faultfs::SplitMix64& rng, FileRole role, const std::string& path,
                            Reopen how, std::vector<std::string> originals) {
  const std::uint64_t first = HeaderOffset(c, 0, rng);
  const std::uint64_t second = HeaderOffset(c, 1, rng);
  const std::uint64_t first_seed = rng.Next();
  const std::uint64_t second_seed = rng.Next();
  FileFault f = DamageThenReopen(
      c.base, FaultClass::kCorruptPage, role,
      fmt::format("garble the header of {} at offset {} and its shadow at {}", path, first, second), how,
      [=](faultfs::MemFs& disk) {
        CorruptBytes(disk, path, first, kGarbageBytes, first_seed);
        CorruptBytes(disk, path, second, kGarbageBytes, second_seed);
      },
      std::move(originals));
  f.must_refuse = true;
  return f;
}

// The live database: soft recovery must refuse it (a page-damage code), and a restore
// from the intact set must then reach every durable commit.
StepAction BothHeaderCopies(const CorruptPageCase& c, faultfs::SplitMix64& rng) {
  if (c.pages < 2) return StepAction::Skip("the database has no header pair");
  FileFault f = GarbledHeaderPair(c, rng, FileRole::kDatabase, c.db, Reopen::kSoftRecovery, {});
  f.repair = [](faultfs::MemFs&) {};
  f.repair_how = Reopen::kRestore;
  return StepAction::Fault(f);
}

// The backup set's copy: its header pair and its trailer (the last page, ESE's patch
// page) are checked before anything is written (docs/RESTORE.md: JET_errBadPatchPage
// for the trailer), so a restore must refuse either damage.
StepAction SetCopyHeaders(const CorruptPageCase& c, faultfs::SplitMix64& rng) {
  const std::string path = c.env.settings.layout.backup_dir + "/" + c.copy.value_or("");
  if (!c.copy || FileSizeOf(*c.base.after, path) < 3 * c.env.settings.page_size) {
    return StepAction::Skip("no database copy in the backup set");
  }
  return StepAction::Fault(GarbledHeaderPair(c, rng, FileRole::kBackupSet, path, Reopen::kRestore, {path}));
}

StepAction SetCopyTrailer(const CorruptPageCase& c, faultfs::SplitMix64& rng) {
  const std::uint32_t page = c.env.settings.page_size;
  const std::string path = c.env.settings.layout.backup_dir + "/" + c.copy.value_or("");
  const std::uint64_t size = c.copy ? FileSizeOf(*c.base.after, path) : 0;
  if (size < 3 * page) return StepAction::Skip("no database copy in the backup set");
  const std::uint64_t offset = (size / page - 1) * page + rng.Uniform(page - kGarbageBytes + 1);
  FileFault f = Garbled(c.base, FaultClass::kCorruptPage, FileRole::kBackupSet, path, offset, rng.Next(),
                        Reopen::kRestore);
  f.description += " (its trailer page)";
  f.must_refuse = true;
  return StepAction::Fault(f);
}

StepAction GarbledPageThenBackup(const CorruptPageCase& c, faultfs::SplitMix64& rng) {
  std::optional<std::uint64_t> offset = LiveDataPageOffset(c, rng);
  if (!offset) return StepAction::Skip("the database has no data pages");
  return StepAction::Custom([&c, offset = *offset, seed = rng.Next()](CaseContext& ctx, std::uint64_t step) {
    BackupOfGarbledPage(ctx, step, c.env, c.base, c.db, offset, seed);
  });
}

// A second full backup, taken right after a first one that followed the last
// transaction. A restore replays the set's generations from their start; the first
// backup's rollover leaves the second set's generation with no record that touches a
// data page, so nothing re-images the garbled page: a restore that copied it without
// verifying would leave it in the database (found by the page-verifying backup after a
// successful restore, or by the unchanged-files check after a refusal). Restore must
// refuse it before writing anything.
StepAction SecondBackupCopyPage(const CorruptPageCase& c, faultfs::SplitMix64& rng) {
  return StepAction::Custom([&c, seed = rng.Next()](CaseContext& ctx, std::uint64_t step) {
    RunGarbledPageOfSecondBackup(ctx, step, c.env, seed);
  });
}

const StepRow<CorruptPageCase> kCorruptPageSteps[] = {
    {"a data page of the live database garbled, soft recovery; then restore from the intact set", LivePage},
    {"a data page of the live database garbled, soft recovery; then restore from the intact set", LivePage},
    {"a data page of the live database garbled, soft recovery; then restore from the intact set", LivePage},
    {"a data page of the live database garbled, soft recovery; then restore from the intact set", LivePage},
    {"a page of the backup set's database copy garbled, restore", BackupCopyPage},
    {"a page of the backup set's database copy garbled, restore", BackupCopyPage},
    {"a page of the backup set's database copy garbled, restore", BackupCopyPage},
    {"a page of the backup set's database copy garbled, restore", BackupCopyPage},
    {"both copies of the checkpoint garbled, soft recovery", BothCheckpointCopies},
    {"a data page of the live database garbled, soft recovery and a full backup (refuse it, or restore right)",
     GarbledPageThenBackup},
    {"a data page of a second full backup's copy garbled (no log record re-images it), restore must refuse",
     SecondBackupCopyPage},
    {"one copy of the checkpoint garbled, soft recovery must succeed with every durable commit", OneCheckpointCopy},
    {"one copy of the live database's header garbled, soft recovery must succeed with every durable commit",
     OneHeaderCopy},
    {"both copies of the live database's header garbled, soft recovery must refuse; then restore from the set",
     BothHeaderCopies},
    {"both copies of the header of the backup set's database copy garbled, restore must refuse", SetCopyHeaders},
    {"the trailer page of the backup set's database copy garbled, restore must refuse", SetCopyTrailer},
};

void RunCorruptPage(CaseContext& ctx) {
  CorruptPageCase c;
  c.env = MakeEnv(ctx.seed(), 10);
  c.base = MakeBaseline(c.env, 5, true);
  const Layout& layout = c.env.settings.layout;
  c.db = layout.DatabasePath(c.env.spec.databases[0].file_name);
  c.pages = FileSizeOf(*c.base.after, c.db) / c.env.settings.page_size;
  c.copy = FirstWithSuffix(ListFiles(*c.base.after, layout.backup_dir), ".edb");
  c.checkpoint = layout.CheckpointPath();
  RunStepTable(ctx, c, kCorruptPageSteps);
}

using CorruptLogCase = LogHeavyCase;

// Garbage at a seeded offset of `path`, then `how`.
StepAction GarbledLog(const CorruptLogCase& c, faultfs::SplitMix64& rng, FileRole role, const std::string& path,
                      Reopen how) {
  std::uint64_t size = FileSizeOf(*c.base.after, path);
  if (size < 2 * kGarbageBytes) return StepAction::Skip(path + " is missing or empty");
  std::uint64_t offset = rng.Uniform(size - kGarbageBytes);
  return StepAction::Fault(Garbled(c.base, FaultClass::kCorruptLog, role, path, offset, rng.Next(), how));
}

std::string SomeArchived(const std::vector<std::int32_t>& gens, const std::string& dir, faultfs::SplitMix64& rng) {
  return gens.empty() ? dir + "/missing.log" : dir + "/" + ArchivedLogName(gens[rng.Uniform(gens.size())]);
}

template <Reopen how>
StepAction ArchivedLogPathGeneration(const CorruptLogCase& c, faultfs::SplitMix64& rng) {
  const std::string path = SomeArchived(c.path_gens, c.env.settings.layout.log_dir, rng);
  return GarbledLog(c, rng, FileRole::kLog, path, how);
}

StepAction CurrentLogGeneration(const CorruptLogCase& c, faultfs::SplitMix64& rng) {
  return GarbledLog(c, rng, FileRole::kLog, c.env.settings.layout.CurrentLogPath(), Reopen::kSoftRecovery);
}

// The header sector of edb.log (4096 bytes, all under its checksum): recovery starts
// from it and has no other copy, so it must refuse (JET_errLogFileCorrupt); with the
// file repaired it must succeed.
StepAction CurrentLogHeader(const CorruptLogCase& c, faultfs::SplitMix64& rng) {
  const std::string path = c.env.settings.layout.CurrentLogPath();
  if (FileSizeOf(*c.base.after, path) < 4096) return StepAction::Skip(path + " has no header sector");
  FileFault f = Garbled(c.base, FaultClass::kCorruptLog, FileRole::kLog, path, rng.Uniform(4096 - kGarbageBytes + 1),
                        rng.Next(), Reopen::kSoftRecovery);
  f.description += " (its header sector)";
  f.must_refuse = true;
  return StepAction::Fault(f);
}

StepAction BackupSetGeneration(const CorruptLogCase& c, faultfs::SplitMix64& rng) {
  const std::string path = SomeArchived(c.backup_gens, c.env.settings.layout.backup_dir, rng);
  return GarbledLog(c, rng, FileRole::kBackupSet, path, Reopen::kRestore);
}

// The workload ends with its last transactions unsynced (lazy commits, the in-flight
// one); a power failure tears every pending log write at 512-byte units and drops
// every other pending write. Soft recovery must succeed.
void RunTornTail(CaseContext& ctx, std::uint64_t step, const CorruptLogCase& c, std::uint64_t seed) {
  const Env& env = c.env;
  Step s(ctx, step);
  Machine machine(*c.base.setup, faultfs::FaultPlan{}, env.op_budget);
  WorkloadPlan plan;
  plan.inflight = true;
  WorkloadRun run = RunWorkload(machine.fs(), env, plan, nullptr);
  faultfs::CrashPolicy policy = faultfs::CrashPolicy::DropAll();
  policy.seed = seed;
  std::uint64_t torn = 0;
  for (const faultfs::PendingWrite& w : machine.disk().PendingWrites()) {
    if (ClassifyPath(env.settings.layout, w.path) != FileRole::kLog || w.is_truncate) continue;
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
  AttemptAndJudge(s, env, reopen.fs(), Reopen::kSoftRecovery, OpenFault{FaultClass::kTornLog, FileRole::kLog},
                  run.model, DefaultWindow(run.model), &read);
  s.AddHash(reopen.fs().trace_hash());
}

StepAction TornTail(const CorruptLogCase& c, faultfs::SplitMix64& rng) {
  return StepAction::Custom(
      [&c, seed = rng.Next()](CaseContext& ctx, std::uint64_t step) { RunTornTail(ctx, step, c, seed); });
}

// The set's logs were complete when copied (the manifest has their CRCs): restore
// must refuse a torn copy, never read it as a torn tail of a live log.
StepAction TornBackupSetGeneration(const CorruptLogCase& c, faultfs::SplitMix64&) {
  const Layout& layout = c.env.settings.layout;
  const std::string newest = c.backup_gens.empty()
                                 ? layout.backup_dir + "/missing.log"
                                 : layout.backup_dir + "/" +
                                       ArchivedLogName(*std::max_element(c.backup_gens.begin(), c.backup_gens.end()));
  std::optional<std::uint64_t> tail = LastWrittenUnit(*c.base.after, newest, 512);
  if (!tail) return StepAction::Skip(newest + " is missing or blank");
  FileFault f = DamageThenReopen(
      c.base, FaultClass::kTornLog, FileRole::kBackupSet,
      fmt::format("zero the last written 512-byte unit of {} (offset {})", newest, *tail), Reopen::kRestore,
      [newest, offset = *tail](faultfs::MemFs& disk) { ZeroStored(disk, newest, offset, 512); }, {newest});
  return StepAction::Fault(f);
}

// An archived log-path generation that another one follows loses its tail (its last
// data segment and the shadow after it, 8 KiB, zeroed): nothing left in the file proves
// the lost segment was durable, but the next generation's lgposPrevGenEnd does. For
// soft recovery the checkpoint is removed too, so redo starts at the oldest generation.
// Both must refuse the truncated generation, or succeed without losing a durable commit.
template <Reopen how>
StepAction TruncatedFollowedGeneration(const CorruptLogCase& c, faultfs::SplitMix64&) {
  const Layout& layout = c.env.settings.layout;
  constexpr bool restore = how == Reopen::kRestore;
  std::int32_t set_high = c.backup_gens.empty() ? 0 : *std::max_element(c.backup_gens.begin(), c.backup_gens.end());
  std::optional<std::int32_t> followed;
  for (std::int32_t g : c.path_gens) {
    if (g > set_high && !followed) followed = g;
  }
  std::string path = followed ? layout.log_dir + "/" + ArchivedLogName(*followed) : layout.log_dir + "/missing.log";
  std::optional<std::uint64_t> from = LastWrittenUnit(*c.base.after, path, 4096, 1);
  std::optional<std::uint64_t> last = LastWrittenUnit(*c.base.after, path, 4096, 0);
  if (!followed || !from || !last || *from < 4096) {
    return StepAction::Skip("no archived log-path generation after the backup set with two written segments");
  }
  const std::string chk = layout.CheckpointPath();
  const std::uint64_t length = *last + 4096 - *from;
  std::vector<std::string> originals = {path};
  if (!restore) originals.push_back(chk);
  return StepAction::Fault(DamageThenReopen(
      c.base, FaultClass::kCorruptLog, FileRole::kLog,
      fmt::format("zero the last {} written bytes of {} (from offset {}){}", length, path, *from,
                  restore ? "" : " and delete the checkpoint"),
      how,
      [path, chk, offset = *from, length](faultfs::MemFs& disk) {
        ZeroStored(disk, path, offset, length);
        if (!restore && !disk.Delete(chk).ok()) throw std::runtime_error("delete " + chk);
      },
      originals));
}

// A success must not lose a durable commit (DamageThenReopen); after a refusal the
// file is repaired and the operation must succeed.
const StepRow<CorruptLogCase> kCorruptLogSteps[] = {
    {"an archived log-path generation garbled, soft recovery", ArchivedLogPathGeneration<Reopen::kSoftRecovery>},
    {"the current generation garbled, soft recovery", CurrentLogGeneration},
    {"a backup-set generation garbled, restore (must refuse)", BackupSetGeneration},
    {"an archived log-path generation garbled, restore", ArchivedLogPathGeneration<Reopen::kRestore>},
    {"a power loss tearing every pending log write, soft recovery must succeed", TornTail},
    {"a power loss tearing every pending log write, soft recovery must succeed", TornTail},
    {"a power loss tearing every pending log write, soft recovery must succeed", TornTail},
    {"a power loss tearing every pending log write, soft recovery must succeed", TornTail},
    {"the last written sector of the newest backup-set generation zeroed, restore (must refuse)",
     TornBackupSetGeneration},
    {"the last segments of a log-path generation after the set zeroed, restore",
     TruncatedFollowedGeneration<Reopen::kRestore>},
    {"the last segments of a log-path generation after the set zeroed, checkpoint deleted, soft recovery",
     TruncatedFollowedGeneration<Reopen::kSoftRecovery>},
    {"the header sector of the current generation garbled, soft recovery must refuse", CurrentLogHeader},
};

void RunCorruptLog(CaseContext& ctx) {
  CorruptLogCase c;
  c.Build(MakeLogHeavyEnv(ctx.seed()));
  RunStepTable(ctx, c, kCorruptLogSteps);
}

}  // namespace

Scenario CorruptPageScenario() {
  Scenario s{
      "corrupt-page", "garbled database pages (live and in the backup set) and a garbled checkpoint",
      "Sixteen seeded bytes of a data page are overwritten on the medium: in the live database (then soft "
      "recovery and a full read; afterwards a restore from the intact backup set must reach every durable "
      "commit), in the backup set's database copy (then restore; afterwards the copy is repaired and the "
      "restore must succeed; also in a second full backup taken right after one that followed the last transaction, whose logs hold no record that re-images a data page; a refused set must leave the instance's files unchanged), in both copies of the checkpoint (and in one: soft recovery must then succeed with every durable commit), in the live database before a full backup (which must refuse it or write a set that restores correctly), in one copy of the live database's header pair (soft recovery must succeed with every durable commit) and in both (soft recovery must refuse; then a restore from the set), and in both header copies or the trailer page of the set's copy (restore must refuse). Every failure must carry a page-damage "
      "code; every success must show correct content (an unused page may be garbled harmlessly).",
      20, RunCorruptPage};
  s.steps = StepNames(kCorruptPageSteps);
  return s;
}

Scenario CorruptLogScenario() {
  Scenario s{"corrupt-log", "garbled log generations (log path, backup set) and torn log tails",
             "Sixteen seeded bytes of a log generation are overwritten: an archived or the current generation of the "
             "log path (soft recovery, and restore), or a backup-set generation (restore, which must refuse it). A "
             "success must not lose durable commits; after a refusal the file is repaired and the operation must "
             "succeed. Torn tails: a power failure tears every pending log write at 512-byte units; soft recovery "
             "must succeed with every durable commit. A backup-set generation whose last written sector is zeroed (a "
             "torn copy) must be refused by restore; so must an archived log-path generation that lost its last "
             "segments (restore, and soft recovery without a checkpoint), and the current generation's header sector "
             "garbled (soft recovery must refuse; repaired, succeed).",
             20, RunCorruptLog};
  s.steps = StepNames(kCorruptLogSteps);
  return s;
}

}  // namespace jetharness

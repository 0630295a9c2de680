#include <fmt/format.h>

#include <map>
#include <stdexcept>

#include "harness/core/hash.h"
#include "harness/engine/scenarios.h"

namespace jetharness {

namespace {
std::string& ChildExecutableStorage() {
  static std::string path;
  return path;
}
}  // namespace

void SetChildExecutable(std::string path) { ChildExecutableStorage() = std::move(path); }
const std::string& ChildExecutable() { return ChildExecutableStorage(); }

void RegisterScenarios(ScenarioRegistry* registry) {
  for (Scenario (*factory)() : {CrashWorkloadScenario,
                                CrashRestoreScenario,
                                CrashRestoreNestedScenario,
                                CrashCreateScenario,
                                BackupChainScenario,
                                MissingLogScenario,
                                CorruptPageScenario,
                                CorruptLogScenario,
                                LostWriteScenario,
                                ForeignLogScenario,
                                SharingViolationScenario,
                                IoErrorScenario,
                                OomScenario,
                                BadArgsScenario,
                                CircularLogScenario,
                                PropertyScenario,
                                ProcessKillScenario,
                                ProcessRestoreKillScenario,
                                ProcessBackupKillScenario,
                                ProcessSharingScenario,
                                ProcessRestoreSharingScenario,
                                ProcessBackupSharingScenario,
                                JetSeamCrashScenario,
                                JetSeamIoErrorScenario,
                                JetSeamBackupScenario}) {
    registry->Add(factory());
  }
}

namespace {
// Every Env builder ends here: the case's --txns and the like override the scenario's
// sizes (CurrentWorkloadSize), page size first since the long-value chunk depends on it.
Env FinishEnv(Env env, WorkloadConfig config, bool chunked_long_values) {
  const WorkloadSize& size = CurrentWorkloadSize();
  if (size.page_size) env.settings.page_size = *size.page_size;
  if (chunked_long_values) config.long_value_chunk = LongValueChunkSize(env.settings.page_size);
  size.ApplyTo(&config);
  env.spec = GenerateWorkload(config);
  return env;
}
}  // namespace

Env MakeEnv(std::uint64_t seed, int transactions, int inflight) {
  WorkloadConfig config;
  config.seed = seed;
  config.transactions = transactions;
  config.inflight_transactions = inflight;
  return FinishEnv(Env{}, config, false);
}

const char* WorkloadShapeName(WorkloadShape shape) {
  switch (shape) {
    case WorkloadShape::kSmall: return "small";
    case WorkloadShape::kDeepTree: return "deep-tree";
    case WorkloadShape::kConcurrent: return "concurrent";
    case WorkloadShape::kLongValues: return "long-values";
  }
  return "?";
}

WorkloadShape ShapeOfCase(std::uint64_t index) { return static_cast<WorkloadShape>(index % kWorkloadShapeCount); }

Env MakeShapedEnv(std::uint64_t seed, WorkloadShape shape, int inflight) {
  Env env;
  WorkloadConfig config;
  config.seed = seed;
  config.inflight_transactions = inflight;
  switch (shape) {
    case WorkloadShape::kSmall:
      config.transactions = 6;
      config.flush_per_million = 500'000;
      break;
    case WorkloadShape::kDeepTree:
      // ~15 records of 200-byte keys per leaf and ~19 children per internal page: the
      // 320 preloaded records already need three levels; the workload splits and
      // empties pages of that tree, and redo replays only its own changes.
      config.transactions = 8;
      config.max_ops_per_transaction = 30;
      config.key_space = 640;
      config.preload_records = 320;  // every other key: runs of inserts fill the gaps
      config.key_bytes = 200;
      config.max_value_bytes = 48;
      config.tables_per_database = 1;
      config.long_value_per_million = 0;
      config.range_delete_per_million = 150'000;
      config.range_insert_per_million = 300'000;
      config.range_delete_keys = 40;
      config.inflight_begin_after = 3;
      break;
    case WorkloadShape::kConcurrent:
      config.transactions = 10;
      config.databases = 2;
      config.max_ops_per_transaction = 6;
      config.key_space = 16;
      config.probe_per_million = 400'000;
      config.savepoint_per_million = 250'000;
      config.savepoint_commit_per_million = 500'000;
      config.rollback_per_million = 150'000;
      config.long_value_per_million = 80'000;
      config.flush_per_million = 500'000;
      config.create_table_per_million = 200'000;
      break;
    case WorkloadShape::kLongValues:
      config.transactions = 8;
      config.max_ops_per_transaction = 5;
      config.key_space = 8;
      config.long_value_per_million = 500'000;
      config.rollback_per_million = 200'000;
      config.savepoint_per_million = 200'000;
      break;
  }
  return FinishEnv(std::move(env), config, true);
}

Env MakeLogHeavyEnv(std::uint64_t seed, int databases) {
  WorkloadConfig config;
  config.seed = seed;
  config.databases = databases;
  config.transactions = 12;
  config.long_value_per_million = 400'000;
  config.long_value_bytes = 12'000;
  config.inflight_transactions = 1;
  Env env;
  env.settings.log_file_kib = 64;  // the engine's minimum
  return FinishEnv(std::move(env), config, false);
}

Phase PhaseOfCall(const std::string& call, Phase otherwise) {
  if (call == "JetBackupInstance") return Phase::kBackup;
  if (call == "JetRestoreInstance") return Phase::kRestore;
  if (call == "JetInit") return Phase::kRecovery;
  return otherwise;
}

CallObserver FailedCalls::Observer() {
  return [this](const std::string& call, JET_ERR code) {
    if (code < 0) calls_.emplace_back(call, code);
  };
}

void FailedCalls::Check(Step& step, FaultClass fault, FileRole role, Phase phase) const {
  for (const auto& [call, code] : calls_) step.CheckCode(fault, role, PhaseOfCall(call, phase), call, code);
}

faultfs::FaultPlan OneRulePlan(std::uint64_t seed, const faultfs::FaultRule& rule) {
  faultfs::FaultPlan plan;
  plan.seed = seed;
  plan.rules.push_back(rule);
  return plan;
}

faultfs::FaultRule CrashRule(std::uint64_t nth) {
  faultfs::FaultRule rule;
  rule.kind = faultfs::FaultKind::kCrash;
  rule.nth = nth;
  return rule;
}

faultfs::FaultRule FailRule(std::uint64_t nth, faultfs::ErrorCode error, bool lose_dirty) {
  faultfs::FaultRule rule;
  rule.kind = faultfs::FaultKind::kFail;
  rule.nth = nth;
  rule.error = error;
  rule.lose_dirty = lose_dirty;
  return rule;
}

Baseline MakeBaseline(const Env& env, std::size_t backup_after, bool inflight,
                      const std::function<void(Machine&, const faultfs::TraceEvent&)>& before_op) {
  Baseline b;
  b.setup = SetupDisk(env);
  Machine machine(*b.setup, faultfs::FaultPlan{}, env.op_budget);
  WorkloadPlan plan;
  plan.backup_after = backup_after;
  plan.inflight = inflight;
  if (before_op) {
    machine.fs().set_before_op([&](const faultfs::TraceEvent& next, std::uint64_t) { before_op(machine, next); });
  }
  b.run = RunWorkload(machine.fs(), env, plan, nullptr);
  machine.fs().set_before_op(nullptr);
  if (b.run.failure.failed()) {
    throw std::runtime_error("the workload failed with no fault active: " + b.run.failure.ToString());
  }
  if (backup_after != SIZE_MAX && !b.run.backup_done) throw std::runtime_error("the backup did not happen");
  b.after = machine.PowerLossImage(faultfs::CrashPolicy::KeepAll());
  return b;
}

std::optional<std::uint64_t> CountRestoreOps(const Env& env, const faultfs::MemFs& image, std::string* error) {
  Machine machine(image, faultfs::FaultPlan{}, env.op_budget);
  EngineInstance instance(&machine.fs(), env.settings);
  if (instance.Restore(env.settings.layout.backup_dir) < 0) {
    *error = "restore failed with no fault active: " + instance.failure().ToString();
    return std::nullopt;
  }
  return machine.fs().op_count();
}

std::vector<std::string> ListFiles(const faultfs::MemFs& image, const std::string& dir) {
  // ListDir is not const on the interface; a clone is cheap (copy-on-write).
  auto copy = image.Clone();
  std::vector<std::string> names;
  if (!copy->ListDir(dir, &names).ok()) return {};
  return names;
}

std::vector<std::int32_t> ArchivedGenerations(const faultfs::MemFs& image, const std::string& dir) {
  std::vector<std::int32_t> gens;
  for (const std::string& name : ListFiles(image, dir)) {
    std::int32_t gen = 0;
    if (ParseArchivedLogName(name, &gen)) gens.push_back(gen);
  }
  return gens;
}

void CopyFile(const faultfs::MemFs& from, faultfs::MemFs* to, const std::string& path, const std::string& to_path) {
  auto source = from.Clone();
  std::vector<std::uint8_t> bytes;
  faultfs::Status s = faultfs::ReadWholeFile(*source, path, &bytes);
  if (s.ok()) s = faultfs::WriteWholeFile(*to, to_path.empty() ? path : to_path, bytes);
  if (s.ok()) s = to->SyncDir(faultfs::ParentPath(to_path.empty() ? path : to_path));
  if (!s.ok()) throw std::runtime_error(fmt::format("CopyFile {}: {}", path, s.ToString()));
}

}  // namespace jetharness

namespace jetharness {

void RunFileFault(CaseContext& ctx, std::uint64_t step_index, const Env& env, const Baseline& base,
                  const FileFault& fault) {
  if (!ctx.WantStep(step_index)) return;
  Step step(ctx, step_index);
  step.AddPlan(fmt::format("{} ({} on {})", fault.description, FaultClassName(fault.fault), FileRoleName(fault.role)));
  ctx.CountFault(fault.fault);
  auto image = base.after->Clone();
  fault.damage(*image);
  if (fault.must_succeed) {
    VerifyReopen(step, env, *image, fault.attempt, base.run.model, fault.success_window);
    return;
  }
  Machine machine(*image, faultfs::FaultPlan{}, env.op_budget);
  ReadBack read;
  ReopenOutcome outcome = AttemptAndJudge(step, env, machine.fs(), fault.attempt, OpenFault{fault.fault, fault.role},
                                          base.run.model, fault.success_window, &read);
  step.AddHash(machine.fs().trace_hash());
  step.AddHash(static_cast<std::uint64_t>(outcome));
  if (machine.hung()) step.Fail(fmt::format("hang: more than {} I/O operations", env.op_budget));
  if (outcome == ReopenOutcome::kOk && fault.must_refuse) {
    step.Fail(fmt::format("{} returned success although the damage must be refused: {}",
                          fault.attempt == Reopen::kRestore ? "restore" : "soft recovery", fault.description));
  }
  if (outcome == ReopenOutcome::kOk && fault.attempt == Reopen::kRestore) VerifyPagesByBackup(step, env, machine);
  if (outcome != ReopenOutcome::kRefused) return;
  auto left = machine.ProcessCrashImage();
  if (read.refused_by == "JetRestoreInstance" && (fault.role == FileRole::kBackupSet || fault.refused_before_writing)) {
    // docs/RESTORE.md: everything wrong with the set, and a log path that does not
    // continue it, is found before anything is written, so such a refusal costs the
    // instance nothing (its databases, logs and checkpoint may be all that is left of
    // the durable commits).
    std::string changed = FirstChangedFile(*image, *left);
    if (!changed.empty()) {
      step.Fail(fmt::format("restore refused the damaged {} but had already changed the instance's files: {}",
                            fault.role == FileRole::kBackupSet ? "backup set" : "log path", changed));
    }
  }
  if (fault.repair) {
    fault.repair(*left);
    VerifyReopen(step, env, *left, fault.repair_how, base.run.model, fault.repair_window);
  }
}

FileFault DamageThenReopen(const Baseline& base, FaultClass fault, FileRole role, const std::string& what, Reopen how,
                           std::function<void(faultfs::MemFs&)> damage, std::vector<std::string> originals) {
  FileFault f;
  f.fault = fault;
  f.role = role;
  f.description = what + (how == Reopen::kRestore ? " then restore" : " then soft recovery");
  f.attempt = how;
  f.success_window = base.Durable();
  f.damage = std::move(damage);
  f.repair = [&base, originals = std::move(originals)](faultfs::MemFs& disk) {
    for (const std::string& path : originals) CopyFile(*base.after, &disk, path);
  };
  f.repair_how = how;
  f.repair_window = base.Durable();
  return f;
}

void VerifyPagesByBackup(Step& step, const Env& env, Machine& machine) {
  // A scan reads only the pages the B-trees reach; a backup reads and verifies every
  // page up to pgnoLast (the engine's own esentutl /g), so a damaged page that restore
  // copied without checking shows here even when no scan would meet it.
  // Soft recovery leaves the databases detached: a backup of a bare instance would copy
  // logs only and verify nothing.
  EngineInstance instance(&machine.fs(), env.settings);
  if (instance.Init() >= 0 && AttachAllDatabases(instance, env.spec) >= 0 && instance.Backup("/integrity-check") >= 0 &&
      instance.Term() >= 0) {
    return;
  }
  step.Fail("the restore succeeded, but a full backup of what it restored fails page verification: " +
            instance.failure().ToString());
}

namespace {
// Every file under `dir` (recursively) with a hash of its bytes.
void CollectFileHashes(faultfs::MemFs& fs, const std::string& dir, std::map<std::string, std::uint64_t>* out) {
  std::vector<std::string> names;
  if (!fs.ListDir(dir, &names).ok()) return;
  for (const std::string& name : names) {
    const std::string path = faultfs::JoinPath(dir, name);
    bool is_dir = false;
    if (fs.IsDirectory(path, &is_dir).ok() && is_dir) {
      CollectFileHashes(fs, path, out);
      continue;
    }
    std::vector<std::uint8_t> bytes;
    if (!faultfs::ReadWholeFile(fs, path, &bytes).ok()) throw std::runtime_error("read " + path + " of an image");
    (*out)[path] = HashBytes(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
  }
}
}  // namespace

std::string FirstChangedFile(const faultfs::MemFs& before, const faultfs::MemFs& after, const std::string& dir) {
  std::map<std::string, std::uint64_t> was;
  std::map<std::string, std::uint64_t> now;
  CollectFileHashes(*before.Clone(), dir, &was);
  CollectFileHashes(*after.Clone(), dir, &now);
  for (const auto& [path, hash] : was) {
    auto it = now.find(path);
    if (it == now.end()) return path + " (deleted)";
    if (it->second != hash) return path + " (rewritten)";
  }
  for (const auto& [path, hash] : now) {
    if (!was.contains(path)) return path + " (created)";
  }
  return "";
}

void SkipStep(CaseContext& ctx, std::uint64_t step_index, const std::string& why) {
  if (!ctx.WantStep(step_index)) return;
  Step step(ctx, step_index);
  step.AddHash(HashBytes("skipped: " + why));
}

void CorruptBytes(faultfs::MemFs& disk, const std::string& path, std::uint64_t offset, std::uint32_t length,
                  std::uint64_t seed) {
  faultfs::SplitMix64 rng = faultfs::SplitMix64::Derive(seed, offset);
  std::vector<std::uint8_t> garbage(length);
  for (auto& b : garbage) b = static_cast<std::uint8_t>(rng.Next());
  faultfs::Status s = disk.CorruptStored(path, offset, garbage);
  if (!s.ok()) throw std::runtime_error(fmt::format("CorruptBytes {}: {}", path, s.ToString()));
}

std::uint64_t FileSizeOf(const faultfs::MemFs& disk, const std::string& path) {
  auto copy = disk.Clone();
  std::uint64_t size = 0;
  if (!copy->FileSize(path, &size).ok()) return 0;
  return size;
}

}  // namespace jetharness

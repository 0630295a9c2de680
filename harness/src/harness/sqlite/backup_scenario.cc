// sqlite-backup: the online backup API (sqlite3_backup_*) interrupted by power loss.
#include <fmt/format.h>

#include <stdexcept>

#include "harness/engine/crash_points.h"
#include "harness/seam/scenarios.h"
#include "harness/sqlite/scenarios.h"

namespace jetharness::sqlite {

namespace {

constexpr const char* kCopyPath = "/db/copy.db";

// The source after the whole workload, closed cleanly and durable, and its content.
struct Source {
  std::unique_ptr<faultfs::MemFs> disk;
  DbState state;
};

Source MakeSource(const SeamEnv& env) {
  std::unique_ptr<faultfs::MemFs> setup = SeamSetupDisk(env);
  Machine machine(*setup, faultfs::FaultPlan{}, env.op_budget);
  std::unique_ptr<EngineUnderTest> engine = env.make();
  Model model;
  model.SetBase(PreloadState(env.spec));
  EngineResult r = engine->Open(&machine.fs(), env.spec, false);
  if (r.ok()) r = RunSpec(*engine, env.spec, false, &model);
  if (r.ok()) r = engine->Close();
  if (!r.ok()) {
    engine->Abandon();
    throw std::runtime_error("the workload failed with no fault active: " + r.ToString());
  }
  return Source{machine.disk().CrashImage(faultfs::CrashPolicy::KeepAll()), model.AcknowledgedState()};
}

// Copies the source into kCopyPath (same VFS, same configuration) two pages per
// sqlite3_backup_step; *acknowledged once the step that returned SQLITE_DONE (the
// copy's commit) returned. The machine is fenced before the connections close.
EngineResult RunBackup(Machine& machine, const SeamEnv& env, const Config& config, const VfsOptions& vfs,
                       bool* acknowledged, std::uint64_t* ops, const std::function<void()>& before_fence) {
  SqliteEngine source(config, vfs);
  EngineResult r = source.Open(&machine.fs(), env.spec, false);
  sqlite3* copy = nullptr;
  if (r.ok()) {
    int rc = sqlite3_open_v2(kCopyPath, &copy, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_EXRESCODE,
                             source.vfs()->name());
    if (rc != SQLITE_OK) r = EngineResult{rc, "sqlite3_open_v2(copy)", sqlite3_errstr(rc)};
  }
  if (r.ok()) r = source.Configure(copy);
  if (r.ok()) {
    sqlite3_backup* backup = sqlite3_backup_init(copy, "main", source.db(), "main");
    if (backup == nullptr) {
      r = EngineResult{sqlite3_extended_errcode(copy), "sqlite3_backup_init", sqlite3_errmsg(copy)};
    } else {
      int rc;
      while ((rc = sqlite3_backup_step(backup, 2)) == SQLITE_OK) {
      }
      *acknowledged = rc == SQLITE_DONE;
      const int finished = sqlite3_backup_finish(backup);
      if (rc != SQLITE_DONE) {
        r = EngineResult{rc, "sqlite3_backup_step", sqlite3_errstr(rc)};
      } else if (finished != SQLITE_OK) {
        r = EngineResult{finished, "sqlite3_backup_finish", sqlite3_errstr(finished)};
      }
    }
  }
  *ops = machine.fs().op_count();
  if (before_fence) before_fence();
  machine.fs().CrashNow();
  if (copy != nullptr) sqlite3_close_v2(copy);
  source.Abandon();
  return r;
}

// The copy after the power loss: complete (every record of the source), or, unless
// the backup had returned SQLITE_DONE, empty (no table: the copy never committed).
void VerifyCopy(Step& step, const SeamEnv& env, const Config& config, const VfsOptions& vfs,
                const faultfs::MemFs& image, const DbState& expected, bool acknowledged) {
  Machine machine(image, faultfs::FaultPlan{}, env.op_budget);
  Config copy_config = config;
  copy_config.database = kCopyPath;
  SqliteEngine copy(copy_config, vfs);
  EngineResult r = copy.Open(&machine.fs(), env.spec, false);
  int tables = 0;
  if (r.ok()) r = copy.CountTables(&tables);
  DbState state;
  if (r.ok() && tables > 0) r = copy.Scan(env.spec, &state);
  if (r.ok()) r = copy.Close();
  step.AddHash(machine.fs().trace_hash());
  if (!r.ok()) {
    step.Fail("reopening the copy: " + r.ToString());
    return;
  }
  if (tables == 0) {
    if (acknowledged) step.Fail("lost-durable-commit: sqlite3_backup_step returned SQLITE_DONE, the copy is empty");
    return;
  }
  if (state != expected) {
    Model source;
    source.SetBase(expected);
    step.Fail("the copy is neither complete nor empty: " + CheckState(source, state, PrefixWindow{0, 0}).explanation);
  }
}

void BackupCase(CaseContext& ctx, const Config& config, const SeamEnv& env) {
  const Source source = MakeSource(env);
  const VfsOptions vfs{ctx.seed(), 512};
  const std::vector<SurvivorPolicy> policies = SurvivorPolicies(ctx.seed());
  std::uint64_t ops = 0;
  bool acknowledged = false;
  {
    Machine dry(*source.disk, faultfs::FaultPlan{}, env.op_budget);
    EngineResult r = RunBackup(dry, env, config, vfs, &acknowledged, &ops, nullptr);
    if (!r.ok()) {
      Step step(ctx, 0);
      step.Fail("the backup failed with no fault active: " + r.ToString());
      return;
    }
  }
  const CrashSampling sampling(ops, policies.size(), ctx.seed());
  struct Point {
    CrashPoint point;
    bool acknowledged;
  };
  std::vector<Point> points;
  Machine machine(*source.disk, faultfs::FaultPlan{}, env.op_budget);
  auto snapshot = [&](std::uint64_t op, std::uint64_t hash) {
    points.push_back(Point{CrashPoint{op, hash, FileRole::kAny, PrefixWindow{}, machine.disk().Clone()}, acknowledged});
  };
  acknowledged = false;
  machine.fs().set_before_op([&](const faultfs::TraceEvent& next, std::uint64_t hash) {
    if (next.index < ops && sampling.Wanted(ctx, next.index)) snapshot(next.index, hash);
  });
  std::uint64_t recorded = 0;
  RunBackup(machine, env, config, vfs, &acknowledged, &recorded, [&] {
    machine.fs().set_before_op(nullptr);
    if (recorded == ops && sampling.Wanted(ctx, ops)) snapshot(ops, machine.fs().trace_hash());
  });
  if (recorded != ops) {
    Step step(ctx, 0);
    step.Fail(fmt::format("nondeterministic backup: {} I/O operations, then {}", ops, recorded));
    return;
  }
  for (Point& p : points) {
    for (std::uint64_t i = 0; i < policies.size(); ++i) {
      if (!ctx.WantStep(sampling.Step(p.point.op, i))) continue;
      Step step(ctx, sampling.Step(p.point.op, i));
      step.AddPlan(fmt::format("backup crashed before I/O #{} of {}{}; survivors: {}", p.point.op, ops,
                               p.acknowledged ? " (after SQLITE_DONE)" : "", policies[i].name));
      step.AddHash(p.point.trace_hash);
      ctx.CountFault(FaultClass::kCrash);
      ctx.CountCrashState();
      std::unique_ptr<faultfs::MemFs> image = p.point.disk->CrashImage(policies[i].policy);
      VerifyCopy(step, env, config, vfs, *image, source.state, p.acknowledged);
    }
    p.point.disk.reset();
  }
}

}  // namespace

void RunSqliteBackup(CaseContext& ctx, const Config& config, const SeamEnv& env) {
  // The source is the workload's committed transactions: the one it would leave in
  // flight plays no part, so the shrinker's variants need not try it.
  SeamEnv source = env;
  source.spec.inflight.clear();
  RunShrinking(ctx, source, [&config](CaseContext& c, const SeamEnv& e) { BackupCase(c, config, e); });
}

}  // namespace jetharness::sqlite

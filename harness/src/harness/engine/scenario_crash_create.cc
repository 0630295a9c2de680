// crash-create: power loss at every I/O point of creating the databases.
//
// The other crash scenarios start from a disk that setup already made (SetupDisk), so
// none of them cuts inside JetCreateDatabase or JetCreateTable. This one records setup
// itself: JetInit on an empty log path, each database created with its tables, the
// preload committed, a clean JetTerm.
#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>

#include "harness/engine/scenarios.h"
#include "jetfault/assert.h"

namespace jetharness {

namespace {

// One step of creating the databases, in the order setup takes them. Each is durable
// when its call returns: JetCreateDatabase flushes its log records, JetCreateTable
// commits its implicit transaction durably, and the preload commits durably.
struct CreationAction {
  std::size_t database = 0;            // index into spec.databases
  std::string table;                   // the table JetCreateTable creates, else ""
  std::optional<std::size_t> preload;  // the preload transaction committed, if any
};

std::vector<CreationAction> CreationActions(const WorkloadSpec& spec) {
  std::vector<CreationAction> actions;
  for (std::size_t d = 0; d < spec.databases.size(); ++d) {
    actions.push_back(CreationAction{d, "", std::nullopt});
    for (const std::string& table : spec.databases[d].tables) actions.push_back(CreationAction{d, table, std::nullopt});
  }
  for (std::size_t i = 0; i < spec.preload.size(); ++i) actions.push_back(CreationAction{0, "", i});
  return actions;
}

// The calls that are the actions above (WorkloadSession's names for them): setup makes
// no other JetCommitTransaction than the preload's.
bool IsCreationAction(const std::string& call) {
  return call.starts_with("JetCreateDatabase(") || call.starts_with("JetCreateTable(") ||
         call == "JetCommitTransaction";
}

// What recovery shows: the databases whose files exist with the tables each lists,
// and every record.
struct CreationState {
  std::map<std::string, std::vector<std::string>> tables;  // per database file, sorted
  DbState records;
  bool operator==(const CreationState&) const = default;
};

// What the first `p` actions leave.
CreationState StateAfterActions(const WorkloadSpec& spec, const std::vector<CreationAction>& actions, std::size_t p) {
  JF_ASSERT_LE(p, actions.size());
  CreationState state;
  for (std::size_t i = 0; i < p; ++i) {
    const CreationAction& action = actions[i];
    if (action.preload) {
      for (const SpecOp& op : spec.preload[*action.preload].ops) state.records[op.table][op.key] = op.value;
      continue;
    }
    std::vector<std::string>& tables = state.tables[spec.databases[action.database].file_name];
    if (!action.table.empty()) {
      tables.push_back(action.table);
      std::sort(tables.begin(), tables.end());
    }
  }
  return state;
}

std::string Describe(const CreationState& state) {
  if (state.tables.empty()) return "no database";
  std::string text;
  for (const auto& [file, tables] : state.tables) {
    text += fmt::format("{}{} [{}]", text.empty() ? "" : ", ", file, fmt::join(tables, " "));
  }
  std::size_t records = 0;
  for (const auto& [table, rows] : state.records) records += rows.size();
  return text + fmt::format(", {} records", records);
}

// Soft recovery of `vfs`, then every database file that exists is attached and read
// back (tables listed, scanned both ways, each record sought), then a clean JetTerm.
// nullopt (the step failed) when any call fails: with no fault but the power loss
// before, every call must succeed.
std::optional<CreationState> RecoverAndRead(Step& step, const Env& env, faultfs::Vfs& vfs) {
  EngineInstance instance(&vfs, env.settings);
  if (instance.Init() < 0) {
    step.Fail("soft recovery failed: " + instance.failure().ToString());
    return std::nullopt;
  }
  WorkloadSpec present;  // the databases whose files exist; no table is required
  for (const DatabaseSpec& db : env.spec.databases) {
    bool exists = false;
    const std::string path = env.settings.layout.DatabasePath(db.file_name);
    if (faultfs::Status s = vfs.Exists(path, &exists); !s.ok()) {
      step.Fail(fmt::format("Exists({}) after recovery: {}", path, s.ToString()));
      return std::nullopt;
    }
    if (exists) present.databases.push_back(DatabaseSpec{db.file_name, {}});
  }
  ReadBack read = ReadAllDatabases(instance, present, ScanMoveBudget(env.spec));
  if (instance.failure().failed()) {
    step.Fail("after recovery, reading a database whose file exists failed: " + instance.failure().ToString());
    return std::nullopt;
  }
  if (!read.physical_problem.empty()) {
    step.Fail("physical check: " + read.physical_problem);
    return std::nullopt;
  }
  if (instance.Term() < 0) {
    step.Fail("JetTerm after recovery failed: " + instance.failure().ToString());
    return std::nullopt;
  }
  return CreationState{std::move(read.tables), std::move(read.state)};
}

// The recovered image must show exactly the first p actions for some p in the
// window [acknowledged, begun], and a second clean JetInit/JetTerm cycle the same.
void CheckCreation(Step& step, const Env& env, const std::vector<CreationAction>& actions, const faultfs::MemFs& image,
                   PrefixWindow window) {
  Machine machine(image, faultfs::FaultPlan{}, env.op_budget);
  machine.KeepTraceOnlyForPrinting();
  std::optional<CreationState> first = RecoverAndRead(step, env, machine.fs());
  if (first) {
    bool legal = false;
    for (std::size_t p = window.min; p <= window.max && !legal; ++p) {
      legal = StateAfterActions(env.spec, actions, p) == *first;
    }
    if (!legal) {
      step.Fail(fmt::format(
          "after a power loss while creating the databases ({} of {} steps acknowledged, {} begun), recovery shows "
          "{}; legal: the first {} to {} steps ({} ... {})",
          window.min, actions.size(), window.max, Describe(*first), window.min, window.max,
          Describe(StateAfterActions(env.spec, actions, window.min)),
          Describe(StateAfterActions(env.spec, actions, window.max))));
    } else if (std::optional<CreationState> second = RecoverAndRead(step, env, machine.fs());
               second && *second != *first) {
      step.Fail(fmt::format("the content changed across a clean JetTerm/JetInit cycle: {}, then {}", Describe(*first),
                            Describe(*second)));
    }
  }
  if (machine.hung()) step.Fail(fmt::format("hang: more than {} I/O operations while reopening", env.op_budget));
  step.AddHash(machine.fs().trace_hash());
}

void RunCrashCreate(CaseContext& ctx) {
  // Cases 2s and 2s+1 create the databases of workload shape s (mod 4): one or two
  // databases, one or two tables each, the deep tree's preload of 320 records; odd
  // cases with a small page cache, so the preload evicts dirty pages.
  const WorkloadShape shape = ShapeOfCase(ctx.id().index / 2);
  Env env = MakeShapedEnv(ctx.seed(), shape);
  const bool tiny_cache = ctx.id().index % 2 == 1;
  if (tiny_cache) env.settings.cache_pages_max = shape == WorkloadShape::kDeepTree ? 8 : 1;
  const std::vector<CreationAction> actions = CreationActions(env.spec);
  auto empty = EmptyDisk(env.settings.layout);
  WorkloadPlan plan;
  plan.last = 0;
  plan.create = true;
  plan.clean_shutdown = true;
  std::size_t begun = 0, acknowledged = 0;
  plan.before_call = [&](const std::string& call) { begun += IsCreationAction(call) ? 1 : 0; };
  auto observer = [&](const std::string& call, JET_ERR code) {
    acknowledged += code >= 0 && IsCreationAction(call) ? 1 : 0;
  };
  CheckEveryCrashPoint(ctx,
                       RecordedCrashes{"creation of the databases", env, *empty,
                                       tiny_cache ? EvictionSurvivorPolicies(ctx.seed()) : SurvivorPolicies(ctx.seed()),
                                       [&] {
                                         JF_ASSERT_LE(acknowledged, begun);
                                         return PrefixWindow{acknowledged, begun};
                                       },
                                       [&](faultfs::Vfs& vfs) {
                                         WorkloadRun run;
                                         RunWorkloadInto(vfs, env, plan, observer, &run);
                                         if (run.failure.failed()) return run.failure.ToString();
                                         if (acknowledged != actions.size() || begun != actions.size()) {
                                           return fmt::format(
                                               "the harness counted {} creation steps acknowledged and {} begun, of {}",
                                               acknowledged, begun, actions.size());
                                         }
                                         return std::string();
                                       },
                                       [&](Step& step, std::uint64_t op, FileRole role) {
                                         Machine crashed(*empty, OneRulePlan(ctx.seed(), CrashRule(op)), env.op_budget);
                                         FailedCalls failed;
                                         WorkloadPlan quiet = plan;
                                         quiet.before_call = nullptr;
                                         RunWorkload(crashed.fs(), env, quiet, failed.Observer());
                                         failed.Check(step, FaultClass::kCrash, role, Phase::kWorkload);
                                         step.AddHash(crashed.fs().trace_hash());
                                       },
                                       [&](Step& step, const faultfs::MemFs& image, PrefixWindow window) {
                                         CheckCreation(step, env, actions, image, window);
                                       }});
}

}  // namespace

Scenario CrashCreateScenario() {
  return Scenario{
      "crash-create",
      "power loss at every I/O point of creating the databases (JetInit on an empty path, JetCreateDatabase, "
      "JetCreateTable, the preload), soft recovery",
      "Setup runs once, recorded from an empty disk: JetInit creates the first log and checkpoint, each database "
      "of the case's workload shape is created with its tables, the deep tree's preload commits, and JetTerm "
      "ends cleanly. Before each I/O operation the disk is snapshotted (at most 100 points a case, as in "
      "crash-workload; one is also run through crashed to check the codes the calls return) and each survivor "
      "image is soft-recovered. Every database file that exists afterwards must attach, list its tables and read "
      "back whole, and what recovery shows must be exactly the first p creation steps (database, table, preload "
      "commit) for some p between the steps acknowledged and the steps begun: a step whose call returned is "
      "durable, and a half-made database (created without its catalog) is never left. Odd cases run with a small "
      "page cache and the survivor image that keeps only the database writes.",
      8, RunCrashCreate};
}

}  // namespace jetharness

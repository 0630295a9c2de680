// harness/engine/step_table.h — a file-level scenario as a table of steps.
//
// missing-log, corrupt-page, corrupt-log and foreign-log each damage the files of one
// baseline image in a fixed list of ways. Each way is one row: what is damaged and how
// the instance reopens (its `what`), and a builder that turns the case at hand into
// the step — usually a FileFault, which carries the window a success must meet and the
// fault class whose error-map rows are the allowed codes. A step's number is its row's
// position, so adding a fault step is adding one row, and `jetfault list -v` prints the
// rows.
//
// Each row draws from its own random stream, Derive(case seed, step number): what one
// row damages depends only on the seed and its number, never on the rows before it or
// on which steps a replay runs.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "harness/engine/scenarios.h"
#include "jetfault/assert.h"

namespace jetharness {

// The case of a scenario that damages log generations: a workload spread over several
// generations (MakeLogHeavyEnv) with a full backup in the middle, and the archived
// generations it left in the log path and in the backup set.
struct LogHeavyCase {
  Env env;
  Baseline base;
  std::vector<std::int32_t> path_gens;
  std::vector<std::int32_t> backup_gens;

  // `case_env` is MakeLogHeavyEnv's; `before_op` as MakeBaseline's.
  void Build(Env case_env, const std::function<void(Machine&, const faultfs::TraceEvent&)>& before_op = nullptr) {
    env = std::move(case_env);
    base = MakeBaseline(env, 5, true, before_op);
    path_gens = ArchivedGenerations(*base.after, env.settings.layout.log_dir);
    backup_gens = ArchivedGenerations(*base.after, env.settings.layout.backup_dir);
  }
};

// What one row does in one case: exactly one of the three.
struct StepAction {
  std::optional<FileFault> fault;                                // judged by RunFileFault
  std::function<void(CaseContext&, std::uint64_t step)> custom;  // a step with its own checks
  std::string skip;                                              // why this case has nothing for the row to damage

  static StepAction Fault(FileFault f) {
    StepAction a;
    a.fault = std::move(f);
    return a;
  }
  static StepAction Custom(std::function<void(CaseContext&, std::uint64_t)> run) {
    StepAction a;
    a.custom = std::move(run);
    return a;
  }
  static StepAction Skip(std::string why) {
    StepAction a;
    a.skip = std::move(why);
    return a;
  }
};

// `Case` is the scenario's own state for one case: at least `env` and `base`.
template <typename Case>
struct StepRow {
  const char* what;  // the damage and the reopen, one line
  StepAction (*build)(const Case& c, faultfs::SplitMix64& rng);
};

// Runs the row of every step the context wants.
template <typename Case, std::size_t N>
void RunStepTable(CaseContext& ctx, const Case& c, const StepRow<Case> (&rows)[N]) {
  for (std::uint64_t i = 0; i < N; ++i) {
    if (!ctx.WantStep(i)) continue;
    faultfs::SplitMix64 rng = faultfs::SplitMix64::Derive(ctx.seed(), i);
    StepAction action = rows[i].build(c, rng);
    if (action.fault) {
      RunFileFault(ctx, i, c.env, c.base, *action.fault);
    } else if (action.custom) {
      action.custom(ctx, i);
    } else {
      JF_ASSERT(!action.skip.empty());
      SkipStep(ctx, i, action.skip);
    }
  }
}

// The rows' `what`, numbered: the Scenario's step list.
template <typename Case, std::size_t N>
std::vector<std::string> StepNames(const StepRow<Case> (&rows)[N]) {
  std::vector<std::string> names;
  for (const StepRow<Case>& row : rows) names.emplace_back(row.what);
  return names;
}

}  // namespace jetharness

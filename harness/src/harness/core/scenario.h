// harness/core/scenario.h — named, documented generators of test cases.
//
// A Scenario turns (campaign seed, case index) into one deterministic test case and
// runs it through a CaseContext. A case may contain many *steps* (e.g. every crash
// point of one workload, times several survivor images); each step has a stable
// number, so a failure is reproduced by re-running just that step:
//
//   jetfault replay crash-workload --seed 7 --case 3 --step 41
//
// which prints the same trace hash. The case's own trace hash folds every step's, and
// the campaign re-runs a sample of cases to prove that hash is reproducible.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "harness/core/errmap.h"
#include "harness/core/workload.h"

namespace jetharness {

struct CaseId {
  std::string scenario;
  std::uint64_t seed = 0;   // the campaign seed
  std::uint64_t index = 0;  // the case number within the scenario
  WorkloadSize size = {};   // --txns, --keys, ...: unset for the scenarios' own sizes
};

// The seed a case derives all its randomness from: independent per scenario and case.
std::uint64_t CaseSeed(const CaseId& id);

// `jetfault replay <scenario> --seed S --case N [--step K] [--txns T ...]`
std::string ReplayCommand(const CaseId& id, std::optional<std::uint64_t> step);
// Inverse of ReplayCommand (leading "jetfault replay" optional); false if malformed.
bool ParseReplayCommand(const std::string& line, CaseId* id, std::optional<std::uint64_t>* step);

struct Failure {
  std::uint64_t step = 0;
  std::string what;        // the violation, explained (oracle text, code check, ...)
  std::string fault_plan;  // the faults injected in this step, human-readable
  std::uint64_t trace_hash = 0;
  std::string replay;  // the one line that reproduces it
  // A smaller case failing the same way (a scenario that shrinks its findings sets
  // these): its replay line, and what it keeps of the original. Empty otherwise.
  std::string shrunk_replay;
  std::string shrunk_note;
};

struct CaseResult {
  std::uint64_t trace_hash = 0;
  std::uint64_t steps = 0;
  std::uint64_t crash_states = 0;
  // Of crash_states, those whose survivor image and oracle window equalled an earlier
  // state's of the case, so the earlier check's outcome was reused (scenario_crash.cc).
  std::uint64_t duplicate_crash_states = 0;
  std::array<std::uint64_t, kFaultClassCount> faults{};  // injected, by FaultClass
  // The case ran the engine on real files in real processes (not only in a MemFs).
  bool real_files = false;
  // SIGKILLs of a real process, by the phase it was in ("commit", "restore-replay", ...).
  std::map<std::string, std::uint64_t> kills;
  std::vector<Failure> failures;
  bool passed() const { return failures.empty(); }
};

// What a scenario sees while running one case.
class CaseContext {
 public:
  CaseContext(CaseId id, std::optional<std::uint64_t> only_step, ErrMapCoverage* errmap);

  const CaseId& id() const { return id_; }
  std::uint64_t seed() const { return seed_; }
  // Replay of a single step: the scenario skips the work of every other step (it may
  // still need to run the common prefix, e.g. the workload before the crash point).
  bool WantStep(std::uint64_t step) const { return !only_step_ || *only_step_ == step; }
  bool single_step() const { return only_step_.has_value(); }
  const std::optional<std::uint64_t>& only_step() const { return only_step_; }

  // Bookkeeping a scenario does for each step it runs.
  void CountFault(FaultClass fault, std::uint64_t n = 1);
  void CountCrashState() { ++result_.crash_states; }
  void CountDuplicateCrashState() { ++result_.duplicate_crash_states; }
  void MarkRealFiles() { result_.real_files = true; }
  // A real process was SIGKILLed (and its death by that signal confirmed) while in `phase`.
  void CountKill(const std::string& phase) { ++result_.kills[phase]; }
  // Folds the step's trace hash into the case's; call once per step that ran.
  void EndStep(std::uint64_t step, std::uint64_t step_trace_hash);
  // Records a failure of `step` (with its own trace hash and fault plan).
  void Fail(std::uint64_t step, std::string what, std::string fault_plan, std::uint64_t trace_hash);
  // Checks an API result against the error map; a violation becomes a Failure.
  // Returns true when the code is allowed.
  bool CheckCode(std::uint64_t step, FaultClass fault, FileRole file, Phase phase, JET_ERR code,
                 const std::string& call, const std::string& fault_plan, std::uint64_t trace_hash);

  // The same check without recording a failure: returns "" or the violation text
  // (coverage is still counted). For callers that report failures themselves.
  std::string CodeViolation(FaultClass fault, FileRole file, Phase phase, JET_ERR code);

  // Sets the shrunk case of failure `index` (in the order they were recorded).
  void SetShrunk(std::size_t index, std::string replay, std::string note);

  CaseResult TakeResult() { return std::move(result_); }
  const CaseResult& result() const { return result_; }

 private:
  CaseId id_;
  std::uint64_t seed_;
  std::optional<std::uint64_t> only_step_;
  ErrMapCoverage* errmap_;
  CaseResult result_;
};

struct Scenario {
  std::string name;         // "crash-workload"
  std::string summary;      // one line for `jetfault list`
  std::string description;  // a paragraph: what is generated, what is checked
  // Cases `jetfault run` runs per scenario without --cases/--time (the default
  // campaign must finish in under a minute on two cores).
  std::uint64_t default_cases = 1;
  std::function<void(CaseContext&)> run;
  // false: run only when named (e.g. a configuration known to be unsafe, whose
  // violations are the expected result), not by a campaign over every scenario.
  bool in_default_campaign = true;
  // The steps of every case, by number, when they are a fixed table (the file-level
  // scenarios): `jetfault list -v` prints them.
  std::vector<std::string> steps = {};
};

class ScenarioRegistry {
 public:
  void Add(Scenario scenario);  // names must be unique
  const Scenario* Find(const std::string& name) const;
  const std::vector<Scenario>& all() const { return scenarios_; }

 private:
  std::vector<Scenario> scenarios_;
};

// The workload size of the case RunCase is running on this thread (unset fields
// outside a case): what the scenarios' workload builders apply (scenarios.h MakeEnv
// and its siblings), so every scenario takes --txns and the rest without threading
// them through each call.
const WorkloadSize& CurrentWorkloadSize();
// Makes `size` the current one for its lifetime (RunCase; a child process of a case).
class WorkloadSizeScope {
 public:
  explicit WorkloadSizeScope(const WorkloadSize& size);
  ~WorkloadSizeScope();
  WorkloadSizeScope(const WorkloadSizeScope&) = delete;
  WorkloadSizeScope& operator=(const WorkloadSizeScope&) = delete;

 private:
  const WorkloadSize* saved_;
};

// Runs one case, turning a harness exception into a failure of the case.
CaseResult RunCase(const Scenario& scenario, const CaseId& id, std::optional<std::uint64_t> only_step,
                   ErrMapCoverage* errmap);

}  // namespace jetharness

// harness/core/campaign.h — running many cases of many scenarios, and what came out.
//
// A campaign is (seed, scenarios, budget, shard). Budget is either a number of cases
// per scenario or a time limit (split evenly across the scenarios; each case is still
// fully deterministic, only how many run depends on the clock). Sharding splits the
// (scenario, case) pairs deterministically: shard K of N runs exactly the pairs whose
// hash is K-1 modulo N, so the N shards together run every pair exactly once.
//
// With `jobs` > 0 the cases run in up to `jobs` worker processes (forks of the
// campaign, one case at a time each), which send back each case's one-case report as
// JSON; the reports are merged in the order the cases were started, so the report
// equals the in-process one (jobs = 0) except for the times. A worker exits once its
// resident set has grown by `worker_rss_limit`, so the campaign's memory stays flat
// however long it runs (whatever the engine keeps after JetTerm dies with the
// worker), and a crash of the engine is a failed case with a replay line instead of
// the end of the campaign. docs/HARNESS.md, "Jobs and memory".
//
// About 5% of the cases (a deterministic sample) are run a second time; a trace hash
// that differs is a failure of the harness ("nondeterministic"), because replay lines
// would then lie.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "harness/core/errmap.h"
#include "harness/core/scenario.h"

namespace jetharness {

struct Shard {
  std::uint32_t index = 1;  // 1-based K
  std::uint32_t count = 1;  // N
};
// "K/N" with 1 <= K <= N.
bool ParseShard(const std::string& text, Shard* out);
bool InShard(const Shard& shard, const std::string& scenario, std::uint64_t case_index);

struct CampaignOptions {
  std::uint64_t seed = 1;
  std::vector<std::string> scenarios;  // empty: all
  std::optional<std::uint64_t> cases;  // per scenario; default: Scenario::default_cases
  std::optional<double> time_seconds;  // instead of cases
  Shard shard;
  WorkloadSize size;                           // every case's (CaseId::size)
  std::uint32_t recheck_per_million = 50'000;  // share of cases re-run for determinism
  std::uint32_t jobs = 0;                      // 0: every case in this process; N: up to N worker processes
  // A worker whose resident set grew by more than this since its first case exits
  // after the case, and a fresh one takes the next.
  std::uint64_t worker_rss_limit = std::uint64_t{64} << 20;
  // Called after every case (for a progress display).
  std::function<void(const std::string& scenario, std::uint64_t done, std::uint64_t planned)> progress;
};

struct ScenarioStats {
  std::string name;
  std::uint64_t cases = 0;
  std::uint64_t passed = 0;
  std::uint64_t failed = 0;
  std::uint64_t steps = 0;
  std::uint64_t crash_states = 0;
  std::uint64_t duplicate_crash_states = 0;  // of crash_states: checked by reusing an equal one's outcome
  std::uint64_t rechecked = 0;
  std::array<std::uint64_t, kFaultClassCount> faults{};
  std::uint64_t real_file_cases = 0;           // cases run on real files in real processes
  std::map<std::string, std::uint64_t> kills;  // SIGKILLs of real processes, by phase
  std::vector<Failure> failures;
  // Fold(case index, case trace hash) of every case run, xor-ed: equal for two runs
  // exactly when they ran the same cases with the same trace hashes, in any order or
  // split (shards, jobs).
  std::uint64_t trace_hash = 0;
  double elapsed_seconds = 0;  // time spent in its cases, summed over parallel jobs
};

struct CampaignReport {
  std::uint64_t seed = 0;
  Shard shard;
  WorkloadSize size;
  double elapsed_seconds = 0;
  std::uint64_t crash_states = 0;
  std::uint64_t duplicate_crash_states = 0;
  std::vector<ScenarioStats> scenarios;
  ErrMapCoverage errmap;
  bool ok() const;
  std::uint64_t failed_cases() const;
  // Summed over the scenarios: SIGKILLs by phase, and cases on real files.
  std::map<std::string, std::uint64_t> kills() const;
  std::uint64_t real_file_cases() const;
};

// Adds `part` (one case, a shard) to `into`: counts, faults, hashes, error-map coverage
// and times summed per scenario (matched by name, new ones appended), failures
// appended. Leaves into's seed, shard, size and elapsed_seconds alone.
void MergeReport(CampaignReport* into, const CampaignReport& part);

// Throws std::invalid_argument for an unknown scenario name.
CampaignReport RunCampaign(const ScenarioRegistry& registry, const CampaignOptions& options);

}  // namespace jetharness

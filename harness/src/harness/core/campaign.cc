#include "harness/core/campaign.h"

#include <fmt/format.h>

#include <charconv>
#include <stdexcept>

#include "harness/core/hash.h"

namespace jetharness {

bool ParseShard(const std::string& text, Shard* out) {
  std::size_t slash = text.find('/');
  if (slash == std::string::npos) return false;
  Shard s;
  const char* begin = text.data();
  const char* end = begin + text.size();
  auto [p1, e1] = std::from_chars(begin, begin + slash, s.index);
  auto [p2, e2] = std::from_chars(begin + slash + 1, end, s.count);
  if (e1 != std::errc() || e2 != std::errc() || p1 != begin + slash || p2 != end) return false;
  if (s.count == 0 || s.index == 0 || s.index > s.count) return false;
  *out = s;
  return true;
}

bool InShard(const Shard& shard, const std::string& scenario, std::uint64_t case_index) {
  return Fold(HashBytes(scenario), case_index) % shard.count == shard.index - 1;
}

bool CampaignReport::ok() const { return failed_cases() == 0 && errmap.violations() == 0; }

std::uint64_t CampaignReport::failed_cases() const {
  std::uint64_t n = 0;
  for (const auto& s : scenarios) n += s.failed;
  return n;
}

namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

bool SampledForRecheck(const CaseId& id, std::uint32_t per_million) {
  return Fold(CaseSeed(id), 0x5EC0DULL) % 1'000'000 < per_million;
}

}  // namespace

CampaignReport RunCampaign(const ScenarioRegistry& registry, const CampaignOptions& options) {
  std::vector<const Scenario*> selected;
  if (options.scenarios.empty()) {
    for (const Scenario& s : registry.all()) selected.push_back(&s);
  } else {
    for (const std::string& name : options.scenarios) {
      const Scenario* s = registry.Find(name);
      if (s == nullptr) throw std::invalid_argument("unknown scenario: " + name);
      selected.push_back(s);
    }
  }
  CampaignReport report;
  report.seed = options.seed;
  report.shard = options.shard;
  Clock::time_point campaign_start = Clock::now();
  for (std::size_t si = 0; si < selected.size(); ++si) {
    const Scenario& scenario = *selected[si];
    ScenarioStats stats;
    stats.name = scenario.name;
    Clock::time_point start = Clock::now();
    // With a time budget, each scenario gets an equal share of what is left.
    double share = 0;
    if (options.time_seconds) {
      share = (*options.time_seconds - SecondsSince(campaign_start)) / static_cast<double>(selected.size() - si);
    }
    std::uint64_t planned = options.cases.value_or(scenario.default_cases);
    for (std::uint64_t index = 0;; ++index) {
      if (options.time_seconds) {
        if (stats.cases > 0 && SecondsSince(start) >= share) break;
      } else if (index >= planned) {
        break;
      }
      if (!InShard(options.shard, scenario.name, index)) continue;
      CaseId id{scenario.name, options.seed, index};
      CaseResult result = RunCase(scenario, id, std::nullopt, &report.errmap);
      if (SampledForRecheck(id, options.recheck_per_million)) {
        ++stats.rechecked;
        CaseResult again = RunCase(scenario, id, std::nullopt, nullptr);
        if (again.trace_hash != result.trace_hash) {
          Failure f;
          f.what = fmt::format("nondeterministic: the case's trace hash was {:016x}, on re-run {:016x}",
                               result.trace_hash, again.trace_hash);
          f.trace_hash = result.trace_hash;
          f.replay = ReplayCommand(id, std::nullopt);
          result.failures.push_back(std::move(f));
        }
      }
      ++stats.cases;
      stats.steps += result.steps;
      stats.crash_states += result.crash_states;
      for (std::size_t c = 0; c < kFaultClassCount; ++c) stats.faults[c] += result.faults[c];
      if (result.passed()) {
        ++stats.passed;
      } else {
        ++stats.failed;
        for (Failure& f : result.failures) stats.failures.push_back(std::move(f));
      }
      if (options.progress) options.progress(scenario.name, stats.cases, options.time_seconds ? 0 : planned);
    }
    stats.elapsed_seconds = SecondsSince(start);
    report.crash_states += stats.crash_states;
    report.scenarios.push_back(std::move(stats));
  }
  report.elapsed_seconds = SecondsSince(campaign_start);
  return report;
}

}  // namespace jetharness

#include "harness/core/scenario.h"

#include <fmt/format.h>

#include <exception>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "harness/core/hash.h"
#include "jetfault/assert.h"

namespace jetharness {

std::uint64_t CaseSeed(const CaseId& id) { return Fold(Fold(HashBytes(id.scenario), id.seed), id.index); }

std::string ReplayCommand(const CaseId& id, std::optional<std::uint64_t> step) {
  std::string line = fmt::format("jetfault replay {} --seed {} --case {}", id.scenario, id.seed, id.index);
  if (step) line += fmt::format(" --step {}", *step);
  return line + id.size.ToFlags();
}

bool ParseReplayCommand(const std::string& line, CaseId* id, std::optional<std::uint64_t>* step) {
  std::istringstream in(line);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  std::size_t i = 0;
  if (words.size() >= 2 && words[0] == "jetfault" && words[1] == "replay") i = 2;
  if (i >= words.size() || words[i].rfind("--", 0) == 0) return false;
  CaseId parsed;
  parsed.scenario = words[i++];
  std::optional<std::uint64_t> parsed_step;
  bool have_seed = false, have_case = false;
  try {
    for (; i + 1 < words.size(); i += 2) {
      std::uint64_t v = std::stoull(words[i + 1]);
      if (words[i] == "--seed") {
        parsed.seed = v;
        have_seed = true;
      } else if (words[i] == "--case") {
        parsed.index = v;
        have_case = true;
      } else if (words[i] == "--step") {
        parsed_step = v;
      } else if (!parsed.size.Set(words[i], v)) {
        return false;
      }
    }
  } catch (const std::exception&) {
    return false;
  }
  if (i != words.size() || !have_seed || !have_case) return false;
  *id = parsed;
  *step = parsed_step;
  return true;
}

CaseContext::CaseContext(CaseId id, std::optional<std::uint64_t> only_step, ErrMapCoverage* errmap)
    : id_(std::move(id)), seed_(CaseSeed(id_)), only_step_(only_step), errmap_(errmap) {
  result_.trace_hash = HashBytes(id_.scenario);
}

void CaseContext::CountFault(FaultClass fault, std::uint64_t n) {
  result_.faults[static_cast<std::size_t>(fault)] += n;
}

void CaseContext::EndStep(std::uint64_t step, std::uint64_t step_trace_hash) {
  ++result_.steps;
  result_.trace_hash = Fold(Fold(result_.trace_hash, step), step_trace_hash);
}

void CaseContext::Fail(std::uint64_t step, std::string what, std::string fault_plan, std::uint64_t trace_hash) {
  Failure f;
  f.step = step;
  f.what = std::move(what);
  f.fault_plan = std::move(fault_plan);
  f.trace_hash = trace_hash;
  f.replay = ReplayCommand(id_, step);
  result_.failures.push_back(std::move(f));
}

void CaseContext::SetShrunk(std::size_t index, std::string replay, std::string note) {
  JF_ASSERT_LT(index, result_.failures.size());
  result_.failures[index].shrunk_replay = std::move(replay);
  result_.failures[index].shrunk_note = std::move(note);
}

std::string CaseContext::CodeViolation(FaultClass fault, FileRole file, Phase phase, JET_ERR code) {
  ErrMapCoverage scratch;
  return (errmap_ != nullptr ? errmap_ : &scratch)->Check(fault, file, phase, code);
}

bool CaseContext::CheckCode(std::uint64_t step, FaultClass fault, FileRole file, Phase phase, JET_ERR code,
                            const std::string& call, const std::string& fault_plan, std::uint64_t trace_hash) {
  std::string violation = CodeViolation(fault, file, phase, code);
  if (violation.empty()) return true;
  Fail(step, fmt::format("{}: {}", call, violation), fault_plan, trace_hash);
  return false;
}

void ScenarioRegistry::Add(Scenario scenario) {
  if (Find(scenario.name) != nullptr) throw std::logic_error("duplicate scenario " + scenario.name);
  scenarios_.push_back(std::move(scenario));
}

const Scenario* ScenarioRegistry::Find(const std::string& name) const {
  for (const Scenario& s : scenarios_) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

namespace {
thread_local const WorkloadSize* g_current_size = nullptr;
}  // namespace

const WorkloadSize& CurrentWorkloadSize() {
  static const WorkloadSize kNone;
  return g_current_size != nullptr ? *g_current_size : kNone;
}

WorkloadSizeScope::WorkloadSizeScope(const WorkloadSize& size) : saved_(std::exchange(g_current_size, &size)) {}
WorkloadSizeScope::~WorkloadSizeScope() { g_current_size = saved_; }

CaseResult RunCase(const Scenario& scenario, const CaseId& id, std::optional<std::uint64_t> only_step,
                   ErrMapCoverage* errmap) {
  CaseContext context(id, only_step, errmap);
  WorkloadSizeScope scope(context.id().size);
  try {
    scenario.run(context);
  } catch (const std::exception& e) {
    context.Fail(0, fmt::format("harness exception: {}", e.what()), "", 0);
  }
  return context.TakeResult();
}

}  // namespace jetharness

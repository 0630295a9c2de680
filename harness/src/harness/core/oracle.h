// harness/core/oracle.h — is what the engine shows a state the workload allows?
//
// After a crash + recovery or a restore, the harness reads every table back through
// the API and asks the oracle whether that content equals Model::StateAfter(n) for
// some n in a window [min, max] of commit attempts. The window is the model's
// (every durable commit .. every attempt) unless a scenario knows better: a restore
// with circular logging must land exactly on the backup moment, a restore with all
// logs present at least on every durable commit in the log path.
//
// The answer explains itself. A violation names its kind, the prefix that came
// closest, and the first record (in table, key order) where the engine and that
// prefix disagree; the caller adds the fault plan and trace hash.
#pragma once

#include <cstddef>
#include <string>

#include "harness/core/model.h"

namespace jetharness {

struct PrefixWindow {
  std::size_t min = 0;
  std::size_t max = 0;
};

// The window of a power failure at this moment of the workload `model` records.
inline PrefixWindow CrashWindowNow(const Model& model) {
  return PrefixWindow{model.MinPrefix(), model.MaxPrefixIfCrashedNow()};
}

enum class StateVerdict {
  kOk,
  // The content equals a prefix shorter than the window allows: durable work is lost.
  kLostDurableCommit,
  // A record carries a value that only a rolled-back or in-flight transaction wrote.
  kUncommittedVisible,
  // The content equals a prefix longer than the window allows (e.g. a restore went
  // past the backup moment with circular logging).
  kBeyondWindow,
  // The content equals no prefix at all: a mix, a lost record, a corrupted value.
  kNotAPrefix,
};

const char* StateVerdictName(StateVerdict verdict);

struct StateCheck {
  StateVerdict verdict = StateVerdict::kOk;
  std::size_t matched_prefix = 0;  // the prefix the state equals (kOk, Lost, Beyond)
  std::size_t closest_prefix = 0;  // the prefix with the fewest differing records
  std::size_t differing_records = 0;
  PrefixWindow window;
  std::string explanation;  // empty when ok; one paragraph otherwise
  bool ok() const { return verdict == StateVerdict::kOk; }
};

// The window the model alone implies.
PrefixWindow DefaultWindow(const Model& model);

// Checks `actual` against every prefix 0..model.MaxPrefix(), classifying by window.
// Cost: O(total ops + records), not O(prefixes x records).
StateCheck CheckState(const Model& model, const DbState& actual, PrefixWindow window);

// Human-readable rendering of a key or value for explanations: printable ASCII as
// is, otherwise lowercase hex; long values are abbreviated with their length.
std::string DescribeBytes(const Bytes& bytes);

}  // namespace jetharness

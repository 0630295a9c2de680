#include "harness/core/oracle.h"

#include <fmt/format.h>

#include <cstdint>
#include <map>
#include <set>
#include <string_view>
#include <utility>

#include "harness/core/hex.h"
#include "jetfault/assert.h"

namespace jetharness {

const char* StateVerdictName(StateVerdict verdict) {
  switch (verdict) {
    case StateVerdict::kOk: return "ok";
    case StateVerdict::kLostDurableCommit: return "lost-durable-commit";
    case StateVerdict::kUncommittedVisible: return "uncommitted-visible";
    case StateVerdict::kBeyondWindow: return "beyond-window";
    case StateVerdict::kNotAPrefix: return "not-a-prefix";
  }
  return "?";
}

PrefixWindow DefaultWindow(const Model& model) { return PrefixWindow{model.MinPrefix(), model.MaxPrefix()}; }

std::string DescribeBytes(const Bytes& bytes) {
  bool printable = !bytes.empty();
  for (unsigned char c : bytes) printable = printable && c >= 0x20 && c < 0x7f;
  if (printable && bytes.size() <= 48) return fmt::format("\"{}\"", bytes);
  if (bytes.size() <= 32) return fmt::format("0x{}", HexEncode(bytes));
  return fmt::format("0x{}...({} bytes)", HexEncode(bytes.substr(0, 16)), bytes.size());
}

namespace {

using RecordId = std::pair<std::string, Bytes>;  // (table, key)
// A record named by views into a state or the model, which outlive every walk: the
// oracle runs once per crash state and must not copy keys to compare them.
using RecordRef = std::pair<std::string_view, std::string_view>;

// The record's value in `state`, or nullptr when absent.
const Bytes* Find(const DbState& state, RecordRef id) {
  auto table = state.find(id.first);
  if (table == state.end()) return nullptr;
  auto record = table->second.find(id.second);
  return record == table->second.end() ? nullptr : &record->second;
}

bool SameValue(const Bytes* a, const Bytes* b) { return a == nullptr ? b == nullptr : b != nullptr && *a == *b; }

std::string DescribeValue(const Bytes* value) {
  return value != nullptr ? DescribeBytes(*value) : std::string("(absent)");
}

// Calls differ(id) for every record whose value differs between two states, in
// (table, key) order: one merge of the two sorted maps.
template <class Differ>
void ForEachDifference(const DbState& a, const DbState& b, const Differ& differ) {
  auto all = [&differ](const DbState::value_type& table) {
    for (const auto& [key, value] : table.second) differ(RecordRef{table.first, key});
  };
  auto ta = a.begin(), tb = b.begin();
  while (ta != a.end() || tb != b.end()) {
    if (tb == b.end() || (ta != a.end() && ta->first < tb->first)) {
      all(*ta++);
    } else if (ta == a.end() || tb->first < ta->first) {
      all(*tb++);
    } else {
      const TableState &ra = ta->second, &rb = tb->second;
      auto ia = ra.begin(), ib = rb.begin();
      while (ia != ra.end() || ib != rb.end()) {
        if (ib == rb.end() || (ia != ra.end() && ia->first < ib->first)) {
          differ(RecordRef{ta->first, (ia++)->first});
        } else if (ia == ra.end() || ib->first < ia->first) {
          differ(RecordRef{tb->first, (ib++)->first});
        } else {
          if (ia->second != ib->second) differ(RecordRef{ta->first, ia->first});
          ++ia;
          ++ib;
        }
      }
      ++ta;
      ++tb;
    }
  }
}

// Walks the prefixes 0..max keeping the set of records where the model differs from
// `actual`; each transaction only touches its own keys, so the walk is linear. The
// model's state after the prefix walked is its base overlaid with the records the
// commits so far wrote, so the base (a preload of hundreds of records) is not copied.
struct PrefixWalk {
  const Model& model;
  const DbState& actual;
  std::map<RecordRef, const Bytes*> written;  // each record's last value; nullptr: deleted
  std::set<RecordRef> differing;

  PrefixWalk(const Model& m, const DbState& a) : model(m), actual(a) {
    ForEachDifference(model.base(), actual, [this](RecordRef id) { differing.insert(id); });
  }
  const Bytes* StateValue(RecordRef id) const {
    auto it = written.find(id);
    return it != written.end() ? it->second : Find(model.base(), id);
  }
  void Apply(std::size_t index) {
    const Txn& txn = model.txn(model.commit_order()[index]);
    // Op by op: a record's last op decides its value, and its refresh comes after it.
    for (const Op& op : txn.ops) {
      const RecordRef id{op.table, op.key};
      written.insert_or_assign(id, op.value ? &*op.value : nullptr);
      if (SameValue(StateValue(id), Find(actual, id))) {
        differing.erase(id);
      } else {
        differing.insert(id);
      }
    }
  }
};

// A value in `actual` that no committed (or uncertain) transaction ever wrote for its
// key, but a rolled-back or in-flight one did. Returns a description or "".
std::string FindUncommittedValue(const Model& model, const DbState& actual) {
  std::set<std::pair<RecordId, Bytes>> committed_writes;
  for (const auto& [table, records] : model.base()) {
    for (const auto& [key, value] : records) committed_writes.insert({{table, key}, value});
  }
  for (Model::TxnId id : model.commit_order()) {
    for (const Op& op : model.txn(id).ops) {
      if (op.value) committed_writes.insert({{op.table, op.key}, *op.value});
    }
  }
  for (const Txn& txn : model.txns()) {
    const bool ended_unseen = txn.outcome == TxnOutcome::kRolledBack || txn.outcome == TxnOutcome::kInFlight;
    for (const std::vector<Op>* ops : {&txn.ops, &txn.undone}) {
      if (ops == &txn.ops && !ended_unseen) continue;
      for (const Op& op : *ops) {
        if (!op.value) continue;
        RecordId id{op.table, op.key};
        const Bytes* seen = Find(actual, id);
        if (seen != nullptr && *seen == *op.value && committed_writes.count({id, *op.value}) == 0) {
          return fmt::format("table {} key {} holds {}, written only by transaction {} ({})", op.table,
                             DescribeBytes(op.key), DescribeBytes(*op.value), txn.id,
                             ops == &txn.undone ? "undone by a savepoint rollback" : TxnOutcomeName(txn.outcome));
        }
      }
    }
  }
  return "";
}

}  // namespace

namespace {

// Where `actual` meets the model's prefixes 0..MaxPrefix(), in one walk (ending at the first
// match inside the window).
struct PrefixScan {
  std::optional<std::size_t> first_match;      // the first prefix equal to it
  std::optional<std::size_t> match_in_window;  // the first equal one inside the window
  std::size_t closest = 0;                     // fewest differing records, then nearest the window
  std::size_t closest_diff = SIZE_MAX;
};

PrefixScan ScanPrefixes(const Model& model, const DbState& actual, PrefixWindow window) {
  PrefixScan scan;
  PrefixWalk walk(model, actual);
  auto distance = [&window](std::size_t n) {
    return n < window.min ? window.min - n : (n > window.max ? n - window.max : 0);
  };
  for (std::size_t n = 0;; ++n) {
    std::size_t diff = walk.differing.size();
    if (diff == 0) {
      if (!scan.first_match) scan.first_match = n;
      if (distance(n) == 0 && !scan.match_in_window) scan.match_in_window = n;
    }
    if (diff < scan.closest_diff || (diff == scan.closest_diff && distance(n) < distance(scan.closest))) {
      scan.closest = n;
      scan.closest_diff = diff;
    }
    // Nothing after the first match inside the window changes the scan: first_match is
    // set, and no later prefix beats this one's 0 differing records at distance 0. The
    // usual state (an accepted one) so walks only up to its own prefix.
    if (scan.match_in_window) {
      JF_ASSERT(scan.closest == n && scan.closest_diff == 0);
      break;
    }
    if (n == model.MaxPrefix()) break;
    walk.Apply(n);
  }
  JF_ASSERT(!scan.match_in_window || scan.first_match);
  JF_ASSERT(!scan.first_match || scan.closest_diff == 0);
  return scan;
}

// The first record (in table, key order) whose value differs between the two states.
std::string FirstDifference(const DbState& expected, const DbState& actual) {
  std::string first;
  ForEachDifference(expected, actual, [&](RecordRef id) {
    if (!first.empty()) return;
    first = fmt::format("first differing record: table {} key {}: expected {}, engine has {}", id.first,
                        DescribeBytes(Bytes(id.second)), DescribeValue(Find(expected, id)),
                        DescribeValue(Find(actual, id)));
  });
  return first.empty() ? "no differing record" : first;
}

}  // namespace

StateCheck CheckState(const Model& model, const DbState& actual, PrefixWindow window) {
  // A scenario's window is its claim about the model: an empty or out-of-range one is a
  // harness bug, never a verdict on the engine.
  JF_ASSERT_LE(window.min, window.max);
  JF_ASSERT_LE(window.max, model.MaxPrefix());
  StateCheck check;
  check.window = window;
  const PrefixScan scan = ScanPrefixes(model, actual, window);
  check.closest_prefix = scan.closest;
  check.differing_records = scan.closest_diff;
  if (scan.match_in_window) {
    check.verdict = StateVerdict::kOk;
    check.matched_prefix = *scan.match_in_window;
    return check;
  }
  const std::optional<std::size_t>& first_match = scan.first_match;
  std::string uncommitted = FindUncommittedValue(model, actual);
  if (!uncommitted.empty()) {
    check.verdict = StateVerdict::kUncommittedVisible;
  } else if (first_match && *first_match < window.min) {
    check.verdict = StateVerdict::kLostDurableCommit;
    check.matched_prefix = *first_match;
  } else if (first_match) {
    check.verdict = StateVerdict::kBeyondWindow;
    check.matched_prefix = *first_match;
  } else {
    check.verdict = StateVerdict::kNotAPrefix;
  }

  // Explain against the closest prefix (or the window's edge for a clean match outside).
  std::size_t reference = first_match ? (*first_match < window.min ? window.min : window.max) : scan.closest;
  std::string matched = first_match
                            ? fmt::format("the content equals the prefix of {} commits", *first_match)
                            : fmt::format("the content equals no prefix (closest: {} commits, {} differing records)",
                                          scan.closest, scan.closest_diff);
  check.explanation = fmt::format(
      "{}: expected the state after n commits with {} <= n <= {} (of {} attempted); {}; compared with "
      "n = {}: {}{}",
      StateVerdictName(check.verdict), window.min, window.max, model.MaxPrefix(), matched, reference,
      FirstDifference(model.StateAfter(reference), actual), uncommitted.empty() ? "" : "; " + uncommitted);
  return check;
}

}  // namespace jetharness

// Properties of the oracle over random histories (RapidCheck): every state inside the
// window passes, and dropping a durable commit's effect, or showing an in-flight
// transaction's write, never does.
#include <gtest/gtest.h>
#include <rapidcheck/gtest.h>

#include "harness/core/model.h"
#include "harness/core/oracle.h"

namespace jetharness {
namespace {

struct GenTxn {
  std::vector<std::pair<int, int>> puts;  // (key, value)
  int end = 0;                            // 0 durable, 1 lazy, 2 rollback
};

// Values are unique per write, so every write is distinguishable.
Model Build(const std::vector<GenTxn>& txns, bool leave_one_open) {
  Model m;
  int serial = 0;
  for (const GenTxn& g : txns) {
    auto id = m.Begin(g.end == 1 ? CommitMode::kLazy : CommitMode::kDurable);
    for (const auto& [key, value] : g.puts) {
      m.Put(id, "t", "k" + std::to_string(key), std::to_string(value) + "#" + std::to_string(serial++));
    }
    if (g.end == 2) {
      m.RolledBack(id);
    } else {
      m.Committed(id);
    }
  }
  if (leave_one_open) {
    auto id = m.Begin(CommitMode::kDurable);
    m.Put(id, "t", "k0", "open#" + std::to_string(serial));
  }
  return m;
}

rc::Gen<std::vector<GenTxn>> Histories() {
  return rc::gen::container<std::vector<GenTxn>>(rc::gen::build<GenTxn>(
      rc::gen::set(&GenTxn::puts, rc::gen::container<std::vector<std::pair<int, int>>>(
                                      rc::gen::pair(rc::gen::inRange(0, 6), rc::gen::inRange(0, 100)))),
      rc::gen::set(&GenTxn::end, rc::gen::inRange(0, 3))));
}

RC_GTEST_PROP(OracleProperty, EveryPrefixInTheWindowPasses, ()) {
  Model m = Build(*Histories(), *rc::gen::arbitrary<bool>());
  for (std::size_t n = m.MinPrefix(); n <= m.MaxPrefix(); ++n) {
    StateCheck check = CheckState(m, m.StateAfter(n), DefaultWindow(m));
    RC_ASSERT(check.ok());
    RC_ASSERT(check.matched_prefix <= n);
  }
}

RC_GTEST_PROP(OracleProperty, LosingTheLastDurableCommitIsCaught, ()) {
  Model m = Build(*Histories(), false);
  std::size_t min = m.MinPrefix();
  RC_PRE(min > 0);
  // The state before the last durable commit differs from every allowed state unless
  // that commit changed nothing visible (empty, or rewrote the same keys back).
  DbState before = m.StateAfter(min - 1);
  bool indistinguishable = false;
  for (std::size_t n = min; n <= m.MaxPrefix(); ++n) indistinguishable |= m.StateAfter(n) == before;
  RC_PRE(!indistinguishable);
  RC_ASSERT(!CheckState(m, before, DefaultWindow(m)).ok());
}

RC_GTEST_PROP(OracleProperty, AnInFlightWriteIsNeverAccepted, ()) {
  Model m = Build(*Histories(), true);
  DbState state = m.StateAfter(m.MaxPrefix());
  const Txn& open = m.txns().back();
  state["t"]["k0"] = *open.ops[0].value;
  StateCheck check = CheckState(m, state, DefaultWindow(m));
  RC_ASSERT(check.verdict == StateVerdict::kUncommittedVisible);
}

}  // namespace
}  // namespace jetharness

// The model and the oracle: legal states pass, and each kind of violation is caught
// and named.
#include <gtest/gtest.h>

#include "harness/core/hex.h"
#include "harness/core/model.h"
#include "harness/core/oracle.h"

namespace jetharness {
namespace {

// Three commits (lazy, durable, lazy), one rollback and one transaction left open.
//   txn0 lazy:    t0/a=1, t0/b=1
//   txn1 durable: t0/a=2, t1/x=9
//   txn2 rollback t0/c=666
//   txn3 lazy:    t0/b deleted
//   txn4 open:    t1/y=777
Model History() {
  Model m;
  auto t0 = m.Begin(CommitMode::kLazy);
  m.Put(t0, "t0", "a", "1");
  m.Put(t0, "t0", "b", "1");
  m.Committed(t0);
  auto t1 = m.Begin(CommitMode::kDurable);
  m.Put(t1, "t0", "a", "2");
  m.Put(t1, "t1", "x", "9");
  m.Committed(t1);
  auto t2 = m.Begin(CommitMode::kDurable);
  m.Put(t2, "t0", "c", "666");
  m.RolledBack(t2);
  auto t3 = m.Begin(CommitMode::kLazy);
  m.Delete(t3, "t0", "b");
  m.Committed(t3);
  auto t4 = m.Begin(CommitMode::kDurable);
  m.Put(t4, "t1", "y", "777");
  return m;
}

TEST(Model, PrefixBoundsFollowDurableCommits) {
  Model m = History();
  EXPECT_EQ(m.MinPrefix(), 2u);  // txn1 was durable and is the 2nd commit
  EXPECT_EQ(m.MaxPrefix(), 3u);
  EXPECT_EQ(m.StateAfter(0), DbState{});
  DbState after2 = {{"t0", {{"a", "2"}, {"b", "1"}}}, {"t1", {{"x", "9"}}}};
  EXPECT_EQ(m.StateAfter(2), after2);
  DbState after3 = {{"t0", {{"a", "2"}}}, {"t1", {{"x", "9"}}}};
  EXPECT_EQ(m.StateAfter(3), after3);
  EXPECT_EQ(m.AcknowledgedState(), after3);
}

TEST(Model, AnEmptyDurableCommitPromisesNothing) {
  Model m;
  auto lazy = m.Begin(CommitMode::kLazy);
  m.Put(lazy, "t0", "k", "v");
  m.Committed(lazy);
  auto empty = m.Begin(CommitMode::kDurable);
  m.Committed(empty);
  EXPECT_EQ(m.MinPrefix(), 0u);
  EXPECT_TRUE(CheckState(m, {}, DefaultWindow(m)).ok());
}

TEST(Model, DeletingTheLastRecordRemovesTheTable) {
  Model m;
  auto t = m.Begin(CommitMode::kDurable);
  m.Put(t, "t0", "k", "v");
  m.Delete(t, "t0", "k");
  m.Committed(t);
  EXPECT_TRUE(m.StateAfter(1).empty());
}

TEST(Model, NothingMayFollowAnUncertainCommit) {
  Model m;
  auto t = m.Begin(CommitMode::kDurable);
  m.CommitUncertain(t);
  EXPECT_THROW(m.Begin(CommitMode::kDurable), std::logic_error);
}

// JetCommitTransaction(JET_bitWaitLastLevel0Commit) makes the lazy commits before it
// durable: the window's lower end moves past them, and a state without them is a lost
// durable commit.
TEST(Model, AFlushMakesEarlierLazyCommitsDurable) {
  Model m = History();
  ASSERT_EQ(m.MinPrefix(), 2u);
  m.Flushed();
  EXPECT_EQ(m.MinPrefix(), 3u);
  EXPECT_EQ(CheckState(m, m.StateAfter(2), DefaultWindow(m)).verdict, StateVerdict::kLostDurableCommit);
  EXPECT_TRUE(CheckState(m, m.StateAfter(3), DefaultWindow(m)).ok());
  // A later lazy commit is not covered by that flush.
  auto t = m.Begin(CommitMode::kLazy);
  m.Put(t, "t0", "z", "1");
  m.Committed(t);
  EXPECT_EQ(m.MinPrefix(), 3u);
  EXPECT_EQ(m.MaxPrefix(), 4u);
}

TEST(Model, NoFlushAfterAnUncertainCommitOrDuringACommit) {
  Model m;
  auto t = m.Begin(CommitMode::kLazy);
  m.CommitIssued(t);
  EXPECT_THROW(m.Flushed(), std::logic_error);
  m.CommitUncertain(t);
  EXPECT_THROW(m.Flushed(), std::logic_error);
}

// What a transaction must read: its own last write of a record, else the committed
// value; writes of a rolled-back savepoint no longer count.
TEST(Model, ATransactionSeesItsOwnWrites) {
  Model m = History();
  auto t = m.Begin(CommitMode::kDurable);
  EXPECT_EQ(m.ValueSeenBy(t, "t0", "a"), std::optional<Bytes>("2"));  // committed by txn1
  EXPECT_EQ(m.ValueSeenBy(t, "t0", "b"), std::nullopt);               // deleted by txn3
  m.Put(t, "t0", "a", "3");
  const std::size_t mark = m.Savepoint(t);
  m.Put(t, "t0", "a", "4");
  m.Delete(t, "t1", "x");
  EXPECT_EQ(m.ValueSeenBy(t, "t0", "a"), std::optional<Bytes>("4"));
  EXPECT_EQ(m.ValueSeenBy(t, "t1", "x"), std::nullopt);
  m.RolledBackTo(t, mark);
  EXPECT_EQ(m.ValueSeenBy(t, "t0", "a"), std::optional<Bytes>("3"));
  EXPECT_EQ(m.ValueSeenBy(t, "t1", "x"), std::optional<Bytes>("9"));
  // Another transaction still reads the committed value.
  auto other = m.Begin(CommitMode::kDurable);
  EXPECT_EQ(m.ValueSeenBy(other, "t0", "a"), std::optional<Bytes>("2"));
}

TEST(Oracle, AcceptsEveryPrefixInTheWindow) {
  Model m = History();
  for (std::size_t n = m.MinPrefix(); n <= m.MaxPrefix(); ++n) {
    StateCheck check = CheckState(m, m.StateAfter(n), DefaultWindow(m));
    EXPECT_TRUE(check.ok()) << "prefix " << n << ": " << check.explanation;
    EXPECT_EQ(check.matched_prefix, n);
  }
}

TEST(Oracle, DetectsALostDurableCommit) {
  Model m = History();
  StateCheck check = CheckState(m, m.StateAfter(1), DefaultWindow(m));
  EXPECT_EQ(check.verdict, StateVerdict::kLostDurableCommit) << check.explanation;
  EXPECT_EQ(check.matched_prefix, 1u);
  // The explanation names the first differing record against the window's edge.
  EXPECT_NE(check.explanation.find("table t0 key \"a\": expected \"2\", engine has \"1\""), std::string::npos)
      << check.explanation;
}

TEST(Oracle, DetectsAnUncommittedTransactionThatAppears) {
  Model m = History();
  DbState actual = m.StateAfter(3);
  actual["t1"]["y"] = "777";  // written only by the open transaction
  StateCheck check = CheckState(m, actual, DefaultWindow(m));
  EXPECT_EQ(check.verdict, StateVerdict::kUncommittedVisible) << check.explanation;
  EXPECT_NE(check.explanation.find("in-flight"), std::string::npos) << check.explanation;

  DbState rolled_back = m.StateAfter(3);
  rolled_back["t0"]["c"] = "666";  // written only by the rolled-back transaction
  check = CheckState(m, rolled_back, DefaultWindow(m));
  EXPECT_EQ(check.verdict, StateVerdict::kUncommittedVisible) << check.explanation;
  EXPECT_NE(check.explanation.find("rolled-back"), std::string::npos) << check.explanation;
}

TEST(Oracle, DetectsANonPrefixMix) {
  Model m = History();
  // txn3 (delete b) applied without txn1: a=1, no b, no x.
  DbState mix = {{"t0", {{"a", "1"}}}};
  StateCheck check = CheckState(m, mix, DefaultWindow(m));
  EXPECT_EQ(check.verdict, StateVerdict::kNotAPrefix) << check.explanation;
  EXPECT_GT(check.differing_records, 0u);
}

TEST(Oracle, DetectsACorruptedValue) {
  Model m = History();
  DbState actual = m.StateAfter(3);
  actual["t1"]["x"] = std::string("\x00\x01", 2);
  StateCheck check = CheckState(m, actual, DefaultWindow(m));
  EXPECT_EQ(check.verdict, StateVerdict::kNotAPrefix);
  EXPECT_NE(check.explanation.find("table t1 key \"x\": expected \"9\", engine has 0x0001"), std::string::npos)
      << check.explanation;
}

TEST(Oracle, NarrowWindowRejectsAStateBeyondIt) {
  Model m = History();
  // A circular-log restore must land exactly on the backup moment, say after 2 commits.
  StateCheck check = CheckState(m, m.StateAfter(3), PrefixWindow{2, 2});
  EXPECT_EQ(check.verdict, StateVerdict::kBeyondWindow) << check.explanation;
  EXPECT_TRUE(CheckState(m, m.StateAfter(2), PrefixWindow{2, 2}).ok());
}

TEST(Oracle, EmptyModelAcceptsOnlyAnEmptyDatabase) {
  Model m;
  EXPECT_TRUE(CheckState(m, {}, DefaultWindow(m)).ok());
  EXPECT_EQ(CheckState(m, {{"t0", {{"k", "v"}}}}, DefaultWindow(m)).verdict, StateVerdict::kNotAPrefix);
}

TEST(Hex, RecordsRoundTripSortedLowercase) {
  DbState state = {{"t1", {{std::string("\xff\x00", 2), ""}}}, {"t0", {{"b", "B"}, {"a", "\x0a"}}}};
  std::string text = FormatRecords(state);
  EXPECT_EQ(text, "t0\t61\t0a\nt0\t62\t42\nt1\tff00\t\n");
  std::string error;
  auto parsed = ParseRecords(text, &error);
  ASSERT_TRUE(parsed.has_value()) << error;
  EXPECT_EQ(*parsed, state);
  EXPECT_FALSE(ParseRecords("t0\tzz\t00\n", &error).has_value());
  EXPECT_FALSE(ParseRecords("t0\t00\n", &error).has_value());
  EXPECT_EQ(HexDecode("0A"), std::optional<Bytes>("\x0a"));
  EXPECT_EQ(HexDecode("abc"), std::nullopt);
}

}  // namespace
}  // namespace jetharness

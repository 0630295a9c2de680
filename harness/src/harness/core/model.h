// harness/core/model.h — what the workload did, as the oracle needs to know it.
//
// The Model is the harness's memory of every transaction it issued: the operations
// (per table and key), how each one ended, and the order in which commits were
// attempted. The engine's log orders commits the same way (one session, one log), so
// any state recovery may legitimately produce is the model's state after a *prefix*
// of the commit attempts:
//
//   * every commit acknowledged as durable (JetCommitTransaction without
//     JET_bitCommitLazyFlush returned success) is inside the prefix: it was synced,
//     and so was everything logged before it. A transaction that changed nothing
//     writes no commit record (as in ESE, where only JET_bitWaitLastLevel0Commit
//     flushes earlier commits), so its durable commit promises nothing;
//   * so is every commit acknowledged before a JetCommitTransaction(
//     JET_bitWaitLastLevel0Commit) returned success (Flushed): that call flushes the
//     log, lazy commits included;
//   * lazily acknowledged commits and commits whose call failed ("uncertain": the
//     commit record may or may not have reached the log) may or may not be inside;
//   * rolled-back and in-flight transactions are never visible.
//
// The workload stops at its first failed call (an instance that failed a log write
// is unusable, as in ESE), so an uncertain commit can only be the last attempt. The
// model asserts this, which keeps "some prefix" an exact description.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace jetharness {

// Keys and values are binary; std::string is a convenient owner of bytes.
using Bytes = std::string;
// std::less<>: the oracle looks records up by views, without copying keys.
using TableState = std::map<Bytes, Bytes, std::less<>>;
// The logical content of the databases: table name -> key -> value. Table names are
// unique across the databases of one instance (see workload.h). Tables with no
// records are absent, so that "created but empty" and "not created" compare equal.
using DbState = std::map<std::string, TableState, std::less<>>;

// One record change. value == nullopt means delete.
struct Op {
  std::string table;
  Bytes key;
  std::optional<Bytes> value;
  friend bool operator==(const Op&, const Op&) = default;
};

enum class CommitMode : std::uint8_t { kLazy, kDurable };

enum class TxnOutcome : std::uint8_t {
  kInFlight,         // begun, never ended (still open at the crash)
  kRolledBack,       // JetRollback returned (or was never needed: nothing visible)
  kCommitted,        // JetCommitTransaction returned success
  kCommitUncertain,  // JetCommitTransaction failed or the machine crashed inside it
};

struct Txn {
  std::uint64_t id = 0;
  CommitMode mode = CommitMode::kDurable;
  TxnOutcome outcome = TxnOutcome::kInFlight;
  std::vector<Op> ops;
  // Writes undone by the rollback of a savepoint (a nested transaction level): never
  // part of any state, kept so the oracle can name them should one become visible.
  std::vector<Op> undone;
};

const char* TxnOutcomeName(TxnOutcome outcome);

class Model {
 public:
  using TxnId = std::uint64_t;

  // The content before the first transaction (e.g. records a setup phase committed
  // and shut down cleanly): every prefix starts from it.
  void SetBase(DbState base) { base_ = std::move(base); }
  const DbState& base() const { return base_; }

  // Starts recording a transaction; mode is how it will be committed.
  TxnId Begin(CommitMode mode);
  void Put(TxnId txn, const std::string& table, Bytes key, Bytes value);
  void Delete(TxnId txn, const std::string& table, Bytes key);
  // The commit call is about to be made (until Committed/CommitUncertain: a power
  // failure now leaves the commit uncertain).
  void CommitIssued(TxnId txn);
  // The commit call returned success.
  void Committed(TxnId txn);
  // The commit call failed or never returned (crash): the commit may have happened.
  void CommitUncertain(TxnId txn);
  void RolledBack(TxnId txn);
  // JetCommitTransaction(JET_bitWaitLastLevel0Commit) returned success: every commit
  // acknowledged so far is durable, lazy ones too.
  void Flushed();
  // A savepoint (JetBeginTransaction inside the transaction): returns its mark.
  std::size_t Savepoint(TxnId txn) const { return txns_.at(txn).ops.size(); }
  // JetRollback of the innermost level returned: the writes since `mark` are undone.
  void RolledBackTo(TxnId txn, std::size_t mark);
  // The value a record has in the state every acknowledged commit so far leaves
  // (nullopt: absent): what another transaction must read while one holds the record.
  std::optional<Bytes> CommittedValue(const std::string& table, const Bytes& key) const;
  // The value the open transaction txn must read for a record: its own last write of
  // it (savepoints rolled back excluded), else the committed value.
  std::optional<Bytes> ValueSeenBy(TxnId txn, const std::string& table, const Bytes& key) const;

  const Txn& txn(TxnId id) const { return txns_.at(id); }
  const std::vector<Txn>& txns() const { return txns_; }
  // Ids of committed or uncertain transactions, in the order their commits were issued.
  const std::vector<TxnId>& commit_order() const { return commit_order_; }

  // Every legal recovered state is StateAfter(n) for some n in [MinPrefix, MaxPrefix].
  // MinPrefix: one past the last durably acknowledged commit, or the commits
  // acknowledged before the last flush if more. MaxPrefix: all attempts.
  std::size_t MinPrefix() const;
  std::size_t MaxPrefix() const { return commit_order_.size(); }
  // What MaxPrefix() would be if the machine died now: a commit call in progress is
  // uncertain. With MinPrefix(), the window of a power failure at this moment, valid
  // against this model however the workload goes on (commits only append).
  std::size_t MaxPrefixIfCrashedNow() const { return commit_order_.size() + (pending_commit_ ? 1 : 0); }
  // Number of commit attempts issued so far (a "moment" a scenario can remember, e.g.
  // the backup moment, and later pass to the oracle as a bound).
  std::size_t CommitCount() const { return commit_order_.size(); }
  // The state after the first n commit attempts (n <= MaxPrefix).
  DbState StateAfter(std::size_t n) const;
  // What a clean shutdown must show: every acknowledged commit (uncertain ones excluded).
  DbState AcknowledgedState() const;

 private:
  Txn& Open(TxnId txn);
  DbState base_;
  std::vector<Txn> txns_;
  std::vector<TxnId> commit_order_;
  std::optional<TxnId> pending_commit_;
  std::size_t flushed_prefix_ = 0;  // commit attempts made durable by the last Flushed()
};

// Applies one transaction's ops to a state (used by the model and the oracle).
void ApplyOps(const std::vector<Op>& ops, DbState* state);

}  // namespace jetharness

#include "harness/core/model.h"

#include <iterator>
#include <stdexcept>
#include <utility>

namespace jetharness {

const char* TxnOutcomeName(TxnOutcome outcome) {
  switch (outcome) {
    case TxnOutcome::kInFlight: return "in-flight";
    case TxnOutcome::kRolledBack: return "rolled-back";
    case TxnOutcome::kCommitted: return "committed";
    case TxnOutcome::kCommitUncertain: return "commit-uncertain";
  }
  return "?";
}

Model::TxnId Model::Begin(CommitMode mode) {
  // An uncertain commit ends the workload (see model.h): nothing may follow it.
  if (!commit_order_.empty() && txns_[commit_order_.back()].outcome == TxnOutcome::kCommitUncertain) {
    throw std::logic_error("Model: a transaction began after an uncertain commit");
  }
  Txn txn;
  txn.id = txns_.size();
  txn.mode = mode;
  txns_.push_back(std::move(txn));
  return txns_.back().id;
}

Txn& Model::Open(TxnId id) {
  Txn& txn = txns_.at(id);
  if (txn.outcome != TxnOutcome::kInFlight) throw std::logic_error("Model: transaction already ended");
  return txn;
}

void Model::Put(TxnId id, const std::string& table, Bytes key, Bytes value) {
  Open(id).ops.push_back(Op{table, std::move(key), std::move(value)});
}

void Model::Delete(TxnId id, const std::string& table, Bytes key) {
  Open(id).ops.push_back(Op{table, std::move(key), std::nullopt});
}

void Model::CommitIssued(TxnId id) {
  Open(id);
  pending_commit_ = id;
}

void Model::Committed(TxnId id) {
  Open(id).outcome = TxnOutcome::kCommitted;
  commit_order_.push_back(id);
  pending_commit_.reset();
}

void Model::CommitUncertain(TxnId id) {
  Open(id).outcome = TxnOutcome::kCommitUncertain;
  commit_order_.push_back(id);
  pending_commit_.reset();
}

void Model::RolledBack(TxnId id) { Open(id).outcome = TxnOutcome::kRolledBack; }

void Model::Flushed() {
  // An uncertain commit ends the workload (see model.h): no call follows it.
  if (!commit_order_.empty() && txns_[commit_order_.back()].outcome == TxnOutcome::kCommitUncertain) {
    throw std::logic_error("Model: a flush after an uncertain commit");
  }
  if (pending_commit_) throw std::logic_error("Model: a flush while a commit call is in progress");
  flushed_prefix_ = commit_order_.size();
}

void Model::RolledBackTo(TxnId id, std::size_t mark) {
  Txn& txn = Open(id);
  if (mark > txn.ops.size()) throw std::logic_error("Model: savepoint mark beyond the transaction's writes");
  txn.undone.insert(txn.undone.end(), std::make_move_iterator(txn.ops.begin() + static_cast<std::ptrdiff_t>(mark)),
                    std::make_move_iterator(txn.ops.end()));
  txn.ops.resize(mark);
}

std::optional<Bytes> Model::CommittedValue(const std::string& table, const Bytes& key) const {
  for (auto it = commit_order_.rbegin(); it != commit_order_.rend(); ++it) {
    const Txn& txn = txns_[*it];
    if (txn.outcome != TxnOutcome::kCommitted) continue;
    for (auto op = txn.ops.rbegin(); op != txn.ops.rend(); ++op) {
      if (op->table == table && op->key == key) return op->value;
    }
  }
  auto in_table = base_.find(table);
  if (in_table == base_.end()) return std::nullopt;
  auto record = in_table->second.find(key);
  if (record == in_table->second.end()) return std::nullopt;
  return record->second;
}

std::optional<Bytes> Model::ValueSeenBy(TxnId id, const std::string& table, const Bytes& key) const {
  const Txn& txn = txns_.at(id);
  for (auto op = txn.ops.rbegin(); op != txn.ops.rend(); ++op) {
    if (op->table == table && op->key == key) return op->value;
  }
  return CommittedValue(table, key);
}

std::size_t Model::MinPrefix() const {
  for (std::size_t i = commit_order_.size(); i > flushed_prefix_; --i) {
    const Txn& txn = txns_[commit_order_[i - 1]];
    if (txn.outcome == TxnOutcome::kCommitted && txn.mode == CommitMode::kDurable && !txn.ops.empty()) return i;
  }
  return flushed_prefix_;
}

void ApplyOps(const std::vector<Op>& ops, DbState* state) {
  for (const Op& op : ops) {
    if (op.value.has_value()) {
      (*state)[op.table][op.key] = *op.value;
    } else {
      auto table = state->find(op.table);
      if (table == state->end()) continue;
      table->second.erase(op.key);
      if (table->second.empty()) state->erase(table);
    }
  }
}

DbState Model::StateAfter(std::size_t n) const {
  if (n > commit_order_.size()) throw std::out_of_range("Model::StateAfter: prefix beyond the commits");
  DbState state = base_;
  for (std::size_t i = 0; i < n; ++i) ApplyOps(txns_[commit_order_[i]].ops, &state);
  return state;
}

DbState Model::AcknowledgedState() const {
  DbState state = base_;
  for (TxnId id : commit_order_) {
    if (txns_[id].outcome == TxnOutcome::kCommitted) ApplyOps(txns_[id].ops, &state);
  }
  return state;
}

}  // namespace jetharness

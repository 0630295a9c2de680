#include "harness/core/model.h"

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

void Model::Committed(TxnId id) {
  Open(id).outcome = TxnOutcome::kCommitted;
  commit_order_.push_back(id);
}

void Model::CommitUncertain(TxnId id) {
  Open(id).outcome = TxnOutcome::kCommitUncertain;
  commit_order_.push_back(id);
}

void Model::RolledBack(TxnId id) { Open(id).outcome = TxnOutcome::kRolledBack; }

std::size_t Model::MinPrefix() const {
  for (std::size_t i = commit_order_.size(); i > 0; --i) {
    const Txn& txn = txns_[commit_order_[i - 1]];
    if (txn.outcome == TxnOutcome::kCommitted && txn.mode == CommitMode::kDurable && !txn.ops.empty()) return i;
  }
  return 0;
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
  DbState state;
  for (std::size_t i = 0; i < n; ++i) ApplyOps(txns_[commit_order_[i]].ops, &state);
  return state;
}

DbState Model::AcknowledgedState() const {
  DbState state;
  for (TxnId id : commit_order_) {
    if (txns_[id].outcome == TxnOutcome::kCommitted) ApplyOps(txns_[id].ops, &state);
  }
  return state;
}

}  // namespace jetharness

#include "harness/seam/engine_under_test.h"

#include <fmt/format.h>

#include "jetfault/assert.h"

namespace jetharness {

std::string EngineResult::ToString() const {
  if (ok()) return call.empty() ? "ok" : call + ": ok";
  return fmt::format("{} returned {}{}", call, code, message.empty() ? "" : ": " + message);
}

namespace {

// Begins a transaction and issues ops, recording each in *model before the call: a
// write that failed may still be in the engine's open transaction, which is never
// visible (in flight) unless its commit is attempted.
EngineResult BeginAndWrite(EngineUnderTest& engine, const std::vector<SpecOp>& ops, Model::TxnId id, Model* model) {
  EngineResult r = engine.Begin();
  if (!r.ok()) return r;
  for (const SpecOp& op : ops) {
    if (op.kind == OpKind::kDelete) {
      model->Delete(id, op.table, op.key);
    } else {
      model->Put(id, op.table, op.key, op.value);
    }
    r = engine.Write(op);
    if (!r.ok()) return r;
  }
  return r;
}

// One transaction of the spec: begin, writes, end; recorded in *model.
EngineResult RunTxn(EngineUnderTest& engine, const TxnSpec& txn, Model* model) {
  JF_ASSERT(!txn.probe.has_value());
  JF_ASSERT(!txn.has_savepoint());
  const CommitMode mode = txn.end == TxnEnd::kCommitLazy ? CommitMode::kLazy : CommitMode::kDurable;
  const Model::TxnId id = model->Begin(mode);
  EngineResult r = BeginAndWrite(engine, txn.ops, id, model);
  if (!r.ok()) return r;
  if (txn.end == TxnEnd::kRollback) {
    r = engine.Rollback();
    if (r.ok()) model->RolledBack(id);
    return r;
  }
  model->CommitIssued(id);
  r = engine.Commit(mode);
  if (r.ok()) {
    model->Committed(id);
  } else {
    model->CommitUncertain(id);
  }
  return r;
}

}  // namespace

EngineResult RunSpec(EngineUnderTest& engine, const WorkloadSpec& spec, bool inflight, Model* model) {
  for (const TxnSpec& txn : spec.transactions) {
    EngineResult r = RunTxn(engine, txn, model);
    if (!r.ok()) return r;
  }
  if (inflight && !spec.inflight.empty()) {
    const Model::TxnId id = model->Begin(CommitMode::kDurable);
    return BeginAndWrite(engine, spec.inflight.front().ops, id, model);
  }
  return EngineResult{};
}

faultfs::Status MakeDirsDurable(faultfs::Vfs& vfs, const std::string& path) {
  if (faultfs::Status s = faultfs::MakeDirs(vfs, path); !s.ok()) return s;
  for (std::string dir = path; dir != "/" && dir != "."; dir = faultfs::ParentPath(dir)) {
    if (faultfs::Status s = vfs.SyncDir(faultfs::ParentPath(dir)); !s.ok()) return s;
  }
  return faultfs::Status::Ok();
}

EngineResult RunPreload(EngineUnderTest& engine, const WorkloadSpec& spec) {
  Model scratch;
  scratch.SetBase(DbState{});
  for (const TxnSpec& txn : spec.preload) {
    EngineResult r = RunTxn(engine, txn, &scratch);
    if (!r.ok()) return r;
  }
  return EngineResult{};
}

}  // namespace jetharness

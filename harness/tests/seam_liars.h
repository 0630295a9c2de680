// Adapters that lie, for the tests of the engine seam's generic scenarios: each wraps an
// honest adapter (JET's or SQLite's) and forwards every call except what it lies
// about, so a test shows that the generic scenario catches that lie on a real engine.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "harness/seam/engine_under_test.h"

namespace jetharness {

class LyingAdapter : public EngineUnderTest {
 public:
  explicit LyingAdapter(std::unique_ptr<EngineUnderTest> inner) : inner_(std::move(inner)) {}
  EngineResult Open(faultfs::Vfs* vfs, const WorkloadSpec& spec, bool create) override {
    return inner_->Open(vfs, spec, create);
  }
  EngineResult Begin() override { return inner_->Begin(); }
  EngineResult Write(const SpecOp& op) override { return inner_->Write(op); }
  EngineResult Commit(CommitMode mode) override { return inner_->Commit(mode); }
  EngineResult Rollback() override { return inner_->Rollback(); }
  EngineResult Scan(const WorkloadSpec& spec, DbState* out) override { return inner_->Scan(spec, out); }
  EngineResult Close() override { return inner_->Close(); }
  void Abandon() override { inner_->Abandon(); }
  std::string CodeViolation(FaultClass fault, const std::string& path, const EngineResult& failure) const override {
    return inner_->CodeViolation(fault, path, failure);
  }
  std::string CodeLabel(int code) const override { return inner_->CodeLabel(code); }
  bool SupportsBackup() const override { return inner_->SupportsBackup(); }
  EngineResult Backup(const std::string& backup_dir) override { return inner_->Backup(backup_dir); }
  EngineResult Restore(faultfs::Vfs* vfs, const std::string& backup_dir) override {
    return inner_->Restore(vfs, backup_dir);
  }

 protected:
  std::unique_ptr<EngineUnderTest> inner_;
};

// A backup that misses the last committed write: Backup deletes the record the last
// committed insert or replace wrote (in a transaction of its own), backs up, and puts
// the record back, so the store and every later call of the workload see nothing
// wrong; only a restore shows the backup lacks a transaction committed before Backup
// was called. Honest when no insert or replace was committed yet (a variant of no
// transactions, which the shrinker tries first).
class BackupOmitsLastWrite final : public LyingAdapter {
 public:
  using LyingAdapter::LyingAdapter;
  EngineResult Begin() override {
    open_.clear();
    return inner_->Begin();
  }
  EngineResult Write(const SpecOp& op) override {
    open_.push_back(op);
    return inner_->Write(op);
  }
  EngineResult Commit(CommitMode mode) override {
    EngineResult r = inner_->Commit(mode);
    if (!r.ok()) return r;
    for (const SpecOp& op : open_) {
      if (op.kind == OpKind::kDelete) {
        if (last_ && last_->table == op.table && last_->key == op.key) last_.reset();
      } else {
        last_ = op;
      }
    }
    return r;
  }
  EngineResult Backup(const std::string& backup_dir) override {
    if (!last_) return inner_->Backup(backup_dir);
    SpecOp remove = *last_;
    remove.kind = OpKind::kDelete;
    SpecOp put_back = *last_;
    put_back.kind = OpKind::kInsert;
    EngineResult r = Apply(remove);
    if (r.ok()) r = inner_->Backup(backup_dir);
    if (r.ok()) r = Apply(put_back);
    return r;
  }

 private:
  EngineResult Apply(const SpecOp& op) {
    EngineResult r = inner_->Begin();
    if (r.ok()) r = inner_->Write(op);
    if (r.ok()) r = inner_->Commit(CommitMode::kDurable);
    return r;
  }

  std::vector<SpecOp> open_;    // the writes of the open transaction
  std::optional<SpecOp> last_;  // the last committed insert or replace whose record is still there
};

}  // namespace jetharness

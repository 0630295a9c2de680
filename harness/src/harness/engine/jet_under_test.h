// harness/engine/jet_under_test.h — the JET engine as an EngineUnderTest.
//
// The seam's adapter for the engine of this project, over its public API (jet.h)
// through the driver's own pieces: EngineInstance (instance, parameters, every call
// recorded), WorkloadSession (one session, every database attached and opened, every
// table open; its single-session calls) and ReadAllDatabases (the scan and its
// physical checks). One session and one transaction at a time, which is all the seam
// expresses: the driver's probes, savepoints, in-flight transactions on sessions of
// their own, incremental backups and restores that roll forward or go elsewhere stay
// with JET's own scenarios (engine/scenarios.h).
//
// Begin/Write/Commit/Rollback are JetBeginTransaction, JetInsertRecord /
// JetReplaceRecord / JetDeleteRecord, JetCommitTransaction (a lazy commit with
// JET_bitCommitLazyFlush: JET has both kinds, so the seam's workloads keep the
// generator's lazy commits) and JetRollback. Open is JetInit (soft recovery when the
// log needs it) and the session; Close is JetTerm; Abandon, JetTerm2(JET_bitTermAbrupt).
// CodeViolation is the error map (core/errmap.h) itself: the faulted file gives the
// row's file role, the failing call its phase (JetInit: recovery).
#pragma once

#include <memory>
#include <string>

#include "harness/core/scenario.h"
#include "harness/engine/driver.h"
#include "harness/engine/layout.h"
#include "harness/seam/engine_under_test.h"
#include "harness/seam/scenarios.h"

namespace jetharness {

class JetUnderTest final : public EngineUnderTest {
 public:
  explicit JetUnderTest(InstanceSettings settings) : settings_(std::move(settings)) {}
  ~JetUnderTest() override;

  EngineResult Open(faultfs::Vfs* vfs, const WorkloadSpec& spec, bool create) override;
  EngineResult Begin() override;
  EngineResult Write(const SpecOp& op) override;
  EngineResult Commit(CommitMode mode) override;
  EngineResult Rollback() override;
  EngineResult Scan(const WorkloadSpec& spec, DbState* out) override;
  EngineResult Close() override;
  void Abandon() override;
  std::string CodeViolation(FaultClass fault, const std::string& faulted_path,
                            const EngineResult& failure) const override;
  std::string CodeLabel(int code) const override;

  // Only with circular logging: JetRestoreInstance then stops at the backup moment
  // and deletes the log path's later generations (docs/RESTORE.md, "With circular
  // logging"). Without it JET rolls the restored databases forward through the log
  // path's later generations, ESE's documented behaviour and not the seam's contract
  // (the store's later commits would come back).
  bool SupportsBackup() const override { return settings_.circular; }
  // JetBackupInstance (full) on the open instance: the set holds the log up to the
  // rollover it makes, so every commit before the call, lazy ones included; refused
  // by JetRestoreInstance (JET_errFileNotFound) until its manifest, written last, is.
  EngineResult Backup(const std::string& backup_dir) override;
  // JetRestoreInstance(backup_dir, szDest null) on a new instance: each database back
  // to its original path, hard recovery, a clean shutdown. It verifies the set before
  // it writes anything, and is repeatable after a crash (docs/RESTORE.md).
  EngineResult Restore(faultfs::Vfs* vfs, const std::string& backup_dir) override;

 private:
  // The result of the last call: the instance's first failure, if any (its calls are
  // sticky: after one fails, none runs), else success.
  EngineResult Result() const;

  InstanceSettings settings_;
  WorkloadSpec spec_;  // the session keeps a reference to it
  std::unique_ptr<EngineInstance> instance_;
  std::unique_ptr<WorkloadSession> session_;
};

// Every file of the instance (checkpoint, logs, databases) in `dir`: the seam's data
// directory (SeamEnv::data_dir), which is all SeamSetupDisk makes.
InstanceSettings JetSeamSettings(const std::string& dir);

// The SeamEnv of a case of jet-seam-crash and jet-seam-io-error: even cases a few
// short transactions, odd cases more and larger ones with long values; lazy commits and
// rollbacks as the generator makes them, one transaction left in flight, no probes or
// savepoints (the seam has one session).
SeamEnv MakeJetSeamEnv(const CaseContext& ctx);
// jet-seam-backup's: the same workload on an instance that logs circularly (so that
// the adapter supports backup and restore), no transaction left in flight.
SeamEnv MakeJetSeamBackupEnv(const CaseContext& ctx);

}  // namespace jetharness

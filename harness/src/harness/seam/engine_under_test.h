// harness/seam/engine_under_test.h — what the harness needs of an engine it tests.
//
// The seam between the engine-independent harness (workload generator, Model,
// oracle, crash states recorded once, steps, replay lines) and one storage engine.
// An adapter implements EngineUnderTest over the engine's own API; the generic
// executor (RunSpec) and the generic scenarios (seam/scenarios.h) do the rest. Two
// adapters: JET (harness/engine/jet_under_test.h, over the driver's pieces) and SQLite
// (harness/sqlite/engine.h, the worked example of docs/HARNESS.md, "Adding an engine").
// What the seam cannot express (several sessions, savepoints, probes, incremental
// backups, restores elsewhere, every code of a damaged set) JET's own scenarios drive
// through harness/engine/driver.h.
//
// Contract of every call: it returns an EngineResult (code 0: success). The executor
// stops at the first failure, as it does for JET (an engine that failed a write may be
// unusable), so the Model stays exact: an uncertain commit can only be the last.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "faultfs/vfs.h"
#include "harness/core/errmap.h"
#include "harness/core/model.h"
#include "harness/core/workload.h"

namespace jetharness {

// Not an engine code: the engine answered against the model (a replace that changed
// no record, a scan that found a record twice). No code map allows it.
inline constexpr int kSeamModelMismatch = -99'002;

struct EngineResult {
  int code = 0;
  std::string call;     // "COMMIT", "sqlite3_open_v2", ...
  std::string message;  // the engine's own words, if any
  bool ok() const { return code == 0; }
  std::string ToString() const;
};

class EngineUnderTest {
 public:
  virtual ~EngineUnderTest() = default;

  // Opens the engine's store on `vfs`, running its own recovery if the store needs it
  // (hot journal, WAL, log replay). create: make the store and every table of spec.
  virtual EngineResult Open(faultfs::Vfs* vfs, const WorkloadSpec& spec, bool create) = 0;
  virtual EngineResult Begin() = 0;
  // One write of the open transaction: an insert of an absent key, a replace or a
  // delete of a present one (the spec's ops are valid, so anything else is a mismatch).
  virtual EngineResult Write(const SpecOp& op) = 0;
  virtual EngineResult Commit(CommitMode mode) = 0;
  virtual EngineResult Rollback() = 0;
  // Every record of every table of spec, plus the engine's own physical checks
  // (kSeamModelMismatch or the engine's corruption code when they fail).
  virtual EngineResult Scan(const WorkloadSpec& spec, DbState* out) = 0;
  // A clean shutdown.
  virtual EngineResult Close() = 0;
  // The process died: free everything. The caller has fenced the Vfs first (e.g.
  // FaultFs::CrashNow), so nothing the engine does now reaches storage.
  virtual void Abandon() = 0;

  // Is `failure` what a call may return while `fault` hits the I/O operation on
  // `faulted_path`? "" when allowed, else why not: the engine's own map of result codes
  // per fault class (JET: the error map, errmap.h, whose rows also depend on the file
  // and on the failing call's phase; SQLite: SqliteCodeMap, by fault class alone).
  virtual std::string CodeViolation(FaultClass fault, const std::string& faulted_path,
                                    const EngineResult& failure) const = 0;
  virtual std::string CodeLabel(int code) const = 0;

  // ---- backup and restore (optional) ------------------------------------------------
  //
  // An adapter whose engine can copy a live store and bring it back says so here and
  // overrides Backup and Restore; the others keep these defaults, and the generic
  // backup scenario (RunSeamBackup, seam/scenarios.h) is not registered for them.
  virtual bool SupportsBackup() const { return false; }

  // A full online backup of the open store into `backup_dir`, on the Vfs the store was
  // opened on (the adapter creates the directory, durably, if it is absent; it must
  // not hold an earlier backup). Called between transactions, never inside one. On
  // success the backup holds exactly the state of every transaction committed (lazy
  // ones included) before Backup was called, and nothing else: no rolled-back or
  // uncommitted write. (An engine's backup may also take what commits while it runs,
  // JET's the log up to the rollover it makes; the seam has one session, so nothing
  // does, and the window is exact: the commits acknowledged before the call.) It is
  // durable when Backup returns: a power loss after that must not cost it. The store
  // stays open and usable; what is committed afterwards is not in the backup. The call may fail (code != 0): the store
  // is then as after any failing call (the executor stops), and the backup directory is what an interrupted backup
  // leaves.
  //
  // Interrupted (the process dies, power fails) part way: `backup_dir` holds either a
  // complete backup (as above) or one Restore refuses. Never anything in between.
  virtual EngineResult Backup(const std::string& backup_dir) {
    return EngineResult{-1, "Backup", "not supported (SupportsBackup() is false): " + backup_dir};
  }

  // Replaces the store on `vfs` by the backup in `backup_dir` and runs the engine's
  // recovery; called on a closed adapter (no Open before it) and leaves it closed,
  // whatever it returns. On success a following Open(create = false) sees exactly the
  // backup's state (and runs nothing that brings back later commits of the store). A
  // directory that holds no complete backup (an interrupted Backup) is refused with an
  // error before the store is touched: the store then recovers as if Restore had never
  // run. Restore never changes the backup's content (it may run the backup's own
  // recovery, e.g. SQLite rolling back an interrupted copy's journal), so:
  //
  // Interrupted part way: the store may be in any state, but Restore run again on what
  // the interruption left (same backup) must succeed with the backup's state, as above.
  //
  // How the caller judges it (RunSeamBackup): power loss before every I/O operation of
  // Backup and of Restore. A backup interrupted before Backup returned must be refused
  // (store unchanged: within the workload's window at that moment) or restore exactly;
  // one after it returned must restore exactly; an interrupted Restore rerun must
  // succeed exactly; and the state of an acknowledged Restore must survive a power loss.
  virtual EngineResult Restore(faultfs::Vfs* /*vfs*/, const std::string& backup_dir) {
    return EngineResult{-1, "Restore", "not supported (SupportsBackup() is false): " + backup_dir};
  }
};

using EngineFactory = std::function<std::unique_ptr<EngineUnderTest>()>;

// Creates every missing directory along `path` and syncs each one's parent, so that
// the directories survive a power loss (a store's or a backup's directory).
faultfs::Status MakeDirsDurable(faultfs::Vfs& vfs, const std::string& path);

// Runs spec's transactions [0, transactions.size()) on an open engine, recording them
// in *model (whose base the caller set), then, with `inflight`, begins the first
// in-flight transaction and leaves it open. Stops at the first failing call and
// returns it (ok() when none failed). Needs neither savepoints nor probes of the spec
// (asserted): a single-session adapter runs what the generator gives it without them.
EngineResult RunSpec(EngineUnderTest& engine, const WorkloadSpec& spec, bool inflight, Model* model);
// Commits spec.preload durably (inserts only).
EngineResult RunPreload(EngineUnderTest& engine, const WorkloadSpec& spec);

}  // namespace jetharness

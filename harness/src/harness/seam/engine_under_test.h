// harness/seam/engine_under_test.h — what the harness needs of an engine it tests.
//
// The seam between the engine-independent harness (workload generator, Model,
// oracle, crash states recorded once, steps, replay lines) and one storage engine.
// An adapter implements EngineUnderTest over the engine's own API; the generic
// executor (RunSpec) and the generic scenarios (seam/scenarios.h) do the rest. Two
// adapters: JET (harness/engine/jet_under_test.h, over the driver's pieces) and SQLite
// (harness/sqlite/engine.h, the worked example of docs/HARNESS.md, "Adding an engine").
// What the seam cannot express (several sessions, savepoints, probes, backup and
// restore with their codes) JET's own scenarios drive through harness/engine/driver.h.
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
};

using EngineFactory = std::function<std::unique_ptr<EngineUnderTest>()>;

// Runs spec's transactions [0, transactions.size()) on an open engine, recording them
// in *model (whose base the caller set), then, with `inflight`, begins the first
// in-flight transaction and leaves it open. Stops at the first failing call and
// returns it (ok() when none failed). Needs neither savepoints nor probes of the spec
// (asserted): a single-session adapter runs what the generator gives it without them.
EngineResult RunSpec(EngineUnderTest& engine, const WorkloadSpec& spec, bool inflight, Model* model);
// Commits spec.preload durably (inserts only).
EngineResult RunPreload(EngineUnderTest& engine, const WorkloadSpec& spec);

}  // namespace jetharness

// harness/engine/driver.h — driving the engine through jet/jet.h, and nothing else.
//
// EngineInstance owns one JET instance for the length of one harness phase and makes
// sure it never outlives that phase: whatever happens, its destructor ends the
// instance abruptly (JetTerm2(JET_bitTermAbrupt): drop everything, as a killed
// process), so the Vfs it ran on can be imaged or destroyed afterwards.
//
// Every API call goes through Call(), which remembers the first failure (call name +
// code) and reports every result to an observer: that is how scenarios check each
// code against the error map without repeating themselves.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "faultfs/vfs.h"
#include "harness/core/model.h"
#include "harness/core/workload.h"
#include "harness/engine/layout.h"
#include "jet/jet.h"

namespace jetharness {

// Not an engine code: what a phase records when the engine answered a call against
// the model's prediction (e.g. success where JET_errWriteConflict was due, or another
// session reading a value nobody committed). No error-map row allows it.
inline constexpr JET_ERR kModelViolation = -99'001;

// The first failing call of a phase (code == JET_errSuccess when none failed).
struct CallFailure {
  std::string call;
  JET_ERR code = JET_errSuccess;
  bool failed() const { return code < 0; }
  std::string ToString() const;
};

// Observes every API result: (call name, code). Warnings (> 0) count as success.
using CallObserver = std::function<void(const std::string& call, JET_ERR code)>;

class EngineInstance {
 public:
  // Creates the instance and sets its parameters (vfs, paths, page and log sizes).
  EngineInstance(faultfs::Vfs* vfs, const InstanceSettings& settings, CallObserver observer = nullptr);
  ~EngineInstance();
  EngineInstance(const EngineInstance&) = delete;
  EngineInstance& operator=(const EngineInstance&) = delete;

  // Runs `fn` (an API call) unless an earlier call failed; records and reports it.
  // A template rather than std::function: a scan makes a call per record, and a
  // lambda capturing its arguments would otherwise be allocated every time.
  template <class Fn>
  JET_ERR Call(const std::string& name, Fn&& fn) {
    if (failure_.failed()) return failure_.code;
    if (before_call_) before_call_(name);
    const JET_ERR err = std::forward<Fn>(fn)();
    if (observer_) observer_(name, err);
    if (err < 0) failure_ = CallFailure{name, err};
    return err;
  }
  // The engine contradicted the model (`what` says how): recorded like a failed call
  // with code kModelViolation, so the phase ends and every check reports it.
  void Violation(std::string what);
  // The engine broke a contract that holds whatever the call returned (its progress
  // reports): recorded as Violation is, and also in place of a failed call's code, so
  // that a contract broken on the way to an error is reported too.
  void ContractViolation(std::string what);
  // Called with the call's name just before Call() runs it (after an earlier failure:
  // not at all). Lets a child process report "commit issued" before the call returns.
  void set_before_call(std::function<void(const std::string& call)> hook) { before_call_ = std::move(hook); }

  JET_ERR Init();  // JetInit (soft recovery when needed)
  // JetRestoreInstance(instance, dir, layout.restore_dest or null, pfn). The backup and
  // restore calls pass a pfn whose reports are checked (progress_check.h); a broken
  // contract is a ContractViolation.
  JET_ERR Restore(const std::string& backup_dir);
  JET_ERR Backup(const std::string& backup_dir);             // full backup
  JET_ERR BackupIncremental(const std::string& backup_dir);  // JET_bitBackupIncremental
  JET_ERR Term();                                            // clean JetTerm
  void TermAbrupt();                                         // JetTerm2(JET_bitTermAbrupt); never fails the phase

  JET_INSTANCE handle() const { return instance_; }
  bool running() const { return running_; }
  const CallFailure& failure() const { return failure_; }
  const InstanceSettings& settings() const { return settings_; }

 private:
  // Call(name, fn(pfn)) with a ProgressRecorder's pfn, then its check.
  JET_ERR CallWithProgress(const std::string& name, JET_SNP snp, const std::function<JET_ERR(JET_PFNSTATUS)>& fn);

  JET_INSTANCE instance_ = JET_instanceNil;
  bool running_ = false;
  InstanceSettings settings_;
  CallObserver observer_;
  std::function<void(const std::string& call)> before_call_;
  CallFailure failure_;
};

// JET_paramLVChunkSizeMost at this page size: the long-value bytes one page holds
// (asked of a fresh, never initialised instance). 0 when the engine does not say.
std::size_t LongValueChunkSize(std::uint32_t page_size);

// One session with the workload's databases attached, opened and their tables open.
class WorkloadSession {
 public:
  // Begins a session, attaches and opens every database of spec, opens every table.
  // create: create the databases and tables instead (first run of a fresh instance).
  WorkloadSession(EngineInstance& instance, const WorkloadSpec& spec, bool create);
  ~WorkloadSession();
  WorkloadSession(const WorkloadSession&) = delete;
  WorkloadSession& operator=(const WorkloadSession&) = delete;

  bool ok() const { return !instance_.failure().failed(); }

  // Runs transactions [first, last) of spec.transactions, recording each in model.
  // With `inflight`, the spec's in-flight transactions begin (each on its own session,
  // left open) when spec.inflight_begin_after transactions have run. Stops at the first
  // failing call (the model then says what may have happened). on_transaction(i) runs
  // after transaction i ended successfully (e.g. a backup).
  void RunTransactions(std::size_t first, std::size_t last, bool inflight, Model* model,
                       const std::function<void(std::size_t)>& on_transaction = nullptr);
  // Commits spec.preload (durably), stopping at the first failing call.
  void RunPreload();

  // One call each on this session, recorded in no model: what the seam's JET adapter
  // drives (jet_under_test.h; its executor keeps the model). The same calls, under the
  // same names, as the transactions above make.
  JET_ERR BeginTransaction() { return BeginCall(session_); }
  // An insert, replace or delete of op.key in op.table (its cursor on this session).
  JET_ERR WriteRecord(const SpecOp& op);
  JET_ERR CommitTransaction(CommitMode mode) { return CommitCall(session_, mode); }
  JET_ERR Rollback() { return RollbackCall(session_); }

 private:
  struct Table {
    std::string name;
    JET_TABLEID id = JET_tableidNil;
  };
  // A probe's transaction, open on the probe session.
  struct OpenProbe {
    JET_SESID session;
    Model::TxnId id;
  };
  bool RunOne(const TxnSpec& txn, JET_SESID session, bool end, Model* model);
  // Begins the probe's transaction, checks its reads and conflicts, runs its writes.
  std::optional<OpenProbe> StartProbe(const ProbeSpec& spec, Model* model);
  bool Write(JET_SESID session, JET_TABLEID table, const SpecOp& op, Model::TxnId id, Model* model);
  // A scan of `table` (named `name`) on `session` shows exactly `expected`, its
  // committed records; false (a Violation or a failed call recorded) when not.
  bool CheckCommittedScan(JET_SESID session, JET_TABLEID table, const std::string& name, const TableState& expected);
  // Reads op's record in the session of transaction id, which must see its own view of
  // it (Model::ValueSeenBy); a mismatch is a violation naming `when`.
  bool CheckOwnRead(JET_SESID session, JET_TABLEID table, const SpecOp& op, Model::TxnId id, const Model& model,
                    const char* when);
  bool End(JET_SESID session, TxnEnd end, Model::TxnId id, Model* model);
  JET_ERR BeginCall(JET_SESID session);
  JET_ERR CommitCall(JET_SESID session, CommitMode mode);
  JET_ERR RollbackCall(JET_SESID session);
  static JET_ERR WriteCall(JET_SESID session, JET_TABLEID table, const SpecOp& op);
  static const char* WriteCallName(OpKind kind);
  static JET_ERR RetrieveRecord(JET_SESID session, JET_TABLEID table, const Bytes& key, Bytes* value);
  void BeginInflight(Model* model);
  JET_TABLEID TableId(JET_SESID session, const std::string& name);
  // The session's handle on database d of the spec (opened once per other session).
  JET_DBID DbId(JET_SESID session, int d);
  // The session probes and visibility checks run on, begun on first use.
  bool EnsureProbeSession();
  // JetCreateTable of txn.created_table inside session's open transaction, then a check
  // that no other session sees it yet.
  bool CreateTableInTransaction(JET_SESID session, const TxnSpec& txn);
  // Whether another session (the probe session, no transaction open) sees table `name`
  // of database d, in JetGetTableNames and JetOpenTable, as `visible` says it must.
  bool CheckTableSeenByOthers(const std::string& name, int d, bool visible, const char* when);

  EngineInstance& instance_;
  const WorkloadSpec& spec_;
  JET_SESID session_ = JET_sesidNil;
  std::vector<JET_DBID> dbids_;
  std::vector<Table> tables_;
  std::vector<JET_SESID> inflight_sessions_;
  JET_SESID probe_session_ = JET_sesidNil;
  std::map<std::pair<JET_SESID, std::string>, JET_TABLEID> other_cursors_;
  std::map<std::pair<JET_SESID, int>, JET_DBID> other_dbids_;
};

// The databases as read back through the API, with the physical checks' verdict.
struct ReadBack {
  DbState state;
  // Per database file name ("db0.edb"), the tables JetGetTableNames listed, sorted
  // (DbState leaves out a table without records).
  std::map<std::string, std::vector<std::string>> tables;
  // Empty when every physical check passed; else the first problem found (a failed
  // call is reported through the instance's failure instead).
  std::string physical_problem;
  // The call that failed when the attempt to open was refused (e.g. JetRestoreInstance
  // or JetInit; set by AttemptReopen), empty otherwise.
  std::string refused_by;
};

// Attaches every database of spec in a new session (soft recovery leaves them
// detached), so that a following JetBackupInstance copies them. The first failure.
JET_ERR AttachAllDatabases(EngineInstance& instance, const WorkloadSpec& spec);

// The most cursor moves a scan of spec's tables needs: no table holds more records
// than the workload (preload included) ever inserted. More is a cycle (a hang).
std::uint64_t ScanMoveBudget(const WorkloadSpec& spec);

// Reads every table of every database of spec (attach, open, scan) and checks:
// keys strictly ascending forward, the backward scan is the exact reverse, every
// record is retrievable by key with the same value, every table of spec exists, and
// no cursor walks more than `move_budget` steps (a cycle in the B-tree is a hang).
ReadBack ReadAllDatabases(EngineInstance& instance, const WorkloadSpec& spec, std::uint64_t move_budget);

}  // namespace jetharness

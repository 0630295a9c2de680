#include "harness/engine/driver.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <map>
#include <mutex>
#include <optional>

#include "harness/core/oracle.h"
#include "harness/engine/progress_check.h"

namespace jetharness {

std::string CallFailure::ToString() const {
  if (code == kModelViolation) return "the engine broke the workload's model: " + call;
  return failed() ? fmt::format("{} returned {} ({})", call, JetErrorName(code), code) : "no failure";
}

namespace {

// Instance names must be unique among live instances; the name never reaches storage,
// so a process-wide counter does not affect determinism.
std::string NextInstanceName() {
  static std::atomic<std::uint64_t> counter{0};
  return fmt::format("jetfault-{}", counter.fetch_add(1));
}

// A JET call that fills a buffer (data, size, &actual): asked first to fill `scratch`
// (whose size is the guess; a caller that fills many keeps one), then, when that was
// JET_errBufferTooSmall, once more straight into *out at the size it reported. On
// success *out holds the bytes it returned.
template <class Fill>
JET_ERR FillGrowing(Bytes& scratch, Bytes* out, const Fill& fill) {
  unsigned long actual = 0;
  JET_ERR err = fill(scratch.data(), static_cast<unsigned long>(scratch.size()), &actual);
  if (err == JET_errBufferTooSmall) {
    out->assign(actual, '\0');
    err = fill(out->data(), static_cast<unsigned long>(out->size()), &actual);
    if (err >= 0) out->resize(std::min<std::size_t>(actual, out->size()));
  } else if (err >= 0) {
    out->assign(scratch.data(), std::min<std::size_t>(actual, scratch.size()));
  }
  return err;
}

std::vector<std::string> TableNames(EngineInstance& instance, JET_SESID session, JET_DBID dbid) {
  Bytes scratch(4096, '\0');
  std::string buffer;
  std::vector<std::string> names;
  if (instance.Call("JetGetTableNames", [&] {
        return FillGrowing(scratch, &buffer, [&](void* data, unsigned long size, unsigned long* actual) {
          return JetGetTableNames(session, dbid, static_cast<char*>(data), size, actual);
        });
      }) < 0) {
    return names;
  }
  for (std::size_t start = 0; start < buffer.size();) {
    std::size_t end = buffer.find('\0', start);
    if (end == std::string::npos) end = buffer.size();
    if (end > start) names.push_back(buffer.substr(start, end - start));
    start = end + 1;
  }
  return names;
}

}  // namespace

namespace {
std::size_t AskLongValueChunkSize(std::uint32_t page_size) {
  JET_INSTANCE instance = JET_instanceNil;
  if (JetCreateInstance(&instance, NextInstanceName().c_str()) < 0) return 0;
  JET_API_PTR chunk = 0;
  if (JetSetSystemParameter(&instance, JET_sesidNil, JET_paramDatabasePageSize, page_size, nullptr) < 0 ||
      JetGetSystemParameter(instance, JET_sesidNil, JET_paramLVChunkSizeMost, &chunk, nullptr, 0) < 0) {
    chunk = 0;
  }
  (void)JetTerm2(instance, JET_bitTermAbrupt);  // releases an instance that never ran
  return static_cast<std::size_t>(chunk);
}
}  // namespace

std::size_t LongValueChunkSize(std::uint32_t page_size) {
  // Asked once per page size: every case of a shaped workload needs it, and each
  // instance created (even one that never runs) leaves bookkeeping in the engine.
  static std::mutex mutex;
  static std::map<std::uint32_t, std::size_t> known;
  std::lock_guard<std::mutex> lock(mutex);
  auto it = known.find(page_size);
  if (it != known.end()) return it->second;
  const std::size_t chunk = AskLongValueChunkSize(page_size);
  if (chunk != 0) known.emplace(page_size, chunk);  // 0: the engine refused; ask again next time
  return chunk;
}

EngineInstance::EngineInstance(faultfs::Vfs* vfs, const InstanceSettings& settings, CallObserver observer)
    : settings_(settings), observer_(std::move(observer)) {
  std::string name = NextInstanceName();
  Call("JetCreateInstance", [&] { return JetCreateInstance(&instance_, name.c_str()); });
  auto set_number = [&](const char* what, unsigned long id, JET_API_PTR value) {
    Call(fmt::format("JetSetSystemParameter({})", what),
         [&] { return JetSetSystemParameter(&instance_, JET_sesidNil, id, value, nullptr); });
  };
  auto set_string = [&](const char* what, unsigned long id, const std::string& value) {
    Call(fmt::format("JetSetSystemParameter({})", what),
         [&] { return JetSetSystemParameter(&instance_, JET_sesidNil, id, 0, value.c_str()); });
  };
  set_number("JET_paramVfs", JET_paramVfs, reinterpret_cast<JET_API_PTR>(vfs));
  set_string("JET_paramSystemPath", JET_paramSystemPath, settings.layout.system_dir);
  set_string("JET_paramLogFilePath", JET_paramLogFilePath, settings.layout.log_dir);
  set_number("JET_paramDatabasePageSize", JET_paramDatabasePageSize, settings.page_size);
  set_number("JET_paramLogFileSize", JET_paramLogFileSize, settings.LogFileKib());
  set_number("JET_paramCircularLog", JET_paramCircularLog, settings.circular ? 1 : 0);
  // A restore into another directory creates it, as a restore onto a new machine
  // would be asked to (JetRestoreInstance refuses a missing szDest otherwise).
  if (!settings.layout.restore_dest.empty()) {
    set_number("JET_paramCreatePathIfNotExist", JET_paramCreatePathIfNotExist, 1);
  }
  if (settings.cache_pages_max > 0) {
    set_number("JET_paramCacheSizeMax", JET_paramCacheSizeMax, settings.cache_pages_max);
  }
}

EngineInstance::~EngineInstance() {
  // Also ends instances that never ran (failed JetInit/JetRestoreInstance, or restore
  // only), so the engine can release them; the result is not a finding.
  if (instance_ != JET_instanceNil) (void)JetTerm2(instance_, JET_bitTermAbrupt);
}

void EngineInstance::Violation(std::string what) {
  // After a failed call the model's prediction no longer holds: nothing to record.
  if (!failure_.failed()) ContractViolation(std::move(what));
}

JET_ERR EngineInstance::Init() {
  JET_ERR err = Call("JetInit", [&] { return JetInit(&instance_); });
  running_ = err >= 0;
  return err;
}

void EngineInstance::ContractViolation(std::string what) {
  if (failure_.code == kModelViolation) return;
  if (observer_) observer_(what, kModelViolation);
  failure_ = CallFailure{std::move(what), kModelViolation};
}

JET_ERR EngineInstance::CallWithProgress(const std::string& name, JET_SNP snp,
                                         const std::function<JET_ERR(JET_PFNSTATUS)>& fn) {
  std::string broken;
  const JET_ERR err = Call(name, [&] { return CallWithCheckedProgress(snp, fn, &broken); });
  if (!broken.empty()) ContractViolation(fmt::format("{}'s progress reports: {}", name, broken));
  return err;
}

JET_ERR EngineInstance::Restore(const std::string& backup_dir) {
  const std::string& dest = settings_.layout.restore_dest;
  return CallWithProgress("JetRestoreInstance", JET_snpRestore, [&](JET_PFNSTATUS pfn) {
    return JetRestoreInstance(instance_, backup_dir.c_str(), dest.empty() ? nullptr : dest.c_str(), pfn);
  });
}

JET_ERR EngineInstance::Backup(const std::string& backup_dir) {
  return CallWithProgress("JetBackupInstance", JET_snpBackup,
                          [&](JET_PFNSTATUS pfn) { return JetBackupInstance(instance_, backup_dir.c_str(), 0, pfn); });
}

JET_ERR EngineInstance::BackupIncremental(const std::string& backup_dir) {
  return CallWithProgress("JetBackupInstance", JET_snpBackup, [&](JET_PFNSTATUS pfn) {
    return JetBackupInstance(instance_, backup_dir.c_str(), JET_bitBackupIncremental, pfn);
  });
}

JET_ERR EngineInstance::Term() {
  if (!running_) return failure_.failed() ? failure_.code : JET_errNotInitialized;
  JET_ERR err = Call("JetTerm", [&] { return JetTerm(instance_); });
  // A failed clean shutdown still ends the instance (the phase reports the failure).
  if (err < 0) JetTerm2(instance_, JET_bitTermAbrupt);
  running_ = false;
  return err;
}

void EngineInstance::TermAbrupt() {
  if (!running_) return;
  // The result is not a finding: an abrupt end is how the harness simulates a crash.
  (void)JetTerm2(instance_, JET_bitTermAbrupt);
  running_ = false;
}

namespace {

// The names of the calls a scan makes for every record, made once: Call takes a
// std::string, and a scan makes millions of calls in a campaign.
const std::string kRetrieveKey = "JetRetrieveKey";
const std::string kRetrieveCurrentValue = "JetRetrieveCurrentValue";
const std::string kRetrieveRecord = "JetRetrieveRecord";
const std::string kMove = "JetMove";

struct Cursor {
  EngineInstance& instance;
  JET_SESID session;
  JET_TABLEID table;
  // What JetRetrieveCurrentValue is asked to fill first (4096 bytes), reused record
  // after record.
  Bytes buffer = Bytes(4096, '\0');

  // Key and value under the cursor; false when a call failed.
  bool Current(Bytes* key, Bytes* value) {
    char key_buffer[JET_cbKeyMost + 1];
    unsigned long key_size = 0;
    if (instance.Call(kRetrieveKey, [&] {
          return JetRetrieveKey(session, table, key_buffer, sizeof key_buffer, &key_size, 0);
        }) < 0) {
      return false;
    }
    key->assign(key_buffer, std::min<unsigned long>(key_size, sizeof key_buffer));
    return instance.Call(kRetrieveCurrentValue, [&] {
      return FillGrowing(buffer, value, [&](void* data, unsigned long size, unsigned long* actual) {
        return JetRetrieveCurrentValue(session, table, data, size, actual);
      });
    }) >= 0;
  }

  // Moves; returns 1 on a record, 0 at the end, -1 on a failed call.
  // JetMove runs outside Call because JET_errNoCurrentRecord ends a scan rather than
  // failing it; so the guard Call would apply (no call after a failure) is here.
  int Move(long rows) {
    if (instance.failure().failed()) return -1;
    JET_ERR err = JetMove(session, table, rows, 0);
    if (err == JET_errNoCurrentRecord) return 0;
    return instance.Call(kMove, [err] { return err; }) < 0 ? -1 : 1;
  }
};

}  // namespace

WorkloadSession::WorkloadSession(EngineInstance& instance, const WorkloadSpec& spec, bool create)
    : instance_(instance), spec_(spec) {
  instance_.Call("JetBeginSession", [&] { return JetBeginSession(instance_.handle(), &session_, nullptr, nullptr); });
  for (const DatabaseSpec& db : spec.databases) {
    std::string path = instance_.settings().layout.DatabasePath(db.file_name);
    JET_DBID dbid = JET_dbidNil;
    if (create) {
      instance_.Call("JetCreateDatabase(" + path + ")",
                     [&] { return JetCreateDatabase(session_, path.c_str(), nullptr, &dbid, 0); });
    } else {
      instance_.Call("JetAttachDatabase(" + path + ")", [&] { return JetAttachDatabase(session_, path.c_str(), 0); });
      instance_.Call("JetOpenDatabase(" + path + ")",
                     [&] { return JetOpenDatabase(session_, path.c_str(), nullptr, &dbid, 0); });
    }
    dbids_.push_back(dbid);
    for (const std::string& name : db.tables) {
      Table table{name, JET_tableidNil};
      if (create) {
        instance_.Call("JetCreateTable(" + name + ")",
                       [&] { return JetCreateTable(session_, dbid, name.c_str(), 0, 0, &table.id); });
      } else {
        instance_.Call("JetOpenTable(" + name + ")",
                       [&] { return JetOpenTable(session_, dbid, name.c_str(), nullptr, 0, 0, &table.id); });
      }
      tables_.push_back(table);
    }
  }
}

WorkloadSession::~WorkloadSession() = default;  // the instance's end closes everything

JET_TABLEID WorkloadSession::TableId(JET_SESID session, const std::string& name) {
  if (session == session_) {
    for (const Table& t : tables_) {
      if (t.name == name) return t.id;
    }
    return JET_tableidNil;
  }
  // Other sessions open their own cursors, once per table.
  auto cached = other_cursors_.find({session, name});
  if (cached != other_cursors_.end()) return cached->second;
  for (std::size_t d = 0; d < spec_.databases.size(); ++d) {
    for (const std::string& t : spec_.databases[d].tables) {
      if (t != name) continue;
      const JET_DBID dbid = DbId(session, static_cast<int>(d));
      JET_TABLEID id = JET_tableidNil;
      instance_.Call("JetOpenTable(" + name + ")",
                     [&] { return JetOpenTable(session, dbid, name.c_str(), nullptr, 0, 0, &id); });
      if (ok()) other_cursors_[{session, name}] = id;
      return id;
    }
  }
  return JET_tableidNil;
}

JET_DBID WorkloadSession::DbId(JET_SESID session, int d) {
  if (session == session_) return dbids_.at(static_cast<std::size_t>(d));
  auto cached = other_dbids_.find({session, d});
  if (cached != other_dbids_.end()) return cached->second;
  const std::string path = instance_.settings().layout.DatabasePath(
      spec_.databases.at(static_cast<std::size_t>(d)).file_name);
  JET_DBID dbid = JET_dbidNil;
  instance_.Call("JetOpenDatabase(" + path + ")",
                 [&] { return JetOpenDatabase(session, path.c_str(), nullptr, &dbid, 0); });
  if (ok()) other_dbids_[{session, d}] = dbid;
  return dbid;
}

bool WorkloadSession::EnsureProbeSession() {
  return probe_session_ != JET_sesidNil || instance_.Call("JetBeginSession (probe)", [&] {
    return JetBeginSession(instance_.handle(), &probe_session_, nullptr, nullptr);
  }) >= 0;
}

bool WorkloadSession::CreateTableInTransaction(JET_SESID session, const TxnSpec& txn) {
  const std::string& name = txn.created_table;
  const JET_DBID dbid = DbId(session, txn.created_table_db);
  JET_TABLEID id = JET_tableidNil;
  if (!ok() || instance_.Call("JetCreateTable(" + name + ") in a transaction",
                              [&] { return JetCreateTable(session, dbid, name.c_str(), 0, 0, &id); }) < 0) {
    return false;
  }
  if (session == session_) {
    tables_.push_back(Table{name, id});
  } else {
    other_cursors_[{session, name}] = id;
  }
  return CheckTableSeenByOthers(name, txn.created_table_db, false, "while the transaction creating it is open");
}

bool WorkloadSession::CheckTableSeenByOthers(const std::string& name, int d, bool visible, const char* when) {
  if (!EnsureProbeSession()) return false;
  const JET_DBID dbid = DbId(probe_session_, d);
  if (!ok()) return false;
  const std::vector<std::string> names = TableNames(instance_, probe_session_, dbid);
  if (!ok()) return false;
  const bool listed = std::find(names.begin(), names.end(), name) != names.end();
  JET_TABLEID id = JET_tableidNil;
  const JET_ERR open = JetOpenTable(probe_session_, dbid, name.c_str(), nullptr, 0, 0, &id);
  if (open >= 0) (void)JetCloseTable(probe_session_, id);
  const bool opened = open >= 0;
  if (!opened && open != JET_errObjectNotFound) return instance_.Call("JetOpenTable", [open] { return open; }) >= 0;
  if (listed == visible && opened == visible) return true;
  instance_.Violation(
      fmt::format("table {} {}: another session {} it in JetGetTableNames and JetOpenTable returned {}; it must {}",
                  name, when, listed ? "finds" : "does not find", opened ? "success" : "JET_errObjectNotFound",
                  visible ? "see it (committed)" : "not see it (not committed)"));
  return false;
}

JET_ERR WorkloadSession::WriteCall(JET_SESID session, JET_TABLEID table, const SpecOp& op) {
  auto key_size = static_cast<unsigned long>(op.key.size());
  auto value_size = static_cast<unsigned long>(op.value.size());
  switch (op.kind) {
    case OpKind::kInsert: return JetInsertRecord(session, table, op.key.data(), key_size, op.value.data(), value_size);
    case OpKind::kReplace:
      return JetReplaceRecord(session, table, op.key.data(), key_size, op.value.data(), value_size);
    case OpKind::kDelete: return JetDeleteRecord(session, table, op.key.data(), key_size);
  }
  return JET_errInvalidParameter;
}

const char* WorkloadSession::WriteCallName(OpKind kind) {
  switch (kind) {
    case OpKind::kInsert: return "JetInsertRecord";
    case OpKind::kReplace: return "JetReplaceRecord";
    case OpKind::kDelete: return "JetDeleteRecord";
  }
  return "?";
}

bool WorkloadSession::Write(JET_SESID session, JET_TABLEID table, const SpecOp& op, Model::TxnId id, Model* model) {
  // Recorded before the call: if the call half-happens, the model still knows the
  // value, so the oracle can recognise it should it ever become visible.
  if (op.kind == OpKind::kDelete) {
    model->Delete(id, op.table, op.key);
  } else {
    model->Put(id, op.table, op.key, op.value);
  }
  // On failure: stop here. The transaction never commits; a rollback attempt is not
  // made because the instance may be unusable (the failure already ends the phase).
  if (instance_.Call(WriteCallName(op.kind), [&] { return WriteCall(session, table, op); }) < 0) return false;
  // A transaction reads its own writes.
  return CheckOwnRead(session, table, op, id, *model, fmt::format("right after {}", WriteCallName(op.kind)).c_str());
}

JET_ERR WorkloadSession::WriteRecord(const SpecOp& op) {
  const JET_TABLEID table = TableId(session_, op.table);
  return instance_.Call(WriteCallName(op.kind), [&] { return WriteCall(session_, table, op); });
}

JET_ERR WorkloadSession::BeginCall(JET_SESID session) {
  return instance_.Call("JetBeginTransaction", [&] { return JetBeginTransaction(session); });
}

JET_ERR WorkloadSession::CommitCall(JET_SESID session, CommitMode mode) {
  const JET_GRBIT grbit = mode == CommitMode::kLazy ? JET_bitCommitLazyFlush : 0;
  return instance_.Call("JetCommitTransaction", [&] { return JetCommitTransaction(session, grbit); });
}

JET_ERR WorkloadSession::RollbackCall(JET_SESID session) {
  return instance_.Call("JetRollback", [&] { return JetRollback(session, 0); });
}

bool WorkloadSession::End(JET_SESID session, TxnEnd end, Model::TxnId id, Model* model) {
  if (end == TxnEnd::kRollback) {
    if (RollbackCall(session) < 0) return false;
    model->RolledBack(id);
    return true;
  }
  model->CommitIssued(id);
  if (CommitCall(session, end == TxnEnd::kCommitLazy ? CommitMode::kLazy : CommitMode::kDurable) < 0) {
    model->CommitUncertain(id);
    return false;
  }
  model->Committed(id);
  return true;
}

bool WorkloadSession::RunOne(const TxnSpec& txn, JET_SESID session, bool end, Model* model) {
  // Cursors first: opening them is not part of the transaction (a table the
  // transaction creates is opened by its creation, inside it).
  const bool creates = !txn.created_table.empty();
  std::vector<JET_TABLEID> ids;
  auto open_cursors = [&] {
    for (const SpecOp& op : txn.ops) ids.push_back(TableId(session, op.table));
    return ok();
  };
  if (!creates && !open_cursors()) return false;
  if (BeginCall(session) < 0) return false;
  Model::TxnId id = model->Begin(txn.end == TxnEnd::kCommitLazy ? CommitMode::kLazy : CommitMode::kDurable);
  if (creates && (!CreateTableInTransaction(session, txn) || !open_cursors())) return false;
  std::optional<OpenProbe> probe;
  std::size_t mark = 0;
  for (std::size_t i = 0; i <= txn.ops.size(); ++i) {
    if (txn.probe && i == txn.probe->after_ops) {
      probe = StartProbe(*txn.probe, model);
      if (!probe) return false;
      if (txn.probe->ends_before_owner && !End(probe->session, txn.probe->end, probe->id, model)) return false;
    }
    if (i == txn.ops.size()) break;
    if (txn.has_savepoint() && i == txn.savepoint_begin) {
      if (instance_.Call("JetBeginTransaction (savepoint)", [&] { return JetBeginTransaction(session); }) < 0) {
        return false;
      }
      mark = model->Savepoint(id);
    }
    if (!Write(session, ids[i], txn.ops[i], id, model)) return false;
    if (txn.has_savepoint() && i + 1 == txn.savepoint_end) {
      // Ends the innermost level only: the outer transaction goes on. A nested commit
      // changes nothing the model knows: its writes are the outer transaction's.
      if (txn.savepoint_commits) {
        if (instance_.Call("JetCommitTransaction (savepoint)", [&] { return JetCommitTransaction(session, 0); }) < 0) {
          return false;
        }
      } else {
        if (instance_.Call("JetRollback (savepoint)", [&] { return JetRollback(session, 0); }) < 0) return false;
        model->RolledBackTo(id, mark);
        // The transaction reads its records as they were at the savepoint again.
        for (std::size_t j = txn.savepoint_begin; j < txn.savepoint_end; ++j) {
          if (!CheckOwnRead(session, ids[j], txn.ops[j], id, *model, "after JetRollback of the savepoint")) {
            return false;
          }
        }
      }
    }
  }
  if (!end) return true;
  if (!End(session, txn.end, id, model)) return false;
  if (creates && !CheckTableSeenByOthers(txn.created_table, txn.created_table_db, txn.end != TxnEnd::kRollback,
                                         txn.end == TxnEnd::kRollback ? "after the rollback of the transaction "
                                                                        "that created it"
                                                                      : "after its creation committed")) {
    return false;
  }
  if (probe && !txn.probe->ends_before_owner && !End(probe->session, txn.probe->end, probe->id, model)) return false;
  if (!txn.flush_after) return true;
  // No transaction is open on the session: the call only flushes the log.
  if (instance_.Call("JetCommitTransaction(JET_bitWaitLastLevel0Commit)",
                     [&] { return JetCommitTransaction(session, JET_bitWaitLastLevel0Commit); }) < 0) {
    return false;
  }
  model->Flushed();
  return true;
}

bool WorkloadSession::CheckOwnRead(JET_SESID session, JET_TABLEID table, const SpecOp& op, Model::TxnId id,
                                   const Model& model, const char* when) {
  const std::optional<Bytes> expected = model.ValueSeenBy(id, op.table, op.key);
  Bytes value;
  const JET_ERR read = RetrieveRecord(session, table, op.key, &value);
  if (read < 0 && read != JET_errRecordNotFound) {
    return instance_.Call("JetRetrieveRecord", [read] { return read; }) >= 0;
  }
  const std::optional<Bytes> seen = read >= 0 ? std::optional<Bytes>(std::move(value)) : std::nullopt;
  if (seen == expected) return true;
  instance_.Violation(
      fmt::format("JetRetrieveRecord({} key {}) by the transaction that wrote it, {}: read {}, its own "
                  "view is {}",
                  op.table, DescribeBytes(op.key), when, seen ? DescribeBytes(*seen) : "no record",
                  expected ? DescribeBytes(*expected) : "no record"));
  return false;
}

std::optional<WorkloadSession::OpenProbe> WorkloadSession::StartProbe(const ProbeSpec& spec, Model* model) {
  if (!EnsureProbeSession()) return std::nullopt;
  const JET_SESID session = probe_session_;
  std::vector<JET_TABLEID> contested_ids, ids;
  for (const SpecOp& op : spec.contested) contested_ids.push_back(TableId(session, op.table));
  for (const SpecOp& op : spec.ops) ids.push_back(TableId(session, op.table));
  if (!ok()) return std::nullopt;
  if (instance_.Call("JetBeginTransaction (probe)", [&] { return JetBeginTransaction(session); }) < 0) {
    return std::nullopt;
  }
  OpenProbe probe{session, model->Begin(spec.end == TxnEnd::kCommitLazy ? CommitMode::kLazy : CommitMode::kDurable)};
  for (std::size_t i = 0; i < spec.contested.size(); ++i) {
    const SpecOp& op = spec.contested[i];
    const std::string record = fmt::format("{} key {}", op.table, DescribeBytes(op.key));
    // The owner holds the record: this session reads what was last committed there.
    const std::optional<Bytes> committed = model->CommittedValue(op.table, op.key);
    Bytes value;
    JET_ERR read = RetrieveRecord(session, contested_ids[i], op.key, &value);
    if (read >= 0 || read == JET_errRecordNotFound) {
      std::optional<Bytes> seen = read >= 0 ? std::optional<Bytes>(value) : std::nullopt;
      if (seen != committed) {
        instance_.Violation(fmt::format(
            "JetRetrieveRecord({}) by another session while an open transaction holds "
            "the record: read {}, the committed value is {}",
            record, seen ? DescribeBytes(*seen) : "no record", committed ? DescribeBytes(*committed) : "no record"));
        return std::nullopt;
      }
    } else if (instance_.Call("JetRetrieveRecord", [read] { return read; }) < 0) {
      return std::nullopt;
    }
    // ... and may not write it.
    JET_ERR write = WriteCall(session, contested_ids[i], op);
    if (write == JET_errWriteConflict) continue;
    if (write >= 0) {
      instance_.Violation(
          fmt::format("{}({}) by another session while an open transaction holds the record "
                      "returned success: expected JET_errWriteConflict ({})",
                      WriteCallName(op.kind), record, JET_errWriteConflict));
      return std::nullopt;
    }
    if (instance_.Call(WriteCallName(op.kind), [write] { return write; }) < 0) return std::nullopt;
  }
  // A scan of every table sees it as last committed, too: not the inserts of the owner
  // or of transactions left in flight, and their deletes and replaces with the committed
  // records (JetMove must walk the version store as a seek does).
  const DbState committed = model->AcknowledgedState();
  for (const DatabaseSpec& db : spec_.databases) {
    for (const std::string& name : db.tables) {
      const JET_TABLEID table = TableId(session, name);
      const auto in_state = committed.find(name);
      if (!ok() ||
          !CheckCommittedScan(session, table, name, in_state == committed.end() ? TableState{} : in_state->second)) {
        return std::nullopt;
      }
    }
  }
  for (std::size_t i = 0; i < spec.ops.size(); ++i) {
    if (!Write(session, ids[i], spec.ops[i], probe.id, model)) return std::nullopt;
  }
  return probe;
}

bool WorkloadSession::CheckCommittedScan(JET_SESID session, JET_TABLEID table, const std::string& name,
                                         const TableState& expected) {
  Cursor cursor{instance_, session, table};
  TableState seen;
  Bytes key, value;
  // One record more than committed is enough to see that there are more; counting
  // moves, not distinct keys, also ends a scan that repeats a key.
  std::size_t moves = 0;
  for (int at = cursor.Move(JET_MoveFirst); at != 0 && moves <= expected.size(); at = cursor.Move(JET_MoveNext)) {
    if (at < 0 || !cursor.Current(&key, &value)) return false;
    ++moves;
    seen.insert_or_assign(key, value);
  }
  if (moves > expected.size() && seen.size() == expected.size() && seen == expected) {
    instance_.Violation(fmt::format("a scan of {} (JetMove) by another session shows a record twice", name));
    return false;
  }
  if (seen == expected) return true;
  auto differs = std::mismatch(seen.begin(), seen.end(), expected.begin(), expected.end());
  std::string what;
  if (differs.first == seen.end()) {
    what = fmt::format("the committed record {} is missing", DescribeBytes(differs.second->first));
  } else if (differs.second == expected.end() || differs.first->first < differs.second->first) {
    what = fmt::format("it shows {}, which is not committed", DescribeBytes(differs.first->first));
  } else if (differs.first->first == differs.second->first) {
    what = fmt::format("record {} holds {}, the committed value is {}", DescribeBytes(differs.first->first),
                       DescribeBytes(differs.first->second), DescribeBytes(differs.second->second));
  } else {
    what = fmt::format("the committed record {} is missing", DescribeBytes(differs.second->first));
  }
  instance_.Violation(fmt::format(
      "a scan of {} (JetMove) by another session while an open transaction holds records of it: {} ({} records "
      "seen, {} committed)",
      name, what, seen.size(), expected.size()));
  return false;
}

JET_ERR WorkloadSession::RetrieveRecord(JET_SESID session, JET_TABLEID table, const Bytes& key, Bytes* value) {
  const auto key_size = static_cast<unsigned long>(key.size());
  Bytes scratch(256, '\0');
  return FillGrowing(scratch, value, [&](void* data, unsigned long size, unsigned long* actual) {
    return JetRetrieveRecord(session, table, key.data(), key_size, data, size, actual);
  });
}

void WorkloadSession::RunTransactions(std::size_t first, std::size_t last, bool inflight, Model* model,
                                      const std::function<void(std::size_t)>& on_transaction) {
  last = std::min(last, spec_.transactions.size());
  for (std::size_t i = first; i <= last && ok(); ++i) {
    if (inflight && i == spec_.inflight_begin_after) BeginInflight(model);
    if (i == last || !ok()) break;
    if (!RunOne(spec_.transactions[i], session_, true, model)) return;
    if (on_transaction) on_transaction(i);
  }
}

void WorkloadSession::RunPreload() {
  Model preload;  // the run's model takes the preload's content as its base instead
  for (const TxnSpec& txn : spec_.preload) {
    if (!RunOne(txn, session_, true, &preload)) return;
  }
}

void WorkloadSession::BeginInflight(Model* model) {
  for (const TxnSpec& txn : spec_.inflight) {
    if (!ok()) return;
    JET_SESID session = JET_sesidNil;
    if (instance_.Call("JetBeginSession",
                       [&] { return JetBeginSession(instance_.handle(), &session, nullptr, nullptr); }) < 0) {
      return;
    }
    inflight_sessions_.push_back(session);
    if (!RunOne(txn, session, false, model)) return;
  }
}

JET_ERR AttachAllDatabases(EngineInstance& instance, const WorkloadSpec& spec) {
  JET_SESID session = JET_sesidNil;
  JET_ERR err = instance.Call("JetBeginSession",
                              [&] { return JetBeginSession(instance.handle(), &session, nullptr, nullptr); });
  for (const DatabaseSpec& db : spec.databases) {
    if (err < 0) return err;
    const std::string path = instance.settings().layout.DatabasePath(db.file_name);
    err = instance.Call("JetAttachDatabase(" + path + ")", [&] { return JetAttachDatabase(session, path.c_str(), 0); });
  }
  return err;
}

std::uint64_t ScanMoveBudget(const WorkloadSpec& spec) {
  std::uint64_t budget = 64;
  for (const std::vector<TxnSpec>* txns : {&spec.preload, &spec.transactions}) {
    for (const TxnSpec& txn : *txns) budget += txn.ops.size();
  }
  return budget;
}

ReadBack ReadAllDatabases(EngineInstance& instance, const WorkloadSpec& spec, std::uint64_t move_budget) {
  ReadBack out;
  auto problem = [&out](std::string text) {
    if (out.physical_problem.empty()) out.physical_problem = std::move(text);
  };
  JET_SESID session = JET_sesidNil;
  instance.Call("JetBeginSession", [&] { return JetBeginSession(instance.handle(), &session, nullptr, nullptr); });
  for (const DatabaseSpec& db : spec.databases) {
    std::string path = instance.settings().layout.DatabasePath(db.file_name);
    JET_DBID dbid = JET_dbidNil;
    instance.Call("JetAttachDatabase(" + path + ")", [&] { return JetAttachDatabase(session, path.c_str(), 0); });
    instance.Call("JetOpenDatabase(" + path + ")",
                  [&] { return JetOpenDatabase(session, path.c_str(), nullptr, &dbid, 0); });
    if (instance.failure().failed()) return out;
    std::vector<std::string> names = TableNames(instance, session, dbid);
    std::vector<std::string>& listed = out.tables[db.file_name];
    listed = names;
    std::sort(listed.begin(), listed.end());
    for (const std::string& expected : db.tables) {
      if (std::find(names.begin(), names.end(), expected) == names.end()) {
        problem(fmt::format("table {} of {} is missing after recovery", expected, db.file_name));
      }
    }
    for (const std::string& name : names) {
      JET_TABLEID table = JET_tableidNil;
      if (instance.Call("JetOpenTable(" + name + ")",
                        [&] { return JetOpenTable(session, dbid, name.c_str(), nullptr, 0, 0, &table); }) < 0) {
        return out;
      }
      Cursor cursor{instance, session, table};
      // One scan from `first` by `step`, each record to visit in turn; false when an
      // engine call failed (the read-back ends there). A scan that does not end within
      // move_budget moves is a hang (a cycle of page links) and stops. The key and
      // value buffers are the scan's, reused record after record.
      Bytes at_key, at_value;  // the record under the cursor
      auto scan = [&](long first, long step, const char* direction, auto&& visit) {
        std::uint64_t moves = 0;
        for (int at = cursor.Move(first); at != 0; at = cursor.Move(step)) {
          if (at < 0) return false;
          if (++moves > move_budget) {
            problem(fmt::format("hang: {} scan of {} did not end within {} moves", direction, name, move_budget));
            break;
          }
          if (!cursor.Current(&at_key, &at_value)) return false;
          visit();
        }
        return true;
      };
      std::vector<std::pair<Bytes, Bytes>> forward;
      const bool forward_read = scan(JET_MoveFirst, JET_MoveNext, "forward", [&] {
        if (!forward.empty() && !(forward.back().first < at_key)) {
          problem(fmt::format("scan of {}: key {} follows {} (not ascending)", name, DescribeBytes(at_key),
                              DescribeBytes(forward.back().first)));
        }
        forward.emplace_back(at_key, at_value);
      });
      if (!forward_read) return out;
      // The backward scan must be the forward one reversed: its j-th key is compared
      // with the forward scan's (n-1-j)-th as it comes, and the forward record nearest
      // the start that differs is reported.
      std::size_t backward = 0;
      std::optional<std::size_t> differs_at;
      if (!scan(JET_MoveLast, JET_MovePrevious, "backward", [&] {
            if (backward < forward.size() && forward[forward.size() - 1 - backward].first != at_key) {
              differs_at = forward.size() - 1 - backward;
            }
            ++backward;
          })) {
        return out;
      }
      // A table of the workload's transactions (IsCreatedTableName) was created by one
      // that inserted into it, and nothing else writes it: empty, it is the remains of
      // a creation that was rolled back (or undone by recovery) without the table.
      if (forward.empty() && IsCreatedTableName(name)) {
        problem(fmt::format("table {} of {} exists but is empty: a table created by a transaction that was not kept",
                            name, db.file_name));
      }
      if (backward != forward.size()) {
        problem(fmt::format("table {}: forward scan saw {} records, backward {}", name, forward.size(), backward));
      } else if (differs_at) {
        problem(fmt::format("table {}: backward scan differs from forward at record {}", name, *differs_at));
      }
      TableState* table_state = nullptr;  // a table without records is not in the state
      std::string got;
      for (auto& [key, value] : forward) {
        got.assign(value.size() + 1, '\0');
        unsigned long size = 0;
        const Bytes& seek_key = key;  // clang 14 cannot capture a structured binding
        if (instance.Call(kRetrieveRecord, [&] {
              return JetRetrieveRecord(session, table, seek_key.data(), static_cast<unsigned long>(seek_key.size()),
                                       got.data(), static_cast<unsigned long>(got.size()), &size);
            }) < 0) {
          return out;
        }
        got.resize(std::min<std::size_t>(size, got.size()));
        if (got != value)
          problem(
              fmt::format("table {}: seek to key {} returns another value than the scan", name, DescribeBytes(key)));
        // The scan is ascending (else a problem above): each key goes at the end.
        if (table_state == nullptr) table_state = &out.state[name];
        table_state->insert_or_assign(table_state->end(), std::move(key), std::move(value));
      }
    }
  }
  return out;
}

}  // namespace jetharness

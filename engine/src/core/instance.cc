#include "core/instance.h"

#include <new>

#include "base/io_error.h"
#include "core/instance_state.h"
#include "core/lifecycle.h"
#include "core/recovery.h"
#include "core/registry.h"
#include "db/database_file.h"
#include "faultfs/posix_fs.h"
#include "format/page.h"
#include "jetfault/assert.h"

namespace jet::core {
namespace {

// Runs f() with the instance mutex held; std::bad_alloc becomes JET_errOutOfMemory.
template <class F>
JET_ERR Locked(InstanceRuntime& rt, F&& f) {
  std::lock_guard lock(rt.mutex());
  try {
    return f();
  } catch (const std::bad_alloc&) {
    return JET_errOutOfMemory;
  }
}

JET_ERR RunningDb(InstanceRuntime& rt, std::uint32_t dbid, AttachedDb** out) {
  if (!rt.state().running) return JET_errNotInitialized;
  auto it = rt.state().dbs.find(dbid);
  if (it == rt.state().dbs.end()) return JET_errInvalidDatabaseId;
  *out = &it->second;
  return JET_errSuccess;
}

JET_ERR MakeDir(faultfs::Vfs& vfs, const std::string& path) {
  faultfs::Status s = db::MakeDirsDurable(vfs, path);
  return s.ok() ? JET_errSuccess : IoError(s, FileKind::kOther);
}

}  // namespace

log::LogConfig InstanceConfig::MakeLogConfig() const {
  log::LogConfig config;
  config.vfs = vfs;
  config.log_dir = log_path;
  config.base_name = base_name;
  config.log_file_bytes = log_file_bytes;
  config.page_size = page_size;
  config.circular = circular;
  return config;
}

std::string InstanceConfig::CheckpointPath() const {
  return faultfs::JoinPath(system_path, log::CheckpointName(base_name));
}

InstanceRuntime::InstanceRuntime(std::string name) : state_(std::make_unique<State>()) {
  config_.name = std::move(name);
}
InstanceRuntime::~InstanceRuntime() = default;

bool InstanceRuntime::is_running() const {
  std::lock_guard lock(mutex_);
  return state_->running;
}

std::vector<AttachedDatabaseInfo> InstanceRuntime::AttachedDatabases() {
  std::lock_guard lock(mutex_);
  std::vector<AttachedDatabaseInfo> list;
  for (auto& [dbid, adb] : state_->dbs) {
    if (adb.read_only) continue;  // never written, so not part of the instance's recoverable state
    // The counters only grow past what the header on disk says (Database::WriteHeader).
    JF_ASSERT_GE(adb.db->dbtime, adb.db->header.dbtime_dirtied);
    JF_ASSERT_GE(adb.db->pgno_last, adb.db->header.pgno_last);
    AttachedDatabaseInfo info;
    info.dbid = dbid;
    info.path = adb.info.path;
    info.header = adb.db->header;
    info.header.dbtime_dirtied = adb.db->dbtime;
    info.header.pgno_last = adb.db->pgno_last;
    info.header.objid_last = adb.db->objid_last;
    info.pgno_last = adb.db->pgno_last;
    list.push_back(std::move(info));
  }
  return list;
}

JET_ERR InstanceRuntime::ReadPageForBackup(std::uint32_t dbid, std::uint32_t pgno, std::span<std::uint8_t> out) {
  return Locked(*this, [&]() -> JET_ERR {
    AttachedDb* adb = nullptr;
    if (JET_ERR err = RunningDb(*this, dbid, &adb); err < 0) return err;
    db::Database& database = *adb->db;
    if (pgno == 0 || pgno > database.pgno_last || out.size() != database.page_size()) return JET_errInvalidParameter;
    if (db::Frame* frame = database.cache().Find(pgno)) {
      std::copy_n(frame->data.get(), out.size(), out.begin());
      format::SealPage(out, pgno);
      return JET_errSuccess;
    }
    return database.file().ReadVerifiedPage(pgno, out);
  });
}

JET_ERR InstanceRuntime::ReadHeaderForBackup(std::uint32_t dbid, std::span<std::uint8_t> out) {
  return Locked(*this, [&]() -> JET_ERR {
    AttachedDb* adb = nullptr;
    if (JET_ERR err = RunningDb(*this, dbid, &adb); err < 0) return err;
    db::Database& database = *adb->db;
    if (out.size() != database.page_size()) return JET_errInvalidParameter;
    JF_ASSERT_GE(database.dbtime, database.header.dbtime_dirtied);
    JF_ASSERT_GE(database.pgno_last, database.header.pgno_last);
    format::DbHeader header = database.header;
    header.dbtime_dirtied = database.dbtime;
    header.pgno_last = database.pgno_last;
    header.objid_last = database.objid_last;
    format::EncodeDbHeader(header, out);
    return JET_errSuccess;
  });
}

JET_ERR InstanceRuntime::UpdateDatabaseHeader(std::uint32_t dbid, const std::function<void(format::DbHeader&)>& edit) {
  return Locked(*this, [&]() -> JET_ERR {
    AttachedDb* adb = nullptr;
    if (JET_ERR err = RunningDb(*this, dbid, &adb); err < 0) return err;
    edit(adb->db->header);
    return adb->db->WriteHeader();
  });
}

JET_ERR InstanceRuntime::RollLog(std::int32_t* closed_generation) {
  return Locked(*this, [&]() -> JET_ERR {
    if (!state_->running) return JET_errNotInitialized;
    if (!state_->logging) return JET_errLoggingDisabled;
    std::int32_t generation = state_->log->generation();
    if (JET_ERR err = state_->log->Roll(); err < 0) return err;
    *closed_generation = generation;
    return AfterChange(*this);
  });
}

JET_ERR InstanceRuntime::AppendDurableLogRecord(std::uint8_t type, std::span<const std::uint8_t> payload,
                                                log::Lgpos* lgpos) {
  return Locked(*this, [&]() -> JET_ERR {
    if (!state_->running) return JET_errNotInitialized;
    if (!state_->logging) return JET_errLoggingDisabled;
    if (JET_ERR err = state_->log->Append(type, payload, lgpos); err < 0) return err;
    if (JET_ERR err = state_->log->FlushTo(*lgpos); err < 0) return err;
    return AfterChange(*this);
  });
}

JET_ERR InstanceRuntime::Checkpoint() {
  return Locked(*this, [&]() -> JET_ERR {
    if (!state_->running) return JET_errNotInitialized;
    return DoCheckpoint(*this);
  });
}

log::Checkpoint InstanceRuntime::CurrentCheckpoint() {
  std::lock_guard lock(mutex_);
  return state_->checkpoint;
}

JET_ERR InstanceRuntime::UpdateCheckpoint(const std::function<void(log::Checkpoint&)>& edit) {
  return Locked(*this, [&]() -> JET_ERR {
    if (!state_->running) return JET_errNotInitialized;
    if (!state_->logging) return JET_errLoggingDisabled;
    log::Checkpoint next = state_->checkpoint;
    edit(next);
    if (JET_ERR err = log::WriteCheckpoint(*config_.vfs, config_.CheckpointPath(), next); err < 0) return err;
    state_->checkpoint = next;
    return JET_errSuccess;
  });
}

JET_ERR InstanceRuntime::ShutdownClean() {
  JET_ERR err = Locked(*this, [&]() -> JET_ERR {
    if (!state_->running) return JET_errNotInitialized;
    return ShutdownCleanLocked(*this);
  });
  UnregisterSessionsOf(this);
  return err;
}

JET_ERR InstanceRuntime::BeginRestore() {
  std::lock_guard lock(mutex_);
  if (state_->running) return JET_errAlreadyInitialized;
  if (restoring_.exchange(true)) return JET_errRestoreInProgress;
  return JET_errSuccess;
}

namespace {

// JET_paramRecovery "off", ESE's unlogged mode: the checkpoint and the log path are
// neither read (no soft recovery) nor written (no log, no edb.chk). Databases are
// written in place at detach and JetTerm; one left attached by a crash stays
// DirtyShutdown and attaching it returns JET_errDatabaseDirtyShutdown.
JET_ERR InitUnlogged(InstanceRuntime& rt) {
  JF_ASSERT(!rt.config().recovery);
  rt.state().logging = false;
  rt.state().running = true;
  return JET_errSuccess;
}

// A new instance (no log in the log path): generation 1 of a new log lineage.
JET_ERR InitNewLog(InstanceRuntime& rt) {
  JET_ERR err;
  if ((err = StartLog(rt, NewSignature(), 1, {}, nullptr)) < 0) {
    ShutdownAbruptLocked(rt);
    return err;
  }
  if ((err = DoCheckpoint(rt)) < 0) {
    ShutdownAbruptLocked(rt);
    return err;
  }
  JF_ASSERT(rt.state().log != nullptr);
  JF_ASSERT_EQ(rt.state().log->generation(), 1);  // a new lineage begins at generation 1
  rt.state().running = true;
  return JET_errSuccess;
}

// What soft recovery replays: the generations from the checkpoint's (or, without a
// readable checkpoint, the lowest present) to the newest, which must be contiguous,
// of this instance's page size and end with edb.log.
JET_ERR PlanRecovery(const InstanceConfig& config, const std::vector<log::GenerationInfo>& generations,
                     const log::Checkpoint* checkpoint, RecoveryPlan* plan) {
  JF_ASSERT(!generations.empty());
  faultfs::Vfs& vfs = *config.vfs;
  // Without a readable checkpoint, ESE replays from the lowest generation present.
  plan->start = checkpoint != nullptr ? checkpoint->checkpoint : log::Lgpos{0, 0, generations.front().generation};
  if (checkpoint != nullptr && checkpoint->sign_log != generations.back().sign_log) {
    return JET_errBadCheckpointSignature;
  }
  // edb.log is the newest generation whenever archived ones exist.
  if (faultfs::BaseName(generations.back().path) != log::CurrentLogName(config.base_name)) {
    bool lost = false;
    if (JET_ERR err = log::CurrentLogLost(vfs, config.log_path, config.base_name, &lost); err < 0) return err;
    if (lost) {
      SetLastErrorDetail("the current log " + log::CurrentLogName(config.base_name) + " is missing from " +
                         config.log_path);
      return JET_errMissingLogFile;
    }
  }
  for (const log::GenerationInfo& g : generations) {
    if (g.generation < plan->start.generation) continue;
    if (g.page_size != config.page_size) {
      SetLastErrorDetail("log generation " + std::to_string(g.generation) + " was written with " +
                         std::to_string(g.page_size) + "-byte pages; JET_paramDatabasePageSize is " +
                         std::to_string(config.page_size));
      return JET_errPageSizeMismatch;
    }
    if (!plan->generations.empty() && g.generation != plan->generations.back().generation + 1) {
      SetLastErrorDetail("log generation " + std::to_string(plan->generations.back().generation + 1) + " is missing");
      return JET_errMissingLogFile;
    }
    plan->generations.push_back(g);
  }
  if (plan->generations.empty() || plan->generations.front().generation != plan->start.generation) {
    SetLastErrorDetail("log generation " + std::to_string(plan->start.generation) + " (the checkpoint) is missing");
    return JET_errMissingLogFile;
  }
  // Contiguous from the start's generation on: each one was checked to follow the last.
  JF_ASSERT_EQ(plan->generations.front().generation, plan->start.generation);
  JF_ASSERT_EQ(plan->generations.back().generation - plan->generations.front().generation + 1,
               plan->generations.size());
  plan->attach = checkpoint != nullptr ? checkpoint->attach : plan->generations.front().attach;
  return JET_errSuccess;
}

}  // namespace

// Three paths: unlogged (no recovery), a new log lineage, or soft recovery over the
// generations found.
JET_ERR InitLocked(InstanceRuntime& rt) {
  InstanceConfig& config = rt.mutable_config();
  if (config.vfs == nullptr) config.vfs = &faultfs::DefaultPosixFs();
  if (!config.recovery) return InitUnlogged(rt);
  // Checked once the logs found have had their say (JET_errPageSizeMismatch first), before
  // anything is written.
  auto log_too_small = [&config] {
    const std::string why = config.LogFileSizeProblem();
    if (!why.empty()) SetLastErrorDetail(why);
    return !why.empty();
  };
  faultfs::Vfs& vfs = *config.vfs;
  JET_ERR err = MakeDir(vfs, config.log_path);
  if (err >= 0) err = MakeDir(vfs, config.system_path);
  if (err < 0) return err;

  std::vector<log::GenerationInfo> generations;
  if ((err = log::ListGenerations(vfs, config.log_path, config.base_name, &generations)) < 0) return err;
  log::Checkpoint checkpoint;
  JET_ERR chk_err = log::ReadCheckpoint(vfs, config.CheckpointPath(), &checkpoint);
  const bool have_checkpoint = chk_err >= 0;
  if (!have_checkpoint && chk_err != JET_errCheckpointFileNotFound && chk_err != JET_errCheckpointCorrupt) {
    return chk_err;
  }

  if (generations.empty()) {
    if (have_checkpoint) {
      SetLastErrorDetail("the checkpoint names log generation " + std::to_string(checkpoint.checkpoint.generation) +
                         " but the log path holds no log");
      return JET_errMissingLogFile;
    }
    if (log_too_small()) return JET_errInvalidParameter;
    return InitNewLog(rt);
  }

  RecoveryPlan plan;
  if ((err = PlanRecovery(config, generations, have_checkpoint ? &checkpoint : nullptr, &plan)) < 0) return err;
  if (log_too_small()) return JET_errInvalidParameter;
  return RunRecoveryLocked(rt, plan);
}

}  // namespace jet::core

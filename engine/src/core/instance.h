// core/instance.h — an engine instance at run time: configuration, attached databases,
// the log writer, the checkpoint, sessions. One mutex serialises every call into an
// instance (public API calls and the backup/restore interface below alike).
//
// The first section is the interface the backup subsystem (engine/src/backup/) codes
// against; everything after "Engine internals" is used only by core/ itself.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "faultfs/vfs.h"
#include "format/db_header.h"
#include "jet/jet.h"
#include "log/log.h"

namespace jet::db {
class Database;
}

namespace jet::core {

struct Session;
class VersionStore;

// JetSetSystemParameter values, frozen by JetInit / JetRestoreInstance.
struct InstanceConfig {
  faultfs::Vfs* vfs = nullptr;              // JET_paramVfs (default: the process PosixFs, or null)
  std::string system_path = ".";            // JET_paramSystemPath: where edb.chk lives
  std::string log_path = ".";               // JET_paramLogFilePath
  std::string base_name = "edb";            // JET_paramBaseName
  std::uint32_t page_size = 8192;           // JET_paramDatabasePageSize
  std::uint32_t log_file_bytes = 1u << 20;  // JET_paramLogFileSize * 1024
  bool circular = false;                    // JET_paramCircularLog
  bool recovery = true;                     // JET_paramRecovery "on"/"off"
  bool create_paths = false;                // JET_paramCreatePathIfNotExist
  JET_PFNEVENT event_sink = nullptr;        // JET_paramRestoreEventSink
  std::uint32_t cache_pages_max = 0;        // JET_paramCacheSizeMax (0 = not set: CachePagesMax())
  std::uint64_t restore_link_memory = 0;    // JET_paramRestoreLinkMemoryMax (0 = not set)
  std::string name;                         // JetCreateInstance's szInstanceName

  // Unless set, the instance's page cache (its attached databases share it evenly:
  // core/lifecycle.h ShareCache) holds up to 32 MiB of pages (4,096 of 8 KiB): a
  // bounded default, so that an application that sets nothing (a restore
  // through the API alone) does not grow with the database (ESE's default is the
  // machine's physical memory, with its cache shrinking under memory pressure, which
  // jetfault does not have; docs/ESE_FACTS.md §6).
  static constexpr std::uint64_t kDefaultCacheBytes = 32u << 20;
  // Empty when a log generation holds JET_cpgLogFileMin pages (jet.h), else why not:
  // JetInit and JetRestoreInstance then refuse with JET_errInvalidParameter.
  std::string LogFileSizeProblem() const {
    if (std::uint64_t{log_file_bytes} >= std::uint64_t{JET_cpgLogFileMin} * page_size) return {};
    return "JET_paramLogFileSize " + std::to_string(log_file_bytes / 1024) + " KiB holds fewer than " +
           std::to_string(JET_cpgLogFileMin) + " pages of " + std::to_string(page_size) +
           " bytes (JET_paramDatabasePageSize): a log record carries whole page images and never spans "
           "generations; at least " +
           std::to_string(JET_cpgLogFileMin * page_size / 1024) + " KiB";
  }
  std::uint32_t CachePagesMax() const {
    return cache_pages_max != 0 ? cache_pages_max : static_cast<std::uint32_t>(kDefaultCacheBytes / page_size);
  }
  // The memory JetRestoreInstance's page link tables may hold, all databases together
  // (docs/RESTORE.md, "Memory"): 8 MiB unless set, the table of 4 GiB of 8 KiB pages.
  static constexpr std::uint64_t kDefaultRestoreLinkMemory = 8u << 20;
  std::uint64_t RestoreLinkMemory() const {
    return restore_link_memory != 0 ? restore_link_memory : kDefaultRestoreLinkMemory;
  }

  log::LogConfig MakeLogConfig() const;
  std::string CheckpointPath() const;  // system_path/edb.chk
};

// One attached database as the backup subsystem sees it.
struct AttachedDatabaseInfo {
  std::uint32_t dbid = 0;
  std::string path;
  format::DbHeader header;      // the header as last written (dbstate DirtyShutdown while attached)
  std::uint32_t pgno_last = 0;  // highest allocated data page; file bytes = (pgno_last + 2) * page_size
};

class InstanceRuntime {
 public:
  // ===================================================================================
  // Interface for backup/restore (engine/src/backup/). Every method takes the instance
  // mutex itself; none may be called while holding it.
  // ===================================================================================

  // The instance JetInit / JetRestoreInstance operate on, with their shared rules:
  //  * pinstance null, or *pinstance == JET_instanceNil / 0: legacy mode, the global
  //    instance (created on first use; *pinstance receives its handle when non-null).
  //    JET_errRunningInMultiInstanceMode if JetCreateInstance was called before.
  //  * otherwise *pinstance must be a handle from JetCreateInstance
  //    (JET_errInvalidParameter if not). In legacy mode (global instance in use) →
  //    JET_errRunningInOneInstanceMode.
  //  * JET_errAlreadyInitialized if the instance is running.
  static JET_ERR ResolveInstanceForInit(JET_INSTANCE* pinstance, InstanceRuntime** out);
  // Resolves the handle of an instance for any other call (JetTerm, JetBackupInstance):
  // JET_errInvalidInstance for an unknown handle, JET_errNotInitialized if not running.
  static JET_ERR ResolveRunningInstance(JET_INSTANCE instance, InstanceRuntime** out);

  const InstanceConfig& config() const { return config_; }
  bool is_running() const;

  // Databases attached now (read-write: read-only attachments are never written and
  // are not part of the recoverable state), in dbid order.
  std::vector<AttachedDatabaseInfo> AttachedDatabases();
  // A page-consistent copy of data page pgno (1..pgno_last) of an attached database:
  // the cached version if the page is in the cache (possibly newer than disk, sealed
  // with its checksum), else the verified on-disk bytes. out.size() == page_size.
  // JET_errInvalidDatabaseId for an unknown dbid, JET_errInvalidParameter for pgno 0 or
  // beyond pgno_last, page verification errors as JET_errReadVerifyFailure & co.
  JET_ERR ReadPageForBackup(std::uint32_t dbid, std::uint32_t pgno, std::span<std::uint8_t> out);
  // The header page bytes (page_size) as they would be written now (dirty state).
  JET_ERR ReadHeaderForBackup(std::uint32_t dbid, std::span<std::uint8_t> out);
  // Edits an attached database's header (e.g. bkinfoFullPrev after a backup) and writes
  // it (both copies, synced).
  JET_ERR UpdateDatabaseHeader(std::uint32_t dbid, const std::function<void(format::DbHeader&)>& edit);

  // The log: end the current generation and start the next (archives edb.log). On
  // success *closed_generation is the generation that was archived.
  JET_ERR RollLog(std::int32_t* closed_generation);
  // Appends a record of the backup subsystem's own type (e.g. ESE's lrtypFullBackup 19)
  // and makes it durable. Recovery ignores record types it does not own (db/log_records.h).
  JET_ERR AppendDurableLogRecord(std::uint8_t type, std::span<const std::uint8_t> payload, log::Lgpos* lgpos);
  // Flushes every dirty page (write-ahead) and moves the checkpoint as far as possible,
  // writing edb.chk. After it, generations below checkpoint().checkpoint.generation are
  // not needed for soft recovery.
  JET_ERR Checkpoint();
  // The checkpoint as last written (or about to be written by the next Checkpoint()).
  log::Checkpoint CurrentCheckpoint();
  // Edits the backup fields of the checkpoint (lgpos_full_backup, gen low/high,
  // lgpos_inc_backup) and writes edb.chk.
  JET_ERR UpdateCheckpoint(const std::function<void(log::Checkpoint&)>& edit);

  // After JetRestoreInstance's RunRecovery: terminates the instance cleanly (as JetTerm).
  JET_ERR ShutdownClean();

  // JetRestoreInstance holds the instance exclusively from BeginRestore to EndRestore:
  // JetInit, JetSetSystemParameter, JetBeginSession, JetTerm, JetBackupInstance and a
  // second JetRestoreInstance are refused with JET_errRestoreInProgress meanwhile.
  // BeginRestore: JET_errAlreadyInitialized if running, JET_errRestoreInProgress if
  // another restore holds it. The flag is atomic so that a call made from the restore's
  // status callback (or another thread) is refused without waiting for the mutex.
  JET_ERR BeginRestore();
  void EndRestore() { restoring_.store(false); }
  bool restoring() const { return restoring_.load(); }

  // ===================================================================================
  // Engine internals (core/ only).
  // ===================================================================================
  explicit InstanceRuntime(std::string name);
  ~InstanceRuntime();
  InstanceRuntime(const InstanceRuntime&) = delete;
  InstanceRuntime& operator=(const InstanceRuntime&) = delete;

  std::mutex& mutex() { return mutex_; }
  InstanceConfig& mutable_config() { return config_; }
  struct State;  // core/instance_state.h
  State& state() { return *state_; }

 private:
  mutable std::mutex mutex_;
  std::atomic<bool> restoring_{false};  // set and cleared only by JetRestoreInstance
  InstanceConfig config_;
  std::unique_ptr<State> state_;
};

}  // namespace jet::core

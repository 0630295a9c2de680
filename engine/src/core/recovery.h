// core/recovery.h — the seam between recovery (core/) and its two callers:
// soft recovery in JetInit (core/) and hard restore in JetRestoreInstance (backup/).
//
// A RecoveryPlan says which log generations to replay, from where, and where each
// database lives now. RunRecovery redoes every page effect from plan.start to the
// end of the valid log (dbtime checks), undoes every transaction without a commit
// or rollback record, flushes and marks every database clean (dbstate
// CleanShutdown, lgposConsistent set), starts a new log generation in the instance's
// log path, and writes a checkpoint at its start. Running it again after a crash at
// any point ends in the same database state.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "jet/jet.h"
#include "log/log.h"

namespace jet::core {

class InstanceRuntime;  // core/instance.h

struct RecoveryPlan {
  // Contiguous generations to replay, sorted; may mix directories (backup set first,
  // then the log path). LogReader checks their chaining.
  std::vector<log::GenerationInfo> generations;
  // Where redo starts (the checkpoint, or the first record of the first backup log).
  log::Lgpos start;
  // Databases attached at `start` (from the checkpoint or the first log header).
  std::vector<log::AttachInfo> attach;
  // Original database path -> path to open instead (restore to a destination).
  std::map<std::string, std::string> db_path_map;
  // Restore to a destination: a database the log names that db_path_map does not
  // (attached or created after the backup) goes to dest_dir/<base name>, never to its
  // logged path outside the destination. Two databases that would share a target are
  // JET_errInvalidPath. Empty: such databases stay at their logged paths.
  std::string dest_dir;
  // Paths no database the log names may be opened or created at (a restore's scratch
  // files, open during recovery): JET_errInvalidPath.
  std::set<std::string> reserved_paths;
  // Hard restore: generations <= backup_generation_high come from the backup set;
  // corruption there is JET_errLogCorruptDuringHardRestore / torn -570, beyond it
  // -574 / -571. Soft recovery reports JET_errLogFileCorrupt.
  bool hard_restore = false;
  std::int32_t backup_generation_high = 0;
  // Called with (done, total) in generations as redo advances (JET_sntProgress).
  std::function<void(std::uint32_t done, std::uint32_t total)> on_progress;
};

// Runs recovery on an instance whose configuration (paths, page size, vfs) is set
// and whose runtime is not yet running. On success the runtime is running (JetInit)
// and the caller may shut it down cleanly (JetRestoreInstance does). For a caller that
// holds the instance exclusively (JetRestoreInstance): plan.on_progress is called
// without the instance mutex.
JET_ERR RunRecovery(InstanceRuntime& runtime, const RecoveryPlan& plan);

}  // namespace jet::core

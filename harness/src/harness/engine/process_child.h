// harness/engine/process_child.h — real processes on real files: the child side of the
// process scenarios (scenario_process.cc), the events it reports, and the parent's
// handle on it.
//
// A child is this very executable (`jetfault __process-child MODE ...`, Boost.Process)
// running the engine on real files (PosixFs) below a scratch directory, through a
// RootedFs (so with the simulation's layout and paths) and a FaultFs with no fault
// but the watchdog (so every I/O operation is numbered and hashed as in the
// simulation). It reports what it does on stdout, one event per line, flushed before
// it goes on:
//
//   O k code ops hash   before I/O operation k (ops == k)
//   B i code ops hash   JetCommitTransaction of commit attempt i is about to be called
//   A i code ops hash   ... returned `code`
//   S 0 code ops hash   the phase under test (restore, backup) is about to start
//   E 0 code ops hash   the phase ended with `code`; nothing more will happen
//   H 0 0    ops hash   the instance holds its files (mode hold)
//   P n 0    ops hash   the restore reached phase n: 1 the set is copied and verified,
//                       2 recovery is done (modes restore, restore-pause)
//   W 0 0    ops hash   paused inside the call for good (modes restore-pause:
//                       at the first replayed generation; backup-pause: at the
//                       first progress report, a database copy open)
//
// (ops and hash: the FaultFs operation count and trace hash at that moment.) After E
// or H (or from W on) the child waits to be killed, so a kill always meets a live process.
// The parent SIGKILLs it after a seeded event. The simulation of the same case
// records the same stream with the same recorder (EventRecorder) on a MemFs, which is
// how a kill run is compared with the model.
#pragma once

#include <sys/types.h>

#include <boost/process.hpp>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "faultfs/fault_fs.h"
#include "harness/core/model.h"
#include "harness/engine/sim.h"

namespace jetharness {

struct ProcessEvent {
  char kind = 'O';
  std::uint64_t index = 0;  // I/O operation (O) or commit attempt (B, A); else 0
  JET_ERR code = JET_errSuccess;
  std::uint64_t ops = 0;
  std::uint64_t hash = 0;
  friend bool operator==(const ProcessEvent&, const ProcessEvent&) = default;
};

std::string FormatEvent(const ProcessEvent& event);  // one line, no newline
std::optional<ProcessEvent> ParseEvent(const std::string& line);

// Produces the event stream of one run on `fs` (child and simulation alike): install
// its hooks (OnBeforeOp on the FaultFs, BeforeCall/AfterCall through the workload
// plan and observer), and every event goes to `sink`. `model` is read for commit
// numbers (the run's model, filled as the run goes).
class EventRecorder {
 public:
  EventRecorder(faultfs::FaultFs& fs, const Model* model, std::function<void(const ProcessEvent&)> sink)
      : fs_(fs), model_(model), sink_(std::move(sink)) {}
  void InstallOpHook();  // O events (removed by the destructor)
  ~EventRecorder();
  std::function<void(const std::string&)> BeforeCall();
  CallObserver AfterCall();
  // S, E, H, P, W at the current operation count
  void Emit(char kind, JET_ERR code, std::uint64_t index = 0);

 private:
  faultfs::FaultFs& fs_;
  const Model* model_;
  std::function<void(const ProcessEvent&)> sink_;
};

// What a child does (the MODE argument).
enum class ChildMode : std::uint8_t {
  kWorkload,  // setup (databases created, clean shutdown), then the workload: B/A/O events
  kRestore,   // JetRestoreInstance from /backup into the layout: S, O..., E
  kBackup,    // soft recovery, attach, then a full backup into BackupKillDir(): S, O..., E
  kHold,      // soft recovery, every database attached, then H and wait
  // JetRestoreInstance from /backup into RestoreDest(): S, O..., P 1, then W at the first
  // replayed generation (the restored databases installed and open) and wait
  kRestorePause,
  // soft recovery, attach, a full backup into kBackupHeldDir: S, then W at the first
  // progress report (a database copy open, share none) and wait
  kBackupPause,
};
const char* ChildModeName(ChildMode mode);
std::optional<ChildMode> ParseChildMode(const std::string& name);
// Where kBackup puts its backup set (not the layout's /backup, which holds the baseline's).
inline constexpr const char* kBackupKillDir = "/backup-killed";
// Where kBackupPause puts the backup set it holds.
inline constexpr const char* kBackupHeldDir = "/backup-held";
// Where kRestorePause restores to (szDest).
inline constexpr const char* kRestoreDest = "/alt";

// The Env of a process case, from (case seed, case index): the parent and the child
// build it alike. Defined by scenario_process.cc per mode.
Env ProcessEnv(ChildMode mode, std::uint64_t case_seed, std::uint64_t case_index);

// `jetfault __process-child MODE ROOT CASE_SEED CASE_INDEX`: runs the mode on real files
// below ROOT, reporting events on stdout; returns (after stdin closes) the exit status.
int RunProcessChild(ChildMode mode, const std::string& root, std::uint64_t case_seed, std::uint64_t case_index);

// A scratch directory under $TMPDIR, removed with everything in it by the destructor.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// The parent's handle on one child. The destructor kills (SIGKILL) and reaps a child
// still running, so no check that throws leaves a process behind.
class ChildProcess {
 public:
  ChildProcess(const std::string& executable, ChildMode mode, const std::string& root, std::uint64_t case_seed,
               std::uint64_t case_index);
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // The next event; nullopt at the end of the stream (the child closed its stdout or
  // died). A line that is not an event is kept in garbage().
  std::optional<ProcessEvent> Next();
  // Every event read so far, in order.
  const std::vector<ProcessEvent>& events() const { return events_; }
  // SIGKILL, reap, and then read every event the child wrote before it died.
  // Returns the raw wait status (native_exit_code()).
  int KillAndDrain();
  // "killed by SIGKILL" / "exited with status 3" / ...
  static std::string DescribeStatus(int status);
  static bool KilledBySigkill(int status);
  // How many children KillAndDrain ended by SIGKILL in this process so far (a
  // statistic the reports' kill counts are checked against).
  static std::uint64_t SigkillsConfirmed();
  // The child's stderr (what it said before dying), for failure reports.
  std::string ErrorText() const;
  pid_t pid() const { return pid_; }

 private:
  void Drain();
  boost::process::ipstream out_;
  boost::process::opstream in_;
  std::string err_path_;
  boost::process::child child_;
  pid_t pid_ = 0;
  bool reaped_ = false;
  std::vector<ProcessEvent> events_;
  std::string garbage_;
};

}  // namespace jetharness

namespace jetharness {

// ---- judging a kill run (scenario_process.cc; separate so tests can feed them) ----

// The window of commit prefixes the reported events allow for a recovery after the
// child died: every commit whose JetCommitTransaction returned success, durable and
// changing something (Model::MinPrefix's rule), must be present; a commit whose call
// began (B) may be (in flight or lazily acknowledged: a kill loses the engine's log
// buffer); no commit whose call was never reported as begun may be. `model` is the
// simulation's record of the same workload (commit i of the events is its i-th).
PrefixWindow KillWindow(const std::vector<ProcessEvent>& reported, const Model& model);

// "" when `reported` is a prefix of `simulated` (the events the simulation of the same
// case recorded), else where and how they first differ.
std::string EventDivergence(const std::vector<ProcessEvent>& reported, const std::vector<ProcessEvent>& simulated);

}  // namespace jetharness

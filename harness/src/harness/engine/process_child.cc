#include "harness/engine/process_child.h"

#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <boost/filesystem.hpp>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string_view>

#include "faultfs/posix_fs.h"
#include "harness/engine/rooted_fs.h"
#include "jetfault/assert.h"

namespace jetharness {

namespace bp = boost::process;

std::string FormatEvent(const ProcessEvent& e) {
  return fmt::format("{} {} {} {} {:016x}", e.kind, e.index, e.code, e.ops, e.hash);
}

std::optional<ProcessEvent> ParseEvent(const std::string& line) {
  std::istringstream in(line);
  ProcessEvent e;
  std::string hash;
  if (!(in >> e.kind >> e.index >> e.code >> e.ops >> hash) || hash.size() != 16) return std::nullopt;
  if (std::strchr("OBASEHPW", e.kind) == nullptr) return std::nullopt;
  char* end = nullptr;
  e.hash = std::strtoull(hash.c_str(), &end, 16);
  if (end != hash.c_str() + hash.size()) return std::nullopt;
  std::string rest;
  if (in >> rest) return std::nullopt;
  return e;
}

void EventRecorder::InstallOpHook() {
  fs_.set_before_op([this](const faultfs::TraceEvent& next, std::uint64_t hash) {
    sink_(ProcessEvent{'O', next.index, JET_errSuccess, next.index, hash});
  });
}

EventRecorder::~EventRecorder() { fs_.set_before_op(nullptr); }

std::function<void(const std::string&)> EventRecorder::BeforeCall() {
  return [this](const std::string& call) {
    if (call != "JetCommitTransaction") return;
    sink_(ProcessEvent{'B', model_->CommitCount(), JET_errSuccess, fs_.op_count(), fs_.trace_hash()});
  };
}

CallObserver EventRecorder::AfterCall() {
  return [this](const std::string& call, JET_ERR code) {
    if (call != "JetCommitTransaction") return;
    // The model records the outcome after the observer: CommitCount() is still i.
    sink_(ProcessEvent{'A', model_->CommitCount(), code, fs_.op_count(), fs_.trace_hash()});
  };
}

void EventRecorder::Emit(char kind, JET_ERR code, std::uint64_t index) {
  sink_(ProcessEvent{kind, index, code, fs_.op_count(), fs_.trace_hash()});
}

const char* ChildModeName(ChildMode mode) {
  switch (mode) {
    case ChildMode::kWorkload: return "workload";
    case ChildMode::kRestore: return "restore";
    case ChildMode::kBackup: return "backup";
    case ChildMode::kHold: return "hold";
    case ChildMode::kRestorePause: return "restore-pause";
    case ChildMode::kBackupPause: return "backup-pause";
  }
  return "?";
}

std::optional<ChildMode> ParseChildMode(const std::string& name) {
  for (ChildMode mode : {ChildMode::kWorkload, ChildMode::kRestore, ChildMode::kBackup, ChildMode::kHold,
                         ChildMode::kRestorePause, ChildMode::kBackupPause}) {
    if (name == ChildModeName(mode)) return mode;
  }
  return std::nullopt;
}

namespace {

void WriteEvent(const ProcessEvent& event) {
  std::string line = FormatEvent(event) + "\n";
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

// After the last event: wait for the parent's SIGKILL (or its death: PR_SET_PDEATHSIG).
// Not for the end of stdin: a dying parent closes it before the kernel sends the death
// signal, and a kill must always meet a live process.
int WaitForParent(int status) {
  for (;;) pause();
  return status;
}

// The engine's callbacks are plain function pointers: they reach the child's one
// recorder through these (a child runs one mode, once).
EventRecorder* g_recorder = nullptr;
bool g_pause_in_restore = false;

// Stops the calling thread (inside an engine call) until the parent's SIGKILL.
[[noreturn]] void PauseForGood() {
  g_recorder->Emit('W', JET_errSuccess);
  for (;;) pause();
}

// JET_paramRestoreEventSink: the restore's phases as P events, so the parent can tell a
// kill during the copy from one during the replay.
void RestoreEventSink(const char* json_line) {
  const std::string_view line(json_line);
  if (line.find("\"set_verified\"") != std::string_view::npos) g_recorder->Emit('P', JET_errSuccess, 1);
  if (line.find("\"recovered\"") != std::string_view::npos) g_recorder->Emit('P', JET_errSuccess, 2);
  if (g_pause_in_restore && line.find("\"generation_replayed\"") != std::string_view::npos) PauseForGood();
}

JET_ERR BackupStatus(JET_SESID, JET_SNP snp, JET_SNT snt, void*) {
  if (snp == JET_snpBackup && snt == JET_sntProgress) PauseForGood();
  return JET_errSuccess;
}

}  // namespace

int RunProcessChild(ChildMode mode, const std::string& root, std::uint64_t case_seed, std::uint64_t case_index) {
  // A parent that dies (killed, interrupted) takes its child along: no process is left.
  (void)prctl(PR_SET_PDEATHSIG, SIGKILL);
  const Env env = ProcessEnv(mode, case_seed, case_index);
  RootedFs rooted(&faultfs::DefaultPosixFs(), root);
  if (mode == ChildMode::kWorkload) {
    // As SetupDisk does in memory: the directories, then the databases created and a
    // clean shutdown; the workload then runs on what that left.
    for (const std::string& dir :
         {env.settings.layout.system_dir, env.settings.layout.log_dir, env.settings.layout.db_dir}) {
      if (faultfs::Status s = faultfs::MakeDirs(rooted, dir); !s.ok()) {
        std::fprintf(stderr, "creating %s: %s\n", dir.c_str(), s.ToString().c_str());
        return 1;
      }
    }
    WorkloadPlan setup;
    setup.last = 0;
    setup.create = true;
    setup.clean_shutdown = true;
    WorkloadRun created = RunWorkload(rooted, env, setup, nullptr);
    if (created.failure.failed()) {
      std::fprintf(stderr, "setup failed: %s\n", created.failure.ToString().c_str());
      return 1;
    }
  }
  faultfs::FaultFs fs(&rooted, WithWatchdog(faultfs::FaultPlan{}, env.op_budget));
  WorkloadRun run;
  EventRecorder recorder(fs, &run.model, WriteEvent);
  JET_ERR code = JET_errSuccess;
  switch (mode) {
    case ChildMode::kWorkload: {
      recorder.InstallOpHook();
      WorkloadPlan plan;
      plan.inflight = true;
      plan.before_call = recorder.BeforeCall();
      RunWorkloadInto(fs, env, plan, recorder.AfterCall(), &run);
      code = run.failure.code;
      break;
    }
    case ChildMode::kRestore:
    case ChildMode::kRestorePause: {
      EngineInstance instance(&fs, env.settings);
      g_recorder = &recorder;
      g_pause_in_restore = mode == ChildMode::kRestorePause;
      JET_INSTANCE handle = instance.handle();
      instance.Call("JetSetSystemParameter", [&] {
        return JetSetSystemParameter(&handle, JET_sesidNil, JET_paramRestoreEventSink,
                                     reinterpret_cast<JET_API_PTR>(&RestoreEventSink), nullptr);
      });
      recorder.Emit('S', JET_errSuccess);
      recorder.InstallOpHook();
      code = instance.Restore(env.settings.layout.backup_dir);
      break;
    }
    case ChildMode::kBackup:
    case ChildMode::kBackupPause:
    case ChildMode::kHold: {
      EngineInstance instance(&fs, env.settings);
      if (instance.Init() >= 0) AttachAllDatabases(instance, env.spec);
      if (instance.failure().failed()) {
        std::fprintf(stderr, "soft recovery and attach failed: %s\n", instance.failure().ToString().c_str());
        return 1;
      }
      if (mode == ChildMode::kHold) {
        recorder.Emit('H', JET_errSuccess);
        return WaitForParent(0);  // the instance stays up until the kill
      }
      recorder.Emit('S', JET_errSuccess);
      recorder.InstallOpHook();
      if (mode == ChildMode::kBackupPause) {
        g_recorder = &recorder;
        code = instance.Call("JetBackupInstance",
                             [&] { return JetBackupInstance(instance.handle(), kBackupHeldDir, 0, &BackupStatus); });
      } else {
        code = instance.Backup(kBackupKillDir);
      }
      break;
    }
  }
  recorder.Emit('E', code);
  return WaitForParent(0);
}

namespace {
constexpr const char* kScratchPrefix = "jetfault-process-";
std::atomic<std::uint64_t> sigkills_confirmed{0};
}  // namespace

ScratchDir::ScratchDir() {
  namespace fs = boost::filesystem;
  const fs::path tmp = fs::temp_directory_path();
  // Directories of campaigns that were interrupted (their process is gone): removed
  // here, since an interrupted process runs no destructor.
  boost::system::error_code error;
  for (fs::directory_iterator it(tmp, error), end; !error && it != end; it.increment(error)) {
    const std::string name = it->path().filename().string();
    if (name.rfind(kScratchPrefix, 0) != 0) continue;
    const long owner = std::strtol(name.c_str() + std::strlen(kScratchPrefix), nullptr, 10);
    if (owner > 0 && ::kill(static_cast<pid_t>(owner), 0) != 0 && errno == ESRCH) {
      boost::system::error_code ignored;
      fs::remove_all(it->path(), ignored);
    }
  }
  fs::path p = tmp / fs::unique_path(fmt::format("{}{}-%%%%-%%%%-%%%%", kScratchPrefix, ::getpid()));
  fs::create_directories(p);
  path_ = p.string();
}

ScratchDir::~ScratchDir() {
  boost::system::error_code ignored;
  boost::filesystem::remove_all(path_, ignored);
}

namespace {
// MODE ROOT CASE_SEED CASE_INDEX, then the case's workload size (--txns 48 ...): the
// child builds the very Env the parent's checks assume.
std::vector<std::string> ChildArgs(ChildMode mode, const std::string& root, std::uint64_t case_seed,
                                   std::uint64_t case_index) {
  std::vector<std::string> args = {"__process-child", ChildModeName(mode), root, std::to_string(case_seed),
                                   std::to_string(case_index)};
  std::istringstream flags(CurrentWorkloadSize().ToFlags());
  for (std::string word; flags >> word;) args.push_back(word);
  return args;
}
}  // namespace

ChildProcess::ChildProcess(const std::string& executable, ChildMode mode, const std::string& root,
                           std::uint64_t case_seed, std::uint64_t case_index)
    : err_path_(root + ".stderr"),
      child_(executable, bp::args(ChildArgs(mode, root, case_seed, case_index)), bp::std_out > out_,
             bp::std_in<in_, bp::std_err> err_path_) {
  pid_ = child_.id();
}

ChildProcess::~ChildProcess() {
  if (reaped_) return;
  // A check threw or returned early: no child outlives its case.
  ::kill(pid_, SIGKILL);
  std::error_code ignored;
  child_.wait(ignored);
}

std::optional<ProcessEvent> ChildProcess::Next() {
  std::string line;
  while (std::getline(out_, line)) {
    if (std::optional<ProcessEvent> e = ParseEvent(line)) {
      events_.push_back(*e);
      return e;
    }
    garbage_ += line + "\n";
  }
  return std::nullopt;
}

void ChildProcess::Drain() {
  while (Next()) {
  }
}

int ChildProcess::KillAndDrain() {
  JF_ASSERT(!reaped_);
  // Not terminate(): Boost.Process v1 loses the status that way (toolchain.md).
  ::kill(pid_, SIGKILL);
  child_.wait();
  reaped_ = true;
  in_.close();
  Drain();
  const int status = child_.native_exit_code();
  if (KilledBySigkill(status)) sigkills_confirmed.fetch_add(1, std::memory_order_relaxed);
  return status;
}

std::uint64_t ChildProcess::SigkillsConfirmed() { return sigkills_confirmed.load(std::memory_order_relaxed); }

bool ChildProcess::KilledBySigkill(int status) { return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL; }

std::string ChildProcess::DescribeStatus(int status) {
  if (WIFSIGNALED(status))
    return fmt::format("killed by signal {} ({})", WTERMSIG(status), strsignal(WTERMSIG(status)));
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  return fmt::format("wait status {:#x}", status);
}

std::string ChildProcess::ErrorText() const {
  std::ifstream in(err_path_);
  std::stringstream text;
  text << in.rdbuf();
  std::string s = text.str();
  while (!s.empty() && s.back() == '\n') s.pop_back();
  return s.empty() ? "(nothing on stderr)" : s;
}

}  // namespace jetharness

namespace jetharness {

PrefixWindow KillWindow(const std::vector<ProcessEvent>& reported, const Model& model) {
  PrefixWindow window;
  for (const ProcessEvent& e : reported) {
    if (e.kind == 'B') window.max = std::max<std::size_t>(window.max, e.index + 1);
    if (e.kind != 'A' || e.code < 0) continue;
    JF_ASSERT_LT(e.index, model.commit_order().size());
    const Txn& txn = model.txn(model.commit_order()[e.index]);
    if (txn.mode == CommitMode::kDurable && !txn.ops.empty()) {
      window.min = std::max<std::size_t>(window.min, e.index + 1);
    }
  }
  JF_ASSERT_LE(window.min, window.max);
  return window;
}

std::string EventDivergence(const std::vector<ProcessEvent>& reported, const std::vector<ProcessEvent>& simulated) {
  for (std::size_t i = 0; i < reported.size(); ++i) {
    if (i >= simulated.size()) {
      return fmt::format("event {} `{}`: the simulation ended after {} events", i, FormatEvent(reported[i]),
                         simulated.size());
    }
    if (!(reported[i] == simulated[i])) {
      return fmt::format("event {}: the child reported `{}`, the simulation `{}`", i, FormatEvent(reported[i]),
                         FormatEvent(simulated[i]));
    }
  }
  return "";
}

}  // namespace jetharness

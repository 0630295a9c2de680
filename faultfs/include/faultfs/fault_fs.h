// faultfs/fault_fs.h — a Vfs that wraps another one and injects the faults of a plan.
//
// FaultFs forwards every operation to its base Vfs, numbering operations from 0 in
// the order they reach it, and consults the plan (fault_plan.h) before each one. It
// keeps
//   * a simulated clock: latency rules advance it, nothing ever sleeps;
//   * a trace: one event per operation (kind, path, offset, length, result, injected
//     fault, clock) and a stable 64-bit hash of it (below);
//   * counters of injected faults by kind.
// Every random decision is drawn from the plan's seed (prng.h), keyed by the rule and
// operation number, so the same plan and the same sequence of calls always inject the
// same faults and produce the same trace hash. That is how a replay proves it is
// identical to the run it replays.
//
// Crash. A crash rule (or CrashNow()) stops the simulated machine: the operation that
// triggers it and every later one return kCrashed without reaching the base. Over a
// MemFs the surviving disk is then CrashImage(policy) (mem_fs.h decides which pending
// writes survive, torn or reordered). A harness typically runs a workload once to
// learn op_count(), then reruns it with "crash nth=N" for each N.
//
// fsyncgate. A fail rule on sync with lose_dirty=true behaves like Linux ext4/xfs
// after an I/O error during writeback: the fsync fails, the dirty data it covered is
// dropped (the page cache still shows it, no later sync will write it) and the next
// fsync succeeds. This needs a MemFs base (MemFs::LoseUnsyncedWrites); over any other
// base the sync just fails and the data stays dirty, so a retried sync persists it.
//
// Trace hash. FNV-1a 64 (offset basis 0xcbf29ce484222325, prime 0x100000001b3) over
// the events in order; each event contributes, in this order: index, op, path length,
// path bytes, offset, length, result, fault (0xff when none), clock_us; integers as
// 8 little-endian bytes, op/result/fault as one byte each.
//
// Thread safety: operations are serialised by one mutex (the trace has one order).
// The base Vfs must outlive the FaultFs, and the FaultFs must outlive its files.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "faultfs/fault_plan.h"
#include "faultfs/mem_fs.h"
#include "faultfs/prng.h"
#include "faultfs/vfs.h"

namespace faultfs {

struct TraceEvent {
  std::uint64_t index = 0;  // operation number, from 0
  OpKind op = OpKind::kOpen;
  std::string path;  // "from -> to" for renames
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
  ErrorCode result = ErrorCode::kOk;
  std::optional<FaultKind> fault;  // the fault injected into this operation, if any
  std::uint64_t clock_us = 0;      // simulated time after the operation

  // "#12 write /db/edb.log @4096+512 -> io_error [torn] t=300us"
  std::string ToString() const;
};

using FaultCounts = std::array<std::uint64_t, kFaultKindCount>;  // indexed by FaultKind

namespace internal {
class FaultFile;
}

class FaultFs final : public Vfs {
 public:
  FaultFs(Vfs* base, FaultPlan plan);
  ~FaultFs() override;

  Status Open(const std::string& path, const OpenOptions& options, std::unique_ptr<File>* out) override;
  Status Delete(const std::string& path) override;
  Status Rename(const std::string& from, const std::string& to) override;
  Status Exists(const std::string& path, bool* exists) override;
  Status IsDirectory(const std::string& path, bool* is_dir) override;
  Status IsSymlink(const std::string& path, bool* is_link) override;
  Status ListDir(const std::string& path, std::vector<std::string>* names) override;
  Status MakeDir(const std::string& path) override;
  Status RemoveDir(const std::string& path) override;
  Status SyncDir(const std::string& path) override;
  Status FileSize(const std::string& path, std::uint64_t* size) override;

  // Crashes the simulated machine now, as a crash rule would.
  void CrashNow();
  bool crashed() const;
  // The disk a reboot would find. Null unless the base is a MemFs. May be called
  // before a crash too (what if the power failed now?).
  std::unique_ptr<MemFs> CrashImage(const CrashPolicy& policy) const;

  const FaultPlan& plan() const { return plan_; }
  std::uint64_t op_count() const;  // operations seen so far, including refused ones
  std::uint64_t clock_us() const;  // simulated microseconds elapsed
  std::uint64_t trace_hash() const;
  std::vector<TraceEvent> trace() const;
  FaultCounts fault_counts() const;
  std::uint64_t faults_injected() const;  // sum of fault_counts()
  // Events are always hashed; storing them can be turned off for long campaigns.
  void set_keep_trace(bool keep);

  // Record once, derive every crash state: called before each operation reaches the
  // plan or the base (while the machine has not crashed), with the event as far as it
  // is known (index, op, path, offset, length) and the trace hash of everything
  // before it. The base is still as a power failure before this operation would find
  // it, so a hook over a MemFs base may Clone() it there. The hook runs under the
  // FaultFs lock: it must not call back into this FaultFs.
  using BeforeOpHook = std::function<void(const TraceEvent& next, std::uint64_t trace_hash_before)>;
  void set_before_op(BeforeOpHook hook);

 private:
  friend class internal::FaultFile;
  struct Injection;
  using Body = std::function<Status(const Injection&)>;

  // Runs one operation: numbers it, applies crash/fail/latency rules, calls body with
  // the data fault (if any) to inject, and records the event. `inner` is the base
  // file of a file operation (for fsyncgate), else null.
  Status Run(OpKind op, const std::string& path, const std::string& path2, std::uint64_t offset, std::uint64_t length,
             File* inner, const Body& body);
  void Record(TraceEvent event);

  Vfs* base_;
  MemFs* mem_fs_;  // base_ when it is a MemFs
  const FaultPlan plan_;

  mutable std::mutex mu_;
  bool crashed_ = false;
  std::uint64_t op_count_ = 0;
  std::uint64_t clock_us_ = 0;
  std::uint64_t trace_hash_;
  bool keep_trace_ = true;
  BeforeOpHook before_op_;
  std::vector<TraceEvent> trace_;
  std::vector<std::uint64_t> matches_;  // per rule: matching operations seen
  FaultCounts counts_{};
};

}  // namespace faultfs

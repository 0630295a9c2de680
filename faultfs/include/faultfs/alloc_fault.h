// faultfs/alloc_fault.h — a hook that lets a test fail chosen allocations.
//
// The engine calls AllocationAllowed("site") before each allocation whose failure it
// handles (page buffers, log buffers, record copies). With no injector installed on
// the calling thread it always returns true and costs one thread-local load. A test
// installs an AllocFaultInjector to fail the Nth matching call, so every
// JET_errOutOfMemory path can be driven deterministically.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace faultfs {

class AllocFaultInjector {
 public:
  // Fails the nth (0-based) call whose site matches site_glob ("*" matches all).
  // persistent: also fail every later matching call.
  AllocFaultInjector(std::string site_glob, std::uint64_t nth, bool persistent);
  ~AllocFaultInjector();  // uninstalls itself from this thread
  AllocFaultInjector(const AllocFaultInjector&) = delete;
  AllocFaultInjector& operator=(const AllocFaultInjector&) = delete;

  bool Decide(std::string_view site);
  std::uint64_t calls() const { return calls_; }
  std::uint64_t failures() const { return failures_; }
  // Distinct sites seen, in first-seen order (used to enumerate sites for campaigns).
  const std::vector<std::string>& sites_seen() const { return sites_seen_; }

 private:
  std::string site_glob_;
  std::uint64_t nth_;
  bool persistent_;
  std::uint64_t calls_ = 0;
  std::uint64_t matched_ = 0;
  std::uint64_t failures_ = 0;
  std::vector<std::string> sites_seen_;
  AllocFaultInjector* previous_;
};

// True unless an injector installed on this thread decides to fail this call.
bool AllocationAllowed(std::string_view site);

}  // namespace faultfs

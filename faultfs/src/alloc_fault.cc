#include "faultfs/alloc_fault.h"

#include <algorithm>

#include "faultfs/glob.h"

namespace faultfs {
namespace {
thread_local AllocFaultInjector* g_current = nullptr;
}  // namespace

AllocFaultInjector::AllocFaultInjector(std::string site_glob, std::uint64_t nth, bool persistent)
    : site_glob_(std::move(site_glob)), nth_(nth), persistent_(persistent), previous_(g_current) {
  g_current = this;
}

AllocFaultInjector::~AllocFaultInjector() { g_current = previous_; }

bool AllocFaultInjector::Decide(std::string_view site) {
  ++calls_;
  if (std::find(sites_seen_.begin(), sites_seen_.end(), site) == sites_seen_.end()) {
    sites_seen_.emplace_back(site);
  }
  if (!GlobMatch(site_glob_, site)) return true;
  std::uint64_t index = matched_++;
  bool fail = index == nth_ || (persistent_ && index > nth_);
  if (fail) ++failures_;
  return !fail;
}

bool AllocationAllowed(std::string_view site) {
  AllocFaultInjector* injector = g_current;
  return injector == nullptr || injector->Decide(site);
}

}  // namespace faultfs

// faultfs/survivors.h — the standard set of crash images worth checking.
//
// After a crash, the durability model (mem_fs.h) allows many images. A campaign
// cannot try them all; it tries the ones most likely to expose a recovery bug:
//   "keep-all"          every pending operation reached the medium
//   "drop-all"          none did: only what was synced
//   "drop-write-<seq>"  everything but one write (a hole in the middle)
//   "drop-dirop-<seq>"  everything but one create/rename/delete
//   "tear-<seq>"        everything, but one write torn at the atomic unit
//   "random-<i>"        seeded random subsets, some writes torn, applied reordered
// The list is deterministic in (the pending operations, options).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "faultfs/mem_fs.h"

namespace faultfs {

struct SurvivorOptions {
  std::uint64_t seed = 0;
  std::uint32_t atomic_unit = 512;
  bool single_drops = true;  // one image per pending write / directory op dropped
  bool single_tears = true;  // one image per pending write torn
  std::size_t random_subsets = 4;
  std::uint32_t random_tear_per_million = 200'000;
  std::size_t max_images = 64;  // the list is cut here (keep-all and drop-all come first)
};

struct NamedCrashPolicy {
  std::string name;
  CrashPolicy policy;
};

std::vector<NamedCrashPolicy> SurvivorPolicies(const MemFs& fs, const SurvivorOptions& options);

}  // namespace faultfs

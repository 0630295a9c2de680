#include "faultfs/survivors.h"

#include "faultfs/prng.h"

namespace faultfs {

std::vector<NamedCrashPolicy> SurvivorPolicies(const MemFs& fs, const SurvivorOptions& options) {
  std::vector<NamedCrashPolicy> out;
  auto add = [&](std::string name, CrashPolicy policy) {
    if (out.size() >= options.max_images) return;
    policy.atomic_unit = options.atomic_unit;
    out.push_back(NamedCrashPolicy{std::move(name), std::move(policy)});
  };
  const std::vector<PendingWrite> writes = fs.PendingWrites();
  const std::vector<PendingDirOp> dir_ops = fs.PendingDirOps();

  add("keep-all", CrashPolicy::KeepAll());
  if (writes.empty() && dir_ops.empty()) return out;  // every image would be the same
  add("drop-all", CrashPolicy::DropAll());
  if (options.single_drops) {
    for (const PendingWrite& w : writes)
      add("drop-write-" + std::to_string(w.sequence), CrashPolicy::DropOne(w.sequence));
    for (const PendingDirOp& d : dir_ops)
      add("drop-dirop-" + std::to_string(d.sequence), CrashPolicy::DropOne(d.sequence));
  }
  if (options.single_tears) {
    for (const PendingWrite& w : writes) {
      if (w.is_truncate) continue;
      CrashPolicy torn;
      torn.seed = options.seed;
      torn.write_overrides[w.sequence] = Fate::kTear;
      add("tear-" + std::to_string(w.sequence), std::move(torn));
    }
  }
  for (std::size_t i = 0; i < options.random_subsets; ++i) {
    CrashPolicy random = CrashPolicy::Random(SplitMix64::Derive(options.seed, i).Next(),
                                             options.random_tear_per_million);
    random.reorder = true;
    add("random-" + std::to_string(i), std::move(random));
  }
  return out;
}

}  // namespace faultfs

#include "core/version_store.h"

#include "jetfault/assert.h"

namespace jet::core {

const VersionStore::Entry* VersionStore::Find(const RecordId& id) const {
  auto it = entries_.find(id);
  return it == entries_.end() ? nullptr : &it->second;
}

const VersionStore::Entry* VersionStore::Find(const RecordRef& ref) const {
  if (entries_.empty()) return nullptr;
  auto it = entries_.find(ref);
  return it == entries_.end() ? nullptr : &it->second;
}

JET_ERR VersionStore::Lock(const RecordId& id, std::uint64_t txn, const BeforeImage& before, bool* created) {
  JF_ASSERT_NE(txn, 0u);  // transaction ids start at 1: 0 means "no transaction"
  *created = false;
  auto it = entries_.find(id);
  if (it != entries_.end()) return it->second.owner == txn ? JET_errSuccess : JET_errWriteConflict;
  const bool inserted = entries_.emplace(id, Entry{txn, before}).second;
  JF_ASSERT(inserted);
  *created = true;
  return JET_errSuccess;
}

void VersionStore::Unlock(const RecordId& id) {
  const std::size_t erased = entries_.erase(id);
  JF_ASSERT_EQ(erased, 1u);
}

const RecordId* VersionStore::Neighbour(std::uint32_t dbid, std::uint32_t objid, std::span<const std::uint8_t> key,
                                        bool forward, bool inclusive) const {
  RecordRef probe{dbid, objid, std::string_view(reinterpret_cast<const char*>(key.data()), key.size())};
  auto same_tree = [&](const RecordId& id) { return id.dbid == dbid && id.objid == objid; };
  if (forward) {
    auto it = inclusive ? entries_.lower_bound(probe) : entries_.upper_bound(probe);
    return it != entries_.end() && same_tree(it->first) ? &it->first : nullptr;
  }
  auto it = inclusive ? entries_.upper_bound(probe) : entries_.lower_bound(probe);
  if (it == entries_.begin()) return nullptr;
  --it;
  return same_tree(it->first) ? &it->first : nullptr;
}

}  // namespace jet::core

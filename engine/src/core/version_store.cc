#include "core/version_store.h"

#include "jetfault/assert.h"

namespace jet::core {

const VersionStore::Entry* VersionStore::Find(const RecordId& id) const {
  auto it = entries_.find(id);
  if (it == entries_.end()) return nullptr;
  JF_ASSERT_NE(it->second.owner, 0u);  // every entry was created by Lock for a real transaction
  return &it->second;
}

const VersionStore::Entry* VersionStore::Find(const RecordRef& ref) const {
  if (entries_.empty()) return nullptr;
  auto it = entries_.find(ref);
  if (it == entries_.end()) return nullptr;
  JF_ASSERT_NE(it->second.owner, 0u);
  return &it->second;
}

JET_ERR VersionStore::Lock(const RecordId& id, std::uint64_t txn, const BeforeImage& before, bool* created) {
  JF_ASSERT_NE(txn, 0u);  // transaction ids start at 1: 0 means "no transaction"
  *created = false;
  auto it = entries_.find(id);
  if (it != entries_.end()) {
    JF_ASSERT_NE(it->second.owner, 0u);
    return it->second.owner == txn ? JET_errSuccess : JET_errWriteConflict;
  }
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
  const RecordLess less;
  if (forward) {
    auto it = inclusive ? entries_.lower_bound(probe) : entries_.upper_bound(probe);
    if (it == entries_.end() || !same_tree(it->first)) return nullptr;
    // On the asked side of key: after it, or at it when inclusive.
    JF_ASSERT(inclusive ? !less(it->first, probe) : less(probe, it->first));
    return &it->first;
  }
  auto it = inclusive ? entries_.upper_bound(probe) : entries_.lower_bound(probe);
  if (it == entries_.begin()) return nullptr;
  --it;
  if (!same_tree(it->first)) return nullptr;
  JF_ASSERT(inclusive ? !less(probe, it->first) : less(it->first, probe));
  return &it->first;
}

}  // namespace jet::core

// core/version_store.h — per-record write locks with before-images.
//
// The first write of a transaction to a record takes the record's lock and keeps the
// record's stored value as it was before (or its absence). Another transaction that
// writes the record gets JET_errWriteConflict; readers other than the owner see the
// before-image. Entries live until the owner commits or rolls back.
#pragma once

#include <compare>
#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "jet/jet.h"

namespace jet::core {

struct RecordId {
  std::uint32_t dbid = 0;
  std::uint32_t objid = 0;
  std::string key;
  friend auto operator<=>(const RecordId&, const RecordId&) = default;
  friend bool operator==(const RecordId&, const RecordId&) = default;
};

// A record named without owning its key: lookups of the read path allocate nothing.
struct RecordRef {
  std::uint32_t dbid = 0;
  std::uint32_t objid = 0;
  std::string_view key;
};

// Orders RecordId and RecordRef alike (dbid, objid, key bytes).
struct RecordLess {
  using is_transparent = void;
  static auto Tie(const RecordId& r) { return std::tuple(r.dbid, r.objid, std::string_view(r.key)); }
  static auto Tie(const RecordRef& r) { return std::tuple(r.dbid, r.objid, r.key); }
  template <class A, class B>
  bool operator()(const A& a, const B& b) const {
    return Tie(a) < Tie(b);
  }
};

struct BeforeImage {
  bool present = false;              // the record existed
  std::vector<std::uint8_t> stored;  // its stored value (db/node.h) when present
};

class VersionStore {
 public:
  struct Entry {
    std::uint64_t owner = 0;
    BeforeImage before;
  };

  // The lock entry of a record, or null when nobody holds it.
  const Entry* Find(const RecordId& id) const;
  const Entry* Find(const RecordRef& ref) const;
  // Takes the lock for txn. *created says whether this call created the entry (the
  // caller releases it with Unlock if its write then fails). JET_errWriteConflict
  // when another transaction holds it.
  JET_ERR Lock(const RecordId& id, std::uint64_t txn, const BeforeImage& before, bool* created);
  // Releases a lock that exists (the caller created it or found it its own).
  void Unlock(const RecordId& id);

  // The first locked record of (dbid, objid) after `key` in the direction given
  // (inclusive: at `key` too). Null when none.
  const RecordId* Neighbour(std::uint32_t dbid, std::uint32_t objid, std::span<const std::uint8_t> key, bool forward,
                            bool inclusive) const;
  // Drops every entry of a database (detach) — callers ensure no transaction holds one.
  void Clear() { entries_.clear(); }
  bool empty() const { return entries_.empty(); }

 private:
  std::map<RecordId, Entry, RecordLess> entries_;
};

}  // namespace jet::core

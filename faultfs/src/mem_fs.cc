#include "faultfs/mem_fs.h"

#include <algorithm>
#include <mutex>
#include <optional>
#include <set>

#include "faultfs/prng.h"
#include "file_data.h"
#include "jetfault/assert.h"
#include "path_rules.h"

namespace faultfs {
namespace {

using internal::FileData;

constexpr std::uint64_t kRootId = 1;
// Salts that keep the seeded decisions for different purposes independent.
constexpr std::uint64_t kSaltWriteFate = 0x57524954;  // "WRIT"
constexpr std::uint64_t kSaltDirFate = 0x44495230;    // "DIR0"
constexpr std::uint64_t kSaltTear = 0x54454152;       // "TEAR"
constexpr std::uint64_t kSaltOrder = 0x4f524452;      // "ORDR"

struct OpenHandle {
  Access access;
  std::uint8_t share;
};

struct Inode {
  bool is_dir = false;
  FileData live;                                         // files: what readers see now
  FileData durable;                                      // files: what a crash keeps for sure
  std::map<std::string, std::uint64_t> entries;          // directories: volatile entries
  std::map<std::string, std::uint64_t> durable_entries;  // directories: durable entries
  std::map<std::uint64_t, OpenHandle> handles;           // open handles, by handle id
  // Files: live is durable with this file's pending writes applied in issue order. Then
  // a sync makes live itself durable (a copy of block pointers) instead of writing every
  // pending byte a second time. False once that stops holding: a pending write was lost
  // (LoseUnsyncedWrites) or stored bytes were corrupted under pending writes.
  bool live_is_durable_plus_pending = true;
};

// A pending change of one file's data or size.
struct WriteRecord {
  std::uint64_t sequence = 0;
  std::uint64_t epoch = 0;
  std::uint64_t file_id = 0;
  std::string path;
  bool is_truncate = false;
  std::uint64_t offset = 0;  // the new size for a truncate
  std::shared_ptr<const std::vector<std::uint8_t>> data;
};

// One directory entry set (target) or removed (no target) by a directory operation.
struct EntryEffect {
  std::uint64_t dir = 0;
  std::string name;
  std::optional<std::uint64_t> target;
};

// A pending directory operation; its effects on already-synced directories are gone.
struct DirOpRecord {
  std::uint64_t sequence = 0;
  std::uint64_t epoch = 0;
  std::string description;
  std::vector<EntryEffect> effects;
};

void ApplyWrite(FileData& data, const WriteRecord& w) {
  if (w.is_truncate) {
    JF_ASSERT(w.data == nullptr);
    data.Resize(w.offset);
    JF_ASSERT_EQ(data.size(), w.offset);
  } else {
    JF_ASSERT(w.data != nullptr);
    data.Write(w.offset, *w.data);
    JF_ASSERT_GE(data.size(), w.offset + w.data->size());
  }
}

// Pending operations are kept in issue order: strictly increasing sequence numbers
// (one counter for writes and directory operations) and non-decreasing sync epochs,
// all below the next sequence to be issued. Crash images and the sweeps that drop
// "the k-th pending write" rely on it.
template <class Record>
void AssertIssueOrder(const std::vector<Record>& records, std::uint64_t next_sequence, std::uint64_t epoch) {
  for (std::size_t i = 1; i < records.size(); ++i) {
    JF_ASSERT_LT(records[i - 1].sequence, records[i].sequence);
    JF_ASSERT_LE(records[i - 1].epoch, records[i].epoch);
  }
  if (!records.empty()) {
    JF_ASSERT_LT(records.back().sequence, next_sequence);
    JF_ASSERT_LE(records.back().epoch, epoch);
  }
}

void ApplyEffect(std::map<std::string, std::uint64_t>& entries, const EntryEffect& e) {
  if (e.target) {
    entries[e.name] = *e.target;
  } else {
    entries.erase(e.name);
  }
}

// A torn write: each atomic unit (aligned to multiples of `unit` in the file) lands or
// not, independently, as decided by rng.
void ApplyTorn(FileData& data, const WriteRecord& w, std::uint32_t unit, SplitMix64& rng) {
  const std::vector<std::uint8_t>& bytes = *w.data;
  std::uint64_t pos = w.offset;
  const std::uint64_t end = w.offset + bytes.size();
  JF_ASSERT_GE(unit, 1u);
  while (pos < end) {
    std::uint64_t unit_end = std::min(end, (pos / unit + 1) * unit);
    JF_ASSERT_LT(pos, unit_end);
    if (rng.Chance(500'000)) {
      auto first = bytes.begin() + static_cast<std::ptrdiff_t>(pos - w.offset);
      data.Write(pos, std::span<const std::uint8_t>(&*first, static_cast<std::size_t>(unit_end - pos)));
    }
    pos = unit_end;
  }
}

Status NotFound(const std::string& path) { return Status::Error(ErrorCode::kNotFound, path + " does not exist"); }

}  // namespace

struct MemFs::State {
  mutable std::mutex mu;
  std::map<std::uint64_t, Inode> inodes;
  std::uint64_t next_inode = kRootId + 1;
  std::uint64_t next_handle = 1;
  std::uint64_t next_sequence = 1;
  std::uint64_t epoch = 0;
  std::vector<WriteRecord> pending_writes;   // in sequence order
  std::vector<DirOpRecord> pending_dir_ops;  // in sequence order

  State() { inodes[kRootId].is_dir = true; }

  // Copies everything except open handles (used by Clone).
  std::shared_ptr<State> CopyWithoutHandles() const {
    auto copy = std::make_shared<State>();
    copy->inodes = inodes;
    for (auto& [id, inode] : copy->inodes) inode.handles.clear();
    copy->next_inode = next_inode;
    copy->next_sequence = next_sequence;
    copy->epoch = epoch;
    copy->pending_writes = pending_writes;
    copy->pending_dir_ops = pending_dir_ops;
    return copy;
  }

  // Resolves a path to an inode id in the volatile tree.
  Status Lookup(const std::string& path, std::uint64_t* id) const {
    std::vector<std::string> parts;
    Status s = internal::SplitAbsolutePath(path, &parts);
    if (!s.ok()) return s;
    JF_ASSERT_EQ(inodes.count(kRootId), 1u);  // garbage collection keeps the root
    std::uint64_t current = kRootId;
    for (const std::string& part : parts) {
      const Inode& dir = inodes.at(current);
      if (!dir.is_dir) return NotFound(path);
      auto it = dir.entries.find(part);
      if (it == dir.entries.end()) return NotFound(path);
      current = it->second;
    }
    JF_ASSERT_EQ(inodes.count(current), 1u);  // an entry never outlives its inode (CollectGarbage)
    *id = current;
    return Status::Ok();
  }

  // Resolves the directory that holds (or would hold) path's last component.
  // kAccessDenied for "/" itself, which has no parent.
  Status LookupParent(const std::string& path, std::uint64_t* parent, std::string* name) const {
    std::vector<std::string> parts;
    Status s = internal::SplitAbsolutePath(path, &parts);
    if (!s.ok()) return s;
    if (parts.empty()) return Status::Error(ErrorCode::kAccessDenied, "/ is the root directory");
    std::uint64_t current = kRootId;
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
      const Inode& dir = inodes.at(current);
      auto it = dir.entries.find(parts[i]);
      if (it == dir.entries.end() || !inodes.at(it->second).is_dir) {
        return Status::Error(ErrorCode::kNotFound, "parent directory of " + path + " does not exist");
      }
      current = it->second;
    }
    // The walk only steps into directories; the split drops empty components.
    JF_ASSERT(inodes.at(current).is_dir);
    JF_ASSERT(!parts.back().empty());
    *parent = current;
    *name = parts.back();
    return Status::Ok();
  }

  // Resolves an existing path to the directory that names it, the name and
  // the inode: what Delete, Rename and RemoveDir all start from.
  Status LookupEntry(const std::string& path, std::uint64_t* parent, std::string* name, std::uint64_t* id) const {
    Status s = LookupParent(path, parent, name);
    if (!s.ok()) return s;
    std::optional<std::uint64_t> found = Entry(*parent, *name);
    if (!found) return NotFound(path);
    *id = *found;
    return Status::Ok();
  }

  std::optional<std::uint64_t> Entry(std::uint64_t dir, const std::string& name) const {
    const Inode& d = inodes.at(dir);
    auto it = d.entries.find(name);
    if (it == d.entries.end()) return std::nullopt;
    return it->second;
  }

  bool AllHandlesShareDelete(std::uint64_t id) const {
    for (const auto& [handle, open] : inodes.at(id).handles) {
      if ((open.share & kShareDelete) == 0) return false;
    }
    return true;
  }

  std::uint64_t NewInode(bool is_dir) {
    std::uint64_t id = next_inode++;
    inodes[id].is_dir = is_dir;
    return id;
  }

  // Applies the effects to the volatile tree and remembers them until synced.
  void DoDirOp(std::string description, std::vector<EntryEffect> effects) {
    JF_ASSERT(!effects.empty());
    for (const EntryEffect& e : effects) JF_ASSERT(inodes.at(e.dir).is_dir);
    if (!pending_dir_ops.empty()) JF_ASSERT_LT(pending_dir_ops.back().sequence, next_sequence);
    for (const EntryEffect& e : effects) ApplyEffect(inodes.at(e.dir).entries, e);
    pending_dir_ops.push_back(DirOpRecord{next_sequence++, epoch, std::move(description), std::move(effects)});
  }

  // Applies the change to the file's volatile data and remembers it until synced.
  void DoWrite(std::uint64_t id, const std::string& path, bool is_truncate, std::uint64_t offset,
               std::span<const std::uint8_t> bytes) {
    WriteRecord w;
    w.sequence = next_sequence++;
    w.epoch = epoch;
    w.file_id = id;
    w.path = path;
    w.is_truncate = is_truncate;
    w.offset = offset;
    if (!is_truncate) w.data = std::make_shared<const std::vector<std::uint8_t>>(bytes.begin(), bytes.end());
    JF_ASSERT(!inodes.at(id).is_dir);
    if (!pending_writes.empty()) {
      JF_ASSERT_LT(pending_writes.back().sequence, w.sequence);
      JF_ASSERT_LE(pending_writes.back().epoch, w.epoch);
    }
    ApplyWrite(inodes.at(id).live, w);
    pending_writes.push_back(std::move(w));
  }

  void SyncFile(std::uint64_t id) {
    Inode& inode = inodes.at(id);
    if (inode.live_is_durable_plus_pending) {
      std::erase_if(pending_writes, [&](const WriteRecord& w) { return w.file_id == id; });
      inode.durable = inode.live;
    } else {
      // Re-apply the pending writes rather than copy the volatile data: writes lost by a
      // failed sync (LoseUnsyncedWrites) must stay lost.
      std::erase_if(pending_writes, [&](const WriteRecord& w) {
        if (w.file_id != id) return false;
        ApplyWrite(inode.durable, w);
        return true;
      });
    }
    ++epoch;
  }

  bool HasPendingWrites(std::uint64_t id) const {
    return std::any_of(pending_writes.begin(), pending_writes.end(),
                       [&](const WriteRecord& w) { return w.file_id == id; });
  }

  void SyncDirectory(std::uint64_t id) {
    Inode& dir = inodes.at(id);
    JF_ASSERT(dir.is_dir);
    dir.durable_entries = dir.entries;
    for (DirOpRecord& op : pending_dir_ops) {
      std::erase_if(op.effects, [&](const EntryEffect& e) { return e.dir == id; });
    }
    std::erase_if(pending_dir_ops, [](const DirOpRecord& op) { return op.effects.empty(); });
    ++epoch;
    CollectGarbage();
  }

  // Frees inodes that no volatile or durable entry, pending operation or open handle
  // can reach any more, together with their pending writes.
  void CollectGarbage() {
    std::set<std::uint64_t> live;
    std::vector<std::uint64_t> stack{kRootId};
    for (const auto& [id, inode] : inodes) {
      if (!inode.handles.empty()) stack.push_back(id);
    }
    for (const DirOpRecord& op : pending_dir_ops) {
      for (const EntryEffect& e : op.effects) {
        stack.push_back(e.dir);
        if (e.target) stack.push_back(*e.target);
      }
    }
    while (!stack.empty()) {
      std::uint64_t id = stack.back();
      stack.pop_back();
      if (!live.insert(id).second) continue;
      auto it = inodes.find(id);
      if (it == inodes.end()) continue;
      for (const auto& [name, child] : it->second.entries) stack.push_back(child);
      for (const auto& [name, child] : it->second.durable_entries) stack.push_back(child);
    }
    std::erase_if(inodes, [&](const auto& item) { return live.count(item.first) == 0; });
    std::erase_if(pending_writes, [&](const WriteRecord& w) { return live.count(w.file_id) == 0; });
    JF_ASSERT(inodes.count(kRootId) == 1 && inodes.at(kRootId).is_dir);
    JF_ASSERT_LE(inodes.size(), live.size());  // only reachable inodes remain
  }
};

namespace {

class MemFile final : public File {
 public:
  MemFile(std::shared_ptr<MemFs::State> state, std::uint64_t inode, std::uint64_t handle, Access access,
          std::string path)
      : state_(std::move(state)), inode_(inode), handle_(handle), access_(access), path_(std::move(path)) {}

  ~MemFile() override {
    std::lock_guard<std::mutex> lock(state_->mu);
    // An inode with an open handle is never collected, and each handle closes once.
    const std::size_t closed = state_->inodes.at(inode_).handles.erase(handle_);
    JF_ASSERT_EQ(closed, 1u);
  }

  Status Read(std::uint64_t offset, std::span<std::uint8_t> dst, std::size_t* bytes_read) override {
    *bytes_read = 0;
    if (!internal::HasRead(access_)) return internal::HandleLacksAccess("read", path_);
    std::lock_guard<std::mutex> lock(state_->mu);
    *bytes_read = state_->inodes.at(inode_).live.Read(offset, dst);
    return Status::Ok();
  }

  Status Write(std::uint64_t offset, std::span<const std::uint8_t> data) override {
    std::lock_guard<std::mutex> lock(state_->mu);
    return WriteLocked(offset, data);
  }

  Status Append(std::span<const std::uint8_t> data) override {
    std::lock_guard<std::mutex> lock(state_->mu);
    return WriteLocked(state_->inodes.at(inode_).live.size(), data);
  }

  Status Flush() override { return Status::Ok(); }

  Status Sync() override {
    std::lock_guard<std::mutex> lock(state_->mu);
    state_->SyncFile(inode_);
    return Status::Ok();
  }

  Status Size(std::uint64_t* size) override {
    std::lock_guard<std::mutex> lock(state_->mu);
    *size = state_->inodes.at(inode_).live.size();
    return Status::Ok();
  }

  Status Truncate(std::uint64_t size) override {
    if (!internal::HasWrite(access_)) return internal::HandleLacksAccess("truncate", path_);
    if (!internal::WithinMaxFileSize(size, 0)) return internal::FileTooLarge(path_);
    std::lock_guard<std::mutex> lock(state_->mu);
    if (state_->inodes.at(inode_).live.size() != size) state_->DoWrite(inode_, path_, true, size, {});
    return Status::Ok();
  }

  const std::string& path() const override { return path_; }

  MemFs::State* state() const { return state_.get(); }
  std::uint64_t inode() const { return inode_; }

 private:
  Status WriteLocked(std::uint64_t offset, std::span<const std::uint8_t> data) {
    if (!internal::HasWrite(access_)) return internal::HandleLacksAccess("write", path_);
    if (!internal::WithinMaxFileSize(offset, data.size())) return internal::FileTooLarge(path_);
    if (!data.empty()) state_->DoWrite(inode_, path_, false, offset, data);
    return Status::Ok();
  }

  std::shared_ptr<MemFs::State> state_;
  std::uint64_t inode_;
  std::uint64_t handle_;
  Access access_;
  std::string path_;
};

}  // namespace

CrashPolicy CrashPolicy::KeepAll() { return CrashPolicy{}; }

CrashPolicy CrashPolicy::DropAll() {
  CrashPolicy p;
  p.writes = Fate::kDrop;
  p.dir_ops = Fate::kDrop;
  return p;
}

CrashPolicy CrashPolicy::DropOne(std::uint64_t sequence) {
  CrashPolicy p;
  p.write_overrides[sequence] = Fate::kDrop;
  p.dir_op_overrides[sequence] = Fate::kDrop;
  return p;
}

CrashPolicy CrashPolicy::Random(std::uint64_t seed, std::uint32_t tear_per_million) {
  CrashPolicy p;
  p.seed = seed;
  p.writes = Fate::kRandom;
  p.dir_ops = Fate::kRandom;
  p.tear_per_million = tear_per_million;
  return p;
}

MemFs::MemFs() : state_(std::make_shared<State>()) {}
MemFs::MemFs(std::shared_ptr<State> state) : state_(std::move(state)) {}
MemFs::~MemFs() = default;

Status MemFs::Open(const std::string& path, const OpenOptions& options, std::unique_ptr<File>* out) {
  std::lock_guard<std::mutex> lock(state_->mu);
  State& st = *state_;
  std::uint64_t parent = 0;
  std::string name;
  Status s = st.LookupParent(path, &parent, &name);
  if (!s.ok()) return s;
  std::optional<std::uint64_t> existing = st.Entry(parent, name);
  std::uint64_t id = 0;
  if (existing) {
    id = *existing;
    Inode& inode = st.inodes.at(id);
    if (options.disposition == Disposition::kCreateNew) {
      return Status::Error(ErrorCode::kAlreadyExists, path + " already exists");
    }
    if (inode.is_dir) return Status::Error(ErrorCode::kAccessDenied, path + " is a directory");
    for (const auto& [handle, open] : inode.handles) {
      if (!internal::SharesCompatible(open.access, open.share, options.access, options.share)) {
        return Status::Error(ErrorCode::kSharingViolation, path + " is open with an incompatible share mode");
      }
    }
    if (options.disposition == Disposition::kCreateAlways && inode.live.size() != 0) {
      st.DoWrite(id, path, true, 0, {});
    }
  } else {
    if (options.disposition == Disposition::kOpenExisting) return NotFound(path);
    id = st.NewInode(false);
    st.DoDirOp("create " + path, {EntryEffect{parent, name, id}});
    JF_ASSERT(st.Entry(parent, name) == id);  // the volatile tree names the new file at once
  }
  JF_ASSERT(!st.inodes.at(id).is_dir);  // handles are opened on files only
  std::uint64_t handle = st.next_handle++;
  const bool fresh = st.inodes.at(id).handles.emplace(handle, OpenHandle{options.access, options.share}).second;
  JF_ASSERT(fresh);
  *out = std::make_unique<MemFile>(state_, id, handle, options.access, path);
  return Status::Ok();
}

Status MemFs::Delete(const std::string& path) {
  std::lock_guard<std::mutex> lock(state_->mu);
  State& st = *state_;
  std::uint64_t parent = 0, id = 0;
  std::string name;
  Status s = st.LookupEntry(path, &parent, &name, &id);
  if (!s.ok()) return s;
  if (st.inodes.at(id).is_dir) return Status::Error(ErrorCode::kAccessDenied, path + " is a directory");
  if (!st.AllHandlesShareDelete(id)) {
    return Status::Error(ErrorCode::kSharingViolation, path + " is open without FILE_SHARE_DELETE");
  }
  st.DoDirOp("delete " + path, {EntryEffect{parent, name, std::nullopt}});
  JF_ASSERT(!st.Entry(parent, name));  // gone from the volatile tree at once
  st.CollectGarbage();
  JF_ASSERT_EQ(st.inodes.count(parent), 1u);  // the parent directory is reachable and stays
  return Status::Ok();
}

Status MemFs::Rename(const std::string& from, const std::string& to) {
  std::lock_guard<std::mutex> lock(state_->mu);
  State& st = *state_;
  std::uint64_t from_dir = 0, to_dir = 0, id = 0;
  std::string from_name, to_name;
  Status s = st.LookupEntry(from, &from_dir, &from_name, &id);
  if (!s.ok()) return s;
  if (st.inodes.at(id).is_dir) return Status::Error(ErrorCode::kAccessDenied, from + " is a directory");
  s = st.LookupParent(to, &to_dir, &to_name);
  if (!s.ok()) return s;
  if (from_dir == to_dir && from_name == to_name) return Status::Ok();
  if (!st.AllHandlesShareDelete(id)) {
    return Status::Error(ErrorCode::kSharingViolation, from + " is open without FILE_SHARE_DELETE");
  }
  std::optional<std::uint64_t> replaced = st.Entry(to_dir, to_name);
  if (replaced) {
    if (*replaced == id) return Status::Ok();
    if (st.inodes.at(*replaced).is_dir) return Status::Error(ErrorCode::kAccessDenied, to + " is a directory");
    if (!st.AllHandlesShareDelete(*replaced)) {
      return Status::Error(ErrorCode::kSharingViolation, to + " is open without FILE_SHARE_DELETE");
    }
  }
  st.DoDirOp("rename " + from + " -> " + to,
             {EntryEffect{from_dir, from_name, std::nullopt}, EntryEffect{to_dir, to_name, id}});
  // The live tree shows the move at once (its durability is the pending op's business).
  JF_ASSERT(st.Entry(to_dir, to_name) == id);
  JF_ASSERT(!st.Entry(from_dir, from_name).has_value());
  if (replaced) st.CollectGarbage();
  return Status::Ok();
}

Status MemFs::Exists(const std::string& path, bool* exists) {
  std::lock_guard<std::mutex> lock(state_->mu);
  std::uint64_t id = 0;
  Status s = state_->Lookup(path, &id);
  *exists = s.ok();
  return s.code() == ErrorCode::kNotFound ? Status::Ok() : s;
}

Status MemFs::IsDirectory(const std::string& path, bool* is_dir) {
  std::lock_guard<std::mutex> lock(state_->mu);
  std::uint64_t id = 0;
  Status s = state_->Lookup(path, &id);
  if (!s.ok()) return s;
  *is_dir = state_->inodes.at(id).is_dir;
  return Status::Ok();
}

Status MemFs::ListDir(const std::string& path, std::vector<std::string>* names) {
  std::lock_guard<std::mutex> lock(state_->mu);
  std::uint64_t id = 0;
  Status s = state_->Lookup(path, &id);
  if (!s.ok()) return s;
  const Inode& dir = state_->inodes.at(id);
  if (!dir.is_dir) return Status::Error(ErrorCode::kAccessDenied, path + " is not a directory");
  names->clear();
  for (const auto& [name, child] : dir.entries) names->push_back(name);
  return Status::Ok();
}

Status MemFs::MakeDir(const std::string& path) {
  std::lock_guard<std::mutex> lock(state_->mu);
  State& st = *state_;
  std::uint64_t parent = 0;
  std::string name;
  Status s = st.LookupParent(path, &parent, &name);
  if (s.code() == ErrorCode::kAccessDenied) return Status::Error(ErrorCode::kAlreadyExists, "/ exists");
  if (!s.ok()) return s;
  if (st.Entry(parent, name)) return Status::Error(ErrorCode::kAlreadyExists, path + " already exists");
  std::uint64_t id = st.NewInode(true);
  st.DoDirOp("mkdir " + path, {EntryEffect{parent, name, id}});
  JF_ASSERT(st.Entry(parent, name) == id);
  JF_ASSERT(st.inodes.at(id).is_dir);
  return Status::Ok();
}

Status MemFs::RemoveDir(const std::string& path) {
  std::lock_guard<std::mutex> lock(state_->mu);
  State& st = *state_;
  std::uint64_t parent = 0, id = 0;
  std::string name;
  Status s = st.LookupEntry(path, &parent, &name, &id);
  if (!s.ok()) return s;
  const Inode& dir = st.inodes.at(id);
  if (!dir.is_dir) return Status::Error(ErrorCode::kAccessDenied, path + " is not a directory");
  if (!dir.entries.empty()) return Status::Error(ErrorCode::kNotEmpty, path + " is not empty");
  JF_ASSERT(st.inodes.at(parent).is_dir);
  st.DoDirOp("rmdir " + path, {EntryEffect{parent, name, std::nullopt}});
  JF_ASSERT(!st.Entry(parent, name));
  return Status::Ok();
}

Status MemFs::SyncDir(const std::string& path) {
  std::lock_guard<std::mutex> lock(state_->mu);
  std::uint64_t id = 0;
  Status s = state_->Lookup(path, &id);
  if (!s.ok()) return s;
  if (!state_->inodes.at(id).is_dir) return Status::Error(ErrorCode::kAccessDenied, path + " is not a directory");
  state_->SyncDirectory(id);
  return Status::Ok();
}

Status MemFs::FileSize(const std::string& path, std::uint64_t* size) {
  std::lock_guard<std::mutex> lock(state_->mu);
  std::uint64_t id = 0;
  Status s = state_->Lookup(path, &id);
  if (!s.ok()) return s;
  const Inode& inode = state_->inodes.at(id);
  if (inode.is_dir) return Status::Error(ErrorCode::kAccessDenied, path + " is a directory");
  *size = inode.live.size();
  return Status::Ok();
}

std::unique_ptr<MemFs> MemFs::Clone() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  return std::unique_ptr<MemFs>(new MemFs(state_->CopyWithoutHandles()));
}

std::unique_ptr<MemFs> MemFs::CrashImage(const CrashPolicy& policy) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  const State& st = *state_;
  const std::uint32_t unit = std::max<std::uint32_t>(policy.atomic_unit, 1);
  AssertIssueOrder(st.pending_writes, st.next_sequence, st.epoch);
  AssertIssueOrder(st.pending_dir_ops, st.next_sequence, st.epoch);

  auto decide = [&](Fate fate, std::uint64_t salt, std::uint64_t sequence, bool tearable) {
    if (fate != Fate::kRandom) return (!tearable && fate == Fate::kTear) ? Fate::kKeep : fate;
    SplitMix64 rng = SplitMix64::Derive(policy.seed, salt ^ sequence);
    if (!rng.Chance(policy.keep_per_million)) return Fate::kDrop;
    return tearable && rng.Chance(policy.tear_per_million) ? Fate::kTear : Fate::kKeep;
  };
  auto fate_of = [](const std::map<std::uint64_t, Fate>& overrides, Fate fallback, std::uint64_t sequence) {
    auto it = overrides.find(sequence);
    return it == overrides.end() ? fallback : it->second;
  };

  auto image = std::make_shared<State>();
  image->next_inode = st.next_inode;
  image->next_sequence = st.next_sequence;
  image->epoch = st.epoch;
  for (const auto& [id, inode] : st.inodes) {
    Inode& copy = image->inodes[id];
    copy.is_dir = inode.is_dir;
    copy.live = inode.durable;
    copy.entries = inode.durable_entries;
  }
  for (const DirOpRecord& op : st.pending_dir_ops) {
    Fate fate = decide(fate_of(policy.dir_op_overrides, policy.dir_ops, op.sequence), kSaltDirFate, op.sequence, false);
    if (fate == Fate::kDrop) continue;
    for (const EntryEffect& e : op.effects) ApplyEffect(image->inodes.at(e.dir).entries, e);
  }
  // Surviving writes, grouped per file in issue order (or a seeded permutation).
  std::map<std::uint64_t, std::vector<std::pair<const WriteRecord*, Fate>>> survivors;
  for (const WriteRecord& w : st.pending_writes) {
    Fate fate = decide(fate_of(policy.write_overrides, policy.writes, w.sequence), kSaltWriteFate, w.sequence, true);
    if (fate != Fate::kDrop) survivors[w.file_id].emplace_back(&w, fate);
  }
  // Only pending writes can be lost or torn; a file written after its last sync is one
  // the image holds (creation is a dir op, but the inode exists either way).
  for (const auto& [file_id, writes] : survivors) JF_ASSERT_EQ(image->inodes.count(file_id), 1u);
  for (auto& [file_id, writes] : survivors) {
    if (policy.reorder) {
      SplitMix64 rng = SplitMix64::Derive(policy.seed, kSaltOrder ^ file_id);
      for (std::size_t i = writes.size(); i > 1; --i) std::swap(writes[i - 1], writes[rng.Uniform(i)]);
    }
    FileData& data = image->inodes.at(file_id).live;
    for (const auto& [w, fate] : writes) {
      if (fate == Fate::kTear && !w->is_truncate) {
        SplitMix64 rng = SplitMix64::Derive(policy.seed, kSaltTear ^ w->sequence);
        ApplyTorn(data, *w, unit, rng);
      } else {
        ApplyWrite(data, *w);
      }
    }
  }
  for (auto& [id, inode] : image->inodes) {
    inode.durable = inode.live;
    inode.durable_entries = inode.entries;
  }
  image->CollectGarbage();
  // A crash image is all durable: nothing in it is pending, so a second crash keeps it whole.
  JF_ASSERT(image->pending_writes.empty());
  JF_ASSERT(image->pending_dir_ops.empty());
  return std::unique_ptr<MemFs>(new MemFs(std::move(image)));
}

namespace {

// One directory entry of an image in a canonical order (depth first, by name), with
// files and directories numbered in the order they are first reached: two images hold
// the same tree exactly when their entries are equal one by one (ImageHash, SameImage).
struct ImageEntry {
  std::uint64_t dir = 0;  // canonical number of the directory holding it (root: 0)
  const std::string* name = nullptr;
  std::uint64_t target = 0;  // canonical number of what it names
  bool is_dir = false;
  const FileData* data = nullptr;  // a file reached here for the first time, else null
};

std::vector<ImageEntry> ImageEntries(const MemFs::State& st) {
  JF_ASSERT(st.pending_writes.empty() && st.pending_dir_ops.empty());
  std::vector<ImageEntry> out;
  std::map<std::uint64_t, std::uint64_t> number{{kRootId, 0}};
  std::vector<std::uint64_t> dirs{kRootId};
  while (!dirs.empty()) {
    const std::uint64_t dir = dirs.back();
    dirs.pop_back();
    for (const auto& [name, child] : st.inodes.at(dir).entries) {
      const Inode& inode = st.inodes.at(child);
      JF_ASSERT(inode.handles.empty());
      auto [it, first] = number.emplace(child, number.size());
      if (first && inode.is_dir) dirs.push_back(child);
      out.push_back(
          ImageEntry{number.at(dir), &name, it->second, inode.is_dir, first && !inode.is_dir ? &inode.live : nullptr});
    }
  }
  return out;
}

bool SameEntry(const ImageEntry& a, const ImageEntry& b) {
  if (a.dir != b.dir || *a.name != *b.name || a.target != b.target || a.is_dir != b.is_dir) return false;
  if ((a.data == nullptr) != (b.data == nullptr)) return false;
  return a.data == nullptr || a.data->SameBytes(*b.data);
}

}  // namespace

std::uint64_t MemFs::ImageHash() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  std::uint64_t h = 0x6a09e667f3bcc908ULL;
  auto add = [&h](std::uint64_t v) { h = SplitMix64::Mix(h ^ v); };
  for (const ImageEntry& e : ImageEntries(*state_)) {
    add(e.dir);
    add(std::hash<std::string>{}(*e.name));
    add(e.target);
    add(e.is_dir ? 1 : 0);
    add(e.data == nullptr ? 0 : e.data->Hash());
  }
  return h;
}

bool MemFs::SameImage(const MemFs& other) const {
  if (state_ == other.state_) return true;
  std::scoped_lock lock(state_->mu, other.state_->mu);
  const std::vector<ImageEntry> a = ImageEntries(*state_);
  const std::vector<ImageEntry> b = ImageEntries(*other.state_);
  return std::equal(a.begin(), a.end(), b.begin(), b.end(), SameEntry);
}

std::vector<PendingWrite> MemFs::PendingWrites() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  std::vector<PendingWrite> out;
  for (const WriteRecord& w : state_->pending_writes) {
    out.push_back(PendingWrite{w.sequence, w.epoch, w.file_id, w.path, w.is_truncate, w.offset,
                               w.is_truncate ? 0 : w.data->size()});
  }
  return out;
}

std::vector<PendingDirOp> MemFs::PendingDirOps() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  std::vector<PendingDirOp> out;
  for (const DirOpRecord& op : state_->pending_dir_ops)
    out.push_back(PendingDirOp{op.sequence, op.epoch, op.description});
  return out;
}

std::size_t MemFs::LoseUnsyncedWrites(File& file) {
  auto* mem_file = dynamic_cast<MemFile*>(&file);
  if (mem_file == nullptr || mem_file->state() != state_.get()) return 0;
  std::lock_guard<std::mutex> lock(state_->mu);
  const std::size_t lost = std::erase_if(state_->pending_writes,
                                         [&](const WriteRecord& w) { return w.file_id == mem_file->inode(); });
  if (lost != 0) state_->inodes.at(mem_file->inode()).live_is_durable_plus_pending = false;
  return lost;
}

Status MemFs::CorruptStored(const std::string& path, std::uint64_t offset, std::span<const std::uint8_t> bytes) {
  std::lock_guard<std::mutex> lock(state_->mu);
  std::uint64_t id = 0;
  Status s = state_->Lookup(path, &id);
  if (!s.ok()) return s;
  Inode& inode = state_->inodes.at(id);
  if (inode.is_dir) return Status::Error(ErrorCode::kAccessDenied, path + " is a directory");
  // The same bytes land in both states; a pending write over them keeps its own bytes
  // in live but not in durable, so the two no longer differ by the pending writes alone.
  if (state_->HasPendingWrites(id)) inode.live_is_durable_plus_pending = false;
  for (FileData* data : {&inode.live, &inode.durable}) {
    if (offset >= data->size()) continue;
    const std::uint64_t size = data->size();
    std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(bytes.size(), size - offset));
    JF_ASSERT_LE(offset + n, size);
    data->Write(offset, bytes.first(n));
    JF_ASSERT_EQ(data->size(), size);  // corruption overwrites stored bytes, never extends them
  }
  return Status::Ok();
}

}  // namespace faultfs

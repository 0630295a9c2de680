#include "faultfs/fault_fs.h"

#include <algorithm>
#include <cstring>

#include "faultfs/glob.h"
#include "jetfault/assert.h"

namespace faultfs {
namespace {

constexpr std::uint64_t kFnvOffsetBasis = 0xcbf29ce484222325ULL;
constexpr std::uint64_t kFnvPrime = 0x100000001b3ULL;
constexpr std::uint64_t kSaltTrigger = 0x54524947;  // "TRIG"
constexpr std::uint64_t kSaltData = 0x44415441;     // "DATA"

class Fnv1a64 {
 public:
  explicit Fnv1a64(std::uint64_t state) : state_(state) {}
  void Byte(std::uint8_t b) {
    state_ ^= b;
    state_ *= kFnvPrime;
  }
  void U64(std::uint64_t v) {
    for (int i = 0; i < 8; ++i) Byte(static_cast<std::uint8_t>(v >> (8 * i)));
  }
  void Bytes(const std::string& s) {
    U64(s.size());
    for (char c : s) Byte(static_cast<std::uint8_t>(c));
  }
  std::uint64_t value() const { return state_; }

 private:
  std::uint64_t state_;
};

bool IsReadOrWrite(OpKind op) { return op == OpKind::kRead || op == OpKind::kWrite || op == OpKind::kAppend; }
bool IsWrite(OpKind op) { return op == OpKind::kWrite || op == OpKind::kAppend; }

// Data faults only make sense on the operations that move the data they damage.
bool Applicable(FaultKind kind, OpKind op) {
  switch (kind) {
    case FaultKind::kCorruptRead: return op == OpKind::kRead;
    case FaultKind::kCorruptWrite:
    case FaultKind::kTornWrite:
    case FaultKind::kLostWrite:
    case FaultKind::kMisdirectedWrite: return IsWrite(op);
    case FaultKind::kFail:
    case FaultKind::kCrash:
    case FaultKind::kLatency: return true;
  }
  return false;
}

bool Matches(const FaultRule& rule, OpKind op, const std::string& path, const std::string& path2, std::uint64_t offset,
             std::uint64_t length) {
  if (!rule.ops.Contains(op) || !Applicable(rule.kind, op)) return false;
  if (!GlobMatch(rule.path, path) && (path2.empty() || !GlobMatch(rule.path, path2))) return false;
  if (IsReadOrWrite(op) || op == OpKind::kTruncate) {
    std::uint64_t end = length > UINT64_MAX - offset ? UINT64_MAX : offset + length;
    // [offset, end) overlaps [offset_from, offset_to); an empty range counts at its start.
    bool overlaps = end > offset ? (offset < rule.offset_to && end > rule.offset_from)
                                 : (offset >= rule.offset_from && offset < rule.offset_to);
    if (!overlaps) return false;
  }
  return true;
}

// Damages bytes in place as the mode says, drawing positions and values from rng.
void Corrupt(std::span<std::uint8_t> bytes, CorruptMode mode, std::uint32_t amount, SplitMix64& rng) {
  if (bytes.empty()) return;
  if (mode == CorruptMode::kBitFlip) {
    for (std::uint32_t i = 0; i < amount; ++i) {
      bytes[rng.Uniform(bytes.size())] ^= static_cast<std::uint8_t>(1u << rng.Uniform(8));
    }
    return;
  }
  std::size_t run = std::min<std::size_t>(amount, bytes.size());
  JF_ASSERT_LE(run, bytes.size());  // so the start's range below is not empty
  std::size_t start = rng.Uniform(bytes.size() - run + 1);
  JF_ASSERT_LE(start + run, bytes.size());  // the damage stays inside the bytes moved
  for (std::size_t i = start; i < start + run; ++i) {
    bytes[i] = mode == CorruptMode::kZero ? 0 : static_cast<std::uint8_t>(rng.Next());
  }
}

Status Injected(ErrorCode code, OpKind op, const std::string& path, std::size_t rule) {
  return Status::Error(
      code, "injected by fault rule " + std::to_string(rule) + ": " + std::string(OpKindName(op)) + " " + path);
}

Status CrashedStatus(OpKind op, const std::string& path) {
  return Status::Error(ErrorCode::kCrashed, "machine crashed before " + std::string(OpKindName(op)) + " " + path);
}

}  // namespace

// What Run hands to an operation's body: the data fault to apply, if any.
struct FaultFs::Injection {
  const FaultRule* rule = nullptr;  // kCorrupt*, kTornWrite, kLostWrite or kMisdirectedWrite
  std::size_t rule_index = 0;
  SplitMix64 rng{0};  // the randomness for this operation's data fault
};

namespace internal {

class FaultFile final : public File {
 public:
  FaultFile(FaultFs* fs, std::unique_ptr<File> inner) : fs_(fs), inner_(std::move(inner)) {}

  Status Read(std::uint64_t offset, std::span<std::uint8_t> dst, std::size_t* bytes_read) override {
    *bytes_read = 0;
    return fs_->Run(OpKind::kRead, path(), "", offset, dst.size(), inner_.get(), [&](const FaultFs::Injection& inj) {
      Status s = inner_->Read(offset, dst, bytes_read);
      if (s.ok() && inj.rule != nullptr) {
        SplitMix64 rng = inj.rng;
        Corrupt(dst.first(*bytes_read), inj.rule->corrupt, inj.rule->amount, rng);
      }
      return s;
    });
  }

  Status Write(std::uint64_t offset, std::span<const std::uint8_t> data) override {
    return fs_->Run(OpKind::kWrite, path(), "", offset, data.size(), inner_.get(),
                    [&](const FaultFs::Injection& inj) { return WriteWithFault(offset, data, inj); });
  }

  Status Append(std::span<const std::uint8_t> data) override {
    std::uint64_t offset = 0;
    if (!fs_->crashed()) {
      Status s = inner_->Size(&offset);
      if (!s.ok()) return s;
    }
    return fs_->Run(OpKind::kAppend, path(), "", offset, data.size(), inner_.get(),
                    [&](const FaultFs::Injection& inj) { return WriteWithFault(offset, data, inj); });
  }

  Status Flush() override {
    return Simple(OpKind::kFlush, [&] { return inner_->Flush(); });
  }
  Status Sync() override {
    return Simple(OpKind::kSync, [&] { return inner_->Sync(); });
  }
  Status Size(std::uint64_t* size) override {
    return Simple(OpKind::kSize, [&] { return inner_->Size(size); });
  }

  Status Truncate(std::uint64_t size) override {
    return fs_->Run(OpKind::kTruncate, path(), "", size, 0, inner_.get(),
                    [&](const FaultFs::Injection&) { return inner_->Truncate(size); });
  }

  const std::string& path() const override { return inner_->path(); }

 private:
  template <typename Call>
  Status Simple(OpKind op, Call call) {
    return fs_->Run(op, path(), "", 0, 0, inner_.get(), [&](const FaultFs::Injection&) { return call(); });
  }

  Status WriteWithFault(std::uint64_t offset, std::span<const std::uint8_t> data, const FaultFs::Injection& inj) {
    if (inj.rule == nullptr) return inner_->Write(offset, data);
    const FaultRule& rule = *inj.rule;
    SplitMix64 rng = inj.rng;
    switch (rule.kind) {
      case FaultKind::kLostWrite: return Status::Ok();
      case FaultKind::kTornWrite: {
        // Only the first k of the write's n atomic units land (k < n), then the device fails.
        std::uint64_t first_unit = offset / rule.unit;
        std::uint64_t end_unit = (offset + data.size() + rule.unit - 1) / rule.unit;
        std::uint64_t kept_end = (first_unit + rng.Uniform(end_unit - first_unit)) * rule.unit;
        // A tear keeps whole units from the first one on, and never the whole write.
        JF_ASSERT_EQ(kept_end % rule.unit, 0u);
        if (!data.empty()) JF_ASSERT_LT(kept_end, offset + data.size());
        if (kept_end > offset) {
          Status s = inner_->Write(offset, data.first(static_cast<std::size_t>(kept_end - offset)));
          if (!s.ok()) return s;
        }
        return rule.error == ErrorCode::kOk ? Status::Ok()
                                            : Injected(rule.error, OpKind::kWrite, path(), inj.rule_index);
      }
      case FaultKind::kMisdirectedWrite: {
        // The data lands at the same position within another unit of the file.
        std::uint64_t size = 0;
        Status s = inner_->Size(&size);
        if (!s.ok()) return s;
        std::uint64_t units = std::max<std::uint64_t>(
            (std::max(size, offset + data.size()) + rule.unit - 1) / rule.unit, 2);
        std::uint64_t intended = offset / rule.unit;
        std::uint64_t chosen = rng.Uniform(units - 1);
        if (chosen >= intended) ++chosen;
        JF_ASSERT_NE(chosen, intended);  // misdirected: never the unit it was meant for
        JF_ASSERT_LT(chosen, units);
        return inner_->Write(chosen * rule.unit + offset % rule.unit, data);
      }
      case FaultKind::kCorruptWrite: {
        std::vector<std::uint8_t> damaged(data.begin(), data.end());
        Corrupt(damaged, rule.corrupt, rule.amount, rng);
        return inner_->Write(offset, damaged);
      }
      default: return inner_->Write(offset, data);
    }
  }

  FaultFs* fs_;
  std::unique_ptr<File> inner_;
};

}  // namespace internal

std::string TraceEvent::ToString() const {
  std::string out = "#" + std::to_string(index) + " " + std::string(OpKindName(op)) + " " + path;
  if (IsReadOrWrite(op)) out += " @" + std::to_string(offset) + "+" + std::to_string(length);
  if (op == OpKind::kTruncate) out += " to " + std::to_string(offset);
  out += " -> " + std::string(ErrorCodeName(result));
  if (fault) out += " [" + std::string(FaultKindName(*fault)) + "]";
  out += " t=" + std::to_string(clock_us) + "us";
  return out;
}

FaultFs::FaultFs(Vfs* base, FaultPlan plan)
    : base_(base),
      mem_fs_(dynamic_cast<MemFs*>(base)),
      plan_(std::move(plan)),
      trace_hash_(kFnvOffsetBasis),
      matches_(plan_.rules.size(), 0) {}

FaultFs::~FaultFs() = default;

Status FaultFs::Run(OpKind op, const std::string& path, const std::string& path2, std::uint64_t offset,
                    std::uint64_t length, File* inner, const Body& body) {
  std::lock_guard<std::mutex> lock(mu_);
  TraceEvent event;
  event.index = op_count_++;
  event.op = op;
  event.path = path2.empty() ? path : path + " -> " + path2;
  event.offset = offset;
  event.length = length;

  Status result;
  if (!crashed_ && before_op_) before_op_(event, trace_hash_);
  if (crashed_) {
    result = CrashedStatus(op, path);
  } else {
    // Every matching rule counts this operation; the first firing non-latency rule
    // decides the fault, and every firing latency rule adds its delay.
    Injection injection;
    const FaultRule* decided = nullptr;
    for (std::size_t i = 0; i < plan_.rules.size(); ++i) {
      const FaultRule& rule = plan_.rules[i];
      if (!Matches(rule, op, path, path2, offset, length)) continue;
      std::uint64_t match = matches_[i]++;
      if (match < rule.nth || (rule.times != 0 && match - rule.nth >= rule.times)) continue;
      if (rule.chance < 1'000'000 &&
          !SplitMix64::Derive(plan_.seed, kSaltTrigger ^ SplitMix64::Mix(i) ^ match).Chance(rule.chance)) {
        continue;
      }
      if (rule.kind == FaultKind::kLatency) {
        clock_us_ += rule.latency_us;
        ++counts_[static_cast<std::size_t>(FaultKind::kLatency)];
        if (!event.fault) event.fault = FaultKind::kLatency;
      } else if (decided == nullptr) {
        decided = &rule;
        injection.rule_index = i;
      }
    }
    if (decided != nullptr) {
      // The deciding rule fits this operation; latency only ever adds delay.
      JF_ASSERT(decided->kind != FaultKind::kLatency);
      JF_ASSERT(Applicable(decided->kind, op));
      JF_ASSERT_LT(injection.rule_index, plan_.rules.size());
      event.fault = decided->kind;
      ++counts_[static_cast<std::size_t>(decided->kind)];
    }
    if (decided != nullptr && decided->kind == FaultKind::kCrash) {
      crashed_ = true;
      result = CrashedStatus(op, path);
    } else if (decided != nullptr && decided->kind == FaultKind::kFail) {
      if (decided->lose_dirty && op == OpKind::kSync && mem_fs_ != nullptr && inner != nullptr) {
        mem_fs_->LoseUnsyncedWrites(*inner);
      }
      result = Injected(decided->error, op, event.path, injection.rule_index);
    } else {
      if (decided != nullptr) {
        injection.rule = decided;
        injection.rng = SplitMix64::Derive(plan_.seed, kSaltData ^ SplitMix64::Mix(event.index));
      }
      result = body(injection);
    }
  }
  // After the crash nothing reaches the storage below: every operation fails as crashed.
  if (crashed_) JF_ASSERT(result.code() == ErrorCode::kCrashed);
  event.result = result.code();
  event.clock_us = clock_us_;
  Record(std::move(event));
  return result;
}

void FaultFs::set_before_op(BeforeOpHook hook) {
  std::lock_guard<std::mutex> lock(mu_);
  before_op_ = std::move(hook);
}

void FaultFs::Record(TraceEvent event) {
  // Events are hashed in the order of their numbers, each once (Run holds mu_ across both).
  JF_ASSERT_EQ(event.index + 1, op_count_);
  Fnv1a64 h(trace_hash_);
  h.U64(event.index);
  h.Byte(static_cast<std::uint8_t>(event.op));
  h.Bytes(event.path);
  h.U64(event.offset);
  h.U64(event.length);
  h.Byte(static_cast<std::uint8_t>(event.result));
  h.Byte(event.fault ? static_cast<std::uint8_t>(*event.fault) : 0xff);
  h.U64(event.clock_us);
  trace_hash_ = h.value();
  if (keep_trace_) trace_.push_back(std::move(event));
}

Status FaultFs::Open(const std::string& path, const OpenOptions& options, std::unique_ptr<File>* out) {
  std::unique_ptr<File> inner;
  Status s = Run(OpKind::kOpen, path, "", 0, 0, nullptr,
                 [&](const Injection&) { return base_->Open(path, options, &inner); });
  if (s.ok()) *out = std::make_unique<internal::FaultFile>(this, std::move(inner));
  return s;
}

Status FaultFs::Delete(const std::string& path) {
  return Run(OpKind::kDelete, path, "", 0, 0, nullptr, [&](const Injection&) { return base_->Delete(path); });
}

Status FaultFs::Rename(const std::string& from, const std::string& to) {
  return Run(OpKind::kRename, from, to, 0, 0, nullptr, [&](const Injection&) { return base_->Rename(from, to); });
}

Status FaultFs::Exists(const std::string& path, bool* exists) {
  return Run(OpKind::kExists, path, "", 0, 0, nullptr, [&](const Injection&) { return base_->Exists(path, exists); });
}

Status FaultFs::IsDirectory(const std::string& path, bool* is_dir) {
  return Run(OpKind::kExists, path, "", 0, 0, nullptr,
             [&](const Injection&) { return base_->IsDirectory(path, is_dir); });
}

// A metadata query like Exists: counted and faultable as kExists.
Status FaultFs::IsSymlink(const std::string& path, bool* is_link) {
  return Run(OpKind::kExists, path, "", 0, 0, nullptr,
             [&](const Injection&) { return base_->IsSymlink(path, is_link); });
}

Status FaultFs::ListDir(const std::string& path, std::vector<std::string>* names) {
  return Run(OpKind::kList, path, "", 0, 0, nullptr, [&](const Injection&) { return base_->ListDir(path, names); });
}

Status FaultFs::MakeDir(const std::string& path) {
  return Run(OpKind::kMkdir, path, "", 0, 0, nullptr, [&](const Injection&) { return base_->MakeDir(path); });
}

Status FaultFs::RemoveDir(const std::string& path) {
  return Run(OpKind::kRmdir, path, "", 0, 0, nullptr, [&](const Injection&) { return base_->RemoveDir(path); });
}

Status FaultFs::SyncDir(const std::string& path) {
  return Run(OpKind::kSyncDir, path, "", 0, 0, nullptr, [&](const Injection&) { return base_->SyncDir(path); });
}

Status FaultFs::FileSize(const std::string& path, std::uint64_t* size) {
  return Run(OpKind::kSize, path, "", 0, 0, nullptr, [&](const Injection&) { return base_->FileSize(path, size); });
}

void FaultFs::CrashNow() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!crashed_) {
    crashed_ = true;
    ++counts_[static_cast<std::size_t>(FaultKind::kCrash)];
  }
}

bool FaultFs::crashed() const {
  std::lock_guard<std::mutex> lock(mu_);
  return crashed_;
}

std::unique_ptr<MemFs> FaultFs::CrashImage(const CrashPolicy& policy) const {
  return mem_fs_ == nullptr ? nullptr : mem_fs_->CrashImage(policy);
}

std::uint64_t FaultFs::op_count() const {
  std::lock_guard<std::mutex> lock(mu_);
  return op_count_;
}

std::uint64_t FaultFs::clock_us() const {
  std::lock_guard<std::mutex> lock(mu_);
  return clock_us_;
}

std::uint64_t FaultFs::trace_hash() const {
  std::lock_guard<std::mutex> lock(mu_);
  return trace_hash_;
}

std::vector<TraceEvent> FaultFs::trace() const {
  std::lock_guard<std::mutex> lock(mu_);
  return trace_;
}

FaultCounts FaultFs::fault_counts() const {
  std::lock_guard<std::mutex> lock(mu_);
  return counts_;
}

std::uint64_t FaultFs::faults_injected() const {
  FaultCounts counts = fault_counts();
  std::uint64_t total = 0;
  for (std::uint64_t c : counts) total += c;
  return total;
}

void FaultFs::set_keep_trace(bool keep) {
  std::lock_guard<std::mutex> lock(mu_);
  keep_trace_ = keep;
}

}  // namespace faultfs

// faultfs/fault_plan.h — what FaultFs injects, as plain data that can be printed,
// parsed, saved and replayed.
//
// A plan is a seed plus an ordered list of rules. Each rule has a *filter* (which
// operations it watches), a *trigger* (which of the matching operations it fires on)
// and a *fault* (what happens then). Two equivalent text forms exist and both
// round-trip exactly (Parse(Print(plan)) == plan):
//
//   line form                                    JSON form
//   ---------                                    ---------
//   seed 42                                      {"seed": 42, "rules": [
//   fail op=sync path=*.log nth=2 error=io_error   {"kind": "fail", "ops": ["sync"],
//        lose_dirty=true                             "path": "*.log", "nth": 2,
//   crash nth=120                                    "error": "io_error", "lose_dirty": true},
//                                                  {"kind": "crash", "nth": 120}]}
//
// In the line form '#' starts a comment, each non-empty line is "seed N" or one rule
// "<kind> key=value ...", and keys left out keep their defaults (below). docs/FAULTS.md
// describes every kind and key. Plans are user input: the parsers check every bound
// and report the first problem with its line (or JSON rule index) instead of throwing.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "faultfs/status.h"

namespace faultfs {

// The operations a rule can watch. Their names are used in plans and traces.
enum class OpKind : std::uint8_t {
  kOpen,
  kRead,
  kWrite,
  kAppend,
  kSync,   // File::Sync
  kFlush,  // File::Flush
  kTruncate,
  kSize,  // File::Size and Vfs::FileSize
  kRename,
  kDelete,
  kList,  // Vfs::ListDir
  kMkdir,
  kRmdir,
  kSyncDir,
  kExists,  // Vfs::Exists, Vfs::IsDirectory and Vfs::IsSymlink
};
inline constexpr int kOpKindCount = 15;
std::string_view OpKindName(OpKind op);
bool ParseOpKind(std::string_view name, OpKind* out);

// A set of OpKinds; the empty set means "every operation".
struct OpSet {
  std::uint32_t bits = 0;
  bool Contains(OpKind op) const { return bits == 0 || (bits & (1u << static_cast<int>(op))) != 0; }
  void Add(OpKind op) { bits |= 1u << static_cast<int>(op); }
  bool operator==(const OpSet&) const = default;
};

enum class FaultKind : std::uint8_t {
  kFail,              // the operation fails with `error`; nothing reaches storage
  kCorruptRead,       // a read returns damaged bytes; storage is intact
  kCorruptWrite,      // a write stores damaged bytes and reports success (bad data at rest)
  kTornWrite,         // a write stores only its first units, then fails with `error`
  kLostWrite,         // a write reports success and stores nothing
  kMisdirectedWrite,  // a write reports success but lands at another unit-aligned offset
  kCrash,             // the machine stops: this and every later operation get kCrashed
  kLatency,           // the operation takes `latency_us` more simulated microseconds
};
inline constexpr int kFaultKindCount = 8;
std::string_view FaultKindName(FaultKind kind);
bool ParseFaultKind(std::string_view name, FaultKind* out);

enum class CorruptMode : std::uint8_t {
  kBitFlip,  // flip `amount` seeded bits
  kZero,     // zero a seeded run of `amount` bytes
  kGarbage,  // overwrite a seeded run of `amount` bytes with seeded bytes
};
std::string_view CorruptModeName(CorruptMode mode);
bool ParseCorruptMode(std::string_view name, CorruptMode* out);

struct FaultRule {
  FaultKind kind = FaultKind::kFail;

  // Filter: an operation matches when its kind is in `ops`, its path matches `path`
  // (glob.h) and, for reads/writes/truncates, its byte range [offset, offset+length)
  // overlaps [offset_from, offset_to).
  OpSet ops;
  std::string path = "*";
  std::uint64_t offset_from = 0;
  std::uint64_t offset_to = std::numeric_limits<std::uint64_t>::max();

  // Trigger: counting matching operations from 0, the rule fires on match number
  // `nth` and the `times - 1` after it (times = 0: on every match from nth on), each
  // time with probability chance / 1'000'000 (seeded).
  std::uint64_t nth = 0;
  std::uint64_t times = 1;
  std::uint32_t chance = 1'000'000;

  // Fault parameters (each kind uses the ones named in its comment above).
  ErrorCode error = ErrorCode::kIoError;  // kFail, kTornWrite
  bool lose_dirty = false;                // kFail on sync: drop the dirty data (fsyncgate)
  CorruptMode corrupt = CorruptMode::kBitFlip;
  std::uint32_t amount = 1;      // bits to flip / bytes to zero or garble
  std::uint32_t unit = 4096;     // kTornWrite, kMisdirectedWrite: power of two
  std::uint64_t latency_us = 0;  // kLatency

  bool operator==(const FaultRule&) const = default;
};

struct FaultPlan {
  std::uint64_t seed = 0;
  std::vector<FaultRule> rules;

  bool operator==(const FaultPlan&) const = default;

  std::string ToText() const;
  // Pretty-printed, stable key order. Strings must be UTF-8 to round-trip: an invalid
  // byte is printed as U+FFFD.
  std::string ToJson() const;
};

// Upper bounds enforced by both parsers.
inline constexpr std::size_t kMaxPlanBytes = 1 << 20;
inline constexpr std::size_t kMaxPlanRules = 10'000;
inline constexpr std::uint32_t kMaxUnit = 1 << 20;
inline constexpr std::uint32_t kMaxCorruptAmount = 1 << 20;

// Parse the line form / the JSON form. On failure returns false and sets *error to a
// message naming the line (or rule) and the problem; *out is then unspecified.
bool ParseFaultPlanText(std::string_view text, FaultPlan* out, std::string* error);
bool ParseFaultPlanJson(std::string_view text, FaultPlan* out, std::string* error);
// Chooses the form by the first non-blank character ('{' means JSON).
bool ParseFaultPlan(std::string_view text, FaultPlan* out, std::string* error);

}  // namespace faultfs

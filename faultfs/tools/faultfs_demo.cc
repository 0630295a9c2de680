// faultfs_demo — a seeded crash scenario on MemFs + FaultFs, printed for humans.
//
// A toy journal appends framed records to /demo/journal and syncs every few records;
// a pointer file /demo/head is replaced through write-temp + sync + rename + SyncDir.
// The demo first runs the workload without faults to count its operations, then runs
// it again with the plan "crash nth=N" for a seeded N, and shows which survivor
// images the durability model allows at that crash: all pending writes kept, all
// dropped, each one dropped, each one torn, and random subsets (survivors.h).
//
//   faultfs_demo --seed 7
#include <fmt/core.h>

#include <charconv>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "faultfs/fault_fs.h"
#include "faultfs/mem_fs.h"
#include "faultfs/prng.h"
#include "faultfs/survivors.h"

namespace {

using faultfs::FaultFs;
using faultfs::FaultPlan;
using faultfs::MemFs;
using faultfs::Status;

constexpr const char* kJournal = "/demo/journal";
constexpr const char* kHead = "/demo/head";
constexpr const char* kHeadTmp = "/demo/head.tmp";
constexpr std::size_t kFrameHeader = 8;  // u32 payload length + u32 checksum

std::uint32_t Checksum(const std::string& payload) {
  std::uint32_t h = 2166136261u;  // FNV-1a 32
  for (unsigned char c : payload) h = (h ^ c) * 16777619u;
  return h;
}

std::vector<std::uint8_t> Frame(const std::string& payload) {
  std::vector<std::uint8_t> out;
  auto put32 = [&](std::uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
  };
  put32(static_cast<std::uint32_t>(payload.size()));
  put32(Checksum(payload));
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

// What the workload did, as seen by the application (acknowledged calls only).
struct Log {
  std::vector<std::string> lines;
  std::size_t records_written = 0;
  std::size_t records_synced = 0;
};

// Appends records, syncing every few; publishes the record count in /demo/head.
void RunJournal(faultfs::Vfs& vfs, std::uint64_t seed, Log* log) {
  faultfs::SplitMix64 rng(seed);
  auto note = [&](const Status& s, const std::string& what) {
    log->lines.push_back(fmt::format("{:<44} {}", what, s.ok() ? "ok" : s.ToString()));
    return s.ok();
  };
  if (!note(vfs.MakeDir("/demo"), "mkdir /demo") || !note(vfs.SyncDir("/"), "syncdir /")) return;
  std::unique_ptr<faultfs::File> journal;
  faultfs::OpenOptions options{faultfs::Access::kReadWrite, faultfs::kShareRead, faultfs::Disposition::kCreateNew};
  if (!note(vfs.Open(kJournal, options, &journal), "create journal") || !note(vfs.SyncDir("/demo"), "syncdir /demo")) {
    return;
  }
  const std::uint64_t sync_every = 2 + rng.Uniform(3);
  for (std::size_t i = 0; i < 8; ++i) {
    std::string payload = fmt::format("record {} {}", i, std::string(rng.Uniform(40) + 10, static_cast<char>('a' + i)));
    std::uint64_t offset = 0;
    std::string at = journal->Size(&offset).ok() ? std::to_string(offset) : "?";
    std::vector<std::uint8_t> frame = Frame(payload);
    if (!note(journal->Append(frame), fmt::format("append record {} @{}+{}", i, at, frame.size()))) return;
    ++log->records_written;
    if ((i + 1) % sync_every != 0) continue;
    if (!note(journal->Sync(), "sync journal")) return;
    log->records_synced = log->records_written;
    std::string head = std::to_string(log->records_synced);
    if (!note(faultfs::WriteWholeFile(vfs, kHeadTmp, std::vector<std::uint8_t>(head.begin(), head.end())),
              "write+sync head.tmp = " + head) ||
        !note(vfs.Rename(kHeadTmp, kHead), "rename head.tmp -> head") || !note(vfs.SyncDir("/demo"), "syncdir /demo")) {
      return;
    }
  }
}

// Reads the journal of an image: valid records, then whatever ends it.
std::string DescribeImage(MemFs& image) {
  std::vector<std::uint8_t> bytes;
  std::string head = "absent";
  if (faultfs::ReadWholeFile(image, kHead, &bytes).ok()) head = std::string(bytes.begin(), bytes.end());
  Status s = faultfs::ReadWholeFile(image, kJournal, &bytes);
  if (!s.ok()) return fmt::format("journal absent ({}); head={}", s.ToString(), head);
  std::size_t pos = 0, records = 0;
  std::string tail = "clean end";
  while (pos < bytes.size()) {
    if (bytes.size() - pos < kFrameHeader) {
      tail = fmt::format("torn header at {}", pos);
      break;
    }
    std::uint32_t length = 0, sum = 0;
    for (int i = 0; i < 4; ++i) {
      length |= static_cast<std::uint32_t>(bytes[pos + static_cast<std::size_t>(i)]) << (8 * i);
      sum |= static_cast<std::uint32_t>(bytes[pos + 4 + static_cast<std::size_t>(i)]) << (8 * i);
    }
    if (length > bytes.size() - pos - kFrameHeader) {
      tail = fmt::format("record {} cut short at {}", records, pos);
      break;
    }
    std::string payload(bytes.begin() + static_cast<std::ptrdiff_t>(pos + kFrameHeader),
                        bytes.begin() + static_cast<std::ptrdiff_t>(pos + kFrameHeader + length));
    if (Checksum(payload) != sum) {
      tail = fmt::format("record {} fails its checksum at {}", records, pos);
      break;
    }
    ++records;
    pos += kFrameHeader + length;
  }
  return fmt::format("{} bytes, {} valid records, {}; head={}", bytes.size(), records, tail, head);
}

}  // namespace

int main(int argc, char** argv) {
  // One option only, parsed by hand (CLI11 trips -Wnull-dereference at -O2 under GCC 12).
  std::uint64_t seed = 1;
  for (int i = 1; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      fmt::print(
          "usage: faultfs_demo [--seed N]\n"
          "A seeded crash of a toy journal on MemFs+FaultFs and its survivor images.\n");
      return 0;
    }
    std::string_view value;
    if (arg.substr(0, 7) == "--seed=") {
      value = arg.substr(7);
    } else if (arg == "--seed" && i + 1 < argc) {
      value = argv[++i];
    } else {
      fmt::print(stderr, "faultfs_demo: unknown argument '{}' (usage: faultfs_demo [--seed N])\n", arg);
      return 2;
    }
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seed);
    if (ec != std::errc() || end != value.data() + value.size() || value.empty()) {
      fmt::print(stderr, "faultfs_demo: --seed needs an unsigned number, got '{}'\n", value);
      return 2;
    }
  }

  // Pass 1: a fault-free run, to count the operations and find the barriers. The
  // crash is placed on a journal sync or a rename, so that something is in flight.
  std::uint64_t total_ops = 0;
  std::vector<std::uint64_t> barriers;
  {
    MemFs counting_base;
    FaultFs counter(&counting_base, FaultPlan{});
    Log log;
    RunJournal(counter, seed, &log);
    total_ops = counter.op_count();
    for (const faultfs::TraceEvent& e : counter.trace()) {
      if ((e.op == faultfs::OpKind::kSync && e.path == kJournal) || e.op == faultfs::OpKind::kRename) {
        barriers.push_back(e.index);
      }
    }
  }
  if (barriers.empty()) barriers.push_back(total_ops - 1);
  // Pass 2: crash at one of them, chosen by the seed.
  std::uint64_t crash_at = barriers[faultfs::SplitMix64::Derive(seed, 0xC0FFEE).Uniform(barriers.size())];
  FaultPlan plan;
  plan.seed = seed;
  std::string error;
  if (!faultfs::ParseFaultPlanText("seed " + std::to_string(seed) + "\ncrash nth=" + std::to_string(crash_at), &plan,
                                   &error)) {
    fmt::print(stderr, "internal plan error: {}\n", error);
    return 1;
  }
  MemFs base;
  FaultFs fs(&base, plan);
  Log log;
  RunJournal(fs, seed, &log);

  fmt::print("faultfs demo, seed {}\n", seed);
  fmt::print("fault plan:\n");
  std::string text = plan.ToText();
  for (std::size_t start = 0, end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
    fmt::print("  {}\n", text.substr(start, end - start));
  }
  fmt::print("\nthe workload has {} operations; crashing at operation {}\n\n", total_ops, crash_at);
  fmt::print("what the application did (acknowledged results):\n");
  for (const std::string& line : log.lines) fmt::print("  {}\n", line);
  fmt::print("\nrecords acknowledged: {}, of which synced: {}\n", log.records_written, log.records_synced);

  std::vector<faultfs::PendingWrite> writes = base.PendingWrites();
  std::vector<faultfs::PendingDirOp> dir_ops = base.PendingDirOps();
  fmt::print("\nnot yet durable at the crash:\n");
  if (writes.empty() && dir_ops.empty()) fmt::print("  nothing: every acknowledged change was synced\n");
  for (const auto& w : writes) {
    fmt::print("  write #{} {} @{}+{} (after {} barriers)\n", w.sequence, w.path, w.offset, w.length, w.epoch);
  }
  for (const auto& d : dir_ops) fmt::print("  dir op #{} {}\n", d.sequence, d.description);

  fmt::print("\nsurvivor images:\n");
  faultfs::SurvivorOptions options;
  options.seed = seed;
  options.atomic_unit = 16;  // a small unit, so that the short demo records can tear
  options.random_subsets = 3;
  for (const faultfs::NamedCrashPolicy& survivor : faultfs::SurvivorPolicies(base, options)) {
    fmt::print("  {:<18} {}\n", survivor.name, DescribeImage(*fs.CrashImage(survivor.policy)));
  }
  fmt::print("\nsynced records must survive in every image: {} of them here.\n", log.records_synced);
  fmt::print("operations: {}, faults injected: {}, trace hash: {:016x}\n", fs.op_count(), fs.faults_injected(),
             fs.trace_hash());
  return 0;
}

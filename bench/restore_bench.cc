// Restore cost as a ratio: JetRestoreInstance time ÷ a plain copy of the same backup
// set (every file read whole, written, synced), both measured in the same iteration
// on the same filesystem. The copy moves every byte of the set, including the unused,
// preallocated tail of each log file, while restore reads only valid log segments, so
// the ratio can be below 1 on small sets; the excess above the copy is verification,
// log replay and recovery.
#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>

#include "bench_fixture.h"
#include "faultfs/posix_fs.h"

namespace jetbench {
namespace {

using Clock = std::chrono::steady_clock;

// Runs one copy and one restore from layout's backup set on vfs; returns bytes copied.
std::uint64_t CopyThenRestore(faultfs::Vfs& vfs, const Layout& layout, unsigned long page_size,
                              const std::string& scratch, double* copy_seconds, double* restore_seconds) {
  auto t0 = Clock::now();
  std::uint64_t bytes = CopyTree(vfs, layout.backup_path(), scratch + "/copy");
  auto t1 = Clock::now();
  JET_INSTANCE instance = CreateConfiguredInstance(vfs, layout, page_size);
  Check(JetRestoreInstance(instance, layout.backup_path().c_str(), (scratch + "/restored").c_str(), nullptr),
        "JetRestoreInstance");
  auto t2 = Clock::now();
  // A restore leaves the instance uninitialised (the seed page); JetTerm frees the handle.
  Check(JetTerm(instance), "JetTerm");
  *copy_seconds += std::chrono::duration<double>(t1 - t0).count();
  *restore_seconds += std::chrono::duration<double>(t2 - t1).count();
  return bytes;
}

void BM_RestoreOverCopy_MemFs(benchmark::State& state) {
  const auto page_size = static_cast<unsigned long>(state.range(0));
  const auto records = static_cast<std::uint32_t>(state.range(1));
  faultfs::MemFs prepared;
  Layout layout{"/bench"};
  BuildBackedUpDatabase(prepared, layout, page_size, records, /*value_bytes=*/100, /*txn_size=*/100);
  double copy_seconds = 0, restore_seconds = 0;
  std::uint64_t bytes = 0;
  for (auto _ : state) {
    std::unique_ptr<faultfs::MemFs> fs = prepared.Clone();
    bytes = CopyThenRestore(*fs, layout, page_size, "/scratch", &copy_seconds, &restore_seconds);
  }
  state.counters["backup_MiB"] = static_cast<double>(bytes) / (1 << 20);
  state.counters["restore_over_copy"] = restore_seconds / copy_seconds;
}
BENCHMARK(BM_RestoreOverCopy_MemFs)->Args({8192, 20000})->Args({32768, 20000})->Unit(benchmark::kMillisecond);

void BM_RestoreOverCopy_PosixFs(benchmark::State& state) {
  const auto page_size = static_cast<unsigned long>(state.range(0));
  const auto records = static_cast<std::uint32_t>(state.range(1));
  std::filesystem::path root = std::filesystem::temp_directory_path() / "jetfault-bench";
  std::filesystem::remove_all(root);
  std::unique_ptr<faultfs::Vfs> fs = faultfs::NewPosixFs();
  Layout layout{root.string()};
  BuildBackedUpDatabase(*fs, layout, page_size, records, /*value_bytes=*/100, /*txn_size=*/100);
  double copy_seconds = 0, restore_seconds = 0;
  std::uint64_t bytes = 0;
  std::uint64_t round = 0;
  for (auto _ : state) {
    std::string scratch = (root / ("scratch" + std::to_string(round++))).string();
    bytes = CopyThenRestore(*fs, layout, page_size, scratch, &copy_seconds, &restore_seconds);
  }
  std::filesystem::remove_all(root);
  state.counters["backup_MiB"] = static_cast<double>(bytes) / (1 << 20);
  state.counters["restore_over_copy"] = restore_seconds / copy_seconds;
}
BENCHMARK(BM_RestoreOverCopy_PosixFs)->Args({8192, 20000})->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace jetbench

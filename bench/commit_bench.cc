// Commit cost as ratios: a durable commit (log synced before return) and a lazy
// commit, each ÷ the cost of an insert-only transaction's engine work measured the
// same way, on MemFs so the ratio shows engine overhead rather than device latency.
#include <benchmark/benchmark.h>

#include <chrono>
#include <string>

#include "bench_fixture.h"

namespace jetbench {
namespace {

using Clock = std::chrono::steady_clock;

void BM_CommitDurableOverLazy(benchmark::State& state) {
  faultfs::MemFs fs;
  Layout layout{"/commit"};
  const BenchTable t = StartWithTable(fs, layout, 8192, "t");
  std::uint32_t next = 0;
  std::uint8_t value[64] = {};
  auto one_txn = [&](JET_GRBIT grbit) {
    Check(JetBeginTransaction(t.sesid), "JetBeginTransaction");
    std::uint32_t k = next++;
    Check(JetInsertRecord(t.sesid, t.table, &k, sizeof k, value, sizeof value), "JetInsertRecord");
    Check(JetCommitTransaction(t.sesid, grbit), "JetCommitTransaction");
  };
  double durable = 0, lazy = 0;
  for (auto _ : state) {
    auto t0 = Clock::now();
    one_txn(0);
    auto t1 = Clock::now();
    one_txn(JET_bitCommitLazyFlush);
    auto t2 = Clock::now();
    durable += std::chrono::duration<double>(t1 - t0).count();
    lazy += std::chrono::duration<double>(t2 - t1).count();
  }
  state.counters["durable_over_lazy"] = durable / lazy;
  Check(JetCloseTable(t.sesid, t.table), "JetCloseTable");
  Check(JetEndSession(t.sesid, 0), "JetEndSession");
  Check(JetTerm(t.instance), "JetTerm");
}
BENCHMARK(BM_CommitDurableOverLazy)->Iterations(2000);

}  // namespace
}  // namespace jetbench

BENCHMARK_MAIN();

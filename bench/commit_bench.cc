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
  JET_INSTANCE instance = StartInstance(fs, layout, 8192);
  JET_SESID sesid = 0;
  Check(JetBeginSession(instance, &sesid, nullptr, nullptr), "JetBeginSession");
  JET_DBID dbid = 0;
  Check(JetCreateDatabase(sesid, layout.db_path().c_str(), nullptr, &dbid, 0), "JetCreateDatabase");
  JET_TABLEID table = 0;
  Check(JetCreateTable(sesid, dbid, "t", 0, 0, &table), "JetCreateTable");
  std::uint32_t next = 0;
  std::uint8_t value[64] = {};
  auto one_txn = [&](JET_GRBIT grbit) {
    Check(JetBeginTransaction(sesid), "JetBeginTransaction");
    std::uint32_t k = next++;
    Check(JetInsertRecord(sesid, table, &k, sizeof k, value, sizeof value), "JetInsertRecord");
    Check(JetCommitTransaction(sesid, grbit), "JetCommitTransaction");
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
  Check(JetCloseTable(sesid, table), "JetCloseTable");
  Check(JetEndSession(sesid, 0), "JetEndSession");
  Check(JetTerm(instance), "JetTerm");
}
BENCHMARK(BM_CommitDurableOverLazy)->Iterations(2000);

}  // namespace
}  // namespace jetbench

BENCHMARK_MAIN();

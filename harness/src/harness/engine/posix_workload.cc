#include "harness/engine/posix_workload.h"

#include <fmt/format.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "faultfs/posix_fs.h"
#include "harness/core/hex.h"
#include "harness/engine/sim.h"

namespace jetharness {

int RunPosixWorkloadAndExit(const PosixWorkloadOptions& options, std::string* error) {
  faultfs::Vfs& vfs = faultfs::DefaultPosixFs();
  Env env;
  WorkloadConfig config;
  config.seed = options.seed;
  config.transactions = options.transactions;
  config.inflight_transactions = options.inflight;
  config.databases = options.databases;
  env.spec = GenerateWorkload(config);
  // The last commit that changes something is durable, which makes every earlier (lazy)
  // one durable too: the expected file is then exactly what recovery must show. (A
  // commit of no change writes no commit record and flushes nothing, as in ESE.)
  for (auto it = env.spec.transactions.rbegin(); it != env.spec.transactions.rend(); ++it) {
    if (it->end == TxnEnd::kRollback || it->ops.empty()) continue;
    it->end = TxnEnd::kCommitDurable;
    break;
  }
  // The engine records database paths as given; an absolute one lets a restore without
  // a destination put the files back wherever the restoring process runs (as ESE does).
  const std::string dir = std::filesystem::absolute(options.dir).lexically_normal().string();
  env.settings.layout.system_dir = dir;
  env.settings.layout.log_dir = dir;
  env.settings.layout.db_dir = dir;
  env.settings.layout.backup_dir = dir + "/backup";
  env.settings.page_size = 8192;
  env.settings.log_file_kib = 1024;
  faultfs::Status s = faultfs::MakeDirs(vfs, options.dir);
  if (!s.ok()) {
    *error = "creating " + options.dir + ": " + s.ToString();
    return 1;
  }
  WorkloadPlan plan;
  plan.create = true;
  plan.backup_after = options.backup_after < 0 ? SIZE_MAX : static_cast<std::size_t>(options.backup_after);
  plan.inflight = options.inflight > 0;
  // RunWorkload ends the instance abruptly (JetTerm2 JET_bitTermAbrupt) on return.
  WorkloadRun run = RunWorkload(vfs, env, plan, nullptr);
  if (run.failure.failed()) {
    *error = "the workload failed: " + run.failure.ToString();
    return 1;
  }
  if (options.backup_after >= 0 && !run.backup_done) {
    *error = "the backup did not happen (fewer transactions than --backup-after?)";
    return 1;
  }
  std::ofstream out(options.expected_file, std::ios::binary | std::ios::trunc);
  out << FormatRecords(run.model.AcknowledgedState());
  out.close();
  if (!out) {
    *error = "writing " + options.expected_file;
    return 1;
  }
  std::printf("jetfault workload: %zu commits (%zu before the backup), %d in flight, expected records in %s\n",
              run.model.CommitCount(), run.commits_at_backup, options.inflight, options.expected_file.c_str());
  std::fflush(stdout);
  _exit(0);
}

}  // namespace jetharness

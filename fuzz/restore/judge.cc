#include "restore/judge.h"

#include <fmt/core.h>

#include "backup/page_links.h"
#include "corpus/engine_scenario.h"
#include "harness/engine/driver.h"

namespace jetfault::fuzz {

namespace {

// The scenario's one database and the tables every restore of it must have: the ones
// in the backup (corpus/engine_scenario.cc). "orders" is created after the backup, so a
// restore whose log path lost the later generations legitimately ends without it
// (docs/RESTORE.md: no trace of the lineage restores to the backup moment). Every table
// that is there is read and checked all the same.
jetharness::WorkloadSpec ScenarioSpec() {
  jetharness::WorkloadSpec spec;
  spec.databases.push_back({"main.edb", {"accounts"}});
  return spec;
}

// Far more moves than the scenario has records: a cursor that gets there is in a cycle.
constexpr std::uint64_t kMoveBudget = 10'000;

}  // namespace

RestoredContent JudgeRestoredDatabase(faultfs::MemFs& fs, const jetharness::InstanceSettings& settings, bool forged) {
  RestoredContent out;
  const jetharness::WorkloadSpec spec = ScenarioSpec();
  const std::string path = settings.layout.DatabasePath(spec.databases.front().file_name);
  const JET_ERR pages = jet::backup::VerifyDatabaseLinks(fs, path, settings.page_size);
  if (pages != JET_errSuccess) {
    out.problem = fmt::format("page or link check of {}: {} ({})", path, JetErrorName(pages), pages);
    return out;
  }
  jetharness::EngineInstance instance(&fs, settings);
  instance.Init();
  jetharness::ReadBack read = jetharness::ReadAllDatabases(instance, spec, kMoveBudget);
  instance.Term();
  if (forged) {
    // Read back, not judged (see judge.h).
  } else if (instance.failure().failed()) {
    out.problem = "reading the restored database back: " + instance.failure().ToString();
  } else if (!read.physical_problem.empty()) {
    out.problem = read.physical_problem;
  }
  out.tables = std::move(read.state);
  return out;
}

}  // namespace jetfault::fuzz

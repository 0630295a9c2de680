#include "corpus/engine_scenario.h"

#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "jet/jet.h"

namespace jetfault::corpus {

namespace {

void Check(JET_ERR err, const std::string& what) {
  if (err < 0) throw std::runtime_error(fmt::format("{} failed: {} ({})", what, JetErrorName(err), err));
}

std::vector<std::uint8_t> Value(std::mt19937& rng, std::size_t size) {
  std::vector<std::uint8_t> value(size);
  for (auto& b : value) b = static_cast<std::uint8_t>(rng());
  return value;
}

// One table's worth of work: inserts in several transactions, some replacements and
// deletions, values from a few bytes to several pages (long values).
void FillTable(JET_SESID sesid, JET_DBID dbid, const char* name, std::mt19937& rng, std::uint32_t page_size,
               ScenarioSize scenario_size) {
  const bool small = scenario_size == ScenarioSize::kSmall;
  const int txns = small ? 2 : 6;
  const int per_txn = small ? 6 : 25;
  JET_TABLEID table = JET_tableidNil;
  Check(JetCreateTable(sesid, dbid, name, 0, 100, &table), "JetCreateTable");
  for (int txn = 0; txn < txns; ++txn) {
    Check(JetBeginTransaction(sesid), "JetBeginTransaction");
    for (int i = 0; i < per_txn; ++i) {
      const std::string key = fmt::format("{}-{:04}", name, txn * per_txn + i);
      const std::size_t size = i % 11 == 0 ? page_size * 2 + rng() % page_size : rng() % 200;
      const auto value = Value(rng, size);
      Check(JetInsertRecord(sesid, table, key.data(), static_cast<unsigned long>(key.size()), value.data(),
                            static_cast<unsigned long>(value.size())),
            "JetInsertRecord");
    }
    Check(JetCommitTransaction(sesid, 0), "JetCommitTransaction");
  }
  Check(JetBeginTransaction(sesid), "JetBeginTransaction");
  for (int i = 0; i < txns * per_txn; i += small ? 3 : 7) {
    const std::string key = fmt::format("{}-{:04}", name, i);
    const auto value = Value(rng, rng() % 64);
    if (i % 2 == 0) {
      Check(JetReplaceRecord(sesid, table, key.data(), static_cast<unsigned long>(key.size()), value.data(),
                             static_cast<unsigned long>(value.size())),
            "JetReplaceRecord");
    } else {
      Check(JetDeleteRecord(sesid, table, key.data(), static_cast<unsigned long>(key.size())), "JetDeleteRecord");
    }
  }
  Check(JetCommitTransaction(sesid, 0), "JetCommitTransaction");
  // A transaction that is rolled back: its undo records are in the log too.
  Check(JetBeginTransaction(sesid), "JetBeginTransaction");
  const std::string key = fmt::format("{}-rolled-back", name);
  const auto value = Value(rng, 300);
  Check(JetInsertRecord(sesid, table, key.data(), static_cast<unsigned long>(key.size()), value.data(),
                        static_cast<unsigned long>(value.size())),
        "JetInsertRecord");
  Check(JetRollback(sesid, 0), "JetRollback");
  Check(JetCloseTable(sesid, table), "JetCloseTable");
}

}  // namespace

ScenarioFiles RunEngineScenario(std::uint32_t page_size, std::uint32_t seed, ScenarioSize size) {
  std::mt19937 rng(seed);
  auto fs = std::make_unique<faultfs::MemFs>();
  for (const char* dir : {kInstanceDir, "/data"}) {
    if (!faultfs::MakeDirs(*fs, dir).ok()) throw std::runtime_error(std::string("mkdir ") + dir);
  }
  JET_INSTANCE instance = JET_instanceNil;
  Check(JetCreateInstance(&instance, fmt::format("corpus_gen-{}-{}", page_size, seed).c_str()), "JetCreateInstance");
  auto set = [&](unsigned long param, JET_API_PTR number, const char* text) {
    Check(JetSetSystemParameter(&instance, JET_sesidNil, param, number, text), fmt::format("parameter {}", param));
  };
  set(JET_paramVfs, reinterpret_cast<JET_API_PTR>(fs.get()), nullptr);
  set(JET_paramSystemPath, 0, kInstanceDir);
  set(JET_paramLogFilePath, 0, kInstanceDir);
  set(JET_paramLogFileSize, 64, nullptr);  // 64 KiB generations: whole files fit a seed
  set(JET_paramDatabasePageSize, page_size, nullptr);
  Check(JetInit(&instance), "JetInit");

  JET_SESID sesid = JET_sesidNil;
  Check(JetBeginSession(instance, &sesid, nullptr, nullptr), "JetBeginSession");
  JET_DBID dbid = JET_dbidNil;
  Check(JetCreateDatabase(sesid, kDatabasePath, nullptr, &dbid, 0), "JetCreateDatabase");
  FillTable(sesid, dbid, "accounts", rng, page_size, size);
  Check(JetBackupInstance(instance, kBackupDir, 0, nullptr), "JetBackupInstance");
  FillTable(sesid, dbid, "orders", rng, page_size, size);

  ScenarioFiles files;
  files.running = fs->Clone();
  Check(JetCloseDatabase(sesid, dbid, 0), "JetCloseDatabase");
  Check(JetEndSession(sesid, 0), "JetEndSession");
  Check(JetTerm(instance), "JetTerm");
  files.shut_down = std::move(fs);
  return files;
}

}  // namespace jetfault::corpus

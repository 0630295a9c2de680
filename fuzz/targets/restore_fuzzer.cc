// restore_fuzzer — the whole restore path: JetRestoreInstance on a damaged backup set
// and log path, under injected storage faults, and a verdict on every success.
//
// Once per process a small real backup set is made on MemFs (corpus/engine_scenario.h,
// ScenarioSize::kSmall, 4 KiB pages: /backup, later logs in /inst, the database at
// /data/main.edb). Each input is a script read with InputReader:
//   u8 head: bits 0-2 the number of edits, bit 3 restore elsewhere (szDest = /restored,
//   a directory that does not exist yet, so JET_paramCreatePathIfNotExist is set);
//   the edits, each {u8 file, u8 action, u32 offset, blob bytes}: overwrite, XOR,
//   truncate at, or delete one of the set's or the log path's files;
//   the rest: a fault plan (faultfs/fault_plan.h, text or JSON). If it parses, the
//   restore runs on FaultFs(plan) over the edited MemFs.
// Checked:
//   * JetRestoreInstance returns success or a code docs/RESTORE.md names
//     (restore/allowed_codes.h) — never another code;
//   * with no edits and no faults the restore succeeds;
//   * the same input restored twice (from the same edited files, a fresh FaultFs with
//     the same plan) gives the same code and, on success, the same content;
//   * after a success the restored database passes the physical checks of
//     restore/judge.h on the plain filesystem: every page verified, B-tree links, soft
//     recovery, forward scan = reverse of the backward scan, every key found by a seek.
// RESTORE_FUZZER_VERBOSE=1 prints each input's edits, rules and result.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/test_reset.h"
#include "corpus/engine_scenario.h"
#include "faultfs/fault_fs.h"
#include "faultfs/fault_plan.h"
#include "faultfs/mem_fs.h"
#include "fuzz_check.h"
#include "harness/engine/driver.h"
#include "restore/allowed_codes.h"
#include "restore/judge.h"

namespace {

using jetfault::fuzz::Bytes;
using jetfault::fuzz::InputReader;
namespace corpus = jetfault::corpus;

constexpr std::uint32_t kPageSize = 4096;

// The backup set, made once; every input edits a copy-on-write clone of it.
const faultfs::MemFs& BaseFiles() {
  static const std::unique_ptr<faultfs::MemFs> base = [] {
    corpus::ScenarioFiles files = corpus::RunEngineScenario(kPageSize, /*seed=*/1, corpus::ScenarioSize::kSmall);
    return std::move(files.shut_down);
  }();
  return *base;
}

// The files an edit can name: the backup set's and the log path's, sorted.
std::vector<std::string> EditableFiles(faultfs::Vfs& fs) {
  std::vector<std::string> paths;
  for (const char* dir : {corpus::kBackupDir, corpus::kInstanceDir}) {
    std::vector<std::string> names;
    FUZZ_CHECK(fs.ListDir(dir, &names).ok());
    for (const auto& name : names) paths.push_back(faultfs::JoinPath(dir, name));
  }
  return paths;
}

// Applies `count` edits of the script; returns how many changed something.
int ApplyEdits(faultfs::MemFs& fs, int count, InputReader& in) {
  const std::vector<std::string> files = EditableFiles(fs);
  int applied = 0;
  for (int i = 0; i < count; ++i) {
    const std::string& path = files[in.U8() % files.size()];
    const std::uint8_t action = in.U8() % 4;
    const std::uint32_t offset_choice = in.U32();
    const std::vector<std::uint8_t> bytes = in.Blob(64);
    std::vector<std::uint8_t> data;
    if (!faultfs::ReadWholeFile(fs, path, &data).ok()) continue;  // deleted by an earlier edit
    const std::size_t offset = offset_choice % (data.size() + 1);
    if (action == 3) {
      FUZZ_CHECK(fs.Delete(path).ok());
      ++applied;
      continue;
    }
    if (action == 2) {
      data.resize(offset);
    } else {
      if (offset + bytes.size() > data.size()) data.resize(offset + bytes.size());
      for (std::size_t k = 0; k < bytes.size(); ++k) {
        data[offset + k] = action == 0 ? bytes[k] : static_cast<std::uint8_t>(data[offset + k] ^ bytes[k]);
      }
    }
    FUZZ_CHECK(faultfs::WriteWholeFile(fs, path, data).ok());
    ++applied;
  }
  return applied;
}

jetharness::InstanceSettings Settings(bool elsewhere) {
  jetharness::InstanceSettings settings;
  settings.layout.system_dir = corpus::kInstanceDir;
  settings.layout.log_dir = corpus::kInstanceDir;
  settings.layout.db_dir = "/data";  // corpus::kDatabasePath's directory
  settings.layout.backup_dir = corpus::kBackupDir;
  if (elsewhere) settings.layout.db_dir = settings.layout.restore_dest = "/restored";
  settings.page_size = kPageSize;
  settings.log_file_kib = 64;
  return settings;
}

struct Outcome {
  JET_ERR err = JET_errSuccess;
  jetfault::fuzz::RestoredContent content;
};

// One restore of `files` (left untouched) under `plan`, judged when it succeeds.
Outcome RestoreOnce(const faultfs::MemFs& files, const faultfs::FaultPlan* plan,
                    const jetharness::InstanceSettings& settings) {
  std::unique_ptr<faultfs::MemFs> fs = files.Clone();
  Outcome out;
  {
    std::unique_ptr<faultfs::FaultFs> faulty;
    if (plan != nullptr) faulty = std::make_unique<faultfs::FaultFs>(fs.get(), *plan);
    faultfs::Vfs* vfs = plan != nullptr ? static_cast<faultfs::Vfs*>(faulty.get()) : fs.get();
    jetharness::EngineInstance instance(vfs, settings);
    FUZZ_CHECK(!instance.failure().failed());  // creating the instance and its parameters
    out.err = instance.Restore(settings.layout.backup_dir);
  }  // the instance ends (JetTerm2 abrupt: a no-op after a restore), then the FaultFs
  if (out.err >= 0) {
    out.content = jetfault::fuzz::JudgeRestoredDatabase(*fs, settings);
    if (!out.content.problem.empty()) std::fprintf(stderr, "restored database: %s\n", out.content.problem.c_str());
    FUZZ_CHECK(out.content.problem.empty());
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  InputReader in(Bytes(data, size));
  const std::uint8_t head = in.U8();
  const bool elsewhere = (head & 0x08) != 0;
  std::unique_ptr<faultfs::MemFs> files = BaseFiles().Clone();
  const int edits = ApplyEdits(*files, head % 8, in);
  const std::vector<std::uint8_t> rest = in.Rest();
  faultfs::FaultPlan plan;
  std::string plan_error;
  const bool faults = !rest.empty() &&
                      faultfs::ParseFaultPlan(std::string_view(reinterpret_cast<const char*>(rest.data()), rest.size()),
                                              &plan, &plan_error) &&
                      !plan.rules.empty();

  const jetharness::InstanceSettings settings = Settings(elsewhere);
  const Outcome first = RestoreOnce(*files, faults ? &plan : nullptr, settings);
  static const bool verbose = std::getenv("RESTORE_FUZZER_VERBOSE") != nullptr;
  if (verbose) {
    std::fprintf(stderr, "restore_fuzzer: %d edits, %zu fault rules, szDest %s: %s (%d)\n", edits,
                 faults ? plan.rules.size() : 0, elsewhere ? "/restored" : "null", JetErrorName(first.err), first.err);
  }
  if (first.err < 0 && jetfault::fuzz::AllowedRestoreErrors().count(first.err) == 0) {
    std::fprintf(stderr, "JetRestoreInstance returned %s (%d), not a code docs/RESTORE.md allows\n",
                 JetErrorName(first.err), first.err);
  }
  FUZZ_CHECK(first.err >= 0 || jetfault::fuzz::AllowedRestoreErrors().count(first.err) == 1);
  if (edits == 0 && !faults) FUZZ_CHECK(first.err >= 0);

  const Outcome second = RestoreOnce(*files, faults ? &plan : nullptr, settings);
  if (second.err != first.err) {
    std::fprintf(stderr, "the same input restored twice: %s, then %s\n", JetErrorName(first.err),
                 JetErrorName(second.err));
  }
  FUZZ_CHECK(second.err == first.err);
  FUZZ_CHECK(second.content.tables == first.content.tables);
  // The engine keeps every terminated instance allocated (a stale handle must not reach
  // freed memory); this input holds none, so they are released. Otherwise each input
  // leaves four instances behind: memory grows for the whole run and libFuzzer, seeing
  // more mallocs than frees, runs a leak check after every input.
  jet::core::ResetProcessStateForTests();
  return 0;
}

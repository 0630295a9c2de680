// restore_fuzzer — the whole restore path: JetRestoreInstance on a damaged backup set
// and log path, under injected storage faults, and a verdict on every success.
//
// Once per process a small real backup set is made on MemFs (corpus/engine_scenario.h,
// ScenarioSize::kSmall, 4 KiB pages: /backup, later logs in /inst, the database at
// /data/main.edb). Each input is a script (restore/script.h): u8 head (bits 0-2 the
// number of edits, bit 3 restore elsewhere: szDest = /restored, a directory that does
// not exist yet, so JET_paramCreatePathIfNotExist is set); the edits, each {u8 file,
// u8 action, u32 offset, blob bytes}: overwrite, XOR, truncate at, or delete one of the
// set's or the log path's files, optionally re-sealed (every checksum covering the
// change recomputed: log record CRCs, segment and header checksums, the manifest's
// entry for a set log, page checksums); the rest: a fault plan (faultfs/fault_plan.h,
// text or JSON). If it parses, the restore runs on FaultFs(plan) over the edited MemFs.
// Checked:
//   * JetRestoreInstance returns success or a code docs/RESTORE.md names
//     (restore/allowed_codes.h) — never another code; a set forged by re-sealed edits
//     may also get recovery's codes for a log and database that disagree;
//   * with no edits and no faults the restore succeeds;
//   * its JET_PFNSTATUS reports keep their contract (harness/engine/progress_check.h),
//     whatever it returns;
//   * the same input restored twice (from the same edited files, a fresh FaultFs with
//     the same plan) gives the same code and, on success, the same content;
//   * after a success the restored database passes the physical checks of
//     restore/judge.h on the plain filesystem: every page verified, B-tree links, soft
//     recovery, forward scan = reverse of the backward scan, every key found by a seek.
//     A set forged by re-sealed edits can describe any database (a record whose CRC
//     holds may insert a key out of order), so of those only what restore promises is
//     judged — pages and links; the rest is still read back, not judged (judge.h).
// In the libFuzzer build a custom mutator (mutators/restore_mutator.h) writes edits
// that land inside the files' structures, re-sealed, so most inputs get past the set's
// verification to the replay.
// RESTORE_FUZZER_VERBOSE=1 prints each input's edits, rules, result and how far the
// restore got (the restore's events: set verified = the replay ran; recovered).
#include <algorithm>
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
#include "restore/script.h"

#if defined(JETFAULT_LIBFUZZER)
#include "mutators/restore_mutator.h"
#endif

namespace {

using jetfault::fuzz::Bytes;
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

// The files an edit can name: the backup set's and the log path's, sorted.
std::vector<std::string> EditableFiles(faultfs::Vfs& fs) {
  return jetfault::fuzz::EditableFiles(fs, corpus::kBackupDir, corpus::kInstanceDir);
}

// How far the restore got, from its events (JET_paramRestoreEventSink; verbose only).
const char* g_phase = "";
void RestoreEventSink(const char* json_line) {
  const std::string_view line(json_line);
  if (line.find("\"set_verified\"") != std::string_view::npos) g_phase = "set verified, replay ran";
  if (line.find("\"recovered\"") != std::string_view::npos) g_phase = "recovered";
}

bool Verbose() {
  static const bool verbose = std::getenv("RESTORE_FUZZER_VERBOSE") != nullptr;
  return verbose;
}

struct Outcome {
  JET_ERR err = JET_errSuccess;
  const char* phase = "";
  jetfault::fuzz::RestoredContent content;
};

// One restore of `files` (left untouched) under `plan`, judged when it succeeds.
Outcome RestoreOnce(const faultfs::MemFs& files, const faultfs::FaultPlan* plan,
                    const jetharness::InstanceSettings& settings, bool forged) {
  std::unique_ptr<faultfs::MemFs> fs = files.Clone();
  Outcome out;
  {
    std::unique_ptr<faultfs::FaultFs> faulty;
    if (plan != nullptr) faulty = std::make_unique<faultfs::FaultFs>(fs.get(), *plan);
    faultfs::Vfs* vfs = plan != nullptr ? static_cast<faultfs::Vfs*>(faulty.get()) : fs.get();
    jetharness::EngineInstance instance(vfs, settings);
    FUZZ_CHECK(!instance.failure().failed());  // creating the instance and its parameters
    if (Verbose()) {
      JET_INSTANCE handle = instance.handle();
      g_phase = "refused before the replay";
      instance.Call("JetSetSystemParameter", [&] {
        return JetSetSystemParameter(&handle, JET_sesidNil, JET_paramRestoreEventSink,
                                     reinterpret_cast<JET_API_PTR>(&RestoreEventSink), nullptr);
      });
    }
    out.err = instance.Restore(settings.layout.backup_dir);
    out.phase = g_phase;
    // Whatever the code: the progress reports kept their contract (harness/engine/progress_check.h).
    if (instance.failure().code == jetharness::kModelViolation) {
      std::fprintf(stderr, "%s\n", instance.failure().ToString().c_str());
    }
    FUZZ_CHECK(instance.failure().code != jetharness::kModelViolation);
  }  // the instance ends (JetTerm2 abrupt: a no-op after a restore), then the FaultFs
  if (out.err >= 0) {
    out.content = jetfault::fuzz::JudgeRestoredDatabase(*fs, settings, forged);
    if (!out.content.problem.empty()) std::fprintf(stderr, "restored database: %s\n", out.content.problem.c_str());
    FUZZ_CHECK(out.content.problem.empty());
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const jetfault::fuzz::RestoreScript script = jetfault::fuzz::RestoreScript::Parse(Bytes(data, size));
  const bool elsewhere = script.elsewhere();
  std::unique_ptr<faultfs::MemFs> files = BaseFiles().Clone();
  const int edits = jetfault::fuzz::ApplyEdits(*files, EditableFiles(*files), script.edits, corpus::kBackupDir,
                                               kPageSize);
  const std::vector<std::uint8_t>& rest = script.plan;
  faultfs::FaultPlan plan;
  std::string plan_error;
  const bool faults = !rest.empty() &&
                      faultfs::ParseFaultPlan(std::string_view(reinterpret_cast<const char*>(rest.data()), rest.size()),
                                              &plan, &plan_error) &&
                      !plan.rules.empty();

  const jetharness::InstanceSettings settings = Settings(elsewhere);
  const bool forged = std::any_of(script.edits.begin(), script.edits.end(),
                                  [](const jetfault::fuzz::RestoreEdit& edit) { return edit.resealed(); });
  const Outcome first = RestoreOnce(*files, faults ? &plan : nullptr, settings, forged);
  if (Verbose()) {
    std::fprintf(stderr, "restore_fuzzer: %d edits (%zu re-sealed), %zu fault rules, szDest %s: %s (%d), %s\n", edits,
                 static_cast<std::size_t>(std::count_if(script.edits.begin(), script.edits.end(),
                                                        [](const auto& edit) { return edit.resealed(); })),
                 faults ? plan.rules.size() : 0, elsewhere ? "/restored" : "null", JetErrorName(first.err), first.err,
                 first.phase);
  }
  const bool allowed = first.err >= 0 || jetfault::fuzz::AllowedRestoreErrors().count(first.err) == 1 ||
                       (forged && jetfault::fuzz::ForgedSetExtraErrors().count(first.err) == 1);
  if (!allowed) {
    std::fprintf(stderr, "JetRestoreInstance returned %s (%d), not a code docs/RESTORE.md allows%s\n",
                 JetErrorName(first.err), first.err, forged ? " (for a forged set either)" : "");
  }
  FUZZ_CHECK(allowed);
  if (edits == 0 && !faults) FUZZ_CHECK(first.err >= 0);

  const Outcome second = RestoreOnce(*files, faults ? &plan : nullptr, settings, forged);
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

#if defined(JETFAULT_LIBFUZZER)
extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t max_size);

// Structure-aware mutation (mutators/restore_mutator.h), falling back to libFuzzer's.
extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size, std::size_t max_size,
                                               unsigned int seed) {
  static const jetfault::fuzz::RestoreMutatorContext context{&BaseFiles(), corpus::kBackupDir, corpus::kInstanceDir,
                                                             kPageSize};
  static const jetfault::fuzz::ByteMutator fallback = LLVMFuzzerMutate;
  // The baseline of docs/FUZZING.md's coverage comparison: libFuzzer's byte mutations only.
  static const bool plain = std::getenv("JETFAULT_PLAIN_MUTATION") != nullptr;
  if (plain) return fallback(data, size, max_size);
  return jetfault::fuzz::MutateRestoreScript(data, size, max_size, seed, context, fallback);
}
#endif

// fuzz/mutators/mutator_test.cc — the custom mutators' format logic, without libFuzzer.
//
// Each mutator is applied many seeded times to the checked-in corpus seeds (chains of one
// to four mutations, as libFuzzer mutates inputs it has kept), with SimpleByteMutator
// standing in for LLVMFuzzerMutate, and what comes out is judged the way the targets
// read it. The rates asserted are the ones docs/FUZZING.md states (measured, less a
// margin); the test prints the measured figures.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "checksum_fixup.h"
#include "core/test_reset.h"
#include "corpus/engine_scenario.h"
#include "faultfs/mem_fs.h"
#include "format/backup_manifest.h"
#include "format/checkpoint.h"
#include "format/checksum.h"
#include "format/log_segment.h"
#include "format/page.h"
#include "harness/engine/driver.h"
#include "log/log.h"
#include "log_image.h"
#include "mutators/log_stream_mutator.h"
#include "mutators/restore_mutator.h"
#include "restore/script.h"

namespace jetfault::fuzz {
namespace {

namespace format = jet::format;
using Input = std::vector<std::uint8_t>;

std::vector<Input> Seeds(const std::string& target) {
  std::vector<std::filesystem::path> paths;
  for (const auto& entry :
       std::filesystem::recursive_directory_iterator(std::string(JETFAULT_CORPUS_DIR) + "/" + target)) {
    if (entry.is_regular_file()) paths.push_back(entry.path());
  }
  std::sort(paths.begin(), paths.end());
  std::vector<Input> seeds;
  for (const auto& path : paths) {
    std::ifstream in(path, std::ios::binary);
    seeds.emplace_back(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  }
  return seeds;
}

// ---- log_stream_fuzzer ----------------------------------------------------------------

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

constexpr std::size_t kLogMax = 16 * 4096;  // log_stream_fuzzer reads at most 16 sectors

struct LogRead {
  JET_ERR err = JET_errSuccess;
  std::size_t records = 0;
};

// The target's first pass: the file as given, as edb.log, read to its end.
LogRead ReadLogFile(const Input& file) {
  faultfs::MemFs fs;
  EXPECT_TRUE(faultfs::MakeDirs(fs, "/log").ok());
  EXPECT_TRUE(faultfs::WriteWholeFile(fs, "/log/edb.log", file).ok());
  LogRead out;
  std::vector<jet::log::GenerationInfo> generations;
  out.err = jet::log::ListGenerations(fs, "/log", "edb", &generations);
  if (out.err < 0 || generations.empty()) {
    if (out.err >= 0) out.err = JET_errMissingLogFile;
    return out;
  }
  std::unique_ptr<jet::log::LogReader> reader;
  out.err = jet::log::LogReader::Open(fs, generations, format::Lgpos{0, 0, generations.front().generation}, &reader);
  while (out.err >= 0) {
    jet::log::LogRecord record;
    bool end = false;
    out.err = reader->Next(&record, &end);
    if (out.err < 0 || end) break;
    ++out.records;
  }
  return out;
}

struct Tally {
  std::size_t total = 0;
  std::size_t good = 0;
  void Add(bool ok) {
    ++total;
    good += ok ? 1 : 0;
  }
  double Rate() const { return total == 0 ? 0.0 : static_cast<double>(good) / static_cast<double>(total); }
};

struct LogMutatorFigures {
  std::size_t kinds[4] = {};
  Tally sealed_from_clean;  // sealed outputs of inputs that read cleanly: still clean
  Tally reach;              // every output: the reader returns at least one record and no error
  Tally reach_bytes;        // the same for byte-level mutation alone (the same chains)
};

LogMutatorFigures MeasureLogMutator(const std::vector<Input>& seeds, int runs, const char* what) {
  LogMutatorFigures f;
  const ByteMutator bytes = SimpleByteMutator(17);
  for (int i = 0; i < runs; ++i) {
    Input input = seeds[static_cast<std::size_t>(i) % seeds.size()];
    Input plain = input;
    MutationKind kind = MutationKind::kFallback;
    bool input_clean = false;
    for (int step = 0; step <= i % 4; ++step) {
      const LogRead before = ReadLogFile(input);
      input_clean = before.err >= 0 && before.records > 0;
      const std::size_t size = std::min(input.size(), kLogMax);
      input.resize(kLogMax);
      input.resize(MutateLogFile(input.data(), size, kLogMax,
                                 static_cast<std::uint64_t>(i) * 7919 + static_cast<std::uint64_t>(step), bytes,
                                 &kind));
      EXPECT_LE(input.size(), kLogMax);
      const std::size_t plain_size = std::min(plain.size(), kLogMax);
      plain.resize(kLogMax);
      plain.resize(bytes(plain.data(), plain_size, kLogMax));
    }
    ++f.kinds[static_cast<int>(kind)];
    const LogRead after = ReadLogFile(input);
    if (kind == MutationKind::kSealed && input_clean) f.sealed_from_clean.Add(after.err >= 0 && after.records > 0);
    f.reach.Add(after.err >= 0 && after.records > 0);
    const LogRead plain_read = ReadLogFile(plain);
    f.reach_bytes.Add(plain_read.err >= 0 && plain_read.records > 0);
  }
  std::printf("log_stream mutator from %s, %d chains of 1-4: %zu fallback, %zu sealed, %zu damaged\n", what, runs,
              f.kinds[0], f.kinds[1], f.kinds[2]);
  std::printf("  sealed outputs of clean inputs that still read cleanly: %.1f%% of %zu\n",
              100 * f.sealed_from_clean.Rate(), f.sealed_from_clean.total);
  std::printf(
      "  outputs whose records the reader accepts (>= 1 record, no error): %.1f%%; byte-level mutation "
      "alone: %.1f%%\n",
      100 * f.reach.Rate(), 100 * f.reach_bytes.Rate());
  return f;
}

// Clean logs the engine wrote (the restore scenario's set and log path): what the
// mutator keeps of them.
TEST(LogStreamMutator, MostOutputsOfEngineLogsCarryRecordsTheReaderAccepts) {
  const std::unique_ptr<faultfs::MemFs> fs = corpus::RunEngineScenario(4096, 3, corpus::ScenarioSize::kSeeds).shut_down;
  std::vector<Input> seeds;
  for (const char* dir : {corpus::kInstanceDir, corpus::kBackupDir}) {
    std::vector<std::string> names;
    ASSERT_TRUE(fs->ListDir(dir, &names).ok());
    for (const std::string& name : names) {
      Input bytes;
      if (EndsWith(name, ".log") && faultfs::ReadWholeFile(*fs, faultfs::JoinPath(dir, name), &bytes).ok() &&
          bytes.size() <= kLogMax && ReadLogFile(bytes).records > 0) {
        seeds.push_back(std::move(bytes));
      }
    }
  }
  ASSERT_GE(seeds.size(), 2u);
  const LogMutatorFigures f = MeasureLogMutator(seeds, 1500, "engine logs");
  EXPECT_GE(f.sealed_from_clean.Rate(), 0.85);
  EXPECT_GE(f.reach.Rate(), 0.45);
  EXPECT_GE(f.reach.Rate(), 4 * f.reach_bytes.Rate());
}

// The checked-in corpus (mostly inputs libFuzzer kept, many of them damaged): the
// mutator's repairs and re-sealing turn more of them into readable logs than byte
// flips do.
TEST(LogStreamMutator, MoreOutputsOfTheCorpusCarryRecordsThanByteMutationGives) {
  const std::vector<Input> seeds = Seeds("log_stream_fuzzer");
  ASSERT_FALSE(seeds.empty());
  const LogMutatorFigures f = MeasureLogMutator(seeds, 1500, "corpus/log_stream_fuzzer");
  EXPECT_GE(f.sealed_from_clean.Rate(), 0.85);
  EXPECT_GE(f.reach.Rate(), 4 * f.reach_bytes.Rate());
}

// ---- restore_fuzzer -------------------------------------------------------------------

constexpr std::uint32_t kPageSize = 4096;

const faultfs::MemFs& Base() {
  static const std::unique_ptr<faultfs::MemFs> base =
      corpus::RunEngineScenario(kPageSize, 1, corpus::ScenarioSize::kSmall).shut_down;
  return *base;
}

RestoreMutatorContext Context() {
  return RestoreMutatorContext{&Base(), corpus::kBackupDir, corpus::kInstanceDir, kPageSize};
}

std::vector<std::string> Files(faultfs::Vfs& fs) { return EditableFiles(fs, corpus::kBackupDir, corpus::kInstanceDir); }

// Every checksum of `before` that held still holds in `after` (same file, one edit later),
// for what the file is: log (header, segments, the records' CRCs at their old places),
// manifest (length and CRC), checkpoint copies, database copy pages. Empty when they do.
std::string BrokenSeal(const std::string& path, const Input& before, const Input& after) {
  const std::string name = faultfs::BaseName(path);
  const std::size_t common = std::min(before.size(), after.size());
  auto xor_ok = [](const Input& file, std::size_t at, std::size_t size) {
    return at + size <= file.size() &&
           format::LoadU32(file.data() + at) == format::XorChecksum(std::span(file).subspan(at, size));
  };
  if (EndsWith(name, ".log")) {
    if (xor_ok(before, 0, 4096) && !xor_ok(after, 0, 4096)) return "log header checksum";
    for (std::size_t isec = 1; (isec + 1) * 4096 <= common; ++isec) {
      auto seg_ok = [isec](const Input& file) {
        const auto s = std::span(file).subspan(isec * 4096, 4096);
        return format::LoadU32(s.data() + 4) == isec && format::LoadU32(s.data()) == format::XorChecksum(s);
      };
      if (seg_ok(before) && !seg_ok(after)) return "segment " + std::to_string(isec) + " checksum";
    }
    LogImage image;
    if (ParseLogImage(before, &image) && after.size() >= before.size()) {
      for (const LogImage::Record& record : image.records) {
        std::vector<std::uint8_t> header(12), payload;
        for (std::size_t k = 0; k < 12; ++k) header[k] = after[image.Offset(record.begin + k)];
        for (std::size_t k = record.begin + 12; k < record.end(); ++k) payload.push_back(after[image.Offset(k)]);
        if (!format::LogRecordCrcMatches(std::span<const std::uint8_t, 12>(header.data(), 12), payload)) {
          return "record CRC";
        }
      }
    }
  } else if (name == "jetbackup.manifest") {
    format::BackupManifest manifest;
    if (format::DecodeBackupManifest(before, &manifest) >= 0 && after.size() >= 20 &&
        (format::LoadU32(after.data() + 12) != after.size() ||
         format::LoadU32(after.data() + 16) != format::Crc32c(std::span(after).subspan(20)))) {
      return "manifest CRC";
    }
  } else if (EndsWith(name, ".chk")) {
    for (std::size_t at = 0; at + 4096 <= common; at += 4096) {
      if (xor_ok(before, at, 4096) && !xor_ok(after, at, 4096)) return "checkpoint copy checksum";
    }
  } else if (faultfs::ParentPath(path) == corpus::kBackupDir) {
    const std::size_t pages = common / kPageSize;
    for (std::size_t p = 0; p < pages; ++p) {
      const bool plain = p <= 1 || p + 1 == after.size() / kPageSize;
      auto ok = [&](const Input& file) {
        return xor_ok(file, p * kPageSize, kPageSize) &&
               (plain || format::LoadU32(file.data() + p * kPageSize + 4) == p - 1);
      };
      if (ok(before) && !ok(after)) return "page " + std::to_string(p) + " checksum";
    }
  }
  return "";
}

// A set log's size and CRC in the manifest match the file (when both are there).
std::string StaleManifest(faultfs::MemFs& fs) {
  Input bytes;
  format::BackupManifest manifest;
  if (!faultfs::ReadWholeFile(fs, std::string(corpus::kBackupDir) + "/jetbackup.manifest", &bytes).ok() ||
      format::DecodeBackupManifest(bytes, &manifest) < 0) {
    return "";
  }
  for (const format::BackupLogEntry& entry : manifest.logs) {
    Input log;
    const std::string path = faultfs::JoinPath(corpus::kBackupDir,
                                               jet::files::ArchivedLogName(manifest.base_name, entry.generation));
    if (faultfs::ReadWholeFile(fs, path, &log).ok() && (log.size() != entry.size || format::Crc32c(log) != entry.crc)) {
      return "manifest entry of " + path;
    }
  }
  return "";
}

TEST(RestoreMutator, ResealedEditsKeepEveryChecksumThatHeld) {
  const std::vector<Input> seeds = Seeds("restore_fuzzer");
  ASSERT_FALSE(seeds.empty());
  const RestoreMutatorContext context = Context();
  const ByteMutator bytes = SimpleByteMutator(5);
  std::size_t kinds[4] = {};
  std::size_t checked = 0;
  constexpr int kRuns = 2000;
  for (int i = 0; i < kRuns; ++i) {
    Input input = seeds[static_cast<std::size_t>(i) % seeds.size()];
    MutationKind kind = MutationKind::kFallback;
    for (int step = 0; step <= i % 4; ++step) {
      const std::size_t size = std::min<std::size_t>(input.size(), 4096);
      input.resize(4096);
      input.resize(MutateRestoreScript(input.data(), size, 4096,
                                       static_cast<std::uint64_t>(i) * 104729 + static_cast<std::uint64_t>(step),
                                       context, bytes, &kind));
    }
    ++kinds[static_cast<int>(kind)];
    if (kind != MutationKind::kSealed) continue;
    // The last edit is the new one: apply the others, then it, and compare.
    const RestoreScript script = RestoreScript::Parse(input);
    ASSERT_FALSE(script.edits.empty());
    ASSERT_TRUE(script.edits.back().resealed());
    std::unique_ptr<faultfs::MemFs> fs = Base().Clone();
    const std::vector<std::string> files = Files(*fs);
    std::vector<RestoreEdit> earlier(script.edits.begin(), script.edits.end() - 1);
    ApplyEdits(*fs, files, earlier, corpus::kBackupDir, kPageSize);
    const std::string path = files[script.edits.back().file % files.size()];
    Input before, after;
    if (!faultfs::ReadWholeFile(*fs, path, &before).ok()) continue;  // deleted earlier: the edit does nothing
    const std::string stale_before = StaleManifest(*fs);
    ApplyEdits(*fs, files, {script.edits.back()}, corpus::kBackupDir, kPageSize);
    ASSERT_TRUE(faultfs::ReadWholeFile(*fs, path, &after).ok());
    const std::string broken = BrokenSeal(path, before, after);
    EXPECT_EQ(broken, "") << "edit of " << path << " at " << script.edits.back().offset;
    if (stale_before.empty() && faultfs::BaseName(path) != "jetbackup.manifest") {
      // A re-sealed set log keeps its manifest entry true (an edit of the manifest's
      // own entries may of course make them false).
      EXPECT_EQ(StaleManifest(*fs), "") << "edit of " << path;
    }
    ++checked;
  }
  std::printf(
      "restore mutator, %d chains: %zu fallback, %zu sealed, %zu unsealed/damaged, %zu script; %zu re-sealed "
      "edits checked\n",
      kRuns, kinds[0], kinds[1], kinds[2], kinds[3], checked);
  EXPECT_GE(kinds[1], kRuns / 2);
}

// The records of a log file, (type, payload) in order (none when it does not parse).
std::vector<std::pair<std::uint8_t, Input>> LogRecords(const Input& file) {
  std::vector<std::pair<std::uint8_t, Input>> out;
  LogImage image;
  if (!ParseLogImage(file, &image)) return out;
  for (const LogImage::Record& record : image.records) {
    Input payload;
    for (std::size_t k = record.begin + 12; k < record.end(); ++k) payload.push_back(file[image.Offset(k)]);
    out.emplace_back(record.type, std::move(payload));
  }
  return out;
}

// Whether the script changed what the replay consumes: a log record (type or payload,
// one more or fewer) that still passes its CRC, or a page of the set's database copy
// that still passes its checksum.
bool ChangesWhatTheReplayReads(const Input& input) {
  const RestoreScript script = RestoreScript::Parse(input);
  std::unique_ptr<faultfs::MemFs> base = Base().Clone();
  std::unique_ptr<faultfs::MemFs> fs = Base().Clone();
  const std::vector<std::string> files = Files(*fs);
  ApplyEdits(*fs, files, script.edits, corpus::kBackupDir, kPageSize);
  for (const std::string& path : files) {
    Input base_bytes, bytes;
    if (!faultfs::ReadWholeFile(*base, path, &base_bytes).ok() || !faultfs::ReadWholeFile(*fs, path, &bytes).ok() ||
        bytes == base_bytes) {
      continue;
    }
    if (EndsWith(path, ".log") && LogRecords(bytes) != LogRecords(base_bytes)) return true;
    if (faultfs::BaseName(path) == "main.edb") {
      for (std::size_t p = 2; (p + 2) * kPageSize <= std::min(bytes.size(), base_bytes.size()); ++p) {
        const auto page = std::span<const std::uint8_t>(bytes).subspan(p * kPageSize, kPageSize);
        if (!std::equal(page.begin(), page.end(), base_bytes.begin() + static_cast<std::ptrdiff_t>(p * kPageSize)) &&
            format::VerifyPage(page, static_cast<std::uint32_t>(p - 1)) != JET_errReadVerifyFailure) {
          return true;
        }
      }
    }
  }
  return false;
}

// How far a restore of `script` gets: 0 refused, 1 the set verified and the replay ran,
// 2 recovered; -1 when a finding-like outcome would fail the target (never expected).
int g_phase = 0;
void PhaseSink(const char* json_line) {
  const std::string_view line(json_line);
  if (line.find("\"set_verified\"") != std::string_view::npos) g_phase = std::max(g_phase, 1);
  if (line.find("\"recovered\"") != std::string_view::npos) g_phase = 2;
}

int RestorePhase(const Input& input) {
  const RestoreScript script = RestoreScript::Parse(input);
  std::unique_ptr<faultfs::MemFs> fs = Base().Clone();
  ApplyEdits(*fs, Files(*fs), script.edits, corpus::kBackupDir, kPageSize);
  jetharness::InstanceSettings settings;
  settings.layout.system_dir = corpus::kInstanceDir;
  settings.layout.log_dir = corpus::kInstanceDir;
  settings.layout.db_dir = "/data";
  settings.layout.backup_dir = corpus::kBackupDir;
  if (script.elsewhere()) settings.layout.db_dir = settings.layout.restore_dest = "/restored";
  settings.page_size = kPageSize;
  settings.log_file_kib = 64;
  g_phase = 0;
  {
    // Without the fault plan: this measures how far the edits let the restore go.
    jetharness::EngineInstance instance(fs.get(), settings);
    JET_INSTANCE handle = instance.handle();
    instance.Call("JetSetSystemParameter", [&] {
      return JetSetSystemParameter(&handle, JET_sesidNil, JET_paramRestoreEventSink,
                                   reinterpret_cast<JET_API_PTR>(&PhaseSink), nullptr);
    });
    (void)instance.Restore(settings.layout.backup_dir);
  }
  jet::core::ResetProcessStateForTests();
  return g_phase;
}

struct RestoreMutatorFigures {
  Tally replay, deep, replay_bytes, deep_bytes;
};

// Chains of 1-4 mutations from `seeds`, each output restored (without its fault plan:
// this measures how far the edits let the restore go).
RestoreMutatorFigures MeasureRestoreMutator(const std::vector<Input>& seeds, int runs, const char* what) {
  const RestoreMutatorContext context = Context();
  const ByteMutator bytes = SimpleByteMutator(9);
  RestoreMutatorFigures f;
  for (int i = 0; i < runs; ++i) {
    Input input = seeds[static_cast<std::size_t>(i) % seeds.size()];
    Input plain = input;
    for (int step = 0; step <= i % 4; ++step) {
      const std::size_t size = std::min<std::size_t>(input.size(), 4096);
      input.resize(4096);
      input.resize(MutateRestoreScript(input.data(), size, 4096,
                                       static_cast<std::uint64_t>(i) * 15485863 + static_cast<std::uint64_t>(step),
                                       context, bytes));
      const std::size_t plain_size = std::min<std::size_t>(plain.size(), 4096);
      plain.resize(4096);
      plain.resize(bytes(plain.data(), plain_size, 4096));
    }
    const bool ran = RestorePhase(input) >= 1;
    f.replay.Add(ran);
    f.deep.Add(ran && ChangesWhatTheReplayReads(input));
    const bool plain_ran = RestorePhase(plain) >= 1;
    f.replay_bytes.Add(plain_ran);
    f.deep_bytes.Add(plain_ran && ChangesWhatTheReplayReads(plain));
  }
  std::printf(
      "restore mutator from %s, %d chains of 1-4: the replay ran for %.1f%%, on changed records or pages "
      "for %.1f%%; byte-level mutation alone: %.1f%% and %.1f%%\n",
      what, runs, 100 * f.replay.Rate(), 100 * f.deep.Rate(), 100 * f.replay_bytes.Rate(), 100 * f.deep_bytes.Rate());
  return f;
}

// From a script that restores (no edits, no faults).
TEST(RestoreMutator, MostOutputsOfARestorableScriptReachTheReplayWithChangedRecordsOrPages) {
  const RestoreMutatorFigures f = MeasureRestoreMutator({Input{0}}, 300, "an empty script");
  EXPECT_GE(f.replay.Rate(), 0.70);
  EXPECT_GE(f.deep.Rate(), 0.55);
  EXPECT_LE(f.deep_bytes.Rate(), 0.10);
}

// From the checked-in corpus, half of whose seeds are refusal cases (a deleted copy, a
// damaged manifest or log): their edits stay unless a mutation drops or re-seals them.
TEST(RestoreMutator, OutputsOfTheCorpusReachTheReplayWithChangedRecordsMoreOftenThanByteMutationGives) {
  const RestoreMutatorFigures f = MeasureRestoreMutator(Seeds("restore_fuzzer"), 300, "corpus/restore_fuzzer");
  // (Byte-level mutation keeps the re-sealed edits of the regression inputs, so it gets
  // some depth from them; from a restorable script it gets none, see above.)
  EXPECT_GE(f.replay.Rate(), 0.45);
  EXPECT_GE(f.deep.Rate(), 0.35);
  EXPECT_GE(f.deep.Rate(), f.deep_bytes.Rate() + 0.15);
}

}  // namespace

}  // namespace jetfault::fuzz

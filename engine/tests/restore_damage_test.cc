// Systematic damage to every file a restore reads: the backup set (manifest, each
// database copy, each set log) and the instance's log path (archived generations after
// the set, edb.log) and system path (edb.chk). For every case JetRestoreInstance must
// either succeed with content equal to a state the committed history allows, or fail
// with a code of the damaged file's class (kAllowed below, the one table) and a detail;
// after a failure, undoing the damage must let a restore succeed with everything.
//
// What a success may contain (as ESE, docs/RESTORE.md):
//  * damage the restore does not depend on (edb.chk, which restore deletes; a stray file
//    in the set directory; one of the two database header copies): every commit;
//  * damage to edb.log, the last generation of the log path: at least the backup state
//    and exactly the state after some commit (damage in its last written segment is
//    indistinguishable from a torn tail, which ends the roll-forward where the valid log
//    ends, as soft recovery does); a missing or blank edb.log behind archived later
//    generations is JET_errMissingCurrentLogFiles;
//  * anything else: every commit — an archived generation or a set file is never a
//    torn tail, so losing commits through it must be an error.
//
// Seeded: JETFAULT_SEED overrides the default; every random choice (the byte flipped
// in a block, the mask, which blocks are zeroed, szDest null or not) comes from it and
// the case's index, and every failure message names the seed and the case.
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdlib>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>

#include "backup/backup_set.h"
#include "backup/page_links.h"
#include "backup_test_util.h"
#include "format/log_header.h"
#include "log/log.h"

namespace jet_test {
namespace {

constexpr std::uint32_t kPageSize = 8192;
constexpr unsigned long kLogKib = 128;
constexpr std::size_t kBlock = 4096;
constexpr char kSecondDb[] = "/data/second.edb";

// Which file a case damages, for the table of allowed codes.
enum class FileClass { kManifest, kDbCopy, kSetLog, kSetStray, kArchivedLog, kCurrentLog, kLogPathStray, kCheckpoint };

// What a successful restore may contain after damage to a file of this class.
enum class SuccessMay { kEverything, kCommitPrefix };

struct ClassRule {
  FileClass cls;
  const char* name;
  SuccessMay success;
  std::set<JET_ERR> codes;  // the failures allowed (docs/RESTORE.md)
};

// The one table: damaged-file class -> what restore may answer.
const std::vector<ClassRule>& Rules() {
  static const std::vector<ClassRule> rules = {
      {FileClass::kManifest, "manifest", SuccessMay::kEverything, {JET_errFileNotFound, JET_errReadVerifyFailure}},
      {FileClass::kDbCopy,
       "database copy",
       SuccessMay::kEverything,
       {JET_errFileNotFound, JET_errReadVerifyFailure, JET_errReadPgnoVerifyFailure, JET_errPageNotInitialized,
        JET_errInvalidDatabase, JET_errBadPatchPage, JET_errDatabasePatchFileMismatch,
        JET_errRestoreOfNonBackupDatabase, JET_errStartingRestoreLogTooHigh, JET_errEndingRestoreLogTooLow,
        JET_errPageSizeMismatch, JET_errBadPageLink, JET_errDiskIO}},
      {FileClass::kSetLog,
       "set log",
       SuccessMay::kEverything,
       {JET_errMissingLogFile, JET_errInvalidLogSequence, JET_errLogGenerationMismatch,
        JET_errLogCorruptDuringHardRestore}},
      {FileClass::kSetStray, "stray file in the set", SuccessMay::kEverything, {}},
      {FileClass::kArchivedLog,
       "archived log-path log",
       SuccessMay::kEverything,
       {JET_errMissingLogFile, JET_errInvalidLogSequence, JET_errLogGenerationMismatch,
        JET_errLogCorruptDuringHardRecovery}},
      {FileClass::kCurrentLog,
       "edb.log",
       SuccessMay::kCommitPrefix,
       {JET_errMissingLogFile, JET_errInvalidLogSequence, JET_errLogGenerationMismatch,
        JET_errLogCorruptDuringHardRecovery, JET_errMissingCurrentLogFiles}},
      {FileClass::kLogPathStray,
       "stray file in the log path",
       SuccessMay::kEverything,
       {JET_errMissingLogFile, JET_errLogCorruptDuringHardRecovery}},
      {FileClass::kCheckpoint, "checkpoint", SuccessMay::kEverything, {}},
  };
  return rules;
}

const ClassRule& RuleFor(FileClass cls) {
  for (const ClassRule& rule : Rules()) {
    if (rule.cls == cls) return rule;
  }
  static const ClassRule none{cls, "?", SuccessMay::kEverything, {}};
  return none;
}

std::uint64_t SeedFromEnvironment() {
  const char* env = std::getenv("JETFAULT_SEED");
  return env != nullptr ? std::strtoull(env, nullptr, 0) : 0x5eed2026ull;
}

using Bytes = std::vector<std::uint8_t>;

Bytes ReadAll(faultfs::Vfs& fs, const std::string& path) {
  Bytes bytes;
  EXPECT_TRUE(faultfs::ReadWholeFile(fs, path, &bytes).ok()) << path;
  return bytes;
}

void WriteAll(faultfs::Vfs& fs, const std::string& path, const Bytes& bytes) {
  ASSERT_TRUE(faultfs::WriteWholeFile(fs, path, bytes).ok()) << path;
}

// Blocks up to and including the last one holding a non-zero byte: logs are
// preallocated with zeros, so this is the part a flip can matter in (plus one block).
std::size_t UsedBlocks(const Bytes& bytes) {
  std::size_t last = 0;
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    if (bytes[i] != 0) last = i;
  }
  return std::min((bytes.size() + kBlock - 1) / kBlock, last / kBlock + 2);
}

// One damage case: a name and the change it makes to a clone of the pristine files.
struct Case {
  std::string name;
  FileClass cls;
  std::vector<std::string> touched;  // paths to put back (or delete) to undo the damage
  std::function<void(faultfs::MemFs&)> damage;
};

class RestoreDamage : public BackupRestoreTest {
 protected:
  // Two databases, a full backup in /backup, later commits across several log-path
  // generations, then a crash. pristine_ holds the result; history_ every committed
  // state from the backup on.
  void BuildInputs() {
    config_.log_kib = kLogKib;
    ASSERT_JET(Start(true));
    ASSERT_JET(JetCreateDatabase(ses_, kSecondDb, nullptr, &dbid2_, 0));
    ASSERT_JET(JetCreateTable(ses_, dbid2_, "t", 0, 0, &tab2_));
    for (int i = 0; i < 150; ++i) Commit(i, 300);
    ASSERT_JET(JetBackupInstance(inst_, "/backup", 0, nullptr));
    history_.assign(1, state_);
    for (int i = 150; i < 330; ++i) {
      Commit(i, 1200);
      history_.push_back(state_);
    }
    Crash();
    pristine_ = fs_.Clone();
  }

  // One committed write, alternating between the two databases.
  void Commit(int i, std::size_t size) {
    const bool second = i % 3 == 0;
    const std::string key = "k" + std::to_string(i % 120);
    const std::string value(size + static_cast<std::size_t>(i % 53), static_cast<char>('a' + i % 26));
    JET_TABLEID tab = second ? tab2_ : tab_;
    JET_ERR err = JetInsertRecord(ses_, tab, key.data(), key.size(), value.data(), value.size());
    if (err == JET_errKeyDuplicate)
      err = JetReplaceRecord(ses_, tab, key.data(), key.size(), value.data(), value.size());
    ASSERT_JET(err);
    state_[(second ? "2:" : "1:") + key] = value;
  }

  // Both restored databases' tables, keys prefixed by database; also runs the check
  // `jetutil check` runs (checksums and sibling links) on each file.
  JET_ERR ReadBoth(faultfs::MemFs& fs, JET_INSTANCE inst, const std::string& dir, Model* out) {
    for (const char* name : {"test.edb", "second.edb"}) {
      const std::string path = faultfs::JoinPath(dir, name);
      if (JET_ERR err = jet::backup::VerifyDatabaseLinks(fs, path, kPageSize); err < 0) return err;
    }
    JET_ERR err = JetInit(&inst);
    JET_SESID ses = 0;
    if (err >= 0) err = JetBeginSession(inst, &ses, nullptr, nullptr);
    out->clear();
    for (const char* name : {"test.edb", "second.edb"}) {
      const std::string path = faultfs::JoinPath(dir, name);
      JET_DBID dbid = 0;
      JET_TABLEID tab = 0;
      Model table;
      if (err >= 0) err = JetAttachDatabase(ses, path.c_str(), 0);
      if (err >= 0) err = JetOpenDatabase(ses, path.c_str(), nullptr, &dbid, 0);
      if (err >= 0) err = JetOpenTable(ses, dbid, "t", nullptr, 0, 0, &tab);
      if (err >= 0) err = ReadTable(ses, tab, &table);
      for (const auto& [k, v] : table) (*out)[(name[0] == 't' ? "1:" : "2:") + k] = v;
    }
    if (err < 0) {
      JetTerm2(inst, JET_bitTermAbrupt);
      return err;
    }
    return JetTerm(inst);
  }

  // Index in history_ of a state equal to `state`, if any.
  std::optional<std::size_t> FindInHistory(const Model& state) const {
    for (std::size_t i = history_.size(); i-- > 0;) {
      if (history_[i] == state) return i;
    }
    return std::nullopt;
  }

  std::vector<Case> MakeCases(std::uint64_t seed);
  void AddFileCases(const std::string& path, FileClass cls, std::size_t header_size, std::mt19937_64& rng,
                    std::vector<Case>* cases);

  // Runs one case; returns the restore's code.
  JET_ERR RunCase(const Case& c, std::uint64_t seed, std::size_t index);

  JET_DBID dbid2_ = 0;
  JET_TABLEID tab2_ = 0;
  Model state_;
  std::vector<Model> history_;
  std::unique_ptr<faultfs::MemFs> pristine_;
};

void Delete(faultfs::MemFs& fs, const std::string& path) { ASSERT_TRUE(fs.Delete(path).ok()) << path; }

void Truncate(faultfs::MemFs& fs, const std::string& path, std::uint64_t size) {
  std::unique_ptr<faultfs::File> file;
  ASSERT_TRUE(
      fs.Open(path, {faultfs::Access::kReadWrite, faultfs::kShareNone, faultfs::Disposition::kOpenExisting}, &file)
          .ok());
  ASSERT_TRUE(file->Truncate(size).ok());
  ASSERT_TRUE(file->Sync().ok());
}

// Rewrites a log's header as another lineage's (signLog changed), checksum valid.
void MakeForeign(faultfs::MemFs& fs, const std::string& path) {
  Bytes bytes = ReadAll(fs, path);
  jet::format::LogFileHeader header;
  ASSERT_EQ(jet::format::DecodeLogFileHeader(bytes, &header), JET_errSuccess) << path;
  header.sign_log.random ^= 0x5a5a5a5au;
  std::array<std::uint8_t, jet::format::kLogHeaderSize> out{};
  ASSERT_EQ(jet::format::EncodeLogFileHeader(header, out), JET_errSuccess);
  std::copy(out.begin(), out.end(), bytes.begin());
  WriteAll(fs, path, bytes);
}

void Swap(faultfs::MemFs& fs, const std::string& a, const std::string& b) {
  const Bytes first = ReadAll(fs, a);
  const Bytes second = ReadAll(fs, b);
  WriteAll(fs, a, second);
  WriteAll(fs, b, first);
}

void RestoreDamage::AddFileCases(const std::string& path, FileClass cls, std::size_t header_size, std::mt19937_64& rng,
                                 std::vector<Case>* cases) {
  const Bytes bytes = ReadAll(*pristine_, path);
  const std::uint64_t size = bytes.size();
  const std::vector<std::string> touched{path};
  cases->push_back({"delete " + path, cls, touched, [path](faultfs::MemFs& fs) { Delete(fs, path); }});
  std::set<std::uint64_t> sizes{0, header_size - 1, size / 2, size - 1};
  for (std::uint64_t to : sizes) {
    if (to >= size) continue;
    cases->push_back({"truncate " + path + " to " + std::to_string(to), cls, touched,
                      [path, to](faultfs::MemFs& fs) { Truncate(fs, path, to); }});
  }
  const std::size_t blocks = UsedBlocks(bytes);
  for (std::size_t block = 0; block < blocks; ++block) {
    const std::uint64_t end = std::min<std::uint64_t>(size, (block + 1) * kBlock);
    const std::uint64_t offset = block * kBlock + rng() % (end - block * kBlock);
    const auto mask = static_cast<std::uint8_t>(1u + rng() % 255u);
    cases->push_back({"flip " + path + " @" + std::to_string(offset) + " ^" + std::to_string(mask), cls, touched,
                      [path, offset, mask](faultfs::MemFs& fs) {
                        Bytes b = ReadAll(fs, path);
                        b[offset] ^= mask;
                        WriteAll(fs, path, b);
                      }});
    // Zero about one block in four (and always the first): a lost write.
    if (block == 0 || rng() % 4 == 0) {
      cases->push_back(
          {"zero " + path + " block " + std::to_string(block), cls, touched, [path, block, end](faultfs::MemFs& fs) {
             Bytes b = ReadAll(fs, path);
             std::fill(b.begin() + static_cast<std::ptrdiff_t>(block * kBlock),
                       b.begin() + static_cast<std::ptrdiff_t>(end), 0);
             WriteAll(fs, path, b);
           }});
    }
  }
}

std::vector<Case> RestoreDamage::MakeCases(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Case> cases;
  const jet::format::BackupManifest manifest = [&] {
    jet::format::BackupManifest m;
    EXPECT_EQ(jet::backup::ReadManifest(*pristine_, "/backup", &m), JET_errSuccess);
    return m;
  }();
  // The backup set.
  AddFileCases("/backup/jetbackup.manifest", FileClass::kManifest, 82, rng, &cases);
  for (const auto& db : manifest.dbs) {
    AddFileCases("/backup/" + db.file_name, FileClass::kDbCopy, kPageSize, rng, &cases);
  }
  std::vector<std::string> set_logs;
  for (const auto& log : manifest.logs) {
    set_logs.push_back("/backup/" + jet::log::ArchivedLogName("edb", log.generation));
    AddFileCases(set_logs.back(), FileClass::kSetLog, jet::format::kLogHeaderSize, rng, &cases);
    const std::string path = set_logs.back();
    cases.push_back(
        {"foreign lineage " + path, FileClass::kSetLog, {path}, [path](faultfs::MemFs& fs) { MakeForeign(fs, path); }});
  }
  for (std::size_t i = 0; i + 1 < set_logs.size(); ++i) {
    const std::string a = set_logs[i], b = set_logs[i + 1];
    cases.push_back(
        {"swap " + a + " " + b, FileClass::kSetLog, {a, b}, [a, b](faultfs::MemFs& fs) { Swap(fs, a, b); }});
  }
  const Bytes some_log = ReadAll(*pristine_, set_logs.front());
  std::vector<std::string> set_strays{"/backup/junk.bin", "/backup/jetbackup.manifest.tmp", "/backup/edb.log",
                                      "/backup/" + jet::log::ArchivedLogName("edb", manifest.gen_high + 3)};
  if (manifest.gen_low > 1) set_strays.push_back("/backup/" + jet::log::ArchivedLogName("edb", manifest.gen_low - 1));
  for (const std::string& stray : set_strays) {
    cases.push_back({"stray " + stray, FileClass::kSetStray, {stray}, [stray, some_log](faultfs::MemFs& fs) {
                       Bytes garbage(some_log.begin(), some_log.begin() + 3 * kBlock);
                       garbage[100] ^= 0xff;
                       WriteAll(fs, stray, garbage);
                     }});
  }

  // The log path: archived generations after the set, then edb.log.
  std::vector<jet::log::GenerationInfo> gens;
  EXPECT_EQ(jet::log::ListGenerations(*pristine_, "/log", "edb", &gens), JET_errSuccess);
  std::vector<std::string> later;
  for (const auto& g : gens) {
    if (g.generation <= manifest.gen_high) continue;
    later.push_back(g.path);
    const bool current = faultfs::BaseName(g.path) == "edb.log";
    const FileClass cls = current ? FileClass::kCurrentLog : FileClass::kArchivedLog;
    AddFileCases(g.path, cls, jet::format::kLogHeaderSize, rng, &cases);
    const std::string path = g.path;
    cases.push_back({"foreign lineage " + path, cls, {path}, [path](faultfs::MemFs& fs) { MakeForeign(fs, path); }});
  }
  EXPECT_GE(later.size(), 3u) << "the later work must span several log-path generations";
  for (std::size_t i = 0; i + 1 < later.size(); ++i) {
    const std::string a = later[i], b = later[i + 1];
    const FileClass cls = i + 2 == later.size() ? FileClass::kCurrentLog : FileClass::kArchivedLog;
    cases.push_back({"swap " + a + " " + b, cls, {a, b}, [a, b](faultfs::MemFs& fs) { Swap(fs, a, b); }});
  }
  const std::int32_t last = gens.back().generation;
  for (const std::string& stray : {std::string("/log/junk.bin"), std::string("/log/edbtmp.log"),
                                   "/log/" + jet::log::ArchivedLogName("edb", last + 2)}) {
    cases.push_back({"stray " + stray, FileClass::kLogPathStray, {stray}, [stray, some_log](faultfs::MemFs& fs) {
                       Bytes garbage(some_log.begin(), some_log.begin() + 3 * kBlock);
                       garbage[100] ^= 0xff;
                       WriteAll(fs, stray, garbage);
                     }});
  }
  // The checkpoint, which restore deletes and recovery rewrites.
  AddFileCases("/sys/edb.chk", FileClass::kCheckpoint, 512, rng, &cases);
  return cases;
}

JET_ERR RestoreDamage::RunCase(const Case& c, std::uint64_t seed, std::size_t index) {
  const std::string where = "seed " + std::to_string(seed) + " case " + std::to_string(index) + ": " + c.name;
  SCOPED_TRACE(where);
  const ClassRule& rule = RuleFor(c.cls);
  std::mt19937_64 rng(seed ^ (0x9e3779b97f4a7c15ull * (index + 1)));
  const bool with_dest = rng() % 2 == 0;
  const char* dest = with_dest ? "/restored" : nullptr;
  const std::string db_dir = with_dest ? "/restored" : "/data";

  jet::core::ResetProcessStateForTests();
  std::unique_ptr<faultfs::MemFs> fs = pristine_->Clone();
  c.damage(*fs);
  JET_INSTANCE inst = 0;
  EXPECT_GE(CreateConfigured(fs.get(), &inst, kPageSize, kLogKib, false), JET_errSuccess);
  const JET_ERR err = JetRestoreInstance(inst, "/backup", dest, nullptr);
  if (err >= 0) {
    Model restored;
    const JET_ERR read = ReadBoth(*fs, inst, db_dir, &restored);
    EXPECT_EQ(read, JET_errSuccess) << "restore succeeded but the databases do not read back: " << JetErrorName(read)
                                    << ": " << JetGetLastErrorDetail();
    if (read < 0) return err;
    const std::optional<std::size_t> at = FindInHistory(restored);
    EXPECT_TRUE(at.has_value()) << "restored content (" << restored.size() << " records) is no committed state";
    if (at && rule.success == SuccessMay::kEverything) {
      EXPECT_EQ(*at, history_.size() - 1) << "a " << rule.name << " damage lost commits: restored the state after "
                                          << *at << " of " << history_.size() - 1 << " later commits";
    }
    return err;
  }
  EXPECT_TRUE(rule.codes.count(err) != 0)
      << "a " << rule.name << " damage gave " << JetErrorName(err) << " (" << err << "): " << JetGetLastErrorDetail();
  EXPECT_STRNE(JetGetLastErrorDetail(), "") << JetErrorName(err) << " without a detail";
  // Nothing durable is lost: put the damaged files back and restore again.
  for (const std::string& path : c.touched) {
    bool existed = false;
    EXPECT_TRUE(pristine_->Exists(path, &existed).ok());
    if (existed) {
      WriteAll(*fs, path, ReadAll(*pristine_, path));
    } else {
      (void)fs->Delete(path);
    }
  }
  const JET_ERR again = JetRestoreInstance(inst, "/backup", dest, nullptr);
  EXPECT_EQ(again, JET_errSuccess) << "after a failed restore the undamaged inputs no longer restore: "
                                   << JetErrorName(again) << ": " << JetGetLastErrorDetail();
  if (again >= 0) {
    Model restored;
    EXPECT_EQ(ReadBoth(*fs, inst, db_dir, &restored), JET_errSuccess) << JetGetLastErrorDetail();
    EXPECT_TRUE(restored == history_.back()) << "the second restore lost commits";
  }
  return err;
}

TEST_F(RestoreDamage, EveryFileEveryDamage) {
  const std::uint64_t seed = SeedFromEnvironment();
  std::cout << "RestoreDamage seed " << seed << " (set JETFAULT_SEED to replay)\n";
  BuildInputs();
  ASSERT_FALSE(HasFatalFailure());
  const std::vector<Case> cases = MakeCases(seed);
  std::map<std::string, std::size_t> outcomes;
  const auto started = std::chrono::steady_clock::now();
  std::size_t failing = 0;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const bool before = HasFailure();
    const JET_ERR err = RunCase(cases[i], seed, i);
    ++outcomes[std::string(RuleFor(cases[i].cls).name) + " -> " + JetErrorName(err)];
    if (HasFailure() && !before && ++failing == 10) {
      ADD_FAILURE() << "stopping after 10 failing cases (seed " << seed << ", last case " << i << ")";
      break;
    }
  }
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - started).count();
  std::cout << cases.size() << " damage cases in " << ms << " ms:\n";
  for (const auto& [outcome, n] : outcomes) std::cout << "  " << outcome << ": " << n << "\n";
  EXPECT_GE(cases.size(), 300u);
}

}  // namespace
}  // namespace jet_test

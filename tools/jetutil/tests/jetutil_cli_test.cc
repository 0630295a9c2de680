// tools/jetutil/tests/jetutil_cli_test.cc — drives the built `jetutil` binary as a
// subprocess on temporary directories and checks exit statuses, messages and output.
//
// The files for `dump` and `check` are made with the engine's own encoders (format/),
// so these tests pin jetutil's reading of real on-disk layouts without needing a
// running engine; the load -> records round trip goes through the engine end to end.
#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <pty.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/process.hpp>
#include <fmt/core.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "format/checkpoint.h"
#include "format/db_header.h"
#include "format/log_header.h"
#include "format/page.h"

namespace {

namespace fs = std::filesystem;
namespace bp = boost::process;
namespace format = jet::format;
using Bytes = std::vector<std::uint8_t>;

struct Outcome {
  int status = -1;
  std::string out;
  std::string err;
};

std::string ReadText(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteBytes(const fs::path& path, const Bytes& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(bytes.size()));
}

// A fresh directory per test, removed afterwards.
class JetutilTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() /
           fmt::format("jetutil-test-{}-{}-{}", info->test_suite_name(), info->name(), getpid());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    if (!HasFailure()) fs::remove_all(dir_);  // kept on failure, for a look
  }

  // Runs jetutil with args; stdin from `input`. stdout/stderr are captured via files
  // (no pipe deadlocks whatever the output size).
  Outcome Run(const std::vector<std::string>& args, const std::string& input = "") {
    const fs::path in = dir_ / "stdin", out = dir_ / "stdout", err = dir_ / "stderr";
    { std::ofstream(in, std::ios::binary) << input; }
    fs::remove(out);  // Boost.Process opens redirect targets without truncating them
    fs::remove(err);
    Outcome o;
    o.status = bp::system(bp::exe = JETUTIL_PATH, bp::args = args, bp::std_in<in.string(), bp::std_out> out.string(),
                          bp::std_err > err.string());
    o.out = ReadText(out);
    o.err = ReadText(err);
    return o;
  }

  fs::path dir_;
};

// ---- usage errors: exit 2 ---------------------------------------------------------

TEST_F(JetutilTest, NoSubcommandIsAUsageError) { EXPECT_EQ(Run({}).status, 2); }

TEST_F(JetutilTest, UnknownSubcommandIsAUsageError) { EXPECT_EQ(Run({"defragment"}).status, 2); }

TEST_F(JetutilTest, UnknownOptionIsAUsageError) { EXPECT_EQ(Run({"dump", "--bogus", "x"}).status, 2); }

TEST_F(JetutilTest, MissingRequiredOptionIsAUsageError) {
  const Outcome o = Run({"load", "--log-path", dir_.string(), "--db", (dir_ / "x.edb").string()});
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.err.find("--system-path"), std::string::npos) << o.err;
}

TEST_F(JetutilTest, UnsupportedPageSizeIsAUsageError) {
  EXPECT_EQ(Run({"recover", "--system-path", dir_.string(), "--log-path", dir_.string(), "--page-size", "1000"}).status,
            2);
}

TEST_F(JetutilTest, EverySubcommandHasHelp) {
  for (const std::string sub : {"load", "backup", "restore", "records", "dump", "check", "recover"}) {
    const Outcome o = Run({sub, "--help"});
    EXPECT_EQ(o.status, 0) << sub;
    EXPECT_NE(o.out.find(sub), std::string::npos) << sub << ":\n" << o.out;
  }
}

TEST_F(JetutilTest, MalformedLoadLineIsAUsageErrorNamingTheLine) {
  const std::string input = "t1\t00\t11\nt1\t0g\t22\n";
  const Outcome o = Run({"load", "--system-path", dir_.string(), "--log-path", dir_.string(), "--db",
                         (dir_ / "x.edb").string(), "--create"},
                        input);
  EXPECT_EQ(o.status, 2);
  EXPECT_NE(o.err.find("line 2"), std::string::npos) << o.err;
  EXPECT_FALSE(fs::exists(dir_ / "x.edb")) << "a malformed input must change nothing";
}

// ---- engine errors: exit 1 and the jetutil: JET_err line ---------------------------

TEST_F(JetutilTest, MissingFileIsFileNotFound) {
  for (const char* sub : {"dump", "check"}) {
    const Outcome o = Run({sub, (dir_ / "absent.edb").string()});
    EXPECT_EQ(o.status, 1) << sub;
    EXPECT_EQ(o.err.rfind("jetutil: JET_errFileNotFound (-1811): ", 0), 0u) << sub << ": " << o.err;
  }
}

TEST_F(JetutilTest, JsonErrorReportParses) {
  const Outcome o = Run({"dump", "--json", (dir_ / "absent.edb").string()});
  EXPECT_EQ(o.status, 1);
  const auto report = nlohmann::json::parse(o.out);
  EXPECT_EQ(report.at("err"), -1811);
  EXPECT_EQ(report.at("name"), "JET_errFileNotFound");
}

TEST_F(JetutilTest, DumpOfAnUnknownFileTypeIsFileInvalidType) {
  WriteBytes(dir_ / "junk", Bytes(8192, 0x5A));
  const Outcome o = Run({"dump", (dir_ / "junk").string()});
  EXPECT_EQ(o.status, 1);
  EXPECT_EQ(o.err.rfind("jetutil: JET_errFileInvalidType (-1812): ", 0), 0u) << o.err;
}

// ---- dump and check on files made by the engine's encoders --------------------------

constexpr format::LogTime kTime{{5, 4, 12, 25, 10, 126, 0x01, 0}};

// A database image: header + shadow, then pages 1..3, where pages 2 and 3 are leaf
// siblings of tree objid 5 (2.next = 3, 3.prev = 2) and page 1 is free (zeros).
Bytes MakeDatabase(std::uint32_t page_size) {
  format::DbHeader h;
  h.page_size = page_size;
  h.dbstate = format::DbState::kCleanShutdown;
  h.sign_db = format::MakeSignature(0x1234, kTime);
  h.sign_log = format::MakeSignature(0x5678, kTime);
  h.lgpos_consistent = {0x10, 2, 3};
  h.pgno_last = 3;
  Bytes file(5 * page_size);
  format::EncodeDbHeader(h, std::span(file).subspan(0, page_size));
  format::EncodeDbHeader(h, std::span(file).subspan(page_size, page_size));
  for (std::uint32_t pgno : {2u, 3u}) {
    auto page = std::span(file).subspan((pgno + 1) * page_size, page_size);
    format::InitPage(page, 5, format::kPageFlagLeaf, 100 + pgno);
    auto header = format::LoadPageHeader(page);
    header.pgno_next = pgno == 2 ? 3 : 0;
    header.pgno_prev = pgno == 3 ? 2 : 0;
    format::StorePageHeader(page, header);
    const Bytes node = {3, 'k', 'e', 'y', 'v'};
    EXPECT_EQ(format::InsertNode(page, 0, node), JET_errSuccess);
    format::SealPage(page, pgno);
  }
  return file;
}

TEST_F(JetutilTest, DumpDatabaseHeader) {
  WriteBytes(dir_ / "db.edb", MakeDatabase(8192));
  const Outcome text = Run({"dump", (dir_ / "db.edb").string()});
  ASSERT_EQ(text.status, 0) << text.err;
  EXPECT_NE(text.out.find("dbstate: Clean Shutdown (3)"), std::string::npos) << text.out;
  const Outcome json = Run({"dump", "--json", (dir_ / "db.edb").string()});
  ASSERT_EQ(json.status, 0) << json.err;
  const auto doc = nlohmann::json::parse(json.out);
  EXPECT_EQ(doc.at("file_type"), "database");
  EXPECT_EQ(doc.at("page_size"), 8192);
  EXPECT_EQ(doc.at("lgpos_consistent"), "(00000003,0002,0010)");
  EXPECT_EQ(doc.at("header_copies").at("shadow"), "ok");
}

TEST_F(JetutilTest, DumpDatabaseFallsBackToTheShadow) {
  Bytes file = MakeDatabase(4096);
  file[700] ^= 0xFF;  // primary checksum now wrong
  WriteBytes(dir_ / "db.edb", file);
  const Outcome o = Run({"dump", "--json", (dir_ / "db.edb").string()});
  ASSERT_EQ(o.status, 0) << o.err;
  const auto doc = nlohmann::json::parse(o.out);
  EXPECT_EQ(doc.at("header_copies").at("primary"), "JET_errReadVerifyFailure");
  EXPECT_EQ(doc.at("header_copies").at("shadow"), "ok");
}

TEST_F(JetutilTest, DumpLogHeader) {
  format::LogFileHeader h;
  h.generation = 7;
  h.csec_file = 4;
  h.page_size = 8192;
  h.tm_create = kTime;
  h.sign_log = format::MakeSignature(0x5678, kTime);
  h.attach = {format::AttachInfo{1, "/data/main.edb", h.sign_log, {0, 1, 1}, {}, 8192}};
  Bytes file(4 * format::kLogSectorSize);
  ASSERT_EQ(format::EncodeLogFileHeader(
                h, std::span<std::uint8_t, format::kLogHeaderSize>(file.data(), format::kLogHeaderSize)),
            JET_errSuccess);
  WriteBytes(dir_ / "edb00007.log", file);
  const Outcome o = Run({"dump", "--json", (dir_ / "edb00007.log").string()});
  ASSERT_EQ(o.status, 0) << o.err;
  const auto doc = nlohmann::json::parse(o.out);
  EXPECT_EQ(doc.at("file_type"), "log");
  EXPECT_EQ(doc.at("generation"), 7);
  EXPECT_EQ(doc.at("file_size_matches_header"), true);
  EXPECT_EQ(doc.at("attached").at(0).at("path"), "/data/main.edb");
}

TEST_F(JetutilTest, DumpCheckpoint) {
  format::Checkpoint c;
  c.checkpoint = {0x28, 1, 4};
  c.sign_log = format::MakeSignature(0x5678, kTime);
  Bytes file(2 * format::kCheckpointCopySize);
  for (int copy = 0; copy < 2; ++copy) {
    ASSERT_EQ(
        format::EncodeCheckpoint(c, std::span<std::uint8_t, format::kCheckpointCopySize>(
                                        file.data() + copy * format::kCheckpointCopySize, format::kCheckpointCopySize)),
        JET_errSuccess);
  }
  file[100] ^= 1;  // first copy damaged: the second carries it
  WriteBytes(dir_ / "edb.chk", file);
  const Outcome o = Run({"dump", "--json", (dir_ / "edb.chk").string()});
  ASSERT_EQ(o.status, 0) << o.err;
  const auto doc = nlohmann::json::parse(o.out);
  EXPECT_EQ(doc.at("file_type"), "checkpoint");
  EXPECT_EQ(doc.at("checkpoint"), "(00000004,0001,0028)");
  EXPECT_EQ(doc.at("copies").at("first"), "JET_errCheckpointCorrupt");
}

TEST_F(JetutilTest, CheckAcceptsASoundDatabase) {
  WriteBytes(dir_ / "db.edb", MakeDatabase(4096));
  const Outcome o = Run({"check", "--json", (dir_ / "db.edb").string()});
  ASSERT_EQ(o.status, 0) << o.err;
  const auto doc = nlohmann::json::parse(o.out);
  EXPECT_EQ(doc.at("pages_checked"), 3);
  EXPECT_TRUE(doc.at("damaged_pages").empty());
}

TEST_F(JetutilTest, CheckReportsADamagedPage) {
  Bytes file = MakeDatabase(4096);
  file[(3 + 1) * 4096 + 2000] ^= 0x10;  // one bit of page 3
  WriteBytes(dir_ / "db.edb", file);
  const Outcome o = Run({"check", (dir_ / "db.edb").string()});
  EXPECT_EQ(o.status, 1);
  EXPECT_EQ(o.err.rfind("jetutil: JET_errReadVerifyFailure (-1018): ", 0), 0u) << o.err;
  EXPECT_NE(o.out.find("page 3: JET_errReadVerifyFailure"), std::string::npos) << o.out;
  // Page 2's next link now points at a page that is not valid.
  EXPECT_NE(o.out.find("page 2: JET_errBadPageLink"), std::string::npos) << o.out;
}

TEST_F(JetutilTest, CheckReportsAOneSidedLink) {
  Bytes file = MakeDatabase(4096);
  auto page3 = std::span(file).subspan(4 * 4096, 4096);
  auto header = format::LoadPageHeader(page3);
  header.pgno_prev = 0;  // 2 -> 3 but not 3 -> 2
  format::StorePageHeader(page3, header);
  format::SealPage(page3, 3);
  WriteBytes(dir_ / "db.edb", file);
  const Outcome o = Run({"check", "--json", (dir_ / "db.edb").string()});
  EXPECT_EQ(o.status, 1);
  const auto doc = nlohmann::json::parse(o.out);
  EXPECT_EQ(doc.at("name"), "JET_errBadPageLink");
  EXPECT_EQ(doc.at("damaged_pages").at(0).at("pgno"), 2);
}

// ---- end to end through the engine: load, records, recover, dump of real files ------

class JetutilEngineTest : public JetutilTest {
 protected:
  std::vector<std::string> InstanceArgs(std::vector<std::string> args) const {
    for (const char* a : {"--system-path", "--log-path"}) args.push_back(a), args.push_back((dir_ / "inst").string());
    return args;
  }
  std::string Db() const { return (dir_ / "db.edb").string(); }
  Outcome Load(const std::string& input, std::vector<std::string> extra = {}) {
    std::vector<std::string> args = InstanceArgs({"load", "--db", Db()});
    args.insert(args.end(), extra.begin(), extra.end());
    return Run(args, input);
  }
};

// Lines in, records out: later lines replace earlier ones; output is sorted by table,
// then key, in lowercase hex; transactions of 2 lines exercise several commits.
TEST_F(JetutilEngineTest, LoadThenRecordsRoundTrips) {
  const std::string input = "zeta\t02\tBEEF\nalpha\t0a0b\t\nzeta\t01\t00ff\nalpha\t0a0b\t11\nzeta\t02\tcafe\n";
  const Outcome load = Load(input, {"--create", "--txn-size", "2"});
  ASSERT_EQ(load.status, 0) << load.err;
  const Outcome records = Run({"records", Db()});
  ASSERT_EQ(records.status, 0) << records.err;
  EXPECT_EQ(records.out, "alpha\t0a0b\t11\nzeta\t01\t00ff\nzeta\t02\tcafe\n");

  const Outcome json = Run({"records", "--json", Db()});
  ASSERT_EQ(json.status, 0) << json.err;
  const auto doc = nlohmann::json::parse(json.out);
  ASSERT_EQ(doc.at("records").size(), 3u);
  EXPECT_EQ(doc.at("records").at(0).at("table"), "alpha");
}

// A second load into the existing database adds to it (attach, not create).
TEST_F(JetutilEngineTest, LoadAppendsToAnExistingDatabase) {
  ASSERT_EQ(Load("t\t01\taa\n", {"--create"}).status, 0);
  const Outcome second = Load("t\t02\tbb\nt\t01\tcc\n");
  ASSERT_EQ(second.status, 0) << second.err;
  EXPECT_EQ(Run({"records", Db()}).out, "t\t01\tcc\nt\t02\tbb\n");
}

// Random content, seeded: what goes in comes out, whatever the bytes.
TEST_F(JetutilEngineTest, RandomContentRoundTrips) {
  const std::uint32_t seed = 20261125;
  std::mt19937 rng(seed);
  std::map<std::pair<std::string, std::string>, std::string> expected;
  std::string input;
  auto hex = [&rng](std::size_t n) {
    static constexpr char kDigits[] = "0123456789abcdef";
    std::string s;
    for (std::size_t i = 0; i < 2 * n; ++i) s.push_back(kDigits[rng() % 16]);
    return s;
  };
  for (int i = 0; i < 300; ++i) {
    const std::string table = fmt::format("table{}", rng() % 3);
    const std::string key = hex(1 + rng() % 3);  // short keys: plenty of replacements
    const std::string value = hex(rng() % 40);
    expected[{table, key}] = value;
    input += fmt::format("{}\t{}\t{}\n", table, key, value);
  }
  ASSERT_EQ(Load(input, {"--create", "--txn-size", "37"}).status, 0) << "seed " << seed;
  std::string want;
  for (const auto& [table_key, value] : expected)
    want += fmt::format("{}\t{}\t{}\n", table_key.first, table_key.second, value);
  EXPECT_EQ(Run({"records", Db()}).out, want) << "seed " << seed;
}

// --no-term leaves the files as a crash would; recover makes the database clean again
// with every committed line in it.
TEST_F(JetutilEngineTest, NoTermThenRecover) {
  ASSERT_EQ(Load("t\t01\taa\nt\t02\tbb\n", {"--create", "--no-term"}).status, 0);
  const Outcome dirty = Run({"dump", "--json", Db()});
  ASSERT_EQ(dirty.status, 0) << dirty.err;
  EXPECT_EQ(nlohmann::json::parse(dirty.out).at("dbstate"), "Dirty Shutdown (2)");
  EXPECT_EQ(Run({"records", Db()}).status, 1) << "a dirty database cannot be read without recovery";

  const Outcome recover = Run(InstanceArgs({"recover"}));
  ASSERT_EQ(recover.status, 0) << recover.err;
  EXPECT_EQ(nlohmann::json::parse(Run({"dump", "--json", Db()}).out).at("dbstate"), "Clean Shutdown (3)");
  EXPECT_EQ(Run({"records", Db()}).out, "t\t01\taa\nt\t02\tbb\n");
}

TEST_F(JetutilEngineTest, DumpAndCheckRealFiles) {
  ASSERT_EQ(Load("t\t01\taa\n", {"--create"}).status, 0);
  const auto db = nlohmann::json::parse(Run({"dump", "--json", Db()}).out);
  EXPECT_EQ(db.at("file_type"), "database");
  const auto log = nlohmann::json::parse(Run({"dump", "--json", (dir_ / "inst" / "edb.log").string()}).out);
  EXPECT_EQ(log.at("file_type"), "log");
  EXPECT_EQ(log.at("sign_log"), db.at("sign_log")) << "the database belongs to this log set";
  const auto chk = nlohmann::json::parse(Run({"dump", "--json", (dir_ / "inst" / "edb.chk").string()}).out);
  EXPECT_EQ(chk.at("file_type"), "checkpoint");
  EXPECT_EQ(chk.at("sign_log"), db.at("sign_log"));
  const Outcome check = Run({"check", Db()});
  EXPECT_EQ(check.status, 0) << check.out << check.err;
}

// A database with split leaves and long values (values larger than a page) is sound:
// check must follow leaf sibling lists and forward-only long-value chains, each by its
// own rule (a long-value chain once read as a one-sided leaf link was a false alarm).
TEST_F(JetutilEngineTest, CheckAcceptsLongValuesAndSplitLeaves) {
  const std::uint32_t seed = 4711;
  std::mt19937 rng(seed);
  std::string input;
  for (int i = 0; i < 400; ++i) {
    const std::size_t value_bytes = i % 25 == 0 ? 4096 + rng() % 20000 : rng() % 300;
    std::string value;
    for (std::size_t b = 0; b < value_bytes; ++b) value += fmt::format("{:02x}", rng() % 256);
    input += fmt::format("t{}\t{:08x}\t{}\n", rng() % 2, rng(), value);
  }
  ASSERT_EQ(Load(input, {"--create", "--txn-size", "50"}).status, 0) << "seed " << seed;
  const Outcome check = Run({"check", "--json", Db()});
  ASSERT_EQ(check.status, 0) << "seed " << seed << "\n" << check.out << check.err;
  EXPECT_GT(nlohmann::json::parse(check.out).at("pages_checked").get<int>(), 20) << "the data spans many pages";
}

// Backup, more work, then the database is lost: restore brings back the backup and
// replays the later logs, so every committed line is there (docs/ESE_FACTS.md §3.2). Each jetutil
// command is its own engine run, so the later work starts after a restart: the case
// engine test BackupRestoreTest.RestoreAfterARestartReplaysTheLaterGenerations covers.
TEST_F(JetutilEngineTest, BackupThenRestoreRecoversLaterWork) {
  ASSERT_EQ(Load("t\t01\taa\n", {"--create"}).status, 0);
  const std::string backup_dir = (dir_ / "backup").string();
  const Outcome backup = Run(InstanceArgs({"backup", "--to", backup_dir, "--db", Db()}));
  ASSERT_EQ(backup.status, 0) << backup.err;
  ASSERT_EQ(Load("t\t02\tbb\n").status, 0);
  fs::remove(Db());

  const Outcome restore = Run(InstanceArgs({"restore", backup_dir}));
  ASSERT_EQ(restore.status, 0) << restore.err;
  EXPECT_NE(restore.err.find("restore: complete"), std::string::npos) << "plain progress lines when not a tty:\n"
                                                                      << restore.err;
  EXPECT_EQ(Run({"records", Db()}).out, "t\t01\taa\nt\t02\tbb\n");
}

// --link-memory (JET_paramRestoreLinkMemoryMax): with a budget below the page link
// table, the table goes to <database>.jetlinks during the restore; the restore ends the
// same and leaves no scratch file. A zero budget is a usage error.
TEST_F(JetutilEngineTest, RestoreWithASmallLinkMemoryEndsTheSameAndLeavesNoScratchFile) {
  std::string input;
  for (int i = 0; i < 2000; ++i) input += fmt::format("t\t{:08x}\t{}\n", i, std::string(600, 'b'));
  ASSERT_EQ(Load(input, {"--create"}).status, 0);
  const std::string backup_dir = (dir_ / "backup").string();
  ASSERT_EQ(Run(InstanceArgs({"backup", "--to", backup_dir, "--db", Db()})).status, 0);
  const fs::path fresh = dir_ / "fresh";
  const Outcome o = Run({"restore", backup_dir, "--system-path", (fresh / "sys").string(), "--log-path",
                         (fresh / "log").string(), "--dest", (fresh / "dbs").string(), "--link-memory", "1K"});
  ASSERT_EQ(o.status, 0) << o.err;
  EXPECT_EQ(Run({"records", (fresh / "dbs" / "db.edb").string()}).out, input);
  for (const auto& entry : fs::directory_iterator(fresh / "dbs")) {
    EXPECT_EQ(entry.path().filename(), "db.edb") << "only the database is left";
  }
  EXPECT_EQ(Run({"restore", backup_dir, "--system-path", (dir_ / "f2").string(), "--log-path", (dir_ / "f2").string(),
                 "--link-memory", "0"})
                .status,
            2);
}

// On a terminal, progress is one line redrawn in place ("\r"), ended by a single newline
// at 100%; no plain "restore: ..." lines. stderr is a pseudo-terminal here (forkpty);
// stdout, a file, gets the summary line.
TEST_F(JetutilEngineTest, RestoreProgressOnATerminalIsOneRedrawnLine) {
  std::string input;
  for (int i = 0; i < 3000; ++i) input += fmt::format("t\t{:08x}\t{}\n", i, std::string(200, 'a'));
  ASSERT_EQ(Load(input, {"--create", "--txn-size", "100"}).status, 0);
  const std::string backup_dir = (dir_ / "backup").string();
  ASSERT_EQ(Run(InstanceArgs({"--log-file-size", "64", "backup", "--to", backup_dir, "--db", Db()})).status, 0);
  const std::string fresh = (dir_ / "fresh").string();
  const std::string out_path = (dir_ / "tty-stdout").string();
  std::vector<std::string> args = {JETUTIL_PATH, "--log-file-size", "64",  "restore", backup_dir,    "--system-path",
                                   fresh,        "--log-path",      fresh, "--dest",  fresh + "/dbs"};
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  int master = -1;
  const pid_t pid = forkpty(&master, nullptr, nullptr, nullptr);
  ASSERT_GE(pid, 0) << "forkpty";
  if (pid == 0) {
    const int out = open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (out < 0 || dup2(out, STDOUT_FILENO) < 0) _exit(126);
    execv(argv[0], argv.data());
    _exit(127);
  }
  std::string tty;
  char buf[4096];
  for (ssize_t n; (n = read(master, buf, sizeof buf)) > 0;) tty.append(buf, static_cast<std::size_t>(n));
  close(master);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << tty;
  EXPECT_NE(tty.find("\rrestore ["), std::string::npos) << tty;
  EXPECT_NE(tty.find("100%"), std::string::npos) << tty;
  EXPECT_EQ(std::count(tty.begin(), tty.end(), '\n'), 1) << "one line, redrawn:\n" << tty;
  EXPECT_EQ(tty.find("restore: "), std::string::npos) << tty;
  const std::string out = ReadText(out_path);
  EXPECT_EQ(std::count(out.begin(), out.end(), '\n'), 1) << out;
  EXPECT_NE(out.find("1 database, "), std::string::npos) << out;
}

TEST_F(JetutilEngineTest, RestoreFromAMissingDirectoryFails) {
  const Outcome o = Run(InstanceArgs({"restore", (dir_ / "no-such-backup").string()}));
  EXPECT_EQ(o.status, 1);
  // After the progress lines: the error line.
  EXPECT_NE(o.err.find("\njetutil: JET_err"), std::string::npos) << o.err;
  // The engine's detail names the directory it could not use.
  const Outcome json = Run(InstanceArgs({"--json", "restore", (dir_ / "no-such-backup").string()}));
  EXPECT_EQ(json.status, 1);
  const auto doc = nlohmann::json::parse(json.out);
  EXPECT_EQ(doc.at("name"), "JET_errInvalidPath");
  EXPECT_NE(doc.at("detail").get<std::string>().find("no-such-backup"), std::string::npos) << json.out;
}

// A full backup without --db would hold no database (a clean shutdown detached them):
// refused as a usage error naming --db, with nothing written; --logs-only allows it.
TEST_F(JetutilEngineTest, BackupWithoutADatabaseIsRefusedUnlessLogsOnly) {
  ASSERT_EQ(Load("t\t01\taa\n", {"--create"}).status, 0);
  const fs::path backup_dir = dir_ / "backup";
  const Outcome refused = Run(InstanceArgs({"backup", "--to", backup_dir.string()}));
  EXPECT_EQ(refused.status, 2);
  EXPECT_NE(refused.err.find("--db"), std::string::npos) << refused.err;
  EXPECT_FALSE(fs::exists(backup_dir)) << "nothing written";
  const Outcome logs_only = Run(InstanceArgs({"backup", "--to", backup_dir.string(), "--logs-only"}));
  EXPECT_EQ(logs_only.status, 0) << logs_only.err;
  EXPECT_NE(logs_only.out.find("(0 databases)"), std::string::npos) << logs_only.out;
  EXPECT_TRUE(fs::exists(backup_dir / "jetbackup.manifest"));
}

// Onto a fresh machine: the log, system and --dest directories do not exist (the
// engine alone would refuse them: JET_errInvalidPath; jetutil sets
// JET_paramCreatePathIfNotExist). Progress off a terminal is a few lines, never one per
// percent, and one summary line ends the restore.
TEST_F(JetutilEngineTest, RestoreOntoAFreshMachineEndsWithOneSummaryLine) {
  std::string input;
  for (int i = 0; i < 3000; ++i) input += fmt::format("t\t{:08x}\t{}\n", i, std::string(200, 'a'));
  ASSERT_EQ(Load(input, {"--create", "--txn-size", "100"}).status, 0);
  const std::string backup_dir = (dir_ / "backup").string();
  ASSERT_EQ(Run(InstanceArgs({"--log-file-size", "64", "backup", "--to", backup_dir, "--db", Db()})).status, 0);
  const fs::path fresh = dir_ / "fresh";
  const Outcome o = Run({"--log-file-size", "64", "restore", backup_dir, "--system-path", (fresh / "sys").string(),
                         "--log-path", (fresh / "log").string(), "--dest", (fresh / "dbs").string()});
  ASSERT_EQ(o.status, 0) << o.err;
  std::vector<std::string> progress;
  std::istringstream lines(o.err);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("restore: ", 0) == 0) progress.push_back(line);
  }
  ASSERT_GE(progress.size(), 2u) << o.err;
  EXPECT_EQ(progress.front(), "restore: begin");
  EXPECT_EQ(progress.back(), "restore: complete");
  EXPECT_LE(progress.size(), 12u) << "at most begin, each 10% step and complete:\n" << o.err;
  // stdout: exactly one line, the summary.
  EXPECT_EQ(std::count(o.out.begin(), o.out.end(), '\n'), 1) << o.out;
  EXPECT_NE(o.out.find("1 database, "), std::string::npos) << o.out;
  EXPECT_NE(o.out.find(" replayed, "), std::string::npos) << o.out;
  EXPECT_NE(o.out.find(" MiB, "), std::string::npos) << o.out;
  EXPECT_EQ(Run({"records", (fresh / "dbs" / "db.edb").string()}).out, input);
  // -v: the engine's restore events, one JSON object per line, the result last.
  const Outcome verbose = Run({"-v", "--log-file-size", "64", "restore", backup_dir, "--system-path",
                               (dir_ / "fresh3").string(), "--log-path", (dir_ / "fresh3").string(), "--dest",
                               (dir_ / "fresh3" / "dbs").string()});
  ASSERT_EQ(verbose.status, 0) << verbose.err;
  std::vector<nlohmann::json> events;
  std::istringstream event_lines(verbose.err);
  for (std::string line; std::getline(event_lines, line);) {
    if (line.rfind("{\"event\"", 0) == 0) events.push_back(nlohmann::json::parse(line));
  }
  ASSERT_GE(events.size(), 5u) << verbose.err;
  EXPECT_EQ(events.front().at("event"), "restore_begin");
  EXPECT_EQ(events.back().at("event"), "result");
  EXPECT_EQ(events.back().at("err"), 0);
  const Outcome json = Run({"--json", "--log-file-size", "64", "restore", backup_dir, "--system-path",
                            (dir_ / "fresh2").string(), "--log-path", (dir_ / "fresh2").string(), "--dest",
                            (dir_ / "fresh2" / "dbs").string()});
  ASSERT_EQ(json.status, 0) << json.err;
  const auto doc = nlohmann::json::parse(json.out);
  EXPECT_EQ(doc.at("databases"), 1);
  EXPECT_GE(doc.at("generations_replayed").get<int>(), 1);
  EXPECT_GT(doc.at("bytes").get<std::uint64_t>(), std::uint64_t{3000} * 200);
}

// load reads its input twice without holding it: from a pipe it is spooled to a
// temporary file; either way a malformed line, even the last, changes nothing.
TEST_F(JetutilEngineTest, LoadFromAPipeStreamsAndAMalformedLastLineChangesNothing) {
  std::string input;
  for (int i = 0; i < 500; ++i) input += fmt::format("t\t{:04x}\t{:02x}\n", i, i % 256);
  const fs::path file = dir_ / "input.txt";
  { std::ofstream(file, std::ios::binary) << input << "t\tzz\t00\n"; }
  const std::vector<std::string> args = InstanceArgs({"load", "--db", Db(), "--create", "--txn-size", "64"});
  auto piped = [&](const fs::path& from) {
    bp::ipstream out_pipe;
    const fs::path err = dir_ / "pipe-stderr";
    fs::remove(err);
    bp::opstream in_pipe;
    bp::child child(bp::exe = JETUTIL_PATH, bp::args = args, bp::std_in<in_pipe, bp::std_out> bp::null,
                    bp::std_err > err.string());
    in_pipe << ReadText(from);
    in_pipe.flush();
    in_pipe.pipe().close();
    child.wait();
    return Outcome{child.exit_code(), "", ReadText(err)};
  };
  const Outcome bad = piped(file);
  EXPECT_EQ(bad.status, 2);
  EXPECT_NE(bad.err.find("line 501"), std::string::npos) << bad.err;
  EXPECT_FALSE(fs::exists(Db()));
  { std::ofstream(file, std::ios::binary) << input; }
  const Outcome good = piped(file);
  ASSERT_EQ(good.status, 0) << good.err;
  const Outcome records = Run({"records", Db()});
  ASSERT_EQ(records.status, 0) << records.err;
  EXPECT_EQ(records.out, input);
}

TEST_F(JetutilEngineTest, AttachingAMissingDatabaseIsAnEngineError) {
  const Outcome o = Load("t\t01\taa\n");  // no --create, no file
  EXPECT_EQ(o.status, 1);
  EXPECT_EQ(o.err.rfind("jetutil: JET_err", 0), 0u) << o.err;
}

}  // namespace

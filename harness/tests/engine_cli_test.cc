// The `jetfault` executable: its subcommands, report files, replay lines, and the
// real-files workload that a later recovery must reproduce exactly.
#include <gtest/gtest.h>

#include <boost/filesystem.hpp>
#include <boost/process.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "faultfs/posix_fs.h"
#include "harness/core/errmap.h"
#include "harness/core/hash.h"
#include "harness/core/hex.h"
#include "harness/core/report.h"
#include "harness/engine/scenarios.h"

namespace jetharness {
namespace {

namespace bp = boost::process;
namespace fs = boost::filesystem;

struct Output {
  int status = -1;
  std::string out;
};

Output Jetfault(const std::vector<std::string>& args, const std::string& start_dir = ".") {
  bp::ipstream out;
  bp::child child(JETFAULT_BINARY, bp::args(args), bp::std_out > out, bp::std_err > bp::null, bp::start_dir(start_dir));
  Output result;
  std::string line;
  while (std::getline(out, line)) result.out += line + "\n";
  child.wait();
  result.status = child.exit_code();
  return result;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

class TempDir {
 public:
  TempDir() : path_(fs::temp_directory_path() / fs::unique_path("jetfault-test-%%%%-%%%%")) {
    fs::create_directories(path_);
  }
  ~TempDir() {
    boost::system::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  std::string operator/(const std::string& name) const { return (path_ / name).string(); }
  std::string str() const { return path_.string(); }

 private:
  fs::path path_;
};

TEST(JetfaultCli, ErrmapMarkdownIsTheGeneratedDocument) {
  Output o = Jetfault({"errmap", "--markdown"});
  EXPECT_EQ(o.status, 0);
  EXPECT_EQ(o.out, ErrorMapMarkdown());
}

TEST(JetfaultCli, ListNamesEveryScenario) {
  Output o = Jetfault({"list"});
  EXPECT_EQ(o.status, 0);
  for (const char* name :
       {"crash-workload", "crash-restore", "missing-log", "corrupt-page", "corrupt-log", "foreign-log",
        "sharing-violation", "io-error", "oom", "bad-args", "circular-log", "property"}) {
    EXPECT_NE(o.out.find(name), std::string::npos) << name;
  }
}

TEST(JetfaultCli, RunWritesReportsAndItsExitStatusFollowsThem) {
  TempDir dir;
  Output o = Jetfault({"run", "--scenario", "bad-args", "--scenario", "crash-workload", "--cases", "1", "--seed", "3",
                       "--json", dir / "r.json", "--junit", dir / "r.xml", "--html", dir / "r.html"});
  nlohmann::json j = nlohmann::json::parse(ReadFile(dir / "r.json"));
  EXPECT_EQ(j["seed"], 3);
  ASSERT_EQ(j["scenarios"].size(), 2u);
  EXPECT_EQ(j["scenarios"][0]["name"], "bad-args");
  EXPECT_EQ(j["scenarios"][1]["cases"], 1);
  EXPECT_TRUE(j["errmap"]["cells"].is_number());
  EXPECT_EQ(o.status == 0, j["ok"].get<bool>()) << o.out;
  EXPECT_NE(ReadFile(dir / "r.xml").find("<testsuites"), std::string::npos);
  EXPECT_NE(ReadFile(dir / "r.html").find("Fault class"), std::string::npos);
  // Every failure's replay line reproduces its trace hash.
  int replayed = 0;
  for (const auto& s : j["scenarios"]) {
    for (const auto& f : s["failures"]) {
      if (replayed++ >= 2) break;
      std::istringstream words(f["replay"].get<std::string>());
      std::vector<std::string> args;
      for (std::string w; words >> w;) args.push_back(w);
      ASSERT_GE(args.size(), 2u);
      args.erase(args.begin());  // "jetfault"
      Output r = Jetfault(args);
      EXPECT_NE(r.out.find(f["trace_hash"].get<std::string>()), std::string::npos) << f["replay"] << "\n" << r.out;
    }
  }
}

TEST(JetfaultCli, BadShardAndUnknownScenarioAreUsageErrors) {
  EXPECT_EQ(Jetfault({"run", "--shard", "3/2"}).status, 2);
  EXPECT_EQ(Jetfault({"run", "--scenario", "no-such-thing"}).status, 2);
}

// `jetfault workload` leaves a crashed instance on real files; recovering it must
// show exactly the records it wrote to --expected.
TEST(JetfaultCli, WorkloadOnRealFilesRecoversToTheExpectedRecords) {
  TempDir dir;
  std::string inst = dir / "inst";
  Output o = Jetfault({"workload", "--dir", inst, "--seed", "5", "--txns", "12", "--backup-after", "4", "--inflight",
                       "2", "--expected", dir / "expected.txt"});
  ASSERT_EQ(o.status, 0) << o.out;
  std::string error;
  auto expected = ParseRecords(ReadFile(dir / "expected.txt"), &error);
  ASSERT_TRUE(expected.has_value()) << error;
  EXPECT_FALSE(expected->empty());
  EXPECT_EQ(FormatRecords(*expected), ReadFile(dir / "expected.txt"));  // sorted, lowercase
  EXPECT_TRUE(fs::exists(inst + "/backup"));

  Env env;
  WorkloadConfig config;
  config.seed = 5;
  env.spec = GenerateWorkload(config);
  env.settings.layout.system_dir = env.settings.layout.log_dir = env.settings.layout.db_dir = inst;
  env.settings.page_size = 8192;
  env.settings.log_file_kib = 1024;
  EngineInstance instance(&faultfs::DefaultPosixFs(), env.settings);
  ASSERT_GE(instance.Init(), 0) << instance.failure().ToString();
  ReadBack read = ReadAllDatabases(instance, env.spec, 10'000);
  ASSERT_FALSE(instance.failure().failed()) << instance.failure().ToString();
  EXPECT_EQ(read.physical_problem, "");
  EXPECT_EQ(FormatRecords(read.state), FormatRecords(*expected));
  EXPECT_GE(instance.Term(), 0);
}

// A relative --dir is made absolute before the engine sees it: the backup records the
// database's absolute path, so a restore without a destination (from any working
// directory) finds its way back.
TEST(JetfaultCli, WorkloadWithARelativeDirRecordsAbsoluteDatabasePaths) {
  TempDir dir;
  Output o = Jetfault(
      {"workload", "--dir", "rel", "--seed", "3", "--txns", "6", "--backup-after", "3", "--expected", "expected.txt"},
      dir.str());
  ASSERT_EQ(o.status, 0) << o.out;
  const std::string manifest = ReadFile(dir / "rel/backup/jetbackup.manifest");
  ASSERT_FALSE(manifest.empty());
  EXPECT_NE(manifest.find(fs::canonical(dir.str()).string() + "/rel/db0.edb"), std::string::npos)
      << "the manifest names the database by its absolute path";
}

// `jetfault merge`: the shards of a campaign combined into the unsharded run's table;
// a failed or missing shard makes it fail.
TEST(JetfaultCli, MergeOfShardsIsTheWholeRunAndFailsWithAFailedShard) {
  TempDir dir;
  const std::vector<std::string> campaign = {
      "run", "--scenario", "sharing-violation", "--scenario", "bad-args", "--cases", "4", "--seed", "5", "--jobs", "2"};
  auto run = [&](const std::vector<std::string>& extra) {
    std::vector<std::string> args = campaign;
    args.insert(args.end(), extra.begin(), extra.end());
    return Jetfault(args);
  };
  Output whole = run({"--json", dir / "whole.json"});
  ASSERT_EQ(whole.status, 0) << whole.out;
  ASSERT_EQ(run({"--shard", "1/2", "--json", dir / "s1.json"}).status, 0);
  ASSERT_EQ(run({"--shard", "2/2", "--json", dir / "s2.json"}).status, 0);

  Output merged = Jetfault({"merge", dir / "s1.json", dir / "s2.json", "--json", dir / "merged.json"});
  EXPECT_EQ(merged.status, 0) << merged.out;
  auto table = [](const std::string& text) { return text.substr(text.find("\n\n")); };  // after the timed line
  EXPECT_EQ(table(merged.out), table(whole.out));
  EXPECT_EQ(JsonReportWithoutTimes(ReportFromJson(nlohmann::json::parse(ReadFile(dir / "merged.json")))),
            JsonReportWithoutTimes(ReportFromJson(nlohmann::json::parse(ReadFile(dir / "whole.json")))));

  Output missing = Jetfault({"merge", dir / "s1.json"});
  EXPECT_EQ(missing.status, 1) << missing.out;
  EXPECT_NE(missing.out.find("INCOMPLETE: no report for shard(s) 2/2"), std::string::npos) << missing.out;
  EXPECT_EQ(Jetfault({"merge", dir / "s1.json", dir / "s1.json"}).status, 2);
  EXPECT_EQ(Jetfault({"merge", dir / "s1.json", dir / "whole.json"}).status, 2);  // 1/1 is not a shard of 2
  EXPECT_EQ(Jetfault({"merge", dir / "no-such.json"}).status, 2);

  // Shard 2 found a bug: the merge fails and prints its replay line.
  nlohmann::json failed = nlohmann::json::parse(ReadFile(dir / "s2.json"));
  auto& s = failed["scenarios"][0];
  s["passed"] = s["passed"].get<int>() - 1;
  s["failed"] = 1;
  s["failures"].push_back({{"step", 2},
                           {"what", "lost-durable-commit: injected by the test"},
                           {"fault_plan", "crash at op 7"},
                           {"trace_hash", "00000000deadbeef"},
                           {"replay", "jetfault replay sharing-violation --seed 5 --case 1 --step 2"}});
  std::ofstream(dir / "s2.json") << failed.dump(2);
  Output bad = Jetfault({"merge", dir / "s1.json", dir / "s2.json"});
  EXPECT_EQ(bad.status, 1) << bad.out;
  EXPECT_NE(bad.out.find("jetfault replay sharing-violation --seed 5 --case 1 --step 2"), std::string::npos) << bad.out;
  EXPECT_NE(bad.out.find("FAILED: 1 case(s)"), std::string::npos) << bad.out;
}

// --txns and the like: the JSON report says which workload ran, the replay of a case
// with the same flags prints the trace hash the campaign folded, and without them the
// case is another one (the flags reach the workload, in the worker processes too).
TEST(JetfaultCli, WorkloadSizeIsInTheReportAndTheReplayReproducesItsTraceHash) {
  TempDir dir;
  auto run = [&](const std::vector<std::string>& size, const std::string& json) {
    std::vector<std::string> args = {"run",    "--scenario", "crash-workload", "--cases", "1", "--seed", "5",
                                     "--jobs", "2",          "--json",         json};
    args.insert(args.end(), size.begin(), size.end());
    Output o = Jetfault(args);
    EXPECT_EQ(o.status, 0) << o.out;
    return ReportFromJson(nlohmann::json::parse(ReadFile(json)));
  };
  const std::vector<std::string> size = {"--txns", "12", "--keys", "40", "--value-bytes", "200"};
  CampaignReport sized = run(size, dir / "sized.json");
  CampaignReport plain = run({}, dir / "plain.json");
  EXPECT_EQ(nlohmann::json::parse(ReadFile(dir / "sized.json")).at("workload"),
            "--txns 12 --keys 40 --value-bytes 200");
  EXPECT_FALSE(nlohmann::json::parse(ReadFile(dir / "plain.json")).contains("workload"));
  ASSERT_EQ(sized.scenarios.size(), 1u);
  EXPECT_NE(sized.scenarios[0].trace_hash, plain.scenarios[0].trace_hash);

  std::vector<std::string> replay = {"replay", "crash-workload", "--seed", "5", "--case", "0"};
  replay.insert(replay.end(), size.begin(), size.end());
  Output o = Jetfault(replay);
  ASSERT_EQ(o.status, 0) << o.out;
  EXPECT_NE(o.out.find("jetfault replay crash-workload --seed 5 --case 0 --txns 12 --keys 40 --value-bytes 200"),
            std::string::npos)
      << o.out;
  const std::string marker = "case trace hash: ";
  ASSERT_NE(o.out.find(marker), std::string::npos) << o.out;
  std::uint64_t case_hash = std::stoull(o.out.substr(o.out.find(marker) + marker.size(), 16), nullptr, 16);
  EXPECT_EQ(Fold(0, case_hash), sized.scenarios[0].trace_hash) << o.out;

  // A size the generator cannot take is a usage error.
  EXPECT_EQ(Jetfault({"run", "--scenario", "oom", "--txns", "0"}).status, 2);
}

TEST(JetfaultCli, BenchComparesOneJobWithNAndChecksTheyAgree) {
  Output o = Jetfault({"bench", "--scenario", "sharing-violation", "--jobs", "2"});
  EXPECT_EQ(o.status, 0) << o.out;
  EXPECT_NE(o.out.find("--jobs 1:"), std::string::npos) << o.out;
  EXPECT_NE(o.out.find("speedup --jobs 2 over --jobs 1:"), std::string::npos) << o.out;
  EXPECT_EQ(o.out.find("differ"), std::string::npos) << o.out;
  EXPECT_EQ(Jetfault({"bench", "--jobs", "0"}).status, 2);
}

}  // namespace
}  // namespace jetharness

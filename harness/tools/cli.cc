#include "cli.h"

#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <thread>

#include "harness/core/campaign.h"
#include "harness/core/errmap.h"
#include "harness/core/report.h"
#include "harness/engine/posix_workload.h"
#include "harness/engine/process_child.h"
#include "harness/engine/scenarios.h"
#include "harness/fuse/fuse_mount.h"
#include "harness/fuse/scenarios.h"
#include "harness/sqlite/scenarios.h"

namespace jetharness {

namespace {

bool WriteFile(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  out.close();
  if (!out) std::fprintf(stderr, "jetfault: cannot write %s\n", path.c_str());
  return static_cast<bool>(out);
}

// One line on stderr, rewritten in place; only on a terminal.
class Progress {
 public:
  Progress() : enabled_(isatty(STDERR_FILENO) != 0) {}
  void Update(const std::string& scenario, std::uint64_t done, std::uint64_t planned) {
    if (!enabled_) return;
    std::string line = planned > 0 ? fmt::format("{:<18} {}/{} cases", scenario, done, planned)
                                   : fmt::format("{:<18} {} cases", scenario, done);
    std::fprintf(stderr, "\r%-60s", line.c_str());
    std::fflush(stderr);
  }
  void Done() {
    if (enabled_) std::fprintf(stderr, "\r%-60s\r", "");
  }

 private:
  bool enabled_;
};

struct ReportFiles {
  std::string json, junit, html;
};

// Writes the requested files; false if one could not be written.
bool WriteReports(const CampaignReport& report, const ReportFiles& files) {
  bool written = true;
  if (!files.json.empty()) written &= WriteFile(files.json, JsonReport(report).dump(2) + "\n");
  if (!files.junit.empty()) written &= WriteFile(files.junit, JunitReport(report));
  if (!files.html.empty()) written &= WriteFile(files.html, HtmlReport(report));
  return written;
}

void AddReportOptions(CLI::App* command, ReportFiles* files) {
  command->add_option("--json", files->json, "write the JSON report to FILE");
  command->add_option("--junit", files->junit, "write a JUnit XML report to FILE");
  command->add_option("--html", files->html, "write a self-contained HTML report to FILE");
}

// --txns, --keys, ... (WorkloadSize::Flags), each setting its field of *size; a value
// below the flag's minimum is left in *usage (exit status 2, as every usage error).
void AddWorkloadSizeOptions(CLI::App* command, WorkloadSize* size, std::string* usage) {
  for (const WorkloadSize::Flag& flag : WorkloadSize::Flags()) {
    const std::string name = flag.name;
    command
        ->add_option_function<std::uint64_t>(
            name,
            [size, usage, name, min = flag.min](std::uint64_t value) {
              if (!size->Set(name, value)) *usage = fmt::format("{} wants at least {}, got {}", name, min, value);
            },
            flag.help)
        ->group("Workload size (default: each scenario's own)");
  }
}

std::uint32_t AllCores() { return std::max(1u, std::thread::hardware_concurrency()); }

struct RunArgs {
  std::vector<std::string> scenarios;
  std::uint64_t seed = 1;
  std::optional<std::uint64_t> cases;
  std::optional<double> time;
  std::string shard = "1/1";
  std::uint32_t jobs = AllCores();
  WorkloadSize size;
  ReportFiles files;
  std::string engine, sqlite_journal, sqlite_synchronous;  // harness/sqlite/scenarios.h
};

int Run(const ScenarioRegistry& registry, const RunArgs& args) {
  CampaignOptions options;
  options.seed = args.seed;
  options.scenarios = args.scenarios;
  std::string usage = SelectEngineScenarios(registry, args.engine, args.sqlite_journal, args.sqlite_synchronous,
                                            &options.scenarios);
  if (!usage.empty()) {
    std::fprintf(stderr, "jetfault: %s\n", usage.c_str());
    return 2;
  }
  options.cases = args.cases;
  options.time_seconds = args.time;
  options.jobs = args.jobs;
  options.size = args.size;
  if (args.jobs == 0) {
    std::fprintf(stderr, "jetfault: --jobs wants at least 1\n");
    return 2;
  }
  if (!ParseShard(args.shard, &options.shard)) {
    std::fprintf(stderr, "jetfault: --shard wants K/N with 1 <= K <= N, got %s\n", args.shard.c_str());
    return 2;
  }
  Progress progress;
  options.progress = [&progress](const std::string& s, std::uint64_t done, std::uint64_t planned) {
    progress.Update(s, done, planned);
  };
  CampaignReport report;
  try {
    report = RunCampaign(registry, options);
  } catch (const std::invalid_argument& e) {
    progress.Done();
    std::fprintf(stderr, "jetfault: %s (see `jetfault list`)\n", e.what());
    return 2;
  }
  progress.Done();
  std::fputs(TextReport(report).c_str(), stdout);
  bool written = WriteReports(report, args.files);
  return report.ok() && written ? 0 : 1;
}

// `jetfault merge`: the shards of one campaign (same seed, N shards of N, each once)
// combined; exit 1 when a shard failed or is missing, 2 when a file is unreadable.
int Merge(const std::vector<std::string>& paths, const ReportFiles& files) {
  CampaignReport merged;
  std::vector<std::string> shards_seen;
  std::uint32_t count = 0;
  for (const std::string& path : paths) {
    CampaignReport part;
    try {
      std::ifstream in(path);
      if (!in) throw std::runtime_error("cannot open");
      part = ReportFromJson(nlohmann::json::parse(in));
    } catch (const std::exception& e) {
      std::fprintf(stderr, "jetfault merge: %s: %s\n", path.c_str(), e.what());
      return 2;
    }
    if (shards_seen.empty()) {
      merged.seed = part.seed;
      merged.size = part.size;
      count = part.shard.count;
      shards_seen.assign(count, "");
    } else if (part.size != merged.size) {
      std::fprintf(stderr, "jetfault merge: %s ran workload '%s', the first report '%s'\n", path.c_str(),
                   part.size.ToFlags().c_str(), merged.size.ToFlags().c_str());
      return 2;
    } else if (part.seed != merged.seed || part.shard.count != count) {
      std::fprintf(stderr, "jetfault merge: %s is seed %llu shard %u/%u, the first report seed %llu of %u shards\n",
                   path.c_str(), static_cast<unsigned long long>(part.seed), part.shard.index, part.shard.count,
                   static_cast<unsigned long long>(merged.seed), count);
      return 2;
    }
    std::string& owner = shards_seen[part.shard.index - 1];
    if (!owner.empty()) {
      std::fprintf(stderr, "jetfault merge: shard %u/%u twice: %s and %s\n", part.shard.index, count, owner.c_str(),
                   path.c_str());
      return 2;
    }
    owner = path;
    MergeReport(&merged, part);
    merged.elapsed_seconds = std::max(merged.elapsed_seconds, part.elapsed_seconds);
  }
  std::string missing;
  for (std::uint32_t k = 1; k <= count; ++k) {
    if (shards_seen[k - 1].empty()) missing += fmt::format(" {}/{}", k, count);
  }
  merged.shard = missing.empty() ? Shard{1, 1} : Shard{1, count};
  std::fputs(TextReport(merged).c_str(), stdout);
  if (!missing.empty()) std::printf("INCOMPLETE: no report for shard(s)%s\n", missing.c_str());
  bool written = WriteReports(merged, files);
  return merged.ok() && missing.empty() && written ? 0 : 1;
}

int Replay(const ScenarioRegistry& registry, const std::string& name, std::uint64_t seed, std::uint64_t index,
           std::optional<std::uint64_t> step, const WorkloadSize& size) {
  const Scenario* scenario = registry.Find(name);
  if (scenario == nullptr) {
    std::fprintf(stderr, "jetfault: unknown scenario %s (see `jetfault list`)\n", name.c_str());
    return 2;
  }
  CaseId id{name, seed, index, size};
  ErrMapCoverage coverage;
  CaseResult result = RunCase(*scenario, id, step, &coverage);
  std::printf("%s\n", ReplayCommand(id, step).c_str());
  std::printf("steps run: %llu, case trace hash: %s\n", static_cast<unsigned long long>(result.steps),
              TraceHashText(result.trace_hash).c_str());
  for (const Failure& f : result.failures) {
    std::printf("FAIL step %llu (trace %s): %s\n", static_cast<unsigned long long>(f.step),
                TraceHashText(f.trace_hash).c_str(), f.what.c_str());
    if (!f.fault_plan.empty()) std::printf("  faults: %s\n", f.fault_plan.c_str());
  }
  std::printf("%s\n", result.passed() ? "PASS" : "FAILED");
  return result.passed() ? 0 : 1;
}

// `jetfault bench`: the same campaign with one job and with `jobs`, timed in one
// process run so the ratio compares like with like; both must report the same. With a
// workload size (--txns ...) a third run, one job at the scenarios' own sizes, is the
// baseline of the per-state cost ratio.
int Bench(const ScenarioRegistry& registry, const std::vector<std::string>& scenarios, std::uint64_t seed,
          std::uint32_t jobs, const WorkloadSize& size) {
  if (jobs == 0) {
    std::fprintf(stderr, "jetfault: --jobs wants at least 1\n");
    return 2;
  }
  CampaignOptions options;
  options.seed = seed;
  options.scenarios = scenarios;
  const bool sized = !size.empty();
  CampaignReport runs[3];
  const std::uint32_t job_counts[3] = {1, jobs, 1};
  try {
    for (int i = 0; i < (sized ? 3 : 2); ++i) {
      options.jobs = job_counts[i];
      options.size = i < 2 ? size : WorkloadSize{};
      runs[i] = RunCampaign(registry, options);
    }
  } catch (const std::invalid_argument& e) {
    std::fprintf(stderr, "jetfault: %s (see `jetfault list`)\n", e.what());
    return 2;
  }
  std::printf("jetfault bench: seed %llu, %s%s, %llu crash states per run\n", static_cast<unsigned long long>(seed),
              scenarios.empty() ? "the default campaign" : "the default cases of the given scenarios",
              sized ? (", workload" + size.ToFlags()).c_str() : "",
              static_cast<unsigned long long>(runs[0].crash_states));
  auto per_state_us = [](const CampaignReport& r) {
    return r.crash_states == 0 ? 0.0 : 1e6 * r.elapsed_seconds / static_cast<double>(r.crash_states);
  };
  for (int i = 0; i < 2; ++i) {
    double per_second = static_cast<double>(runs[i].crash_states) / runs[i].elapsed_seconds;
    std::printf("  --jobs %u: %6.1f s, %7.0f crash states/s, %6.0f per core\n", job_counts[i], runs[i].elapsed_seconds,
                per_second, per_second / job_counts[i]);
  }
  std::printf("  speedup --jobs %u over --jobs 1: %.2fx\n", jobs, runs[0].elapsed_seconds / runs[1].elapsed_seconds);
  if (sized) {
    std::printf("  per crash state, --jobs 1: %.1f us at%s, %.1f us at the scenarios' own sizes (%llu states): %.2fx\n",
                per_state_us(runs[0]), size.ToFlags().c_str(), per_state_us(runs[2]),
                static_cast<unsigned long long>(runs[2].crash_states), per_state_us(runs[0]) / per_state_us(runs[2]));
  }
  bool same = JsonReportWithoutTimes(runs[0]) == JsonReportWithoutTimes(runs[1]);
  if (!same) std::printf("  the two runs' reports differ: a harness bug\n");
  bool ok = runs[0].ok() && runs[1].ok() && runs[2].ok();
  if (!ok)
    std::printf("  the campaign failed: run `jetfault run --seed %llu%s` for the failures\n",
                static_cast<unsigned long long>(seed), size.ToFlags().c_str());
  return same && ok ? 0 : 1;
}

}  // namespace

int JetfaultMain(int argc, char** argv) {
  ScenarioRegistry registry;
  RegisterScenarios(&registry);
  sqlite::RegisterSqliteScenarios(&registry);
  fuse::RegisterFuseScenarios(&registry);
  // bad-args runs its legacy-mode cases in a child: this very executable.
  SetChildExecutable("/proc/self/exe");

  CLI::App app{"jetfault: crash-consistency and fault-injection campaigns for the jetfault engine"};
  app.require_subcommand(1);

  auto* list = app.add_subcommand("list", "list the scenarios");
  bool verbose = false;
  list->add_flag("-v,--verbose", verbose, "print each scenario's full description (and its steps, when a table)");

  std::string size_usage;  // a workload size flag's value out of range
  RunArgs run_args;
  auto* run = app.add_subcommand("run", "run a campaign (default: every scenario, a small budget)");
  run->add_option("--scenario", run_args.scenarios, "scenario to run (repeatable; default: all)");
  run->add_option("--seed", run_args.seed, "campaign seed")->capture_default_str();
  auto* cases = run->add_option("--cases", run_args.cases, "cases per scenario");
  run->add_option("--time", run_args.time, "time budget in seconds, split across the scenarios")->excludes(cases);
  run->add_option("--shard", run_args.shard, "run shard K of N (deterministic split), e.g. 2/4")->capture_default_str();
  run->add_option("--jobs", run_args.jobs, "cases run at a time, each in a child process (default: all cores)")
      ->capture_default_str();
  AddWorkloadSizeOptions(run, &run_args.size, &size_usage);
  AddReportOptions(run, &run_args.files);
  run->add_option("--engine", run_args.engine, "jet or sqlite: that engine's scenarios only (default: both)");
  run->add_option("--sqlite-journal", run_args.sqlite_journal,
                  "delete or wal (default: both; implies --engine sqlite)");
  run->add_option("--sqlite-synchronous", run_args.sqlite_synchronous,
                  "off, normal, full or extra (default: full for wal, extra for delete)");

  std::vector<std::string> merge_paths;
  ReportFiles merge_files;
  auto* merge = app.add_subcommand("merge", "combine the JSON reports of a campaign's shards; fails if one failed");
  merge->add_option("reports", merge_paths, "the shards' JSON reports (--json of `jetfault run --shard K/N`)")
      ->required();
  AddReportOptions(merge, &merge_files);

  std::vector<std::string> bench_scenarios;
  std::uint64_t bench_seed = 1;
  std::uint32_t bench_jobs = std::max(2u, AllCores());
  auto* bench = app.add_subcommand("bench", "time a campaign with --jobs 1 and --jobs N: crash states/s, speedup");
  bench->add_option("--scenario", bench_scenarios, "scenario (repeatable; default: all, default cases)");
  bench->add_option("--seed", bench_seed, "campaign seed")->capture_default_str();
  bench->add_option("--jobs", bench_jobs, "the parallel run's jobs (default: all cores, at least 2)")
      ->capture_default_str();
  WorkloadSize bench_size;
  AddWorkloadSizeOptions(bench, &bench_size, &size_usage);

  std::string replay_scenario;
  std::uint64_t replay_seed = 1, replay_case = 0;
  std::optional<std::uint64_t> replay_step;
  auto* replay = app.add_subcommand("replay", "re-run one case (or one step of it) exactly");
  replay->add_option("scenario", replay_scenario, "scenario name")->required();
  replay->add_option("--seed", replay_seed, "campaign seed")->required();
  replay->add_option("--case", replay_case, "case number")->required();
  replay->add_option("--step", replay_step, "only this step of the case");
  bool print_traces = false;
  replay->add_flag("--trace", print_traces, "print every simulated machine's fault plan and I/O trace");
  WorkloadSize replay_size;
  AddWorkloadSizeOptions(replay, &replay_size, &size_usage);

  bool markdown = false;
  auto* errmap = app.add_subcommand("errmap", "print the error-code map (fault x site -> allowed codes)");
  errmap->add_flag("--markdown", markdown, "print docs/ERRORS.md (with --engine sqlite: docs/SQLITE_ERRORS.md)");
  std::string errmap_engine = "jet";
  errmap->add_option("--engine", errmap_engine, "jet (the error map) or sqlite (SQLite's result codes per fault class)")
      ->check(CLI::IsMember({"jet", "sqlite"}))
      ->capture_default_str();

  PosixWorkloadOptions workload_options;
  auto* workload = app.add_subcommand("workload", "run a seeded workload on real files, then crash");
  workload->add_option("--dir", workload_options.dir, "instance directory")->required();
  workload->add_option("--seed", workload_options.seed, "workload seed")->required();
  workload->add_option("--txns", workload_options.transactions, "transactions to commit")->capture_default_str();
  workload->add_option("--backup-after", workload_options.backup_after, "full backup into DIR/backup after K");
  workload->add_option("--inflight", workload_options.inflight, "transactions left open at the crash");
  workload->add_option("--databases", workload_options.databases, "number of databases")->capture_default_str();
  workload->add_option("--expected", workload_options.expected_file, "file for the committed records")->required();

  fuse::MountOptions mount_options;
  auto* mount = app.add_subcommand("mount", "serve a faultfs filesystem (MemFs behind FaultFs) at DIR through FUSE");
  mount->add_option("dir", mount_options.dir, "mount point (an existing directory)")->required();
  mount->add_option("--seed", mount_options.seed, "seed of the survivor policies (and of the plan without --plan)")
      ->capture_default_str();
  mount->add_option("--plan", mount_options.plan_file, "fault plan file (docs/FAULTS.md, line or JSON form)");
  mount->add_option("--from", mount_options.from_image, "serve this real directory (a crash image), all durable");
  mount->add_flag("-f,--foreground", mount_options.foreground,
                  "stay in the foreground; print `mounted DIR` once mounted");

  std::string crash_dir;
  fuse::CrashRequest crash_request;
  auto* crash = app.add_subcommand("crash", "power loss on a `jetfault mount`: write a crash image, unmount");
  crash->add_option("dir", crash_dir, "the mount point")->required();
  crash
      ->add_option("--survivors", crash_request.policy,
                   "survivor policy: keep-all, drop-all, drop-write-<seq>, drop-dirop-<seq>, tear-<seq>, random-<i>")
      ->capture_default_str();
  crash->add_option("--image", crash_request.image, "real directory (empty or absent) for the crash image")->required();
  crash->add_option("--at-op", crash_request.at_op,
                    "arm the cut just before FaultFs operation K (from 0) and return at once");

  int child_case = 0;
  auto* child = app.add_subcommand("__bad-args-child", "");
  child->group("");  // hidden
  child->add_option("case", child_case)->required();

  // The process scenarios' child (process_child.h): MODE ROOT CASE_SEED CASE_INDEX.
  std::string process_mode, process_root;
  std::uint64_t process_seed = 0, process_index = 0;
  auto* process_child = app.add_subcommand("__process-child", "");
  process_child->group("");  // hidden
  process_child->add_option("mode", process_mode)->required();
  process_child->add_option("root", process_root)->required();
  process_child->add_option("case_seed", process_seed)->required();
  process_child->add_option("case_index", process_index)->required();
  WorkloadSize process_size;
  AddWorkloadSizeOptions(process_child, &process_size, &size_usage);

  CLI11_PARSE(app, argc, argv);
  if (!size_usage.empty()) {
    std::fprintf(stderr, "jetfault: %s\n", size_usage.c_str());
    return 2;
  }

  if (*list) {
    int width = 0;
    for (const Scenario& s : registry.all()) width = std::max(width, static_cast<int>(s.name.size()));
    for (const Scenario& s : registry.all()) {
      std::printf("%-*s  %s\n", width, s.name.c_str(), s.summary.c_str());
      if (!verbose) continue;
      std::printf("%*s  %s\n", width, "", s.description.c_str());
      for (std::size_t i = 0; i < s.steps.size(); ++i) {
        std::printf("%*s    step %zu: %s\n", width, "", i, s.steps[i].c_str());
      }
      std::printf("\n");
    }
    return 0;
  }
  if (*run) return Run(registry, run_args);
  if (*merge) return Merge(merge_paths, merge_files);
  if (*bench) return Bench(registry, bench_scenarios, bench_seed, bench_jobs, bench_size);
  if (*replay) SetPrintTraces(print_traces);
  if (*replay) return Replay(registry, replay_scenario, replay_seed, replay_case, replay_step, replay_size);
  if (*errmap) {
    if (errmap_engine == "sqlite") {
      std::fputs((markdown ? sqlite::SqliteCodeMapMarkdown() : sqlite::SqliteCodeMapText()).c_str(), stdout);
    } else {
      std::fputs((markdown ? ErrorMapMarkdown() : ErrorMapText()).c_str(), stdout);
    }
    return 0;
  }
  if (*workload) {
    std::string error;
    RunPosixWorkloadAndExit(workload_options, &error);
    std::fprintf(stderr, "jetfault workload: %s\n", error.c_str());
    return 1;
  }
  if (*mount) return fuse::RunMount(mount_options);
  if (*crash) return fuse::RunCrash(crash_dir, crash_request);
  if (*child) return RunBadArgsChild(child_case);
  if (*process_child) {
    std::optional<ChildMode> mode = ParseChildMode(process_mode);
    WorkloadSizeScope scope(process_size);
    return mode ? RunProcessChild(*mode, process_root, process_seed, process_index) : 2;
  }
  return 2;
}

}  // namespace jetharness

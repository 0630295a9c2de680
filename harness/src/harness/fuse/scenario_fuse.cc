// fuse-power-loss: the real `jetutil load` on a `jetfault mount`, power cut at a
// seeded FaultFs operation, the image mounted again and recovered by `jetutil recover`.
#include <fmt/format.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/process.hpp>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "faultfs/prng.h"
#include "harness/core/hash.h"
#include "harness/core/hex.h"
#include "harness/core/oracle.h"
#include "harness/engine/process_child.h"
#include "harness/engine/scenarios.h"
#include "harness/engine/sim.h"
#include "harness/fuse/fuse_mount.h"
#include "harness/fuse/scenarios.h"

namespace jetharness::fuse {

std::string JetutilExecutable() {
  if (const char* env = std::getenv("JETUTIL"); env != nullptr && *env != '\0') return env;
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    const std::filesystem::path built = self.parent_path().parent_path() / "tools/jetutil/jetutil";
    if (access(built.c_str(), X_OK) == 0) return built.string();
  }
  const std::filesystem::path found = boost::process::search_path("jetutil").string();
  return found.string();
}

namespace {

namespace bp = boost::process;

// Why the FUSE scenarios cannot run here, or "". Said once per process on stderr, so a
// skipped scenario is never silent.
std::string SkipReason() {
  std::string why = FuseUnavailableReason();
  if (why.empty() && ChildExecutable().empty()) why = "no jetfault executable to serve the mount";
  if (why.empty() && JetutilExecutable().empty()) why = "no jetutil executable (set $JETUTIL)";
  static std::once_flag said;
  if (!why.empty())
    std::call_once(said, [&] { std::fprintf(stderr, "jetfault: FUSE scenarios skipped: %s\n", why.c_str()); });
  return why;
}

struct ProgramRun {
  int status = -1;  // raw wait status
  std::string out, err;
};

// Runs a program to its end with stdin from `input` (or nothing); its output captured.
ProgramRun RunProgram(const std::string& program, const std::vector<std::string>& args, const std::string& input,
                      const std::string& scratch) {
  const std::string out_path = scratch + "/out.txt", err_path = scratch + "/err.txt";
  // Boost.Process opens them without O_TRUNC: an earlier run's tail would stay.
  std::remove(out_path.c_str());
  std::remove(err_path.c_str());
  std::error_code ec;
  bp::child c = input.empty() ? bp::child(program, bp::args(args), bp::std_in<bp::null, bp::std_out> out_path,
                                          bp::std_err > err_path, ec)
                              : bp::child(program, bp::args(args), bp::std_in<input, bp::std_out> out_path,
                                          bp::std_err > err_path, ec);
  ProgramRun run;
  if (ec) {
    run.err = program + ": " + ec.message();
    return run;
  }
  c.wait();
  run.status = c.native_exit_code();
  auto slurp = [](const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  };
  run.out = slurp(out_path);
  run.err = slurp(err_path);
  return run;
}

bool Succeeded(const ProgramRun& run) { return WIFEXITED(run.status) && WEXITSTATUS(run.status) == 0; }

// The workload: `txns` transactions of `lines` record lines each, over two tables,
// keys drawn from a small set so later transactions replace earlier values.
struct Workload {
  std::size_t lines_per_txn = 1;
  std::string input;  // what jetutil load reads
  Model model;
  std::vector<Model::TxnId> txns;
};

Workload MakeWorkload(std::uint64_t seed) {
  faultfs::SplitMix64 rng(seed);
  Workload w;
  w.lines_per_txn = 1 + rng.Uniform(4);
  const std::size_t txns = 3 + rng.Uniform(6);
  for (std::size_t t = 0; t < txns; ++t) {
    Model::TxnId id = w.model.Begin(CommitMode::kDurable);
    w.txns.push_back(id);
    for (std::size_t l = 0; l < w.lines_per_txn; ++l) {
      const std::string table = rng.Uniform(2) == 0 ? "fuse_a" : "fuse_b";
      Bytes key = fmt::format("k{:02}", rng.Uniform(12));
      // Up to two pages of value, so some records are long values.
      Bytes value(rng.Uniform(4) == 0 ? rng.Uniform(12000) : rng.Uniform(200), '\0');
      for (char& c : value) c = static_cast<char>(rng.Next());
      w.input += fmt::format("{}\t{}\t{}\n", table, HexEncode(key), HexEncode(value));
      w.model.Put(id, table, std::move(key), std::move(value));
    }
  }
  return w;
}

// The acknowledged commits `jetutil -v load` reported ("load: committed lines a-b").
std::size_t Acknowledged(const std::string& err) {
  std::size_t n = 0;
  std::istringstream in(err);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("load: committed lines ", 0) == 0) ++n;
  }
  return n;
}

// `jetutil records` output as a state; nullopt (and *error) if a line is malformed.
std::optional<DbState> ParseRecords(const std::string& text, std::string* error) {
  DbState state;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const std::size_t a = line.find('\t'), b = line.find('\t', a + 1);
    std::optional<Bytes> key, value;
    if (a != std::string::npos && b != std::string::npos) {
      key = HexDecode(line.substr(a + 1, b - a - 1));
      value = HexDecode(line.substr(b + 1));
    }
    if (!key || !value) {
      *error = "malformed records line: " + line;
      return std::nullopt;
    }
    state[line.substr(0, a)][*key] = *value;
  }
  return state;
}

void RunFusePowerLoss(CaseContext& ctx) {
  if (!ctx.WantStep(0)) return;
  if (std::string why = SkipReason(); !why.empty()) return SkipStep(ctx, 0, why);
  Step step(ctx, 0);
  Workload w = MakeWorkload(ctx.seed());
  ScratchDir scratch;
  const std::string mnt = scratch.path() + "/mnt", input = scratch.path() + "/input.txt";
  std::filesystem::create_directories(mnt);
  std::ofstream(input, std::ios::binary) << w.input;
  const std::string seed = std::to_string(ctx.seed());
  const std::vector<std::string> load = {"-v",
                                         "load",
                                         "--system-path",
                                         mnt + "/sys",
                                         "--log-path",
                                         mnt + "/log",
                                         "--db",
                                         mnt + "/db.edb",
                                         "--create",
                                         "--txn-size",
                                         std::to_string(w.lines_per_txn)};
  const std::string jetutil = JetutilExecutable();
  auto status_ops = [&](const std::string& answer) -> std::optional<std::uint64_t> {
    std::uint64_t ops = 0;
    if (std::sscanf(answer.c_str(), "ok ops=%llu", reinterpret_cast<unsigned long long*>(&ops)) != 1) return {};
    return ops;
  };

  // The whole run once, to learn its FaultFs operation count.
  std::uint64_t total_ops = 0;
  {
    MountProcess mount(ChildExecutable(), mnt, {"--seed", seed});
    ProgramRun run = RunProgram(jetutil, load, input, scratch.path());
    if (!Succeeded(run)) {
      step.Fail(fmt::format("jetutil load on the mount failed with no power cut ({}): {}",
                            ChildProcess::DescribeStatus(run.status), run.err));
      return;
    }
    std::optional<std::uint64_t> ops = status_ops(Control(mnt, "status"));
    if (!ops || *ops == 0) {
      step.Fail("the mount's status answer names no operation count");
      return;
    }
    total_ops = *ops;
  }

  faultfs::SplitMix64 rng(ctx.seed() ^ 0x66757365ULL);
  const std::uint64_t cut = rng.Uniform(total_ops);
  static const char* const kPolicies[] = {"keep-all", "drop-all", "random-0", "random-1", "random-2", "random-3"};
  const std::string policy = kPolicies[rng.Uniform(std::size(kPolicies))];
  step.AddHash(cut);
  step.AddHash(HashBytes(policy));
  step.AddPlan(fmt::format("power cut before FaultFs operation {} of {}; image: {}", cut, total_ops, policy));
  ctx.CountFault(FaultClass::kCrash);
  ctx.CountCrashState();

  const std::string image = scratch.path() + "/image";
  std::size_t acked = 0;
  bool finished = false;
  {
    MountProcess mount(ChildExecutable(), mnt, {"--seed", seed});
    std::string armed = Control(mnt, fmt::format("arm {} {} {}", cut, policy, image));
    if (armed.rfind("ok", 0) != 0) {
      step.Fail("arming the power cut failed: " + armed);
      return;
    }
    ProgramRun run = RunProgram(jetutil, load, input, scratch.path());
    acked = Acknowledged(run.err);
    finished = Succeeded(run);
    // The cut fired (the mount answers EIO until told to go), or a run with fewer
    // operations than the first never reached it: either way, a crash request ends it.
    if (IsMounted(mnt)) {
      std::string answer = Control(mnt, fmt::format("crash {} {}", policy, image));
      if (answer.rfind("ok", 0) != 0) {
        step.Fail("the power cut after the program failed: " + answer);
        return;
      }
    }
    if (!mount.WaitExit(10'000)) step.Fail("the mount server did not exit within 10 s of the power cut");
    if (!WaitUnmounted(mnt, 5'000)) step.Fail("the mount is still there after the power cut");
    step.AddPlan(fmt::format("jetutil load acknowledged {} of {} commits{}", acked, w.model.txns().size(),
                             finished ? " and finished" : ""));
  }
  if (step.failed()) return;
  if (!std::filesystem::is_directory(image)) {
    step.Fail("the power cut wrote no image to " + image);
    return;
  }
  // The model: every acknowledged commit is durable; the next one may be (its call may
  // have been under way); later ones were never attempted (load stops at its first error).
  Model model = w.model;
  const std::size_t attempted = finished ? acked : std::min(acked + 1, w.txns.size());
  for (std::size_t t = 0; t < attempted; ++t) {
    model.CommitIssued(w.txns[t]);
    if (t < acked) {
      model.Committed(w.txns[t]);
    } else {
      model.CommitUncertain(w.txns[t]);
    }
  }
  // The image mounted again at the same place (the log names the database by its path).
  DbState state;
  {
    MountProcess mount(ChildExecutable(), mnt, {"--from", image});
    ProgramRun recover = RunProgram(jetutil, {"recover", "--system-path", mnt + "/sys", "--log-path", mnt + "/log"}, "",
                                    scratch.path());
    if (!Succeeded(recover)) {
      step.Fail(fmt::format("jetutil recover on the image failed ({}): {}",
                            ChildProcess::DescribeStatus(recover.status), recover.err));
      return;
    }
    const bool has_db = std::filesystem::exists(mnt + "/db.edb");
    if (has_db || acked > 0) {
      ProgramRun records = RunProgram(jetutil, {"records", mnt + "/db.edb"}, "", scratch.path());
      if (!Succeeded(records)) {
        step.Fail(fmt::format("jetutil records on the recovered image failed ({}): {}",
                              ChildProcess::DescribeStatus(records.status), records.err));
        return;
      }
      std::string error;
      std::optional<DbState> parsed = ParseRecords(records.out, &error);
      if (!parsed) {
        step.Fail(error);
        return;
      }
      state = std::move(*parsed);
    }
  }
  StateCheck check = CheckState(model, state, PrefixWindow{model.MinPrefix(), model.MaxPrefix()});
  if (!check.ok()) {
    step.Fail(fmt::format("after the power cut and recovery: {}", check.explanation));
    return;
  }
  step.AddHash(check.matched_prefix);
}

}  // namespace

void RegisterFuseScenarios(ScenarioRegistry* registry) {
  registry->Add(Scenario{
      "fuse-power-loss",
      "the real jetutil load on a `jetfault mount`, power cut at a seeded operation, recovered by jetutil recover",
      "A `jetfault mount` (libfuse3: a MemFs behind a FaultFs, docs/FAULTS.md) serves a scratch directory; the "
      "unmodified `jetutil -v load` loads a seeded record file into a new database on it once to count its "
      "FaultFs operations, then again with the power cut armed before a seeded operation, the crash image of a "
      "seeded survivor policy (keep-all, drop-all, random-i) written to a real directory. The image is mounted "
      "again at the same path (`jetfault mount --from`), `jetutil recover` runs on it and `jetutil records` reads "
      "it back: the content must be a transaction prefix holding every commit load reported as acknowledged and "
      "nothing of a commit it never began. Every mount must be gone after each phase. Skipped, with the reason "
      "on stderr, where /dev/fuse, fusermount3 or a libfuse3 build is missing.",
      1, RunFusePowerLoss});
}

}  // namespace jetharness::fuse

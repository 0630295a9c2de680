// The fuse-* scenarios: unmodified programs on a `jetfault mount`, power cut at a
// seeded FaultFs operation, the crash image judged by the oracle.
//   fuse-power-loss  the real `jetutil load`; the image recovered by `jetutil recover`
//   fuse-restore     the real `jetutil restore` of a set made on the mount
//   fuse-sqlite      the unmodified `sqlite3` command-line tool (WAL/FULL, DELETE/EXTRA)
// They share one plumbing (RunWithPowerCut): the program once to count its operations,
// then again with the cut armed before a seeded one; each mount is gone after its phase.
#include <fmt/format.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/process.hpp>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
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

namespace bp = boost::process;

namespace {

// An executable named by $env, else the build tree's (relative to this executable's
// directory), else found on PATH; "" if none.
std::string FindExecutable(const char* env, const char* in_build_tree, const char* name) {
  if (const char* value = std::getenv(env); value != nullptr && *value != '\0') return value;
  std::error_code ec;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (!ec && in_build_tree != nullptr) {
    const std::filesystem::path built = self.parent_path().parent_path() / in_build_tree;
    if (access(built.c_str(), X_OK) == 0) return built.string();
  }
  return bp::search_path(name).string();
}

}  // namespace

std::string JetutilExecutable() { return FindExecutable("JETUTIL", "tools/jetutil/jetutil", "jetutil"); }
std::string Sqlite3Executable() { return FindExecutable("SQLITE3", nullptr, "sqlite3"); }

namespace {

enum Needs : unsigned { kJetutil = 1, kSqlite3 = 2 };

// Why a FUSE scenario cannot run here, or "". Each reason is said once per process on
// stderr, so a skipped scenario is never silent.
std::string SkipReason(unsigned needs) {
  std::string why = FuseUnavailableReason();
  if (why.empty() && ChildExecutable().empty()) why = "no jetfault executable to serve the mount";
  if (why.empty() && (needs & kJetutil) != 0 && JetutilExecutable().empty())
    why = "no jetutil executable (set $JETUTIL)";
  if (why.empty() && (needs & kSqlite3) != 0 && Sqlite3Executable().empty())
    why = "no sqlite3 executable (Debian: sqlite3; or set $SQLITE3)";
  static std::mutex mutex;
  static std::set<std::string> said;
  std::lock_guard<std::mutex> lock(mutex);
  if (!why.empty() && said.insert(why).second)
    std::fprintf(stderr, "jetfault: FUSE scenarios skipped: %s\n", why.c_str());
  return why;
}

struct ProgramRun {
  int status = -1;  // raw wait status
  std::string out, err;
};

// Runs a program to its end with stdin from the file `input` (or nothing); its output
// captured in files of `scratch`.
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

// The status and the last line of stderr (a jetutil error line follows its progress).
std::string Brief(const ProgramRun& run) {
  std::string err = run.err;
  while (!err.empty() && err.back() == '\n') err.pop_back();
  const std::size_t nl = err.rfind('\n');
  if (nl != std::string::npos) err = err.substr(nl + 1);
  return fmt::format("({}): {}", ChildProcess::DescribeStatus(run.status), err);
}

std::string Describe(const ProgramRun& run) {
  std::string err = run.err;
  if (err.size() > 2000) err = "..." + err.substr(err.size() - 2000);
  return fmt::format("({}): {}", ChildProcess::DescribeStatus(run.status), err);
}

// A program the scenario runs on the mount.
struct Program {
  std::string path;
  std::vector<std::string> args;
  std::string input;  // a file for its stdin, or ""
  std::string name;   // for messages: "jetutil load"
};

ProgramRun Run(const Program& p, const std::string& scratch) { return RunProgram(p.path, p.args, p.input, scratch); }

// One case's scratch space and mount point: the same path in every phase (jetutil's
// logs and sets name their files by absolute path).
struct FuseCase {
  explicit FuseCase(const CaseContext& ctx) : seed(std::to_string(ctx.seed())), mnt(scratch.path() + "/mnt") {
    std::filesystem::create_directories(mnt);
  }
  std::string At(const std::string& rel) const { return mnt + "/" + rel; }
  std::string Scratch(const std::string& name) const { return scratch.path() + "/" + name; }
  // `jetfault mount` arguments: empty, or serving the image `from`.
  std::vector<std::string> MountArgs(const std::string& from = "") const {
    std::vector<std::string> args = {"--seed", seed};
    if (!from.empty()) args.insert(args.end(), {"--from", from});
    return args;
  }

  ScratchDir scratch;
  const std::string seed;
  const std::string mnt;
};

std::optional<std::uint64_t> OpsOf(const std::string& status) {
  unsigned long long ops = 0;
  if (std::sscanf(status.c_str(), "ok ops=%llu", &ops) != 1) return std::nullopt;
  return ops;
}

// Ends a mount with a power cut whose image goes to `image` (or, when an armed cut has
// fired, the one it wrote): the server must exit and the mount be gone.
bool EndWithCrash(Step& step, const FuseCase& fc, MountProcess& mount, const std::string& policy,
                  const std::string& image) {
  if (IsMounted(fc.mnt)) {
    const std::string answer = Control(fc.mnt, fmt::format("crash {} {}", policy, image));
    if (answer.rfind("ok", 0) != 0) {
      step.Fail("the power cut failed: " + answer);
      return false;
    }
  }
  if (!mount.WaitExit(10'000)) {
    step.Fail("the mount server did not exit within 10 s of the power cut");
    return false;
  }
  if (!WaitUnmounted(fc.mnt, 5'000)) {
    step.Fail("the mount is still there after the power cut");
    return false;
  }
  if (!std::filesystem::is_directory(image)) {
    step.Fail("the power cut wrote no image to " + image);
    return false;
  }
  return true;
}

// What a run under a power cut left.
struct PowerCutRun {
  ProgramRun run;  // the program's run with the cut armed
  std::uint64_t cut = 0, ops = 0;
  std::string policy, image;
};

// The shared plumbing: `program` runs on a mount (empty, or serving `base`) once with
// no cut, to count its FaultFs operations (it must succeed), then again with the power
// cut armed before a seeded one of them; the crash image of a seeded survivor policy
// (keep-all, drop-all, random-i) is in the result's `image`. Each mount is gone
// before this returns (MountProcess). With after_one_in = n > 0, one case in n (seeded)
// cuts the power right after the program returned instead (its acknowledgement must
// then hold). nullopt after a failure of the step.
std::optional<PowerCutRun> RunWithPowerCut(Step& step, CaseContext& ctx, const FuseCase& fc, const std::string& base,
                                           const Program& program, std::uint64_t after_one_in = 0) {
  std::uint64_t begin = 0, end = 0;
  {
    MountProcess mount(ChildExecutable(), fc.mnt, fc.MountArgs(base));
    std::optional<std::uint64_t> before = OpsOf(Control(fc.mnt, "status"));
    ProgramRun run = Run(program, fc.scratch.path());
    if (!Succeeded(run)) {
      step.Fail(fmt::format("{} on the mount failed with no power cut {}", program.name, Describe(run)));
      return std::nullopt;
    }
    std::optional<std::uint64_t> after = OpsOf(Control(fc.mnt, "status"));
    if (!before || !after || *after <= *before) {
      step.Fail("the mount's status answers name no operation count");
      return std::nullopt;
    }
    begin = *before;
    end = *after;
  }

  PowerCutRun result;
  faultfs::SplitMix64 rng(ctx.seed() ^ 0x66757365ULL);
  result.cut = begin + rng.Uniform(end - begin);
  result.ops = end;
  static const char* const kPolicies[] = {"keep-all", "drop-all", "random-0", "random-1", "random-2", "random-3"};
  result.policy = kPolicies[rng.Uniform(std::size(kPolicies))];
  // Operation `end` never comes: the crash request after the program cuts the power.
  if (after_one_in != 0 && rng.Uniform(after_one_in) == 0) result.cut = end;
  result.image = fc.Scratch("image");
  step.AddHash(result.cut);
  step.AddHash(HashBytes(result.policy));
  step.AddPlan(result.cut == end ? fmt::format("{}: power cut right after it returned (after FaultFs operation {} "
                                               "of {}); image: {}",
                                               program.name, end - 1, end, result.policy)
                                 : fmt::format("{}: power cut before FaultFs operation {} of {}; image: {}",
                                               program.name, result.cut, end, result.policy));
  ctx.CountFault(FaultClass::kCrash);
  ctx.CountCrashState();

  MountProcess mount(ChildExecutable(), fc.mnt, fc.MountArgs(base));
  const std::string armed = Control(fc.mnt, fmt::format("arm {} {} {}", result.cut, result.policy, result.image));
  if (armed.rfind("ok", 0) != 0) {
    step.Fail("arming the power cut failed: " + armed);
    return std::nullopt;
  }
  result.run = Run(program, fc.scratch.path());
  // The cut fired (the mount answers EIO until told to go), or a run with fewer
  // operations than the first never reached it: either way, a crash request ends it.
  if (!EndWithCrash(step, fc, mount, result.policy, result.image)) return std::nullopt;
  return result;
}

// `jetutil records DB` on the mount, as a state; nullopt after a failure of the step.
std::optional<DbState> ReadRecords(Step& step, const FuseCase& fc, const std::string& db) {
  ProgramRun records = RunProgram(JetutilExecutable(), {"records", db}, "", fc.scratch.path());
  if (!Succeeded(records)) {
    step.Fail(fmt::format("jetutil records {} failed {}", db, Describe(records)));
    return std::nullopt;
  }
  std::string error;
  std::optional<DbState> state = ParseRecords(records.out, &error);
  if (!state) step.Fail(fmt::format("jetutil records {}: {}", db, error));
  return state;
}

// Judges a state against the model's window: a failure explains itself.
void Judge(Step& step, const Model& model, const DbState& state, PrefixWindow window, const std::string& when) {
  StateCheck check = CheckState(model, state, window);
  if (!check.ok()) {
    step.Fail(fmt::format("{}: {}", when, check.explanation));
    return;
  }
  step.AddHash(check.matched_prefix);
}

// The window of a program whose every commit was acknowledged by a line it printed:
// every acknowledged commit is durable; the next one may be (its call may have been
// under way); later ones were never attempted (the program stops at its first error).
Model CommitsOf(Model model, const std::vector<Model::TxnId>& txns, std::size_t acked, bool finished) {
  const std::size_t attempted = finished ? acked : std::min(acked + 1, txns.size());
  for (std::size_t t = 0; t < attempted; ++t) {
    model.CommitIssued(txns[t]);
    if (t < acked) {
      model.Committed(txns[t]);
    } else {
      model.CommitUncertain(txns[t]);
    }
  }
  return model;
}

// --- fuse-power-loss and fuse-restore: jetutil ------------------------------------

// The workload: `txns` transactions of `lines` record lines each, over two tables,
// keys drawn from a small set so later transactions replace earlier values.
struct Workload {
  std::size_t lines_per_txn = 1;
  std::vector<std::string> txn_lines;  // per transaction, what jetutil load reads
  Model model;
  std::vector<Model::TxnId> txns;
  // The load input of transactions [from, to).
  std::string Input(std::size_t from, std::size_t to) const {
    std::string input;
    for (std::size_t t = from; t < to; ++t) input += txn_lines[t];
    return input;
  }
};

Workload MakeWorkload(std::uint64_t seed) {
  faultfs::SplitMix64 rng(seed);
  Workload w;
  w.lines_per_txn = 1 + rng.Uniform(4);
  const std::size_t txns = 3 + rng.Uniform(6);
  for (std::size_t t = 0; t < txns; ++t) {
    Model::TxnId id = w.model.Begin(CommitMode::kDurable);
    w.txns.push_back(id);
    std::string lines;
    for (std::size_t l = 0; l < w.lines_per_txn; ++l) {
      const std::string table = rng.Uniform(2) == 0 ? "fuse_a" : "fuse_b";
      Bytes key = fmt::format("k{:02}", rng.Uniform(12));
      // Up to two pages of value, so some records are long values.
      Bytes value(rng.Uniform(4) == 0 ? rng.Uniform(12000) : rng.Uniform(200), '\0');
      for (char& c : value) c = static_cast<char>(rng.Next());
      lines += fmt::format("{}\t{}\t{}\n", table, HexEncode(key), HexEncode(value));
      w.model.Put(id, table, std::move(key), std::move(value));
    }
    w.txn_lines.push_back(std::move(lines));
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

std::string WriteFile(const FuseCase& fc, const std::string& name, const std::string& text) {
  const std::string path = fc.Scratch(name);
  std::ofstream(path, std::ios::binary) << text;
  return path;
}

void RunFusePowerLoss(CaseContext& ctx) {
  if (!ctx.WantStep(0)) return;
  if (std::string why = SkipReason(kJetutil); !why.empty()) return SkipStep(ctx, 0, why);
  Step step(ctx, 0);
  Workload w = MakeWorkload(ctx.seed());
  FuseCase fc(ctx);
  const Program load{JetutilExecutable(),
                     {"-v", "load", "--system-path", fc.At("sys"), "--log-path", fc.At("log"), "--db", fc.At("db.edb"),
                      "--create", "--txn-size", std::to_string(w.lines_per_txn)},
                     WriteFile(fc, "input.txt", w.Input(0, w.txns.size())),
                     "jetutil load"};
  std::optional<PowerCutRun> cut = RunWithPowerCut(step, ctx, fc, "", load);
  if (!cut) return;
  const std::size_t acked = Acknowledged(cut->run.err);
  const bool finished = Succeeded(cut->run);
  step.AddPlan(fmt::format("jetutil load acknowledged {} of {} commits{}", acked, w.txns.size(),
                           finished ? " and finished" : ""));
  const Model model = CommitsOf(w.model, w.txns, acked, finished);
  // The image mounted again at the same place (the log names the database by its path).
  DbState state;
  {
    MountProcess mount(ChildExecutable(), fc.mnt, fc.MountArgs(cut->image));
    ProgramRun recover = RunProgram(load.path, {"recover", "--system-path", fc.At("sys"), "--log-path", fc.At("log")},
                                    "", fc.scratch.path());
    if (!Succeeded(recover)) {
      step.Fail(fmt::format("jetutil recover on the image failed {}", Describe(recover)));
      return;
    }
    if (std::filesystem::exists(fc.At("db.edb")) || acked > 0) {
      std::optional<DbState> read = ReadRecords(step, fc, fc.At("db.edb"));
      if (!read) return;
      state = std::move(*read);
    }
  }
  Judge(step, model, state, PrefixWindow{model.MinPrefix(), model.MaxPrefix()}, "after the power cut and recovery");
}

// The files below `paths` (relative, a file or a directory) of root: path -> bytes.
std::map<std::string, std::string> FilesOf(const std::string& root, const std::vector<std::string>& paths) {
  namespace stdfs = std::filesystem;
  std::map<std::string, std::string> files;
  auto add = [&](const stdfs::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::stringstream bytes;
    bytes << in.rdbuf();
    files[file.lexically_relative(root).string()] = bytes.str();
  };
  for (const std::string& path : paths) {
    std::error_code ec;
    const stdfs::path top = stdfs::path(root) / path;
    if (stdfs::is_regular_file(top, ec)) add(top);
    if (!stdfs::is_directory(top, ec)) continue;
    for (const stdfs::directory_entry& e : stdfs::recursive_directory_iterator(top, ec)) {
      if (e.is_regular_file(ec)) add(e.path());
    }
  }
  return files;
}

// The first of the files below `paths` that differs between a crash image and the
// mount, or "".
std::string FirstChangedOnMount(const FuseCase& fc, const std::string& image, const std::vector<std::string>& paths) {
  const std::map<std::string, std::string> was = FilesOf(image, paths), now = FilesOf(fc.mnt, paths);
  for (const auto& [path, bytes] : was) {
    auto it = now.find(path);
    if (it == now.end()) return path + " (deleted)";
    if (it->second != bytes) return path + " (rewritten)";
  }
  for (const auto& [path, bytes] : now) {
    if (!was.contains(path)) return path + " (created)";
  }
  return "";
}

// fuse-restore: a set made on the mount by jetutil (load the first half, full backup,
// load the rest), then `jetutil restore` of it, power cut inside.
void RunFuseRestore(CaseContext& ctx) {
  if (!ctx.WantStep(0)) return;
  if (std::string why = SkipReason(kJetutil); !why.empty()) return SkipStep(ctx, 0, why);
  Step step(ctx, 0);
  Workload w = MakeWorkload(ctx.seed());
  FuseCase fc(ctx);
  const std::string jetutil = JetutilExecutable();
  // Small log generations: the restore's logs are written through the mount.
  const std::vector<std::string> globals = {"--log-file-size", "64"};
  auto jetutil_args = [&](std::vector<std::string> args) {
    args.insert(args.begin(), globals.begin(), globals.end());
    return args;
  };
  const std::size_t n = w.txns.size(), in_set = (n + 1) / 2;
  const std::string lines = std::to_string(w.lines_per_txn);
  const std::vector<Program> setup = {
      {jetutil,
       jetutil_args({"load", "--system-path", fc.At("sys"), "--log-path", fc.At("log"), "--db", fc.At("db.edb"),
                     "--create", "--txn-size", lines}),
       WriteFile(fc, "input-1.txt", w.Input(0, in_set)), "jetutil load (the set's transactions)"},
      {jetutil,
       jetutil_args({"backup", "--system-path", fc.At("sys"), "--log-path", fc.At("log"), "--to", fc.At("set"), "--db",
                     fc.At("db.edb")}),
       "", "jetutil backup"},
      {jetutil,
       jetutil_args({"load", "--system-path", fc.At("sys"), "--log-path", fc.At("log"), "--db", fc.At("db.edb"),
                     "--txn-size", lines}),
       WriteFile(fc, "input-2.txt", w.Input(in_set, n)), "jetutil load (after the backup)"}};
  // The setup on an empty mount; its clean end is durable (a keep-all image): the base
  // every later phase mounts.
  const std::string base = fc.Scratch("base");
  {
    MountProcess mount(ChildExecutable(), fc.mnt, fc.MountArgs());
    for (const Program& p : setup) {
      ProgramRun run = Run(p, fc.scratch.path());
      if (!Succeeded(run)) {
        step.Fail(fmt::format("setting up the set: {} failed with no fault {}", p.name, Describe(run)));
        return;
      }
    }
    if (!EndWithCrash(step, fc, mount, "keep-all", base)) return;
  }
  // Even cases restore over the instance itself (its own paths: the set, then the
  // later logs of the log path, so every commit); odd cases onto a fresh machine
  // (another system and log path, --dest: exactly the set's commits).
  const bool in_place = ctx.id().index % 2 == 0;
  const std::string sys = in_place ? "sys" : "rsys", log = in_place ? "log" : "rlog";
  const std::string db = in_place ? fc.At("db.edb") : fc.At("rdb/db.edb");
  std::vector<std::string> args = {"restore", fc.At("set"), "--system-path", fc.At(sys), "--log-path", fc.At(log)};
  if (!in_place) args.insert(args.end(), {"--dest", fc.At("rdb")});
  const Program restore{jetutil, jetutil_args(args), "", "jetutil restore"};
  const std::vector<std::string> instance_files = in_place ? std::vector<std::string>{"sys", "log", "db.edb"}
                                                           : std::vector<std::string>{"rsys", "rlog", "rdb"};
  Model model = w.model;
  for (Model::TxnId t : w.txns) {
    model.CommitIssued(t);
    model.Committed(t);
  }
  const std::size_t expected = in_place ? n : in_set;
  const PrefixWindow window{expected, expected};
  step.AddPlan(fmt::format("{} transactions, the set holds the first {}; restore {}", n, in_set,
                           in_place ? "over the instance (set + later logs: every commit)"
                                    : "onto a fresh machine with --dest (exactly the set's commits)"));

  std::optional<PowerCutRun> cut = RunWithPowerCut(step, ctx, fc, base, restore, 3);
  if (!cut) return;
  const bool acked = Succeeded(cut->run) && cut->run.out.rfind("restored ", 0) == 0;
  step.AddPlan(acked ? "jetutil restore acknowledged (its summary line, exit 0)"
                     : "jetutil restore not acknowledged " + Brief(cut->run));
  DbState state;
  {
    MountProcess mount(ChildExecutable(), fc.mnt, fc.MountArgs(cut->image));
    if (acked) {
      // An acknowledged restore is durable: the instance recovers (nothing to do, or
      // the restored databases' own shutdown redone) and holds the set's window.
      ProgramRun recover = RunProgram(jetutil,
                                      jetutil_args({"recover", "--system-path", fc.At(sys), "--log-path", fc.At(log)}),
                                      "", fc.scratch.path());
      if (!Succeeded(recover)) {
        step.Fail(fmt::format("the restore was acknowledged, yet jetutil recover after the power cut failed {}",
                              Describe(recover)));
        return;
      }
    } else {
      // The set is durable (it was made before): the restore run again must succeed.
      ProgramRun again = Run(restore, fc.scratch.path());
      if (!Succeeded(again)) {
        std::string what = fmt::format("jetutil restore run again on the crash image (the set intact) failed {}",
                                       Describe(again));
        // And a refused set must leave the instance's files as they were (docs/RESTORE.md).
        if (std::string changed = FirstChangedOnMount(fc, cut->image, instance_files); !changed.empty())
          what += "; the refused restore changed the instance's files: " + changed;
        step.Fail(what);
        return;
      }
    }
    std::optional<DbState> read = ReadRecords(step, fc, db);
    if (!read) return;
    state = std::move(*read);
  }
  Judge(step, model, state, window,
        acked ? "after an acknowledged restore and a power cut" : "after a power cut inside the restore and a rerun");
}

}  // namespace

// --- fuse-sqlite: the sqlite3 command-line tool -----------------------------------

namespace {

constexpr const char* kSqliteTable = "t";

std::string SqlBlob(const Bytes& bytes) { return "X'" + HexEncode(bytes) + "'"; }

}  // namespace

SqliteCliWorkload MakeSqliteCliWorkload(std::uint64_t seed, const SqliteCliConfig& config) {
  faultfs::SplitMix64 rng(seed ^ 0x73716cULL);
  SqliteCliWorkload w;
  w.config = config;
  // The pragmas come first. WAL: the mount does direct I/O, and the kernel refuses a
  // shared mmap of a direct-I/O file, which SQLite's WAL index (the -shm file) needs;
  // in EXCLUSIVE locking mode, set before the first access in WAL mode, SQLite keeps
  // the WAL index in its own heap and never maps -shm. The mode is read back: a
  // configuration that did not take is a failure, not a pass.
  w.script = ".bail on\n";
  if (config.journal == "wal") w.script += "PRAGMA locking_mode=EXCLUSIVE;\n";
  w.script += fmt::format("PRAGMA journal_mode={};\nPRAGMA synchronous={};\n", config.journal, config.synchronous);
  w.script +=
      "SELECT 'config', (SELECT journal_mode FROM pragma_journal_mode), (SELECT synchronous FROM "
      "pragma_synchronous);\n";
  const std::size_t txns = 3 + rng.Uniform(6);
  for (std::size_t t = 0; t < txns; ++t) {
    Model::TxnId id = w.model.Begin(CommitMode::kDurable);
    w.txns.push_back(id);
    std::string sql = "BEGIN;\n";
    const std::size_t ops = 1 + rng.Uniform(4);
    for (std::size_t o = 0; o < ops; ++o) {
      Bytes key = fmt::format("k{:02}", rng.Uniform(12));
      if (rng.Uniform(6) == 0) {
        sql += fmt::format("DELETE FROM {} WHERE k = {};\n", kSqliteTable, SqlBlob(key));
        w.model.Delete(id, kSqliteTable, std::move(key));
        continue;
      }
      // Long values (overflow pages) now and then, so transactions spill pages.
      Bytes value(rng.Uniform(4) == 0 ? 1000 + rng.Uniform(7000) : rng.Uniform(200), '\0');
      for (char& c : value) c = static_cast<char>(rng.Next());
      sql += fmt::format("INSERT OR REPLACE INTO {} VALUES({}, {});\n", kSqliteTable, SqlBlob(key), SqlBlob(value));
      w.model.Put(id, kSqliteTable, std::move(key), std::move(value));
    }
    // The acknowledgement: printed only once COMMIT returned (.bail on stops at the
    // first error, so nothing after a failed statement runs).
    sql += fmt::format("COMMIT;\nSELECT 'ack', {};\n", t + 1);
    w.txn_sql.push_back(sql);
    w.script += sql;
  }
  return w;
}

std::string SqliteCliSetupSql() {
  return fmt::format("CREATE TABLE {}(k BLOB PRIMARY KEY, v BLOB) WITHOUT ROWID;\n", kSqliteTable);
}

std::string ReadSqliteImage(const std::string& db_path, DbState* out) {
  auto read = [&](DbState* state) -> std::string {
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(db_path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
    std::string problem;
    auto fail = [&](const std::string& what) {
      problem = fmt::format("{}: {} ({})", what, db != nullptr ? sqlite3_errmsg(db) : "out of memory", rc);
    };
    if (rc != SQLITE_OK) fail("opening " + db_path);
    sqlite3_stmt* stmt = nullptr;
    if (problem.empty()) {
      std::string verdict;
      rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr);
      while (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        verdict += reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
        verdict += "\n";
        rc = SQLITE_OK;
      }
      sqlite3_finalize(stmt);
      stmt = nullptr;
      if (rc != SQLITE_DONE) {
        fail("PRAGMA integrity_check");
      } else if (verdict != "ok\n") {
        problem = "PRAGMA integrity_check says: " + verdict;
      }
    }
    if (problem.empty()) {
      rc = sqlite3_prepare_v2(db, fmt::format("SELECT k, v FROM {}", kSqliteTable).c_str(), -1, &stmt, nullptr);
      while (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        auto column = [&](int i) {
          return Bytes(static_cast<const char*>(sqlite3_column_blob(stmt, i)),
                       static_cast<std::size_t>(sqlite3_column_bytes(stmt, i)));
        };
        (*state)[kSqliteTable][column(0)] = column(1);
        rc = SQLITE_OK;
      }
      sqlite3_finalize(stmt);
      if (rc != SQLITE_DONE) fail("reading the table");
    }
    if (sqlite3_close(db) != SQLITE_OK && problem.empty()) problem = "closing the database failed";
    return problem;
  };
  // Opened twice: the first open recovers (rolls back a hot journal, replays the WAL);
  // after its clean close the second must read the same.
  DbState first, second;
  if (std::string problem = read(&first); !problem.empty()) return problem;
  if (std::string problem = read(&second); !problem.empty()) return "second open after a clean close: " + problem;
  if (first != second) return "the content changed across a clean close and open";
  *out = std::move(first);
  return "";
}

SqliteCliOutcome ParseSqliteCliOutput(const std::string& out, const SqliteCliConfig& config) {
  SqliteCliOutcome outcome;
  static const std::map<std::string, std::string> kLevel = {
      {"off", "0"}, {"normal", "1"}, {"full", "2"}, {"extra", "3"}};
  const std::string want = fmt::format("config|{}|{}", config.journal, kLevel.at(config.synchronous));
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("config|", 0) == 0) {
      outcome.configured = line == want;
      if (!outcome.configured)
        outcome.problem = fmt::format("the configuration did not take: '{}', want '{}'", line, want);
    } else if (line.rfind("ack|", 0) == 0) {
      if (line != fmt::format("ack|{}", outcome.acked + 1)) {
        outcome.problem = "acknowledgements out of order: " + line;
        break;
      }
      ++outcome.acked;
    }
  }
  return outcome;
}

std::string JudgeSqliteImage(const std::string& db_path, const SqliteCliWorkload& w, std::size_t acked, bool finished,
                             std::size_t* matched) {
  DbState state;
  if (std::string problem = ReadSqliteImage(db_path, &state); !problem.empty()) return "the crash image: " + problem;
  const Model model = CommitsOf(w.model, w.txns, acked, finished);
  StateCheck check = CheckState(model, state, PrefixWindow{model.MinPrefix(), model.MaxPrefix()});
  if (!check.ok()) return fmt::format("sqlite3 ({}) after the power cut: {}", w.config.Name(), check.explanation);
  *matched = check.matched_prefix;
  return "";
}

namespace {

void RunFuseSqlite(CaseContext& ctx, const SqliteCliConfig& config) {
  if (!ctx.WantStep(0)) return;
  if (std::string why = SkipReason(kSqlite3); !why.empty()) return SkipStep(ctx, 0, why);
  Step step(ctx, 0);
  const SqliteCliWorkload w = MakeSqliteCliWorkload(ctx.seed(), config);
  FuseCase fc(ctx);
  const std::string sqlite3 = Sqlite3Executable();
  // The database and its table made on real files (no sync needed: the base image is
  // served with everything durable), in the case's journal mode (WAL is persistent).
  const std::string base = fc.Scratch("base");
  std::filesystem::create_directories(base);
  {
    const std::string setup = WriteFile(fc, "setup.sql",
                                        fmt::format(".bail on\nPRAGMA journal_mode={};\nPRAGMA synchronous=OFF;\n{}",
                                                    config.journal, SqliteCliSetupSql()));
    ProgramRun run = RunProgram(sqlite3, {"-batch", "-init", "/dev/null", base + "/test.db"}, setup, fc.scratch.path());
    if (!Succeeded(run)) {
      step.Fail(fmt::format("creating the database with sqlite3 failed {}", Describe(run)));
      return;
    }
  }
  const Program program{sqlite3,
                        {"-batch", "-init", "/dev/null", fc.At("test.db")},
                        WriteFile(fc, "workload.sql", w.script),
                        fmt::format("sqlite3 ({})", config.Name())};
  std::optional<PowerCutRun> cut = RunWithPowerCut(step, ctx, fc, base, program);
  if (!cut) return;
  const SqliteCliOutcome outcome = ParseSqliteCliOutput(cut->run.out, config);
  const bool finished = Succeeded(cut->run);
  step.AddPlan(fmt::format("sqlite3 acknowledged {} of {} commits{}", outcome.acked, w.txns.size(),
                           finished ? " and finished" : ""));
  if (!outcome.problem.empty()) {
    step.Fail(outcome.problem);
    return;
  }
  // The configuration is printed before any transaction: a run cut before it says
  // nothing, the counting run (which must succeed) did.
  if (finished && !outcome.configured) {
    step.Fail("sqlite3 finished without printing its configuration");
    return;
  }
  std::size_t matched = 0;
  if (std::string violation = JudgeSqliteImage(cut->image + "/test.db", w, outcome.acked, finished, &matched);
      !violation.empty()) {
    step.Fail(violation);
    return;
  }
  step.AddHash(matched);
}

SqliteCliConfig FuseSqliteConfig(const CaseContext& ctx) {
  return ctx.id().index % 2 == 0 ? SqliteCliConfig{"wal", "full"} : SqliteCliConfig{"delete", "extra"};
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
  registry->Add(Scenario{
      "fuse-restore", "the real jetutil restore on a `jetfault mount`, power cut at a seeded operation of the restore",
      "On a `jetfault mount`, jetutil loads the first half of a seeded record file, takes a full backup into a set "
      "on the mount and loads the rest; that clean state is the base image. The unmodified `jetutil restore` of "
      "the set runs on the base once to count its FaultFs operations, then again with the power cut armed before "
      "a seeded one (seeded survivor policy), restoring over the instance itself in even cases (the set, then the "
      "log path's later logs: every commit) and onto a fresh machine with --dest in odd cases (exactly the set's "
      "commits). The image is mounted again: if restore had acknowledged (its summary line, exit 0), `jetutil "
      "recover` must succeed and `jetutil records` show exactly that window; if not, restore run again on the "
      "crash image (the set is intact) must succeed with exactly that window, and a refusal must also leave the "
      "instance's files unchanged. Skipped, with the reason on stderr, where FUSE cannot be used.",
      2, RunFuseRestore});
  registry->Add(Scenario{
      "fuse-sqlite",
      "the unmodified sqlite3 CLI on a `jetfault mount` (WAL/FULL, DELETE/EXTRA), power cut at a seeded operation",
      "The Debian `sqlite3` command-line tool runs a seeded script of transactions (INSERT OR REPLACE, DELETE, "
      "values up to 8 KB) on a `jetfault mount` serving a database created beforehand; after each COMMIT it prints "
      "an acknowledgement (`SELECT 'ack', n`, with `.bail on` so nothing runs after a failed statement). Even "
      "cases run journal_mode=WAL with synchronous=FULL (and locking_mode=EXCLUSIVE first: the mount's direct I/O "
      "allows no shared mmap, so the WAL index must live in SQLite's heap), odd cases DELETE with EXTRA; the "
      "configuration is read back. Once to count the FaultFs operations, then again with the power cut armed "
      "before a seeded one (seeded survivor policy); the crash image is opened with libsqlite3 from a real "
      "directory (hot journal rolled back, WAL replayed): PRAGMA integrity_check must say ok, the content must be "
      "a prefix of the transactions holding every acknowledged commit, and the same after a clean close and "
      "reopen. Skipped, with the reason on stderr, where FUSE or sqlite3 is missing.",
      2, [](CaseContext& ctx) { RunFuseSqlite(ctx, FuseSqliteConfig(ctx)); }});
  Scenario unsafe{
      "fuse-sqlite-delete-full",
      "fuse-sqlite with DELETE/FULL, whose journal unlink is not durable: violations expected; run only when named",
      "fuse-sqlite's run in journal_mode=DELETE with synchronous=FULL, where SQLite commits by unlinking the "
      "journal without syncing the directory (only EXTRA does): a power cut before the next transaction's "
      "journal sync can bring the old journal back, and the next open rolls an acknowledged commit back "
      "(lost-durable-commit). The expected result is violations in some cases: it shows the oracle catches a "
      "real durability gap of an unmodified program through the mount. Not in the default campaign.",
      8, [](CaseContext& ctx) {
        RunFuseSqlite(ctx, SqliteCliConfig{"delete", "full"});
      }};
  unsafe.in_default_campaign = false;
  registry->Add(std::move(unsafe));
}

}  // namespace jetharness::fuse

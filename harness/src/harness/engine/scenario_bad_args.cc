// bad-args: API misuse must be refused with a parameter error, and nothing else.
#include <fmt/format.h>

#include <boost/process.hpp>
#include <cstdlib>
#include <set>
#include <sstream>

#include "harness/core/hash.h"
#include "harness/engine/progress_check.h"
#include "harness/engine/scenarios.h"

namespace jetharness {

namespace {

// One misuse: `run` performs it on a fresh disk and returns the code of the call under
// test; `expected` is what ESE documents for it (a subset of the bad_argument row).
struct Misuse {
  const char* name;
  std::set<JET_ERR> expected;
  std::function<JET_ERR(const Env&, faultfs::MemFs&)> run;
};

// A backup or restore call with a checked pfn: its code, or kModelViolation when its
// progress reports broke the contract (progress_check.h).
JET_ERR Reporting(JET_SNP snp, const std::function<JET_ERR(JET_PFNSTATUS)>& call) {
  std::string broken;
  const JET_ERR err = CallWithCheckedProgress(snp, call, &broken);
  return broken.empty() ? err : kModelViolation;
}

JET_ERR InitAndDo(const Env& env, faultfs::MemFs& disk, const std::function<JET_ERR(EngineInstance&)>& fn) {
  EngineInstance instance(&disk, env.settings);
  if (instance.Init() < 0) return instance.failure().code;
  return fn(instance);
}

std::vector<Misuse> Misuses() {
  return {
      {"JetInit twice",
       {JET_errAlreadyInitialized},
       [](const Env& env, faultfs::MemFs& disk) {
         return InitAndDo(env, disk, [](EngineInstance& i) {
           JET_INSTANCE handle = i.handle();
           return JetInit(&handle);
         });
       }},
      {"JetTerm of a handle never created",
       {JET_errInvalidInstance, JET_errInvalidParameter},
       [](const Env&, faultfs::MemFs&) { return JetTerm(static_cast<JET_INSTANCE>(0x7777)); }},
      {"JetBeginSession on a handle never created",
       {JET_errInvalidInstance, JET_errInvalidParameter},
       [](const Env&, faultfs::MemFs&) {
         JET_SESID sesid = JET_sesidNil;
         return JetBeginSession(static_cast<JET_INSTANCE>(0x7777), &sesid, nullptr, nullptr);
       }},
      {"JetRestoreInstance from a directory that does not exist",
       {JET_errInvalidPath, JET_errFileNotFound, JET_errInvalidParameter, JET_errNoBackupDirectory},
       [](const Env& env, faultfs::MemFs& disk) {
         EngineInstance instance(&disk, env.settings);
         return Reporting(JET_snpRestore, [&](JET_PFNSTATUS pfn) {
           return JetRestoreInstance(instance.handle(), "/no/such/backup", nullptr, pfn);
         });
       }},
      {"JetRestoreInstance with a null backup path",
       {JET_errInvalidParameter, JET_errInvalidPath, JET_errNoBackupDirectory},
       [](const Env& env, faultfs::MemFs& disk) {
         EngineInstance instance(&disk, env.settings);
         return Reporting(JET_snpRestore, [&](JET_PFNSTATUS pfn) {
           return JetRestoreInstance(instance.handle(), nullptr, nullptr, pfn);
         });
       }},
      {"JetRestoreInstance on a running instance",
       {JET_errAlreadyInitialized, JET_errAfterInitialization},
       [](const Env& env, faultfs::MemFs& disk) {
         return InitAndDo(env, disk, [](EngineInstance& i) {
           return Reporting(JET_snpRestore,
                            [&](JET_PFNSTATUS pfn) { return JetRestoreInstance(i.handle(), "/backup", nullptr, pfn); });
         });
       }},
      {"JetSetSystemParameter(page size) after JetInit",
       {JET_errAlreadyInitialized, JET_errAfterInitialization, JET_errSystemParamsAlreadySet},
       [](const Env& env, faultfs::MemFs& disk) {
         return InitAndDo(env, disk, [](EngineInstance& i) {
           JET_INSTANCE handle = i.handle();
           return JetSetSystemParameter(&handle, JET_sesidNil, JET_paramDatabasePageSize, 16384, nullptr);
         });
       }},
      {"JET_paramDatabasePageSize of 1234",
       {JET_errInvalidParameter},
       [](const Env& env, faultfs::MemFs& disk) {
         // A fresh instance (EngineInstance names each one uniquely, so a repeated
         // run in the same process cannot trip over an instance name in use).
         EngineInstance instance(&disk, env.settings);
         JET_INSTANCE handle = instance.handle();
         return JetSetSystemParameter(&handle, JET_sesidNil, JET_paramDatabasePageSize, 1234, nullptr);
       }},
      {"JetInit with another page size than the logs",
       {JET_errPageSizeMismatch},
       [](const Env& env, faultfs::MemFs& disk) {
         // Logs of this page size first, then an instance of twice the size (half of
         // the largest, 32 KiB).
         InitAndDo(env, disk, [](EngineInstance& i) { return i.Term(); });
         Env other = env;
         other.settings.page_size = env.settings.page_size == 32768 ? 16384 : env.settings.page_size * 2;
         EngineInstance instance(&disk, other.settings);
         return instance.Init();
       }},
      {"JetAttachDatabase of a file that does not exist",
       {JET_errFileNotFound, JET_errDatabaseNotFound},
       [](const Env& env, faultfs::MemFs& disk) {
         return InitAndDo(env, disk, [](EngineInstance& i) {
           JET_SESID sesid = JET_sesidNil;
           JET_ERR err = JetBeginSession(i.handle(), &sesid, nullptr, nullptr);
           return err < 0 ? err : JetAttachDatabase(sesid, "/inst/db/nothing.edb", 0);
         });
       }},
      {"JetCreateDatabase with an empty path",
       {JET_errInvalidPath, JET_errInvalidParameter, JET_errDatabaseInvalidName, JET_errInvalidName},
       [](const Env& env, faultfs::MemFs& disk) {
         return InitAndDo(env, disk, [](EngineInstance& i) {
           JET_SESID sesid = JET_sesidNil;
           JET_DBID dbid = JET_dbidNil;
           JET_ERR err = JetBeginSession(i.handle(), &sesid, nullptr, nullptr);
           return err < 0 ? err : JetCreateDatabase(sesid, "", nullptr, &dbid, 0);
         });
       }},
      {"JetBackupInstance into a directory that is not empty",
       {JET_errBackupDirectoryNotEmpty},
       [](const Env& env, faultfs::MemFs& disk) {
         (void)faultfs::MakeDirs(disk, "/full");
         std::vector<std::uint8_t> bytes = {1};
         (void)faultfs::WriteWholeFile(disk, "/full/junk", bytes);
         return InitAndDo(env, disk, [](EngineInstance& i) {
           return Reporting(JET_snpBackup,
                            [&](JET_PFNSTATUS pfn) { return JetBackupInstance(i.handle(), "/full", 0, pfn); });
         });
       }},
      {"JetBackupInstance with no directory",
       {JET_errNoBackupDirectory, JET_errInvalidParameter, JET_errInvalidPath},
       [](const Env& env, faultfs::MemFs& disk) {
         return InitAndDo(env, disk, [](EngineInstance& i) {
           return Reporting(JET_snpBackup,
                            [&](JET_PFNSTATUS pfn) { return JetBackupInstance(i.handle(), nullptr, 0, pfn); });
         });
       }},
      {"JetCommitTransaction outside a transaction",
       {JET_errNotInTransaction},
       [](const Env& env, faultfs::MemFs& disk) {
         return InitAndDo(env, disk, [](EngineInstance& i) {
           JET_SESID sesid = JET_sesidNil;
           JET_ERR err = JetBeginSession(i.handle(), &sesid, nullptr, nullptr);
           return err < 0 ? err : JetCommitTransaction(sesid, 0);
         });
       }},
  };
}

// Legacy-mode misuses: they change the process-wide mode, so each runs in a child.
struct LegacyMisuse {
  const char* name;
  std::set<JET_ERR> expected;
};
const LegacyMisuse kLegacy[] = {
    {"legacy JetInit(null) after JetCreateInstance", {JET_errRunningInMultiInstanceMode}},
    {"JetCreateInstance after legacy JetInit(null)", {JET_errRunningInOneInstanceMode}},
};

std::string CodeSet(const std::set<JET_ERR>& codes) {
  std::string out;
  for (JET_ERR c : codes) out += (out.empty() ? "" : ", ") + std::string(JetErrorName(c));
  return out;
}

void Judge(Step& step, const std::string& name, const std::set<JET_ERR>& expected, JET_ERR code) {
  step.AddHash(static_cast<std::uint64_t>(static_cast<std::int64_t>(code)));
  step.ctx().CountFault(FaultClass::kBadArgument);
  if (code >= 0) {
    step.Fail(fmt::format("{}: succeeded ({}), expected {}", name, CodeLabel(code), CodeSet(expected)));
    return;
  }
  if (!step.CheckCode(FaultClass::kBadArgument, FileRole::kAny, Phase::kApi, name, code)) return;
  if (expected.count(code) == 0) {
    step.Fail(fmt::format("{}: returned {}, ESE documents {}", name, CodeLabel(code), CodeSet(expected)));
  }
}

void RunBadArgs(CaseContext& ctx) {
  Env env = MakeEnv(ctx.seed(), 1, 0);
  std::vector<Misuse> misuses = Misuses();
  std::uint64_t step_index = 0;
  for (const Misuse& m : misuses) {
    std::uint64_t i = step_index++;
    if (!ctx.WantStep(i)) continue;
    Step step(ctx, i);
    step.AddPlan(m.name);
    auto disk = EmptyDisk(env.settings.layout);
    Judge(step, m.name, m.expected, m.run(env, *disk));
  }
  for (std::size_t l = 0; l < std::size(kLegacy); ++l) {
    std::uint64_t i = step_index++;
    if (!ctx.WantStep(i)) continue;
    if (ChildExecutable().empty()) {
      SkipStep(ctx, i, "no child executable for legacy-mode cases");
      continue;
    }
    Step step(ctx, i);
    step.AddPlan(std::string(kLegacy[l].name) + " (in a child process)");
    boost::process::ipstream out;
    boost::process::child child(ChildExecutable(), "__bad-args-child", std::to_string(l), boost::process::std_out > out,
                                boost::process::std_err > boost::process::null);
    std::string line;
    std::getline(out, line);
    child.wait();
    int status = child.native_exit_code();
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      step.Fail(fmt::format("{}: the child process died (status {:#x})", kLegacy[l].name, status));
      continue;
    }
    Judge(step, kLegacy[l].name, kLegacy[l].expected, static_cast<JET_ERR>(std::atoi(line.c_str())));
  }
}

}  // namespace

int RunBadArgsChild(int case_number) {
  faultfs::MemFs disk;
  JET_ERR code = JET_errInvalidParameter;
  JET_INSTANCE instance = JET_instanceNil;
  auto legacy_init = [&] {
    (void)JetSetSystemParameter(nullptr, JET_sesidNil, JET_paramVfs, reinterpret_cast<JET_API_PTR>(&disk), nullptr);
    (void)JetSetSystemParameter(nullptr, JET_sesidNil, JET_paramLogFilePath, 0, "/");
    (void)JetSetSystemParameter(nullptr, JET_sesidNil, JET_paramSystemPath, 0, "/");
    return JetInit(nullptr);
  };
  switch (case_number) {
    case 0:
      code = JetCreateInstance(&instance, "multi");
      if (code >= 0) code = legacy_init();
      break;
    case 1:
      code = legacy_init();
      if (code >= 0) code = JetCreateInstance(&instance, "multi");
      break;
    default: return 2;
  }
  std::printf("%d\n", code);
  std::fflush(stdout);
  return 0;
}

Scenario BadArgsScenario() {
  return Scenario{
      "bad-args", "invalid paths, handles and parameters, page-size mismatch, double init, legacy/multi-instance mix",
      "Each step performs one API misuse on a fresh in-memory disk (JetInit twice, unknown handles, restore "
      "from a missing or null path, restore on a running instance, parameters after init, an invalid page "
      "size, a page size other than the logs', attaching a missing file, an empty database path, backup into "
      "a non-empty or no directory, commit outside a transaction). The call must fail with a code of the "
      "bad_argument row and, more precisely, one ESE documents for that misuse. The legacy-mode cases (legacy "
      "JetInit after JetCreateInstance and the reverse) change the process-wide mode, so they run in a fresh "
      "child process (`jetfault __bad-args-child N`).",
      1, RunBadArgs};
}

}  // namespace jetharness

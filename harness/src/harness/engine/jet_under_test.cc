#include "harness/engine/jet_under_test.h"

#include "harness/engine/scenarios.h"
#include "jetfault/assert.h"

namespace jetharness {

JetUnderTest::~JetUnderTest() {
  // A scenario ends every engine with Close or Abandon; an exception on the way may not.
  Abandon();
}

namespace {

// An instance's first failure, if any (its calls are sticky), else success.
EngineResult ResultOf(const EngineInstance& instance) {
  const CallFailure& f = instance.failure();
  if (!f.failed()) return EngineResult{};
  if (f.code == kModelViolation) return EngineResult{kSeamModelMismatch, f.call, "the engine broke the model"};
  return EngineResult{f.code, f.call, JetErrorName(f.code)};
}

}  // namespace

EngineResult JetUnderTest::Result() const {
  JF_ASSERT(instance_ != nullptr);
  return ResultOf(*instance_);
}

EngineResult JetUnderTest::Open(faultfs::Vfs* vfs, const WorkloadSpec& spec, bool create) {
  JF_ASSERT(instance_ == nullptr);
  spec_ = spec;
  instance_ = std::make_unique<EngineInstance>(vfs, settings_);
  if (instance_->Init() >= 0) session_ = std::make_unique<WorkloadSession>(*instance_, spec_, create);
  return Result();
}

EngineResult JetUnderTest::Begin() {
  session_->BeginTransaction();
  return Result();
}

EngineResult JetUnderTest::Write(const SpecOp& op) {
  session_->WriteRecord(op);
  return Result();
}

EngineResult JetUnderTest::Commit(CommitMode mode) {
  session_->CommitTransaction(mode);
  return Result();
}

EngineResult JetUnderTest::Rollback() {
  session_->Rollback();
  return Result();
}

EngineResult JetUnderTest::Backup(const std::string& backup_dir) {
  instance_->Backup(backup_dir);
  return Result();
}

EngineResult JetUnderTest::Restore(faultfs::Vfs* vfs, const std::string& backup_dir) {
  JF_ASSERT(instance_ == nullptr);
  EngineInstance restorer(vfs, settings_);
  restorer.Restore(backup_dir);
  return ResultOf(restorer);  // the instance is left uninitialised either way
}

EngineResult JetUnderTest::Scan(const WorkloadSpec& spec, DbState* out) {
  ReadBack read = ReadAllDatabases(*instance_, spec, ScanMoveBudget(spec));
  EngineResult r = Result();
  if (!r.ok()) return r;
  if (!read.physical_problem.empty()) return EngineResult{kSeamModelMismatch, "physical check", read.physical_problem};
  *out = std::move(read.state);
  return EngineResult{};
}

EngineResult JetUnderTest::Close() {
  JF_ASSERT(instance_ != nullptr);
  session_.reset();  // its handles end with the instance
  const JET_ERR err = instance_->Term();
  EngineResult r = Result();
  if (r.ok() && err < 0) r = EngineResult{err, "JetTerm", JetErrorName(err)};
  instance_.reset();
  return r;
}

void JetUnderTest::Abandon() {
  session_.reset();
  instance_.reset();  // JetTerm2(JET_bitTermAbrupt): everything dropped, as a killed process
}

std::string JetUnderTest::CodeViolation(FaultClass fault, const std::string& faulted_path,
                                        const EngineResult& failure) const {
  ErrMapCoverage scratch;  // the campaign's "error map" line counts JET's own scenarios
  return scratch.Check(fault, ClassifyPath(settings_.layout, faulted_path), PhaseOfCall(failure.call, Phase::kWorkload),
                       failure.code);
}

std::string JetUnderTest::CodeLabel(int code) const { return ::jetharness::CodeLabel(code); }

InstanceSettings JetSeamSettings(const std::string& dir) {
  InstanceSettings settings;
  settings.layout.system_dir = dir;
  settings.layout.log_dir = dir;
  settings.layout.db_dir = dir;
  if (const auto& page_size = CurrentWorkloadSize().page_size) settings.page_size = *page_size;
  return settings;
}

SeamEnv MakeJetSeamEnv(const CaseContext& ctx) {
  SeamEnv env;
  env.spec = GenerateWorkload(SeamWorkloadConfig(ctx));  // JET's lazy commits kept
  const InstanceSettings settings = JetSeamSettings(env.data_dir);
  env.make = [settings] { return std::make_unique<JetUnderTest>(settings); };
  return env;
}

SeamEnv MakeJetSeamBackupEnv(const CaseContext& ctx) {
  SeamEnv env = MakeJetSeamEnv(ctx);
  env.spec.inflight.clear();
  InstanceSettings settings = JetSeamSettings(env.data_dir);
  settings.circular = true;
  env.make = [settings] { return std::make_unique<JetUnderTest>(settings); };
  return env;
}

}  // namespace jetharness

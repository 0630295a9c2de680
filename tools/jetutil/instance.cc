#include "instance.h"

#include <cstdio>
#include <filesystem>

namespace jetutil {

namespace {
void PrintEvent(const char* json_line) {
  std::fprintf(stderr, "%s\n", json_line);
  std::fflush(stderr);
}
}  // namespace

InstanceConfig MakeInstanceConfig(const GlobalOptions& options, const std::string& system_path,
                                  const std::string& log_path, bool circular_log) {
  InstanceConfig config;
  config.system_path = std::filesystem::absolute(system_path).lexically_normal().string();
  config.log_path = std::filesystem::absolute(log_path).lexically_normal().string();
  config.page_size = options.page_size;
  config.log_file_size_kib = options.log_file_size_kib;
  config.circular_log = circular_log;
  config.verbose = options.verbose;
  return config;
}

Instance::Instance(const InstanceConfig& config) {
  CheckJet(JetCreateInstance(&instance_, "jetutil"), "JetCreateInstance");
  auto set_string = [this](unsigned long param, const std::string& value, const std::string& name) {
    CheckJet(JetSetSystemParameter(&instance_, JET_sesidNil, param, 0, value.c_str()), name);
  };
  auto set_number = [this](unsigned long param, JET_API_PTR value, const std::string& name) {
    CheckJet(JetSetSystemParameter(&instance_, JET_sesidNil, param, value, nullptr), name);
  };
  set_string(JET_paramSystemPath, config.system_path, "JET_paramSystemPath " + config.system_path);
  set_string(JET_paramLogFilePath, config.log_path, "JET_paramLogFilePath " + config.log_path);
  if (config.page_size) set_number(JET_paramDatabasePageSize, *config.page_size, "JET_paramDatabasePageSize");
  if (config.log_file_size_kib) set_number(JET_paramLogFileSize, *config.log_file_size_kib, "JET_paramLogFileSize");
  if (config.circular_log) set_number(JET_paramCircularLog, 1, "JET_paramCircularLog");
  // A restore onto a fresh machine (no log, system or --dest directory yet) should just
  // work; the engine's default, as ESE's, refuses missing paths (JET_errInvalidPath).
  set_number(JET_paramCreatePathIfNotExist, 1, "JET_paramCreatePathIfNotExist");
  // The page cache is the engine's default (JET_paramCacheSizeMax: 32 MiB of pages), so
  // a load or a restore keeps a peak RSS independent of the database's size.
  if (config.restore_link_memory) {
    set_number(JET_paramRestoreLinkMemoryMax, static_cast<JET_API_PTR>(*config.restore_link_memory),
               "JET_paramRestoreLinkMemoryMax");
  }
  if (config.verbose) {
    set_number(JET_paramRestoreEventSink, reinterpret_cast<JET_API_PTR>(&PrintEvent), "JET_paramRestoreEventSink");
  }
}

Instance::~Instance() {
  if (initialized_) JetTerm(instance_);  // best effort on an error path; the error is already reported
}

void Instance::Init() {
  CheckJet(JetInit(&instance_), "JetInit");
  initialized_ = true;
}

void Instance::Term() {
  initialized_ = false;
  CheckJet(JetTerm(instance_), "JetTerm");
}

void Instance::TermAbrupt() {
  initialized_ = false;
  CheckJet(JetTerm2(instance_, JET_bitTermAbrupt), "JetTerm2(JET_bitTermAbrupt)");
}

Session::Session(const Instance& instance) {
  CheckJet(JetBeginSession(instance.handle(), &sesid_, nullptr, nullptr), "JetBeginSession");
}

Session::~Session() { JetEndSession(sesid_, 0); }

}  // namespace jetutil

// tools/jetutil/instance.h — scoped wrappers over the JET instance and session calls
// that jetutil subcommands make, so every command configures an instance the same way
// and always shuts it down (cleanly unless it asks otherwise).
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "cli.h"
#include "jet/jet.h"

namespace jetutil {

struct InstanceConfig {
  std::string system_path;  // checkpoint directory (JET_paramSystemPath)
  std::string log_path;     // log directory (JET_paramLogFilePath)
  std::optional<std::uint32_t> page_size;
  std::optional<std::uint32_t> log_file_size_kib;
  bool circular_log = false;
  bool verbose = false;                              // JET_paramRestoreEventSink: print restore events on stderr
  std::optional<std::uint64_t> restore_link_memory;  // JET_paramRestoreLinkMemoryMax (restore --link-memory)
};

// The instance config from the global options plus the command's own paths. Paths
// are made absolute so the engine sees the same file whatever its working directory.
InstanceConfig MakeInstanceConfig(const GlobalOptions& options, const std::string& system_path,
                                  const std::string& log_path, bool circular_log);

// JetCreateInstance + parameters on construction; JetTerm on destruction if the
// instance was initialised (by Init, or by a restore that left it running).
class Instance {
 public:
  explicit Instance(const InstanceConfig& config);
  ~Instance();
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  // JetInit: soft recovery when the logs need it.
  void Init();
  // JetTerm: clean shutdown (databases consistent, checkpoint advanced).
  void Term();
  // JetTerm2(JET_bitTermAbrupt): stop as a crashed process would; no cleanup.
  void TermAbrupt();
  // After JetRestoreInstance: the engine leaves the instance uninitialised either way.
  JET_INSTANCE handle() const { return instance_; }

 private:
  JET_INSTANCE instance_ = JET_instanceNil;
  bool initialized_ = false;
};

// JetBeginSession / JetEndSession.
class Session {
 public:
  explicit Session(const Instance& instance);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;
  JET_SESID id() const { return sesid_; }

 private:
  JET_SESID sesid_ = JET_sesidNil;
};

}  // namespace jetutil

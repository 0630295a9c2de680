#include "core/registry.h"

#include <atomic>
#include <map>
#include <mutex>
#include <vector>

#include "core/instance_state.h"
#include "core/lifecycle.h"
#include "core/test_reset.h"

namespace jet::core {
namespace {

struct Registry {
  std::mutex mu;
  std::unique_ptr<InstanceRuntime> global;
  JET_INSTANCE global_handle = 0;
  std::map<JET_INSTANCE, std::unique_ptr<InstanceRuntime>> multi;
  // Terminated instances stay allocated so a late call through a stale pointer held
  // by a session handle cannot touch freed memory; their handles are gone.
  std::vector<std::unique_ptr<InstanceRuntime>> retired;
  JET_INSTANCE next_instance = 1;
  std::map<JET_SESID, InstanceRuntime*> sessions;
  JET_SESID next_session = 1;
  std::atomic<JET_TABLEID> next_table{1};
};

Registry& Reg() {
  static Registry* registry = new Registry;  // never destroyed: usable during exit
  return *registry;
}

bool IsLegacyHandle(const JET_INSTANCE* pinstance) {
  return pinstance == nullptr || *pinstance == JET_instanceNil || *pinstance == 0;
}

InstanceRuntime* GlobalLocked(Registry& reg) {
  if (!reg.global) {
    reg.global = std::make_unique<InstanceRuntime>("");
    reg.global_handle = reg.next_instance++;
  }
  return reg.global.get();
}

}  // namespace

JET_ERR CreateInstance(JET_INSTANCE* pinstance, const char* name) {
  if (pinstance == nullptr) return JET_errInvalidParameter;
  Registry& reg = Reg();
  std::lock_guard lock(reg.mu);
  if (reg.global && reg.global->is_running()) return JET_errRunningInOneInstanceMode;
  std::string instance_name = name != nullptr ? name : "";
  for (const auto& entry : reg.multi) {
    if (!instance_name.empty() && entry.second->config().name == instance_name) return JET_errInstanceNameInUse;
  }
  auto runtime = std::make_unique<InstanceRuntime>(instance_name);
  JET_INSTANCE handle = reg.next_instance++;
  reg.multi[handle] = std::move(runtime);
  *pinstance = handle;
  return JET_errSuccess;
}

JET_ERR InstanceRuntime::ResolveInstanceForInit(JET_INSTANCE* pinstance, InstanceRuntime** out) {
  Registry& reg = Reg();
  std::lock_guard lock(reg.mu);
  InstanceRuntime* runtime = nullptr;
  if (IsLegacyHandle(pinstance)) {
    if (!reg.multi.empty()) return JET_errRunningInMultiInstanceMode;
    runtime = GlobalLocked(reg);
    if (pinstance != nullptr) *pinstance = reg.global_handle;
  } else if (reg.global && *pinstance == reg.global_handle) {
    if (!reg.multi.empty()) return JET_errRunningInMultiInstanceMode;
    runtime = reg.global.get();
  } else {
    auto it = reg.multi.find(*pinstance);
    if (it == reg.multi.end()) return JET_errInvalidParameter;
    if (reg.global && reg.global->is_running()) return JET_errRunningInOneInstanceMode;
    runtime = it->second.get();
  }
  // Before is_running(): a restore may hold the instance mutex for a long time.
  if (runtime->restoring()) return JET_errRestoreInProgress;
  if (runtime->is_running()) return JET_errAlreadyInitialized;
  *out = runtime;
  return JET_errSuccess;
}

JET_ERR ResolveInstanceForConfig(JET_INSTANCE* pinstance, InstanceRuntime** out) {
  Registry& reg = Reg();
  std::lock_guard lock(reg.mu);
  if (IsLegacyHandle(pinstance) || (reg.global && *pinstance == reg.global_handle)) {
    *out = GlobalLocked(reg);
    return JET_errSuccess;
  }
  auto it = reg.multi.find(*pinstance);
  if (it == reg.multi.end()) return JET_errInvalidParameter;
  *out = it->second.get();
  return JET_errSuccess;
}

JET_ERR ResolveInstance(JET_INSTANCE instance, InstanceRuntime** out) {
  Registry& reg = Reg();
  std::lock_guard lock(reg.mu);
  if (instance == JET_instanceNil || instance == 0 || (reg.global && instance == reg.global_handle)) {
    if (!reg.global) return JET_errInvalidInstance;
    *out = reg.global.get();
    return JET_errSuccess;
  }
  auto it = reg.multi.find(instance);
  if (it == reg.multi.end()) return JET_errInvalidInstance;
  *out = it->second.get();
  return JET_errSuccess;
}

JET_ERR InstanceRuntime::ResolveRunningInstance(JET_INSTANCE instance, InstanceRuntime** out) {
  JET_ERR err = ResolveInstance(instance, out);
  if (err < 0) return err;
  if ((*out)->restoring()) return JET_errRestoreInProgress;
  return (*out)->is_running() ? JET_errSuccess : JET_errNotInitialized;
}

void RetireInstance(InstanceRuntime* runtime) {
  Registry& reg = Reg();
  std::lock_guard lock(reg.mu);
  for (auto it = reg.multi.begin(); it != reg.multi.end(); ++it) {
    if (it->second.get() == runtime) {
      reg.retired.push_back(std::move(it->second));
      reg.multi.erase(it);
      return;
    }
  }
}

JET_SESID RegisterSession(InstanceRuntime* runtime) {
  Registry& reg = Reg();
  std::lock_guard lock(reg.mu);
  JET_SESID id = reg.next_session++;
  reg.sessions[id] = runtime;
  return id;
}

void UnregisterSession(JET_SESID sesid) {
  Registry& reg = Reg();
  std::lock_guard lock(reg.mu);
  reg.sessions.erase(sesid);
}

void UnregisterSessionsOf(InstanceRuntime* runtime) {
  Registry& reg = Reg();
  std::lock_guard lock(reg.mu);
  for (auto it = reg.sessions.begin(); it != reg.sessions.end();) {
    it = it->second == runtime ? reg.sessions.erase(it) : std::next(it);
  }
}

InstanceRuntime* SessionInstance(JET_SESID sesid) {
  Registry& reg = Reg();
  std::lock_guard lock(reg.mu);
  auto it = reg.sessions.find(sesid);
  return it == reg.sessions.end() ? nullptr : it->second;
}

JET_TABLEID NewTableId() { return Reg().next_table.fetch_add(1); }

void ResetProcessStateForTests() {
  Registry& reg = Reg();
  std::lock_guard lock(reg.mu);
  auto stop = [](InstanceRuntime& rt) {
    std::lock_guard instance_lock(rt.mutex());
    ShutdownAbruptLocked(rt);
  };
  if (reg.global) stop(*reg.global);
  for (auto& entry : reg.multi) stop(*entry.second);
  reg.global.reset();
  reg.multi.clear();
  reg.retired.clear();
  reg.sessions.clear();
}

}  // namespace jet::core

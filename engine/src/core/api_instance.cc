// Public API: instances and system parameters (jet/jet.h).
#include <cstring>
#include <string>

#include "core/api_guard.h"
#include "db/long_value.h"
#include "format/db_header.h"

using jet::core::ApiGuard;
using jet::core::InstanceConfig;
using jet::core::InstanceRuntime;

namespace {

JET_ERR SetString(std::string* field, JET_PCSTR value) {
  if (value == nullptr || *value == '\0') return JET_errInvalidParameter;
  *field = value;
  return JET_errSuccess;
}

JET_ERR SetParameter(InstanceConfig& c, unsigned long paramid, JET_API_PTR lParam, JET_PCSTR sz) {
  switch (paramid) {
    case JET_paramSystemPath: return SetString(&c.system_path, sz);
    case JET_paramTempPath: return JET_errSuccess;
    case JET_paramLogFilePath: return SetString(&c.log_path, sz);
    case JET_paramBaseName:
      if (sz == nullptr || std::strlen(sz) != 3) return JET_errInvalidParameter;
      c.base_name = sz;
      return JET_errSuccess;
    case JET_paramLogFileSize:
      // At least 64 KiB, whole 4 KiB sectors (the log's unit), at most 64 MiB.
      if (lParam < 64 || lParam > (64u << 10) || lParam % 4 != 0) return JET_errInvalidParameter;
      c.log_file_bytes = static_cast<std::uint32_t>(lParam * 1024);
      return JET_errSuccess;
    case JET_paramCircularLog: c.circular = lParam != 0; return JET_errSuccess;
    case JET_paramRecovery:
      if (sz == nullptr) return JET_errInvalidParameter;
      if (std::strcmp(sz, "on") == 0) {
        c.recovery = true;
      } else if (std::strcmp(sz, "off") == 0) {
        c.recovery = false;
      } else {
        return JET_errInvalidParameter;
      }
      return JET_errSuccess;
    case JET_paramDatabasePageSize:
      if (!jet::format::IsSupportedPageSize(static_cast<std::uint32_t>(lParam))) return JET_errInvalidParameter;
      c.page_size = static_cast<std::uint32_t>(lParam);
      return JET_errSuccess;
    case JET_paramVfs: c.vfs = reinterpret_cast<faultfs::Vfs*>(lParam); return JET_errSuccess;
    case JET_paramCacheSizeMax:
      // 0 puts the default back; a page count must fit the engine's 32-bit page numbers.
      if (std::uint64_t{lParam} > 0xffffffffu) return JET_errInvalidParameter;
      c.cache_pages_max = static_cast<std::uint32_t>(lParam);
      return JET_errSuccess;
    case JET_paramRestoreLinkMemoryMax: c.restore_link_memory = lParam; return JET_errSuccess;
    case JET_paramCreatePathIfNotExist: c.create_paths = lParam != 0; return JET_errSuccess;
    case JET_paramRestoreEventSink: c.event_sink = reinterpret_cast<JET_PFNEVENT>(lParam); return JET_errSuccess;
    default: return JET_errInvalidParameter;
  }
}

JET_ERR CopyOut(const std::string& value, char* sz, unsigned long cbMax) {
  if (sz == nullptr || cbMax < value.size() + 1) return JET_errBufferTooSmall;
  std::memcpy(sz, value.c_str(), value.size() + 1);
  return JET_errSuccess;
}

JET_ERR GetParameter(const InstanceConfig& c, unsigned long paramid, JET_API_PTR* pl, char* sz, unsigned long cbMax) {
  auto number = [&](JET_API_PTR v) {
    if (pl == nullptr) return JET_errInvalidParameter;
    *pl = v;
    return JET_errSuccess;
  };
  switch (paramid) {
    case JET_paramSystemPath: return CopyOut(c.system_path, sz, cbMax);
    case JET_paramLogFilePath: return CopyOut(c.log_path, sz, cbMax);
    case JET_paramBaseName: return CopyOut(c.base_name, sz, cbMax);
    case JET_paramRecovery: return CopyOut(c.recovery ? "on" : "off", sz, cbMax);
    case JET_paramLogFileSize: return number(c.log_file_bytes / 1024);
    case JET_paramCircularLog: return number(c.circular ? 1 : 0);
    case JET_paramDatabasePageSize: return number(c.page_size);
    case JET_paramLVChunkSizeMost: return number(jet::db::LongValueChunkSize(c.page_size));
    case JET_paramVfs: return number(reinterpret_cast<JET_API_PTR>(c.vfs));
    case JET_paramCacheSizeMax: return number(c.CachePagesMax());
    case JET_paramRestoreLinkMemoryMax: return number(static_cast<JET_API_PTR>(c.RestoreLinkMemory()));
    case JET_paramCreatePathIfNotExist: return number(c.create_paths ? 1 : 0);
    case JET_paramRestoreEventSink: return number(reinterpret_cast<JET_API_PTR>(c.event_sink));
    default: return JET_errInvalidParameter;
  }
}

}  // namespace

JET_ERR JetCreateInstance(JET_INSTANCE* pinstance, JET_PCSTR szInstanceName) {
  return ApiGuard([&] { return jet::core::CreateInstance(pinstance, szInstanceName); });
}

JET_ERR JetSetSystemParameter(JET_INSTANCE* pinstance, JET_SESID, unsigned long paramid, JET_API_PTR lParam,
                              JET_PCSTR szParam) {
  return ApiGuard([&]() -> JET_ERR {
    InstanceRuntime* rt = nullptr;
    JET_ERR err = jet::core::ResolveInstanceForConfig(pinstance, &rt);
    if (err < 0) return err;
    // Checked before and after taking the mutex: refused at once while a restore holds
    // it, and never changed under a restore that began while this call waited.
    if (rt->restoring()) return JET_errRestoreInProgress;
    std::lock_guard lock(rt->mutex());
    if (rt->restoring()) return JET_errRestoreInProgress;
    if (rt->state().running) return JET_errAfterInitialization;
    return SetParameter(rt->mutable_config(), paramid, lParam, szParam);
  });
}

JET_ERR JetGetSystemParameter(JET_INSTANCE instance, JET_SESID, unsigned long paramid, JET_API_PTR* plParam,
                              char* szParam, unsigned long cbMax) {
  return ApiGuard([&]() -> JET_ERR {
    InstanceRuntime* rt = nullptr;
    JET_INSTANCE handle = instance;
    JET_ERR err = jet::core::ResolveInstanceForConfig(&handle, &rt);
    if (err < 0) return err;
    std::lock_guard lock(rt->mutex());
    return GetParameter(rt->config(), paramid, plParam, szParam, cbMax);
  });
}

JET_ERR JetInit(JET_INSTANCE* pinstance) {
  return ApiGuard([&]() -> JET_ERR {
    InstanceRuntime* rt = nullptr;
    JET_ERR err = InstanceRuntime::ResolveInstanceForInit(pinstance, &rt);
    if (err < 0) return err;
    std::lock_guard lock(rt->mutex());
    // A restore that began after ResolveInstanceForInit's check.
    if (rt->restoring()) return JET_errRestoreInProgress;
    if (rt->state().running) return JET_errAlreadyInitialized;
    try {
      err = jet::core::InitLocked(*rt);
    } catch (...) {
      jet::core::ShutdownAbruptLocked(*rt);
      throw;
    }
    return err;
  });
}

JET_ERR JetTerm2(JET_INSTANCE instance, JET_GRBIT grbit) {
  return ApiGuard([&]() -> JET_ERR {
    if ((grbit & ~(JET_bitTermComplete | JET_bitTermAbrupt)) != 0) return JET_errInvalidGrbit;
    InstanceRuntime* rt = nullptr;
    JET_ERR err = InstanceRuntime::ResolveRunningInstance(instance, &rt);
    if (err == JET_errNotInitialized && instance != JET_instanceNil && instance != 0) {
      // As in ESE, JetTerm also releases a multi-instance handle that was created but
      // never initialised, or that a JetRestoreInstance left uninitialised.
      jet::core::RetireInstance(rt);
      return JET_errSuccess;
    }
    if (err < 0) return err;
    {
      std::lock_guard lock(rt->mutex());
      if (grbit & JET_bitTermAbrupt) {
        jet::core::ShutdownAbruptLocked(*rt);
      } else {
        try {
          err = jet::core::ShutdownCleanLocked(*rt);
        } catch (...) {
          jet::core::ShutdownAbruptLocked(*rt);
          throw;
        }
      }
    }
    jet::core::UnregisterSessionsOf(rt);
    jet::core::RetireInstance(rt);  // multi-instance handles end with JetTerm (no-op for legacy)
    return err;
  });
}

JET_ERR JetTerm(JET_INSTANCE instance) { return JetTerm2(instance, 0); }

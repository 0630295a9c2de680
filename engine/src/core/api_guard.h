// core/api_guard.h — how every public API function enters the engine: exceptions
// stop here (std::bad_alloc → JET_errOutOfMemory), the session handle is resolved, the
// instance mutex taken, and after a change the pending checkpoint / cache trim runs.
#pragma once

#include <mutex>
#include <new>
#include <stdexcept>

#include "base/io_error.h"
#include "core/instance_state.h"
#include "core/lifecycle.h"
#include "core/registry.h"

namespace jet::core {

template <class F>
JET_ERR ApiGuard(F&& f) noexcept {
  SetLastErrorDetail({});
  try {
    return f();
  } catch (const std::bad_alloc&) {
    return JET_errOutOfMemory;
  } catch (const std::length_error&) {
    return JET_errOutOfMemory;
  } catch (...) {
    return JET_errInternalError;
  }
}

// Runs f(runtime, state, session) for a valid session of a running instance.
template <class F>
JET_ERR WithSession(JET_SESID sesid, F&& f) noexcept {
  return ApiGuard([&]() -> JET_ERR {
    InstanceRuntime* rt = SessionInstance(sesid);
    if (rt == nullptr) return JET_errInvalidSesid;
    std::lock_guard lock(rt->mutex());
    InstanceRuntime::State& st = rt->state();
    if (!st.running) return JET_errNotInitialized;
    if (st.failed) return JET_errInstanceUnavailable;
    auto it = st.sessions.find(sesid);
    if (it == st.sessions.end()) return JET_errInvalidSesid;
    JET_ERR err = f(*rt, st, it->second);
    // Checkpoint/trim failures are retried by the next call; the operation itself
    // has succeeded or failed on its own terms.
    if (!st.failed && st.running) {
      JET_ERR after = AfterChange(*rt);
      if (after < 0) SetLastErrorDetail(std::string("deferred checkpoint failed: ") + JetErrorName(after));
    }
    return err;
  });
}

}  // namespace jet::core

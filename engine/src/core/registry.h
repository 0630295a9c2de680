// core/registry.h — process-wide handle tables: instances (legacy global instance and
// JetCreateInstance ones) and sessions. Handles are small integers, never pointers,
// so a stale or forged handle is an error, not a crash.
#pragma once

#include <memory>

#include "core/instance.h"
#include "jet/jet.h"

namespace jet::core {

// JetCreateInstance.
JET_ERR CreateInstance(JET_INSTANCE* pinstance, const char* name);
// The instance JetSetSystemParameter configures: null / JET_instanceNil / 0 is the
// global (legacy) instance, created on first use.
JET_ERR ResolveInstanceForConfig(JET_INSTANCE* pinstance, InstanceRuntime** out);
// Any instance handle (running or not), JET_instanceNil/0 meaning the global one.
JET_ERR ResolveInstance(JET_INSTANCE instance, InstanceRuntime** out);
// After a multi-instance JetTerm: the handle stops being valid.
void RetireInstance(InstanceRuntime* runtime);

JET_SESID RegisterSession(InstanceRuntime* runtime);
void UnregisterSession(JET_SESID sesid);
void UnregisterSessionsOf(InstanceRuntime* runtime);
InstanceRuntime* SessionInstance(JET_SESID sesid);
// Table ids are unique process-wide.
JET_TABLEID NewTableId();

}  // namespace jet::core

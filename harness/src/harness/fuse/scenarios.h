// harness/fuse/scenarios.h — the scenarios that run unmodified programs on a
// `jetfault mount` and cut its power (scenario_fuse.cc).
#pragma once

#include "harness/core/scenario.h"

namespace jetharness::fuse {

void RegisterFuseScenarios(ScenarioRegistry* registry);

// The jetutil binary the scenarios run: $JETUTIL, else the build tree's
// (<dir of this executable>/../tools/jetutil/jetutil), else `jetutil` on PATH; "" if none.
std::string JetutilExecutable();

}  // namespace jetharness::fuse

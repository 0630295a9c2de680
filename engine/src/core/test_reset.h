// core/test_reset.h — test-only: returns the process to its initial state (every
// instance abruptly terminated and forgotten, no mode chosen). Not for production use:
// handles held elsewhere become invalid.
#pragma once

namespace jet::core {
void ResetProcessStateForTests();
}  // namespace jet::core

// The engine's invariant assertions are compiled into this (release) build and stop
// the process with the place and the values: one death test per layer, each breaking
// an invariant the engine itself would never break.
#include <gtest/gtest.h>

#include "core/version_store.h"

namespace jet::core {
namespace {

TEST(InvariantAssertTest, ReleasingALockNobodyHoldsAborts) {
  VersionStore versions;
  EXPECT_DEATH(versions.Unlock(RecordId{1, 2, "k"}),
               "version_store\\.cc:[0-9]+: assertion failed: erased == 1u \\(erased = 0, 1u = 1\\)");
}

TEST(InvariantAssertTest, ALockForNoTransactionAborts) {
  VersionStore versions;
  bool created = false;
  EXPECT_DEATH((void)versions.Lock(RecordId{1, 2, "k"}, 0, BeforeImage{}, &created),
               "version_store\\.cc:[0-9]+: assertion failed: txn != 0u \\(txn = 0, 0u = 0\\)");
}

}  // namespace
}  // namespace jet::core

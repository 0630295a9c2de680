// JetTerm's handle lifetime: an instance handle ends with JetTerm whether or not the
// instance was ever initialised (a JetRestoreInstance leaves it uninitialised).
#include <gtest/gtest.h>

#include "api_test_util.h"
#include "jet/jet.h"

namespace jet_test {
namespace {

class ApiTermTest : public EngineTest {};

TEST_F(ApiTermTest, JetTermReleasesAnInstanceThatWasNeverInitialised) {
  JET_INSTANCE first = 0;
  ASSERT_EQ(JetCreateInstance(&first, "term-me"), JET_errSuccess);
  JET_INSTANCE clash = 0;
  EXPECT_EQ(JetCreateInstance(&clash, "term-me"), JET_errInstanceNameInUse);
  EXPECT_EQ(JetTerm(first), JET_errSuccess);
  // The name is free again and the old handle is gone.
  JET_INSTANCE second = 0;
  EXPECT_EQ(JetCreateInstance(&second, "term-me"), JET_errSuccess);
  EXPECT_EQ(JetTerm(first), JET_errInvalidInstance);
  EXPECT_EQ(JetTerm(second), JET_errSuccess);
}

}  // namespace
}  // namespace jet_test

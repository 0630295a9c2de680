#include <gtest/gtest.h>

#include <set>
#include <string>

#include "jet/jet.h"

TEST(JetErrorsTest, EseValuesForTheRestoreContract) {
  // Values from ESE's jethdr.w (see docs/ESE_FACTS.md §1.1).
  EXPECT_EQ(JET_errInvalidLogSequence, -515);
  EXPECT_EQ(JET_errAlreadyInitialized, -1030);
  EXPECT_EQ(JET_errInvalidParameter, -1003);
  EXPECT_EQ(JET_errInvalidPath, -1023);
  EXPECT_EQ(JET_errPageSizeMismatch, -1213);
  EXPECT_EQ(JET_errRunningInMultiInstanceMode, -1081);
  EXPECT_EQ(JET_errOutOfMemory, -1011);
  EXPECT_EQ(JET_errReadVerifyFailure, -1018);
  EXPECT_EQ(JET_errLogFileCorrupt, -501);
  EXPECT_EQ(JET_errBadPageLink, -327);
  EXPECT_EQ(JET_errMissingLogFile, -528);
  EXPECT_EQ(JET_errAttachedDatabaseMismatch, -1216);
  EXPECT_EQ(JET_errDatabaseSharingViolation, -1215);
}

TEST(JetErrorsTest, NamesAreUniqueAndRoundTrip) {
  std::set<JET_ERR> values;
  std::set<std::string> names;
  for (std::size_t i = 0; i < JetErrorCount(); ++i) {
    JET_ERR err = JetErrorAt(i);
    EXPECT_TRUE(values.insert(err).second) << "duplicate value " << err;
    EXPECT_TRUE(names.insert(JetErrorName(err)).second) << "duplicate name " << JetErrorName(err);
  }
  EXPECT_STREQ(JetErrorName(-501), "JET_errLogFileCorrupt");
  EXPECT_STREQ(JetErrorName(12345), "JET_err?");
}

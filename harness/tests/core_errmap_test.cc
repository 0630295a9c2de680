// The error map: lookups, violations, coverage, and that docs/ERRORS.md is current.
#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "harness/core/errmap.h"

namespace jetharness {
namespace {

TEST(ErrMap, EveryAllowedCodeIsAnEngineCode) {
  std::set<JET_ERR> engine_codes;
  for (std::size_t i = 0; i < JetErrorCount(); ++i) engine_codes.insert(JetErrorAt(i));
  for (const ErrCell& cell : ErrorMapTable()) {
    EXPECT_FALSE(cell.allowed.empty()) << FaultClassName(cell.fault);
    for (JET_ERR code : cell.allowed) {
      EXPECT_TRUE(engine_codes.count(code)) << code << " in cell " << FaultClassName(cell.fault);
    }
  }
}

TEST(ErrMap, LookupNeverCrossesFaultClasses) {
  for (std::size_t c = 0; c < kFaultClassCount; ++c) {
    auto fault = static_cast<FaultClass>(c);
    for (auto file : {FileRole::kDatabase, FileRole::kLog, FileRole::kCheckpoint, FileRole::kBackupSet}) {
      for (auto phase : {Phase::kWorkload, Phase::kBackup, Phase::kRestore, Phase::kRecovery, Phase::kApi}) {
        // Not every combination is meaningful, but each must resolve to a cell of
        // its own class, so no outcome ever goes unchecked.
        int cell = FindErrCell(fault, file, phase);
        if (cell >= 0) {
          EXPECT_EQ(ErrorMapTable()[static_cast<std::size_t>(cell)].fault, fault);
        }
      }
    }
    FaultClass parsed;
    ASSERT_TRUE(ParseFaultClass(FaultClassName(fault), &parsed));
    EXPECT_EQ(parsed, fault);
  }
}

TEST(ErrMap, MostSpecificCellWins) {
  int log_cell = FindErrCell(FaultClass::kCorruptLog, FileRole::kBackupSet, Phase::kRestore);
  ASSERT_GE(log_cell, 0);
  const ErrCell& cell = ErrorMapTable()[static_cast<std::size_t>(log_cell)];
  EXPECT_EQ(cell.file, FileRole::kBackupSet);
  EXPECT_EQ(cell.phase, Phase::kRestore);
  // Corruption inside the backup set can never be accepted as a torn tail.
  ErrMapCoverage coverage;
  EXPECT_NE(coverage.Check(FaultClass::kCorruptLog, FileRole::kBackupSet, Phase::kRestore, JET_errSuccess), "");
  EXPECT_EQ(coverage.Check(FaultClass::kCorruptLog, FileRole::kBackupSet, Phase::kRestore,
                           JET_errLogCorruptDuringHardRestore),
            "");
}

TEST(ErrMap, DetectsAWrongCodeForAFault) {
  ErrMapCoverage coverage;
  EXPECT_EQ(coverage.Check(FaultClass::kIoError, FileRole::kLog, Phase::kWorkload, JET_errLogWriteFail), "");
  std::string violation = coverage.Check(FaultClass::kIoError, FileRole::kLog, Phase::kWorkload, JET_errKeyDuplicate);
  EXPECT_NE(violation.find("io_error on log during workload returned JET_errKeyDuplicate (-1605)"), std::string::npos)
      << violation;
  EXPECT_NE(violation.find("JET_errLogWriteFail"), std::string::npos) << violation;
  // A crash image must recover: anything but success is a violation.
  EXPECT_NE(coverage.Check(FaultClass::kNone, FileRole::kAny, Phase::kRecovery, JET_errDiskIO), "");
  // An undocumented code (not in the engine's table) is a violation everywhere.
  EXPECT_NE(coverage.Check(FaultClass::kOutOfMemory, FileRole::kAny, Phase::kWorkload, -4242), "");
  EXPECT_EQ(coverage.violations(), 3u);
}

TEST(ErrMap, CoverageCountsCellsAndMerges) {
  ErrMapCoverage a, b;
  EXPECT_EQ(a.exercised_cells(), 0u);
  EXPECT_EQ(a.cells(), ErrorMapTable().size());
  (void)a.Check(FaultClass::kIoError, FileRole::kLog, Phase::kWorkload, JET_errLogWriteFail);
  (void)a.Check(FaultClass::kIoError, FileRole::kLog, Phase::kRecovery, JET_errDiskIO);  // same cell
  (void)b.Check(FaultClass::kDiskFull, FileRole::kLog, Phase::kWorkload, JET_errLogDiskFull);
  EXPECT_EQ(a.exercised_cells(), 1u);
  a.Merge(b);
  EXPECT_EQ(a.exercised_cells(), 2u);
  EXPECT_EQ(a.violations(), 0u);
  int cell = FindErrCell(FaultClass::kIoError, FileRole::kLog, Phase::kWorkload);
  EXPECT_EQ(a.hits(static_cast<std::size_t>(cell)), 2u);
  EXPECT_EQ(a.codes_seen()[static_cast<std::size_t>(cell)].size(), 2u);
}

TEST(ErrMap, MarkdownListsEveryCellAndEveryEngineCode) {
  std::string md = ErrorMapMarkdown();
  for (std::size_t i = 0; i < JetErrorCount(); ++i) {
    EXPECT_NE(md.find(std::string("| ") + JetErrorName(JetErrorAt(i)) + " |"), std::string::npos)
        << JetErrorName(JetErrorAt(i));
  }
  for (const ErrCell& cell : ErrorMapTable()) EXPECT_NE(md.find(cell.why), std::string::npos);
}

// docs/ERRORS.md is generated; this keeps it from drifting from the table in code.
// Regenerate with: build/<dir>/harness/jetfault errmap --markdown > docs/ERRORS.md
TEST(ErrMap, DocsErrorsMdEqualsTheGeneratedText) {
  std::ifstream in(std::string(JETFAULT_SOURCE_DIR) + "/docs/ERRORS.md", std::ios::binary);
  ASSERT_TRUE(in) << "docs/ERRORS.md is missing; generate it with `jetfault errmap --markdown`";
  std::stringstream buffer;
  buffer << in.rdbuf();
  EXPECT_EQ(buffer.str(), ErrorMapMarkdown())
      << "docs/ERRORS.md is stale: run `jetfault errmap --markdown > docs/ERRORS.md`";
}

}  // namespace
}  // namespace jetharness

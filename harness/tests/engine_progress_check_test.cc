// ProgressRecorder: the JET_PFNSTATUS contract of backup and restore, on report
// sequences made by hand (each rule broken once), and on the real engine's calls.
#include <gtest/gtest.h>

#include <initializer_list>
#include <string>
#include <utility>

#include "harness/engine/progress_check.h"

namespace jetharness {
namespace {

struct Sent {
  JET_SNT snt;
  unsigned long done;
  JET_SNP snp = JET_snpRestore;
  JET_SESID sesid = JET_sesidNil;
  unsigned long total = 100;
};

// What the recorder says of a call that sent `reports` and returned `err`.
std::string Verdict(std::initializer_list<Sent> reports, JET_ERR err) {
  std::string broken;
  const JET_ERR returned = CallWithCheckedProgress(
      JET_snpRestore,
      [&](JET_PFNSTATUS pfn) {
        for (const Sent& s : reports) {
          JET_SNPROG prog{sizeof(JET_SNPROG), s.done, s.total};
          pfn(s.sesid, s.snp, s.snt, &prog);
        }
        return err;
      },
      &broken);
  EXPECT_EQ(returned, err);
  return broken;
}

TEST(ProgressCheck, TheDocumentedSequencesPass) {
  EXPECT_EQ(Verdict({{JET_sntBegin, 0}, {JET_sntProgress, 40}, {JET_sntProgress, 99}, {JET_sntComplete, 100}}, 0), "");
  EXPECT_EQ(Verdict({{JET_sntBegin, 0}, {JET_sntComplete, 100}}, 0), "");
  EXPECT_EQ(Verdict({{JET_sntBegin, 0}, {JET_sntProgress, 50}}, JET_errMissingLogFile), "");
  EXPECT_EQ(Verdict({}, JET_errInvalidParameter), "") << "refused before it began: no reports";
}

TEST(ProgressCheck, EachBrokenRuleIsReported) {
  const std::pair<const char*, std::string> cases[] = {
      {"success without Complete", Verdict({{JET_sntBegin, 0}, {JET_sntProgress, 50}}, 0)},
      {"success with no reports", Verdict({}, 0)},
      {"Complete after a failure", Verdict({{JET_sntBegin, 0}, {JET_sntComplete, 100}}, JET_errDiskIO)},
      {"Fail sent", Verdict({{JET_sntBegin, 0}, {JET_sntFail, 0}}, JET_errDiskIO)},
      {"no Begin first", Verdict({{JET_sntProgress, 10}, {JET_sntComplete, 100}}, 0)},
      {"Begin twice", Verdict({{JET_sntBegin, 0}, {JET_sntBegin, 0}, {JET_sntComplete, 100}}, 0)},
      {"Begin not at 0", Verdict({{JET_sntBegin, 5}, {JET_sntComplete, 100}}, 0)},
      {"Progress falls", Verdict({{JET_sntBegin, 0}, {JET_sntProgress, 60}, {JET_sntProgress, 30}}, JET_errDiskIO)},
      {"Progress repeats", Verdict({{JET_sntBegin, 0}, {JET_sntProgress, 60}, {JET_sntProgress, 60}}, JET_errDiskIO)},
      {"Progress past 100", Verdict({{JET_sntBegin, 0}, {JET_sntProgress, 101}}, JET_errDiskIO)},
      {"Complete not last", Verdict({{JET_sntBegin, 0}, {JET_sntComplete, 100}, {JET_sntProgress, 100}}, 0)},
      {"Complete short of 100", Verdict({{JET_sntBegin, 0}, {JET_sntComplete, 90}}, 0)},
      {"another snp", Verdict({{JET_sntBegin, 0, JET_snpBackup}, {JET_sntComplete, 100}}, 0)},
      {"a session id", Verdict({{JET_sntBegin, 0, JET_snpRestore, 1}, {JET_sntComplete, 100}}, 0)},
      {"cunitTotal not 100", Verdict({{JET_sntBegin, 0, JET_snpRestore, JET_sesidNil, 50}, {JET_sntComplete, 100}}, 0)},
  };
  for (const auto& [what, verdict] : cases) EXPECT_NE(verdict, "") << what;
}

TEST(ProgressCheck, AReportWithoutProgressIsReported) {
  std::string broken;
  CallWithCheckedProgress(
      JET_snpBackup,
      [](JET_PFNSTATUS pfn) {
        pfn(JET_sesidNil, JET_snpBackup, JET_sntBegin, nullptr);
        return JET_errDiskIO;
      },
      &broken);
  EXPECT_NE(broken.find("no JET_SNPROG"), std::string::npos) << broken;
}

TEST(ProgressCheck, ReportsGoToTheInnermostRecorderOnly) {
  std::string outer_broken, inner_broken;
  CallWithCheckedProgress(
      JET_snpBackup,
      [&](JET_PFNSTATUS outer_pfn) {
        JET_SNPROG begin{sizeof(JET_SNPROG), 0, 100};
        outer_pfn(JET_sesidNil, JET_snpBackup, JET_sntBegin, &begin);
        CallWithCheckedProgress(
            JET_snpRestore,
            [](JET_PFNSTATUS pfn) {
              JET_SNPROG prog{sizeof(JET_SNPROG), 0, 100};
              pfn(JET_sesidNil, JET_snpRestore, JET_sntBegin, &prog);
              return JET_errDiskIO;
            },
            &inner_broken);
        JET_SNPROG complete{sizeof(JET_SNPROG), 100, 100};
        outer_pfn(JET_sesidNil, JET_snpBackup, JET_sntComplete, &complete);
        return JET_errSuccess;
      },
      &outer_broken);
  EXPECT_EQ(outer_broken, "");
  EXPECT_EQ(inner_broken, "");
}

}  // namespace
}  // namespace jetharness

// harness/engine/progress_check.h — the JET_PFNSTATUS contract of JetBackupInstance
// and JetRestoreInstance, checked on every call the harness makes.
//
// JET_PFNSTATUS carries no context pointer, so the callback the harness passes finds
// its recorder through a thread-local: a ProgressRecorder installs itself on the thread
// that makes the call, for the length of that call. The engine reports progress on the
// caller's thread, synchronously; a report from another thread is not seen, so a call
// that succeeds without its Complete on this thread fails the check.
//
// The contract (docs/RESTORE.md "pfn — progress", docs/ESE_FACTS.md §2):
//   * every report is pfn(JET_sesidNil, snp, snt, JET_SNPROG*) with the call's snp,
//     cbStruct == sizeof(JET_SNPROG) and cunitTotal == 100;
//   * the first report is JET_sntBegin with 0/100, and there is only one;
//   * JET_sntProgress only when cunitDone rises, and never past 100;
//   * a call that succeeds ends with exactly one JET_sntComplete, 100/100, as its last
//     report; a call that fails sends no JET_sntComplete and no JET_sntFail;
//   * a call refused before it began (no Begin) reports nothing at all.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "jet/jet.h"

namespace jetharness {

class ProgressRecorder {
 public:
  // Records the reports of one call for `snp` (JET_snpBackup or JET_snpRestore) made
  // on this thread while the recorder lives.
  explicit ProgressRecorder(JET_SNP snp);
  ~ProgressRecorder();
  ProgressRecorder(const ProgressRecorder&) = delete;
  ProgressRecorder& operator=(const ProgressRecorder&) = delete;

  // The pfn to pass to the call.
  static JET_ERR Callback(JET_SESID sesid, JET_SNP snp, JET_SNT snt, void* pv);

  // Empty when the reports kept the contract for a call that returned `err`; else the
  // first rule broken, with the reports seen.
  std::string Check(JET_ERR err) const;

 private:
  struct Report {
    JET_SESID sesid;
    JET_SNP snp;
    JET_SNT snt;
    bool has_progress;  // pv pointed at a JET_SNPROG
    JET_SNPROG progress;
  };
  std::string Describe() const;

  JET_SNP snp_;
  std::vector<Report> reports_;
  ProgressRecorder* previous_;
};

// Runs call(pfn) with a recorder's pfn and returns its code; *broken gets the check
// (empty when the reports kept the contract).
JET_ERR CallWithCheckedProgress(JET_SNP snp, const std::function<JET_ERR(JET_PFNSTATUS)>& call, std::string* broken);

}  // namespace jetharness

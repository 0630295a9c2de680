#include "harness/engine/progress_check.h"

#include <fmt/format.h>

#include "jetfault/assert.h"

namespace jetharness {
namespace {

thread_local ProgressRecorder* current_recorder = nullptr;

const char* SntName(JET_SNT snt) {
  switch (snt) {
    case JET_sntProgress: return "Progress";
    case JET_sntFail: return "Fail";
    case JET_sntBegin: return "Begin";
    case JET_sntComplete: return "Complete";
    default: return "?";
  }
}

}  // namespace

ProgressRecorder::ProgressRecorder(JET_SNP snp) : snp_(snp), previous_(current_recorder) { current_recorder = this; }

ProgressRecorder::~ProgressRecorder() {
  JF_ASSERT(current_recorder == this);  // recorders nest, one call at a time per thread
  current_recorder = previous_;
}

JET_ERR ProgressRecorder::Callback(JET_SESID sesid, JET_SNP snp, JET_SNT snt, void* pv) {
  if (current_recorder == nullptr) return JET_errSuccess;
  Report report{sesid, snp, snt, pv != nullptr, JET_SNPROG{}};
  if (pv != nullptr) report.progress = *static_cast<const JET_SNPROG*>(pv);
  current_recorder->reports_.push_back(report);
  return JET_errSuccess;
}

std::string ProgressRecorder::Describe() const {
  std::string out;
  for (const Report& r : reports_) {
    if (!out.empty()) out += ", ";
    out += r.has_progress ? fmt::format("{} {}/{}", SntName(r.snt), r.progress.cunitDone, r.progress.cunitTotal)
                          : fmt::format("{} (no JET_SNPROG)", SntName(r.snt));
  }
  return out.empty() ? "none" : out;
}

std::string ProgressRecorder::Check(JET_ERR err) const {
  auto broken = [&](const std::string& rule) { return fmt::format("{} (reports: {})", rule, Describe()); };
  unsigned long done = 0;
  for (std::size_t i = 0; i < reports_.size(); ++i) {
    const Report& r = reports_[i];
    if (r.sesid != JET_sesidNil) return broken(fmt::format("report {} has sesid {}, not JET_sesidNil", i, r.sesid));
    if (r.snp != snp_) return broken(fmt::format("report {} has snp {}, not {}", i, r.snp, snp_));
    if (!r.has_progress) return broken(fmt::format("report {} has no JET_SNPROG", i));
    if (r.progress.cbStruct != sizeof(JET_SNPROG) || r.progress.cunitTotal != 100) {
      return broken(fmt::format("report {} has cbStruct {} and cunitTotal {}, not {} and 100", i, r.progress.cbStruct,
                                r.progress.cunitTotal, sizeof(JET_SNPROG)));
    }
    const bool first = i == 0, last = i + 1 == reports_.size();
    switch (r.snt) {
      case JET_sntBegin:
        if (!first || r.progress.cunitDone != 0) return broken("Begin 0/100 must be the first report, and only once");
        break;
      case JET_sntProgress:
        if (first) return broken("the first report is not Begin");
        if (r.progress.cunitDone <= done || r.progress.cunitDone > 100) {
          return broken("Progress must rise, and not past 100");
        }
        done = r.progress.cunitDone;
        break;
      case JET_sntComplete:
        if (first) return broken("the first report is not Begin");
        if (!last || r.progress.cunitDone != 100) return broken("Complete 100/100 must be the last report");
        if (err < 0) return broken(fmt::format("Complete sent by a call that returned {}", err));
        break;
      case JET_sntFail: return broken("Fail sent (a backup or restore that fails sends no report for it)");
      default: return broken(fmt::format("report {} has snt {}", i, r.snt));
    }
  }
  if (err >= 0 && (reports_.empty() || reports_.back().snt != JET_sntComplete)) {
    return broken("a call that succeeded did not end with Complete");
  }
  return {};
}

JET_ERR CallWithCheckedProgress(JET_SNP snp, const std::function<JET_ERR(JET_PFNSTATUS)>& call, std::string* broken) {
  const ProgressRecorder progress(snp);
  const JET_ERR err = call(&ProgressRecorder::Callback);
  *broken = progress.Check(err);
  return err;
}

}  // namespace jetharness

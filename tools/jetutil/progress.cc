#include "progress.h"

#include <unistd.h>

#include <cstdio>
#include <string>

namespace jetutil {

namespace {

const char* OperationName(JET_SNP snp) {
  switch (snp) {
    case JET_snpRestore:
      return "restore";
    case JET_snpBackup:
      return "backup";
    default:
      return "operation";
  }
}

unsigned Percent(const void* pv) {
  const auto* progress = static_cast<const JET_SNPROG*>(pv);
  if (progress == nullptr || progress->cunitTotal == 0) return 0;
  const unsigned long done = progress->cunitDone > progress->cunitTotal ? progress->cunitTotal : progress->cunitDone;
  return static_cast<unsigned>(done * 100 / progress->cunitTotal);
}

void DrawBar(const char* operation, unsigned percent, bool final) {
  constexpr unsigned kWidth = 40;
  const unsigned filled = percent * kWidth / 100;
  const std::string bar = std::string(filled, '#') + std::string(kWidth - filled, '.');
  std::fprintf(stderr, "\r%s [%s] %3u%%%s", operation, bar.c_str(), percent, final ? "\n" : "");
  std::fflush(stderr);
}

}  // namespace

JET_ERR ShowProgress(JET_SESID /*sesid*/, JET_SNP snp, JET_SNT snt, void* pv) {
  static const bool tty = isatty(STDERR_FILENO) != 0;
  static int last_percent = -1;
  const char* operation = OperationName(snp);
  switch (snt) {
    case JET_sntBegin:
      last_percent = 0;
      if (tty) {
        DrawBar(operation, 0, false);
      } else {
        std::fprintf(stderr, "%s: begin\n", operation);
      }
      break;
    case JET_sntProgress: {
      const int percent = static_cast<int>(Percent(pv));
      if (percent == last_percent) break;
      last_percent = percent;
      if (tty) {
        DrawBar(operation, static_cast<unsigned>(percent), false);
      } else {
        std::fprintf(stderr, "%s: %d%%\n", operation, percent);
      }
      break;
    }
    case JET_sntComplete:
      if (tty) {
        DrawBar(operation, 100, true);
      } else {
        std::fprintf(stderr, "%s: complete\n", operation);
      }
      break;
    case JET_sntFail:
      std::fprintf(stderr, "%s%s: failed\n", tty ? "\n" : "", operation);
      break;
    default:
      break;
  }
  return JET_errSuccess;
}

}  // namespace jetutil

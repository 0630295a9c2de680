#include "progress.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>

namespace jetutil {

namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kQuietInterval = std::chrono::seconds(5);

const char* OperationName(JET_SNP snp) {
  switch (snp) {
    case JET_snpRestore: return "restore";
    case JET_snpBackup: return "backup";
    default: return "operation";
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
  static Clock::time_point last_line;
  const char* operation = OperationName(snp);
  switch (snt) {
    case JET_sntBegin:
      last_percent = 0;
      last_line = Clock::now();
      if (tty) {
        DrawBar(operation, 0, false);
      } else {
        std::fprintf(stderr, "%s: begin\n", operation);
      }
      break;
    case JET_sntProgress: {
      const int percent = static_cast<int>(Percent(pv));
      if (percent == last_percent) break;
      if (tty) {
        last_percent = percent;
        DrawBar(operation, static_cast<unsigned>(percent), false);
        break;
      }
      // A log gets a few lines, not one per percent: each 10% step, or the current
      // figure when the last line is older than kQuietInterval (a slow restore).
      const bool next_step = percent / 10 > last_percent / 10;
      if (!next_step && Clock::now() - last_line < kQuietInterval) break;
      last_percent = percent;
      last_line = Clock::now();
      std::fprintf(stderr, "%s: %d%%\n", operation, percent);
      break;
    }
    case JET_sntComplete:
      if (tty) {
        DrawBar(operation, 100, true);
      } else {
        std::fprintf(stderr, "%s: complete\n", operation);
      }
      break;
    case JET_sntFail: std::fprintf(stderr, "%s%s: failed\n", tty ? "\n" : "", operation); break;
    default: break;
  }
  return JET_errSuccess;
}

}  // namespace jetutil

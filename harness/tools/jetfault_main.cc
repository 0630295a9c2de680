// jetfault: crash-consistency and fault-injection campaigns for the jetfault engine.
// See docs/HARNESS.md.
#include <malloc.h>

#include "cli.h"

int main(int argc, char** argv) {
  // Every crash state builds and frees an image, an engine instance and its caches: with
  // glibc's default trim threshold the heap top was handed back to the kernel (brk)
  // and faulted in again state after state (a few % of a campaign's time). Fixed
  // thresholds at glibc's own 64-bit maxima keep it; they bound only how much freed
  // memory the process keeps, never what it may allocate.
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 64 << 20);
  return jetharness::JetfaultMain(argc, argv);
}

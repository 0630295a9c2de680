#include "jetfault/assert.h"

#include <cstdio>
#include <cstdlib>

namespace jetfault::assert_internal {

void Fail(const char* file, int line, const char* expr, const std::string* values) {
  // Flushed before abort(): the line must reach stderr (or a pipe) before the process ends.
  if (values != nullptr) {
    std::fprintf(stderr, "%s:%d: assertion failed: %s (%s)\n", file, line, expr, values->c_str());
  } else {
    std::fprintf(stderr, "%s:%d: assertion failed: %s\n", file, line, expr);
  }
  std::fflush(stderr);
  std::abort();
}

}  // namespace jetfault::assert_internal

// `jetfault mount` in a build without libfuse3 (CMake did not find it): the commands
// and scenarios exist and say why they cannot run.
#include <cstdio>

#include "harness/fuse/fuse_mount.h"

namespace jetharness::fuse {

bool BuiltWithFuse() { return false; }

int RunMount(const MountOptions&) {
  std::fprintf(stderr, "jetfault mount: %s\n", FuseUnavailableReason().c_str());
  return 1;
}

}  // namespace jetharness::fuse

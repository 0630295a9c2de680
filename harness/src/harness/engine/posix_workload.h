// harness/engine/posix_workload.h — `jetfault workload`: a seeded workload on real files,
// ending the way a crashed process ends.
#pragma once

#include <cstdint>
#include <string>

namespace jetharness {

struct PosixWorkloadOptions {
  std::string dir;  // instance directory: logs, checkpoint, databases
  std::uint64_t seed = 1;
  int transactions = 20;
  int backup_after = -1;  // full backup into <dir>/backup after this many (-1: none)
  int inflight = 0;       // transactions left open at the end
  int databases = 1;
  std::string expected_file;  // receives the committed records (jetutil records format)
};

// Runs the workload, writes the expected records, then ends the instance abruptly
// and leaves the process with _exit (no destructors, no clean shutdown). Returns only
// on failure (with a message in *error) so the caller can report it.
int RunPosixWorkloadAndExit(const PosixWorkloadOptions& options, std::string* error);

}  // namespace jetharness

// harness/tools/cli.h — the `jetfault` command line (CLI11), separate from main() so
// that the parsing can be read in one place.
#pragma once

namespace jetharness {

// Parses argv, runs the subcommand, returns the process exit status.
int JetfaultMain(int argc, char** argv);

}  // namespace jetharness

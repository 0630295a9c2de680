// jetfault: crash-consistency and fault-injection campaigns for the jetfault engine.
// See docs/HARNESS.md.
#include "cli.h"

int main(int argc, char** argv) { return jetharness::JetfaultMain(argc, argv); }

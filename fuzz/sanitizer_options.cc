// fuzz/sanitizer_options.cc — ASan defaults for the libFuzzer executables (fuzz build
// and OSS-Fuzz/ClusterFuzzLite; ASAN_OPTIONS in the environment still overrides them).
//
// quarantine_size_mb: ASan keeps freed memory poisoned in a quarantine (256 MB by
// default) so that a use after free is caught even long after the free. 16 MB keeps the
// most recently freed 16 MB poisoned — a use soon after the free, the usual bug, is
// still caught; one after more than 16 MB of later frees may not be — while the default
// made every target's RSS exceed 300 MB and spent up to a fifth of the time faulting in
// fresh pages for allocations the quarantine would not give back (issue #17).
//
// malloc_context_size: ASan records the call stack of every malloc and free (30 frames
// by default) in its stack depot, to print them when a report names the block. 10
// frames still show the allocating function and its callers up to the engine's API
// entry; recording 30 was a tenth of restore_fuzzer's time (the depot's Put and the
// unwinder). It changes only how much of those stacks a report prints, not what ASan
// detects.
extern "C" const char* __asan_default_options() { return "quarantine_size_mb=16:malloc_context_size=10"; }

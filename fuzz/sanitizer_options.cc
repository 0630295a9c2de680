// fuzz/sanitizer_options.cc — ASan defaults for the libFuzzer executables (fuzz build
// and OSS-Fuzz/ClusterFuzzLite; ASAN_OPTIONS in the environment still overrides them).
//
// quarantine_size_mb: ASan keeps freed memory poisoned in a quarantine (256 MB by
// default) so that a use after free is caught even long after the free. 16 MB keeps the
// most recently freed 16 MB poisoned — a use soon after the free, the usual bug, is
// still caught; one after more than 16 MB of later frees may not be — while the default
// made every target's RSS exceed 300 MB and spent up to a fifth of the time faulting in
// fresh pages for allocations the quarantine would not give back (issue #17).
extern "C" const char* __asan_default_options() { return "quarantine_size_mb=16"; }

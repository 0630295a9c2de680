// fuzz/sanitizer_options.cc — ASan defaults for the libFuzzer executables (fuzz build
// and OSS-Fuzz/ClusterFuzzLite; ASAN_OPTIONS in the environment still overrides them).
//
// quarantine_size_mb: ASan keeps freed memory poisoned in a quarantine (256 MB by
// default) so that a use after free is caught even long after the free. A fuzz input
// frees far less than 16 MB between an allocation and any later use of it, so 16 MB
// still catches every use after free inside one input, while the default made every
// target's RSS exceed 300 MB and spent up to a fifth of the time faulting in fresh
// pages for allocations the quarantine would not give back (issue #17).
extern "C" const char* __asan_default_options() { return "quarantine_size_mb=16"; }

# Sanitizer and fuzzing flags are global so that every library and test agrees on the ABI.
if(JETFAULT_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all)
  add_link_options(-fsanitize=address,undefined)
endif()
if(JETFAULT_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "JETFAULT_FUZZ needs clang (use the 'fuzz' preset)")
  endif()
  # Libraries get coverage instrumentation; fuzz targets link libFuzzer's main.
  # The list is passed as a copy whose name carries its hash: neither ninja's dependency
  # scan nor ccache reads the list's content, so under its own name an edit to it would
  # leave every object (rebuilt or cached) instrumented by the old list. A new name is a
  # new command line, which both see. (configure_file also re-runs CMake on an edit.)
  set(ignorelist ${PROJECT_SOURCE_DIR}/fuzz/coverage_ignorelist.txt)
  file(SHA1 ${ignorelist} ignorelist_sha1)
  set(ignorelist_copy ${PROJECT_BINARY_DIR}/coverage_ignorelist-${ignorelist_sha1}.txt)
  configure_file(${ignorelist} ${ignorelist_copy} COPYONLY)
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
    -fsanitize-coverage-ignorelist=${ignorelist_copy})
  add_link_options(-fsanitize=address,undefined)
endif()

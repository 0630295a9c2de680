# jetfault_warnings(<target>): the project's warning set, applied to every target we own.
add_library(jetfault_warnings INTERFACE)
target_compile_options(jetfault_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
  -Wold-style-cast -Wcast-align -Wunused -Woverloaded-virtual -Wnull-dereference -Wimplicit-fallthrough)
if(JETFAULT_WERROR)
  target_compile_options(jetfault_warnings INTERFACE -Werror)
endif()

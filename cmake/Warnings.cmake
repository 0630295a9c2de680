# jetfault_warnings(<target>): the project's warning set, applied to every target we own.
# -Wnull-dereference is left out: with GCC 12 at -O2 it reports false positives inside
# libstdc++ once CLI11 is inlined, and a warning that cannot be fixed in our code only
# trains people to ignore warnings.
add_library(jetfault_warnings INTERFACE)
target_compile_options(jetfault_warnings INTERFACE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
  -Wold-style-cast -Wcast-align -Wunused -Woverloaded-virtual -Wimplicit-fallthrough)
if(JETFAULT_WERROR)
  target_compile_options(jetfault_warnings INTERFACE -Werror)
endif()

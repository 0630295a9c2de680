// faultfs/glob.h — shell-style matching ('*', '?') used by fault plan filters.
#pragma once

#include <string_view>

namespace faultfs {

// '*' matches any run of characters (including '/'), '?' any one character.
bool GlobMatch(std::string_view pattern, std::string_view text);

}  // namespace faultfs

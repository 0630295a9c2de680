// jet/file_names.h — the names of an instance's log and checkpoint files.
//
// Public because the names are a fact of the on-disk layout that callers rely on
// (a backup set, a harness that damages one generation): the engine and everyone else
// use these definitions, so nobody parses a name with rules of their own. `base` is
// JET_paramBaseName (three characters, "edb" by default). ESE's naming, as described
// in docs/ESE_FACTS.md ("File names"):
//   edb.log        the current generation
//   edb0000A.log   archived generation 10: 5 uppercase hex digits up to 0xFFFFF, else 8
//   edbtmp.log     the next generation while a rollover prepares it
//   edb.chk        the checkpoint
#pragma once

#include <cstdint>
#include <string>

namespace jet::files {

inline constexpr char kLogExtension[] = ".log";
inline constexpr std::int32_t kFiveDigitGenerationMax = 0xFFFFF;

inline std::string CurrentLogName(const std::string& base) { return base + kLogExtension; }
inline std::string CheckpointName(const std::string& base) { return base + ".chk"; }
inline std::string TempLogName(const std::string& base) { return base + "tmp" + kLogExtension; }

inline std::string ArchivedLogName(const std::string& base, std::int32_t generation) {
  static constexpr char kDigits[] = "0123456789ABCDEF";
  const auto g = static_cast<std::uint32_t>(generation);
  const int digits = generation <= kFiveDigitGenerationMax ? 5 : 8;
  std::string name = base;
  for (int i = digits - 1; i >= 0; --i) name.push_back(kDigits[(g >> (4 * i)) & 0xF]);
  return name + kLogExtension;
}

// Parses an archived generation's name ("edb0000A.log" -> 10); false for anything else
// (edb.log and edbtmp.log included). Exactly the names ArchivedLogName produces.
inline bool ParseArchivedLogName(const std::string& base, const std::string& name, std::int32_t* generation) {
  const std::size_t ext = sizeof(kLogExtension) - 1;
  if (name.size() <= base.size() + ext || name.compare(0, base.size(), base) != 0 ||
      name.compare(name.size() - ext, ext, kLogExtension) != 0) {
    return false;
  }
  const std::size_t count = name.size() - base.size() - ext;
  if (count != 5 && count != 8) return false;
  std::uint64_t value = 0;
  for (std::size_t i = base.size(); i < base.size() + count; ++i) {
    // Uppercase only: the writer never produces lowercase, and accepting both would
    // let two files name the same generation.
    const char c = name[i];
    int digit;
    if (c >= '0' && c <= '9') {
      digit = c - '0';
    } else if (c >= 'A' && c <= 'F') {
      digit = c - 'A' + 10;
    } else {
      return false;
    }
    value = value * 16 + static_cast<std::uint64_t>(digit);
  }
  // 8 digits only above the 5-digit range, so every generation has exactly one name.
  if (value == 0 || value > 0x7FFFFFFF || (count == 8 && value <= kFiveDigitGenerationMax)) return false;
  *generation = static_cast<std::int32_t>(value);
  return true;
}

}  // namespace jet::files

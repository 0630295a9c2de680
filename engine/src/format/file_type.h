// format/file_type.h — the file-type field every ESE file header carries.
//
// The database header, the log file header and the checkpoint keep a u32 JET_filetype
// at the same offset, so any reader (the engine's decoders, `jetutil dump`) can tell
// what kind of file it holds from its first page (docs/ESE_FACTS.md, "On-disk format").
#pragma once

#include <cstddef>
#include <cstdint>

namespace jet::format {

inline constexpr std::size_t kFileTypeOffset = 667;

// JET_filetype values.
inline constexpr std::uint32_t kFileTypeDatabase = 1;
inline constexpr std::uint32_t kFileTypeLog = 3;
inline constexpr std::uint32_t kFileTypeCheckpoint = 4;

}  // namespace jet::format

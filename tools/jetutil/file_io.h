// tools/jetutil/file_io.h — reading a whole file for the read-only subcommands (dump,
// check). These work on bytes through the pure parsers, never through an instance,
// so they can look at a file no instance would open (a damaged one, say).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace jetutil {

// Throws JetFailure: JET_errFileNotFound (missing), JET_errFileAccessDenied
// (permissions, or a directory), JET_errDiskIO (read error).
std::vector<std::uint8_t> ReadWholeFile(const std::string& path);

// Bytes [offset, offset + size) of a file image, clipped to what exists (possibly empty).
std::span<const std::uint8_t> Slice(std::span<const std::uint8_t> file, std::size_t offset, std::size_t size);

}  // namespace jetutil

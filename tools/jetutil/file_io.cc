#include "file_io.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "cli.h"

namespace jetutil {

std::vector<std::uint8_t> ReadWholeFile(const std::string& path) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (status.type() == std::filesystem::file_type::not_found) throw JetFailure(JET_errFileNotFound, path);
  if (ec || status.type() != std::filesystem::file_type::regular) throw JetFailure(JET_errFileAccessDenied, path);
  const auto size = std::filesystem::file_size(path, ec);
  std::ifstream in(path, std::ios::binary);
  if (ec || !in) throw JetFailure(JET_errFileAccessDenied, path + ": " + std::strerror(errno));
  std::vector<std::uint8_t> bytes(size);
  in.read(reinterpret_cast<char*>(bytes.data()), static_cast<std::streamsize>(size));
  if (static_cast<std::uintmax_t>(in.gcount()) != size) throw JetFailure(JET_errDiskIO, path + ": short read");
  return bytes;
}

std::span<const std::uint8_t> Slice(std::span<const std::uint8_t> file, std::size_t offset, std::size_t size) {
  if (offset >= file.size()) return {};
  return file.subspan(offset, std::min(size, file.size() - offset));
}

}  // namespace jetutil

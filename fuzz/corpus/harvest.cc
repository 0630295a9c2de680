#include "corpus/harvest.h"

#include <algorithm>
#include <memory>
#include <stdexcept>
#include <vector>

#include <fmt/core.h>

#include "format/backup_manifest.h"
#include "format/checkpoint.h"
#include "format/checksum.h"
#include "format/db_header.h"
#include "format/log_header.h"
#include "log/log.h"

namespace jetfault::corpus {

namespace {

namespace format = jet::format;

constexpr std::size_t kMaxPagesPerFile = 64;
constexpr std::size_t kMaxRecordsPerLog = 48;

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

Bytes Slice(const Bytes& file, std::size_t offset, std::size_t size) {
  if (offset >= file.size()) return {};
  const auto begin = file.begin() + static_cast<std::ptrdiff_t>(offset);
  return Bytes(begin, begin + static_cast<std::ptrdiff_t>(std::min(size, file.size() - offset)));
}

std::string SeedName(const std::string& label, const std::string& path, const std::string& what) {
  std::string flat = path.substr(1);
  std::replace(flat.begin(), flat.end(), '/', '_');
  return what.empty() ? fmt::format("{}-{}", label, flat) : fmt::format("{}-{}-{}", label, flat, what);
}

void HarvestDatabase(const std::string& path, const Bytes& file, const std::string& label, SeedWriter& out) {
  const std::uint32_t page_size = format::PeekDbPageSize(file);
  out.Write("db_header_fuzzer", SeedName(label, path, "header"), Slice(file, 0, 2 * page_size));
  format::DbHeader header;
  if (format::DecodeDbFileHeader(file, &header) < 0) return;
  const std::size_t pages = std::min<std::size_t>(header.pgno_last, kMaxPagesPerFile);
  for (std::uint32_t pgno = 1; pgno <= pages; ++pgno) {
    const Bytes page = Slice(file, format::DbPageOffset(pgno, page_size), page_size);
    if (page.size() == page_size) {
      out.Write("db_page_fuzzer", SeedName(label, path, fmt::format("page{}", pgno)), PageInput(page_size, pgno, page));
    }
  }
  // A backup copy ends with the trailer page, after page pgno_last.
  const Bytes trailer = Slice(file, format::DbPageOffset(std::uint64_t{header.pgno_last} + 1, page_size), page_size);
  if (trailer.size() == page_size) out.Write("backup_manifest_fuzzer", SeedName(label, path, "trailer"), trailer);
}

void HarvestLog(faultfs::Vfs& fs, const std::string& path, const Bytes& file, const std::string& label,
                SeedWriter& out) {
  out.Write("log_header_fuzzer", SeedName(label, path, "header"), Slice(file, 0, format::kLogHeaderSize));
  out.Write("log_stream_fuzzer", SeedName(label, path, ""), file);
  // The records of this one generation, as the reader returns them.
  std::vector<jet::log::GenerationInfo> all;
  if (jet::log::ListGenerations(fs, faultfs::ParentPath(path), "edb", &all) < 0) return;
  for (const auto& generation : all) {
    if (generation.path != path) continue;
    std::unique_ptr<jet::log::LogReader> reader;
    if (jet::log::LogReader::Open(fs, {generation}, format::Lgpos{0, 0, generation.generation}, &reader) < 0) return;
    for (std::size_t n = 0; n < kMaxRecordsPerLog; ++n) {
      jet::log::LogRecord record;
      bool end = false;
      if (reader->Next(&record, &end) < 0 || end) break;
      out.Write("log_record_fuzzer", SeedName(label, path, fmt::format("lrtyp{}-{}", record.type, n)), record.payload);
    }
  }
}

void HarvestFile(faultfs::Vfs& fs, const std::string& path, const std::string& label, SeedWriter& out) {
  Bytes file;
  if (!faultfs::ReadWholeFile(fs, path, &file).ok()) throw std::runtime_error("cannot read " + path);
  const std::string name = faultfs::BaseName(path);
  if (EndsWith(name, ".edb")) {
    HarvestDatabase(path, file, label, out);
  } else if (EndsWith(name, ".log")) {
    HarvestLog(fs, path, file, label, out);
  } else if (EndsWith(name, ".chk")) {
    for (int copy = 0; copy < 2; ++copy) {
      out.Write("checkpoint_fuzzer", SeedName(label, path, fmt::format("copy{}", copy)),
                Slice(file, copy * format::kCheckpointCopySize, format::kCheckpointCopySize));
    }
  } else if (name == "jetbackup.manifest") {
    out.Write("backup_manifest_fuzzer", SeedName(label, path, ""), file);
  }
}

void Walk(faultfs::Vfs& fs, const std::string& dir, const std::string& label, SeedWriter& out) {
  std::vector<std::string> names;
  if (!fs.ListDir(dir, &names).ok()) throw std::runtime_error("cannot list " + dir);
  for (const std::string& name : names) {
    const std::string path = faultfs::JoinPath(dir, name);
    bool is_dir = false;
    if (!fs.IsDirectory(path, &is_dir).ok()) throw std::runtime_error("cannot stat " + path);
    if (is_dir) {
      Walk(fs, path, label, out);
    } else {
      HarvestFile(fs, path, label, out);
    }
  }
}

}  // namespace

Bytes PageInput(std::uint32_t page_size, std::uint32_t pgno, const Bytes& page) {
  Bytes input;
  input.reserve(5 + page.size());
  input.push_back(static_cast<std::uint8_t>(page_size == 4096    ? 0
                                            : page_size == 8192  ? 1
                                            : page_size == 16384 ? 2
                                                                 : 3));
  for (int i = 0; i < 4; ++i) input.push_back(static_cast<std::uint8_t>(pgno >> (8 * i)));
  input.insert(input.end(), page.begin(), page.end());
  return input;
}

void HarvestSeeds(faultfs::Vfs& fs, const std::string& label, SeedWriter& out) { Walk(fs, "/", label, out); }

}  // namespace jetfault::corpus

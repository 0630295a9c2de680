// jetutil dump — the header of a database, log or checkpoint file, like esentutl /mh,
// /ml and /mk. The kind of file is told by the filetype field (format/file_type.h) that all
// three share; the header is then decoded by the engine's pure parsers (format/), and
// for the shadowed files both copies are reported.
#include <memory>
#include <span>
#include <string>

#include <fmt/core.h>

#include "commands.h"
#include "describe.h"
#include "file_io.h"
#include "format/checksum.h"

namespace jetutil {

namespace {

namespace format = jet::format;
using Span = std::span<const std::uint8_t>;

std::string CopyStatus(JET_ERR err) { return err == JET_errSuccess ? "ok" : JetErrorName(err); }

Json DumpDatabase(Span file, const std::string& path) {
  format::DbHeader header;
  CheckJet(format::DecodeDbFileHeader(file, &header), path);
  // Each copy's own state, at the page size the surviving header gives.
  format::DbHeader copy;
  const JET_ERR primary_err = format::DecodeDbHeader(Slice(file, 0, header.page_size), &copy);
  const JET_ERR shadow_err = format::DecodeDbHeader(Slice(file, header.page_size, header.page_size), &copy);
  Json json = DescribeDbHeader(header);
  json["header_copies"] = Json{{"primary", CopyStatus(primary_err)}, {"shadow", CopyStatus(shadow_err)}};
  json["file_bytes"] = file.size();
  return json;
}

Json DumpLog(Span file, const std::string& path) {
  format::LogFileHeader header;
  CheckJet(format::DecodeLogFileHeader(file, &header), path);
  Json json = DescribeLogFileHeader(header);
  json["file_size_matches_header"] = file.size() ==
                                     static_cast<std::uint64_t>(header.csec_file) * format::kLogSectorSize;
  return json;
}

Json DumpCheckpoint(Span file, const std::string& path) {
  format::Checkpoint copies[2];
  const JET_ERR errs[2] = {
      format::DecodeCheckpoint(Slice(file, 0, format::kCheckpointCopySize), &copies[0]),
      format::DecodeCheckpoint(Slice(file, format::kCheckpointCopySize, format::kCheckpointCopySize), &copies[1])};
  if (errs[0] != JET_errSuccess && errs[1] != JET_errSuccess) {
    // Both copies bad: the more specific error of the first copy, as the engine reports it.
    throw JetFailure(errs[0] == JET_errFileInvalidType ? errs[0] : JET_errCheckpointCorrupt, path);
  }
  Json json = DescribeCheckpoint(errs[0] == JET_errSuccess ? copies[0] : copies[1]);
  json["copies"] = Json{{"first", CopyStatus(errs[0])}, {"second", CopyStatus(errs[1])}};
  return json;
}

void RunDump(const std::string& path, const GlobalOptions& globals) {
  const std::vector<std::uint8_t> bytes = ReadWholeFile(path);
  const Span file(bytes);
  if (file.size() < format::kFileTypeOffset + 4)
    throw JetFailure(JET_errFileInvalidType, path + ": too short for a header");
  const std::uint32_t file_type = format::LoadU32(file.data() + format::kFileTypeOffset);
  Json json;
  if (file_type == format::kFileTypeDatabase) {
    json = DumpDatabase(file, path);
  } else if (file_type == format::kFileTypeLog) {
    json = DumpLog(file, path);
  } else if (file_type == format::kFileTypeCheckpoint) {
    json = DumpCheckpoint(file, path);
  } else {
    throw JetFailure(JET_errFileInvalidType,
                     fmt::format("{}: filetype {} at offset {}", path, file_type, format::kFileTypeOffset));
  }
  Json result{{"file", path}};
  result.update(json);
  PrintResult(globals, result, RenderText(result));
}

}  // namespace

Command AddDumpCommand(CLI::App& app, const GlobalOptions& globals) {
  auto path = std::make_shared<std::string>();
  CLI::App* sub = app.add_subcommand("dump", "Print the header of a database, log or checkpoint file");
  sub->add_option("FILE", *path, "Database (.edb), log (.log) or checkpoint (.chk) file")->required();
  return {sub, [path, &globals] { RunDump(*path, globals); }};
}

}  // namespace jetutil

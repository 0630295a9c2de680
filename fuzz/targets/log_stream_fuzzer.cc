// log_stream_fuzzer — a whole log file through the reader (log/log_reader.cc): header,
// segment verification, the torn-tail rule and record framing.
//
// The input is the bytes of edb.log on an in-memory filesystem. It is read three ways,
// so that mutations reach past each checksum (checksum_fixup.h):
//   raw       exactly as given;
//   header    the header made consistent: csecLGFile = file size / 4 KiB (the input is
//             cut to whole sectors), checksum recomputed;
//   segments  additionally every segment's number and checksum recomputed, so the
//             record framing inside them is what gets exercised.
// (A way that gives the same bytes as the one before it is not read again.)
// Each way: ListGenerations + LogReader yield records or a known JET_err, never a
// crash; record positions strictly increase inside the one generation; the record
// count is bounded by the file size. Then the round trip: the records read are
// appended by a LogWriter to a fresh log, and reading that log gives the same
// (type, payload) sequence — decode -> encode -> decode is the identity.
// In the libFuzzer build a custom mutator (mutators/log_stream_mutator.h) changes records,
// segments and the header inside the format and re-seals their CRCs and checksums, so
// most inputs carry records the reader accepts.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "checksum_fixup.h"
#include "faultfs/mem_fs.h"
#include "format/log_header.h"
#include "format/log_segment.h"
#include "fuzz_check.h"
#include "log/log.h"

#if defined(JETFAULT_LIBFUZZER)
#include "mutators/log_stream_mutator.h"
#endif

namespace {

namespace format = jet::format;
namespace log = jet::log;
using jetfault::fuzz::Bytes;

constexpr std::size_t kSector = format::kLogSectorSize;
constexpr std::size_t kMaxRecords = 1 << 16;

struct ReadResult {
  JET_ERR err = JET_errSuccess;
  std::vector<log::LogRecord> records;
  log::GenerationInfo generation;
};

// Reads every record of the log in `dir`, checking the reader's own invariants.
ReadResult ReadLog(faultfs::Vfs& vfs, const std::string& dir, std::uint64_t file_bytes) {
  ReadResult result;
  std::vector<log::GenerationInfo> generations;
  result.err = log::ListGenerations(vfs, dir, "edb", &generations);
  if (result.err < 0 || generations.empty()) return result;
  FUZZ_CHECK(generations.size() == 1);
  result.generation = generations.front();
  const std::int32_t gen = result.generation.generation;
  std::unique_ptr<log::LogReader> reader;
  result.err = log::LogReader::Open(vfs, generations, format::Lgpos{0, 0, gen}, &reader);
  if (result.err < 0) return result;
  for (;;) {
    log::LogRecord record;
    bool end = false;
    result.err = reader->Next(&record, &end);
    if (result.err < 0 || end) break;
    FUZZ_CHECK(record.lgpos.generation == gen);
    FUZZ_CHECK(result.records.empty() || result.records.back().lgpos < record.lgpos);
    FUZZ_CHECK(record.lgpos < reader->valid_end());
    FUZZ_CHECK(record.payload.size() + format::kLogRecordHeaderSize <= file_bytes);
    result.records.push_back(std::move(record));
    FUZZ_CHECK(result.records.size() <= kMaxRecords);
  }
  return result;
}

ReadResult ReadFile(const std::vector<std::uint8_t>& file) {
  faultfs::MemFs fs;
  FUZZ_CHECK(faultfs::MakeDirs(fs, "/log").ok());
  FUZZ_CHECK(faultfs::WriteWholeFile(fs, "/log/edb.log", file).ok());
  ReadResult result = ReadLog(fs, "/log", file.size());
  if (result.err != JET_errSuccess) jetfault::fuzz::CheckIsKnownError(result.err);
  return result;
}

// Writes `records` with a LogWriter into a fresh log and reads them back.
void CheckRewrite(const ReadResult& original) {
  faultfs::MemFs fs;
  FUZZ_CHECK(faultfs::MakeDirs(fs, "/again").ok());
  log::LogConfig config;
  config.vfs = &fs;
  config.log_dir = "/again";
  // As small as the input (16 sectors): a larger generation is only more zeros to write
  // per input; records that do not fit roll over into generation 2, which the reader follows.
  config.log_file_bytes = 16 * kSector;
  config.page_size = original.generation.page_size;
  std::unique_ptr<log::LogWriter> writer;
  FUZZ_CHECK(log::LogWriter::Create(
                 config, original.generation.sign_log, 1, format::Lgpos{},
                 [] { return std::vector<log::AttachInfo>{}; }, &writer) == JET_errSuccess);
  for (const log::LogRecord& record : original.records) {
    format::Lgpos lgpos;
    FUZZ_CHECK(writer->Append(record.type, record.payload, &lgpos) == JET_errSuccess);
  }
  FUZZ_CHECK(writer->Flush(true) == JET_errSuccess);
  writer.reset();

  std::vector<log::GenerationInfo> generations;
  FUZZ_CHECK(log::ListGenerations(fs, "/again", "edb", &generations) == JET_errSuccess);
  std::unique_ptr<log::LogReader> reader;
  FUZZ_CHECK(log::LogReader::Open(fs, generations, format::Lgpos{0, 0, 1}, &reader) == JET_errSuccess);
  for (const log::LogRecord& expected : original.records) {
    log::LogRecord record;
    bool end = false;
    FUZZ_CHECK(reader->Next(&record, &end) == JET_errSuccess && !end);
    FUZZ_CHECK(record.type == expected.type && record.payload == expected.payload);
  }
  log::LogRecord extra;
  bool end = false;
  FUZZ_CHECK(reader->Next(&extra, &end) == JET_errSuccess && end);
}

// The header made consistent with the file: csecLGFile from the size, checksum fixed.
void FixHeader(std::vector<std::uint8_t>& file) {
  file.resize(file.size() / kSector * kSector);
  if (file.size() < kSector) return;
  format::StoreU16(file.data() + format::log_header_offset::kCsecLGFile,
                   static_cast<std::uint16_t>(file.size() / kSector));
  jetfault::fuzz::FixXorChecksum(std::span(file).first(format::kLogHeaderSize));
}

// Every segment stamped as a valid segment of its place (number, lgposSegment, checksum).
void FixSegments(std::vector<std::uint8_t>& file) {
  if (file.size() < kSector) return;
  const auto generation = format::LoadU32(file.data() + format::log_header_offset::kGeneration);
  for (std::size_t isec = 1; isec < file.size() / kSector; ++isec) {
    auto segment = std::span(file).subspan(isec * kSector, kSector);
    format::StoreU16(segment.data() + 8, 0);  // lgposSegment = (generation, isec, 0)
    format::StoreU16(segment.data() + 10, static_cast<std::uint16_t>(isec));
    format::StoreU32(segment.data() + 12, generation);
    jetfault::fuzz::FixNumberedChecksum(segment, static_cast<std::uint32_t>(isec));
  }
}

void Check(const std::vector<std::uint8_t>& file) {
  const ReadResult result = ReadFile(file);
  if (result.err == JET_errSuccess && result.generation.generation > 0) CheckRewrite(result);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // 16 sectors is plenty for the framing; csecLGFile is a u16 in any case.
  if (size > 16 * kSector) return -1;
  std::vector<std::uint8_t> file(data, data + size);
  Check(file);
  // A fix that leaves the file as it was (the custom mutator re-seals what it changes, so
  // most inputs are already consistent) would only repeat the check just made on the
  // same bytes — the reads and the rewrite are deterministic — so it is made once.
  std::vector<std::uint8_t> checked = file;
  FixHeader(file);
  if (file != checked) {
    Check(file);
    checked = file;
  }
  FixSegments(file);
  if (file != checked) Check(file);
  return 0;
}

#if defined(JETFAULT_LIBFUZZER)
extern "C" std::size_t LLVMFuzzerMutate(std::uint8_t* data, std::size_t size, std::size_t max_size);

// Structure-aware mutation (mutators/log_stream_mutator.h), falling back to libFuzzer's.
extern "C" std::size_t LLVMFuzzerCustomMutator(std::uint8_t* data, std::size_t size, std::size_t max_size,
                                               unsigned int seed) {
  static const jetfault::fuzz::ByteMutator fallback = LLVMFuzzerMutate;
  // The baseline of docs/FUZZING.md's coverage comparison: libFuzzer's byte mutations only.
  static const bool plain = std::getenv("JETFAULT_PLAIN_MUTATION") != nullptr;
  if (plain) return fallback(data, size, max_size);
  return jetfault::fuzz::MutateLogFile(data, size, std::min<std::size_t>(max_size, 16 * kSector), seed, fallback);
}
#endif

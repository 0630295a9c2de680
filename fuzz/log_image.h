// fuzz/log_image.h — where the records of a log file lie, so that fuzz code can change
// them and re-seal everything that vouches for them.
//
// A log file (format/log_header.h, format/log_segment.h) guards its bytes three ways: the
// header's XOR checksum, each segment's numbered checksum, and each record's CRC-32C
// over its header and payload (which may span segments). A byte flip anywhere behind
// them is rejected at the first check, so structure-aware fuzz code changes bytes and
// then re-seals: ResealLogEdit recomputes every record CRC, segment checksum and header
// checksum that covers the changed bytes, keeping the framing the file had before.
//
// Used by restore_fuzzer (edits marked "re-seal" in its script) and by the custom
// mutators of log_stream_fuzzer and restore_fuzzer (fuzz/mutators/).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <utility>
#include <vector>

namespace jetfault::fuzz {

// The records of a log file as LogReader reads them: the header, then the valid data
// segments from isec 1 on, up to the first one that fails verification or is a shadow,
// records framed in that stream up to the first that does not fit or fails its CRC.
struct LogImage {
  struct Segment {
    std::uint16_t isec = 0;
    std::size_t stream_begin = 0;  // index in the record stream of its first byte
    std::size_t stream_end = 0;
    bool full = false;  // ib_end == 4096: a record may continue into the next segment
  };
  struct Record {
    std::size_t begin = 0;  // index in the record stream of its 12-byte header
    std::uint8_t type = 0;
    std::uint32_t payload_size = 0;
    std::size_t end() const { return begin + 12 + payload_size; }
  };
  std::int32_t generation = 0;
  std::uint16_t csec_file = 0;
  std::uint32_t page_size = 0;
  std::size_t stream_size = 0;  // bytes in the record stream (the segments' data, in order)
  std::vector<Segment> segments;
  std::vector<Record> records;

  // The file offset of record-stream byte k < stream_size. (Computed from the segments:
  // a table of every byte's offset cost 4 bytes per byte, allocated and zeroed on every
  // parse — a fifth of log_stream_fuzzer's time.)
  std::size_t Offset(std::size_t k) const;
  // Copies record-stream bytes [from, from + out.size()) of `file` into `out`, a
  // segment's run at a time.
  void Gather(std::span<const std::uint8_t> file, std::size_t from, std::span<std::uint8_t> out) const;

  // The file offsets of record r's payload bytes [from, from + n), as runs that each
  // lie in one segment: (file offset, length).
  std::vector<std::pair<std::size_t, std::size_t>> PayloadRuns(std::size_t r, std::size_t from, std::size_t n) const;
};

// False when the header does not decode (bad checksum, a field out of range). With
// check_crc false, records are framed without checking their CRCs (to repair them).
bool ParseLogImage(std::span<const std::uint8_t> file, LogImage* out, bool check_crc = true);

// The checksums of a log file: header (sector 0) and segment isec (>= 1).
void ResealLogHeader(std::span<std::uint8_t> file);
void ResealLogSegment(std::span<std::uint8_t> file, std::size_t isec);

// Bytes [begin, end) of `after` differ from `before` (the same file before the change,
// same size or larger): re-seals, against `before`'s framing, the header if the change
// reaches it, the CRC of every record whose header or payload it touches, and the
// checksum of every segment holding a changed byte or a rewritten CRC.
void ResealLogEdit(std::span<const std::uint8_t> before, std::span<std::uint8_t> after, std::size_t begin,
                   std::size_t end);

// Re-seals a damaged log as far as its framing goes: header (csecLGFile from the size),
// every segment stamped as a data segment of its place (as log_stream_fuzzer's third
// pass does), then the CRC of every record framed in the valid segments.
void RepairLog(std::vector<std::uint8_t>& file);

// A file holding `records` (type, payload) with the header of `file` (its size kept):
// records packed from segment 1 on as LogWriter frames them (one may continue only past
// a full segment), every written segment sealed as a data segment of its place (its
// logtime kept from `file` where that segment was valid), the rest zero. Records that
// do not fit are left out. `file` must parse (ParseLogImage) as `image`.
std::vector<std::uint8_t> RebuildLog(std::span<const std::uint8_t> file, const LogImage& image,
                                     const std::vector<std::pair<std::uint8_t, std::vector<std::uint8_t>>>& records);

}  // namespace jetfault::fuzz

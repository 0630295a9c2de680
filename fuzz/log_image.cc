#include "log_image.h"

#include <algorithm>
#include <array>
#include <set>

#include "checksum_fixup.h"
#include "format/checksum.h"
#include "format/log_header.h"
#include "format/log_segment.h"

namespace jetfault::fuzz {

namespace format = jet::format;

namespace {

constexpr std::size_t kSector = format::kLogSectorSize;
constexpr std::size_t kRecordHeader = format::kLogRecordHeaderSize;

// The last sector that may hold data: the writer keeps the file's last slot for a shadow,
// and a sector only counts when the file holds all of it.
std::size_t LastDataIsec(std::size_t file_size, std::uint16_t csec_file) {
  const std::size_t by_header = csec_file < 2 ? 0 : csec_file - 2u;
  const std::size_t by_size = file_size / kSector == 0 ? 0 : file_size / kSector - 1;
  return std::min(by_header, by_size);
}

std::uint32_t StreamCrc(std::span<const std::uint8_t> file, const LogImage& image, const LogImage::Record& record) {
  std::array<std::uint8_t, 8> header{};
  image.Gather(file, record.begin, header);
  // The payload gathered into one piece: format::Crc32cExtend continues from a finished
  // CRC the way the engine wrote it, which is not the CRC of the concatenation, so the
  // payload must be given in one call as LogRecordCrcMatches does.
  // Sized once, not grown by push_back: the mutators call this for every record of
  // every mutation.
  std::vector<std::uint8_t> payload(record.payload_size);
  image.Gather(file, record.begin + kRecordHeader, payload);
  return format::Crc32cExtend(format::Crc32c(header), payload);
}

}  // namespace

std::size_t LogImage::Offset(std::size_t k) const {
  // The first segment ending after k holds it (segments without data end where they begin).
  const auto s = std::upper_bound(segments.begin(), segments.end(), k,
                                  [](std::size_t at, const Segment& segment) { return at < segment.stream_end; });
  return s->isec * kSector + format::kLogSegmentHeaderSize + (k - s->stream_begin);
}

void LogImage::Gather(std::span<const std::uint8_t> file, std::size_t from, std::span<std::uint8_t> out) const {
  for (std::size_t done = 0; done < out.size();) {
    const std::size_t k = from + done;
    const auto s = std::upper_bound(segments.begin(), segments.end(), k,
                                    [](std::size_t at, const Segment& segment) { return at < segment.stream_end; });
    const std::size_t n = std::min(out.size() - done, s->stream_end - k);
    std::copy_n(file.begin() + static_cast<std::ptrdiff_t>(Offset(k)), n,
                out.begin() + static_cast<std::ptrdiff_t>(done));
    done += n;
  }
}

std::vector<std::pair<std::size_t, std::size_t>> LogImage::PayloadRuns(std::size_t r, std::size_t from,
                                                                       std::size_t n) const {
  std::vector<std::pair<std::size_t, std::size_t>> runs;
  const Record& record = records[r];
  const std::size_t first = record.begin + kRecordHeader + std::min<std::size_t>(from, record.payload_size);
  const std::size_t last = std::min(first + n, record.end());
  for (std::size_t k = first; k < last; ++k) {
    const std::size_t offset = Offset(k);
    if (!runs.empty() && runs.back().first + runs.back().second == offset) {
      ++runs.back().second;
    } else {
      runs.emplace_back(offset, 1);
    }
  }
  return runs;
}

bool ParseLogImage(std::span<const std::uint8_t> file, LogImage* out, bool check_crc) {
  *out = LogImage();
  format::LogFileHeader header;
  if (file.size() < kSector || format::DecodeLogFileHeader(file.first(kSector), &header) < 0) return false;
  out->generation = header.generation;
  out->csec_file = header.csec_file;
  out->page_size = header.page_size;
  const std::size_t last = LastDataIsec(file.size(), header.csec_file);
  for (std::size_t isec = 1; isec <= last; ++isec) {
    format::LogSegmentHeader segment;
    if (format::VerifyLogSegment(file.subspan(isec * kSector, kSector), header.generation,
                                 static_cast<std::uint16_t>(isec), &segment) < 0 ||
        segment.is_shadow()) {
      break;
    }
    LogImage::Segment s;
    s.isec = static_cast<std::uint16_t>(isec);
    s.stream_begin = out->stream_size;
    if (segment.ib_end > format::kLogSegmentHeaderSize) {
      out->stream_size += segment.ib_end - format::kLogSegmentHeaderSize;
    }
    s.stream_end = out->stream_size;
    s.full = segment.ib_end == kSector;
    out->segments.push_back(s);
  }
  // A record may not run past the end of a segment that is not full.
  auto crosses_sealed_end = [out](std::size_t from, std::size_t to) {
    for (const LogImage::Segment& s : out->segments) {
      if (!s.full && from < s.stream_end && s.stream_end < to) return true;
    }
    return false;
  };
  std::size_t pos = 0;
  while (pos + kRecordHeader <= out->stream_size) {
    std::array<std::uint8_t, kRecordHeader> header_bytes{};
    out->Gather(file, pos, header_bytes);
    format::LogRecordHeader record_header;
    if (format::DecodeLogRecordHeader(header_bytes, &record_header) < 0) break;
    LogImage::Record record{pos, record_header.type, record_header.payload_size};
    if (record_header.payload_size > out->stream_size - pos - kRecordHeader) break;
    if (crosses_sealed_end(pos, record.end())) break;
    if (check_crc && StreamCrc(file, *out, record) != record_header.crc) break;
    out->records.push_back(record);
    pos = record.end();
  }
  return true;
}

void ResealLogHeader(std::span<std::uint8_t> file) {
  if (file.size() >= format::kLogHeaderSize) FixXorChecksum(file.first(format::kLogHeaderSize));
}

void ResealLogSegment(std::span<std::uint8_t> file, std::size_t isec) {
  if (isec == 0 || isec > 0xFFFF || (isec + 1) * kSector > file.size()) return;
  FixNumberedChecksum(file.subspan(isec * kSector, kSector), static_cast<std::uint32_t>(isec));
}

void ResealLogEdit(std::span<const std::uint8_t> before, std::span<std::uint8_t> after, std::size_t begin,
                   std::size_t end) {
  if (begin >= end) return;
  std::set<std::size_t> segments;
  for (std::size_t isec = begin / kSector; isec <= (end - 1) / kSector; ++isec) segments.insert(isec);
  LogImage image;
  if (ParseLogImage(before, &image)) {
    for (const LogImage::Record& record : image.records) {
      // Every byte of the record lies in [first, last]; a change there may be in it.
      const std::size_t first = image.Offset(record.begin);
      const std::size_t last = image.Offset(record.end() - 1);
      if (end <= first || begin > last || last >= after.size()) continue;
      const std::uint32_t crc = StreamCrc(after, image, record);
      for (std::size_t k = 0; k < 4; ++k) {
        const std::size_t at = image.Offset(record.begin + 8 + k);
        after[at] = static_cast<std::uint8_t>(crc >> (8 * k));
        segments.insert(at / kSector);
      }
    }
  }
  for (const std::size_t isec : segments) {
    if (isec == 0) {
      ResealLogHeader(after);
    } else {
      ResealLogSegment(after, isec);
    }
  }
}

void RepairLog(std::vector<std::uint8_t>& file) {
  file.resize(std::min<std::size_t>(file.size() / kSector, 0xFFFF) * kSector);
  if (file.size() < 2 * kSector) return;
  format::StoreU16(file.data() + format::log_header_offset::kCsecLGFile,
                   static_cast<std::uint16_t>(file.size() / kSector));
  ResealLogHeader(file);
  const std::uint32_t generation = format::LoadU32(file.data() + format::log_header_offset::kGeneration);
  for (std::size_t isec = 1; isec < file.size() / kSector; ++isec) {
    std::uint8_t* segment = file.data() + isec * kSector;
    format::StoreU16(segment + 8, 0);  // lgposSegment = (generation, isec, 0)
    format::StoreU16(segment + 10, static_cast<std::uint16_t>(isec));
    format::StoreU32(segment + 12, generation);
    ResealLogSegment(file, isec);
  }
  LogImage image;
  if (!ParseLogImage(file, &image, /*check_crc=*/false)) return;
  std::set<std::size_t> segments;
  for (const LogImage::Record& record : image.records) {
    const std::uint32_t crc = StreamCrc(file, image, record);
    for (std::size_t k = 0; k < 4; ++k) {
      const std::size_t at = image.Offset(record.begin + 8 + k);
      file[at] = static_cast<std::uint8_t>(crc >> (8 * k));
      segments.insert(at / kSector);
    }
  }
  for (const std::size_t isec : segments) ResealLogSegment(file, isec);
}

std::vector<std::uint8_t> RebuildLog(std::span<const std::uint8_t> file, const LogImage& image,
                                     const std::vector<std::pair<std::uint8_t, std::vector<std::uint8_t>>>& records) {
  std::vector<std::uint8_t> out(file.begin(), file.end());
  std::fill(out.begin() + static_cast<std::ptrdiff_t>(std::min(out.size(), kSector)), out.end(), std::uint8_t{0});
  const std::size_t last = LastDataIsec(out.size(), image.csec_file);
  if (last == 0) return out;
  const std::size_t capacity = last * format::kLogSegmentDataSize;
  // The record stream, cut after the last record that fits.
  std::vector<std::uint8_t> stream;
  for (const auto& [type, payload] : records) {
    if (stream.size() + kRecordHeader + payload.size() > capacity) break;
    std::array<std::uint8_t, kRecordHeader> header{};
    format::EncodeLogRecordHeader(type, payload, header);
    stream.insert(stream.end(), header.begin(), header.end());
    stream.insert(stream.end(), payload.begin(), payload.end());
  }
  // Logtimes of the segments that were valid, to keep what the writer stamped.
  std::vector<format::LogTime> logtimes(last + 1);
  format::LogSegmentHeader first_header;
  for (std::size_t isec = 1; isec <= last; ++isec) {
    format::LogSegmentHeader h;
    if (format::VerifyLogSegment(file.subspan(isec * kSector, kSector), image.generation,
                                 static_cast<std::uint16_t>(isec), &h) >= 0) {
      logtimes[isec] = h.logtime;
      if (isec == 1) first_header = h;
    } else {
      logtimes[isec] = first_header.logtime;
    }
  }
  std::size_t done = 0;
  for (std::size_t isec = 1; isec <= last && (done < stream.size() || isec == 1); ++isec) {
    const std::size_t n = std::min(format::kLogSegmentDataSize, stream.size() - done);
    auto segment = std::span(out).subspan(isec * kSector, kSector);
    std::copy_n(stream.begin() + static_cast<std::ptrdiff_t>(done), n,
                segment.begin() + static_cast<std::ptrdiff_t>(format::kLogSegmentHeaderSize));
    done += n;
    format::LogSegmentHeader h;
    h.lgpos_segment = format::Lgpos{0, static_cast<std::uint16_t>(isec), image.generation};
    h.logtime = logtimes[isec];
    h.lgpos_durable = format::FirstRecordLgpos(image.generation);
    h.ib_end = static_cast<std::uint16_t>(format::kLogSegmentHeaderSize + n);
    h.flags = 0;
    (void)format::SealLogSegment(h, segment);
  }
  return out;
}

}  // namespace jetfault::fuzz

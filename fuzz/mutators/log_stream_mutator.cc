#include "mutators/log_stream_mutator.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "checksum_fixup.h"
#include "format/checksum.h"
#include "format/log_header.h"
#include "format/log_segment.h"
#include "log_image.h"

namespace jetfault::fuzz {

namespace format = jet::format;

namespace {

constexpr std::size_t kSector = format::kLogSectorSize;
using RecordList = std::vector<std::pair<std::uint8_t, std::vector<std::uint8_t>>>;

struct LogMutation {
  MutationRng& rng;
  const ByteMutator& fallback;
  std::vector<std::uint8_t>& file;
  const LogImage& image;

  std::vector<std::uint8_t> Payload(std::size_t r) const {
    const LogImage::Record& record = image.records[r];
    std::vector<std::uint8_t> payload(record.payload_size);
    image.Gather(file, record.begin + 12, payload);
    return payload;
  }

  RecordList Records() const {
    RecordList records;
    for (std::size_t r = 0; r < image.records.size(); ++r) records.emplace_back(image.records[r].type, Payload(r));
    return records;
  }

  // The position of file byte `offset` as an Lgpos of this generation.
  format::Lgpos LgposAt(std::size_t offset) const {
    return format::Lgpos{static_cast<std::uint16_t>(offset % kSector), static_cast<std::uint16_t>(offset / kSector),
                         image.generation};
  }

  MutationKind PayloadBytes() {
    const std::size_t r = rng.Below(image.records.size());
    const LogImage::Record& record = image.records[r];
    if (record.payload_size == 0) return Type();
    const std::size_t from = rng.Below(record.payload_size);
    const std::size_t n = 1 + rng.Below(std::min<std::size_t>(16, record.payload_size - from));
    std::vector<std::uint8_t> payload = Payload(r);
    const std::vector<std::uint8_t> donor = Payload(rng.Below(image.records.size()));
    MutateField(rng, std::span(payload).subspan(from, n), donor, fallback);
    const std::vector<std::uint8_t> before = file;
    const auto runs = image.PayloadRuns(r, 0, record.payload_size);
    std::size_t k = 0;
    for (const auto& [offset, length] : runs) {
      std::copy_n(payload.begin() + static_cast<std::ptrdiff_t>(k), length,
                  file.begin() + static_cast<std::ptrdiff_t>(offset));
      k += length;
    }
    ResealLogEdit(before, file, runs.front().first, runs.back().first + runs.back().second);
    return MutationKind::kSealed;
  }

  MutationKind Type() {
    const LogImage::Record& record = image.records[rng.Below(image.records.size())];
    const std::size_t at = image.Offset(record.begin);
    const std::vector<std::uint8_t> before = file;
    file[at] = rng.Percent(80) ? image.records[rng.Below(image.records.size())].type
                               : static_cast<std::uint8_t>(rng.Next());
    ResealLogEdit(before, file, at, at + 1);
    return MutationKind::kSealed;
  }

  MutationKind Reframe() {
    RecordList records = Records();
    const std::size_t r = rng.Below(records.size() + 1);
    switch (rng.Below(5)) {
      case 0:  // delete
        if (r < records.size()) records.erase(records.begin() + static_cast<std::ptrdiff_t>(r));
        break;
      case 1:  // duplicate
        if (r < records.size()) records.insert(records.begin() + static_cast<std::ptrdiff_t>(r), records[r]);
        break;
      case 2:  // swap with the next
        if (r + 1 < records.size()) std::swap(records[r], records[r + 1]);
        break;
      case 3: {  // resize (libFuzzer's mutation of the payload may change its length)
        if (r == records.size()) break;
        std::vector<std::uint8_t>& payload = records[r].second;
        const std::size_t size = payload.size();
        payload.resize(size + 256);
        payload.resize(fallback(payload.data(), size, payload.size()));
        break;
      }
      default: {  // insert a copy of another record, or a short new one
        std::pair<std::uint8_t, std::vector<std::uint8_t>> record;
        if (!records.empty() && rng.Percent(70)) {
          record = records[rng.Below(records.size())];
        } else {
          record.first = records.empty() ? static_cast<std::uint8_t>(rng.Next())
                                         : records[rng.Below(records.size())].first;
          record.second.resize(rng.Below(64));
          for (auto& b : record.second) b = static_cast<std::uint8_t>(rng.Next());
        }
        records.insert(records.begin() + static_cast<std::ptrdiff_t>(r), std::move(record));
        break;
      }
    }
    file = RebuildLog(file, image, records);
    return MutationKind::kSealed;
  }

  MutationKind SegmentField() {
    const LogImage::Segment& segment = image.segments[rng.Below(image.segments.size())];
    const std::size_t base = segment.isec * kSector;
    const std::vector<std::uint8_t> before = file;
    switch (rng.Below(5)) {
      case 0:  // logtime
        MutateField(rng, std::span(file).subspan(base + 16, 8), file, fallback);
        break;
      case 1: {  // lgposDurable: a record's position, the end of the stream and beyond, or mutated
        format::Lgpos durable;
        if (!image.records.empty() && rng.Percent(40)) {
          durable = LgposAt(image.Offset(image.records[rng.Below(image.records.size())].begin));
        } else if (image.stream_size != 0 && rng.Percent(50)) {
          durable = LgposAt(image.Offset(image.stream_size - 1) + 1 + rng.Below(2 * kSector));
        } else {
          MutateField(rng, std::span(file).subspan(base + 24, 8), file, fallback);
          break;
        }
        format::StoreU16(file.data() + base + 24, durable.ib);
        format::StoreU16(file.data() + base + 26, durable.isec);
        format::StoreU32(file.data() + base + 28, static_cast<std::uint32_t>(durable.generation));
        break;
      }
      case 2:  // ibEnd
        format::StoreU16(
            file.data() + base + 32,
            static_cast<std::uint16_t>(format::kLogSegmentHeaderSize + rng.Below(format::kLogSegmentDataSize + 1)));
        break;
      case 3:  // flags: the shadow bit
        file[base + 34] ^= format::kLogSegmentFlagShadow;
        break;
      default: MutateField(rng, std::span(file).subspan(base + 8, 32), file, fallback); break;
    }
    ResealLogEdit(before, file, base + 8, base + 40);
    return MutationKind::kSealed;
  }

  MutationKind Shadow() {
    const LogImage::Segment& last = image.segments.back();
    const std::size_t slot = last.isec + 1u;
    if ((slot + 1) * kSector > file.size()) return SegmentField();
    std::copy_n(file.begin() + static_cast<std::ptrdiff_t>(last.isec * kSector), kSector,
                file.begin() + static_cast<std::ptrdiff_t>(slot * kSector));
    format::StoreU16(file.data() + slot * kSector + 34, format::kLogSegmentFlagShadow);
    ResealLogSegment(file, slot);
    if (rng.Percent(50)) {  // the original torn after the shadow reached the medium: the shadow stands in
      file[last.isec * kSector + 40 + rng.Below(format::kLogSegmentDataSize)] ^= 0x01;
    }
    return MutationKind::kSealed;
  }

  MutationKind HeaderField() {
    namespace off = format::log_header_offset;
    static constexpr std::pair<std::size_t, std::size_t> kFields[] = {
        {off::kGeneration, 4}, {off::kCsecLGFile, 2}, {off::kCbPageSize, 2}, {off::kTmCreate, 8}, {off::kTmPrevGen, 8},
        {off::kSignLog, 28},   {off::kFlags, 4},      {off::kPrevGenEnd, 8}, {off::kAttach, 64},
    };
    const auto [offset, length] = kFields[rng.Below(std::size(kFields))];
    const std::vector<std::uint8_t> before = file;
    auto field = std::span(file).subspan(offset, length);
    if (length > 8) field = field.subspan(rng.Below(length - 4), 4);  // a few bytes of a long field
    MutateField(rng, field, std::span(file).first(kSector), fallback);
    ResealLogEdit(before, file, offset, offset + length);
    return MutationKind::kSealed;
  }

  MutationKind Damage() {
    const std::size_t sectors = file.size() / kSector;
    switch (rng.Below(3)) {
      case 0:  // a segment never written (or zeroed)
        if (sectors > 1) {
          const std::size_t isec = 1 + rng.Below(sectors - 1);
          std::fill_n(file.begin() + static_cast<std::ptrdiff_t>(isec * kSector), kSector, std::uint8_t{0});
        }
        break;
      case 1:  // a torn write: part of a segment replaced, checksum left as it was
        if (sectors > 1) {
          const std::size_t isec = 1 + rng.Below(sectors - 1);
          const std::size_t from = isec * kSector + rng.Below(kSector);
          const std::size_t to = std::min(from + 512 * (1 + rng.Below(4)), (isec + 1) * kSector);
          for (std::size_t k = from; k < to; ++k) file[k] = static_cast<std::uint8_t>(rng.Next());
        }
        break;
      default:  // the file cut (at a sector boundary or inside one)
        file.resize(rng.Percent(50) ? rng.Below(sectors + 1) * kSector : rng.Below(file.size() + 1));
        break;
    }
    return MutationKind::kDamaged;
  }
};

}  // namespace

std::size_t MutateLogFile(std::uint8_t* data, std::size_t size, std::size_t max_size, std::uint64_t seed,
                          const ByteMutator& fallback, MutationKind* kind) {
  MutationRng rng(seed);
  MutationKind done = MutationKind::kFallback;
  if (kind != nullptr) *kind = done;
  std::vector<std::uint8_t> file(data, data + size);
  LogImage image;
  const bool parsed = ParseLogImage(file, &image);
  if (file.size() >= 2 * kSector && (!parsed || image.records.empty()) && rng.Percent(50)) {
    // Repair (fuzz/log_image.h): the header consistent with the file and sealed, every
    // segment stamped and sealed, every framed record's CRC recomputed; the next call
    // then finds records to work on.
    RepairLog(file);
    done = MutationKind::kSealed;
  } else if (!parsed || rng.Percent(20)) {
    return fallback(data, size, max_size);
  } else {
    LogMutation m{rng, fallback, file, image};
    const bool records = !image.records.empty();
    const bool segments = !image.segments.empty();
    const std::size_t roll = rng.Below(100);
    if (roll < 35) {
      done = records ? m.PayloadBytes() : m.Reframe();
    } else if (roll < 40) {
      done = records ? m.Type() : m.Reframe();
    } else if (roll < 60) {
      done = m.Reframe();
    } else if (roll < 72) {
      done = segments ? m.SegmentField() : m.HeaderField();
    } else if (roll < 77) {
      done = segments ? m.Shadow() : m.HeaderField();
    } else if (roll < 87) {
      done = m.HeaderField();
    } else {
      done = m.Damage();
    }
  }
  if (file.size() > max_size) return fallback(data, size, max_size);
  std::copy(file.begin(), file.end(), data);
  if (kind != nullptr) *kind = done;
  return file.size();
}

}  // namespace jetfault::fuzz

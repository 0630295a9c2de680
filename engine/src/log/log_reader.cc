// log/log_reader.cc — LogReader: the record stream of a sequence of generations.
//
// Within a generation, segments are read in order; the stream ends at the first
// segment that fails verification (or at the end of the file). Whether that end is
// a torn tail or corruption is decided by the torn-tail rule (ARCHITECTURE rule 3):
// if any later valid segment of the same file says that a position beyond the bad
// segment was already durable when it was written (or the bad sector holds an intact
// image of another slot, a misdirected write, that says so), data that was
// acknowledged durable is gone -> JET_errLogFileCorrupt. Otherwise the bad segment was never
// acknowledged, and the generation simply ends there. Before applying the rule the
// reader looks for the shadow every flush writes after its last segment: a bad
// segment k followed by a valid shadow of k was damaged after the shadow reached the
// medium, so the shadow's bytes stand in for k (and the shadow, the last thing that
// flush wrote, ends the generation). Across generations, the next
// header's lgposPrevGenEnd tells where this generation's records ended when it was
// closed: a reader that stops before it has lost data from an archived log.
#include <algorithm>
#include <array>
#include <new>
#include <span>
#include <utility>

#include <fmt/format.h>

#include "base/io_error.h"
#include "faultfs/alloc_fault.h"
#include "format/log_segment.h"
#include "jetfault/assert.h"
#include "log/log.h"
#include "log/log_files.h"

namespace jet::log {

namespace {

using format::kLogSectorSize;
using format::kLogSegmentHeaderSize;
using format::kLogSegmentSize;

constexpr std::uint16_t kFirstDataIb = static_cast<std::uint16_t>(kLogSegmentHeaderSize);

JET_ERR Corrupt(const std::string& detail) {
  SetLastErrorDetail(detail);
  return JET_errLogFileCorrupt;
}

// Header-level chaining between consecutive generations.
JET_ERR CheckChain(const GenerationInfo& prev, const GenerationInfo& next) {
  if (next.generation != prev.generation + 1) {
    SetLastErrorDetail(fmt::format("log generation {} is missing (next is {})", prev.generation + 1, next.generation));
    return JET_errMissingLogFile;
  }
  if (next.sign_log != prev.sign_log) {
    SetLastErrorDetail(fmt::format("{}: signLog differs from generation {}", next.path, prev.generation));
    return JET_errBadLogSignature;
  }
  if (next.tm_prev_gen != prev.tm_create) {
    SetLastErrorDetail(fmt::format("{}: tmPrevGen is not generation {}'s tmCreate", next.path, prev.generation));
    return JET_errInvalidLogSequence;
  }
  return JET_errSuccess;
}

class LogReaderImpl final : public LogReader {
 public:
  LogReaderImpl(faultfs::Vfs& vfs, std::vector<GenerationInfo> generations)
      : vfs_(vfs), owned_(std::move(generations)), generations_(owned_) {}
  LogReaderImpl(faultfs::Vfs& vfs, std::span<const GenerationInfo> borrowed) : vfs_(vfs), generations_(borrowed) {}

  JET_ERR Start(Lgpos start) {
    for (std::size_t i = 0; i + 1 < generations_.size(); ++i) {
      if (JET_ERR err = CheckChain(generations_[i], generations_[i + 1]); err < 0) return err;
    }
    while (index_ < generations_.size() && generations_[index_].generation < start.generation) ++index_;
    if (index_ == generations_.size() || generations_[index_].generation != start.generation) {
      SetLastErrorDetail(fmt::format("log generation {} (the start of redo) is missing", start.generation));
      return JET_errMissingLogFile;
    }
    if (JET_ERR err = OpenGeneration(); err < 0) return err;
    isec_ = std::max<std::uint16_t>(start.isec, 1);
    ib_ = start.isec == 0 ? kFirstDataIb : std::max(start.ib, kFirstDataIb);
    valid_end_ = Lgpos{ib_, isec_, generation()};
    // Reading starts in the start's generation, inside a data segment, never before start.
    JF_ASSERT_EQ(generation(), start.generation);
    JF_ASSERT_LE(start, valid_end_);
    return JET_errSuccess;
  }

  JET_ERR Next(LogRecord* record, bool* end) override {
    *end = false;
    if (error_ < 0) return error_;
    JET_ERR err = ReadRecord(record, end);
    if (err < 0) error_ = err;
    return err;
  }

  Lgpos valid_end() const override { return valid_end_; }
  std::int32_t generation() const override {
    return generations_.empty() ? 0 : generations_[std::min(index_, generations_.size() - 1)].generation;
  }

 private:
  enum class Step { kOk, kEnd };
  enum class SegmentKind { kInvalid, kData, kShadow };

  JET_ERR OpenGeneration() {
    JF_ASSERT_LT(index_, generations_.size());  // Start and AdvanceGeneration stay inside the list
    const GenerationInfo& info = generations_[index_];
    format::LogFileHeader header;
    if (JET_ERR err = ReadLogFileHeader(vfs_, info.path, &header); err < 0) return err;
    if (header.generation != info.generation) {
      SetLastErrorDetail(fmt::format("{}: header generation {} != {}", info.path, header.generation, info.generation));
      return JET_errLogGenerationMismatch;
    }
    faultfs::OpenOptions options{faultfs::Access::kRead, faultfs::kShareAll, faultfs::Disposition::kOpenExisting};
    file_.reset();  // close the previous generation before opening the next
    if (auto s = vfs_.Open(info.path, options, &file_); !s.ok()) {
      SetLastErrorDetail(fmt::format("open {}: {}", info.path, s.ToString()));
      return IoError(s, FileKind::kLog);
    }
    csec_file_ = header.csec_file;
    loaded_isec_ = 0;
    generation_ended_ = false;
    JF_ASSERT(file_ != nullptr);  // an open that succeeded gave a file
    JF_ASSERT_EQ(generation(), info.generation);
    return JET_errSuccess;
  }

  // Moves to the next generation after the current one ended at valid_end_.
  JET_ERR AdvanceGeneration(bool* end) {
    if (index_ + 1 == generations_.size()) {
      *end = true;
      return JET_errSuccess;
    }
    const GenerationInfo& next = generations_[index_ + 1];
    if (!next.prev_generation_end.IsZero() && valid_end_ < next.prev_generation_end) {
      return Corrupt(fmt::format("{}: records end at {} but generation {} says they ended at {}",
                                 generations_[index_].path, format::ToString(valid_end_), next.generation,
                                 format::ToString(next.prev_generation_end)));
    }
    JF_ASSERT_LT(index_ + 1, generations_.size());
    ++index_;
    // Start checked every link of the chain: each generation is its predecessor + 1.
    JF_ASSERT_EQ(generations_[index_].generation, generations_[index_ - 1].generation + 1);
    if (JET_ERR err = OpenGeneration(); err < 0) return err;
    isec_ = 1;
    ib_ = kFirstDataIb;
    valid_end_ = Lgpos{ib_, isec_, next.generation};
    JF_ASSERT_EQ(generation(), next.generation);
    return JET_errSuccess;
  }

  JET_ERR ReadRecord(LogRecord* record, bool* end) {
    const Lgpos previous_end = valid_end_;
    for (;;) {
      Step step;
      if (JET_ERR err = PositionAtRecordStart(&step); err < 0) return err;
      if (step == Step::kOk) break;
      if (JET_ERR err = AdvanceGeneration(end); err < 0 || *end) return err;
    }
    const Lgpos start{ib_, isec_, generation()};
    std::array<std::uint8_t, format::kLogRecordHeaderSize> header_bytes{};
    Step step;
    if (JET_ERR err = ReadBytes(header_bytes, &step); err < 0) return err;
    if (step == Step::kEnd) return EndInsideRecord(record, end);
    format::LogRecordHeader header;
    if (format::DecodeLogRecordHeader(header_bytes, &header) < 0) {
      return Corrupt(fmt::format("bad record header at {}", format::ToString(start)));
    }
    // A length that cannot fit in the rest of the generation is corruption, never an allocation.
    if (header.payload_size > BytesLeftInGeneration()) {
      return Corrupt(fmt::format("record at {} claims {} bytes", format::ToString(start), header.payload_size));
    }
    if (!faultfs::AllocationAllowed("log-read-record")) return JET_errOutOfMemory;
    try {
      record->payload.resize(header.payload_size);
    } catch (const std::bad_alloc&) {
      return JET_errOutOfMemory;
    }
    if (JET_ERR err = ReadBytes(record->payload, &step); err < 0) return err;
    if (step == Step::kEnd) return EndInsideRecord(record, end);
    if (!format::LogRecordCrcMatches(header_bytes, record->payload)) {
      return Corrupt(fmt::format("record at {} fails its crc", format::ToString(start)));
    }
    record->type = header.type;
    record->lgpos = start;
    valid_end_ = Lgpos{ib_, isec_, generation()};
    // The cursor only moves forward: records never overlap and positions strictly increase.
    JF_ASSERT_LE(previous_end, start);
    JF_ASSERT_LT(start, valid_end_);
    return JET_errSuccess;
  }

  // The generation's valid segments ended inside a record: a torn tail (the rule was
  // applied when the segment failed), so the generation ends before the record.
  JET_ERR EndInsideRecord(LogRecord* record, bool* end) {
    generation_ended_ = true;
    JET_ERR err = AdvanceGeneration(end);
    if (err < 0 || *end) return err;
    return ReadRecord(record, end);
  }

  // Data segments are 1 … csec_file_-2: the writer keeps the last slot for a shadow.
  std::uint16_t LastDataIsec() const { return static_cast<std::uint16_t>(csec_file_ < 2 ? 0 : csec_file_ - 2); }

  // Only called with segment isec_ loaded, so isec_ <= LastDataIsec().
  std::uint64_t BytesLeftInGeneration() const {
    JF_ASSERT_LE(isec_, LastDataIsec());
    JF_ASSERT_LE(ib_, kLogSegmentSize);
    return (kLogSegmentSize - ib_) + (std::uint64_t{LastDataIsec()} - isec_) * format::kLogSegmentDataSize;
  }

  // Skips the unused end of the current segment; kEnd when the generation has no more records.
  JET_ERR PositionAtRecordStart(Step* step) {
    for (;;) {
      if (generation_ended_) {
        *step = Step::kEnd;
        return JET_errSuccess;
      }
      if (JET_ERR err = LoadSegment(step); err < 0 || *step == Step::kEnd) return err;
      if (ib_ < segment_end_) {
        // A record starts inside the loaded segment's record area.
        JF_ASSERT_EQ(loaded_isec_, isec_);
        JF_ASSERT_GE(ib_, kFirstDataIb);
        return JET_errSuccess;
      }
      ++isec_;
      ib_ = kFirstDataIb;
    }
  }

  // Copies dst.size() stream bytes from the current position. kEnd when the valid
  // segments end first (torn tail). A record may continue only past a full segment.
  JET_ERR ReadBytes(std::span<std::uint8_t> dst, Step* step) {
    while (!dst.empty()) {
      if (JET_ERR err = LoadSegment(step); err < 0 || *step == Step::kEnd) return err;
      if (ib_ >= segment_end_) {
        if (segment_end_ != kLogSegmentSize) {
          return Corrupt(
              fmt::format("record runs past the sealed end of segment {} of generation {}", isec_, generation()));
        }
        ++isec_;
        ib_ = kFirstDataIb;
        continue;
      }
      const std::size_t n = std::min<std::size_t>(dst.size(), segment_end_ - ib_);
      JF_ASSERT_GT(n, 0u);  // ib_ < segment_end_: every pass makes progress
      std::copy_n(segment_.data() + ib_, n, dst.data());
      ib_ = static_cast<std::uint16_t>(ib_ + n);
      JF_ASSERT_LE(ib_, segment_end_);  // never past the loaded segment's sealed end
      dst = dst.subspan(n);
    }
    *step = Step::kOk;
    return JET_errSuccess;
  }

  // Makes segment isec_ the loaded one. kEnd after the last data slot, at a shadow
  // (the last thing its flush wrote) or at an invalid segment that the torn-tail rule
  // accepts as a torn tail. An invalid segment whose shadow follows is read from it.
  JET_ERR LoadSegment(Step* step) {
    *step = Step::kOk;
    if (loaded_isec_ == isec_) return JET_errSuccess;
    if (isec_ > LastDataIsec()) return EndGeneration(step);
    SegmentKind kind;
    format::LogSegmentHeader header;
    if (JET_ERR err = ReadSegment(isec_, segment_, &kind, &header); err < 0) return err;
    if (kind == SegmentKind::kInvalid) {
      // Slot isec_+1 exists: isec_ <= LastDataIsec() < csec_file_-1.
      if (JET_ERR err = ReadSegment(static_cast<std::uint16_t>(isec_ + 1), segment_, &kind, &header); err < 0) {
        return err;
      }
      if (kind != SegmentKind::kShadow) {
        if (JET_ERR err = CheckTornTail(isec_); err < 0) return err;
        return EndGeneration(step);
      }
      // segment_ holds the shadow of isec_: the same header fields and record bytes.
    } else if (kind == SegmentKind::kShadow) {
      // The end of what the last flush wrote. Later slots can only hold pieces of a
      // flush that never completed, unless one proves isec_ durable (then the shadow
      // should have been overwritten by data).
      if (JET_ERR err = CheckTornTail(isec_); err < 0) return err;
      return EndGeneration(step);
    }
    loaded_isec_ = isec_;
    segment_end_ = header.ib_end;
    // VerifyLogSegment accepted the header: its end lies inside the segment's record area.
    JF_ASSERT_GE(segment_end_, kFirstDataIb);
    JF_ASSERT_LE(segment_end_, kLogSegmentSize);
    return JET_errSuccess;
  }

  JET_ERR EndGeneration(Step* step) {
    generation_ended_ = true;
    *step = Step::kEnd;
    return JET_errSuccess;
  }

  // Reads slot isec: kData for a valid data segment of that place, kShadow for a
  // valid shadow of isec-1, else kInvalid (torn, zero, corrupt, misplaced, short).
  JET_ERR ReadSegment(std::uint16_t isec, std::span<std::uint8_t, kLogSegmentSize> dst, SegmentKind* kind,
                      format::LogSegmentHeader* header) {
    // Only slots of the open generation's file (LoadSegment checked isec against it).
    JF_ASSERT(file_ != nullptr);
    JF_ASSERT_LT(isec, csec_file_);
    std::size_t got = 0;
    if (auto s = file_->Read(std::uint64_t{isec} * kLogSectorSize, dst, &got); !s.ok()) {
      SetLastErrorDetail(fmt::format("read {}: {}", generations_[index_].path, s.ToString()));
      return IoError(s, FileKind::kLog);
    }
    *kind = SegmentKind::kInvalid;
    if (got == dst.size() && format::VerifyLogSegment(dst, generation(), isec, header) >= 0) {
      *kind = header->is_shadow() ? SegmentKind::kShadow : SegmentKind::kData;
    }
    return JET_errSuccess;
  }

  // The generation ends at slot bad_isec (invalid, or a shadow): corruption if a later
  // valid segment (or shadow) of this file was written when a position past bad_isec
  // was already durable.
  JET_ERR CheckTornTail(std::uint16_t bad_isec) {
    JF_ASSERT_GE(bad_isec, 1);  // sector 0 is the file header, never a segment
    JF_ASSERT_LT(bad_isec, csec_file_);
    const Lgpos past_bad{0, static_cast<std::uint16_t>(bad_isec + 1), generation()};
    std::array<std::uint8_t, kLogSegmentSize> later{};
    // bad_isec itself may hold a write misdirected onto it: an intact segment (or
    // shadow) of another slot of this file. Its lgposDurable is the word of the flush
    // that wrote it; past bad_isec, bad_isec was durable and is gone. (A torn or garbled
    // write of bad_isec's own fails that verification, and was written before bad_isec
    // was durable.)
    {
      SegmentKind kind;
      format::LogSegmentHeader found;
      if (JET_ERR err = ReadSegment(bad_isec, later, &kind, &found); err < 0) return err;
      if (kind == SegmentKind::kInvalid && format::VerifyLogSegmentAnySlot(later, generation(), &found) >= 0 &&
          found.lgpos_durable >= past_bad) {
        return Corrupt(
            fmt::format("{}: segment {} holds segment {}'s image (a misdirected write) that says it was durable",
                        generations_[index_].path, bad_isec, found.slot_isec()));
      }
    }
    for (std::uint32_t isec = bad_isec + 1u; isec < csec_file_; ++isec) {
      SegmentKind kind;
      format::LogSegmentHeader header;
      if (JET_ERR err = ReadSegment(static_cast<std::uint16_t>(isec), later, &kind, &header); err < 0) return err;
      if (kind != SegmentKind::kInvalid && header.lgpos_durable >= past_bad) {
        return Corrupt(fmt::format("{}: segment {} is damaged but segment {} says it was durable",
                                   generations_[index_].path, bad_isec, isec));
      }
      // A damaged sector can still carry the writer's header: typically the shadow of
      // bad_isec itself, written only after bad_isec was synced, with damage (or a torn
      // rewrite) elsewhere in it. Its claim is trusted only for this generation.
      const Lgpos claimed = format::UnverifiedLogSegmentDurable(later);
      if (kind == SegmentKind::kInvalid && claimed.generation == generation() && claimed >= past_bad) {
        return Corrupt(fmt::format("{}: segment {} is damaged and damaged segment {} says it was durable",
                                   generations_[index_].path, bad_isec, isec));
      }
    }
    return JET_errSuccess;
  }

  faultfs::Vfs& vfs_;
  const std::vector<GenerationInfo> owned_;            // Open: the reader's own copy
  const std::span<const GenerationInfo> generations_;  // owned_, or the caller's (OpenBorrowed)
  std::size_t index_ = 0;
  std::unique_ptr<faultfs::File> file_;
  std::uint16_t csec_file_ = 0;
  std::uint16_t isec_ = 1;
  std::uint16_t ib_ = kFirstDataIb;
  std::uint16_t loaded_isec_ = 0;  // 0: none (sector 0 is the header)
  std::uint16_t segment_end_ = 0;
  bool generation_ended_ = false;
  std::array<std::uint8_t, kLogSegmentSize> segment_{};
  Lgpos valid_end_;
  JET_ERR error_ = JET_errSuccess;
};

}  // namespace

namespace {

template <typename Generations>
JET_ERR OpenReader(faultfs::Vfs& vfs, Generations&& generations, Lgpos start, std::unique_ptr<LogReader>* out) {
  if (out == nullptr) return JET_errInvalidParameter;
  if (!faultfs::AllocationAllowed("log-reader")) return JET_errOutOfMemory;
  try {
    auto reader = std::make_unique<LogReaderImpl>(vfs, std::forward<Generations>(generations));
    if (JET_ERR err = reader->Start(start); err < 0) return err;
    *out = std::move(reader);
    return JET_errSuccess;
  } catch (const std::bad_alloc&) {
    return JET_errOutOfMemory;
  }
}

}  // namespace

JET_ERR LogReader::Open(faultfs::Vfs& vfs, std::vector<GenerationInfo> generations, Lgpos start,
                        std::unique_ptr<LogReader>* out) {
  return OpenReader(vfs, std::move(generations), start, out);
}

JET_ERR LogReader::OpenBorrowed(faultfs::Vfs& vfs, std::span<const GenerationInfo> generations, Lgpos start,
                                std::unique_ptr<LogReader>* out) {
  return OpenReader(vfs, generations, start, out);
}

}  // namespace jet::log

// log/log_writer.cc — LogWriter: buffers records into 4 KiB segments of the current
// generation, writes each segment exactly once, and rolls to a new generation file
// when the current one is full.
//
// Layout of the in-memory buffer: buffer_ holds the images of the segments from
// first_unwritten_isec_ on; the last one may be partial (ib_ is where the next byte
// goes). A flush writes every buffered segment, the partial one sealed, so the next
// record starts in a fresh segment and no data segment is ever written twice (rule 3).
//
// Shadow (ESE's shadow sector): once a sync has made the written segments durable,
// the flush writes a copy of its last segment k into slot k+1, flagged as a shadow,
// with lgposDurable = the new durable position, and syncs again. The next write starts
// at k+1 and overwrites it. Without it, at-rest damage to the last flush's segments
// (synced, acknowledged) would read as a torn tail, because nothing written after
// them proves them durable; the shadow both repairs damage to k and proves the rest.
// The last slot of the file is kept for the shadow of the one before it: data
// segments are 1 … csec-2.
#include <algorithm>
#include <array>
#include <mutex>
#include <new>

#include <fmt/format.h>

#include "base/io_error.h"
#include "faultfs/alloc_fault.h"
#include "format/log_header.h"
#include "format/log_segment.h"
#include "jetfault/assert.h"
#include "log/log.h"
#include "log/log_files.h"

namespace jet::log {

namespace {

using format::kLogSectorSize;
using format::kLogSegmentDataSize;
using format::kLogSegmentHeaderSize;
using format::kLogSegmentSize;

// Full segments kept in memory before they are written without waiting for a flush.
constexpr std::size_t kMaxBufferedFullSegments = 64;

JET_ERR ValidateConfig(const LogConfig& config) {
  if (config.vfs == nullptr || config.log_dir.empty() || config.base_name.empty()) return JET_errInvalidParameter;
  // Header, one data segment and the slot for its shadow.
  if (config.log_file_bytes % kLogSectorSize != 0 || config.log_file_bytes < 3 * kLogSectorSize ||
      config.log_file_bytes / kLogSectorSize > 0xFFFF) {
    return JET_errInvalidParameter;
  }
  if (!format::IsSupportedPageSize(config.page_size)) return JET_errInvalidParameter;
  return JET_errSuccess;
}

// tmCreate of generation `generation` in dir (edb.log or its archived name); zero when absent.
format::LogTime FindTmCreate(faultfs::Vfs& vfs, const LogConfig& config, std::int32_t generation) {
  if (generation <= 0) return {};
  for (const std::string& name : {ArchivedLogName(config.base_name, generation), CurrentLogName(config.base_name)}) {
    format::LogFileHeader header;
    if (ReadLogFileHeader(vfs, faultfs::JoinPath(config.log_dir, name), &header) >= 0 &&
        header.generation == generation) {
      return header.tm_create;
    }
  }
  return {};
}

class LogWriterImpl final : public LogWriter {
 public:
  LogWriterImpl(const LogConfig& config, const Signature& sign_log,
                std::function<std::vector<AttachInfo>()> attach_provider)
      : config_(config), sign_log_(sign_log), attach_provider_(std::move(attach_provider)) {}

  // Creates generation `generation` on storage and opens it.
  JET_ERR StartGeneration(std::int32_t generation, const format::LogTime& tm_prev_gen, Lgpos prev_generation_end) {
    format::LogFileHeader header;
    header.generation = generation;
    header.csec_file = static_cast<std::uint16_t>(config_.log_file_bytes / kLogSectorSize);
    header.page_size = config_.page_size;
    header.tm_create = format::LogTimeNow();
    header.tm_prev_gen = tm_prev_gen;
    header.sign_log = sign_log_;
    header.flags = config_.circular ? (format::kLogFlagCircularCurrent | format::kLogFlagCircularHistory) : 0;
    header.prev_generation_end = prev_generation_end;
    if (attach_provider_) header.attach = attach_provider_();
    if (JET_ERR err = InstallGeneration(*config_.vfs, config_.log_dir, config_.base_name, header); err < 0) {
      return err;
    }
    const std::string path = faultfs::JoinPath(config_.log_dir, CurrentLogName(config_.base_name));
    // kShareDelete: the next rollover renames the file while this handle is open.
    faultfs::OpenOptions options{faultfs::Access::kReadWrite, faultfs::kShareRead | faultfs::kShareDelete,
                                 faultfs::Disposition::kOpenExisting};
    if (auto s = config_.vfs->Open(path, options, &file_); !s.ok()) {
      SetLastErrorDetail(fmt::format("open {}: {}", path, s.ToString()));
      return IoError(s, FileKind::kLog);
    }
    generation_ = generation;
    tm_create_ = header.tm_create;
    csec_file_ = header.csec_file;
    first_unwritten_isec_ = 1;
    buffer_.clear();
    ib_ = kLogSegmentSize;
    last_record_end_ = format::FirstRecordLgpos(generation);
    durable_ = EndLocked();
    written_ = durable_;
    // ValidateConfig: a header, one data segment and its shadow slot.
    JF_ASSERT_GE(csec_file_, 3);
    JF_ASSERT_EQ(durable_, last_record_end_);
    return JET_errSuccess;
  }

  JET_ERR Append(std::uint8_t type, std::span<const std::uint8_t> payload, Lgpos* lgpos) override {
    std::vector<std::int32_t> archived;
    JET_ERR err;
    {
      std::lock_guard lock(mu_);
      err = AppendLocked(type, payload, lgpos, &archived);
    }
    return NotifyArchived(err, archived);
  }

  JET_ERR Flush(bool sync) override {
    std::lock_guard lock(mu_);
    return FlushLocked(sync);
  }

  JET_ERR FlushTo(Lgpos lgpos) override {
    std::lock_guard lock(mu_);
    if (lgpos < durable_) return JET_errSuccess;
    JET_ERR err = FlushLocked(true);
    // A successful synced flush leaves nothing buffered and everything written durable.
    if (err >= 0) JF_ASSERT_EQ(durable_, EndLocked());
    return err;
  }

  JET_ERR Roll() override {
    std::vector<std::int32_t> archived;
    JET_ERR err;
    {
      std::lock_guard lock(mu_);
      err = RollLocked(&archived);
    }
    return NotifyArchived(err, archived);
  }

  void SetGenerationArchivedCallback(std::function<JET_ERR(std::int32_t)> callback) override {
    std::lock_guard lock(mu_);
    archived_callback_ = std::move(callback);
  }

  JET_ERR DeleteGenerationsBelow(std::int32_t generation) override {
    faultfs::Vfs& vfs = *config_.vfs;
    std::vector<std::string> names;
    if (auto s = vfs.ListDir(config_.log_dir, &names); !s.ok()) return IoError(s, FileKind::kLog);
    bool deleted = false;
    for (const std::string& name : names) {
      std::int32_t g = 0;
      if (!ParseArchivedLogName(config_.base_name, name, &g) || g >= generation) continue;
      auto s = vfs.Delete(faultfs::JoinPath(config_.log_dir, name));
      // A generation a backup is still copying stays until a later call.
      if (s.code() == faultfs::ErrorCode::kSharingViolation || s.code() == faultfs::ErrorCode::kNotFound) continue;
      if (!s.ok()) {
        SetLastErrorDetail(fmt::format("delete {}: {}", name, s.ToString()));
        return IoError(s, FileKind::kLog);
      }
      deleted = true;
    }
    if (deleted) {
      if (auto s = vfs.SyncDir(config_.log_dir); !s.ok()) return IoError(s, FileKind::kLog);
    }
    return JET_errSuccess;
  }

  Lgpos end() const override {
    std::lock_guard lock(mu_);
    return EndLocked();
  }
  Lgpos durable() const override {
    std::lock_guard lock(mu_);
    return durable_;
  }
  std::int32_t generation() const override {
    std::lock_guard lock(mu_);
    return generation_;
  }
  const Signature& sign_log() const override { return sign_log_; }

 private:
  std::uint16_t LastBufferedIsec() const {
    JF_ASSERT(!buffer_.empty());
    return static_cast<std::uint16_t>(first_unwritten_isec_ + buffer_.size() / kLogSegmentSize - 1);
  }

  // The buffer holds whole segment images; ib_ points into the last one (or past it).
  void AssertBufferShape() const {
    JF_ASSERT_EQ(buffer_.size() % kLogSegmentSize, 0u);
    JF_ASSERT_LE(ib_, kLogSegmentSize);
    if (!buffer_.empty()) JF_ASSERT_GE(ib_, kLogSegmentHeaderSize);
    JF_ASSERT_GE(first_unwritten_isec_, 1);
    JF_ASSERT_LE(written_, EndLocked());
    JF_ASSERT_LE(durable_, written_);
  }

  Lgpos EndLocked() const {
    if (buffer_.empty() || ib_ == kLogSegmentSize) {
      const auto isec = static_cast<std::uint16_t>(first_unwritten_isec_ + buffer_.size() / kLogSegmentSize);
      return Lgpos{static_cast<std::uint16_t>(kLogSegmentHeaderSize), isec, generation_};
    }
    return Lgpos{static_cast<std::uint16_t>(ib_), LastBufferedIsec(), generation_};
  }

  // Data segments are 1 … LastDataIsec(); the file's last slot only ever holds a shadow.
  std::uint16_t LastDataIsec() const { return static_cast<std::uint16_t>(csec_file_ - 2u); }

  // Record bytes that still fit in the current generation from the end position.
  std::size_t RemainingCapacity() const {
    const Lgpos end = EndLocked();
    if (end.isec > LastDataIsec()) return 0;
    return (kLogSegmentSize - end.ib) + (std::size_t{LastDataIsec()} - end.isec) * kLogSegmentDataSize;
  }

  std::size_t GenerationCapacity() const { return std::size_t{LastDataIsec()} * kLogSegmentDataSize; }

  JET_ERR AppendLocked(std::uint8_t type, std::span<const std::uint8_t> payload, Lgpos* lgpos,
                       std::vector<std::int32_t>* archived) {
    if (error_ < 0) return error_;
    const std::size_t size = format::kLogRecordHeaderSize + payload.size();
    if (size > GenerationCapacity() || payload.size() > 0xFFFFFFFFu) return JET_errRecordTooBig;
    if (size > RemainingCapacity()) {
      if (JET_ERR err = RollLocked(archived); err < 0) return err;
      // A fresh generation holds GenerationCapacity() bytes, checked above.
      JF_ASSERT_LE(size, RemainingCapacity());
    }
    // Reserve every segment the record touches up front, so a refused allocation
    // leaves the buffer as it was.
    const std::size_t free_in_last = buffer_.empty() ? 0 : kLogSegmentSize - ib_;
    const std::size_t new_segments = size <= free_in_last
                                         ? 0
                                         : (size - free_in_last + kLogSegmentDataSize - 1) / kLogSegmentDataSize;
    if (new_segments > 0) {
      if (!faultfs::AllocationAllowed("log-buffer")) return JET_errOutOfMemory;
      try {
        buffer_.reserve(buffer_.size() + new_segments * kLogSegmentSize);
      } catch (const std::bad_alloc&) {
        return JET_errOutOfMemory;
      }
    }
    const Lgpos position = EndLocked();
    std::array<std::uint8_t, format::kLogRecordHeaderSize> header{};
    format::EncodeLogRecordHeader(type, payload, header);
    CopyIntoSegments(header);
    CopyIntoSegments(payload);
    last_record_end_ = Lgpos{static_cast<std::uint16_t>(ib_), LastBufferedIsec(), generation_};
    // The record lies after everything written and inside the data segments of this
    // generation (never in the last slot, which only holds a shadow).
    JF_ASSERT_LE(written_, position);
    JF_ASSERT_LT(position, last_record_end_);
    JF_ASSERT_LE(LastBufferedIsec(), LastDataIsec());
    AssertBufferShape();
    if (lgpos != nullptr) *lgpos = position;
    if (buffer_.size() / kLogSegmentSize > kMaxBufferedFullSegments) return WriteFullSegmentsLocked();
    return JET_errSuccess;
  }

  // Appends bytes to the record stream (capacity already reserved and checked).
  void CopyIntoSegments(std::span<const std::uint8_t> bytes) {
    while (!bytes.empty()) {
      if (buffer_.empty() || ib_ == kLogSegmentSize) {
        buffer_.resize(buffer_.size() + kLogSegmentSize, 0);
        ib_ = kLogSegmentHeaderSize;
      }
      JF_ASSERT_LT(ib_, kLogSegmentSize);
      const std::size_t n = std::min(bytes.size(), kLogSegmentSize - ib_);
      std::copy_n(bytes.data(), n, buffer_.data() + (buffer_.size() - kLogSegmentSize) + ib_);
      ib_ += n;
      JF_ASSERT_LE(ib_, kLogSegmentSize);  // the copy stays inside the last segment
      bytes = bytes.subspan(n);
    }
    JF_ASSERT_EQ(buffer_.size() % kLogSegmentSize, 0u);  // whole segment images only
  }

  // Seals and writes the first `count` buffered segments (the last of them may be
  // partial only when it is the last buffered one), then drops them from the buffer.
  JET_ERR WriteSegmentsLocked(std::size_t count) {
    if (count == 0) return JET_errSuccess;
    const std::size_t total = buffer_.size() / kLogSegmentSize;
    JF_ASSERT_LE(count, total);
    JF_ASSERT_LE(first_unwritten_isec_ + count - 1, std::size_t{LastDataIsec()});
    const format::LogTime now = format::LogTimeNow();
    for (std::size_t i = 0; i < count; ++i) {
      format::LogSegmentHeader h;
      const auto isec = static_cast<std::uint16_t>(first_unwritten_isec_ + i);
      h.lgpos_segment = Lgpos{0, isec, generation_};
      h.logtime = now;
      h.lgpos_durable = durable_;
      h.ib_end = static_cast<std::uint16_t>(i + 1 == total ? ib_ : kLogSegmentSize);
      std::span<std::uint8_t> segment(buffer_.data() + i * kLogSegmentSize, kLogSegmentSize);
      if (JET_ERR err = format::SealLogSegment(h, segment); err < 0) return Fail(err);
      last_header_ = h;
    }
    // Kept for the shadow the next sync writes.
    std::copy_n(buffer_.data() + (count - 1) * kLogSegmentSize, kLogSegmentSize, last_segment_.begin());
    std::span<const std::uint8_t> bytes(buffer_.data(), count * kLogSegmentSize);
    if (auto s = file_->Write(std::uint64_t{first_unwritten_isec_} * kLogSectorSize, bytes); !s.ok()) {
      SetLastErrorDetail(fmt::format("write log generation {}: {}", generation_, s.ToString()));
      return Fail(IoError(s, FileKind::kLog));
    }
    first_unwritten_isec_ = static_cast<std::uint16_t>(first_unwritten_isec_ + count);
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(count * kLogSegmentSize));
    if (buffer_.empty()) ib_ = kLogSegmentSize;
    // Everything before the first unwritten segment is written. Only a flush that
    // wrote the whole buffer turns this into durable_, so a record spanning into a
    // still-buffered segment is never reported durable.
    written_ = Lgpos{static_cast<std::uint16_t>(kLogSegmentHeaderSize), first_unwritten_isec_, generation_};
    JF_ASSERT_EQ(last_header_.lgpos_segment.isec + 1, first_unwritten_isec_);
    AssertBufferShape();
    return JET_errSuccess;
  }

  // After a sync made every written segment durable: writes and syncs the shadow of
  // the last written segment into the slot after it (first_unwritten_isec_, which the
  // next write of data overwrites). Its lgposDurable is the new durable_, so it is also
  // the proof that the whole flush was synced: damage to any segment of the last flush
  // reads as corruption, never as a torn tail (rule 3).
  JET_ERR WriteShadowLocked() {
    // The shadow of segment k goes into slot k+1, which exists (the last slot is kept
    // for it) and which no flush has written data into yet.
    JF_ASSERT_EQ(last_header_.lgpos_segment.generation, generation_);
    JF_ASSERT_EQ(last_header_.lgpos_segment.isec + 1, first_unwritten_isec_);
    JF_ASSERT_LT(first_unwritten_isec_, csec_file_);
    JF_ASSERT_EQ(durable_, written_);
    format::LogSegmentHeader h = last_header_;
    h.flags = format::kLogSegmentFlagShadow;
    h.lgpos_durable = durable_;
    std::copy(last_segment_.begin(), last_segment_.end(), shadow_.begin());
    if (JET_ERR err = format::SealLogSegment(h, shadow_); err < 0) return Fail(err);
    if (auto s = file_->Write(std::uint64_t{first_unwritten_isec_} * kLogSectorSize, shadow_); !s.ok()) {
      SetLastErrorDetail(fmt::format("write log generation {} shadow: {}", generation_, s.ToString()));
      return Fail(IoError(s, FileKind::kLog));
    }
    return SyncLocked();
  }

  JET_ERR SyncLocked() {
    if (auto s = file_->Sync(); !s.ok()) {
      SetLastErrorDetail(fmt::format("sync log generation {}: {}", generation_, s.ToString()));
      return Fail(IoError(s, FileKind::kLog));
    }
    return JET_errSuccess;
  }

  JET_ERR WriteFullSegmentsLocked() {
    std::size_t full = buffer_.size() / kLogSegmentSize;
    if (ib_ != kLogSegmentSize) --full;  // the partial one stays open for more records
    return WriteSegmentsLocked(full);
  }

  JET_ERR FlushLocked(bool sync) {
    if (error_ < 0) return error_;
    if (JET_ERR err = WriteSegmentsLocked(buffer_.size() / kLogSegmentSize); err < 0) return err;
    JF_ASSERT(buffer_.empty());
    JF_ASSERT_LE(durable_, written_);
    if (sync && durable_ < written_) {
      if (JET_ERR err = SyncLocked(); err < 0) return err;
      durable_ = written_;
      // Only now: a shadow must never reach the medium before the data it vouches for.
      if (JET_ERR err = WriteShadowLocked(); err < 0) return err;
    }
    return JET_errSuccess;
  }

  JET_ERR RollLocked(std::vector<std::int32_t>* archived) {
    if (error_ < 0) return error_;
    if (JET_ERR err = FlushLocked(true); err < 0) return err;
    const std::int32_t old_generation = generation_;
    file_.reset();  // closed before its rename
    if (JET_ERR err = StartGeneration(old_generation + 1, tm_create_, last_record_end_); err < 0) return Fail(err);
    JF_ASSERT_EQ(generation_, old_generation + 1);
    archived->push_back(old_generation);
    return JET_errSuccess;
  }

  // After a failed write or sync nothing more may be appended: what reached storage
  // is unknown, and the next segment could not prove what is durable.
  JET_ERR Fail(JET_ERR err) {
    error_ = err;
    return err;
  }

  JET_ERR NotifyArchived(JET_ERR err, const std::vector<std::int32_t>& archived) {
    std::function<JET_ERR(std::int32_t)> callback;
    {
      std::lock_guard lock(mu_);
      callback = archived_callback_;
    }
    // Called without the lock: the callback moves the checkpoint, which flushes pages,
    // which calls FlushTo.
    for (std::int32_t generation : archived) {
      if (!callback) break;
      if (JET_ERR cb_err = callback(generation); cb_err < 0 && err >= 0) err = cb_err;
    }
    return err;
  }

  const LogConfig config_;
  const Signature sign_log_;
  const std::function<std::vector<AttachInfo>()> attach_provider_;

  mutable std::mutex mu_;
  std::function<JET_ERR(std::int32_t)> archived_callback_;
  std::unique_ptr<faultfs::File> file_;
  std::int32_t generation_ = 0;
  format::LogTime tm_create_;
  std::uint16_t csec_file_ = 0;
  std::uint16_t first_unwritten_isec_ = 1;
  // The last data segment written (sealed) and its header: the source of its shadow.
  std::array<std::uint8_t, kLogSegmentSize> last_segment_{};
  format::LogSegmentHeader last_header_;
  std::array<std::uint8_t, kLogSegmentSize> shadow_{};
  std::vector<std::uint8_t> buffer_;
  std::size_t ib_ = kLogSegmentSize;  // next byte in the last buffered segment
  Lgpos last_record_end_;
  Lgpos written_;  // everything before it has been written (not necessarily synced)
  Lgpos durable_;
  JET_ERR error_ = JET_errSuccess;
};

}  // namespace

JET_ERR LogWriter::Create(const LogConfig& config, const Signature& sign_log, std::int32_t generation,
                          Lgpos prev_generation_end, std::function<std::vector<AttachInfo>()> attach_provider,
                          std::unique_ptr<LogWriter>* out, const GenerationInfo* previous) {
  if (out == nullptr || generation <= 0) return JET_errInvalidParameter;
  if (JET_ERR err = ValidateConfig(config); err < 0) return err;
  if (!faultfs::AllocationAllowed("log-writer")) return JET_errOutOfMemory;
  try {
    auto writer = std::make_unique<LogWriterImpl>(config, sign_log, std::move(attach_provider));
    const format::LogTime tm_prev_gen = previous != nullptr ? previous->tm_create
                                                            : FindTmCreate(*config.vfs, config, generation - 1);
    if (JET_ERR err = writer->StartGeneration(generation, tm_prev_gen, prev_generation_end); err < 0) return err;
    // A new writer is in the asked generation with nothing pending beyond its end.
    JF_ASSERT_EQ(writer->generation(), generation);
    JF_ASSERT_LE(writer->durable(), writer->end());
    *out = std::move(writer);
    return JET_errSuccess;
  } catch (const std::bad_alloc&) {
    return JET_errOutOfMemory;
  }
}

}  // namespace jet::log

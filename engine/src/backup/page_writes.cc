#include "backup/page_writes.h"

#include <algorithm>

#include "format/db_header.h"
#include "jetfault/assert.h"

namespace jet::backup {

namespace {

// The data page stored at file page `index`, or 0 for the header pair.
std::uint32_t PgnoOfFilePage(std::uint64_t index) {
  if (index < format::DbFilePage(1)) return 0;
  const std::uint64_t pgno = index - format::DbFilePage(0);
  return static_cast<std::uint32_t>(std::min<std::uint64_t>(pgno, std::numeric_limits<std::uint32_t>::max()));
}

}  // namespace

void ChangedPages::MarkBytes(std::uint64_t offset, std::uint64_t length) {
  if (length == 0) return;
  const std::uint32_t first = std::max<std::uint32_t>(1, PgnoOfFilePage(offset / page_size_));
  const std::uint32_t last = std::min(PgnoOfFilePage((offset + length - 1) / page_size_), all_from_ - 1);
  if (all_from_ == 0 || first > last) return;
  while ((last >> shift_) / 64 >= max_words_) Coarsen();
  const std::size_t last_word = (last >> shift_) / 64;
  if (last_word >= bits_.size()) bits_.resize(last_word + 1, 0);
  for (std::uint32_t bit = first >> shift_; bit <= (last >> shift_); ++bit) {
    bits_[bit / 64] |= std::uint64_t{1} << (bit % 64);
  }
}

void ChangedPages::Coarsen() {
  std::vector<std::uint64_t> halved((bits_.size() + 1) / 2, 0);
  for (std::size_t bit = 0; bit < bits_.size() * 64; ++bit) {
    if ((bits_[bit / 64] >> (bit % 64)) & 1) halved[bit / 128] |= std::uint64_t{1} << ((bit / 2) % 64);
  }
  bits_ = std::move(halved);
  ++shift_;
}

void ChangedPages::MarkFrom(std::uint64_t offset) {
  all_from_ = std::min(all_from_, std::max<std::uint32_t>(1, PgnoOfFilePage(offset / page_size_)));
}

bool ChangedPages::Contains(std::uint32_t pgno) const {
  if (pgno >= all_from_) return true;
  const std::uint32_t bit = pgno >> shift_;
  const std::size_t word = bit / 64;
  return word < bits_.size() && (bits_[word] >> (bit % 64)) & 1;
}

class PageWriteRecorder::WatchedFile : public faultfs::ForwardingFile {
 public:
  WatchedFile(std::unique_ptr<faultfs::File> base, PageWriteRecorder& recorder, ChangedPages& changed)
      : ForwardingFile(std::move(base)), recorder_(recorder), changed_(changed) {}

  // Marked before the call: a failed or torn write may still have changed the bytes.
  faultfs::Status Write(std::uint64_t offset, std::span<const std::uint8_t> data) override {
    Mark([&] { changed_.MarkBytes(offset, data.size()); });
    return base().Write(offset, data);
  }
  faultfs::Status Append(std::span<const std::uint8_t> data) override {
    std::uint64_t size = 0;
    if (!base().Size(&size).ok()) size = 0;  // unknown end: everything may change
    Mark([&] { changed_.MarkFrom(size); });
    return base().Append(data);
  }
  faultfs::Status Truncate(std::uint64_t size) override {
    Mark([&] { changed_.MarkFrom(size); });
    return base().Truncate(size);
  }

 private:
  template <typename F>
  void Mark(F mark) {
    std::lock_guard lock(recorder_.mu_);
    mark();
  }

  PageWriteRecorder& recorder_;
  ChangedPages& changed_;
};

void PageWriteRecorder::Watch(const std::string& path) {
  std::lock_guard lock(mu_);
  changed_.emplace(path, ChangedPages(page_size_, max_bytes_));
}

const ChangedPages& PageWriteRecorder::Changed(const std::string& path) const {
  const auto it = changed_.find(path);
  JF_ASSERT(it != changed_.end());
  return it->second;
}

ChangedPages* PageWriteRecorder::Find(const std::string& path) {
  const auto it = changed_.find(path);
  return it == changed_.end() ? nullptr : &it->second;
}

faultfs::Status PageWriteRecorder::Open(const std::string& path, const faultfs::OpenOptions& options,
                                        std::unique_ptr<faultfs::File>* out) {
  ChangedPages* changed = nullptr;
  {
    std::lock_guard lock(mu_);
    changed = Find(path);
    // An open that may create or truncate the file: its old pages are gone.
    if (changed != nullptr && options.disposition != faultfs::Disposition::kOpenExisting) changed->MarkAll();
  }
  const faultfs::Status s = base().Open(path, options, out);
  if (!s.ok() || changed == nullptr || options.access == faultfs::Access::kRead) return s;
  *out = std::make_unique<WatchedFile>(std::move(*out), *this, *changed);
  return s;
}

faultfs::Status PageWriteRecorder::Delete(const std::string& path) {
  {
    std::lock_guard lock(mu_);
    if (ChangedPages* changed = Find(path)) changed->MarkAll();
  }
  return base().Delete(path);
}

faultfs::Status PageWriteRecorder::Rename(const std::string& from, const std::string& to) {
  {
    std::lock_guard lock(mu_);
    for (const std::string* path : {&from, &to}) {
      if (ChangedPages* changed = Find(*path)) changed->MarkAll();
    }
  }
  return base().Rename(from, to);
}

}  // namespace jet::backup

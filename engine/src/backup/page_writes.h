// backup/page_writes.h — which data pages of a database file changed while a Vfs was
// watched. JetRestoreInstance collects every page's links while it copies a database
// (backup/page_links.h); after recovery it re-reads only the pages that recovery (or
// the clean shutdown) changed, instead of the whole database.
//
// The watch is conservative: a page counts as changed when any byte of it was
// written; a truncation or append changes every page from there on; creating,
// replacing, renaming or deleting the file changes all of them. A page not marked is
// byte for byte what it was when the watch began (the watch sees every call made
// through it, and restore runs recovery on nothing else).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "faultfs/forwarding_vfs.h"

namespace jet::backup {

// Data page numbers of one database file (pgno p is stored at file page p + 1; the
// header pair at file pages 0 and 1 is not tracked: readers always re-read it).
// One bit per page written, in at most max_bytes (1 MiB unless given: the pages of
// 64 GiB of 8 KiB pages); beyond that each bit stands for 2, then 4, ... consecutive
// pages, so a page next to one that changed may count as changed too (read again for
// nothing), and no changed page is ever missed.
class ChangedPages {
 public:
  static constexpr std::size_t kDefaultMaxBytes = 1u << 20;
  explicit ChangedPages(std::uint32_t page_size, std::size_t max_bytes = kDefaultMaxBytes)
      : page_size_(page_size), max_words_(std::max<std::size_t>(1, max_bytes / sizeof(std::uint64_t))) {}

  // bytes [offset, offset + length) of the file were written
  void MarkBytes(std::uint64_t offset, std::uint64_t length);
  // every byte from offset on may have changed (truncate, append)
  void MarkFrom(std::uint64_t offset);
  void MarkAll() { all_from_ = 0; }
  bool Contains(std::uint32_t pgno) const;
  // Pages each bit stands for (1 until the bits outgrew max_bytes).
  std::uint64_t pages_per_bit() const { return std::uint64_t{1} << shift_; }

 private:
  // Halves the bits: bit b of the result is bits 2b and 2b + 1 of the old ones.
  void Coarsen();

  std::uint32_t page_size_;
  std::size_t max_words_;
  std::uint32_t shift_ = 0;                                             // bit b: pgnos b << shift_ ...
  std::vector<std::uint64_t> bits_;                                     // bit b: one of its pgnos written
  std::uint32_t all_from_ = std::numeric_limits<std::uint32_t>::max();  // every pgno >= this changed
};

// Forwards every call to base and records, for each watched path (compared as given),
// the pages that changed through it.
class PageWriteRecorder : public faultfs::ForwardingVfs {
 public:
  // max_bytes: ChangedPages's memory per watched path.
  PageWriteRecorder(faultfs::Vfs& base, std::uint32_t page_size, std::size_t max_bytes = ChangedPages::kDefaultMaxBytes)
      : ForwardingVfs(base), page_size_(page_size), max_bytes_(max_bytes) {}

  void Watch(const std::string& path);
  // The pages of a watched path changed so far.
  const ChangedPages& Changed(const std::string& path) const;

  faultfs::Status Open(const std::string& path, const faultfs::OpenOptions& options,
                       std::unique_ptr<faultfs::File>* out) override;
  faultfs::Status Delete(const std::string& path) override;
  faultfs::Status Rename(const std::string& from, const std::string& to) override;

 private:
  class WatchedFile;
  // The record of a watched path, or null.
  ChangedPages* Find(const std::string& path);

  const std::uint32_t page_size_;
  const std::size_t max_bytes_;
  std::mutex mu_;  // guards changed_'s contents (files may be written from several threads)
  std::map<std::string, ChangedPages> changed_;
};

}  // namespace jet::backup

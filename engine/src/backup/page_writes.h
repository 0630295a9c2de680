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
// One bit per page written, so the memory is bounded by the file's size / 8 pages.
class ChangedPages {
 public:
  explicit ChangedPages(std::uint32_t page_size) : page_size_(page_size) {}

  // bytes [offset, offset + length) of the file were written
  void MarkBytes(std::uint64_t offset, std::uint64_t length);
  // every byte from offset on may have changed (truncate, append)
  void MarkFrom(std::uint64_t offset);
  void MarkAll() { all_from_ = 0; }
  bool Contains(std::uint32_t pgno) const;

 private:
  std::uint32_t page_size_;
  std::vector<std::uint64_t> bits_;                                     // bit p: pgno p written
  std::uint32_t all_from_ = std::numeric_limits<std::uint32_t>::max();  // every pgno >= this changed
};

// Forwards every call to base and records, for each watched path (compared as given),
// the pages that changed through it.
class PageWriteRecorder : public faultfs::ForwardingVfs {
 public:
  PageWriteRecorder(faultfs::Vfs& base, std::uint32_t page_size) : ForwardingVfs(base), page_size_(page_size) {}

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
  std::mutex mu_;  // guards changed_'s contents (files may be written from several threads)
  std::map<std::string, ChangedPages> changed_;
};

}  // namespace jet::backup

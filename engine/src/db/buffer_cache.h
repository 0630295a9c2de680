// db/buffer_cache.h — the page cache of one database file.
//
// Frames hold unsealed page bytes. A dirty frame remembers the log position of its
// last change (last_lgpos); it is written only after the WAL callback made the log
// durable up to there (ARCHITECTURE rule 1). `imaged` says whether the page's full
// image has been logged since the last checkpoint flush: the first change after a
// checkpoint logs a full image, so a page torn by a crash mid-write is rebuilt by redo.
//
// Lost-flush detection (in memory, for the life of the cache): the dbtime of every page
// this cache wrote is remembered, and a page read back older than that is refused with
// JET_errReadLostFlushVerifyFailure. A device that acknowledged the write and dropped it
// (or stored it elsewhere) would otherwise hand back a stale page whose checksum is
// valid, and the engine would log changes computed from it. ESE keeps the same fact in
// its flush map; across a restart, redo's dbtime checks take over.
#pragma once

#include <cstdint>
#include <functional>
#include <span>
#include <unordered_map>
#include <vector>

#include "db/database_file.h"
#include "db/page_buffer.h"
#include "format/lgpos.h"
#include "jet/jet.h"

namespace jet::db {

// The dbtime each page had when a cache last wrote it (lost-flush detection, above),
// in a table of at most `slots` entries of 12 bytes (3 MiB by default), grown as pages
// are written: page p is remembered in slot p % slots. Exact for every page below
// `slots` (2 GiB of 8 KiB pages by default); above, pages `slots` apart share a slot
// and only the last written of them is remembered, so a lost flush of another may go
// unnoticed here (redo's dbtime checks still see it when a later change touches it).
// Never a false alarm: a page reads as unknown unless its own write is remembered.
class WrittenDbtimes {
 public:
  static constexpr std::uint32_t kDefaultSlots = 1u << 18;
  explicit WrittenDbtimes(std::uint32_t slots = kDefaultSlots) : slots_(slots) {}

  void Record(std::uint32_t pgno, std::uint64_t dbtime);
  // The dbtime pgno was last written with; 0 when not remembered.
  std::uint64_t Get(std::uint32_t pgno) const;
  std::size_t memory_bytes() const { return pgnos_.capacity() * 4 + dbtimes_.capacity() * 8; }

 private:
  std::uint32_t slots_;
  std::vector<std::uint32_t> pgnos_;    // by slot: the page whose write it remembers
  std::vector<std::uint64_t> dbtimes_;  // by slot: that write's dbtime
};

struct Frame {
  PageBuffer data;
  bool dirty = false;
  bool imaged = false;
  format::Lgpos last_lgpos;
};

class BufferCache {
 public:
  // Makes the log durable up to a position (LogWriter::FlushTo).
  using WalFlush = std::function<JET_ERR(format::Lgpos)>;

  // Unbounded until set_max_pages: its instance shares JET_paramCacheSizeMax among its
  // databases (core/lifecycle.h ShareCache) as soon as it is attached.
  explicit BufferCache(DatabaseFile& file) : file_(file) {}

  void set_wal_flush(WalFlush flush) { wal_flush_ = std::move(flush); }
  // A new limit (at least one page): the next Trim evicts down to it.
  void set_max_pages(std::uint32_t max_pages);
  std::uint32_t page_size() const { return file_.page_size(); }
  std::span<std::uint8_t> Bytes(Frame& f) const { return {f.data.get(), page_size()}; }

  // The verified page, loaded on a miss.
  JET_ERR Get(std::uint32_t pgno, Frame** out);
  // For redo: the page when it verifies; otherwise a zero-filled frame and
  // *verify_err says why it could not be used (JET_errPageNotInitialized when blank or
  // beyond the end of file). I/O errors fail the call.
  JET_ERR GetForRedo(std::uint32_t pgno, Frame** out, JET_ERR* verify_err);
  // A zero-filled frame for a page that is being allocated (nothing is read).
  JET_ERR Create(std::uint32_t pgno, Frame** out);
  Frame* Find(std::uint32_t pgno);
  void Discard(std::uint32_t pgno) { frames_.erase(pgno); }

  // Writes every dirty frame (write-ahead first), then syncs the file.
  JET_ERR FlushAndSync();
  // Forget which pages were imaged: called when a checkpoint has flushed everything.
  void ResetImaged();
  // Above the limit: evicts clean frames first, then dirty ones (written first), down
  // to 7/8 of the limit (so that a cache at its limit is not sorted after each change).
  JET_ERR Trim();
  std::size_t size() const { return frames_.size(); }

 private:
  JET_ERR Load(std::uint32_t pgno, Frame** out, JET_ERR* verify_err);
  JET_ERR WriteFrame(std::uint32_t pgno, Frame& frame);
  // JET_errReadLostFlushVerifyFailure when a verified page read from disk is older than
  // this cache's last write of it.
  JET_ERR CheckNotStale(std::uint32_t pgno, std::span<const std::uint8_t> page) const;

  DatabaseFile& file_;
  std::uint32_t max_pages_ = 0;  // 0: unbounded
  WalFlush wal_flush_;
  std::unordered_map<std::uint32_t, Frame> frames_;
  // The dbtime of each page as this cache last wrote it (bounded: WrittenDbtimes).
  WrittenDbtimes written_dbtime_;
};

}  // namespace jet::db

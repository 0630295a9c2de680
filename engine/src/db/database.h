// db/database.h — one attached database: its file, its page cache and the counters
// that must never repeat (dbtime, the page allocation high-water mark, objids).
//
// Pages are allocated from a high-water mark (pgno_last + 1) and never reused: freed
// space (deleted long values, emptied leaves) is not reclaimed. This keeps undo trivial
// (a before-image may reference long-value pages, which are immutable) and is
// documented in docs/formats/database.md.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "db/buffer_cache.h"
#include "db/database_file.h"
#include "format/db_header.h"

namespace jet::db {

inline constexpr std::uint32_t kCatalogPgno = 1;  // root of the catalog B+tree
inline constexpr std::uint32_t kCatalogObjid = 1;

class Database {
 public:
  // The page cache starts unbounded; the instance sets its share (ShareCache).
  Database(std::uint32_t dbid, std::unique_ptr<DatabaseFile> file);

  std::uint32_t dbid() const { return dbid_; }
  const std::string& path() const { return file_->path(); }
  std::uint32_t page_size() const { return file_->page_size(); }
  DatabaseFile& file() { return *file_; }
  BufferCache& cache() { return cache_; }

  // A verified page for reading (valid until the next cache operation).
  JET_ERR ReadPage(std::uint32_t pgno, std::span<const std::uint8_t>* page);

  std::uint64_t dbtime = 0;
  std::uint32_t pgno_last = 0;
  std::uint32_t objid_last = 0;

  // The header the next WriteHeader() writes: counters folded in.
  format::DbHeader header;
  JET_ERR WriteHeader();
  // Writes every dirty page (write-ahead), syncs, then writes the header.
  JET_ERR FlushAll();

  // Page-sized scratch buffers (a mini-transaction's before-copies), kept for reuse so
  // a warm change allocates none. Taking one still consults the allocation hook at
  // site "page-buffer", so fault injection sees the same sites as without reuse.
  JET_ERR TakeBuffer(PageBuffer* out);
  void ReturnBuffer(PageBuffer buffer);

 private:
  std::uint32_t dbid_;
  std::unique_ptr<DatabaseFile> file_;
  BufferCache cache_;
  static constexpr std::size_t kSpareBuffersMax = 16;
  std::vector<PageBuffer> spare_;
};

}  // namespace jet::db

// db/database_file.h — one database file on a Vfs: the shadowed header and page I/O
// with verification. Knows nothing of caching or logging.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "faultfs/vfs.h"
#include "format/db_header.h"
#include "jet/jet.h"

namespace jet::db {

// mkdir -p, then syncs every directory of the chain and its parent, so that the new
// directories survive a power failure (a directory entry is durable only after its
// parent is synced).
faultfs::Status MakeDirsDurable(faultfs::Vfs& vfs, const std::string& path);

class DatabaseFile {
 public:
  // Creates the file (JET_errDatabaseDuplicate if it exists and !overwrite), writes both
  // header copies, syncs the file and its directory.
  static JET_ERR Create(faultfs::Vfs& vfs, const std::string& path, const format::DbHeader& header, bool overwrite,
                        std::unique_ptr<DatabaseFile>* out);
  // Opens an existing file and reads its header (both copies, ESE's choice rule).
  // JET_errFileNotFound when absent; header errors as format::DecodeDbHeaderPair.
  static JET_ERR Open(faultfs::Vfs& vfs, const std::string& path, bool read_only, std::unique_ptr<DatabaseFile>* out);
  // Reads just the header of a file without keeping it open.
  static JET_ERR ReadHeader(faultfs::Vfs& vfs, const std::string& path, format::DbHeader* out);

  const std::string& path() const { return path_; }
  const format::DbHeader& header() const { return header_; }
  std::uint32_t page_size() const { return header_.page_size; }

  // Writes the primary copy, syncs, then the shadow, syncs: one copy is always whole.
  JET_ERR WriteHeader(const format::DbHeader& header);
  // Raw bytes of data page pgno; zeros and *beyond_eof = true past the end of file.
  JET_ERR ReadPage(std::uint32_t pgno, std::span<std::uint8_t> out, bool* beyond_eof);
  // ReadPage + format::VerifyPage (beyond EOF is JET_errPageNotInitialized).
  JET_ERR ReadVerifiedPage(std::uint32_t pgno, std::span<std::uint8_t> out);
  // Seals the page's checksum for pgno and writes it.
  JET_ERR WritePage(std::uint32_t pgno, std::span<std::uint8_t> page);
  JET_ERR Sync();
  // Number of data pages the file holds (from its size).
  JET_ERR DataPageCount(std::uint32_t* count);

 private:
  DatabaseFile(std::string path, std::unique_ptr<faultfs::File> file, const format::DbHeader& header);
  std::string path_;
  std::unique_ptr<faultfs::File> file_;
  format::DbHeader header_;
};

}  // namespace jet::db

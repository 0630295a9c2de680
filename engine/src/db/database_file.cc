#include "db/database_file.h"

#include <algorithm>
#include <vector>

#include "base/io_error.h"
#include "db/page_buffer.h"
#include "format/db_header.h"
#include "format/page.h"
#include "jetfault/assert.h"

namespace jet::db {
namespace {

using format::kMaxPageSize;

JET_ERR Io(const faultfs::Status& s) { return IoError(s, FileKind::kDatabase); }

JET_ERR ReadFully(faultfs::File& file, std::uint64_t offset, std::span<std::uint8_t> out, std::size_t* got) {
  faultfs::Status s = file.Read(offset, out, got);
  if (!s.ok()) return Io(s);
  std::fill(out.begin() + static_cast<std::ptrdiff_t>(*got), out.end(), std::uint8_t{0});
  return JET_errSuccess;
}

JET_ERR ReadHeaderPair(faultfs::File& file, format::DbHeader* out) {
  // Read the largest possible header page twice over; the page size comes from the copy.
  PageBuffer buffer;
  JET_ERR err = AllocatePageBuffer(2 * kMaxPageSize, "page-buffer", &buffer);
  if (err < 0) return err;
  std::span<std::uint8_t> bytes(buffer.get(), 2 * kMaxPageSize);
  std::size_t got = 0;
  if ((err = ReadFully(file, 0, bytes, &got)) < 0) return err;
  if (got < 4096) return got == 0 ? JET_errPageNotInitialized : JET_errInvalidDatabase;
  return format::DecodeDbFileHeader(bytes.first(got), out);
}

}  // namespace

faultfs::Status MakeDirsDurable(faultfs::Vfs& vfs, const std::string& path) {
  faultfs::Status s = faultfs::MakeDirs(vfs, path);
  if (!s.ok() && s.code() != faultfs::ErrorCode::kAlreadyExists) return s;
  std::string dir = path;
  for (int depth = 0; depth < 64; ++depth) {
    if ((s = vfs.SyncDir(dir)); !s.ok()) return s;
    std::string parent = faultfs::ParentPath(dir);
    if (parent == dir || parent.empty()) break;
    dir = parent;
  }
  return faultfs::Status::Ok();
}

DatabaseFile::DatabaseFile(std::string path, std::unique_ptr<faultfs::File> file, const format::DbHeader& header)
    : path_(std::move(path)), file_(std::move(file)), header_(header) {}

JET_ERR DatabaseFile::Create(faultfs::Vfs& vfs, const std::string& path, const format::DbHeader& header, bool overwrite,
                             std::unique_ptr<DatabaseFile>* out) {
  faultfs::OpenOptions options;
  options.access = faultfs::Access::kReadWrite;
  options.share = faultfs::kShareRead;
  options.disposition = overwrite ? faultfs::Disposition::kCreateAlways : faultfs::Disposition::kCreateNew;
  // The database's directory is created like ESE creates its log and system paths.
  faultfs::Status s = MakeDirsDurable(vfs, faultfs::ParentPath(path));
  if (!s.ok()) return Io(s);
  std::unique_ptr<faultfs::File> file;
  s = vfs.Open(path, options, &file);
  if (!s.ok()) return Io(s);
  std::unique_ptr<DatabaseFile> db(new (std::nothrow) DatabaseFile(path, std::move(file), header));
  if (!db) return JET_errOutOfMemory;
  JET_ERR err = db->WriteHeader(header);
  if (err < 0) return err;
  s = vfs.SyncDir(faultfs::ParentPath(path));
  if (!s.ok()) return Io(s);
  *out = std::move(db);
  return JET_errSuccess;
}

JET_ERR DatabaseFile::Open(faultfs::Vfs& vfs, const std::string& path, bool read_only,
                           std::unique_ptr<DatabaseFile>* out) {
  faultfs::OpenOptions options;
  options.access = read_only ? faultfs::Access::kRead : faultfs::Access::kReadWrite;
  options.share = faultfs::kShareRead;
  options.disposition = faultfs::Disposition::kOpenExisting;
  std::unique_ptr<faultfs::File> file;
  faultfs::Status s = vfs.Open(path, options, &file);
  if (!s.ok()) return Io(s);
  format::DbHeader header;
  JET_ERR err = ReadHeaderPair(*file, &header);
  if (err < 0) return err;
  // The decoder accepts only the supported page sizes, all within the bytes it read.
  JF_ASSERT(format::IsSupportedPageSize(header.page_size));
  JF_ASSERT_LE(header.page_size, kMaxPageSize);
  out->reset(new (std::nothrow) DatabaseFile(path, std::move(file), header));
  return *out ? JET_errSuccess : JET_errOutOfMemory;
}

JET_ERR DatabaseFile::ReadHeader(faultfs::Vfs& vfs, const std::string& path, format::DbHeader* out) {
  faultfs::OpenOptions options;
  options.access = faultfs::Access::kRead;
  options.share = faultfs::kShareAll;
  std::unique_ptr<faultfs::File> file;
  faultfs::Status s = vfs.Open(path, options, &file);
  if (!s.ok()) return Io(s);
  return ReadHeaderPair(*file, out);
}

JET_ERR DatabaseFile::WriteHeader(const format::DbHeader& header) {
  // A database keeps its page size: every page offset in the file depends on it.
  JF_ASSERT_EQ(header.page_size, header_.page_size);
  PageBuffer buffer;
  JET_ERR err = AllocatePageBuffer(header.page_size, "page-buffer", &buffer);
  if (err < 0) return err;
  std::span<std::uint8_t> page(buffer.get(), header.page_size);
  format::EncodeDbHeader(header, page);
  for (std::uint64_t offset : {std::uint64_t{0}, std::uint64_t{header.page_size}}) {
    faultfs::Status s = file_->Write(offset, page);
    if (s.ok()) s = file_->Sync();
    if (!s.ok()) return Io(s);
  }
  header_ = header;
  return JET_errSuccess;
}

JET_ERR DatabaseFile::ReadPage(std::uint32_t pgno, std::span<std::uint8_t> out, bool* beyond_eof) {
  JF_ASSERT_EQ(out.size(), page_size());
  std::size_t got = 0;
  JET_ERR err = ReadFully(*file_, format::DbPageOffset(pgno, page_size()), out, &got);
  *beyond_eof = got == 0;
  return err;
}

JET_ERR DatabaseFile::ReadVerifiedPage(std::uint32_t pgno, std::span<std::uint8_t> out) {
  bool beyond_eof = false;
  JET_ERR err = ReadPage(pgno, out, &beyond_eof);
  if (err < 0) return err;
  if (beyond_eof) return JET_errPageNotInitialized;
  return format::VerifyPage(out, pgno);
}

JET_ERR DatabaseFile::WritePage(std::uint32_t pgno, std::span<std::uint8_t> page) {
  JF_ASSERT_EQ(page.size(), page_size());  // one whole page: the checksum covers all of it
  format::SealPage(page, pgno);
  return Io(file_->Write(format::DbPageOffset(pgno, page_size()), page));
}

JET_ERR DatabaseFile::Sync() { return Io(file_->Sync()); }

JET_ERR DatabaseFile::DataPageCount(std::uint32_t* count) {
  std::uint64_t size = 0;
  faultfs::Status s = file_->Size(&size);
  if (!s.ok()) return Io(s);
  std::uint64_t pages = size / page_size();
  *count = pages > 2 ? static_cast<std::uint32_t>(pages - 2) : 0;
  return JET_errSuccess;
}

}  // namespace jet::db

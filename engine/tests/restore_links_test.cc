// Restore's link check after recovery (docs/RESTORE.md, "Databases, in one pass"): the
// copy records every page's links, recovery runs on a recorder of the pages it changes
// (backup/page_writes.h), and only those are read again. These tests show that the
// pages recovery writes are really checked, that links recovery changes are not taken
// from the stale copy, and what the recorder counts as changed.
#include <gtest/gtest.h>

#include <set>

#include "backup/backup_set.h"
#include "faultfs/forwarding_vfs.h"
#include "backup/page_links.h"
#include "backup/page_writes.h"
#include "backup_test_util.h"
#include "format/db_header.h"
#include "format/page.h"

namespace jet_test {
namespace {

namespace format = jet::format;

// Forwards to a MemFs; every whole-page write to `path` of a leaf page up to
// `pgno_last` with a next sibling gets its next link pointed at itself (checksum
// resealed): a recovery that wrote wrong links into a page the copy already had (so
// the copy's record of it is stale), which only a check of the pages recovery wrote
// can catch.
class LinkBreakingVfs : public faultfs::ForwardingVfs {
 public:
  LinkBreakingVfs(faultfs::Vfs& base, std::string path, std::uint32_t page_size, std::uint32_t pgno_last)
      : ForwardingVfs(base), path_(std::move(path)), page_size_(page_size), pgno_last_(pgno_last) {}

  faultfs::Status Open(const std::string& path, const faultfs::OpenOptions& options,
                       std::unique_ptr<faultfs::File>* out) override {
    faultfs::Status s = base().Open(path, options, out);
    if (s.ok() && path == path_) *out = std::make_unique<File>(std::move(*out), *this);
    return s;
  }
  const std::set<std::uint32_t>& broken() const { return broken_; }

 private:
  class File : public faultfs::ForwardingFile {
   public:
    File(std::unique_ptr<faultfs::File> base, LinkBreakingVfs& vfs) : ForwardingFile(std::move(base)), vfs_(vfs) {}
    faultfs::Status Write(std::uint64_t offset, std::span<const std::uint8_t> data) override {
      const std::uint32_t ps = vfs_.page_size_;
      if (data.size() != ps || offset % ps != 0 || offset / ps < 2) return base().Write(offset, data);
      const auto pgno = static_cast<std::uint32_t>(offset / ps - 1);
      std::vector<std::uint8_t> page(data.begin(), data.end());
      format::PageHeader header = format::LoadPageHeader(page);
      const bool leaf = (header.flags & format::kPageFlagLeaf) && !(header.flags & format::kPageFlagLongValue);
      if (pgno > vfs_.pgno_last_ || format::VerifyPage(page, pgno) != JET_errSuccess || !leaf ||
          header.pgno_next == 0 || header.pgno_prev == pgno) {
        return base().Write(offset, data);
      }
      header.pgno_next = pgno;
      format::StorePageHeader(page, header);
      format::SealPage(page, pgno);
      vfs_.broken_.insert(pgno);
      return base().Write(offset, page);
    }

   private:
    LinkBreakingVfs& vfs_;
  };

  const std::string path_;
  const std::uint32_t page_size_;
  const std::uint32_t pgno_last_;
  std::set<std::uint32_t> broken_;
};

class RestoreLinks : public BackupRestoreTest {
 protected:
  // 500 records, a full backup, then every seventh value shrunk in place (recovery
  // replays that from the log path and rewrites leaf pages without changing a link),
  // then a crash. The set's manifest goes to *manifest.
  void BackupThenShrinkValues(jet::format::BackupManifest* manifest) {
    ASSERT_JET(Start(true));
    ASSERT_NO_FATAL_FAILURE(Load(0, 500));
    ASSERT_JET(JetBackupInstance(inst_, "/backup", 0, nullptr));
    for (int i = 0; i < 500; i += 7) ASSERT_JET(Put("key" + std::to_string(i), "v"));
    Crash();
    ASSERT_JET(jet::backup::ReadManifest(fs_, "/backup", manifest));
  }
};

TEST_F(RestoreLinks, ABrokenLinkInAPageRecoveryWritesIsBadPageLink) {
  // After the backup, values shrink in place: recovery replays that from the log
  // path and rewrites leaf pages without changing any link, so the copy's record of
  // every page's links stays consistent, and only reading the written pages again
  // finds the broken one.
  jet::format::BackupManifest manifest;
  ASSERT_NO_FATAL_FAILURE(BackupThenShrinkValues(&manifest));
  LinkBreakingVfs breaking(fs_, kDbPath, config_.page_size, manifest.dbs.at(0).pgno_last);
  JET_INSTANCE inst = 0;
  ASSERT_JET(CreateConfigured(&breaking, &inst, config_.page_size, config_.log_kib, config_.circular));
  const JET_ERR err = JetRestoreInstance(inst, "/backup", nullptr, nullptr);
  const std::string detail = JetGetLastErrorDetail();
  JetTerm(inst);
  ASSERT_FALSE(breaking.broken().empty()) << "recovery wrote no leaf page with a next sibling: load more records";
  EXPECT_JET_ERR(JET_errBadPageLink, err);
  // The first broken link in page order: the broken page's own next link, or its
  // neighbour's link to it.
  EXPECT_NE(detail.find(" link to page "), std::string::npos) << detail;
}

TEST_F(RestoreLinks, ASpilledLinkTableFindsTheSameBrokenLinkWithTheSameDetail) {
  // The test above, restored twice from the same files: with the table in memory and
  // with JET_paramRestoreLinkMemoryMax = 1 (the table in test.edb.jetlinks).
  jet::format::BackupManifest manifest;
  ASSERT_NO_FATAL_FAILURE(BackupThenShrinkValues(&manifest));
  JET_ERR errs[2];
  std::string details[2];
  for (int spill = 0; spill < 2; ++spill) {
    auto fs = fs_.Clone();
    LinkBreakingVfs breaking(*fs, kDbPath, config_.page_size, manifest.dbs.at(0).pgno_last);
    JET_INSTANCE inst = 0;
    ASSERT_JET(CreateConfigured(&breaking, &inst, config_.page_size, config_.log_kib, config_.circular));
    if (spill) {
      ASSERT_JET(JetSetSystemParameter(&inst, JET_sesidNil, JET_paramRestoreLinkMemoryMax, 1, nullptr));
    }
    errs[spill] = JetRestoreInstance(inst, "/backup", nullptr, nullptr);
    details[spill] = JetGetLastErrorDetail();
    JetTerm(inst);
    bool exists = true;
    ASSERT_TRUE(fs->Exists("/data/test.edb.jetlinks", &exists).ok());
    EXPECT_FALSE(exists) << "the spill file is gone after a JET_errBadPageLink too";
  }
  EXPECT_JET_ERR(JET_errBadPageLink, errs[0]);
  EXPECT_EQ(errs[1], errs[0]);
  EXPECT_EQ(details[1], details[0]);
}

TEST_F(RestoreLinks, LinksRecoveryChangesAreReadAgainNotTakenFromTheCopy) {
  // The copy in the set has the tree of 100 keys; recovery splits it into the tree of
  // 500. Links taken from the copy would be broken (a page's old next no longer links
  // back); the restore must succeed, and the whole file pass the full check.
  ASSERT_NO_FATAL_FAILURE(BackupThenCrash(100, 400));
  JET_INSTANCE inst = 0;
  ASSERT_JET(NewInstance(&inst));
  ASSERT_JET(JetRestoreInstance(inst, "/backup", nullptr, nullptr));
  EXPECT_JET_ERR(JET_errSuccess, jet::backup::VerifyDatabaseLinks(fs_, kDbPath, config_.page_size));
  ExpectRestored(inst, kDbPath, model_);
}

// Page content is input, never an invariant (restore_fuzzer's findings): flag bits
// above the 16 the table keeps are dropped, not asserted on...
TEST(PageLinkTableInput, FlagBitsAboveSixteenAreDroppedNotAsserted) {
  jet::backup::PageLinkTable table;
  ASSERT_JET(table.Resize(2));
  format::PageHeader header;
  header.objid = 7;
  header.flags = 0x10000u | format::kPageFlagLeaf;
  ASSERT_JET(table.Set(1, header));
  jet::backup::PageLinkTable::Entry entry;
  ASSERT_JET(table.Get(1, &entry));
  EXPECT_EQ(entry.valid, 1);
  EXPECT_EQ(entry.flags, format::kPageFlagLeaf);
}

// ... and a header claiming more pages than the file holds is refused before the link
// table is sized by it (a checksummed header of 2.9 billion pages once asked for 46 GB).
TEST(PageLinkTableInput, AHeaderPastTheEndOfTheFileIsReadVerifyFailureWithoutTheTable) {
  faultfs::MemFs fs;
  constexpr std::uint32_t kPageSize = 4096;
  format::DbHeader header;
  header.page_size = kPageSize;
  header.pgno_last = 2'900'000'000u;
  header.dbstate = format::DbState::kCleanShutdown;
  std::vector<std::uint8_t> file(4 * std::size_t{kPageSize}, 0);
  format::EncodeDbHeader(header, std::span(file).first(kPageSize));
  format::EncodeDbHeader(header, std::span(file).subspan(kPageSize, kPageSize));
  ASSERT_TRUE(faultfs::WriteWholeFile(fs, "/db.edb", file).ok());
  jet::core::ResetProcessStateForTests();
  EXPECT_JET_ERR(JET_errReadVerifyFailure, jet::backup::VerifyDatabaseLinks(fs, "/db.edb", kPageSize));
  EXPECT_NE(jet::LastErrorDetail().find("beyond the end of the file"), std::string::npos) << jet::LastErrorDetail();
}

TEST(PageWriteRecorder, MarksThePagesWrittenTruncatedOrReplacedThroughIt) {
  constexpr std::uint32_t kPs = 4096;
  faultfs::MemFs fs;
  ASSERT_TRUE(fs.MakeDir("/d").ok());
  ASSERT_TRUE(faultfs::WriteWholeFile(fs, "/d/a.edb", std::vector<std::uint8_t>(20 * kPs, 1)).ok());
  ASSERT_TRUE(faultfs::WriteWholeFile(fs, "/d/b.edb", std::vector<std::uint8_t>(20 * kPs, 1)).ok());
  jet::backup::PageWriteRecorder recorder(fs, kPs);
  recorder.Watch("/d/a.edb");
  const auto& a = recorder.Changed("/d/a.edb");
  auto marked = [&] {
    std::vector<std::uint32_t> pgnos;
    for (std::uint32_t pgno = 0; pgno < 40; ++pgno) {
      if (a.Contains(pgno)) pgnos.push_back(pgno);
    }
    return pgnos;
  };
  std::unique_ptr<faultfs::File> file;
  const faultfs::OpenOptions rw{faultfs::Access::kReadWrite, faultfs::kShareAll, faultfs::Disposition::kOpenExisting};
  ASSERT_TRUE(recorder.Open("/d/a.edb", rw, &file).ok());
  const std::vector<std::uint8_t> bytes(kPs, 2);
  ASSERT_TRUE(file->Write(0, std::span(bytes).first(100)).ok());          // the header pair is not tracked
  ASSERT_TRUE(file->Write(2 * kPs, std::span(bytes).first(1)).ok());      // file page 2 = pgno 1
  ASSERT_TRUE(file->Write(6 * kPs - 1, std::span(bytes).first(2)).ok());  // the last byte of pgno 4, first of 5
  EXPECT_EQ(marked(), (std::vector<std::uint32_t>{1, 4, 5}));
  std::unique_ptr<faultfs::File> other;
  ASSERT_TRUE(recorder.Open("/d/b.edb", rw, &other).ok());
  ASSERT_TRUE(other->Write(8 * kPs, bytes).ok());
  ASSERT_TRUE(other->Truncate(kPs).ok());
  EXPECT_EQ(marked(), (std::vector<std::uint32_t>{1, 4, 5})) << "another file's writes";
  ASSERT_TRUE(file->Truncate(12 * kPs + 5).ok());  // pgno 11 and everything after
  std::vector<std::uint32_t> expected{1, 4, 5};
  for (std::uint32_t pgno = 11; pgno < 40; ++pgno) expected.push_back(pgno);
  EXPECT_EQ(marked(), expected);
  ASSERT_TRUE(recorder.Rename("/d/b.edb", "/d/a.edb").ok());
  EXPECT_TRUE(a.Contains(2)) << "a file renamed over it replaces every page";
}

TEST(PageWriteRecorder, AnOpenThatMayCreateOrTruncateMarksEveryPage) {
  faultfs::MemFs fs;
  ASSERT_TRUE(fs.MakeDir("/d").ok());
  ASSERT_TRUE(faultfs::WriteWholeFile(fs, "/d/a.edb", std::vector<std::uint8_t>(8192, 1)).ok());
  jet::backup::PageWriteRecorder recorder(fs, 4096);
  recorder.Watch("/d/a.edb");
  std::unique_ptr<faultfs::File> file;
  ASSERT_TRUE(
      recorder
          .Open("/d/a.edb", {faultfs::Access::kRead, faultfs::kShareAll, faultfs::Disposition::kOpenExisting}, &file)
          .ok());
  EXPECT_FALSE(recorder.Changed("/d/a.edb").Contains(1));
  file.reset();
  ASSERT_TRUE(recorder
                  .Open("/d/a.edb",
                        {faultfs::Access::kReadWrite, faultfs::kShareAll, faultfs::Disposition::kCreateAlways}, &file)
                  .ok());
  EXPECT_TRUE(recorder.Changed("/d/a.edb").Contains(1));
  EXPECT_TRUE(recorder.Changed("/d/a.edb").Contains(1000));
}

}  // namespace
}  // namespace jet_test

namespace jet_test {
namespace {

TEST_F(RestoreLinks, ARestoreWithATinyCacheWritesRedonePagesEarlyAndEndsTheSame) {
  // 16 pages of cache against a replay that touches many more: redo trims the cache
  // as it goes (pages written before the end of recovery), and the result is the same.
  ASSERT_NO_FATAL_FAILURE(BackupThenCrash(100, 400));
  JET_INSTANCE inst = 0;
  ASSERT_JET(NewInstance(&inst));
  ASSERT_JET(JetSetSystemParameter(&inst, JET_sesidNil, JET_paramCacheSizeMax, 16, nullptr));
  ASSERT_JET(JetRestoreInstance(inst, "/backup", nullptr, nullptr));
  EXPECT_JET_ERR(JET_errSuccess, jet::backup::VerifyDatabaseLinks(fs_, kDbPath, config_.page_size));
  ExpectRestored(inst, kDbPath, model_);
}

}  // namespace
}  // namespace jet_test

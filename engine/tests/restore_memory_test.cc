// A restore's memory does not grow with the set (docs/RESTORE.md, "Memory"): the page
// link table moves to a scratch file beyond its budget and answers exactly as in
// memory; the set of pages recovery changed coarsens instead of growing; the cache's
// record of the pages it wrote is a fixed table; the page cache has a bounded default.
#include <gtest/gtest.h>

#include <mutex>
#include <random>
#include <set>

#include "backup/backup_set.h"
#include "backup/page_links.h"
#include "backup/page_writes.h"
#include "backup_test_util.h"
#include "base/io_error.h"
#include "core/instance.h"
#include "core/instance_state.h"
#include "core/registry.h"
#include "core/test_reset.h"
#include "db/buffer_cache.h"
#include "faultfs/alloc_fault.h"
#include "faultfs/forwarding_vfs.h"
#include "format/page.h"

namespace jet_test {
namespace {

using jet::backup::BrokenLink;
using jet::backup::PageLinkTable;
namespace format = jet::format;

constexpr const char* kSpill = "/scratch/t.jetlinks";

bool Exists(faultfs::Vfs& fs, const std::string& path) {
  bool exists = false;
  EXPECT_TRUE(fs.Exists(path, &exists).ok());
  return exists;
}

format::PageHeader Header(std::uint32_t prev, std::uint32_t next, std::uint32_t objid, std::uint32_t flags) {
  format::PageHeader h;
  h.pgno_prev = prev;
  h.pgno_next = next;
  h.objid = objid;
  h.flags = flags;
  return h;
}

void ExpectSameEntry(const PageLinkTable::Entry& a, const PageLinkTable::Entry& b, std::uint32_t pgno) {
  EXPECT_EQ(a.valid, b.valid) << "page " << pgno;
  EXPECT_EQ(a.pgno_prev, b.pgno_prev) << "page " << pgno;
  EXPECT_EQ(a.pgno_next, b.pgno_next) << "page " << pgno;
  EXPECT_EQ(a.objid, b.objid) << "page " << pgno;
  EXPECT_EQ(a.flags, b.flags) << "page " << pgno;
  EXPECT_EQ(a.chained, b.chained) << "page " << pgno;
}

class PageLinkTableSpill : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(fs_.MakeDir("/scratch").ok()); }
  PageLinkTable Spilling(std::uint64_t memory_bytes) { return PageLinkTable({&fs_, kSpill, memory_bytes}); }
  faultfs::MemFs fs_;
};

TEST_F(PageLinkTableSpill, ATableWithinItsBudgetNeverTouchesTheFile) {
  PageLinkTable table = Spilling(16 * 1000);
  ASSERT_JET(table.Resize(999));  // 1,000 entries of 16 bytes: exactly the budget
  ASSERT_JET(table.Set(7, Header(0, 0, 3, format::kPageFlagLeaf)));
  EXPECT_FALSE(table.spilled());
  EXPECT_FALSE(Exists(fs_, kSpill));
  ASSERT_JET(table.Discard());
  EXPECT_FALSE(Exists(fs_, kSpill));
}

// Random Set / SetFree / MarkChained / Resize (growing and shrinking, from memory into
// the file) on a table with a tiny budget (two 4 KiB blocks: every few calls evict
// one) and on an in-memory mirror: every Get answers the same.
TEST_F(PageLinkTableSpill, ASpilledTableAnswersExactlyAsOneInMemory) {
  for (const std::uint64_t budget : {std::uint64_t{1}, std::uint64_t{40'000}, std::uint64_t{300'000}}) {
    SCOPED_TRACE("budget " + std::to_string(budget));
    std::mt19937 rng(static_cast<std::uint32_t>(budget));
    PageLinkTable spilled = Spilling(budget);
    PageLinkTable mirror;
    std::uint32_t last = 100;
    ASSERT_JET(spilled.Resize(last));
    ASSERT_JET(mirror.Resize(last));
    for (int step = 0; step < 40'000; ++step) {
      const std::uint32_t op = rng() % 100;
      const std::uint32_t pgno = 1 + rng() % last;
      if (op < 45) {
        const auto h = Header(rng() % (last + 10), rng() % (last + 10), rng() % 4, rng() % 0x100);
        ASSERT_JET(spilled.Set(pgno, h));
        ASSERT_JET(mirror.Set(pgno, h));
      } else if (op < 55) {
        ASSERT_JET(spilled.SetFree(pgno));
        ASSERT_JET(mirror.SetFree(pgno));
      } else if (op < 65) {
        bool a = false;
        bool b = false;
        ASSERT_JET(spilled.MarkChained(pgno, &a));
        ASSERT_JET(mirror.MarkChained(pgno, &b));
        EXPECT_EQ(a, b) << "page " << pgno;
      } else if (op < 66) {
        // Mostly growing (up to 20,000 pages: 320 KB of entries), sometimes shrinking.
        last = std::max<std::uint32_t>(1, std::min<std::uint32_t>(20'000, last + rng() % 3000 - 800));
        ASSERT_JET(spilled.Resize(last));
        ASSERT_JET(mirror.Resize(last));
      } else if (op < 67) {
        ASSERT_JET(spilled.ClearMarks());
        ASSERT_JET(mirror.ClearMarks());
      } else {
        const std::uint32_t any = rng() % (last + 5);  // also 0 and past the end
        PageLinkTable::Entry a;
        PageLinkTable::Entry b;
        ASSERT_JET(spilled.Get(any, &a));
        ASSERT_JET(mirror.Get(any, &b));
        ExpectSameEntry(a, b, any);
      }
    }
    EXPECT_EQ(spilled.pgno_last(), mirror.pgno_last());
    for (std::uint32_t pgno = 0; pgno <= last + 1; ++pgno) {
      PageLinkTable::Entry a;
      PageLinkTable::Entry b;
      ASSERT_JET(spilled.Get(pgno, &a));
      ASSERT_JET(mirror.Get(pgno, &b));
      ExpectSameEntry(a, b, pgno);
    }
    if (budget < 320'000) {
      EXPECT_TRUE(spilled.spilled());
    }
    EXPECT_EQ(spilled.spilled(), Exists(fs_, kSpill));
    ASSERT_JET(spilled.Discard());
    EXPECT_FALSE(Exists(fs_, kSpill)) << "Discard deletes the spill file";
  }
}

// A table of random trees (leaf chains, long-value chains, internal pages, free pages,
// with some links broken): the spilled table reports the same broken links, in the
// same order, as the table in memory; limit 1 gives the first of them.
TEST_F(PageLinkTableSpill, FindBrokenLinksReportsTheSameLinksFromTheFile) {
  constexpr std::uint32_t kPages = 6000;
  std::mt19937 rng(7);
  std::vector<format::PageHeader> pages(kPages + 1);
  std::vector<std::uint32_t> order(kPages);
  for (std::uint32_t i = 0; i < kPages; ++i) order[i] = i + 1;
  std::shuffle(order.begin(), order.end(), rng);
  // Chains of 1..40 pages in shuffled page order (so links jump across the table).
  for (std::size_t i = 0; i < order.size();) {
    const std::size_t n = std::min<std::size_t>(1 + rng() % 40, order.size() - i);
    const std::uint32_t objid = 1 + rng() % 50;
    const std::uint32_t kind = rng() % 4;  // 0, 1: leaf chain, 2: long value, 3: internal
    for (std::size_t k = 0; k < n; ++k) {
      format::PageHeader& h = pages[order[i + k]];
      h.objid = objid;
      if (kind == 3) {
        h.flags = format::kPageFlagParentOfLeaf;
        continue;
      }
      h.flags = kind == 2 ? format::kPageFlagLongValue : format::kPageFlagLeaf;
      if (kind != 2 && k > 0) h.pgno_prev = order[i + k - 1];
      if (k + 1 < n) h.pgno_next = order[i + k + 1];
    }
    i += n;
  }
  for (int damage = 0; damage < 60; ++damage) {
    format::PageHeader& h = pages[1 + rng() % kPages];
    (rng() % 2 ? h.pgno_next : h.pgno_prev) = rng() % (kPages + 20);
  }
  PageLinkTable spilled = Spilling(8192);
  PageLinkTable mirror;
  ASSERT_JET(spilled.Resize(kPages));
  ASSERT_JET(mirror.Resize(kPages));
  for (std::uint32_t pgno = 1; pgno <= kPages; ++pgno) {
    if (pgno % 97 == 0) continue;  // a free page
    ASSERT_JET(spilled.Set(pgno, pages[pgno]));
    ASSERT_JET(mirror.Set(pgno, pages[pgno]));
  }
  ASSERT_TRUE(spilled.spilled());
  std::vector<BrokenLink> from_file;
  std::vector<BrokenLink> from_memory;
  ASSERT_JET(jet::backup::FindBrokenLinks(spilled, &from_file));
  ASSERT_JET(jet::backup::FindBrokenLinks(mirror, &from_memory));
  ASSERT_GT(from_memory.size(), 20u);
  ASSERT_EQ(from_file.size(), from_memory.size());
  for (std::size_t i = 0; i < from_memory.size(); ++i) {
    EXPECT_EQ(from_file[i].pgno, from_memory[i].pgno);
    EXPECT_EQ(from_file[i].what, from_memory[i].what);
  }
  // Run again (marks from the first run cleared), and with a limit.
  std::vector<BrokenLink> again;
  ASSERT_JET(jet::backup::FindBrokenLinks(spilled, &again));
  EXPECT_EQ(again.size(), from_memory.size());
  std::vector<BrokenLink> first;
  ASSERT_JET(jet::backup::FindBrokenLinks(spilled, &first, 1));
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].what, from_memory[0].what);
  std::string detail;
  EXPECT_JET_ERR(JET_errBadPageLink, jet::backup::CheckPageLinks(spilled, &detail));
  EXPECT_EQ(detail, "page " + std::to_string(from_memory[0].pgno) + ": " + from_memory[0].what);
  ASSERT_JET(spilled.Discard());
}

// Fails every operation on files whose path ends in ".jetlinks" after `ok` of them.
class FailingSpillVfs : public faultfs::ForwardingVfs {
 public:
  FailingSpillVfs(faultfs::Vfs& base, int ok) : ForwardingVfs(base), ok_(ok) {}
  faultfs::Status Open(const std::string& path, const faultfs::OpenOptions& options,
                       std::unique_ptr<faultfs::File>* out) override {
    if (!IsSpill(path)) return base().Open(path, options, out);
    if (!Allow()) return faultfs::Status::Error(faultfs::ErrorCode::kIoError, "injected: open " + path);
    faultfs::Status s = base().Open(path, options, out);
    if (s.ok()) *out = std::make_unique<File>(std::move(*out), *this);
    return s;
  }
  int failures() const { return failures_; }

 private:
  static bool IsSpill(const std::string& path) { return path.ends_with(".jetlinks"); }
  bool Allow() {
    if (ok_-- > 0) return true;
    ++failures_;
    return false;
  }
  class File : public faultfs::ForwardingFile {
   public:
    File(std::unique_ptr<faultfs::File> base, FailingSpillVfs& vfs) : ForwardingFile(std::move(base)), vfs_(vfs) {}
    faultfs::Status Read(std::uint64_t offset, std::span<std::uint8_t> dst, std::size_t* got) override {
      return vfs_.Allow() ? base().Read(offset, dst, got)
                          : faultfs::Status::Error(faultfs::ErrorCode::kIoError, "injected: read");
    }
    faultfs::Status Write(std::uint64_t offset, std::span<const std::uint8_t> data) override {
      return vfs_.Allow() ? base().Write(offset, data)
                          : faultfs::Status::Error(faultfs::ErrorCode::kIoError, "injected: write");
    }
    faultfs::Status Truncate(std::uint64_t size) override {
      return vfs_.Allow() ? base().Truncate(size)
                          : faultfs::Status::Error(faultfs::ErrorCode::kIoError, "injected: truncate");
    }

   private:
    FailingSpillVfs& vfs_;
  };
  int ok_;
  int failures_ = 0;
};

TEST_F(PageLinkTableSpill, EveryFailureOfTheSpillFileIsReturnedWithItsPath) {
  // Fill and read back a table that evicts constantly; fail the k-th file operation.
  for (int k = 0; k < 40; ++k) {
    FailingSpillVfs failing(fs_, k);
    PageLinkTable table({&failing, kSpill, 1});
    JET_ERR err = table.Resize(3000);
    for (std::uint32_t pgno = 1; err >= 0 && pgno <= 3000; ++pgno) {
      err = table.Set(pgno, Header(pgno - 1, pgno + 1, 1, format::kPageFlagLeaf));
    }
    for (std::uint32_t pgno = 3000; err >= 0 && pgno >= 7; pgno -= 7) {
      PageLinkTable::Entry e;
      err = table.Get(pgno, &e);
      if (err >= 0) {
        EXPECT_EQ(e.pgno_prev, pgno - 1);
      }
    }
    if (failing.failures() == 0) {
      EXPECT_GE(err, 0) << "no failure injected at operation " << k;
      ASSERT_JET(table.Discard());
      continue;
    }
    EXPECT_EQ(err, JET_errDiskIO) << "failing operation " << k;
    EXPECT_NE(jet::LastErrorDetail().find(kSpill), std::string::npos) << jet::LastErrorDetail();
    ASSERT_JET(table.Discard());
    EXPECT_FALSE(Exists(fs_, kSpill)) << "failing operation " << k;
  }
}

TEST_F(PageLinkTableSpill, NoMemoryForTheCacheIsOutOfMemory) {
  PageLinkTable table = Spilling(1);
  {
    faultfs::AllocFaultInjector no_cache("restore-link-cache", 0, true);
    EXPECT_JET_ERR(JET_errOutOfMemory, table.Resize(2000));
  }
  ASSERT_JET(table.Discard());
  EXPECT_FALSE(Exists(fs_, kSpill));
}

TEST(ChangedPagesBound, BitsCoarsenInsteadOfGrowingAndNoChangedPageIsMissed) {
  constexpr std::uint32_t kPs = 4096;
  jet::backup::ChangedPages changed(kPs, 16);  // 128 bits
  std::mt19937 rng(3);
  std::set<std::uint32_t> marked;
  for (int i = 0; i < 200; ++i) {
    const std::uint32_t pgno = 1 + rng() % 5000;
    marked.insert(pgno);
    changed.MarkBytes(format::DbPageOffset(pgno, kPs) + rng() % kPs, 1);
  }
  EXPECT_GE(changed.pages_per_bit(), 64u) << "5,000 pages in 128 bits";
  for (const std::uint32_t pgno : marked) EXPECT_TRUE(changed.Contains(pgno)) << pgno;
  // Only pages sharing a bit with a marked page count as changed.
  for (std::uint32_t pgno = 1; pgno <= 6000; ++pgno) {
    if (!changed.Contains(pgno)) continue;
    const std::uint64_t bit = pgno / changed.pages_per_bit();
    const auto near = marked.lower_bound(static_cast<std::uint32_t>(bit * changed.pages_per_bit()));
    ASSERT_TRUE(near != marked.end() && *near / changed.pages_per_bit() == bit) << pgno;
  }
  // Within the budget, the bits are exact (one page each).
  jet::backup::ChangedPages exact(kPs);
  exact.MarkBytes(format::DbPageOffset(12345, kPs), kPs);
  EXPECT_EQ(exact.pages_per_bit(), 1u);
  EXPECT_TRUE(exact.Contains(12345));
  EXPECT_FALSE(exact.Contains(12344));
  EXPECT_FALSE(exact.Contains(12346));
}

TEST(WrittenDbtimesBound, ExactBelowItsSlotsBoundedAboveNeverAFalseAlarm) {
  jet::db::WrittenDbtimes written(1000);
  for (std::uint32_t pgno = 1; pgno < 1000; ++pgno) written.Record(pgno, 10 + pgno);
  for (std::uint32_t pgno = 1; pgno < 1000; ++pgno) EXPECT_EQ(written.Get(pgno), 10 + pgno);
  EXPECT_EQ(written.Get(1500), 0u) << "never written";
  written.Record(1007, 5000);  // shares slot 7 with page 7
  EXPECT_EQ(written.Get(1007), 5000u);
  EXPECT_EQ(written.Get(7), 0u) << "forgotten, not confused with page 1007's write";
  for (std::uint32_t pgno = 1; pgno < 1'000'000; pgno += 3) written.Record(pgno, pgno);
  EXPECT_LE(written.memory_bytes(), 2 * 1000 * 12u) << "a fixed table, not one entry per page";
}

// ---- JetRestoreInstance ------------------------------------------------------------------

// Counts opens of the link tables' spill files.
class SpillWatchVfs : public faultfs::ForwardingVfs {
 public:
  using ForwardingVfs::ForwardingVfs;
  faultfs::Status Open(const std::string& path, const faultfs::OpenOptions& options,
                       std::unique_ptr<faultfs::File>* out) override {
    if (path.ends_with(".jetlinks")) ++opens_;
    return base().Open(path, options, out);
  }
  int opens() const { return opens_; }

 private:
  int opens_ = 0;
};

class RestoreMemory : public BackupRestoreTest {
 protected:
  void SetUp() override {
    BackupRestoreTest::SetUp();
    config_.page_size = 4096;
  }
  // A restore on `vfs` (default fs_) with JET_paramRestoreLinkMemoryMax = link_memory
  // (0: the default).
  JET_ERR Restore(std::uint64_t link_memory, const char* dest, faultfs::Vfs* vfs = nullptr,
                  std::string* detail = nullptr) {
    JET_INSTANCE inst = 0;
    JET_ERR err = CreateConfigured(vfs != nullptr ? vfs : &fs_, &inst, config_.page_size, config_.log_kib,
                                   config_.circular);
    if (err >= 0 && link_memory != 0) {
      err = JetSetSystemParameter(&inst, JET_sesidNil, JET_paramRestoreLinkMemoryMax, link_memory, nullptr);
    }
    if (err >= 0) err = JetRestoreInstance(inst, "/backup", dest, nullptr);
    if (detail != nullptr) *detail = JetGetLastErrorDetail();
    JetTerm(inst);
    return err;
  }
  std::vector<std::string> Scratch(const std::string& dir) {
    std::vector<std::string> names;
    EXPECT_TRUE(fs_.ListDir(dir, &names).ok()) << dir;
    std::vector<std::string> scratch;
    for (const std::string& name : names) {
      if (name.ends_with(".jetlinks") || name.ends_with(".jetrestore")) scratch.push_back(name);
    }
    return scratch;
  }
};

TEST_F(RestoreMemory, ASetWhoseLinkTableOutgrowsItsMemoryRestoresTheSameFromTheSpillFile) {
  // Long values of 3 pages each (chains, the chained mark) and their leaves: ~1,500
  // pages, so the table (24 KB) evicts blocks of its two-block cache while it is filled
  // and checked; values rewritten after the backup make recovery write pages.
  ASSERT_JET(Start(true));
  ASSERT_NO_FATAL_FAILURE(Load(0, 500, 9000));
  ASSERT_JET(JetBackupInstance(inst_, "/backup", 0, nullptr));
  ASSERT_NO_FATAL_FAILURE(Load(0, 150, 5000));
  Crash();
  jet::format::BackupManifest m;
  ASSERT_JET(jet::backup::ReadManifest(fs_, "/backup", &m));
  ASSERT_GT(m.dbs.at(0).pgno_last, 1200u);

  SpillWatchVfs watch(fs_);
  std::string detail;
  ASSERT_EQ(Restore(1, "/restored", &watch, &detail), JET_errSuccess) << detail;
  EXPECT_GT(watch.opens(), 0) << "the table went to /restored/test.edb.jetlinks";
  EXPECT_TRUE(Scratch("/restored").empty()) << "spill file deleted";
  JET_INSTANCE inst = 0;
  ASSERT_JET(NewInstance(&inst));
  ExpectRestored(inst, "/restored/test.edb", model_);
  EXPECT_JET_ERR(JET_errSuccess, jet::backup::VerifyDatabaseLinks(fs_, "/restored/test.edb", config_.page_size));
}

TEST_F(RestoreMemory, ARefusedSetLeavesNoSpillFileAndNothingChanged) {
  ASSERT_JET(Start(true));
  ASSERT_NO_FATAL_FAILURE(Load(0, 500, 9000));
  ASSERT_JET(JetBackupInstance(inst_, "/backup", 0, nullptr));
  Crash();
  jet::format::BackupManifest m;
  ASSERT_JET(jet::backup::ReadManifest(fs_, "/backup", &m));
  // The last data page: the spill file exists (and has evicted blocks) when it is found.
  std::uint8_t b = 0x5a;
  ASSERT_TRUE(fs_.CorruptStored("/backup/test.edb", (std::uint64_t{m.dbs[0].pgno_last} + 1) * config_.page_size + 100,
                                std::span(&b, 1))
                  .ok());
  std::vector<std::uint8_t> before;
  ASSERT_TRUE(faultfs::ReadWholeFile(fs_, kDbPath, &before).ok());
  SpillWatchVfs watch(fs_);
  EXPECT_JET_ERR(JET_errReadVerifyFailure, Restore(1, nullptr, &watch));
  EXPECT_GT(watch.opens(), 0);
  EXPECT_TRUE(Scratch("/data").empty());
  std::vector<std::uint8_t> after;
  ASSERT_TRUE(faultfs::ReadWholeFile(fs_, kDbPath, &after).ok());
  EXPECT_EQ(after, before);
}

TEST_F(RestoreMemory, AStaleSpillFileFromACrashIsReplacedAndRemoved) {
  ASSERT_NO_FATAL_FAILURE(BackupThenCrash(200, 50));
  ASSERT_TRUE(faultfs::WriteWholeFile(fs_, "/data/test.edb.jetlinks", std::vector<std::uint8_t>(70'000, 0xff)).ok());
  ASSERT_JET(Restore(1, nullptr));
  EXPECT_TRUE(Scratch("/data").empty());
  JET_INSTANCE inst = 0;
  ASSERT_JET(NewInstance(&inst));
  ExpectRestored(inst, kDbPath, model_);
}

TEST_F(RestoreMemory, ASpillFileNameThatIsAnotherTargetIsInvalidPath) {
  ASSERT_NO_FATAL_FAILURE(BackupThenCrash(20, 0));
  ASSERT_NO_FATAL_FAILURE(AddSetFileNamedAfterTheFirst(".jetlinks"));
  std::string detail;
  EXPECT_JET_ERR(JET_errInvalidPath, Restore(0, "/restored", nullptr, &detail));
  EXPECT_NE(detail.find(".jetlinks"), std::string::npos) << detail;
}

TEST_F(RestoreMemory, ADatabaseTheLogNamesAtASpillFilePathIsInvalidPath) {
  // Created after the backup, so only redo names it: into the destination it would be
  // /restored/test.edb.jetlinks, the spill file's name (open during recovery).
  ASSERT_JET(Start(true));
  ASSERT_NO_FATAL_FAILURE(Load(0, 20));
  ASSERT_JET(JetBackupInstance(inst_, "/backup", 0, nullptr));
  JET_DBID other = 0;
  ASSERT_JET(JetCreateDatabase(ses_, "/data/test.edb.jetlinks", nullptr, &other, 0));
  Crash();
  std::string detail;
  EXPECT_JET_ERR(JET_errInvalidPath, Restore(0, "/restored", nullptr, &detail));
  EXPECT_NE(detail.find("test.edb.jetlinks"), std::string::npos) << detail;
}

TEST_F(RestoreMemory, TheDefaultsAreBoundedAndReadable) {
  for (const std::uint32_t page_size : {4096u, 8192u, 32768u}) {
    jet::core::ResetProcessStateForTests();
    JET_INSTANCE inst = 0;
    ASSERT_JET(CreateConfigured(&fs_, &inst, page_size, config_.log_kib, config_.circular));
    JET_API_PTR value = 0;
    ASSERT_JET(JetGetSystemParameter(inst, JET_sesidNil, JET_paramCacheSizeMax, &value, nullptr, 0));
    EXPECT_EQ(value, (32u << 20) / page_size) << "32 MiB of pages unless set";
    ASSERT_JET(JetSetSystemParameter(&inst, JET_sesidNil, JET_paramCacheSizeMax, 100, nullptr));
    ASSERT_JET(JetGetSystemParameter(inst, JET_sesidNil, JET_paramCacheSizeMax, &value, nullptr, 0));
    EXPECT_EQ(value, 100u);
    ASSERT_JET(JetSetSystemParameter(&inst, JET_sesidNil, JET_paramCacheSizeMax, 0, nullptr));
    ASSERT_JET(JetGetSystemParameter(inst, JET_sesidNil, JET_paramCacheSizeMax, &value, nullptr, 0));
    EXPECT_EQ(value, (32u << 20) / page_size) << "0 puts the default back";
    ASSERT_JET(JetGetSystemParameter(inst, JET_sesidNil, JET_paramRestoreLinkMemoryMax, &value, nullptr, 0));
    EXPECT_EQ(value, 8u << 20);
    JetTerm(inst);
  }
}

// JET_paramCacheSizeMax bounds the instance's cache, not each database's: after every
// call, the pages cached for all attached databases together stay within it.
TEST_F(RestoreMemory, AttachedDatabasesShareTheCacheLimit) {
  constexpr unsigned long kLimit = 12;
  ASSERT_JET(NewInstance(&inst_));
  ASSERT_JET(JetSetSystemParameter(&inst_, JET_sesidNil, JET_paramCacheSizeMax, kLimit, nullptr));
  ASSERT_JET(InitAndOpenTable(&inst_, &ses_, &dbid_, &tab_, true));
  JET_DBID second_db = 0;
  JET_TABLEID second = 0;
  ASSERT_JET(JetCreateDatabase(ses_, "/data/second.edb", nullptr, &second_db, 0));
  ASSERT_JET(JetCreateTable(ses_, second_db, "t", 0, 0, &second));
  jet::core::InstanceRuntime* rt = nullptr;
  ASSERT_JET(jet::core::InstanceRuntime::ResolveRunningInstance(inst_, &rt));
  std::size_t most = 0;
  for (int i = 0; i < 400; ++i) {
    const std::string key = "key" + std::to_string(i), value(600, static_cast<char>('a' + i % 26));
    ASSERT_JET(JetInsertRecord(ses_, i % 2 == 0 ? tab_ : second, key.data(), key.size(), value.data(), value.size()));
    std::size_t cached = 0;
    {
      std::lock_guard lock(rt->mutex());
      for (auto& [dbid, adb] : rt->state().dbs) cached += adb.db->cache().size();
    }
    EXPECT_LE(cached, kLimit) << "after insert " << i;
    most = std::max(most, cached);
  }
  EXPECT_GE(most, kLimit / 2) << "the databases never filled their shares: the test proves nothing";
  ASSERT_JET(JetTerm(inst_));
}

// What the status callback below saw of the restoring instance's caches while redo ran
// with one database left (the other's detach replayed).
struct AloneCache {
  JET_INSTANCE inst = 0;
  int observations = 0;
  std::size_t most = 0;
};
AloneCache* g_alone = nullptr;

JET_ERR WatchAloneCache(JET_SESID, JET_SNP, JET_SNT snt, void*) {
  if (snt != JET_sntProgress || g_alone == nullptr) return JET_errSuccess;
  jet::core::InstanceRuntime* rt = nullptr;
  if (jet::core::ResolveInstance(g_alone->inst, &rt) < 0) return JET_errSuccess;
  // The restore holds the instance exclusively; the callback runs between redo steps.
  const auto& dbs = rt->state().dbs;
  if (dbs.size() == 1) {
    ++g_alone->observations;
    g_alone->most = std::max(g_alone->most, dbs.begin()->second.db->cache().size());
  }
  return JET_errSuccess;
}

// Redo of a detach gives the remaining databases the detached one's share, as a live
// detach does: after the second database's detach is replayed, the first one's redo
// (of ~55 pages of rows) may fill the whole limit, not half of it.
TEST_F(RestoreMemory, RedoOfADetachGivesItsCacheShareBack) {
  constexpr unsigned long kLimit = 12;
  ASSERT_JET(Start(true));
  JET_DBID second_db = 0;
  JET_TABLEID second = 0;
  ASSERT_JET(JetCreateDatabase(ses_, "/data/second.edb", nullptr, &second_db, 0));
  ASSERT_JET(JetCreateTable(ses_, second_db, "t", 0, 0, &second));
  ASSERT_JET(JetInsertRecord(ses_, second, "k", 1, "v", 1));
  ASSERT_NO_FATAL_FAILURE(Load(0, 20));
  ASSERT_JET(JetBackupInstance(inst_, "/backup", 0, nullptr));
  ASSERT_JET(JetCloseTable(ses_, second));
  ASSERT_JET(JetDetachDatabase(ses_, "/data/second.edb"));
  ASSERT_NO_FATAL_FAILURE(Load(20, 300, 600));
  Crash();

  AloneCache alone;
  ASSERT_JET(CreateConfigured(&fs_, &alone.inst, config_.page_size, config_.log_kib, config_.circular));
  ASSERT_JET(JetSetSystemParameter(&alone.inst, JET_sesidNil, JET_paramCacheSizeMax, kLimit, nullptr));
  g_alone = &alone;
  const JET_ERR err = JetRestoreInstance(alone.inst, "/backup", "/restored", WatchAloneCache);
  g_alone = nullptr;
  JetTerm(alone.inst);
  ASSERT_JET(err);
  ASSERT_GT(alone.observations, 0) << "no progress reported after the detach: the test proves nothing";
  EXPECT_LE(alone.most, kLimit);
  EXPECT_GT(alone.most, kLimit / 2) << "the remaining database kept half the limit after the detach's redo";
}

}  // namespace
}  // namespace jet_test

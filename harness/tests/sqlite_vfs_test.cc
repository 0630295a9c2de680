// The SQLite VFS over faultfs: each honesty property SQLite relies on, checked on the
// io methods directly or through a connection (harness/sqlite/vfs.h).
#include <gtest/gtest.h>

#include <cstring>

#include "faultfs/fault_fs.h"
#include "faultfs/mem_fs.h"
#include "harness/engine/sim.h"
#include "harness/sqlite/engine.h"
#include "harness/sqlite/vfs.h"

namespace jetharness::sqlite {
namespace {

// A MemFs with a durable /db, a FaultFs over it (with `plan`), a FaultVfs over that.
class VfsTest : public ::testing::Test {
 protected:
  void SetUp() override { Start(faultfs::FaultPlan{}); }
  void Start(faultfs::FaultPlan plan) {
    vfs_.reset();
    fault_.reset();
    disk_ = std::make_unique<faultfs::MemFs>();
    ASSERT_TRUE(disk_->MakeDir("/db").ok());
    ASSERT_TRUE(disk_->SyncDir("/").ok());
    fault_ = std::make_unique<faultfs::FaultFs>(disk_.get(), std::move(plan));
    vfs_ = std::make_unique<FaultVfs>(fault_.get(), VfsOptions{7, 512});
  }
  void TearDown() override {
    for (auto& f : files_) {
      if (f->pMethods != nullptr) f->pMethods->xClose(f);
      std::free(f);
    }
    files_.clear();
    vfs_.reset();
  }
  sqlite3_file* Open(const char* name, int flags, int* rc) {
    auto* f = static_cast<sqlite3_file*>(std::calloc(1, static_cast<std::size_t>(vfs_->vfs()->szOsFile)));
    files_.push_back(f);
    *rc = vfs_->vfs()->xOpen(vfs_->vfs(), name, f, flags, nullptr);
    return f;
  }
  sqlite3_file* OpenOk(const char* name, int flags) {
    int rc = 0;
    sqlite3_file* f = Open(name, flags, &rc);
    EXPECT_EQ(rc, SQLITE_OK) << name;
    return f;
  }
  static int Write(sqlite3_file* f, const std::string& bytes, sqlite3_int64 offset) {
    return f->pMethods->xWrite(f, bytes.data(), static_cast<int>(bytes.size()), offset);
  }
  bool ExistsAfterPowerLoss(const std::string& path) {
    bool exists = false;
    EXPECT_TRUE(disk_->CrashImage(faultfs::CrashPolicy::DropAll())->Exists(path, &exists).ok());
    return exists;
  }
  std::size_t CountOps(faultfs::OpKind kind) const {
    std::size_t n = 0;
    for (const faultfs::TraceEvent& e : fault_->trace()) n += e.op == kind ? 1 : 0;
    return n;
  }

  static constexpr int kRw = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  std::unique_ptr<faultfs::MemFs> disk_;
  std::unique_ptr<faultfs::FaultFs> fault_;
  std::unique_ptr<FaultVfs> vfs_;
  std::vector<sqlite3_file*> files_;
};

TEST_F(VfsTest, ShortReadIsZeroFilledAndSaysSo) {
  sqlite3_file* f = OpenOk("/db/a.db", kRw | SQLITE_OPEN_MAIN_DB);
  ASSERT_EQ(Write(f, "0123456789", 0), SQLITE_OK);
  char buf[20];
  std::memset(buf, 0xAA, sizeof buf);
  EXPECT_EQ(f->pMethods->xRead(f, buf, 20, 0), SQLITE_IOERR_SHORT_READ);
  EXPECT_EQ(std::string(buf, 10), "0123456789");
  for (int i = 10; i < 20; ++i) EXPECT_EQ(buf[i], 0) << i;
  std::memset(buf, 0xAA, sizeof buf);
  EXPECT_EQ(f->pMethods->xRead(f, buf, 8, 100), SQLITE_IOERR_SHORT_READ);  // wholly past the end
  for (int i = 0; i < 8; ++i) EXPECT_EQ(buf[i], 0) << i;
  EXPECT_EQ(f->pMethods->xRead(f, buf, 10, 0), SQLITE_OK);
}

TEST_F(VfsTest, FileControlAnswersNotFound) {
  sqlite3_file* f = OpenOk("/db/a.db", kRw | SQLITE_OPEN_MAIN_DB);
  for (int op : {SQLITE_FCNTL_PRAGMA, SQLITE_FCNTL_SYNC, SQLITE_FCNTL_COMMIT_PHASETWO, SQLITE_FCNTL_SIZE_HINT, 1234}) {
    EXPECT_EQ(f->pMethods->xFileControl(f, op, nullptr), SQLITE_NOTFOUND) << op;
  }
}

TEST_F(VfsTest, DeviceClaimsNothingAndSectorIsTheTearUnit) {
  sqlite3_file* f = OpenOk("/db/a.db", kRw | SQLITE_OPEN_MAIN_DB);
  EXPECT_EQ(f->pMethods->xDeviceCharacteristics(f), 0);
  // The torn survivor image of every crash scenario tears at this unit.
  for (const SurvivorPolicy& p : SurvivorPolicies(1)) {
    EXPECT_EQ(static_cast<std::uint32_t>(f->pMethods->xSectorSize(f)), p.policy.atomic_unit) << p.name;
  }
}

TEST_F(VfsTest, FirstSyncOfANewJournalSyncsItsDirectory) {
  for (int type : {SQLITE_OPEN_MAIN_JOURNAL, SQLITE_OPEN_WAL}) {
    const std::string path = type == SQLITE_OPEN_WAL ? "/db/a.db-wal" : "/db/a.db-journal";
    sqlite3_file* f = OpenOk(path.c_str(), kRw | type);
    ASSERT_EQ(Write(f, "journal", 0), SQLITE_OK);
    EXPECT_FALSE(ExistsAfterPowerLoss(path));
    ASSERT_EQ(f->pMethods->xSync(f, SQLITE_SYNC_NORMAL), SQLITE_OK);
    EXPECT_TRUE(ExistsAfterPowerLoss(path)) << path;
  }
  // Only the first sync of each: two directory syncs in all, however often they sync.
  EXPECT_EQ(files_[0]->pMethods->xSync(files_[0], SQLITE_SYNC_NORMAL), SQLITE_OK);
  EXPECT_EQ(CountOps(faultfs::OpKind::kSyncDir), 2u);
  // A database file is not a journal: the unix VFS does not sync its directory either.
  sqlite3_file* db = OpenOk("/db/b.db", kRw | SQLITE_OPEN_MAIN_DB);
  ASSERT_EQ(db->pMethods->xSync(db, SQLITE_SYNC_NORMAL), SQLITE_OK);
  EXPECT_FALSE(ExistsAfterPowerLoss("/db/b.db"));
}

TEST_F(VfsTest, DeleteHonoursSyncDir) {
  for (const char* path : {"/db/x", "/db/y"}) {
    sqlite3_file* f = OpenOk(path, kRw | SQLITE_OPEN_MAIN_DB);
    ASSERT_EQ(f->pMethods->xClose(f), SQLITE_OK);
  }
  ASSERT_TRUE(disk_->SyncDir("/db").ok());
  sqlite3_vfs* v = vfs_->vfs();
  ASSERT_EQ(v->xDelete(v, "/db/x", 0), SQLITE_OK);
  EXPECT_TRUE(ExistsAfterPowerLoss("/db/x"));  // not durable: the unlink may be lost
  ASSERT_EQ(v->xDelete(v, "/db/y", 1), SQLITE_OK);
  EXPECT_FALSE(ExistsAfterPowerLoss("/db/y"));
  EXPECT_EQ(v->xDelete(v, "/db/y", 0), SQLITE_IOERR_DELETE_NOENT);
}

TEST_F(VfsTest, AccessSeesTheLiveNamespace) {
  sqlite3_vfs* v = vfs_->vfs();
  int exists = -1;
  ASSERT_EQ(v->xAccess(v, "/db/a.db-journal", SQLITE_ACCESS_EXISTS, &exists), SQLITE_OK);
  EXPECT_EQ(exists, 0);
  OpenOk("/db/a.db-journal", kRw | SQLITE_OPEN_MAIN_JOURNAL);  // created, not durable
  ASSERT_EQ(v->xAccess(v, "/db/a.db-journal", SQLITE_ACCESS_EXISTS, &exists), SQLITE_OK);
  EXPECT_EQ(exists, 1);
}

TEST_F(VfsTest, FailuresMapAsTheUnixVfsMapsThem) {
  faultfs::FaultPlan plan;
  faultfs::FaultRule eio;
  eio.ops.Add(faultfs::OpKind::kWrite);
  eio.nth = 0;
  plan.rules.push_back(eio);
  faultfs::FaultRule enospc = eio;
  enospc.nth = 1;
  enospc.error = faultfs::ErrorCode::kDiskFull;
  plan.rules.push_back(enospc);
  faultfs::FaultRule sync_eio;
  sync_eio.ops.Add(faultfs::OpKind::kSync);
  plan.rules.push_back(sync_eio);
  Start(plan);
  sqlite3_file* f = OpenOk("/db/a.db", kRw | SQLITE_OPEN_MAIN_DB);
  EXPECT_EQ(Write(f, "x", 0), SQLITE_IOERR_WRITE);
  EXPECT_EQ(Write(f, "x", 0), SQLITE_FULL);
  EXPECT_EQ(Write(f, "x", 0), SQLITE_OK);
  EXPECT_EQ(f->pMethods->xSync(f, SQLITE_SYNC_NORMAL), SQLITE_IOERR_FSYNC);
  int rc = 0;
  Open("/db/missing", SQLITE_OPEN_READWRITE | SQLITE_OPEN_MAIN_DB, &rc);
  EXPECT_EQ(rc, SQLITE_CANTOPEN);
  EXPECT_EQ(files_.back()->pMethods, nullptr);  // xClose is not called after a failed open
}

TEST(FaultVfsRegistration, EachInstanceHasItsOwnNameUntilDestroyed) {
  faultfs::MemFs disk;
  auto a = std::make_unique<FaultVfs>(&disk, VfsOptions{});
  auto b = std::make_unique<FaultVfs>(&disk, VfsOptions{});
  const std::string name_a = a->name();
  EXPECT_NE(name_a, std::string(b->name()));
  EXPECT_EQ(sqlite3_vfs_find(a->name()), a->vfs());
  EXPECT_EQ(sqlite3_vfs_find(b->name()), b->vfs());
  a.reset();
  EXPECT_EQ(sqlite3_vfs_find(name_a.c_str()), nullptr);
}

// Through a connection: the PRAGMAs reach SQLite (a VFS answering SQLITE_OK to
// SQLITE_FCNTL_PRAGMA would leave synchronous at its default, FULL).
std::size_t SyncsOfOneCommit(Synchronous level) {
  auto disk = std::make_unique<faultfs::MemFs>();
  EXPECT_TRUE(disk->MakeDir("/db").ok());
  faultfs::FaultFs fs(disk.get(), faultfs::FaultPlan{});
  WorkloadSpec spec;
  spec.databases.push_back(DatabaseSpec{"test.db", {"t0"}});
  SqliteEngine engine(Config{Journal::kDelete, level}, VfsOptions{});
  EXPECT_TRUE(engine.Open(&fs, spec, true).ok());
  const std::uint64_t before = fs.op_count();
  EXPECT_TRUE(engine.Begin().ok());
  EXPECT_TRUE(engine.Write(SpecOp{OpKind::kInsert, "t0", "k", "v"}).ok());
  EXPECT_TRUE(engine.Commit(CommitMode::kDurable).ok());
  std::size_t syncs = 0;
  for (const faultfs::TraceEvent& e : fs.trace()) {
    if (e.index >= before && (e.op == faultfs::OpKind::kSync || e.op == faultfs::OpKind::kSyncDir)) ++syncs;
  }
  EXPECT_TRUE(engine.Close().ok());
  EXPECT_FALSE(engine.vfs() != nullptr);
  return syncs;
}

TEST(SqliteThroughTheVfs, SynchronousPragmaTakesEffect) {
  EXPECT_EQ(SyncsOfOneCommit(Synchronous::kOff), 0u);
  const std::size_t full = SyncsOfOneCommit(Synchronous::kFull);
  EXPECT_GE(full, 3u);                                         // journal x2 (plus its directory), database
  EXPECT_EQ(SyncsOfOneCommit(Synchronous::kExtra), full + 1);  // + the directory after the unlink
}

}  // namespace
}  // namespace jetharness::sqlite

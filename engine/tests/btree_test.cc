// btree_test.cc — the B+tree and long values on real pages, without a log: random
// operations against std::map, splits at every page size, link checking.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <map>
#include <memory>
#include <string>

#include "db/btree.h"
#include "db/catalog.h"
#include "db/database.h"
#include "db/long_value.h"
#include "db/node.h"
#include "faultfs/mem_fs.h"
#include "format/page.h"

namespace jet::db {
namespace {

std::span<const std::uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// A database with no log: mini-transactions commit at a fake, increasing position.
class BTreeFixture {
 public:
  explicit BTreeFixture(std::uint32_t page_size) {
    format::DbHeader h;
    h.page_size = page_size;
    h.dbstate = format::DbState::kDirtyShutdown;
    std::unique_ptr<DatabaseFile> file;
    EXPECT_EQ(DatabaseFile::Create(fs_, "/db/t.edb", h, false, &file), JET_errSuccess);
    db_ = std::make_unique<Database>(1, std::move(file));
    MiniTxn mtr(*db_);
    EXPECT_EQ(CreateCatalog(mtr), JET_errSuccess);
    Commit(mtr);
    MiniTxn mtr2(*db_);
    EXPECT_EQ(CreateTable(mtr2, "t", &table_), JET_errSuccess);
    Commit(mtr2);
  }
  void Commit(MiniTxn& mtr) {
    std::vector<PageEffect> effects;
    mtr.Seal(&effects);
    mtr.Commit(format::Lgpos{0, 1, ++generation_});
  }
  Database& db() { return *db_; }
  BTree tree() const { return BTree(table_.root, table_.objid); }
  faultfs::MemFs& fs() { return fs_; }

 private:
  faultfs::MemFs fs_;
  std::unique_ptr<Database> db_;
  TableInfo table_;
  std::int32_t generation_ = 0;
};

RC_GTEST_PROP(BTreeTest, RandomOperationsMatchAMap, ()) {
  const std::uint32_t page_size = *rc::gen::element(4096u, 8192u, 32768u);
  BTreeFixture f(page_size);
  BTree tree = f.tree();
  std::map<std::string, std::string> model;
  const int steps = *rc::gen::inRange(1, 600);
  for (int i = 0; i < steps; ++i) {
    const int k = *rc::gen::inRange(0, 400);
    std::string key = std::string(static_cast<std::size_t>(k % 180), 'k') + std::to_string(k);
    std::string value(*rc::gen::inRange<std::size_t>(0, 200), static_cast<char>('a' + i % 26));
    std::vector<std::uint8_t> stored;
    EncodeInlineValue(Bytes(value), &stored);
    MiniTxn mtr(f.db());
    if (*rc::gen::inRange(0, 4) == 0) {
      std::vector<std::uint8_t> old;
      JET_ERR err = tree.Remove(mtr, Bytes(key), &old);
      RC_ASSERT(err == (model.count(key) ? JET_errSuccess : JET_errRecordNotFound));
      model.erase(key);
    } else {
      bool existed = false;
      RC_ASSERT(tree.Put(mtr, Bytes(key), stored, BTree::PutMode::kUpsert, &existed, nullptr) == JET_errSuccess);
      RC_ASSERT(existed == (model.count(key) == 1));
      model[key] = value;
    }
    f.Commit(mtr);
  }
  std::uint64_t records = 0;
  RC_ASSERT(tree.Check(f.db(), &records) == JET_errSuccess);
  RC_ASSERT(records == model.size());
  // Forward scan through SeekKey equals the map; every key looks up.
  std::string key;
  bool found = false;
  std::vector<std::uint8_t> stored;
  RC_ASSERT(tree.SeekKey(f.db(), {}, BTree::Seek::kFirst, &found, &key, &stored) == JET_errSuccess);
  for (const auto& [k, v] : model) {
    RC_ASSERT(found);
    RC_ASSERT(key == k);
    StoredValue sv;
    RC_ASSERT(DecodeStoredValue(stored, &sv));
    RC_ASSERT(std::string(sv.inline_bytes.begin(), sv.inline_bytes.end()) == v);
    std::string next;
    RC_ASSERT(tree.SeekKey(f.db(), Bytes(key), BTree::Seek::kGT, &found, &next, &stored) == JET_errSuccess);
    key = next;
  }
  RC_ASSERT(!found);
  if (!model.empty()) {
    RC_ASSERT(tree.SeekKey(f.db(), {}, BTree::Seek::kLast, &found, &key, nullptr) == JET_errSuccess);
    RC_ASSERT(found && key == model.rbegin()->first);
  }
}

TEST(BTreeTest, InsertModesReportDuplicatesAndMissingKeys) {
  BTreeFixture f(4096);
  BTree tree = f.tree();
  std::vector<std::uint8_t> stored;
  EncodeInlineValue(Bytes("v"), &stored);
  MiniTxn mtr(f.db());
  bool existed = false;
  EXPECT_EQ(tree.Put(mtr, Bytes("a"), stored, BTree::PutMode::kReplace, &existed, nullptr), JET_errRecordNotFound);
  EXPECT_EQ(tree.Put(mtr, Bytes("a"), stored, BTree::PutMode::kInsert, &existed, nullptr), JET_errSuccess);
  EXPECT_EQ(tree.Put(mtr, Bytes("a"), stored, BTree::PutMode::kInsert, &existed, nullptr), JET_errKeyDuplicate);
  f.Commit(mtr);
}

TEST(BTreeTest, AbortedMiniTransactionRestoresEveryPage) {
  BTreeFixture f(4096);
  BTree tree = f.tree();
  std::vector<std::uint8_t> stored;
  EncodeInlineValue(std::vector<std::uint8_t>(500, 7), &stored);
  for (int i = 0; i < 40; ++i) {
    MiniTxn mtr(f.db());
    ASSERT_EQ(tree.Put(mtr, Bytes("key" + std::to_string(i)), stored, BTree::PutMode::kInsert, nullptr, nullptr),
              JET_errSuccess);
    f.Commit(mtr);
  }
  const std::uint32_t pgno_last = f.db().pgno_last;
  const std::uint64_t dbtime = f.db().dbtime;
  {
    MiniTxn mtr(f.db());  // causes splits, then is abandoned
    for (int i = 100; i < 130; ++i) {
      ASSERT_EQ(tree.Put(mtr, Bytes("key" + std::to_string(i)), stored, BTree::PutMode::kInsert, nullptr, nullptr),
                JET_errSuccess);
    }
  }
  EXPECT_EQ(f.db().pgno_last, pgno_last);
  EXPECT_EQ(f.db().dbtime, dbtime);
  std::uint64_t records = 0;
  ASSERT_EQ(tree.Check(f.db(), &records), JET_errSuccess);
  EXPECT_EQ(records, 40u);
}

TEST(BTreeTest, BrokenLeafLinkIsBadPageLink) {
  BTreeFixture f(4096);
  BTree tree = f.tree();
  std::vector<std::uint8_t> stored;
  EncodeInlineValue(std::vector<std::uint8_t>(300, 1), &stored);
  for (int i = 0; i < 60; ++i) {
    MiniTxn mtr(f.db());
    ASSERT_EQ(tree.Put(mtr, Bytes("key" + std::to_string(100 + i)), stored, BTree::PutMode::kInsert, nullptr, nullptr),
              JET_errSuccess);
    f.Commit(mtr);
  }
  // Find the first leaf and point its successor's back link elsewhere.
  std::string key;
  bool found = false;
  ASSERT_EQ(tree.SeekKey(f.db(), {}, BTree::Seek::kFirst, &found, &key, nullptr), JET_errSuccess);
  std::uint32_t first_leaf = 0;
  for (std::uint32_t p = 2; p <= f.db().pgno_last; ++p) {
    std::span<const std::uint8_t> page;
    ASSERT_EQ(f.db().ReadPage(p, &page), JET_errSuccess);
    format::PageHeader h = format::LoadPageHeader(page);
    if ((h.flags & format::kPageFlagLeaf) && h.pgno_prev == 0 && h.pgno_next != 0) first_leaf = p;
  }
  ASSERT_NE(first_leaf, 0u);
  std::span<const std::uint8_t> leaf;
  ASSERT_EQ(f.db().ReadPage(first_leaf, &leaf), JET_errSuccess);
  std::uint32_t second = format::LoadPageHeader(leaf).pgno_next;
  Frame* frame = f.db().cache().Find(second);
  ASSERT_NE(frame, nullptr);
  std::span<std::uint8_t> bytes = f.db().cache().Bytes(*frame);
  format::PageHeader h = format::LoadPageHeader(bytes);
  h.pgno_prev = 999;
  format::StorePageHeader(bytes, h);
  std::uint64_t records = 0;
  EXPECT_EQ(tree.Check(f.db(), &records), JET_errBadPageLink);
}

TEST(LongValueTest, ChainsRoundTripAndDetectForeignPages) {
  BTreeFixture f(4096);
  std::vector<std::uint8_t> value(50000);
  for (std::size_t i = 0; i < value.size(); ++i) value[i] = static_cast<std::uint8_t>(i * 7);
  std::uint32_t first = 0;
  ASSERT_EQ(WriteLongValue(
                f.db(), 2, value,
                [&](MiniTxn& mtr) {
                  f.Commit(mtr);
                  return JET_errSuccess;
                },
                &first),
            JET_errSuccess);
  std::vector<std::uint8_t> out(value.size());
  ASSERT_EQ(ReadLongValue(f.db(), 2, first, static_cast<std::uint32_t>(value.size()), out), JET_errSuccess);
  EXPECT_EQ(out, value);
  std::vector<std::uint8_t> prefix(100);
  ASSERT_EQ(ReadLongValue(f.db(), 2, first, static_cast<std::uint32_t>(value.size()), prefix), JET_errSuccess);
  EXPECT_TRUE(std::equal(prefix.begin(), prefix.end(), value.begin()));
  EXPECT_EQ(ReadLongValue(f.db(), 3, first, static_cast<std::uint32_t>(value.size()), out), JET_errDatabaseCorrupted);
  // Pages survive a flush and re-read from disk with their checksums.
  ASSERT_EQ(f.db().FlushAll(), JET_errSuccess);
  for (std::uint32_t p = 1; p <= f.db().pgno_last; ++p) f.db().cache().Discard(p);
  ASSERT_EQ(ReadLongValue(f.db(), 2, first, static_cast<std::uint32_t>(value.size()), out), JET_errSuccess);
  EXPECT_EQ(out, value);
}

}  // namespace
}  // namespace jet::db

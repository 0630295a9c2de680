// db_format_test.cc — the database-side codecs: header, page header and slotted node
// layout, B-tree node bytes, page-operation log records.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "db/log_records.h"
#include "db/node.h"
#include "format/checksum.h"
#include "format/db_header.h"
#include "format/page.h"

namespace jet {
namespace {

format::DbHeader SampleHeader(std::uint32_t page_size) {
  format::DbHeader h;
  h.dbtime_dirtied = 0x123456789ABCull;
  h.sign_db = format::MakeSignature(42, format::LogTimeNow());
  h.dbstate = format::DbState::kCleanShutdown;
  h.lgpos_consistent = {0x10, 3, 7};
  h.lgpos_attach = {0x20, 1, 5};
  h.dbid = 1;
  h.sign_log = format::MakeSignature(7, format::LogTimeNow());
  h.bkinfo_full_prev.gen_low = 2;
  h.bkinfo_full_prev.gen_high = 4;
  h.objid_last = 9;
  h.page_size = page_size;
  h.gen_min_required = 5;
  h.gen_max_required = 7;
  h.pgno_last = 77;
  return h;
}

// XorChecksum reads whole blocks 64 bytes at a time in four 16-byte lanes, IsAllZero a
// u64 at a time (format/checksum.cc); they must agree with the word-by-word definition
// at every size and alignment.
TEST(ChecksumTest, XorChecksumAndIsAllZeroMatchTheirDefinitionsAtEverySizeAndOffset) {
  rc::check([](std::vector<std::uint8_t> bytes, std::uint8_t skip) {
    const std::size_t begin = std::min<std::size_t>(skip % 8, bytes.size());
    const std::span<const std::uint8_t> block = std::span<const std::uint8_t>(bytes).subspan(
        begin, (bytes.size() - begin) / 4 * 4);
    std::uint32_t expected = format::kXorSeed;
    for (std::size_t i = 4; i + 4 <= block.size(); i += 4) expected ^= format::LoadU32(block.data() + i);
    RC_ASSERT(format::XorChecksum(block) == expected);
    const std::span<const std::uint8_t> all = std::span<const std::uint8_t>(bytes).subspan(begin);
    RC_ASSERT(format::IsAllZero(all) == std::all_of(all.begin(), all.end(), [](std::uint8_t b) { return b == 0; }));
  });
  // Whole pages, and a single set byte anywhere in an otherwise zero page (in each of the
  // four lanes, and in the checksum word XorChecksum folds in and out again).
  for (const std::size_t size : {4096u, 8192u, 32768u}) {
    std::vector<std::uint8_t> page(size, 0);
    EXPECT_TRUE(format::IsAllZero(page));
    EXPECT_EQ(format::XorChecksum(page), format::kXorSeed);
    for (const std::size_t at : {std::size_t{0}, std::size_t{3}, std::size_t{4}, std::size_t{21}, std::size_t{38},
                                 std::size_t{55}, size / 2 + 1, size - 1}) {
      page[at] = 0x5a;
      EXPECT_FALSE(format::IsAllZero(page));
      const std::uint32_t word = at < 4 ? 0u : std::uint32_t{0x5a} << (8 * (at % 4));
      EXPECT_EQ(format::XorChecksum(page), format::kXorSeed ^ word);
      page[at] = 0;
    }
  }
}

TEST(DbHeaderTest, RoundTripsAtEveryPageSizeAndSitsAtEseOffsets) {
  for (std::uint32_t size : {4096u, 8192u, 16384u, 32768u}) {
    std::vector<std::uint8_t> page(size);
    format::DbHeader h = SampleHeader(size);
    format::EncodeDbHeader(h, page);
    EXPECT_EQ(format::LoadU32(page.data() + 4), 0x89abcdefu);
    EXPECT_EQ(format::LoadU32(page.data() + 52), 3u);  // dbstate
    EXPECT_EQ(format::LoadU32(page.data() + 236), size);
    EXPECT_EQ(format::LoadU32(page.data() + 667), 1u);  // filetype
    EXPECT_EQ(format::LoadU32(page.data()), format::XorChecksum(page));
    format::DbHeader decoded;
    ASSERT_EQ(format::DecodeDbHeader(page, &decoded), JET_errSuccess);
    EXPECT_EQ(decoded, h);
  }
}

TEST(DbHeaderTest, RejectsDamageWithTheRightError) {
  std::vector<std::uint8_t> page(8192);
  format::EncodeDbHeader(SampleHeader(8192), page);
  format::DbHeader out;
  std::vector<std::uint8_t> bad = page;
  bad[300] ^= 1;
  EXPECT_EQ(format::DecodeDbHeader(bad, &out), JET_errReadVerifyFailure);
  std::vector<std::uint8_t> zero(8192, 0);
  EXPECT_EQ(format::DecodeDbHeader(zero, &out), JET_errPageNotInitialized);
  bad = page;
  bad[4] = 0;
  EXPECT_EQ(format::DecodeDbHeader(bad, &out), JET_errInvalidDatabase);
  EXPECT_EQ(format::DecodeDbHeader(std::span(page).first(100), &out), JET_errInvalidDatabase);
}

TEST(DbHeaderTest, PairPrefersAValidPrimaryAndFallsBackToTheShadow) {
  std::vector<std::uint8_t> primary(4096), shadow(4096);
  format::DbHeader a = SampleHeader(4096), b = SampleHeader(4096);
  b.dbtime_dirtied = 5;
  format::EncodeDbHeader(a, primary);
  format::EncodeDbHeader(b, shadow);
  format::DbHeader out;
  ASSERT_EQ(format::DecodeDbHeaderPair(primary, shadow, &out), JET_errSuccess);
  EXPECT_EQ(out, a);
  primary[1000] ^= 0x40;
  ASSERT_EQ(format::DecodeDbHeaderPair(primary, shadow, &out), JET_errSuccess);
  EXPECT_EQ(out, b);
  shadow[1000] ^= 0x40;
  EXPECT_EQ(format::DecodeDbHeaderPair(primary, shadow, &out), JET_errReadVerifyFailure);
}

// A database file whose primary header is zeroed: its page-size field reads as 0, which
// ESE takes for 4096, so the shadow must be looked for at every legal page size.
TEST(DbHeaderTest, FileHeaderFindsTheShadowWhenThePrimaryLostItsPageSize) {
  for (std::uint32_t page_size : {4096u, 8192u, 16384u, 32768u}) {
    std::vector<std::uint8_t> file(3 * page_size);
    const format::DbHeader header = SampleHeader(page_size);
    format::EncodeDbHeader(header, std::span(file).first(page_size));
    format::EncodeDbHeader(header, std::span(file).subspan(page_size, page_size));
    format::DbHeader out;
    ASSERT_EQ(format::DecodeDbFileHeader(file, &out), JET_errSuccess) << page_size;
    EXPECT_EQ(out, header);
    std::fill_n(file.begin(), page_size, std::uint8_t{0});
    ASSERT_EQ(format::DecodeDbFileHeader(file, &out), JET_errSuccess) << page_size << ": zeroed primary";
    EXPECT_EQ(out, header);
    file[page_size + 1000] ^= 0x40;
    EXPECT_NE(format::DecodeDbFileHeader(file, &out), JET_errSuccess) << page_size << ": both copies bad";
    EXPECT_EQ(format::DecodeDbFileHeader(std::span(file).first(10), &out), JET_errInvalidDatabase);
  }
}

TEST(PageTest, VerifyDistinguishesBlankCorruptAndMisdirectedPages) {
  std::vector<std::uint8_t> page(8192);
  format::InitPage(page, 5, format::kPageFlagLeaf, 17);
  const std::uint8_t node[] = {1, 2, 3};
  ASSERT_EQ(format::InsertNode(page, 0, node), JET_errSuccess);
  format::SealPage(page, 12);
  EXPECT_EQ(format::VerifyPage(page, 12), JET_errSuccess);
  EXPECT_EQ(format::LoadU64(page.data()) >> 32, 12u);  // ESE old format: pgno in the high half
  EXPECT_EQ(format::VerifyPage(page, 13), JET_errReadPgnoVerifyFailure);
  std::vector<std::uint8_t> bad = page;
  bad[5000] ^= 0x10;
  EXPECT_EQ(format::VerifyPage(bad, 12), JET_errReadVerifyFailure);
  std::vector<std::uint8_t> zero(8192, 0);
  EXPECT_EQ(format::VerifyPage(zero, 12), JET_errPageNotInitialized);
  // A sealed page whose layout lies about its counts is corrupt, not misread.
  bad = page;
  format::StoreU16(bad.data() + 34, 900);  // ctag
  format::SealPage(bad, 12);
  EXPECT_EQ(format::VerifyPage(bad, 12), JET_errDatabaseCorrupted);
  format::PageHeader h = format::LoadPageHeader(page);
  EXPECT_EQ(h.dbtime, 17u);
  EXPECT_EQ(h.objid, 5u);
  EXPECT_EQ(h.flags, format::kPageFlagLeaf);
}

// Node operations behave like a vector of byte strings and keep the layout valid,
// through compaction and at every page size.
RC_GTEST_PROP(PageTest, NodeOperationsMatchAVectorModel, ()) {
  const std::uint32_t size = *rc::gen::element(4096u, 8192u, 16384u, 32768u);
  std::vector<std::uint8_t> page(size);
  format::InitPage(page, 1, format::kPageFlagLeaf, 0);
  std::vector<std::vector<std::uint8_t>> model;
  const int steps = *rc::gen::inRange(1, 300);
  for (int step = 0; step < steps; ++step) {
    const int op = *rc::gen::inRange(0, 3);
    const auto cb = *rc::gen::inRange<std::size_t>(0, size / 6);
    std::vector<std::uint8_t> node(cb, static_cast<std::uint8_t>(step));
    if (op == 0 || model.empty()) {
      if (!format::PageHasRoom(page, cb)) continue;
      std::size_t at = *rc::gen::inRange<std::size_t>(0, model.size() + 1);
      RC_ASSERT(format::InsertNode(page, at, node) == JET_errSuccess);
      model.insert(model.begin() + static_cast<std::ptrdiff_t>(at), node);
    } else if (op == 1) {
      std::size_t at = *rc::gen::inRange<std::size_t>(0, model.size());
      if (format::LoadPageHeader(page).cb_free + model[at].size() < cb) continue;
      RC_ASSERT(format::ReplaceNode(page, at, node) == JET_errSuccess);
      model[at] = node;
    } else {
      std::size_t at = *rc::gen::inRange<std::size_t>(0, model.size());
      RC_ASSERT(format::DeleteNode(page, at) == JET_errSuccess);
      model.erase(model.begin() + static_cast<std::ptrdiff_t>(at));
    }
    RC_ASSERT(format::ValidatePageLayout(page) == JET_errSuccess);
  }
  RC_ASSERT(format::NodeCount(page) == model.size());
  for (std::size_t i = 0; i < model.size(); ++i) {
    auto n = format::NodeAt(page, i);
    RC_ASSERT(std::vector<std::uint8_t>(n.begin(), n.end()) == model[i]);
  }
}

TEST(NodeTest, LeafInternalAndStoredValuesRoundTrip) {
  const std::uint8_t key[] = {'a', 'b'};
  std::vector<std::uint8_t> value, node;
  db::EncodeInlineValue(std::vector<std::uint8_t>{9, 8, 7}, &value);
  db::EncodeLeafNode(key, value, &node);
  db::LeafNode leaf;
  ASSERT_TRUE(db::DecodeLeafNode(node, &leaf));
  EXPECT_EQ(leaf.key.size(), 2u);
  db::StoredValue sv;
  ASSERT_TRUE(db::DecodeStoredValue(leaf.value, &sv));
  EXPECT_EQ(sv.kind, db::ValueKind::kInline);
  EXPECT_EQ(sv.inline_bytes.size(), 3u);
  db::EncodeLongValueRef(44, 100000, &value);
  ASSERT_TRUE(db::DecodeStoredValue(value, &sv));
  EXPECT_EQ(sv.lv_first_pgno, 44u);
  EXPECT_EQ(sv.lv_size, 100000u);
  db::EncodeInternalNode(key, 31, &node);
  db::InternalNode internal;
  ASSERT_TRUE(db::DecodeInternalNode(node, &internal));
  EXPECT_EQ(internal.child, 31u);
  // Truncations never decode.
  for (std::size_t n = 0; n < node.size(); ++n)
    EXPECT_FALSE(db::DecodeInternalNode(std::span(node).first(n), &internal));
  EXPECT_FALSE(db::DecodeStoredValue(std::span(value).first(5), &sv));
}

TEST(LogRecordsTest, OperationRecordRoundTripsAndEveryTruncationIsRejected) {
  std::vector<std::uint8_t> image(4096, 0x5A), ops;
  const std::uint8_t node[] = {1, 2, 3, 4};
  db::EncodeNodeOp({db::NodeOpKind::kInsert, 3, node}, &ops);
  db::EncodeNodeOp({db::NodeOpKind::kDelete, 1, {}}, &ops);
  db::OperationRecord rec;
  rec.txn = 0x100000002ull;
  rec.dbid = 1;
  rec.op = db::OpKind::kReplace;
  rec.objid = 2;
  const std::uint8_t key[] = {'k'};
  rec.key = key;
  rec.before_present = true;
  const std::uint8_t before[] = {0, 'o', 'l', 'd'};
  rec.before = before;
  rec.effects.push_back({7, 10, 11, db::EffectKind::kImage, image});
  rec.effects.push_back({8, 3, 11, db::EffectKind::kNodeOps, ops});
  std::vector<std::uint8_t> payload;
  db::EncodeOperationRecord(rec, &payload);
  db::OperationRecord out;
  ASSERT_EQ(db::DecodeOperationRecord(payload, &out), JET_errSuccess);
  EXPECT_EQ(out.txn, rec.txn);
  EXPECT_EQ(out.op, db::OpKind::kReplace);
  ASSERT_EQ(out.effects.size(), 2u);
  EXPECT_EQ(out.effects[0].bytes.size(), 4096u);
  EXPECT_EQ(out.effects[1].dbtime_before, 3u);
  std::vector<db::NodeOp> decoded_ops;
  ASSERT_EQ(db::DecodeNodeOps(out.effects[1].bytes, &decoded_ops), JET_errSuccess);
  ASSERT_EQ(decoded_ops.size(), 2u);
  EXPECT_EQ(decoded_ops[0].index, 3u);
  EXPECT_EQ(decoded_ops[1].kind, db::NodeOpKind::kDelete);
  for (std::size_t n = 0; n < payload.size(); n += 7) {
    EXPECT_EQ(db::DecodeOperationRecord(std::span(payload).first(n), &out), JET_errLogFileCorrupt) << n;
  }
}

TEST(LogRecordsTest, AttachTxnAndDetachRecordsRoundTrip) {
  db::AttachRecord a;
  a.dbid = 3;
  a.path = "/data/x.edb";
  a.sign_db = format::MakeSignature(1, format::LogTimeNow());
  a.lgpos_consistent = {1, 2, 3};
  a.page_size = 16384;
  std::vector<std::uint8_t> payload;
  db::EncodeAttachRecord(a, &payload);
  db::AttachRecord b;
  ASSERT_EQ(db::DecodeAttachRecord(payload, &b), JET_errSuccess);
  EXPECT_EQ(b.path, a.path);
  EXPECT_EQ(b.sign_db, a.sign_db);
  EXPECT_EQ(b.lgpos_consistent, a.lgpos_consistent);
  payload.push_back(0);
  EXPECT_EQ(db::DecodeAttachRecord(payload, &b), JET_errLogFileCorrupt);
  payload.clear();
  db::EncodeTxnRecord({99}, &payload);
  db::TxnRecord t;
  ASSERT_EQ(db::DecodeTxnRecord(payload, &t), JET_errSuccess);
  EXPECT_EQ(t.txn, 99u);
  EXPECT_EQ(db::DecodeTxnRecord(std::span(payload).first(4), &t), JET_errLogFileCorrupt);
}

// Arbitrary bytes never crash a decoder (the fuzz targets' property, in miniature).
RC_GTEST_PROP(LogRecordsTest, ArbitraryBytesNeverCrashDecoders, (const std::vector<std::uint8_t>& bytes)) {
  db::OperationRecord op;
  db::AttachRecord attach;
  std::vector<db::NodeOp> ops;
  (void)db::DecodeOperationRecord(bytes, &op);
  (void)db::DecodeAttachRecord(bytes, &attach);
  (void)db::DecodeNodeOps(bytes, &ops);
  std::vector<std::uint8_t> page(4096);
  std::copy_n(bytes.begin(), std::min(bytes.size(), page.size()), page.begin());
  format::DbHeader h;
  (void)format::DecodeDbHeader(page, &h);
  if (format::VerifyPage(page, 1) == JET_errSuccess || format::ValidatePageLayout(page) == JET_errSuccess) {
    for (std::size_t i = 0; i < format::NodeCount(page); ++i) RC_ASSERT(format::NodeAt(page, i).size() < page.size());
  }
}

}  // namespace
}  // namespace jet

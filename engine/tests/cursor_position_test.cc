// cursor_position_test.cc — a cursor keeps where its record lies (db/btree.h
// LeafPosition) and steps from that leaf; whatever happens between its moves (leaf
// and root splits by its own or another session's inserts, deletes, another session's
// open transaction and its rollback, a page cache of a few pages), every move and value
// read must give what a search from the root gives: the model's neighbour.
#include <gtest/gtest.h>

#include <cstdint>
#include <map>
#include <random>
#include <string>

#include "api_test_util.h"

namespace jet_test {
namespace {

class CursorPositionTest : public EngineTest, public ::testing::WithParamInterface<std::uint64_t> {};

std::string KeyOf(std::uint32_t n) {
  // Long keys: few per 4 KiB page, so the tree splits into three levels.
  char head[16];
  std::snprintf(head, sizeof head, "%06u", n);
  return std::string(head) + std::string(150, static_cast<char>('a' + n % 26));
}

TEST_P(CursorPositionTest, MovesBetweenWritesSeeTheModelsNeighbours) {
  const std::uint64_t seed = GetParam();
  SCOPED_TRACE("seed " + std::to_string(seed) + "; replay: engine_tests --gtest_filter='*CursorPosition*'");
  std::mt19937_64 rng(seed);
  faultfs::MemFs fs;
  JET_INSTANCE inst = JET_instanceNil;
  ASSERT_JET(CreateConfigured(&fs, &inst, 4096));
  // A few pages: leaves a cursor stands on are evicted and read again between moves.
  ASSERT_JET(JetSetSystemParameter(&inst, JET_sesidNil, JET_paramCacheSizeMax, 6, nullptr));
  JET_SESID a = 0, b = 0;
  JET_DBID dbid = 0;
  JET_TABLEID ta = 0, tb = 0;
  ASSERT_JET(InitAndOpenTable(&inst, &a, &dbid, &ta, true));
  ASSERT_JET(JetBeginSession(inst, &b, nullptr, nullptr));
  ASSERT_JET(JetOpenDatabase(b, kDbPath, nullptr, &dbid, 0));
  ASSERT_JET(JetOpenTable(b, dbid, "t", nullptr, 0, 0, &tb));

  std::map<std::string, std::string> model;  // what session a sees
  // Inserts key when a does not see it, else deletes it.
  auto write = [&](JET_SESID s, JET_TABLEID t, const std::string& key, std::string* value) {
    *value = "v" + std::to_string(rng() % 1000);
    if (model.count(key) == 0) return JetInsertRecord(s, t, key.data(), key.size(), value->data(), value->size());
    return JetDeleteRecord(s, t, key.data(), key.size());
  };
  // A committed write by a or b (an implicit transaction; b's open transaction may hold
  // the key): the model follows.
  auto committed_write = [&](JET_SESID s, JET_TABLEID t) {
    const std::string key = KeyOf(static_cast<std::uint32_t>(rng() % 400));
    const bool insert = model.count(key) == 0;
    std::string value;
    JET_ERR err = write(s, t, key, &value);
    if (err == JET_errWriteConflict) return;
    ASSERT_GE(err, 0) << JetErrorName(err);
    if (insert) {
      model[key] = value;
    } else {
      model.erase(key);
    }
  };
  for (int i = 0; i < 300; ++i) committed_write(a, ta);

  bool positioned = false;
  std::string current;
  bool b_in_txn = false;
  for (int step = 0; step < 1500; ++step) {
    SCOPED_TRACE("step " + std::to_string(step));
    switch (rng() % 8) {
      case 0: committed_write(a, ta); break;
      case 1:
        if (!b_in_txn) committed_write(b, tb);
        break;
      case 2:
        // b's uncommitted writes: a keeps seeing the before-images (the version store
        // holds keys the tree no longer has, and the tree keys a does not see).
        if (!b_in_txn) {
          ASSERT_JET(JetBeginTransaction(b));
          b_in_txn = true;
        }
        for (int n = 0; n < 3; ++n) {
          const std::string key = KeyOf(static_cast<std::uint32_t>(rng() % 400));
          std::string value;
          // b's own earlier writes in the transaction may make the key a sees absent
          // or present for b already.
          JET_ERR err = write(b, tb, key, &value);
          ASSERT_TRUE(err >= 0 || err == JET_errKeyDuplicate || err == JET_errRecordNotFound) << JetErrorName(err);
        }
        break;
      case 3:
        if (b_in_txn) {
          ASSERT_JET(JetRollback(b, 0));
          b_in_txn = false;
        }
        break;
      default: {
        const long rows = static_cast<long>(rng() % 3) + 1;
        const bool forward = rng() % 2 == 0;
        JET_ERR err = 0;
        auto expected = model.end();
        if (!positioned || rng() % 16 == 0) {
          err = JetMove(a, ta, forward ? JET_MoveFirst : JET_MoveLast, 0);
          expected = model.empty() ? model.end() : forward ? model.begin() : std::prev(model.end());
        } else {
          err = JetMove(a, ta, forward ? rows : -rows, 0);
          // The current key may be gone: each step is to the nearest key beyond.
          if (forward) {
            expected = model.upper_bound(current);
            for (long n = rows - 1; n > 0 && expected != model.end(); --n) ++expected;
          } else {
            auto it = model.lower_bound(current);
            long n = rows;
            for (; n > 0 && it != model.begin(); --n) --it;
            expected = n == 0 ? it : model.end();
          }
        }
        if (expected == model.end()) {
          ASSERT_EQ(err, JET_errNoCurrentRecord);
          positioned = false;
          break;
        }
        ASSERT_GE(err, 0) << JetErrorName(err);
        char key[JET_cbKeyMost];
        unsigned long cb = 0;
        ASSERT_JET(JetRetrieveKey(a, ta, key, sizeof key, &cb, 0));
        ASSERT_EQ(std::string(key, cb), expected->first);
        char value[64];
        ASSERT_JET(JetRetrieveCurrentValue(a, ta, value, sizeof value, &cb));
        ASSERT_EQ(std::string(value, cb), expected->second);
        positioned = true;
        current = expected->first;
        break;
      }
    }
  }
  if (b_in_txn) ASSERT_JET(JetRollback(b, 0));
  std::map<std::string, std::string> table;
  ASSERT_JET(ReadTable(a, ta, &table));
  EXPECT_EQ(table, model);
  ASSERT_JET(JetTerm(inst));
}

INSTANTIATE_TEST_SUITE_P(Seeds, CursorPositionTest, ::testing::Values(1, 2, 3, 4));

}  // namespace
}  // namespace jet_test

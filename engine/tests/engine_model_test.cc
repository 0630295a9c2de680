// engine_model_test.cc — a RapidCheck stateful test of the whole engine against an
// in-memory model, on MemFs: two sessions with interleaved transactions (inserts,
// replaces, deletes, rollbacks, lazy and durable commits, write conflicts, scans),
// clean restarts, abrupt terminations and power-failure crash images followed by
// recovery. After an unclean stop the recovered table must equal the model after
// some prefix of the commit history that contains every durable commit.
//
// Replay a failure with the RC_PARAMS="reproduce=..." line RapidCheck prints.
#include <gtest/gtest.h>
#include <rapidcheck.h>
#include <rapidcheck/gtest.h>
#include <rapidcheck/state.h>

#include <array>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api_test_util.h"
#include "base/io_error.h"

namespace jet_test {
namespace {

constexpr int kSessions = 2;
constexpr int kKeys = 60;
using Table = std::map<std::string, std::string>;

// Key i: varied lengths (up to ~200 bytes) so that 4 KiB pages split early.
std::string KeyOf(int i) {
  return std::string(static_cast<std::size_t>((i * 37) % 200), static_cast<char>('a' + i % 26)) + std::to_string(i);
}

struct Model {
  std::vector<Table> history{Table{}};  // committed states, one per commit that wrote
  std::size_t durable = 0;              // history index known durable
  std::array<std::optional<std::map<std::string, std::optional<std::string>>>, kSessions> txn;
  // Set by an unclean restart: which history index the recovered table matched
  // (filled in by the command's run(); -1 while generating).
  std::shared_ptr<int> pending;

  const Table& committed() const { return history.back(); }

  void Resolve() {
    if (!pending) return;
    std::size_t index = *pending >= 0 ? static_cast<std::size_t>(*pending) : history.size() - 1;
    history.resize(index + 1);
    durable = index;
    pending.reset();
  }

  std::optional<std::string> Visible(int s, const std::string& key) const {
    if (txn[s]) {
      auto it = txn[s]->find(key);
      if (it != txn[s]->end()) return it->second;
    }
    auto it = committed().find(key);
    if (it == committed().end()) return std::nullopt;
    return it->second;
  }

  Table View(int s) const {
    Table t = committed();
    if (txn[s]) {
      for (const auto& [k, v] : *txn[s]) {
        if (v) {
          t[k] = *v;
        } else {
          t.erase(k);
        }
      }
    }
    return t;
  }

  bool LockedByOther(int s, const std::string& key) const {
    for (int o = 0; o < kSessions; ++o) {
      if (o != s && txn[o] && txn[o]->count(key) != 0) return true;
    }
    return false;
  }

  void Commit(const std::map<std::string, std::optional<std::string>>& writes, bool durable_commit) {
    if (writes.empty()) return;
    Table t = committed();
    for (const auto& [k, v] : writes) {
      if (v) {
        t[k] = *v;
      } else {
        t.erase(k);
      }
    }
    history.push_back(std::move(t));
    if (durable_commit) durable = history.size() - 1;
  }
};

struct Sut {
  std::unique_ptr<faultfs::MemFs> fs = std::make_unique<faultfs::MemFs>();
  JET_INSTANCE inst = JET_instanceNil;
  std::array<JET_SESID, kSessions> ses{};
  std::array<JET_TABLEID, kSessions> tab{};
  JET_DBID dbid = 0;

  Sut() {
    jet::core::ResetProcessStateForTests();
    RC_ASSERT(Start(true) >= 0);
  }
  ~Sut() { jet::core::ResetProcessStateForTests(); }

  JET_ERR Start(bool create) {
    JET_ERR err = CreateConfigured(fs.get(), &inst, 4096, 64);
    // A small cache: dirty pages are evicted (written, write-ahead) between calls.
    if (err >= 0) err = JetSetSystemParameter(&inst, JET_sesidNil, JET_paramCacheSizeMax, 4, nullptr);
    if (err >= 0) err = JetInit(&inst);
    for (int s = 0; s < kSessions && err >= 0; ++s) err = JetBeginSession(inst, &ses[s], nullptr, nullptr);
    if (err < 0) return err;
    if (create) {
      if ((err = JetCreateDatabase(ses[0], kDbPath, nullptr, &dbid, 0)) < 0) return err;
      JET_TABLEID t = 0;
      if ((err = JetCreateTable(ses[0], dbid, "t", 0, 0, &t)) < 0) return err;
      JetCloseTable(ses[0], t);
      // Make the empty table durable: a clean restart.
      if ((err = JetTerm(inst)) < 0) return err;
      return Start(false);
    }
    if ((err = JetAttachDatabase(ses[0], kDbPath, 0)) < 0) return err;
    for (int s = 0; s < kSessions && err >= 0; ++s) {
      err = JetOpenDatabase(ses[s], kDbPath, nullptr, &dbid, 0);
      if (err >= 0) err = JetOpenTable(ses[s], dbid, "t", nullptr, 0, 0, &tab[s]);
    }
    return err;
  }

  JET_ERR ReadAll(int s, Table* out) { return ReadTable(ses[s], tab[s], out); }
};

using Command = rc::state::Command<Model, Sut>;

struct Write : Command {
  enum class Kind { kInsert, kReplace, kDelete };
  int s = *rc::gen::inRange(0, kSessions);
  Kind kind = *rc::gen::element(Kind::kInsert, Kind::kInsert, Kind::kReplace, Kind::kDelete);
  int key_index = *rc::gen::inRange(0, kKeys);
  // Mostly small values; sometimes long values spanning several pages.
  std::size_t size = *rc::gen::weightedOneOf<std::size_t>(
      {{8, rc::gen::inRange<std::size_t>(0, 300)}, {1, rc::gen::inRange<std::size_t>(1500, 12000)}});
  char fill = *rc::gen::inRange('A', 'Z');

  std::string Value() const { return std::string(size, fill) + std::to_string(size); }

  // The expected result, and the model change on success.
  JET_ERR Expected(const Model& m) const {
    const std::string key = KeyOf(key_index);
    if (m.LockedByOther(s, key)) return JET_errWriteConflict;
    bool exists = m.Visible(s, key).has_value();
    if (kind == Kind::kInsert && exists) return JET_errKeyDuplicate;
    if (kind != Kind::kInsert && !exists) return JET_errRecordNotFound;
    return JET_errSuccess;
  }

  void apply(Model& m) const override {
    m.Resolve();
    if (Expected(m) < 0) return;
    std::optional<std::string> v;
    if (kind != Kind::kDelete) v = Value();
    if (m.txn[s]) {
      (*m.txn[s])[KeyOf(key_index)] = v;
    } else {
      m.Commit({{KeyOf(key_index), v}}, true);  // an implicit transaction commits durably
    }
  }

  void run(const Model& model, Sut& sut) const override {
    Model m = model;
    m.Resolve();
    const std::string key = KeyOf(key_index), value = Value();
    JET_ERR err = 0;
    auto cb = static_cast<unsigned long>(key.size());
    switch (kind) {
      case Kind::kInsert:
        err = JetInsertRecord(sut.ses[s], sut.tab[s], key.data(), cb, value.data(), value.size());
        break;
      case Kind::kReplace:
        err = JetReplaceRecord(sut.ses[s], sut.tab[s], key.data(), cb, value.data(), value.size());
        break;
      case Kind::kDelete: err = JetDeleteRecord(sut.ses[s], sut.tab[s], key.data(), cb); break;
    }
    RC_ASSERT(err == Expected(m));
  }

  void show(std::ostream& os) const override {
    const char* names[] = {"Insert", "Replace", "Delete"};
    os << names[static_cast<int>(kind)] << "(s" << s << ", key " << key_index << ", " << size << " bytes)";
  }
};

struct Retrieve : Command {
  int s = *rc::gen::inRange(0, kSessions);
  int key_index = *rc::gen::inRange(0, kKeys);
  void apply(Model& m) const override { m.Resolve(); }
  void run(const Model& model, Sut& sut) const override {
    Model m = model;
    m.Resolve();
    JET_ERR err = 0;
    std::string value = RetrieveString(sut.ses[s], sut.tab[s], KeyOf(key_index), &err);
    std::optional<std::string> expected = m.Visible(s, KeyOf(key_index));
    if (expected) {
      RC_ASSERT(err == JET_errSuccess);
      RC_ASSERT(value == *expected);
    } else {
      RC_ASSERT(err == JET_errRecordNotFound);
    }
  }
  void show(std::ostream& os) const override { os << "Retrieve(s" << s << ", key " << key_index << ")"; }
};

struct Scan : Command {
  int s = *rc::gen::inRange(0, kSessions);
  void apply(Model& m) const override { m.Resolve(); }
  void run(const Model& model, Sut& sut) const override {
    Model m = model;
    m.Resolve();
    Table table;
    RC_ASSERT(sut.ReadAll(s, &table) == JET_errSuccess);
    RC_ASSERT(table == m.View(s));
  }
  void show(std::ostream& os) const override { os << "Scan(s" << s << ")"; }
};

struct Begin : Command {
  int s = *rc::gen::inRange(0, kSessions);
  void checkPreconditions(const Model& m) const override { RC_PRE(!m.txn[s].has_value()); }
  void apply(Model& m) const override {
    m.Resolve();
    m.txn[s].emplace();
  }
  void run(const Model&, Sut& sut) const override { RC_ASSERT(JetBeginTransaction(sut.ses[s]) == JET_errSuccess); }
  void show(std::ostream& os) const override { os << "Begin(s" << s << ")"; }
};

struct Commit : Command {
  int s = *rc::gen::inRange(0, kSessions);
  bool lazy = *rc::gen::arbitrary<bool>();
  void checkPreconditions(const Model& m) const override { RC_PRE(m.txn[s].has_value()); }
  void apply(Model& m) const override {
    m.Resolve();
    m.Commit(*m.txn[s], !lazy);
    m.txn[s].reset();
  }
  void run(const Model&, Sut& sut) const override {
    RC_ASSERT(JetCommitTransaction(sut.ses[s], lazy ? JET_bitCommitLazyFlush : 0) == JET_errSuccess);
  }
  void show(std::ostream& os) const override { os << (lazy ? "CommitLazy(s" : "Commit(s") << s << ")"; }
};

struct Rollback : Command {
  int s = *rc::gen::inRange(0, kSessions);
  void checkPreconditions(const Model& m) const override { RC_PRE(m.txn[s].has_value()); }
  void apply(Model& m) const override {
    m.Resolve();
    m.txn[s].reset();
  }
  void run(const Model&, Sut& sut) const override { RC_ASSERT(JetRollback(sut.ses[s], 0) == JET_errSuccess); }
  void show(std::ostream& os) const override { os << "Rollback(s" << s << ")"; }
};

struct CleanRestart : Command {
  void apply(Model& m) const override {
    m.Resolve();
    for (auto& t : m.txn) t.reset();  // JetTerm rolls back open transactions
    m.durable = m.history.size() - 1;
  }
  void run(const Model& model, Sut& sut) const override {
    Model m = model;
    m.Resolve();
    RC_ASSERT(JetTerm(sut.inst) == JET_errSuccess);
    RC_ASSERT(sut.Start(false) == JET_errSuccess);
    Table table;
    RC_ASSERT(sut.ReadAll(0, &table) == JET_errSuccess);
    RC_ASSERT(table == m.committed());
  }
  void show(std::ostream& os) const override { os << "CleanRestart"; }
};

// An unclean stop: JetTerm2(abrupt) alone (a process crash: unsynced writes stay in
// the OS), or followed by a MemFs crash image (a power failure: unsynced writes kept,
// dropped or torn at random from `seed`).
struct UncleanRestart : Command {
  enum class Kind { kProcessCrash, kPowerFailure, kPowerFailureTorn };
  Kind kind = *rc::gen::element(Kind::kProcessCrash, Kind::kPowerFailure, Kind::kPowerFailureTorn);
  std::uint64_t seed = *rc::gen::arbitrary<std::uint64_t>();
  std::shared_ptr<int> outcome = std::make_shared<int>(-1);

  void apply(Model& m) const override {
    m.Resolve();
    for (auto& t : m.txn) t.reset();
    m.pending = outcome;
  }
  void run(const Model& model, Sut& sut) const override {
    Model m = model;
    m.Resolve();
    RC_ASSERT(JetTerm2(sut.inst, JET_bitTermAbrupt) == JET_errSuccess);
    if (kind != Kind::kProcessCrash) {
      auto policy = faultfs::CrashPolicy::Random(seed, kind == Kind::kPowerFailureTorn ? 300'000 : 0);
      sut.fs = sut.fs->CrashImage(policy);
    }
    JET_ERR err = sut.Start(false);
    if (err < 0) RC_FAIL(std::string("restart after crash: ") + JetErrorName(err) + ": " + jet::LastErrorDetail());
    Table table;
    RC_ASSERT(sut.ReadAll(0, &table) == JET_errSuccess);
    for (std::size_t i = m.history.size(); i-- > m.durable;) {
      if (m.history[i] == table) {
        *outcome = static_cast<int>(i);
        return;
      }
    }
    RC_FAIL("recovered table matches no commit prefix that includes every durable commit (durable index " +
            std::to_string(m.durable) + ", history " + std::to_string(m.history.size()) + ", recovered " +
            std::to_string(table.size()) + " records)");
  }
  void show(std::ostream& os) const override {
    const char* names[] = {"ProcessCrash", "PowerFailure", "PowerFailureTorn"};
    os << names[static_cast<int>(kind)] << "(seed " << seed << ")";
  }
};

RC_GTEST_PROP(EngineModelTest, MatchesModelAcrossCrashes, ()) {
  Model initial;
  Sut sut;
  rc::state::check(initial, sut,
                   rc::state::gen::execOneOfWithArgs<Write, Write, Write, Write, Retrieve, Scan, Begin, Begin, Commit,
                                                     Commit, Rollback, CleanRestart, UncleanRestart>());
}

}  // namespace
}  // namespace jet_test

#include "harness/core/workload.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>

#include "faultfs/prng.h"

namespace jetharness {

std::string TableName(int database, int table) {
  return database == 0 ? fmt::format("t{}", table) : fmt::format("d{}t{}", database, table);
}

std::string CreatedTableName(int database, int index) {
  return database == 0 ? fmt::format("n{}", index) : fmt::format("d{}n{}", database, index);
}

bool IsCreatedTableName(std::string_view name) {
  auto digits = [](std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
  };
  if (name.size() > 1 && name.front() == 'd') {
    const std::size_t n = name.find('n');
    return n != std::string_view::npos && digits(name.substr(1, n - 1)) && digits(name.substr(n + 1));
  }
  return name.size() > 1 && name.front() == 'n' && digits(name.substr(1));
}

const char* OpKindName(OpKind kind) {
  switch (kind) {
    case OpKind::kInsert: return "insert";
    case OpKind::kReplace: return "replace";
    case OpKind::kDelete: return "delete";
  }
  return "?";
}

const char* TxnEndName(TxnEnd end) {
  switch (end) {
    case TxnEnd::kCommitDurable: return "commit";
    case TxnEnd::kCommitLazy: return "commit-lazy";
    case TxnEnd::kRollback: return "rollback";
  }
  return "?";
}

const std::vector<WorkloadSize::Flag>& WorkloadSize::Flags() {
  static const std::vector<Flag> flags = {
      {"--txns", "transactions in every workload of a case", 1, &WorkloadSize::transactions},
      {"--keys", "distinct keys per table", 1, &WorkloadSize::keys},
      {"--value-bytes", "largest short value, in bytes", 0, &WorkloadSize::value_bytes},
      {"--databases", "databases per instance", 1, &WorkloadSize::databases},
      {"--sessions", "sessions open at the end: the workload's own plus one per transaction left in flight", 1,
       &WorkloadSize::sessions},
      {"--page-size", "database page size in bytes (4096, 8192, 16384 or 32768)", 4096, &WorkloadSize::page_size},
  };
  return flags;
}

bool WorkloadSize::empty() const { return ToFlags().empty(); }

std::string WorkloadSize::ToFlags() const {
  std::string out;
  for (const Flag& flag : Flags()) {
    if (this->*flag.field) out += fmt::format(" {} {}", flag.name, *(this->*flag.field));
  }
  return out;
}

bool WorkloadSize::Set(const std::string& name, std::uint64_t value) {
  for (const Flag& flag : Flags()) {
    if (name != flag.name) continue;
    if (value < flag.min || value > UINT32_MAX) return false;
    this->*flag.field = static_cast<std::uint32_t>(value);
    return true;
  }
  return false;
}

void WorkloadSize::ApplyTo(WorkloadConfig* config) const {
  if (transactions) config->transactions = static_cast<int>(*transactions);
  if (keys) config->key_space = static_cast<int>(*keys);
  if (value_bytes) config->max_value_bytes = static_cast<int>(*value_bytes);
  if (databases) config->databases = static_cast<int>(*databases);
  if (sessions) config->inflight_transactions = static_cast<int>(*sessions) - 1;
}

namespace {

Bytes RandomBytes(faultfs::SplitMix64& rng, std::size_t size) {
  Bytes out(size, '\0');
  for (char& c : out) c = static_cast<char>(rng.Uniform(256));
  return out;
}

// Keys are short printable strings with a binary tail now and then, so explanations
// stay readable while the engine still sees non-ASCII keys. With key_bytes the key is
// padded to that length; the zero-padded index keeps keys in index order either way.
Bytes KeyFor(faultfs::SplitMix64& rng, int index, int key_bytes) {
  Bytes key = fmt::format("k{:03}", index);
  if (index % 5 == 4) key.push_back(static_cast<char>(0x80 | rng.Uniform(128)));
  if (key_bytes > 0 && key.size() < static_cast<std::size_t>(key_bytes)) {
    key += RandomBytes(rng, static_cast<std::size_t>(key_bytes) - key.size());
  }
  return key;
}

using KeySet = std::map<std::string, std::set<Bytes>>;
using RecordSet = std::set<std::pair<std::string, Bytes>>;

// Draws the workload. Each transaction's operations are valid against the state the
// transactions committed before it leave, plus its own earlier operations (its view).
class Generator {
 public:
  explicit Generator(const WorkloadConfig& config) : config_(config), rng_(faultfs::SplitMix64::Mix(config.seed)) {}

  WorkloadSpec Generate() {
    WorkloadSpec spec;
    for (int d = 0; d < config_.databases; ++d) {
      DatabaseSpec db;
      db.file_name = fmt::format("db{}.edb", d);
      for (int t = 0; t < config_.tables_per_database; ++t) {
        db.tables.push_back(TableName(d, t));
        tables_.push_back(db.tables.back());
      }
      spec.databases.push_back(std::move(db));
    }
    // The key universe per table is fixed up front (the binary tails are seeded).
    for (int k = 0; k < config_.key_space; ++k) keys_.push_back(KeyFor(rng_, k, config_.key_bytes));
    Preload(&spec);
    int begin_after = config_.inflight_begin_after < 0 ? config_.transactions / 2
                                                       : std::min(config_.inflight_begin_after, config_.transactions);
    spec.inflight_begin_after = static_cast<std::size_t>(begin_after);
    for (int t = 0; t < begin_after; ++t) spec.transactions.push_back(MaybeFlushed(Transaction()));
    for (int t = 0; t < config_.inflight_transactions; ++t) spec.inflight.push_back(Inflight());
    for (int t = begin_after; t < config_.transactions; ++t) spec.transactions.push_back(MaybeFlushed(Transaction()));
    return spec;
  }

 private:
  Bytes Value() {
    std::size_t size;
    if (rng_.Chance(config_.long_value_per_million)) {
      if (config_.long_value_chunk > 0) {
        // n chunks - 1, n chunks (the chain ends exactly at a page boundary), n chunks + 1.
        std::size_t n = 1 + rng_.Uniform(3);
        size = n * config_.long_value_chunk + rng_.Uniform(3) - 1;
      } else {
        size = static_cast<std::size_t>(config_.long_value_bytes);
      }
    } else {
      size = rng_.Uniform(static_cast<std::uint64_t>(config_.max_value_bytes) + 1);
    }
    return RandomBytes(rng_, size);
  }

  // A write of (table, key) valid against view: insert when absent, else replace or
  // delete. Updates view.
  SpecOp Write(const std::string& table, const Bytes& key, KeySet& view) {
    SpecOp op;
    op.table = table;
    op.key = key;
    if (view[table].count(key) == 0) {
      op.kind = OpKind::kInsert;
    } else {
      op.kind = rng_.Chance(300'000) ? OpKind::kDelete : OpKind::kReplace;
    }
    if (op.kind == OpKind::kDelete) {
      view[table].erase(key);
    } else {
      op.value = Value();
      view[table].insert(key);
    }
    return op;
  }

  // Up to `count` writes to random records outside `taken` (each record once; the
  // records written join `taken`).
  void RandomWrites(int count, KeySet& view, RecordSet& taken, std::vector<SpecOp>* ops) {
    for (int o = 0; o < count; ++o) {
      const std::string& table = tables_[rng_.Uniform(tables_.size())];
      const Bytes& key = keys_[rng_.Uniform(keys_.size())];
      if (held_.count({table, key}) != 0 || !taken.insert({table, key}).second) continue;
      ops->push_back(Write(table, key, view));
    }
  }

  // With even odds, one more write to a record of ops[begin, end) (records the
  // transaction already wrote): its undo — a rollback, a savepoint's rollback, recovery's
  // undo of a transaction left open — must bring back the value from before the write it
  // undoes, which is not the committed one when the record was written earlier in the
  // transaction.
  void MaybeRewrite(std::size_t begin, std::size_t end, KeySet& view, std::vector<SpecOp>* ops) {
    if (end <= begin || !rng_.Chance(500'000)) return;
    const SpecOp& again = (*ops)[begin + rng_.Uniform(end - begin)];
    const std::string table = again.table;
    const Bytes key = again.key;
    ops->push_back(Write(table, key, view));
  }

  int OpCount() {
    return 1 + static_cast<int>(rng_.Uniform(static_cast<std::uint64_t>(config_.max_ops_per_transaction)));
  }

  TxnEnd End() {
    if (rng_.Chance(config_.rollback_per_million)) return TxnEnd::kRollback;
    return rng_.Chance(config_.lazy_per_million) ? TxnEnd::kCommitLazy : TxnEnd::kCommitDurable;
  }

  // A commit of ops: the committed state changes by every write outside the range
  // [skip_begin, skip_end) that a savepoint's rollback undid.
  void Apply(const std::vector<SpecOp>& ops, std::size_t skip_begin = 0, std::size_t skip_end = 0) {
    for (std::size_t i = 0; i < ops.size(); ++i) {
      if (i >= skip_begin && i < skip_end) continue;
      const SpecOp& op = ops[i];
      if (op.kind == OpKind::kDelete) {
        present_[op.table].erase(op.key);
      } else {
        present_[op.table].insert(op.key);
      }
    }
  }

  void Preload(WorkloadSpec* spec) {
    const int records = std::min(config_.preload_records, config_.key_space * static_cast<int>(tables_.size()));
    const std::size_t per_table = (static_cast<std::size_t>(records) + tables_.size() - 1) / tables_.size();
    for (int r = 0; r < records; ++r) {
      // Record r goes to table r mod T, at keys spread evenly over the key space.
      const std::string& table = tables_[static_cast<std::size_t>(r) % tables_.size()];
      const std::size_t slot = static_cast<std::size_t>(r) / tables_.size();
      const Bytes& key = keys_[slot * keys_.size() / per_table];
      if (spec->preload.empty() || spec->preload.back().ops.size() == 100) spec->preload.emplace_back();
      SpecOp op{OpKind::kInsert, table, key,
                RandomBytes(rng_, rng_.Uniform(static_cast<std::uint64_t>(config_.max_value_bytes) + 1))};
      spec->preload.back().ops.push_back(std::move(op));
      present_[table].insert(key);
    }
  }

  // Maybe (create_table_per_million) makes txn create a table of its own first and
  // insert 1 to 3 records into it.
  void MaybeCreateTable(TxnSpec* txn) {
    if (config_.create_table_per_million == 0 || !rng_.Chance(config_.create_table_per_million)) return;
    txn->created_table_db = static_cast<int>(rng_.Uniform(static_cast<std::uint64_t>(config_.databases)));
    txn->created_table = CreatedTableName(txn->created_table_db, created_tables_++);
    const std::size_t inserts = 1 + rng_.Uniform(3);
    const std::size_t first = rng_.Uniform(keys_.size());
    for (std::size_t i = 0; i < inserts && i < keys_.size(); ++i) {
      txn->ops.push_back(SpecOp{OpKind::kInsert, txn->created_table, keys_[(first + i) % keys_.size()], Value()});
    }
  }

  TxnSpec Inflight() {
    TxnSpec txn;
    KeySet view = present_;
    RecordSet taken;
    MaybeCreateTable(&txn);
    // The new table's inserts are not rewritten: view does not know its records.
    const std::size_t created_inserts = txn.ops.size();
    RandomWrites(OpCount(), view, taken, &txn.ops);
    MaybeRewrite(created_inserts, txn.ops.size(), view, &txn.ops);
    // Later transactions leave these records alone: touching one would be a write
    // conflict, which is not what an in-flight transaction is for.
    for (const SpecOp& op : txn.ops) held_.insert({op.table, op.key});
    return txn;
  }

  // A lazily committed transaction (its own or its probe's commit) may be followed by a
  // flush of the log (TxnSpec::flush_after).
  TxnSpec MaybeFlushed(TxnSpec txn) {
    const bool lazy = txn.end == TxnEnd::kCommitLazy || (txn.probe && txn.probe->end == TxnEnd::kCommitLazy);
    txn.flush_after = lazy && config_.flush_per_million != 0 && rng_.Chance(config_.flush_per_million);
    return txn;
  }

  TxnSpec Transaction() {
    if (rng_.Chance(config_.range_delete_per_million)) {
      if (std::optional<TxnSpec> txn = Run(OpKind::kDelete)) return *txn;
    }
    if (rng_.Chance(config_.range_insert_per_million)) {
      if (std::optional<TxnSpec> txn = Run(OpKind::kInsert)) return *txn;
    }
    TxnSpec txn;
    KeySet view = present_;
    RecordSet taken;
    const int ops = OpCount();
    MaybeCreateTable(&txn);
    if (!txn.created_table.empty()) {
      // A plain transaction otherwise: no rewrite (the new table's records stay).
      RandomWrites(ops, view, taken, &txn.ops);
    } else if (rng_.Chance(config_.savepoint_per_million) && ops >= 2) {
      // before | nested | after. A nested part that is rolled back leaves no trace in
      // the view; one that commits joins the outer transaction. Either way its records
      // are not written again (their undo is at stake). The nested part may write a
      // record the part before it wrote: the savepoint's rollback must bring back that
      // value, not the committed one.
      txn.savepoint_commits = config_.savepoint_commit_per_million != 0 &&
                              rng_.Chance(config_.savepoint_commit_per_million);
      int before = static_cast<int>(rng_.Uniform(static_cast<std::uint64_t>(ops)));
      RandomWrites(before, view, taken, &txn.ops);
      txn.savepoint_begin = txn.ops.size();
      KeySet nested = view;
      MaybeRewrite(0, txn.savepoint_begin, nested, &txn.ops);
      RandomWrites(std::max(1, ops - before), nested, taken, &txn.ops);
      txn.savepoint_end = txn.ops.size();
      if (txn.savepoint_commits) view = std::move(nested);
      RandomWrites(1 + static_cast<int>(rng_.Uniform(3)), view, taken, &txn.ops);
    } else if (rng_.Chance(config_.probe_per_million)) {
      RandomWrites(std::max(1, ops / 2), view, taken, &txn.ops);
      ProbeSpec probe;
      probe.after_ops = txn.ops.size();
      KeySet committed = present_;
      for (const SpecOp& op : txn.ops) {
        if (rng_.Chance(500'000) || probe.contested.empty())
          probe.contested.push_back(Write(op.table, op.key, committed));
      }
      KeySet probe_view = present_;
      RecordSet probe_taken = taken;
      RandomWrites(OpCount(), probe_view, probe_taken, &probe.ops);
      // The owner's later writes stay off the probe's records.
      for (const SpecOp& op : probe.ops) taken.insert({op.table, op.key});
      RandomWrites(ops - static_cast<int>(txn.ops.size()), view, taken, &txn.ops);
      probe.end = End();
      probe.ends_before_owner = rng_.Chance(500'000);
      txn.end = End();
      // Commits apply in the order they are issued; the two touch disjoint records.
      if (probe.ends_before_owner && probe.end != TxnEnd::kRollback) Apply(probe.ops);
      if (txn.end != TxnEnd::kRollback) Apply(txn.ops);
      if (!probe.ends_before_owner && probe.end != TxnEnd::kRollback) Apply(probe.ops);
      txn.probe = std::move(probe);
      return txn;
    } else {
      RandomWrites(ops, view, taken, &txn.ops);
      MaybeRewrite(0, txn.ops.size(), view, &txn.ops);
    }
    // A committed nested level's writes must be undone with the outer transaction: half
    // of those transactions roll back (End() alone rarely would).
    txn.end = txn.savepoint_commits && rng_.Chance(500'000) ? TxnEnd::kRollback : End();
    if (txn.end != TxnEnd::kRollback) Apply(txn.ops, txn.undone_begin(), txn.undone_end());
    return txn;
  }

  // Deletes a run of consecutive present records of one table, or inserts a run of
  // consecutive absent ones (nullopt when the table has none there).
  std::optional<TxnSpec> Run(OpKind kind) {
    const std::string& table = tables_[rng_.Uniform(tables_.size())];
    std::size_t k = rng_.Uniform(keys_.size());
    TxnSpec txn;
    for (; k < keys_.size() && txn.ops.size() < static_cast<std::size_t>(config_.range_delete_keys); ++k) {
      const bool present = present_[table].count(keys_[k]) != 0;
      if (present != (kind == OpKind::kDelete) || held_.count({table, keys_[k]}) != 0) continue;
      txn.ops.push_back(SpecOp{kind, table, keys_[k], kind == OpKind::kInsert ? Value() : Bytes{}});
    }
    if (txn.ops.empty()) return std::nullopt;
    txn.end = End();
    if (txn.end != TxnEnd::kRollback) Apply(txn.ops);
    return txn;
  }

  const WorkloadConfig& config_;
  faultfs::SplitMix64 rng_;
  std::vector<std::string> tables_;
  std::vector<Bytes> keys_;
  KeySet present_;          // the committed state's keys
  RecordSet held_;          // records in-flight transactions hold
  int created_tables_ = 0;  // tables created by transactions so far (CreatedTableName)
};

}  // namespace

WorkloadSpec GenerateWorkload(const WorkloadConfig& config) { return Generator(config).Generate(); }

DbState PreloadState(const WorkloadSpec& spec) {
  DbState state;
  for (const TxnSpec& txn : spec.preload) {
    for (const SpecOp& op : txn.ops) state[op.table][op.key] = op.value;
  }
  return state;
}

}  // namespace jetharness

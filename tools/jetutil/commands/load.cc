// jetutil load — stores `table<TAB>key-hex<TAB>value-hex` lines from stdin, one
// durable transaction per --txn-size lines. A later line with the same table and key
// replaces the earlier value; missing tables are created. The whole input is parsed
// before the engine starts, so a malformed line (exit 2) changes nothing.
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <map>
#include <memory>
#include <string>

#include <fmt/core.h>

#include "commands.h"
#include "instance.h"
#include "record_lines.h"

namespace jetutil {

namespace {

struct LoadOptions {
  std::string system_path;
  std::string log_path;
  std::string db;
  bool create = false;
  std::size_t txn_size = 1000;
  bool no_term = false;
  bool circular_log = false;
};

// Table handles by name, opening or creating each table on first use. Tables are
// created before the transaction that first writes to them (schema changes are kept
// outside user transactions).
class TableCache {
 public:
  TableCache(JET_SESID sesid, JET_DBID dbid) : sesid_(sesid), dbid_(dbid) {}
  ~TableCache() {
    for (const auto& [name, tableid] : tables_) JetCloseTable(sesid_, tableid);
  }
  JET_TABLEID Get(const std::string& name) {
    if (auto it = tables_.find(name); it != tables_.end()) return it->second;
    JET_TABLEID tableid = JET_tableidNil;
    JET_ERR err = JetOpenTable(sesid_, dbid_, name.c_str(), nullptr, 0, 0, &tableid);
    if (err == JET_errObjectNotFound) err = JetCreateTable(sesid_, dbid_, name.c_str(), 0, 100, &tableid);
    CheckJet(err, "opening table " + name);
    tables_.emplace(name, tableid);
    return tableid;
  }

 private:
  JET_SESID sesid_;
  JET_DBID dbid_;
  std::map<std::string, JET_TABLEID> tables_;
};

void Store(JET_SESID sesid, JET_TABLEID tableid, const RecordLine& record) {
  const auto key_size = static_cast<unsigned long>(record.key.size());
  const auto value_size = static_cast<unsigned long>(record.value.size());
  JET_ERR err = JetInsertRecord(sesid, tableid, record.key.data(), key_size, record.value.data(), value_size);
  if (err == JET_errKeyDuplicate) {
    err = JetReplaceRecord(sesid, tableid, record.key.data(), key_size, record.value.data(), value_size);
  }
  CheckJet(err, "storing a record in table " + record.table);
}

void RunLoad(const LoadOptions& options, const GlobalOptions& globals) {
  const std::vector<RecordLine> records = ReadRecordLines(std::cin);
  Instance instance(MakeInstanceConfig(globals, options.system_path, options.log_path, options.circular_log));
  instance.Init();
  {
    Session session(instance);
    const std::string db = std::filesystem::absolute(options.db).lexically_normal().string();
    JET_DBID dbid = JET_dbidNil;
    if (options.create) {
      CheckJet(JetCreateDatabase(session.id(), db.c_str(), nullptr, &dbid, 0), "creating " + db);
    } else {
      CheckJet(JetAttachDatabase(session.id(), db.c_str(), 0), "attaching " + db);
      CheckJet(JetOpenDatabase(session.id(), db.c_str(), nullptr, &dbid, 0), "opening " + db);
    }
    TableCache tables(session.id(), dbid);
    for (std::size_t begin = 0; begin < records.size(); begin += options.txn_size) {
      const std::size_t end = std::min(records.size(), begin + options.txn_size);
      for (std::size_t i = begin; i < end; ++i) tables.Get(records[i].table);
      CheckJet(JetBeginTransaction(session.id()), "JetBeginTransaction");
      for (std::size_t i = begin; i < end; ++i) Store(session.id(), tables.Get(records[i].table), records[i]);
      CheckJet(JetCommitTransaction(session.id(), 0), fmt::format("committing lines {}-{}", begin + 1, end));
    }
    if (options.no_term) {
      // Leave the files exactly as a process killed after its last commit would.
      std::fflush(nullptr);
      instance.TermAbrupt();
      _exit(kExitOk);
    }
  }
  instance.Term();
  const Json result = {{"records", records.size()}, {"db", options.db}};
  PrintResult(globals, result, fmt::format("loaded {} records into {}\n", records.size(), options.db));
}

}  // namespace

Command AddLoadCommand(CLI::App& app, const GlobalOptions& globals) {
  auto options = std::make_shared<LoadOptions>();
  CLI::App* sub = app.add_subcommand("load", "Store table<TAB>key-hex<TAB>value-hex lines from stdin");
  sub->add_option("--system-path", options->system_path, "Checkpoint directory")->required();
  sub->add_option("--log-path", options->log_path, "Log directory")->required();
  sub->add_option("--db", options->db, "Database file")->required();
  sub->add_flag("--create", options->create, "Create the database (fails if it exists)");
  sub->add_option("--txn-size", options->txn_size, "Lines per durable transaction")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  sub->add_flag("--no-term", options->no_term, "Exit without a clean shutdown (as if the process crashed)");
  sub->add_flag("--circular-log", options->circular_log, "Circular logging (JET_paramCircularLog)");
  return {sub, [options, &globals] { RunLoad(*options, globals); }};
}

}  // namespace jetutil

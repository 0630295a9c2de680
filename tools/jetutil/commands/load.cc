// jetutil load — stores `table<TAB>key-hex<TAB>value-hex` lines from stdin, one
// durable transaction per --txn-size lines. A later line with the same table and key
// replaces the earlier value; missing tables are created. The whole input is checked
// before the engine starts, so a malformed line (exit 2) changes nothing, yet it is
// never held in memory: a regular file is read twice, any other input (a pipe) is
// spooled to an unnamed temporary file while it is checked. Memory holds one
// transaction's lines at most.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

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

// Lines of a FILE*, one at a time (getline(3): memory bounded by the longest line).
class LineReader {
 public:
  explicit LineReader(std::FILE* file) : file_(file) {}
  ~LineReader() { std::free(buffer_); }
  LineReader(const LineReader&) = delete;
  LineReader& operator=(const LineReader&) = delete;
  // False at end of input.
  bool Next(std::string_view* line) {
    const ssize_t n = getline(&buffer_, &capacity_, file_);
    if (n < 0) {
      if (std::ferror(file_)) throw JetFailure(JET_errDiskIO, "reading stdin");
      return false;
    }
    *line = std::string_view(buffer_, static_cast<std::size_t>(n));
    if (!line->empty() && line->back() == '\n') line->remove_suffix(1);
    ++number_;
    return true;
  }
  std::size_t number() const { return number_; }

 private:
  std::FILE* file_;
  char* buffer_ = nullptr;
  std::size_t capacity_ = 0;
  std::size_t number_ = 0;
};

struct FileCloser {
  void operator()(std::FILE* f) const { std::fclose(f); }
};

// Checks every line of stdin and returns a stream positioned at its first line to
// read them again: stdin itself when it is a regular file, else a spool copy.
std::unique_ptr<std::FILE, FileCloser> CheckInput(std::size_t* lines) {
  struct stat st {};
  const bool seekable = fstat(STDIN_FILENO, &st) == 0 && S_ISREG(st.st_mode);
  std::unique_ptr<std::FILE, FileCloser> spool;
  if (!seekable) {
    spool.reset(std::tmpfile());
    if (!spool) throw JetFailure(JET_errDiskIO, "creating a temporary file to spool stdin");
  }
  LineReader reader(stdin);
  std::string_view line;
  while (reader.Next(&line)) {
    (void)ParseRecordLine(line, reader.number());
    if (spool && (std::fwrite(line.data(), 1, line.size(), spool.get()) != line.size() ||
                  std::fputc('\n', spool.get()) == EOF)) {
      throw JetFailure(JET_errDiskFull, "spooling stdin to a temporary file");
    }
  }
  *lines = reader.number();
  std::FILE* again = spool ? spool.get() : stdin;
  if (std::fflush(again) != 0 && spool) throw JetFailure(JET_errDiskFull, "spooling stdin to a temporary file");
  if (std::fseek(again, 0, SEEK_SET) != 0) throw JetFailure(JET_errDiskIO, "rewinding stdin");
  if (spool) return spool;
  return std::unique_ptr<std::FILE, FileCloser>(fdopen(dup(STDIN_FILENO), "r"));
}

void RunLoad(const LoadOptions& options, const GlobalOptions& globals) {
  std::size_t total = 0;
  std::unique_ptr<std::FILE, FileCloser> input = CheckInput(&total);
  if (!input) throw JetFailure(JET_errDiskIO, "reopening stdin");
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
    LineReader reader(input.get());
    std::vector<RecordLine> batch;
    batch.reserve(std::min<std::size_t>(options.txn_size, 1 << 16));
    for (bool more = true; more;) {
      batch.clear();
      std::string_view line;
      while (batch.size() < options.txn_size && (more = reader.Next(&line))) {
        batch.push_back(ParseRecordLine(line, reader.number()));
      }
      if (batch.empty()) break;
      for (const RecordLine& record : batch) tables.Get(record.table);
      CheckJet(JetBeginTransaction(session.id()), "JetBeginTransaction");
      for (const RecordLine& record : batch) Store(session.id(), tables.Get(record.table), record);
      CheckJet(JetCommitTransaction(session.id(), 0),
               fmt::format("committing lines {}-{}", reader.number() - batch.size() + 1, reader.number()));
      // -v: each acknowledged commit, for a caller judging what a crash may lose.
      if (globals.verbose) {
        std::fprintf(stderr, "load: committed lines %zu-%zu\n", reader.number() - batch.size() + 1, reader.number());
      }
    }
    if (options.no_term) {
      // Leave the files exactly as a process killed after its last commit would.
      std::fflush(nullptr);
      instance.TermAbrupt();
      _exit(kExitOk);
    }
  }
  instance.Term();
  const Json result = {{"records", total}, {"db", options.db}};
  PrintResult(globals, result, fmt::format("loaded {} records into {}\n", total, options.db));
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

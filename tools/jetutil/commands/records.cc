// jetutil records — the logical content of a database: one line per record,
// table<TAB>key-hex<TAB>value-hex, sorted by table then key.
//
// How the file is read without touching the caller's instance or logs: jetutil makes
// a private temporary directory, starts an instance whose system and log paths are
// that directory (so its checkpoint and fresh log generation land there, not beside
// the database), attaches the database with JET_bitDbReadOnly (the engine then writes
// nothing to the file), scans every table through the cursor API, detaches, shuts
// down and deletes the directory. The instance's page size is taken from the
// database header. A database that was not shut down cleanly cannot be attached
// read-only (JET_errDatabaseDirtyShutdown): run `jetutil recover` first.
#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <fmt/core.h>

#include "commands.h"
#include "file_io.h"
#include "format/db_header.h"
#include "instance.h"
#include "jetfault/hex.h"
#include "record_lines.h"

namespace jetutil {

namespace {

namespace fs = std::filesystem;

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it.
class TempDir {
 public:
  TempDir() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern = fmt::format("{}/jetutil-records-XXXXXX", tmp != nullptr && *tmp != '\0' ? tmp : "/tmp");
    if (mkdtemp(pattern.data()) == nullptr) throw JetFailure(JET_errInvalidPath, "cannot create " + pattern);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::uint32_t DatabasePageSize(const std::string& path) {
  const std::vector<std::uint8_t> bytes = ReadWholeFile(path);
  jet::format::DbHeader header;
  CheckJet(jet::format::DecodeDbFileHeader(bytes, &header), path + ": database header");
  return header.page_size;
}

std::vector<std::string> TableNames(JET_SESID sesid, JET_DBID dbid) {
  std::vector<char> buffer(4096);
  unsigned long actual = 0;
  JET_ERR err = JetGetTableNames(sesid, dbid, buffer.data(), static_cast<unsigned long>(buffer.size()), &actual);
  if (err == JET_errBufferTooSmall) {
    buffer.resize(actual);
    err = JetGetTableNames(sesid, dbid, buffer.data(), static_cast<unsigned long>(buffer.size()), &actual);
  }
  CheckJet(err, "JetGetTableNames");
  std::vector<std::string> names;
  for (std::size_t begin = 0; begin < actual;) {
    const std::string name(buffer.data() + begin);
    if (name.empty()) break;
    names.push_back(name);
    begin += name.size() + 1;
  }
  return names;
}

void ScanTable(JET_SESID sesid, JET_DBID dbid, const std::string& table, std::vector<RecordLine>* out) {
  JET_TABLEID tableid = JET_tableidNil;
  CheckJet(JetOpenTable(sesid, dbid, table.c_str(), nullptr, 0, 0, &tableid), "opening table " + table);
  std::vector<std::uint8_t> value(4096);
  for (JET_ERR err = JetMove(sesid, tableid, JET_MoveFirst, 0); err != JET_errNoCurrentRecord;
       err = JetMove(sesid, tableid, JET_MoveNext, 0)) {
    CheckJet(err, "scanning table " + table);
    RecordLine record{table, std::vector<std::uint8_t>(JET_cbKeyMost), {}};
    unsigned long key_size = 0;
    CheckJet(JetRetrieveKey(sesid, tableid, record.key.data(), JET_cbKeyMost, &key_size, 0), "JetRetrieveKey");
    record.key.resize(key_size);
    unsigned long value_size = 0;
    JET_ERR value_err = JetRetrieveCurrentValue(sesid, tableid, value.data(), static_cast<unsigned long>(value.size()),
                                                &value_size);
    if (value_err == JET_errBufferTooSmall) {
      value.resize(value_size);
      value_err = JetRetrieveCurrentValue(sesid, tableid, value.data(), static_cast<unsigned long>(value.size()),
                                          &value_size);
    }
    CheckJet(value_err, "JetRetrieveCurrentValue in table " + table);
    record.value.assign(value.begin(), value.begin() + static_cast<std::ptrdiff_t>(value_size));
    out->push_back(std::move(record));
  }
  CheckJet(JetCloseTable(sesid, tableid), "JetCloseTable");
}

void RunRecords(const std::string& file, const GlobalOptions& globals) {
  const std::string path = fs::absolute(file).lexically_normal().string();
  GlobalOptions private_options = globals;
  private_options.page_size = DatabasePageSize(path);
  const TempDir scratch;
  std::vector<RecordLine> records;
  {
    Instance instance(MakeInstanceConfig(private_options, scratch.path(), scratch.path(), false));
    instance.Init();
    {
      Session session(instance);
      CheckJet(JetAttachDatabase(session.id(), path.c_str(), JET_bitDbReadOnly), "attaching " + path + " read-only");
      JET_DBID dbid = JET_dbidNil;
      CheckJet(JetOpenDatabase(session.id(), path.c_str(), nullptr, &dbid, JET_bitDbReadOnly), "opening " + path);
      for (const std::string& table : TableNames(session.id(), dbid)) ScanTable(session.id(), dbid, table, &records);
      CheckJet(JetCloseDatabase(session.id(), dbid, 0), "JetCloseDatabase");
      CheckJet(JetDetachDatabase(session.id(), path.c_str()), "detaching " + path);
    }
    instance.Term();
  }
  SortRecords(&records);
  Json json = Json::array();
  std::string text;
  for (const RecordLine& r : records) {
    text += FormatRecordLine(r);
    json.push_back(
        Json{{"table", r.table}, {"key", jetfault::HexEncode(r.key)}, {"value", jetfault::HexEncode(r.value)}});
  }
  PrintResult(globals, Json{{"file", file}, {"records", json}}, text);
}

}  // namespace

Command AddRecordsCommand(CLI::App& app, const GlobalOptions& globals) {
  auto path = std::make_shared<std::string>();
  CLI::App* sub = app.add_subcommand("records", "Print every record: table<TAB>key-hex<TAB>value-hex, sorted");
  sub->add_option("FILE", *path, "Database file (cleanly shut down)")->required();
  return {sub, [path, &globals] { RunRecords(*path, globals); }};
}

}  // namespace jetutil

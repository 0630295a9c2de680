// Public API: sessions, transactions, databases and tables (jet/jet.h).
#include <cstring>
#include <string>

#include "core/api_guard.h"
#include "core/transactions.h"
#include "db/catalog.h"

using jet::core::ApiGuard;
using jet::core::AttachedDb;
using jet::core::Cursor;
using jet::core::InstanceRuntime;
using jet::core::Session;
using jet::core::WithSession;
using State = InstanceRuntime::State;

namespace {

AttachedDb* DbByPath(State& st, const std::string& path) {
  for (auto& entry : st.dbs) {
    if (entry.second.info.path == path) return &entry.second;
  }
  return nullptr;
}

// The attached database behind an open database handle of the session, and whether
// updates through it are refused (attached or opened read-only).
struct OpenedDb {
  AttachedDb* adb = nullptr;
  bool read_only = false;
};
JET_ERR OpenDb(State& st, Session& s, JET_DBID dbid, OpenedDb* out) {
  auto it = st.dbs.find(dbid);
  auto open = s.open_dbs.find(dbid);
  if (it == st.dbs.end() || open == s.open_dbs.end()) return JET_errInvalidDatabaseId;
  out->adb = &it->second;
  out->read_only = it->second.read_only || open->second;
  return JET_errSuccess;
}

JET_ERR OpenCursor(Session& s, std::uint32_t dbid, const jet::db::TableInfo& table, bool read_only,
                   JET_TABLEID* ptableid) {
  if (ptableid == nullptr) return JET_errInvalidParameter;
  Cursor c;
  c.dbid = dbid;
  c.table = table;
  c.read_only = read_only;
  JET_TABLEID id = jet::core::NewTableId();
  s.cursors[id] = std::move(c);
  *ptableid = id;
  return JET_errSuccess;
}

bool ValidTableName(JET_PCSTR name) {
  if (name == nullptr) return false;
  std::size_t n = std::strlen(name);
  return n > 0 && n <= jet::db::kTableNameMost;
}

// What a call on a table by name checks first: the name is one a table may have, and
// the database is open in the session.
JET_ERR OpenDbForTable(State& st, Session& s, JET_DBID dbid, JET_PCSTR name, OpenedDb* out) {
  if (!ValidTableName(name)) return JET_errInvalidName;
  return OpenDb(st, s, dbid, out);
}

}  // namespace

JET_ERR JetBeginSession(JET_INSTANCE instance, JET_SESID* psesid, JET_PCSTR, JET_PCSTR) {
  return ApiGuard([&]() -> JET_ERR {
    if (psesid == nullptr) return JET_errInvalidParameter;
    InstanceRuntime* rt = nullptr;
    JET_ERR err = InstanceRuntime::ResolveRunningInstance(instance, &rt);
    if (err < 0) return err;
    JET_SESID id = jet::core::RegisterSession(rt);
    std::lock_guard lock(rt->mutex());
    // Running between a restore's recovery and its clean shutdown: not for sessions.
    if (rt->restoring()) return JET_errRestoreInProgress;
    if (!rt->state().running) return JET_errNotInitialized;
    Session s;
    s.id = id;
    rt->state().sessions[id] = std::move(s);
    *psesid = id;
    return JET_errSuccess;
  });
}

JET_ERR JetEndSession(JET_SESID sesid, JET_GRBIT) {
  JET_ERR err = WithSession(sesid, [&](InstanceRuntime&, State& st, Session& s) -> JET_ERR {
    JET_ERR rollback = jet::core::AbandonTransaction(st, s);
    st.sessions.erase(s.id);  // s is gone after this line
    return rollback;
  });
  if (err != JET_errInvalidSesid) jet::core::UnregisterSession(sesid);
  return err;
}

JET_ERR JetBeginTransaction(JET_SESID sesid) {
  return WithSession(sesid,
                     [&](InstanceRuntime&, State& st, Session& s) { return jet::core::BeginTransaction(st, s); });
}

JET_ERR JetCommitTransaction(JET_SESID sesid, JET_GRBIT grbit) {
  return WithSession(
      sesid, [&](InstanceRuntime&, State& st, Session& s) { return jet::core::CommitTransaction(st, s, grbit); });
}

JET_ERR JetRollback(JET_SESID sesid, JET_GRBIT) {
  return WithSession(sesid,
                     [&](InstanceRuntime&, State& st, Session& s) { return jet::core::RollbackTransaction(st, s); });
}

JET_ERR JetCreateDatabase(JET_SESID sesid, JET_PCSTR szFilename, JET_PCSTR, JET_DBID* pdbid, JET_GRBIT grbit) {
  return WithSession(sesid, [&](InstanceRuntime& rt, State&, Session& s) -> JET_ERR {
    if (szFilename == nullptr || *szFilename == '\0') return JET_errDatabaseInvalidName;
    if (pdbid == nullptr) return JET_errInvalidParameter;
    if ((grbit & ~JET_bitDbOverwriteExisting) != 0) return JET_errInvalidGrbit;
    std::uint32_t dbid = 0;
    JET_ERR err = jet::core::CreateDatabase(rt, szFilename, (grbit & JET_bitDbOverwriteExisting) != 0, &dbid);
    if (err < 0) return err;
    s.open_dbs[dbid] = false;
    *pdbid = dbid;
    return JET_errSuccess;
  });
}

JET_ERR JetAttachDatabase(JET_SESID sesid, JET_PCSTR szFilename, JET_GRBIT grbit) {
  return WithSession(sesid, [&](InstanceRuntime& rt, State&, Session&) -> JET_ERR {
    if (szFilename == nullptr || *szFilename == '\0') return JET_errDatabaseInvalidName;
    if ((grbit & ~JET_bitDbReadOnly) != 0) return JET_errInvalidGrbit;
    std::uint32_t dbid = 0;
    return jet::core::AttachDatabase(rt, szFilename, (grbit & JET_bitDbReadOnly) != 0, &dbid);
  });
}

JET_ERR JetDetachDatabase(JET_SESID sesid, JET_PCSTR szFilename) {
  return WithSession(sesid, [&](InstanceRuntime& rt, State& st, Session& s) -> JET_ERR {
    std::vector<std::uint32_t> targets;
    if (szFilename == nullptr || *szFilename == '\0') {
      for (const auto& entry : st.dbs) targets.push_back(entry.first);
    } else {
      AttachedDb* adb = DbByPath(st, szFilename);
      if (adb == nullptr) return JET_errDatabaseNotFound;
      targets.push_back(adb->info.dbid);
    }
    for (std::uint32_t dbid : targets) {
      if (s.txn) return JET_errInTransaction;
      for (const auto& [id, cursor] : s.cursors) {
        if (cursor.dbid == dbid) return JET_errDatabaseInUse;
      }
      s.open_dbs.erase(dbid);  // the caller's own open handle closes with the detach
      if (JET_ERR err = jet::core::DetachDatabase(rt, dbid); err < 0) return err;
    }
    return JET_errSuccess;
  });
}

JET_ERR JetOpenDatabase(JET_SESID sesid, JET_PCSTR szFilename, JET_PCSTR, JET_DBID* pdbid, JET_GRBIT grbit) {
  return WithSession(sesid, [&](InstanceRuntime&, State& st, Session& s) -> JET_ERR {
    if (szFilename == nullptr || pdbid == nullptr) return JET_errInvalidParameter;
    if ((grbit & ~JET_bitDbReadOnly) != 0) return JET_errInvalidGrbit;
    AttachedDb* adb = DbByPath(st, szFilename);
    if (adb == nullptr) return JET_errDatabaseNotFound;
    // The latest open of the session decides whether its handle is read-only.
    s.open_dbs[adb->info.dbid] = (grbit & JET_bitDbReadOnly) != 0;
    *pdbid = adb->info.dbid;
    return JET_errSuccess;
  });
}

JET_ERR JetCloseDatabase(JET_SESID sesid, JET_DBID dbid, JET_GRBIT) {
  return WithSession(sesid, [&](InstanceRuntime&, State&, Session& s) -> JET_ERR {
    if (s.open_dbs.erase(dbid) == 0) return JET_errInvalidDatabaseId;
    for (auto it = s.cursors.begin(); it != s.cursors.end();) {
      it = it->second.dbid == dbid ? s.cursors.erase(it) : std::next(it);
    }
    return JET_errSuccess;
  });
}

JET_ERR JetCreateTable(JET_SESID sesid, JET_DBID dbid, JET_PCSTR szTableName, unsigned long, unsigned long,
                       JET_TABLEID* ptableid) {
  return WithSession(sesid, [&](InstanceRuntime&, State& st, Session& s) -> JET_ERR {
    OpenedDb db;
    JET_ERR err = OpenDbForTable(st, s, dbid, szTableName, &db);
    if (err < 0) return err;
    if (db.read_only) return JET_errPermissionDenied;
    jet::db::TableInfo info;
    if ((err = jet::core::CreateTable(st, s, *db.adb, szTableName, &info)) < 0) return err;
    return OpenCursor(s, dbid, info, false, ptableid);
  });
}

JET_ERR JetOpenTable(JET_SESID sesid, JET_DBID dbid, JET_PCSTR szTableName, const void*, unsigned long, JET_GRBIT,
                     JET_TABLEID* ptableid) {
  return WithSession(sesid, [&](InstanceRuntime&, State& st, Session& s) -> JET_ERR {
    OpenedDb db;
    JET_ERR err = OpenDbForTable(st, s, dbid, szTableName, &db);
    if (err < 0) return err;
    jet::db::TableInfo info;
    bool found = false;
    if ((err = jet::db::LookupTable(*db.adb->db, szTableName, &info, &found)) < 0) return err;
    if (!found || !jet::core::TableVisible(st, s, dbid, szTableName)) return JET_errObjectNotFound;
    db.adb->roots[info.objid] = info.root;
    return OpenCursor(s, dbid, info, db.read_only, ptableid);
  });
}

JET_ERR JetCloseTable(JET_SESID sesid, JET_TABLEID tableid) {
  return WithSession(sesid, [&](InstanceRuntime&, State&, Session& s) -> JET_ERR {
    return s.cursors.erase(tableid) == 0 ? JET_errInvalidTableId : JET_errSuccess;
  });
}

JET_ERR JetGetTableNames(JET_SESID sesid, JET_DBID dbid, char* buffer, unsigned long cbBuffer,
                         unsigned long* pcbActual) {
  return WithSession(sesid, [&](InstanceRuntime&, State& st, Session& s) -> JET_ERR {
    OpenedDb db;
    JET_ERR err = OpenDb(st, s, dbid, &db);
    if (err < 0) return err;
    std::vector<std::string> names;
    if ((err = jet::db::ListTables(*db.adb->db, &names)) < 0) return err;
    std::string packed;
    for (const std::string& name : names) {
      if (!jet::core::TableVisible(st, s, dbid, name)) continue;
      packed += name;
      packed.push_back('\0');
    }
    if (pcbActual != nullptr) *pcbActual = static_cast<unsigned long>(packed.size());
    if (packed.size() > cbBuffer || (buffer == nullptr && !packed.empty())) return JET_errBufferTooSmall;
    if (!packed.empty()) std::memcpy(buffer, packed.data(), packed.size());
    return JET_errSuccess;
  });
}

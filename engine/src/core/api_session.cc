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

JET_ERR OpenCursor(Session& s, std::uint32_t dbid, const jet::db::TableInfo& table, JET_TABLEID* ptableid) {
  if (ptableid == nullptr) return JET_errInvalidParameter;
  Cursor c;
  c.dbid = dbid;
  c.table = table;
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

}  // namespace

JET_ERR JetBeginSession(JET_INSTANCE instance, JET_SESID* psesid, JET_PCSTR, JET_PCSTR) {
  return ApiGuard([&]() -> JET_ERR {
    if (psesid == nullptr) return JET_errInvalidParameter;
    InstanceRuntime* rt = nullptr;
    JET_ERR err = InstanceRuntime::ResolveRunningInstance(instance, &rt);
    if (err < 0) return err;
    JET_SESID id = jet::core::RegisterSession(rt);
    std::lock_guard lock(rt->mutex());
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
  return WithSession(sesid, [&](InstanceRuntime&, State& st, Session& s) { return jet::core::BeginTransaction(st, s); });
}

JET_ERR JetCommitTransaction(JET_SESID sesid, JET_GRBIT grbit) {
  return WithSession(sesid,
                     [&](InstanceRuntime&, State& st, Session& s) { return jet::core::CommitTransaction(st, s, grbit); });
}

JET_ERR JetRollback(JET_SESID sesid, JET_GRBIT) {
  return WithSession(sesid, [&](InstanceRuntime&, State& st, Session& s) { return jet::core::RollbackTransaction(st, s); });
}

JET_ERR JetCreateDatabase(JET_SESID sesid, JET_PCSTR szFilename, JET_PCSTR, JET_DBID* pdbid, JET_GRBIT grbit) {
  return WithSession(sesid, [&](InstanceRuntime& rt, State&, Session& s) -> JET_ERR {
    if (szFilename == nullptr || *szFilename == '\0') return JET_errDatabaseInvalidName;
    if (pdbid == nullptr) return JET_errInvalidParameter;
    if ((grbit & ~JET_bitDbOverwriteExisting) != 0) return JET_errInvalidGrbit;
    std::uint32_t dbid = 0;
    JET_ERR err = jet::core::CreateDatabase(rt, szFilename, (grbit & JET_bitDbOverwriteExisting) != 0, &dbid);
    if (err < 0) return err;
    s.open_dbs.insert(dbid);
    *pdbid = dbid;
    return JET_errSuccess;
  });
}

JET_ERR JetAttachDatabase(JET_SESID sesid, JET_PCSTR szFilename, JET_GRBIT grbit) {
  return WithSession(sesid, [&](InstanceRuntime& rt, State&, Session&) -> JET_ERR {
    if (szFilename == nullptr || *szFilename == '\0') return JET_errDatabaseInvalidName;
    if ((grbit & ~JET_bitDbReadOnly) != 0) return JET_errInvalidGrbit;
    std::uint32_t dbid = 0;
    return jet::core::AttachDatabase(rt, szFilename, &dbid);
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

JET_ERR JetOpenDatabase(JET_SESID sesid, JET_PCSTR szFilename, JET_PCSTR, JET_DBID* pdbid, JET_GRBIT) {
  return WithSession(sesid, [&](InstanceRuntime&, State& st, Session& s) -> JET_ERR {
    if (szFilename == nullptr || pdbid == nullptr) return JET_errInvalidParameter;
    AttachedDb* adb = DbByPath(st, szFilename);
    if (adb == nullptr) return JET_errDatabaseNotFound;
    s.open_dbs.insert(adb->info.dbid);
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
    if (!ValidTableName(szTableName)) return JET_errInvalidName;
    auto it = st.dbs.find(dbid);
    if (it == st.dbs.end() || s.open_dbs.count(dbid) == 0) return JET_errInvalidDatabaseId;
    AttachedDb& adb = it->second;
    jet::db::MiniTxn mtr(*adb.db);
    jet::db::TableInfo info;
    JET_ERR err = jet::db::CreateTable(mtr, szTableName, &info);
    if (err < 0) {
      mtr.Abort();
      return err;
    }
    jet::db::OperationRecord rec;
    rec.dbid = dbid;
    rec.op = jet::db::OpKind::kCreateTable;
    rec.objid = info.objid;
    rec.key = std::span(reinterpret_cast<const std::uint8_t*>(info.name.data()), info.name.size());
    if ((err = jet::core::LogOperation(st, mtr, rec)) < 0) return err;
    adb.roots[info.objid] = info.root;
    return OpenCursor(s, dbid, info, ptableid);
  });
}

JET_ERR JetOpenTable(JET_SESID sesid, JET_DBID dbid, JET_PCSTR szTableName, const void*, unsigned long, JET_GRBIT,
                     JET_TABLEID* ptableid) {
  return WithSession(sesid, [&](InstanceRuntime&, State& st, Session& s) -> JET_ERR {
    if (!ValidTableName(szTableName)) return JET_errInvalidName;
    auto it = st.dbs.find(dbid);
    if (it == st.dbs.end() || s.open_dbs.count(dbid) == 0) return JET_errInvalidDatabaseId;
    jet::db::TableInfo info;
    bool found = false;
    JET_ERR err = jet::db::LookupTable(*it->second.db, szTableName, &info, &found);
    if (err < 0) return err;
    if (!found) return JET_errObjectNotFound;
    it->second.roots[info.objid] = info.root;
    return OpenCursor(s, dbid, info, ptableid);
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
    auto it = st.dbs.find(dbid);
    if (it == st.dbs.end() || s.open_dbs.count(dbid) == 0) return JET_errInvalidDatabaseId;
    std::vector<std::string> names;
    JET_ERR err = jet::db::ListTables(*it->second.db, &names);
    if (err < 0) return err;
    std::string packed;
    for (const std::string& name : names) {
      packed += name;
      packed.push_back('\0');
    }
    if (pcbActual != nullptr) *pcbActual = static_cast<unsigned long>(packed.size());
    if (packed.size() > cbBuffer || (buffer == nullptr && !packed.empty())) return JET_errBufferTooSmall;
    if (!packed.empty()) std::memcpy(buffer, packed.data(), packed.size());
    return JET_errSuccess;
  });
}

// Public API: records and cursors (jet/jet.h, the jetfault binary-key record calls).
#include <cstring>
#include <string>

#include "core/api_guard.h"
#include "core/transactions.h"

using jet::core::Cursor;
using jet::core::InstanceRuntime;
using jet::core::Session;
using jet::core::WithSession;
using State = InstanceRuntime::State;

namespace {

// A 256-byte key of 0xFF sorts after every legal key (at most 255 bytes).
const std::string& KeyAfterAll() {
  static const std::string key(JET_cbKeyMost + 1, '\xff');
  return key;
}

std::span<const std::uint8_t> Bytes(const void* pv, unsigned long cb) {
  if (pv == nullptr) return {};
  return {static_cast<const std::uint8_t*>(pv), cb};
}
std::span<const std::uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Runs f(state, session, cursor) for a table handle of the session.
template <class F>
JET_ERR WithCursor(JET_SESID sesid, JET_TABLEID tableid, F&& f) {
  return WithSession(sesid, [&](InstanceRuntime&, State& st, Session& s) -> JET_ERR {
    auto it = s.cursors.find(tableid);
    if (it == s.cursors.end()) return JET_errInvalidTableId;
    return f(st, s, it->second);
  });
}

JET_ERR CheckKey(const void* pvKey, unsigned long cbKey) {
  if (pvKey == nullptr && cbKey != 0) return JET_errInvalidParameter;
  return cbKey > JET_cbKeyMost ? JET_errKeyTooBig : JET_errSuccess;
}

JET_ERR Write(JET_SESID sesid, JET_TABLEID tableid, jet::db::OpKind op, const void* pvKey, unsigned long cbKey,
              const void* pvData, unsigned long cbData) {
  if (JET_ERR err = CheckKey(pvKey, cbKey); err < 0) return err;
  if (pvData == nullptr && cbData != 0) return JET_errInvalidParameter;
  if (cbData > JET_cbValueMost) return JET_errRecordTooBig;
  return WithCursor(sesid, tableid, [&](State& st, Session& s, Cursor& c) {
    return jet::core::WriteRecord(st, s, c, op, Bytes(pvKey, cbKey), Bytes(pvData, cbData));
  });
}

// Copies the visible value of key straight from where it lies (page or version store)
// into the caller's buffer. JET_errRecordNotFound when there is none.
JET_ERR CopyValue(State& st, Session& s, const Cursor& c, std::span<const std::uint8_t> key, void* pvData,
                  unsigned long cbData, unsigned long* pcbActual, jet::db::LeafPosition* hint) {
  std::span<const std::uint8_t> stored;
  bool present = false;
  JET_ERR err = jet::core::VisibleStored(st, s, c, key, &stored, &present, hint);
  if (err < 0) return err;
  if (!present) return JET_errRecordNotFound;
  std::uint32_t size = 0;
  if ((err = jet::core::StoredValueSize(stored, &size)) < 0) return err;
  if (err < 0) return err;
  if (pcbActual != nullptr) *pcbActual = size;
  if (pvData == nullptr) return JET_errSuccess;
  if (cbData < size) return JET_errBufferTooSmall;
  auto it = st.dbs.find(c.dbid);
  if (it == st.dbs.end()) return JET_errInvalidDatabaseId;
  return jet::core::ReadStoredValue(*it->second.db, c.table.objid, stored,
                                    std::span(static_cast<std::uint8_t*>(pvData), size));
}

}  // namespace

JET_ERR JetInsertRecord(JET_SESID sesid, JET_TABLEID tableid, const void* pvKey, unsigned long cbKey,
                        const void* pvData, unsigned long cbData) {
  return Write(sesid, tableid, jet::db::OpKind::kInsert, pvKey, cbKey, pvData, cbData);
}

JET_ERR JetReplaceRecord(JET_SESID sesid, JET_TABLEID tableid, const void* pvKey, unsigned long cbKey,
                         const void* pvData, unsigned long cbData) {
  return Write(sesid, tableid, jet::db::OpKind::kReplace, pvKey, cbKey, pvData, cbData);
}

JET_ERR JetDeleteRecord(JET_SESID sesid, JET_TABLEID tableid, const void* pvKey, unsigned long cbKey) {
  return Write(sesid, tableid, jet::db::OpKind::kDelete, pvKey, cbKey, nullptr, 0);
}

JET_ERR JetRetrieveRecord(JET_SESID sesid, JET_TABLEID tableid, const void* pvKey, unsigned long cbKey, void* pvData,
                          unsigned long cbData, unsigned long* pcbActual) {
  if (JET_ERR err = CheckKey(pvKey, cbKey); err < 0) return err;
  return WithCursor(sesid, tableid, [&](State& st, Session& s, Cursor& c) {
    return CopyValue(st, s, c, Bytes(pvKey, cbKey), pvData, cbData, pcbActual, nullptr);
  });
}

JET_ERR JetMove(JET_SESID sesid, JET_TABLEID tableid, long cRow, JET_GRBIT grbit) {
  if (grbit != 0) return JET_errInvalidGrbit;
  return WithCursor(sesid, tableid, [&](State& st, Session& s, Cursor& c) -> JET_ERR {
    bool found = false;
    std::string key;
    // Where key lies (a hint each step starts from, updated as it goes: a hint is
    // checked against the key it is used for, so one left by a failed move is harmless).
    jet::db::LeafPosition& position = c.position;
    JET_ERR err = JET_errSuccess;
    if (cRow == JET_MoveFirst || cRow == JET_MoveLast) {
      const bool first = cRow == JET_MoveFirst;
      err = jet::core::SeekVisible(st, s, c, first ? std::span<const std::uint8_t>() : Bytes(KeyAfterAll()), first,
                                   true, &found, &key, &position);
    } else if (cRow == 0) {
      return c.positioned ? JET_errSuccess : JET_errNoCurrentRecord;
    } else {
      if (!c.positioned) return JET_errNoCurrentRecord;
      const bool forward = cRow > 0;
      const long steps = forward ? cRow : -cRow;
      for (long n = 0; n < steps; ++n) {
        std::string next;
        // The first step is from c.key (unchanged until the move is done), the others
        // from the key the step before reached.
        err = jet::core::SeekVisible(st, s, c, Bytes(n == 0 ? c.key : key), forward, false, &found, &next, &position);
        if (err < 0 || !found) break;
        key = std::move(next);
      }
    }
    if (err < 0) return err;
    if (!found) {
      c.positioned = false;
      position.pgno = 0;
      return JET_errNoCurrentRecord;
    }
    c.positioned = true;
    c.key = std::move(key);
    return JET_errSuccess;
  });
}

JET_ERR JetRetrieveKey(JET_SESID sesid, JET_TABLEID tableid, void* pvKey, unsigned long cbMax, unsigned long* pcbActual,
                       JET_GRBIT) {
  return WithCursor(sesid, tableid, [&](State&, Session&, Cursor& c) -> JET_ERR {
    if (!c.positioned) return JET_errNoCurrentRecord;
    if (pcbActual != nullptr) *pcbActual = static_cast<unsigned long>(c.key.size());
    if (pvKey == nullptr) return JET_errSuccess;
    if (cbMax < c.key.size()) return JET_errBufferTooSmall;
    if (!c.key.empty()) std::memcpy(pvKey, c.key.data(), c.key.size());
    return JET_errSuccess;
  });
}

JET_ERR JetRetrieveCurrentValue(JET_SESID sesid, JET_TABLEID tableid, void* pvData, unsigned long cbData,
                                unsigned long* pcbActual) {
  return WithCursor(sesid, tableid, [&](State& st, Session& s, Cursor& c) -> JET_ERR {
    if (!c.positioned) return JET_errNoCurrentRecord;
    JET_ERR err = CopyValue(st, s, c, Bytes(c.key), pvData, cbData, pcbActual, &c.position);
    return err == JET_errRecordNotFound ? JET_errNoCurrentRecord : err;
  });
}

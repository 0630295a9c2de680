// core/instance_state.h — what a running instance holds (engine internals of
// core/instance.h): attached databases, the log writer, the checkpoint, sessions with
// their transactions and cursors, the version store.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/instance.h"
#include "core/version_store.h"
#include "db/btree.h"
#include "db/catalog.h"
#include "db/database.h"
#include "db/redo.h"
#include "log/log.h"

namespace jet::core {

struct AttachedDb {
  std::unique_ptr<db::Database> db;
  log::AttachInfo info;  // as written into checkpoints and log headers
  // objid -> root pgno of the tables seen so far (the catalog is keyed by name).
  std::map<std::uint32_t, std::uint32_t> roots;
  // Redo only: unreadable pages waiting for a logged image (db/redo.h).
  db::AwaitingImage awaiting_image;
  // Attached with JET_bitDbReadOnly: never written (no header update, no page writes,
  // no log records), absent from checkpoints and log headers; updates are
  // JET_errPermissionDenied.
  bool read_only = false;
};

struct UndoEntry {
  RecordId id;
  BeforeImage before;
};

struct Transaction {
  std::uint64_t id = 0;
  int level = 0;        // nesting depth (1 = outermost)
  bool logged = false;  // Begin record written (lazily, at the first write)
  log::Lgpos begin_lgpos;
  std::vector<UndoEntry> undo;          // every write, in order
  std::vector<std::size_t> savepoints;  // undo size at each nested Begin
  std::vector<RecordId> locks;          // records this transaction locked
};

struct Cursor {
  std::uint32_t dbid = 0;
  db::TableInfo table;
  bool read_only = false;  // opened through a read-only database handle or attachment
  bool positioned = false;
  std::string key;  // current record's key when positioned
  // Where key lay in the table's tree when the cursor moved there: a hint that spares
  // the next move and value read a descent from the root (db/btree.h LeafPosition).
  db::LeafPosition position;
};

struct Session {
  JET_SESID id = 0;
  std::optional<Transaction> txn;
  std::map<JET_DBID, bool> open_dbs;  // open database handles: dbid -> opened read-only
  std::map<JET_TABLEID, Cursor> cursors;
};

struct InstanceRuntime::State {
  bool running = false;
  // A change could not be logged or undone: the in-memory state may disagree with the
  // log, so nothing more is accepted until JetTerm (abrupt) and recovery.
  bool failed = false;
  // False with JET_paramRecovery "off": no log is read or written (ESE's unlogged
  // mode); AppendRecord succeeds with a zero position and log flushes do nothing.
  bool logging = true;
  std::unique_ptr<log::LogWriter> log;
  log::Checkpoint checkpoint;
  bool checkpoint_pending = false;
  std::map<std::uint32_t, AttachedDb> dbs;  // by dbid
  std::map<JET_SESID, Session> sessions;
  VersionStore versions;
  std::uint64_t next_txn = 1;
  std::vector<std::uint8_t> scratch;  // record encoding buffer, reused
};

}  // namespace jet::core

// db/mini_txn.h — a mini-transaction: the page changes of one logical operation.
//
// The B-tree makes its changes through a MiniTxn. Each touched page keeps a
// before-copy, so a failure before the log record is appended (out of memory, log
// disk full) restores the cache exactly (Abort). Seal() stamps one new dbtime on every
// touched page and produces the page effects for the log record (a full image for new
// pages, for structural changes, and for the first change of a page since the last
// checkpoint; node-level operations otherwise); Commit(lgpos) then marks the frames
// dirty with the record's position.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "db/database.h"
#include "db/log_records.h"

namespace jet::db {

class MiniTxn {
 public:
  explicit MiniTxn(Database& db);
  ~MiniTxn();  // aborts unless committed
  MiniTxn(const MiniTxn&) = delete;
  MiniTxn& operator=(const MiniTxn&) = delete;

  Database& db() { return db_; }
  JET_ERR Read(std::uint32_t pgno, std::span<const std::uint8_t>* page) { return db_.ReadPage(pgno, page); }

  // Node-level changes (logged as node operations when the page was imaged already).
  JET_ERR InsertNode(std::uint32_t pgno, std::size_t index, std::span<const std::uint8_t> node);
  JET_ERR ReplaceNode(std::uint32_t pgno, std::size_t index, std::span<const std::uint8_t> node);
  JET_ERR DeleteNode(std::uint32_t pgno, std::size_t index);
  // Any other change: the page will be logged as a full image.
  JET_ERR Writable(std::uint32_t pgno, std::span<std::uint8_t>* page);
  // A new, initialised page (pgno_last + 1), logged as a full image.
  JET_ERR Allocate(std::uint32_t objid, std::uint32_t flags, std::uint32_t* pgno, std::span<std::uint8_t>* page);

  bool empty() const { return touched_.empty(); }
  // Stamps the new dbtime and fills `effects` (spans valid until Commit/Abort).
  void Seal(std::vector<PageEffect>* effects);
  void Commit(format::Lgpos lgpos);
  void Abort();

 private:
  struct Touched {
    std::uint32_t pgno = 0;
    Frame* frame = nullptr;
    PageBuffer before;  // null for a new page
    bool image = false;
    std::uint64_t dbtime_before = 0;
    std::vector<std::uint8_t> node_ops;
  };
  JET_ERR Touch(std::uint32_t pgno, Touched** out);

  Database& db_;
  std::vector<Touched> touched_;
  std::uint64_t dbtime_start_;
  std::uint32_t pgno_last_start_;
  std::uint32_t objid_last_start_;
  bool sealed_ = false;     // Seal() stamped the dbtime: only Commit or Abort may follow
  bool committed_ = false;  // Commit(): the changes are logged and must never be undone here
  bool done_ = false;
};

}  // namespace jet::db

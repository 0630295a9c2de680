// db/long_value.h — values too large for a B+tree node, stored on a chain of
// long-value pages (flag LongValue, objidFDP = the table). Each page holds one node
// with a chunk of the value; pgnoNext links the chain. The leaf node keeps only a
// reference (first pgno, total size; db/node.h).
//
// Long-value pages are immutable and never freed: a before-image that references a
// chain stays valid for undo (ARCHITECTURE rule 2: the chain's pages are logged as
// separate page-image records before the record that links them).
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "db/database.h"
#include "db/mini_txn.h"

namespace jet::db {

// Appends the log record of one mini-transaction and commits it.
using LogMiniTxn = std::function<JET_ERR(MiniTxn&)>;

// Bytes of value one long-value page holds.
std::size_t LongValueChunkSize(std::uint32_t page_size);

// Writes the chain (last chunk first, so each page knows its successor).
JET_ERR WriteLongValue(Database& db, std::uint32_t objid, std::span<const std::uint8_t> value, const LogMiniTxn& log,
                       std::uint32_t* first_pgno);

// Reads the first out.size() bytes (out.size() <= size) of the value. Broken chains are
// JET_errBadPageLink; a page of another tree or kind is JET_errDatabaseCorrupted.
JET_ERR ReadLongValue(Database& db, std::uint32_t objid, std::uint32_t first_pgno, std::uint32_t size,
                      std::span<std::uint8_t> out);

}  // namespace jet::db

// db/catalog.h — the table catalog: a B+tree rooted at page 1 (objid 1) mapping a
// table name to its objid and root pgno (value: u32 objid, u32 root; little-endian).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "db/database.h"
#include "db/mini_txn.h"

namespace jet::db {

struct TableInfo {
  std::string name;
  std::uint32_t objid = 0;
  std::uint32_t root = 0;
};

inline constexpr std::size_t kTableNameMost = 64;

// Writes the empty catalog root into a new database (page 1) through mtr.
JET_ERR CreateCatalog(MiniTxn& mtr);
JET_ERR LookupTable(Database& db, const std::string& name, TableInfo* out, bool* found);
// Allocates objid and root, inserts the catalog entry. JET_errTableDuplicate if present.
JET_ERR CreateTable(MiniTxn& mtr, const std::string& name, TableInfo* out);
// Decodes a catalog entry (key = name, value = objid, root).
JET_ERR DecodeCatalogEntry(const std::string& name, std::span<const std::uint8_t> value, TableInfo* out);
// Names in name (byte) order.
JET_ERR ListTables(Database& db, std::vector<std::string>* names);

}  // namespace jet::db

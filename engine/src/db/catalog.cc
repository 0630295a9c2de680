#include "db/catalog.h"

#include "db/btree.h"
#include "format/checksum.h"
#include "format/page.h"
#include "jetfault/assert.h"

namespace jet::db {
namespace {

const BTree kCatalog(kCatalogPgno, kCatalogObjid);

std::span<const std::uint8_t> Bytes(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

JET_ERR DecodeCatalogEntry(const std::string& name, std::span<const std::uint8_t> value, TableInfo* out) {
  if (value.size() != 8) return JET_errDatabaseCorrupted;
  out->name = name;
  out->objid = format::LoadU32(value.data());
  out->root = format::LoadU32(value.data() + 4);
  if (out->objid <= kCatalogObjid || out->root <= kCatalogPgno) return JET_errDatabaseCorrupted;
  return JET_errSuccess;
}

JET_ERR CreateCatalog(MiniTxn& mtr) {
  std::uint32_t pgno = 0;
  std::span<std::uint8_t> page;
  JET_ERR err = mtr.Allocate(kCatalogObjid, format::kPageFlagRoot | format::kPageFlagLeaf, &pgno, &page);
  if (err < 0) return err;
  return pgno == kCatalogPgno ? JET_errSuccess : JET_errDatabaseCorrupted;
}

JET_ERR LookupTable(Database& db, const std::string& name, TableInfo* out, bool* found) {
  std::vector<std::uint8_t> value;
  JET_ERR err = kCatalog.Lookup(db, Bytes(name), &value, found);
  if (err < 0 || !*found) return err;
  return DecodeCatalogEntry(name, value, out);
}

JET_ERR CreateTable(MiniTxn& mtr, const std::string& name, TableInfo* out) {
  Database& db = mtr.db();
  bool found = false;
  TableInfo existing;
  JET_ERR err = LookupTable(db, name, &existing, &found);
  if (err < 0) return err;
  if (found) return JET_errTableDuplicate;
  TableInfo info;
  info.name = name;
  info.objid = ++db.objid_last;
  JF_ASSERT_GT(info.objid, kCatalogObjid);  // objid_last starts at the catalog's
  if ((err = BTree::Create(mtr, info.objid, &info.root)) < 0) return err;
  JF_ASSERT_NE(info.root, kCatalogPgno);  // a new tree's root is a page of its own
  std::uint8_t value[8];
  format::StoreU32(value, info.objid);
  format::StoreU32(value + 4, info.root);
  bool existed = false;
  if ((err = kCatalog.Put(mtr, Bytes(name), value, BTree::PutMode::kInsert, &existed, nullptr)) < 0) {
    return err;
  }
  JF_ASSERT(!existed);  // an insert of an existing key is JET_errKeyDuplicate
  *out = info;
  return JET_errSuccess;
}

JET_ERR ListTables(Database& db, std::vector<std::string>* names) {
  names->clear();
  std::string key;
  bool found = false;
  LeafPosition at;  // each step starts from the leaf of the name before
  JET_ERR err = kCatalog.SeekKey(db, {}, BTree::Seek::kFirst, &found, &key, nullptr, &at);
  while (err >= 0 && found) {
    // SeekKey(kGT) refuses a step that does not move past its key: names strictly increase.
    if (!names->empty()) JF_ASSERT_LT(names->back(), key);
    names->push_back(key);
    std::string next;
    err = kCatalog.SeekKey(db, Bytes(key), BTree::Seek::kGT, &found, &next, nullptr, &at);
    key = std::move(next);
  }
  return err;
}

}  // namespace jet::db

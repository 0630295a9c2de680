// db/btree.h — a B+tree of (binary key → stored value) on database pages.
//
// The root page never moves (the catalog records it): when the root splits, its nodes
// move into two new children and the root becomes an internal page. Leaves are linked
// both ways (pgnoPrev/pgnoNext) and every traversal of a link checks the back link
// (JET_errBadPageLink). Deletes never merge pages; an empty leaf stays in the chain.
// Every change goes through a MiniTxn, so one operation is one log record.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "db/database.h"
#include "db/mini_txn.h"
#include "format/page.h"

namespace jet::db {

struct LeafNode;  // db/node.h

// Where a key was found, kept by a cursor so that its next move or value read starts
// from that leaf instead of descending from the root. Only a hint, which holds while
//  * nothing in the database changed since (the database's dbtime, which every change
//    raises, is the same),
//  * the leaf, read as any page, still has its dbtime, belongs to this tree and holds
//    the key in that slot, and
//  * the key lies within the fence of the descent that reached the leaf: the bounds
//    its binary searches compared against, so a descent for the key would take the
//    same path to the same leaf, even through pages whose keys are out of order.
// A search from a hint that holds returns what a search from the root returns; any
// other hint is ignored and the search descends.
struct LeafPosition {
  std::uint32_t pgno = 0;  // 0: none
  std::size_t index = 0;
  std::uint64_t leaf_dbtime = 0;
  std::uint64_t db_dbtime = 0;
  // The fence [low, high) (an absent bound: unbounded). A seek that went on to a
  // sibling leaf or took the rightmost path compared nothing there: not fenced.
  bool fenced = false;
  bool has_low = false;
  bool has_high = false;
  std::vector<std::uint8_t> low;
  std::vector<std::uint8_t> high;
};

// The bounds a descent's binary searches compared key against (LeafPosition), in
// place in the pages read (valid until the cache next evicts).
struct FenceSpans {
  bool has_low = false;
  bool has_high = false;
  std::span<const std::uint8_t> low;
  std::span<const std::uint8_t> high;
};

class BTree {
 public:
  BTree(std::uint32_t root, std::uint32_t objid) : root_(root), objid_(objid) {}
  std::uint32_t root() const { return root_; }
  std::uint32_t objid() const { return objid_; }

  // Allocates an empty root leaf for a new tree.
  static JET_ERR Create(MiniTxn& mtr, std::uint32_t objid, std::uint32_t* root);
  // Initialises an already allocated page as an empty root leaf (the catalog root).
  static void InitRoot(std::span<std::uint8_t> page, std::uint32_t objid);

  // The stored value of key in place: *value points into the page cache and stays
  // valid until the cache next evicts (Trim) or discards a page. *found false when absent.
  // *hint (may be null) is in: a position where key may lie, out: where key lies (none
  // when absent).
  JET_ERR Find(Database& db, std::span<const std::uint8_t> key, std::span<const std::uint8_t>* value, bool* found,
               LeafPosition* hint = nullptr) const;
  // The stored value of key (copied), *found false when absent.
  JET_ERR Lookup(Database& db, std::span<const std::uint8_t> key, std::vector<std::uint8_t>* value, bool* found) const;

  enum class PutMode { kInsert, kReplace, kUpsert };
  // kInsert: JET_errKeyDuplicate when present; kReplace: JET_errRecordNotFound when
  // absent. *old_value (may be null) receives the previous stored value.
  JET_ERR Put(MiniTxn& mtr, std::span<const std::uint8_t> key, std::span<const std::uint8_t> value, PutMode mode,
              bool* existed, std::vector<std::uint8_t>* old_value) const;
  // JET_errRecordNotFound when absent.
  JET_ERR Remove(MiniTxn& mtr, std::span<const std::uint8_t> key, std::vector<std::uint8_t>* old_value) const;

  enum class Seek { kGE, kGT, kLE, kLT, kFirst, kLast };
  // The nearest key in the given direction; *found false when there is none.
  // *position (may be null) is in: a hint where key may lie (a keyed seek then starts
  // from that leaf when the hint holds), out: where the key found lies (none when
  // nothing was found).
  JET_ERR SeekKey(Database& db, std::span<const std::uint8_t> key, Seek seek, bool* found, std::string* out_key,
                  std::vector<std::uint8_t>* out_value, LeafPosition* position = nullptr) const;

  // Walks the whole leaf chain checking links; counts records (tests, integrity check).
  JET_ERR Check(Database& db, std::uint64_t* records) const;

 private:
  struct PathEntry {
    std::uint32_t pgno = 0;
    std::size_t index = 0;  // child index taken (internal pages)
  };
  static constexpr std::size_t kMaxDepth = 16;  // deeper than any real tree: a cycle is corruption
  // Root-to-leaf path of one descent; fixed capacity, so a lookup allocates nothing.
  class Path {
   public:
    std::size_t size() const { return size_; }
    PathEntry& operator[](std::size_t i) { return entries_[i]; }
    PathEntry& back() { return entries_[size_ - 1]; }
    bool full() const { return size_ == kMaxDepth; }
    void push_back(PathEntry e) { entries_[size_++] = e; }

   private:
    std::array<PathEntry, kMaxDepth> entries_{};
    std::size_t size_ = 0;
  };
  // fence (may be null) receives the bounds; a rightmost descent compares nothing.
  JET_ERR Descend(Database& db, std::span<const std::uint8_t> key, bool rightmost, Path* path,
                  FenceSpans* fence = nullptr) const;
  // Where a key's descent ends: the leaf (path.back(), its bytes in page), the index
  // of the first node >= key in it, and whether that node is key.
  struct LeafSpot {
    Path path;
    std::span<const std::uint8_t> page;
    std::size_t index = 0;
    bool found = false;
  };
  JET_ERR FindInLeaf(Database& db, std::span<const std::uint8_t> key, LeafSpot* at, FenceSpans* fence = nullptr) const;
  // *holds when hint still holds for key (LeafPosition): then *page is its leaf and
  // *node the node of key in it. Errors are those of reading the leaf.
  JET_ERR AtHint(Database& db, std::span<const std::uint8_t> key, const LeafPosition& hint,
                 std::span<const std::uint8_t>* page, LeafNode* node, bool* holds) const;
  // Records in *p that a search ended at node index of leaf pgno (its bytes: page);
  // fence: the bounds of the descent that reached it, or null when there are none.
  static void Remember(Database& db, std::uint32_t pgno, std::size_t index, std::span<const std::uint8_t> page,
                       const FenceSpans* fence, LeafPosition* p);
  JET_ERR Sibling(Database& db, std::uint32_t pgno, bool next, std::uint32_t* sibling) const;
  JET_ERR InsertAt(MiniTxn& mtr, Path& path, std::size_t level, std::size_t index,
                   std::span<const std::uint8_t> node) const;
  JET_ERR Split(MiniTxn& mtr, Path& path, std::size_t level, std::size_t index,
                std::span<const std::uint8_t> node) const;
  // A full page's nodes with the new one in place, and where they divide: the left page
  // keeps nodes [0, m), the right one [m, size); sep_key is node m's key.
  struct SplitNodes {
    std::vector<std::vector<std::uint8_t>> nodes;
    std::size_t m = 0;
    std::vector<std::uint8_t> sep_key;
  };
  static JET_ERR SplitPoint(std::span<const std::uint8_t> page, std::size_t index, std::span<const std::uint8_t> node,
                            SplitNodes* split);
  // The root keeps its pgno and becomes the parent of two new pages.
  JET_ERR SplitRoot(MiniTxn& mtr, std::uint32_t pgno, bool leaf, std::uint32_t child_flags,
                    const SplitNodes& split) const;
  // Page pgno keeps the left half; the right half goes to a new page (*right_pgno),
  // linked in between pgno and its old right neighbour.
  JET_ERR SplitSibling(MiniTxn& mtr, std::uint32_t pgno, const format::PageHeader& h, bool leaf,
                       std::uint32_t child_flags, const SplitNodes& split, std::uint32_t* right_pgno) const;

  std::uint32_t root_;
  std::uint32_t objid_;
};

}  // namespace jet::db

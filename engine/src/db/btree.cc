#include "db/btree.h"

#include "db/node.h"
#include "faultfs/alloc_fault.h"
#include "format/page.h"
#include "jetfault/assert.h"

namespace jet::db {
namespace {

// Sibling links that loop back (a stale or misplaced leaf can make two leaves point at
// each other, consistently in both directions) would make a walk along them endless.
// Brent's cycle detection: constant memory, no extra page reads; a cycle is found
// within a few laps of it.
class SiblingCycleDetector {
 public:
  explicit SiblingCycleDetector(std::uint32_t start) : mark_(start) {}
  // False when pgno was met before on this walk.
  bool Visit(std::uint32_t pgno) {
    if (pgno == mark_) return false;
    if (++steps_ == limit_) {
      mark_ = pgno;
      limit_ *= 2;
      steps_ = 0;
    }
    return true;
  }

 private:
  std::uint32_t mark_;
  std::uint64_t steps_ = 0;
  std::uint64_t limit_ = 1;
};

bool IsLeaf(std::span<const std::uint8_t> page) {
  return (format::LoadPageHeader(page).flags & format::kPageFlagLeaf) != 0;
}

JET_ERR NodeKey(std::span<const std::uint8_t> node, bool leaf, std::span<const std::uint8_t>* key) {
  if (leaf) {
    LeafNode n;
    if (!DecodeLeafNode(node, &n)) return JET_errDatabaseCorrupted;
    *key = n.key;
  } else {
    InternalNode n;
    if (!DecodeInternalNode(node, &n)) return JET_errDatabaseCorrupted;
    *key = n.key;
  }
  return JET_errSuccess;
}

// The first index in [first, NodeCount) whose key is > key (upper) or >= key (!upper):
// the one binary search both the internal-page descent and the leaf search use.
// With fence (the descent: upper), the greatest key compared at or below key raises
// fence->low and the least compared above it lowers fence->high: any key within them
// makes the same comparisons, so its search takes the same path.
JET_ERR SearchNodes(std::span<const std::uint8_t> page, std::span<const std::uint8_t> key, bool leaf, std::size_t first,
                    bool upper, std::size_t* pos, FenceSpans* fence) {
  std::size_t lo = first, hi = format::NodeCount(page);
  while (lo < hi) {
    std::size_t mid = (lo + hi) / 2;
    std::span<const std::uint8_t> mid_key;
    if (JET_ERR err = NodeKey(format::NodeAt(page, mid), leaf, &mid_key); err < 0) return err;
    const int cmp = CompareKeys(mid_key, key);
    if (cmp < 0 || (upper && cmp == 0)) {
      lo = mid + 1;
      if (fence != nullptr && (!fence->has_low || CompareKeys(mid_key, fence->low) > 0)) {
        fence->has_low = true;
        fence->low = mid_key;
      }
    } else {
      hi = mid;
      if (fence != nullptr && (!fence->has_high || CompareKeys(mid_key, fence->high) < 0)) {
        fence->has_high = true;
        fence->high = mid_key;
      }
    }
  }
  JF_ASSERT_LE(first, lo);
  JF_ASSERT_LE(lo, format::NodeCount(page));
  *pos = lo;
  return JET_errSuccess;
}

// Where a binary search says `key` goes, it goes in order, whatever the page holds:
// the node before `index` (if any) was compared below key, the node at `index` (if
// any) at or above it (strictly above when the search did not find key).
void AssertInsertionPoint(std::span<const std::uint8_t> page, std::size_t index, std::span<const std::uint8_t> key,
                          bool leaf) {
  std::span<const std::uint8_t> neighbour;
  if (index > 0) {
    JF_ASSERT_EQ(NodeKey(format::NodeAt(page, index - 1), leaf, &neighbour), JET_errSuccess);
    JF_ASSERT_LT(CompareKeys(neighbour, key), 0);
  }
  if (index < format::NodeCount(page)) {
    JF_ASSERT_EQ(NodeKey(format::NodeAt(page, index), leaf, &neighbour), JET_errSuccess);
    JF_ASSERT_GT(CompareKeys(neighbour, key), 0);
  }
}

// The index of the first leaf node >= key, and whether it is key.
JET_ERR LeafSearch(std::span<const std::uint8_t> page, std::span<const std::uint8_t> key, std::size_t* index,
                   bool* found) {
  *found = false;
  JET_ERR err = SearchNodes(page, key, true, 0, false, index, nullptr);
  if (err < 0 || *index >= format::NodeCount(page)) return err;
  std::span<const std::uint8_t> k;
  if ((err = NodeKey(format::NodeAt(page, *index), true, &k)) < 0) return err;
  *found = CompareKeys(k, key) == 0;
  return JET_errSuccess;
}

JET_ERR CopyBytes(std::span<const std::uint8_t> from, std::vector<std::uint8_t>* to) {
  if (to == nullptr) return JET_errSuccess;
  if (!faultfs::AllocationAllowed("record-copy")) return JET_errOutOfMemory;
  to->assign(from.begin(), from.end());
  return JET_errSuccess;
}

void SetLinks(std::span<std::uint8_t> page, std::uint32_t prev, std::uint32_t next) {
  format::PageHeader h = format::LoadPageHeader(page);
  h.pgno_prev = prev;
  h.pgno_next = next;
  format::StorePageHeader(page, h);
}

JET_ERR FillPage(std::span<std::uint8_t> page, const std::vector<std::vector<std::uint8_t>>& nodes, std::size_t begin,
                 std::size_t end) {
  format::ClearNodes(page);
  for (std::size_t i = begin; i < end; ++i) {
    JET_ERR err = format::InsertNode(page, i - begin, nodes[i]);
    if (err < 0) return err;
  }
  return JET_errSuccess;
}

}  // namespace

void BTree::InitRoot(std::span<std::uint8_t> page, std::uint32_t objid) {
  format::InitPage(page, objid, format::kPageFlagRoot | format::kPageFlagLeaf, 0);
}

JET_ERR BTree::Create(MiniTxn& mtr, std::uint32_t objid, std::uint32_t* root) {
  std::span<std::uint8_t> page;
  return mtr.Allocate(objid, format::kPageFlagRoot | format::kPageFlagLeaf, root, &page);
}

JET_ERR BTree::Descend(Database& db, std::span<const std::uint8_t> key, bool rightmost, Path* path,
                       FenceSpans* fence) const {
  *path = Path();
  if (fence != nullptr) *fence = FenceSpans{};
  std::uint32_t pgno = root_;
  while (!path->full()) {
    std::span<const std::uint8_t> page;
    JET_ERR err = db.ReadPage(pgno, &page);
    if (err < 0) return err;
    format::PageHeader h = format::LoadPageHeader(page);
    if (h.objid != objid_) return JET_errDatabaseCorrupted;
    if (h.flags & format::kPageFlagLeaf) {
      path->push_back({pgno, 0});
      return JET_errSuccess;
    }
    if (h.ctag == 0) return JET_errDatabaseCorrupted;
    // Child i covers [key_i, key_(i+1)); node 0 covers everything below key_1, so the
    // child is the last node from 1 on whose key is <= key.
    std::size_t index = h.ctag;
    if (!rightmost && (err = SearchNodes(page, key, false, 1, true, &index, fence)) < 0) return err;
    JF_ASSERT_GE(index, 1u);  // the search starts at node 1
    --index;
    JF_ASSERT_LT(index, h.ctag);
    InternalNode node;
    if (!DecodeInternalNode(format::NodeAt(page, index), &node)) return JET_errDatabaseCorrupted;
    path->push_back({pgno, index});
    pgno = node.child;
  }
  return JET_errDatabaseCorrupted;
}

JET_ERR BTree::FindInLeaf(Database& db, std::span<const std::uint8_t> key, LeafSpot* at, FenceSpans* fence) const {
  JET_ERR err = Descend(db, key, false, &at->path, fence);
  if (err < 0) return err;
  if ((err = db.ReadPage(at->path.back().pgno, &at->page)) < 0) return err;
  return LeafSearch(at->page, key, &at->index, &at->found);
}

JET_ERR BTree::Sibling(Database& db, std::uint32_t pgno, bool next, std::uint32_t* sibling) const {
  std::span<const std::uint8_t> page;
  JET_ERR err = db.ReadPage(pgno, &page);
  if (err < 0) return err;
  format::PageHeader h = format::LoadPageHeader(page);
  *sibling = next ? h.pgno_next : h.pgno_prev;
  if (*sibling == 0) return JET_errSuccess;
  std::span<const std::uint8_t> other;
  err = db.ReadPage(*sibling, &other);
  if (err < 0) return err == JET_errPageNotInitialized ? JET_errBadPageLink : err;
  format::PageHeader oh = format::LoadPageHeader(other);
  if ((next ? oh.pgno_prev : oh.pgno_next) != pgno || oh.objid != objid_ || !(oh.flags & format::kPageFlagLeaf)) {
    return JET_errBadPageLink;
  }
  return JET_errSuccess;
}

JET_ERR BTree::AtHint(Database& db, std::span<const std::uint8_t> key, const LeafPosition& hint,
                      std::span<const std::uint8_t>* page, LeafNode* node, bool* holds) const {
  *holds = false;
  if (hint.pgno == 0 || !hint.fenced || hint.db_dbtime != db.dbtime) return JET_errSuccess;
  if ((hint.has_low && CompareKeys(key, hint.low) < 0) || (hint.has_high && CompareKeys(key, hint.high) >= 0)) {
    return JET_errSuccess;
  }
  if (JET_ERR err = db.ReadPage(hint.pgno, page); err < 0) return err;
  const format::PageHeader h = format::LoadPageHeader(*page);
  if (h.dbtime != hint.leaf_dbtime || h.objid != objid_ || !(h.flags & format::kPageFlagLeaf) ||
      hint.index >= format::NodeCount(*page)) {
    return JET_errSuccess;
  }
  *holds = DecodeLeafNode(format::NodeAt(*page, hint.index), node) && CompareKeys(node->key, key) == 0;
  return JET_errSuccess;
}

void BTree::Remember(Database& db, std::uint32_t pgno, std::size_t index, std::span<const std::uint8_t> page,
                     const FenceSpans* fence, LeafPosition* p) {
  JF_ASSERT_LT(index, format::NodeCount(page));  // a node was found there
  p->pgno = pgno;
  p->index = index;
  p->leaf_dbtime = format::LoadPageHeader(page).dbtime;
  p->db_dbtime = db.dbtime;
  p->fenced = fence != nullptr;
  if (fence == nullptr) return;
  p->has_low = fence->has_low;
  p->has_high = fence->has_high;
  p->low.assign(fence->low.begin(), fence->low.end());
  p->high.assign(fence->high.begin(), fence->high.end());
}

JET_ERR BTree::Find(Database& db, std::span<const std::uint8_t> key, std::span<const std::uint8_t>* value, bool* found,
                    LeafPosition* hint) const {
  if (hint != nullptr) {
    std::span<const std::uint8_t> page;
    LeafNode node;
    bool holds = false;
    if (JET_ERR err = AtHint(db, key, *hint, &page, &node, &holds); err < 0 || holds) {
      *found = holds;
      *value = node.value;
      return err;
    }
    hint->pgno = 0;
  }
  LeafSpot at;
  FenceSpans fence;
  JET_ERR err = FindInLeaf(db, key, &at, &fence);
  *found = at.found;
  if (err < 0 || !*found) return err;
  LeafNode node;
  if (!DecodeLeafNode(format::NodeAt(at.page, at.index), &node)) return JET_errDatabaseCorrupted;
  *value = node.value;
  if (hint != nullptr) Remember(db, at.path.back().pgno, at.index, at.page, &fence, hint);
  return JET_errSuccess;
}

JET_ERR BTree::Lookup(Database& db, std::span<const std::uint8_t> key, std::vector<std::uint8_t>* value,
                      bool* found) const {
  std::span<const std::uint8_t> stored;
  JET_ERR err = Find(db, key, &stored, found);
  if (err < 0 || !*found) return err;
  return CopyBytes(stored, value);
}

JET_ERR BTree::Put(MiniTxn& mtr, std::span<const std::uint8_t> key, std::span<const std::uint8_t> value, PutMode mode,
                   bool* existed, std::vector<std::uint8_t>* old_value) const {
  LeafSpot at;
  JET_ERR err = FindInLeaf(mtr.db(), key, &at);
  if (err < 0) return err;
  const std::uint32_t leaf = at.path.back().pgno;
  if (existed != nullptr) *existed = at.found;
  if (at.found && mode == PutMode::kInsert) return JET_errKeyDuplicate;
  if (!at.found && mode == PutMode::kReplace) return JET_errRecordNotFound;
  if (!faultfs::AllocationAllowed("record-copy")) return JET_errOutOfMemory;
  std::vector<std::uint8_t> node;
  EncodeLeafNode(key, value, &node);
  if (node.size() > MaxInlineNode(mtr.db().page_size())) return JET_errRecordTooBig;
  if (!at.found) {
    AssertInsertionPoint(at.page, at.index, key, true);
    return InsertAt(mtr, at.path, at.path.size() - 1, at.index, node);
  }

  JF_ASSERT_LT(at.index, format::NodeCount(at.page));  // found: the search stopped on a node
  std::span<const std::uint8_t> old = format::NodeAt(at.page, at.index);
  LeafNode old_node;
  if (!DecodeLeafNode(old, &old_node)) return JET_errDatabaseCorrupted;
  JF_ASSERT(CompareKeys(old_node.key, key) == 0);  // ... the node of this key
  if ((err = CopyBytes(old_node.value, old_value)) < 0) return err;
  if (format::LoadPageHeader(at.page).cb_free + old.size() >= node.size()) return mtr.ReplaceNode(leaf, at.index, node);
  if ((err = mtr.DeleteNode(leaf, at.index)) < 0) return err;
  return InsertAt(mtr, at.path, at.path.size() - 1, at.index, node);
}

JET_ERR BTree::Remove(MiniTxn& mtr, std::span<const std::uint8_t> key, std::vector<std::uint8_t>* old_value) const {
  LeafSpot at;
  JET_ERR err = FindInLeaf(mtr.db(), key, &at);
  if (err < 0) return err;
  if (!at.found) return JET_errRecordNotFound;
  const std::uint32_t leaf = at.path.back().pgno;
  JF_ASSERT_LT(at.index, format::NodeCount(at.page));
  LeafNode node;
  if (!DecodeLeafNode(format::NodeAt(at.page, at.index), &node)) return JET_errDatabaseCorrupted;
  JF_ASSERT(CompareKeys(node.key, key) == 0);  // found: the search stopped on this key's node
  if ((err = CopyBytes(node.value, old_value)) < 0) return err;
  return mtr.DeleteNode(leaf, at.index);
}

JET_ERR BTree::InsertAt(MiniTxn& mtr, Path& path, std::size_t level, std::size_t index,
                        std::span<const std::uint8_t> node) const {
  std::span<const std::uint8_t> page;
  JET_ERR err = mtr.Read(path[level].pgno, &page);
  if (err < 0) return err;
  JF_ASSERT_LT(level, path.size());
  // A leaf position from the search, or one past the parent's child that split.
  JF_ASSERT_LE(index, format::NodeCount(page));
  if (format::PageHasRoom(page, node.size())) return mtr.InsertNode(path[level].pgno, index, node);
  return Split(mtr, path, level, index, node);
}

JET_ERR BTree::Split(MiniTxn& mtr, Path& path, std::size_t level, std::size_t index,
                     std::span<const std::uint8_t> node) const {
  JF_ASSERT_LT(level, path.size());
  const std::uint32_t pgno = path[level].pgno;
  std::span<const std::uint8_t> page;
  JET_ERR err = mtr.Read(pgno, &page);
  if (err < 0) return err;
  const format::PageHeader h = format::LoadPageHeader(page);
  const bool leaf = (h.flags & format::kPageFlagLeaf) != 0;
  SplitNodes split;
  if ((err = SplitPoint(page, index, node, &split)) < 0) return err;
  // The separator is the right half's first node: both halves hold at least one.
  JF_ASSERT_GT(split.m, 0u);
  JF_ASSERT_LT(split.m, split.nodes.size());
  std::span<const std::uint8_t> sep_key;
  if ((err = NodeKey(split.nodes[split.m], leaf, &sep_key)) < 0) return err;
  split.sep_key.assign(sep_key.begin(), sep_key.end());

  const std::uint32_t child_flags = leaf ? format::kPageFlagLeaf : (h.flags & format::kPageFlagParentOfLeaf);
  if (level == 0) return SplitRoot(mtr, pgno, leaf, child_flags, split);

  std::uint32_t right = 0;
  if ((err = SplitSibling(mtr, pgno, h, leaf, child_flags, split, &right)) < 0) return err;
  std::vector<std::uint8_t> parent_node;
  EncodeInternalNode(split.sep_key, right, &parent_node);
  return InsertAt(mtr, path, level - 1, path[level - 1].index + 1, parent_node);
}

JET_ERR BTree::SplitPoint(std::span<const std::uint8_t> page, std::size_t index, std::span<const std::uint8_t> node,
                          SplitNodes* split) {
  const std::size_t count = format::NodeCount(page);
  // Only a full page splits, and a node is at most a quarter page (MaxInlineNode, or a
  // key of at most JET_cbKeyMost plus a child pgno), so a page without room holds at
  // least one node (its layout was validated when it entered the cache).
  JF_ASSERT_GE(count, 1);
  JF_ASSERT_LE(index, count);

  // The page's nodes with the new one in place, then a split point by bytes.
  if (!faultfs::AllocationAllowed("record-copy")) return JET_errOutOfMemory;
  std::vector<std::vector<std::uint8_t>>& nodes = split->nodes;
  nodes.reserve(count + 1);
  for (std::size_t i = 0; i < count; ++i) {
    if (i == index) nodes.emplace_back(node.begin(), node.end());
    std::span<const std::uint8_t> n = format::NodeAt(page, i);
    nodes.emplace_back(n.begin(), n.end());
  }
  if (index >= count) nodes.emplace_back(node.begin(), node.end());
  std::size_t total = 0;
  for (const auto& n : nodes) total += n.size() + format::kTagSize;
  std::size_t m = 0;
  for (std::size_t acc = 0; m < nodes.size() && acc < total / 2; ++m) acc += nodes[m].size() + format::kTagSize;
  if (m < 1) m = 1;
  if (m > nodes.size() - 1) m = nodes.size() - 1;
  // Both halves keep at least one node: neither page is left empty by a split.
  JF_ASSERT_EQ(nodes.size(), count + 1);
  JF_ASSERT(1 <= m && m < nodes.size());
  split->m = m;
  return JET_errSuccess;
}

JET_ERR BTree::SplitRoot(MiniTxn& mtr, std::uint32_t pgno, bool leaf, std::uint32_t child_flags,
                         const SplitNodes& split) const {
  // Root split: the root keeps its pgno and becomes the parent of two new pages.
  const auto& nodes = split.nodes;
  std::uint32_t a = 0, b = 0;
  std::span<std::uint8_t> pa, pb, root;
  JET_ERR err;
  if ((err = mtr.Allocate(objid_, child_flags, &a, &pa)) < 0) return err;
  if ((err = mtr.Allocate(objid_, child_flags, &b, &pb)) < 0) return err;
  JF_ASSERT_NE(a, b);
  if ((err = FillPage(pa, nodes, 0, split.m)) < 0) return err;
  if ((err = FillPage(pb, nodes, split.m, nodes.size())) < 0) return err;
  JF_ASSERT_EQ(format::NodeCount(pa) + format::NodeCount(pb), nodes.size());
  if (leaf) {
    SetLinks(pa, 0, b);
    SetLinks(pb, a, 0);
  }
  if ((err = mtr.Writable(pgno, &root)) < 0) return err;
  format::ClearNodes(root);
  format::PageHeader rh = format::LoadPageHeader(root);
  rh.flags = format::kPageFlagRoot | (leaf ? format::kPageFlagParentOfLeaf : 0);
  rh.pgno_prev = rh.pgno_next = 0;
  format::StorePageHeader(root, rh);
  std::vector<std::uint8_t> left_node, right_node;
  EncodeInternalNode({}, a, &left_node);
  EncodeInternalNode(split.sep_key, b, &right_node);
  if ((err = format::InsertNode(root, 0, left_node)) < 0) return err;
  if ((err = format::InsertNode(root, 1, right_node)) < 0) return err;
  JF_ASSERT_EQ(format::NodeCount(root), 2);  // a new root: the two halves, nothing else
  return JET_errSuccess;
}

JET_ERR BTree::SplitSibling(MiniTxn& mtr, std::uint32_t pgno, const format::PageHeader& h, bool leaf,
                            std::uint32_t child_flags, const SplitNodes& split, std::uint32_t* right_pgno) const {
  const auto& nodes = split.nodes;
  std::uint32_t right = 0;
  std::span<std::uint8_t> pr, pl;
  JET_ERR err;
  if ((err = mtr.Allocate(objid_, child_flags, &right, &pr)) < 0) return err;
  JF_ASSERT_NE(right, pgno);
  if ((err = FillPage(pr, nodes, split.m, nodes.size())) < 0) return err;
  if ((err = mtr.Writable(pgno, &pl)) < 0) return err;
  if ((err = FillPage(pl, nodes, 0, split.m)) < 0) return err;
  JF_ASSERT_EQ(format::NodeCount(pl), split.m);
  JF_ASSERT_EQ(format::NodeCount(pr), nodes.size() - split.m);
  if (leaf) {
    SetLinks(pr, pgno, h.pgno_next);
    SetLinks(pl, h.pgno_prev, right);
    if (h.pgno_next != 0) {
      std::span<std::uint8_t> pn;
      if ((err = mtr.Writable(h.pgno_next, &pn)) < 0) return err;
      format::PageHeader nh = format::LoadPageHeader(pn);
      if (nh.pgno_prev != pgno) return JET_errBadPageLink;
      nh.pgno_prev = right;
      format::StorePageHeader(pn, nh);
    }
  }
  *right_pgno = right;
  return JET_errSuccess;
}

JET_ERR BTree::SeekKey(Database& db, std::span<const std::uint8_t> key, Seek seek, bool* found, std::string* out_key,
                       std::vector<std::uint8_t>* out_value, LeafPosition* position) const {
  *found = false;
  const bool keyed = seek != Seek::kFirst && seek != Seek::kLast;
  std::uint32_t pgno = 0;
  std::span<const std::uint8_t> page;
  std::size_t lower = 0;
  bool exact = false;
  LeafNode hinted;
  bool holds = false;
  FenceSpans fence;
  JET_ERR err = JET_errSuccess;
  if (keyed && position != nullptr && (err = AtHint(db, key, *position, &page, &hinted, &holds)) < 0) return err;
  if (holds) {
    // A descent would end on this leaf, and its search on this node.
    pgno = position->pgno;
    lower = position->index;
    exact = true;
  } else {
    Path path;
    if ((err = Descend(db, key, seek == Seek::kLast, &path, &fence)) < 0) return err;
    // A descent starts at the root and ends on a leaf.
    JF_ASSERT_GE(path.size(), 1u);
    JF_ASSERT_EQ(path[0].pgno, root_);
    pgno = path.back().pgno;
    if ((err = db.ReadPage(pgno, &page)) < 0) return err;
    if (keyed && (err = LeafSearch(page, key, &lower, &exact)) < 0) return err;
  }
  if (position != nullptr) position->pgno = 0;
  const std::uint32_t reached = pgno;  // where the descent ended, or the hint's leaf
  const bool forward = seek == Seek::kGE || seek == Seek::kGT || seek == Seek::kFirst;
  // Signed position in the current leaf; normalised across empty or exhausted leaves.
  std::ptrdiff_t pos = 0;
  switch (seek) {
    case Seek::kFirst: pos = 0; break;
    case Seek::kLast: pos = static_cast<std::ptrdiff_t>(format::NodeCount(page)) - 1; break;
    case Seek::kGE: pos = static_cast<std::ptrdiff_t>(lower); break;
    case Seek::kGT: pos = static_cast<std::ptrdiff_t>(lower) + (exact ? 1 : 0); break;
    case Seek::kLE: pos = static_cast<std::ptrdiff_t>(lower) - (exact ? 0 : 1); break;
    case Seek::kLT: pos = static_cast<std::ptrdiff_t>(lower) - 1; break;
  }
  SiblingCycleDetector cycle(pgno);
  for (;;) {
    std::ptrdiff_t count = format::NodeCount(page);
    if (pos >= 0 && pos < count) break;
    std::uint32_t sibling = 0;
    if ((err = Sibling(db, pgno, forward, &sibling)) < 0) return err;
    if (sibling == 0) return JET_errSuccess;
    if (!cycle.Visit(sibling)) return JET_errBadPageLink;
    pgno = sibling;
    if ((err = db.ReadPage(pgno, &page)) < 0) return err;
    pos = forward ? 0 : static_cast<std::ptrdiff_t>(format::NodeCount(page)) - 1;
  }
  JF_ASSERT(pos >= 0 && pos < format::NodeCount(page));
  LeafNode node;
  if (!DecodeLeafNode(format::NodeAt(page, static_cast<std::size_t>(pos)), &node)) return JET_errDatabaseCorrupted;
  // Separators or sibling links that disagree with the keys (a stale page) can land a
  // seek on the wrong side of its key; a caller stepping from key to key would then
  // never get past it.
  if (keyed) {
    const int cmp = CompareKeys(node.key, key);
    const bool beyond = seek == Seek::kGE   ? cmp >= 0
                        : seek == Seek::kGT ? cmp > 0
                        : seek == Seek::kLE ? cmp <= 0
                                            : cmp < 0;
    if (!beyond) return JET_errDatabaseCorrupted;
  }
  if (out_key != nullptr) {
    if (!faultfs::AllocationAllowed("record-copy")) return JET_errOutOfMemory;
    // (pointer, size), not the iterator pair: from uint8_t iterators std::string copies
    // a char at a time, and this runs for every record a scan steps onto.
    out_key->assign(reinterpret_cast<const char*>(node.key.data()), node.key.size());
  }
  if ((err = CopyBytes(node.value, out_value)) < 0) return err;
  if (position != nullptr) {
    // Fenced only where this search's own comparisons (or the hint's) say a descent
    // for the key found would end; the hint keeps its fence for a node of its leaf.
    const bool fenced = pgno == reached && seek != Seek::kLast;
    if (holds && fenced) {
      position->pgno = pgno;
      position->index = static_cast<std::size_t>(pos);
    } else {
      Remember(db, pgno, static_cast<std::size_t>(pos), page, fenced ? &fence : nullptr, position);
    }
  }
  *found = true;
  return JET_errSuccess;
}

JET_ERR BTree::Check(Database& db, std::uint64_t* records) const {
  Path path;
  JET_ERR err = Descend(db, {}, false, &path);
  if (err < 0) return err;
  JF_ASSERT_GE(path.size(), 1u);
  JF_ASSERT_EQ(path[0].pgno, root_);
  std::uint32_t pgno = path.back().pgno;
  std::vector<std::uint8_t> last_key;
  bool have_last = false;
  *records = 0;
  SiblingCycleDetector cycle(pgno);
  while (pgno != 0) {
    std::span<const std::uint8_t> page;
    if ((err = db.ReadPage(pgno, &page)) < 0) return err;
    if (!IsLeaf(page)) return JET_errDatabaseCorrupted;
    for (std::size_t i = 0; i < format::NodeCount(page); ++i) {
      LeafNode node;
      if (!DecodeLeafNode(format::NodeAt(page, i), &node)) return JET_errDatabaseCorrupted;
      if (have_last && CompareKeys(last_key, node.key) >= 0) return JET_errDatabaseCorrupted;
      last_key.assign(node.key.begin(), node.key.end());
      have_last = true;
      ++*records;
    }
    std::uint32_t next = 0;
    if ((err = Sibling(db, pgno, true, &next)) < 0) return err;
    if (next != 0 && !cycle.Visit(next)) return JET_errBadPageLink;
    pgno = next;
  }
  return JET_errSuccess;
}

}  // namespace jet::db

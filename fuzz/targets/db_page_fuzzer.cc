// db_page_fuzzer — database pages (format/page.h): the page header, the checksum with
// its page number, the slotted node layout, and the node edits the B-tree makes.
//
// Input: u8 page-size selector (4/8/16/32 KiB), u32 pgno, page_size bytes of page
// (zero-padded when short), then a script of node edits. Checked:
//   1. VerifyPage on the raw page returns success or a known JET_err.
//   2. The page header is a plain struct: StorePageHeader(LoadPageHeader(p)) gives the
//      same 40 bytes back.
//   3. With the checksum recomputed for pgno, VerifyPage agrees with
//      ValidatePageLayout, and reading the page as any other pgno is
//      JET_errReadPgnoVerifyFailure: the checksum binds the page to its place.
//   4. If the layout is valid, every node lies inside the node area, and a page rebuilt
//      from those nodes by InitPage + InsertNode holds the same nodes.
//   5. The edit script runs against that page and a model (a vector of nodes): each
//      insert/replace/delete succeeds exactly when the model says there is room, the
//      layout stays valid, the nodes equal the model's, and the header fields the
//      edits must not touch (dbtime, links, objid, flags) stay put.
#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <utility>
#include <vector>

#include "checksum_fixup.h"
#include "format/page.h"
#include "fuzz_check.h"

namespace {

namespace format = jet::format;
using jetfault::fuzz::Bytes;
using jetfault::fuzz::InputReader;

constexpr std::array<std::size_t, 4> kPageSizes = {4096, 8192, 16384, 32768};

// The model of a page's nodes: views of their bytes (into the input or into a snapshot
// of the page taken before the edits), so inserting and deleting moves 16-byte views,
// never node bytes.
using ModelNode = std::span<const std::uint8_t>;

// Bytes a set of nodes occupies: data plus one tag each.
template <class NodeList>
std::size_t UsedBytes(const NodeList& nodes) {
  std::size_t used = 0;
  for (const auto& node : nodes) used += node.size() + format::kTagSize;
  return used;
}

// Node i of a page whose count is `count`, checked to lie inside the node area.
std::span<const std::uint8_t> NodeInArea(std::span<const std::uint8_t> page, std::uint16_t count, std::size_t i) {
  const std::uint8_t* area_begin = page.data() + format::kPageHeaderSize;
  const std::uint8_t* area_end = page.data() + page.size() - format::kTagSize * count;
  const auto node = format::NodeAt(page, i);
  FUZZ_CHECK(node.empty() || (node.data() >= area_begin && node.data() + node.size() <= area_end));
  return node;
}

// Views of the page's nodes, each checked to lie inside the node area (and no node past
// the count), into *nodes (emptied first). Views, not copies: the page is a snapshot
// the caller keeps unchanged.
void ReadNodes(std::span<const std::uint8_t> page, std::vector<ModelNode>* nodes) {
  const std::uint16_t count = format::NodeCount(page);
  nodes->clear();
  nodes->reserve(count);
  for (std::size_t i = 0; i < count; ++i) nodes->push_back(NodeInArea(page, count, i));
  FUZZ_CHECK(format::NodeAt(page, count).empty());
}

// The page's nodes equal the model's, byte for byte (it runs after every edit).
bool NodesEqual(std::span<const std::uint8_t> page, const std::vector<ModelNode>& model) {
  const std::uint16_t count = format::NodeCount(page);
  if (count != model.size()) return false;
  const ModelNode* expected = model.data();
  for (std::size_t i = 0; i < count; ++i) {
    const auto node = NodeInArea(page, count, i);
    if (node.size() != expected[i].size() ||
        (!node.empty() && std::memcmp(node.data(), expected[i].data(), node.size()) != 0)) {
      return false;
    }
  }
  return format::NodeAt(page, count).empty();
}

// Header fields that node edits must leave alone.
bool SameIdentity(const format::PageHeader& a, const format::PageHeader& b) {
  return a.dbtime == b.dbtime && a.pgno_prev == b.pgno_prev && a.pgno_next == b.pgno_next && a.objid == b.objid &&
         a.flags == b.flags;
}

// Shifts model[from, from + count) by one place (to from + 1 when `up`, else to
// from - 1). Not std::vector's insert/erase, nor std::swap: clang-14's ASan turns their
// memmove into a byte-at-a-time loop (__sanitizer::internal_memmove) and each span copy
// into a checked memcpy, which made the model's shifts a sixth of the time. A plain
// loop over the model's own (reserved, in-bounds) storage, unchecked and not turned back
// into memmove; the engine's code stays fully checked.
#if defined(__clang__)
__attribute__((no_sanitize("address"), no_builtin("memmove")))
#endif
void ShiftNodes(ModelNode* nodes, std::size_t from, std::size_t count, bool up) {
  if (up) {
    for (std::size_t k = from + count; k > from; --k) nodes[k] = nodes[k - 1];
  } else {
    for (std::size_t k = from; k < from + count; ++k) nodes[k - 1] = nodes[k];
  }
}

void ModelInsert(std::vector<ModelNode>& model, std::size_t index, ModelNode node) {
  FUZZ_CHECK(index <= model.size());
  model.push_back(node);
  ShiftNodes(model.data(), index, model.size() - 1 - index, /*up=*/true);
  model[index] = node;
}

void ModelErase(std::vector<ModelNode>& model, std::size_t index) {
  FUZZ_CHECK(index < model.size());
  ShiftNodes(model.data(), index + 1, model.size() - 1 - index, /*up=*/false);
  model.pop_back();
}

constexpr int kMaxEdits = 64;

void RunEdits(std::span<std::uint8_t> page, std::vector<ModelNode>& model, InputReader& script) {
  model.reserve(model.size() + kMaxEdits);  // no regrowth: each edit inserts at most one node
  const format::PageHeader identity = format::LoadPageHeader(page);
  const std::size_t area = page.size() - format::kPageHeaderSize;
  std::size_t used = UsedBytes(model);  // kept equal to UsedBytes(model) as the model changes
  for (int step = 0; step < kMaxEdits && !script.empty(); ++step) {
    const std::uint8_t kind = script.U8() % 3;
    const std::size_t index = script.U16() % (model.size() + 1);
    const ModelNode node = script.BlobView(format::MaxNodeSize(page.size()) + 8);
    const std::size_t free_bytes = area - used;
    JET_ERR err = JET_errSuccess;
    bool expect_ok = false;
    if (kind == 0) {
      expect_ok = node.size() + format::kTagSize <= free_bytes;
      err = format::InsertNode(page, index, node);
      if (expect_ok) {
        ModelInsert(model, index, node);
        used += node.size() + format::kTagSize;
      }
    } else if (kind == 1) {
      expect_ok = index < model.size() && node.size() <= free_bytes + model[index].size();
      err = format::ReplaceNode(page, index, node);
      if (expect_ok) {
        used = used - model[index].size() + node.size();
        model[index] = node;
      }
    } else {
      expect_ok = index < model.size();
      err = format::DeleteNode(page, index);
      if (expect_ok) {
        used -= model[index].size() + format::kTagSize;
        ModelErase(model, index);
      }
    }
    FUZZ_CHECK((err == JET_errSuccess) == expect_ok);
    if (err != JET_errSuccess) jetfault::fuzz::CheckIsKnownError(err);
    FUZZ_CHECK(format::ValidatePageLayout(page) == JET_errSuccess);
    FUZZ_CHECK(NodesEqual(page, model));
    const format::PageHeader after = format::LoadPageHeader(page);
    FUZZ_CHECK(after.cb_free == area - used);
    FUZZ_CHECK(SameIdentity(after, identity));
  }
}

// The page-sized buffers of one page size, allocated on first use and reused by every
// input of that size: a fresh allocation, zero-fill and ASan quarantine per input were
// about a sixth of the time. Each is exactly the page size, so ASan still reports any
// access past its end, and every input overwrites all of each one it uses (no state
// carries from one input to the next: a finding replays alone).
struct PageBuffers {
  std::vector<std::uint8_t> page;     // the input's page (zero-padded), edited in step 5
  std::vector<std::uint8_t> scratch;  // header round trip, then the snapshot of step 4
  std::vector<std::uint8_t> rebuilt;  // InitPage + InsertNode of the snapshot's nodes
  std::vector<ModelNode> nodes;       // the model: views into the snapshot and the input
};

PageBuffers& BuffersFor(std::size_t size_index) {
  static std::array<PageBuffers, kPageSizes.size()> buffers;
  PageBuffers& b = buffers[size_index];
  if (b.page.empty()) {
    const std::size_t page_size = kPageSizes[size_index];
    b.page.resize(page_size);
    b.scratch.resize(page_size);
    b.rebuilt.resize(page_size);
  }
  return b;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  InputReader input(Bytes(data, size));
  const std::size_t size_index = input.U8() % kPageSizes.size();
  const std::size_t page_size = kPageSizes[size_index];
  const std::uint32_t pgno = input.U32();
  PageBuffers& buffers = BuffersFor(size_index);
  const std::span<std::uint8_t> page(buffers.page);
  const Bytes given = input.TakeView(page_size);
  std::fill(std::copy(given.begin(), given.end(), page.begin()), page.end(), 0);  // zero-padded when short

  // 1. Raw page, as read from disk.
  const JET_ERR raw = format::VerifyPage(page, pgno);
  if (raw != JET_errSuccess) jetfault::fuzz::CheckIsKnownError(raw);

  // 2. The header codec is exact. `scratch` is a page-sized buffer reused below.
  const std::span<std::uint8_t> scratch(buffers.scratch);
  std::copy(page.begin(), page.end(), scratch.begin());
  format::StorePageHeader(scratch, format::LoadPageHeader(page));
  FUZZ_CHECK(std::equal(scratch.begin(), scratch.end(), page.begin()));

  // 3. With a valid checksum, only the layout decides; the pgno binds.
  jetfault::fuzz::FixNumberedChecksum(page, pgno);
  const JET_ERR layout = format::ValidatePageLayout(page);
  FUZZ_CHECK(format::VerifyPage(page, pgno) == layout);
  FUZZ_CHECK(format::VerifyPage(page, pgno + 1) == JET_errReadPgnoVerifyFailure);
  if (layout != JET_errSuccess) {
    jetfault::fuzz::CheckIsKnownError(layout);
    return 0;
  }

  // 4. The nodes survive a rebuild. They are read from a snapshot of the page (the
  // edits below change the page; the model's views must not change with it).
  std::copy(page.begin(), page.end(), scratch.begin());
  const std::span<const std::uint8_t> snapshot(scratch);
  std::vector<ModelNode>& nodes = buffers.nodes;
  ReadNodes(snapshot, &nodes);
  const format::PageHeader header = format::LoadPageHeader(snapshot);
  const std::span<std::uint8_t> rebuilt(buffers.rebuilt);
  format::InitPage(rebuilt, header.objid, header.flags, header.dbtime);  // zero-fills all of it
  for (std::size_t i = 0; i < nodes.size(); ++i) FUZZ_CHECK(format::InsertNode(rebuilt, i, nodes[i]) == JET_errSuccess);
  FUZZ_CHECK(NodesEqual(rebuilt, nodes));

  // 5. Edits against a model, on the page as it was (holes and all).
  RunEdits(page, nodes, input);
  return 0;
}

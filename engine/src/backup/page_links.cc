#include "backup/page_links.h"

#include <algorithm>
#include <cstddef>
#include <limits>
#include <memory>
#include <span>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "base/io_error.h"
#include "faultfs/alloc_fault.h"
#include "format/db_header.h"
#include "jetfault/assert.h"

namespace jet::backup {

namespace {

constexpr std::uint32_t kReadChunkBytes = 1u << 20;

using Entry = PageLinkTable::Entry;
static_assert(sizeof(Entry) == 16, "an entry is stored as its 16 bytes");
static_assert(std::is_trivially_copyable_v<Entry>);

// The rules of FindBrokenLinks, page by page in ascending order. Every lookup goes
// through the table (which may read its spill file), so a check needs no memory of its
// own beyond the links it reports: "no page reached twice" is the table's chained mark.
class LinkChecker {
 public:
  LinkChecker(PageLinkTable& pages, std::vector<BrokenLink>* broken, std::size_t limit)
      : pages_(pages), broken_(*broken), limit_(limit) {}

  JET_ERR Run() {
    if (JET_ERR err = pages_.ClearMarks(); err < 0) return err;
    for (std::uint32_t pgno = 1; pgno <= pages_.pgno_last() && !Full(); ++pgno) {
      Entry page;
      if (JET_ERR err = pages_.Get(pgno, &page); err < 0) return err;
      if (!page.valid) continue;
      if (JET_ERR err = Check(pgno, page); err < 0) return err;
    }
    return JET_errSuccess;
  }

 private:
  bool Full() const { return limit_ != 0 && broken_.size() >= limit_; }

  JET_ERR Check(std::uint32_t pgno, const Entry& header) {
    JF_ASSERT(header.valid);  // Run checks the links of valid pages only
    JF_ASSERT_GE(pgno, 1u);
    if (header.flags & format::kPageFlagLongValue) {
      if (header.pgno_prev != 0) return Bad(pgno, "prev", header.pgno_prev, "a long-value page has no prev link");
      if (header.pgno_next == 0) return JET_errSuccess;
      Entry next;
      if (JET_ERR err = Target(pgno, "next", header.pgno_next, &next); err < 0 || !next.valid) return err;
      if (!(next.flags & format::kPageFlagLongValue) || next.objid != header.objid) {
        return Bad(pgno, "next", header.pgno_next, fmt::format("it is not a long-value page of tree {}", header.objid));
      }
      bool was = false;
      if (JET_ERR err = pages_.MarkChained(header.pgno_next, &was); err < 0) return err;
      if (was) return Bad(pgno, "next", header.pgno_next, "another long-value page links to it too");
      return JET_errSuccess;
    }
    if (!(header.flags & format::kPageFlagLeaf)) {
      if (header.pgno_prev != 0) return Bad(pgno, "prev", header.pgno_prev, "an internal page has no sibling links");
      if (header.pgno_next != 0) return Bad(pgno, "next", header.pgno_next, "an internal page has no sibling links");
      return JET_errSuccess;
    }
    // Both links are checked (a page with two broken links reports both, next first).
    if (JET_ERR err = Sibling(pgno, header, header.pgno_next, true); err < 0) return err;
    return Sibling(pgno, header, header.pgno_prev, false);
  }

  JET_ERR Sibling(std::uint32_t pgno, const Entry& header, std::uint32_t target, bool forward) {
    if (target == 0) return JET_errSuccess;
    // Only leaf pages have siblings (Check sends long-value and internal pages elsewhere).
    JF_ASSERT((header.flags & format::kPageFlagLeaf) != 0);
    JF_ASSERT((header.flags & format::kPageFlagLongValue) == 0);
    const char* name = forward ? "next" : "prev";
    Entry other;
    if (JET_ERR err = Target(pgno, name, target, &other); err < 0 || !other.valid) return err;
    const std::uint32_t back = forward ? other.pgno_prev : other.pgno_next;
    if (back != pgno || other.objid != header.objid || !(other.flags & format::kPageFlagLeaf)) {
      return Bad(pgno, name, target,
                 fmt::format("it links back to {} (objid {} vs {}, flags {:#x})", back, other.objid, header.objid,
                             other.flags));
    }
    return JET_errSuccess;
  }

  // The entry of the page a link names; one not valid (reported) when it is free or
  // outside the database.
  JET_ERR Target(std::uint32_t pgno, const char* name, std::uint32_t target, Entry* out) {
    if (JET_ERR err = pages_.Get(target, out); err < 0) return err;
    if (!out->valid) return Bad(pgno, name, target, "it is not a valid page");
    return JET_errSuccess;
  }

  // Records a broken link (up to the limit); the check goes on.
  JET_ERR Bad(std::uint32_t pgno, const char* name, std::uint32_t target, const std::string& why) {
    if (!Full()) broken_.push_back({pgno, fmt::format("{} link to page {}: {}", name, target, why)});
    return JET_errSuccess;
  }

  PageLinkTable& pages_;
  std::vector<BrokenLink>& broken_;
  const std::size_t limit_;
};

JET_ERR Fail(const faultfs::Status& status, const std::string& what) {
  SetLastErrorDetail(fmt::format("{}: {}", what, status.ToString()));
  return IoError(status, FileKind::kDatabase);
}

// Verifies the pages first, first+1, ... read into chunk (got bytes of it) and puts
// each one's links into pages: a blank page is free, any other failure is the error.
JET_ERR RecordChunk(const std::string& path, std::uint32_t page_size, std::uint32_t first,
                    std::span<std::uint8_t> chunk, std::size_t got, PageLinkTable& pages) {
  JF_ASSERT_EQ(chunk.size() % page_size, 0u);
  JF_ASSERT_LE(got, chunk.size());  // a read returns at most what it was asked for
  const auto n = static_cast<std::uint32_t>(chunk.size() / page_size);
  for (std::uint32_t i = 0; i < n; ++i) {
    const std::uint32_t pgno = first + i;
    if (got < std::size_t{i + 1} * page_size) {
      SetLastErrorDetail(fmt::format("{}: page {} is beyond the end of the file", path, pgno));
      return JET_errReadVerifyFailure;
    }
    const std::span<std::uint8_t> page = chunk.subspan(std::size_t{i} * page_size, page_size);
    const JET_ERR err = format::VerifyPage(page, pgno);
    if (err == JET_errPageNotInitialized) {
      if (JET_ERR set = pages.SetFree(pgno); set < 0) return set;
      continue;
    }
    if (err < 0) {
      SetLastErrorDetail(fmt::format("{}: page {} fails verification", path, pgno));
      return err;
    }
    if (JET_ERR set = pages.Set(pgno, format::LoadPageHeader(page)); set < 0) return set;
  }
  return JET_errSuccess;
}

}  // namespace

// The spill file: entry i at byte 16 * i (i = pgno; entry 0 unused), read and written in
// blocks through a cache of whole blocks, least recently used evicted first (written
// back when changed). Bytes past the end of the file are free entries.
class PageLinkTable::SpillFile {
 public:
  SpillFile(faultfs::Vfs& vfs, std::string path, std::uint64_t memory_bytes) : vfs_(vfs), path_(std::move(path)) {
    // Blocks of up to 64 KiB, at least 16 of them when the memory allows, never fewer
    // than two 4 KiB ones.
    std::uint64_t block = kMaxBlockBytes;
    while (block > kMinBlockBytes && block * 16 > memory_bytes) block /= 2;
    block_entries_ = static_cast<std::uint32_t>(block / sizeof(Entry));
    slot_count_ = static_cast<std::uint32_t>(
        std::max<std::uint64_t>(2, std::min<std::uint64_t>(memory_bytes / block, 1u << 16)));
  }

  const std::string& path() const { return path_; }

  // Creates (replaces) the file: a rerun after a crash starts from an empty one.
  JET_ERR Create() {
    faultfs::OpenOptions create{faultfs::Access::kReadWrite, faultfs::kShareNone, faultfs::Disposition::kCreateAlways};
    create.follow_links = false;  // never write through a link planted at the name
    if (auto s = vfs_.Open(path_, create, &file_); !s.ok()) return Fail(s, "create " + path_);
    return JET_errSuccess;
  }

  // Entries [0, count) as one run of bytes, before the cache exists.
  JET_ERR WriteInitial(std::span<const Entry> entries) {
    JF_ASSERT(slots_.empty());
    const auto bytes = std::as_bytes(entries);
    const std::span<const std::uint8_t> data(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    if (auto s = file_->Write(0, data); !s.ok()) return Fail(s, "write " + path_);
    return JET_errSuccess;
  }

  // The cache: allocated once, after any WriteInitial.
  JET_ERR AllocateCache() {
    if (!faultfs::AllocationAllowed("restore-link-cache")) {
      SetLastErrorDetail("no memory for the page link cache of " + path_);
      return JET_errOutOfMemory;
    }
    cache_.resize(std::size_t{slot_count_} * block_entries_);
    slots_.resize(slot_count_);
    return JET_errSuccess;
  }

  // The cached entry `index`, valid until the next call; `change`: it will be changed.
  JET_ERR At(std::uint32_t index, bool change, Entry** out) {
    JF_ASSERT(!slots_.empty());  // AllocateCache succeeded
    const std::uint32_t block = index / block_entries_;
    std::uint32_t slot = last_slot_;
    if (slots_[slot].block != block) {
      if (JET_ERR err = Load(block, &slot); err < 0) return err;
    }
    JF_ASSERT_LT(slot, slot_count_);
    JF_ASSERT_EQ(slots_[slot].block, block);  // the hit, or what Load just put there
    Slot& s = slots_[slot];
    s.used = ++clock_;
    s.dirty = s.dirty || change;
    last_slot_ = slot;
    *out = &cache_[std::size_t{slot} * block_entries_ + index % block_entries_];
    return JET_errSuccess;
  }

  // Entries from `count` on become free: cached blocks past it are dropped, the block
  // holding it is cleared from there, and the file is cut there.
  JET_ERR Shrink(std::uint32_t count) {
    for (std::uint32_t i = 0; i < slot_count_; ++i) {
      Slot& s = slots_[i];
      if (s.block == kNoBlock) continue;
      const std::uint64_t first = std::uint64_t{s.block} * block_entries_;
      if (first >= count) {
        where_.erase(s.block);
        s = Slot{};
      } else if (first + block_entries_ > count) {
        Entry* begin = &cache_[std::size_t{i} * block_entries_];
        std::fill(begin + (count - first), begin + block_entries_, Entry{});
        s.dirty = true;
      }
    }
    // No cached block lies wholly past the new end any more.
    for (const Slot& s : slots_) JF_ASSERT(s.block == kNoBlock || std::uint64_t{s.block} * block_entries_ < count);
    JF_ASSERT_LE(where_.size(), slot_count_);
    if (auto s = file_->Truncate(std::uint64_t{count} * sizeof(Entry)); !s.ok()) return Fail(s, "truncate " + path_);
    return JET_errSuccess;
  }

  // Every entry in [1, count) with its chained mark cleared.
  JET_ERR ClearMarks(std::uint32_t count) {
    for (std::uint32_t index = 1; index < count; ++index) {
      Entry* entry = nullptr;
      if (JET_ERR err = At(index, false, &entry); err < 0) return err;
      if (entry->chained == 0) continue;
      entry->chained = 0;
      slots_[last_slot_].dirty = true;
    }
    return JET_errSuccess;
  }

  void Close() { file_.reset(); }

 private:
  static constexpr std::uint64_t kMaxBlockBytes = 64u << 10;
  static constexpr std::uint64_t kMinBlockBytes = 4u << 10;
  static constexpr std::uint32_t kNoBlock = std::numeric_limits<std::uint32_t>::max();

  struct Slot {
    std::uint32_t block = kNoBlock;
    bool dirty = false;
    std::uint64_t used = 0;  // clock_ at the last access
  };

  std::uint64_t Offset(std::uint32_t block) const { return std::uint64_t{block} * block_entries_ * sizeof(Entry); }
  std::span<std::uint8_t> Bytes(std::uint32_t slot) {
    return {reinterpret_cast<std::uint8_t*>(&cache_[std::size_t{slot} * block_entries_]),
            std::size_t{block_entries_} * sizeof(Entry)};
  }

  // Puts block into a slot (the least recently used one, written back first if changed).
  JET_ERR Load(std::uint32_t block, std::uint32_t* out) {
    if (const auto it = where_.find(block); it != where_.end()) {
      *out = it->second;
      return JET_errSuccess;
    }
    std::uint32_t victim = 0;
    for (std::uint32_t i = 1; i < slot_count_; ++i) {
      if (slots_[i].used < slots_[victim].used) victim = i;
    }
    Slot& s = slots_[victim];
    if (s.block != kNoBlock) {
      if (s.dirty) {
        if (auto st = file_->Write(Offset(s.block), Bytes(victim)); !st.ok()) return Fail(st, "write " + path_);
      }
      where_.erase(s.block);
      s = Slot{};
    }
    const std::span<std::uint8_t> bytes = Bytes(victim);
    std::size_t got = 0;
    if (auto st = file_->Read(Offset(block), bytes, &got); !st.ok()) return Fail(st, "read " + path_);
    std::fill(bytes.begin() + static_cast<std::ptrdiff_t>(got), bytes.end(), std::uint8_t{0});  // past the end: free
    s.block = block;
    where_.emplace(block, victim);
    JF_ASSERT_LE(where_.size(), slot_count_);  // one block per slot, at most
    *out = victim;
    return JET_errSuccess;
  }

  faultfs::Vfs& vfs_;
  const std::string path_;
  std::unique_ptr<faultfs::File> file_;
  std::uint32_t block_entries_ = 0;
  std::uint32_t slot_count_ = 0;
  std::vector<Entry> cache_;  // slot_count_ blocks
  std::vector<Slot> slots_;
  std::unordered_map<std::uint32_t, std::uint32_t> where_;  // block -> slot holding it
  std::uint32_t last_slot_ = 0;
  std::uint64_t clock_ = 0;
};

PageLinkTable::PageLinkTable() = default;
PageLinkTable::PageLinkTable(Spill spill) : spill_(std::move(spill)) {
  JF_ASSERT(spill_.vfs != nullptr || spill_.memory_bytes == 0);
}
PageLinkTable::PageLinkTable(PageLinkTable&&) noexcept = default;
PageLinkTable& PageLinkTable::operator=(PageLinkTable&&) noexcept = default;
PageLinkTable::~PageLinkTable() = default;

bool PageLinkTable::spilled() const { return file_ != nullptr; }

JET_ERR PageLinkTable::Resize(std::uint32_t pgno_last) {
  const std::uint64_t count = std::uint64_t{pgno_last} + 1;
  if (file_ == nullptr) {
    if (spill_.memory_bytes == 0 || count * sizeof(Entry) <= spill_.memory_bytes) {
      entries_.resize(count);
      pgno_last_ = pgno_last;
      return JET_errSuccess;
    }
    // No longer fits: every entry kept so far (up to the new end) moves to the file.
    entries_.resize(std::min<std::uint64_t>(entries_.size(), count));
    if (JET_ERR err = StartSpill(); err < 0) return err;
  } else if (pgno_last < pgno_last_) {
    if (JET_ERR err = file_->Shrink(static_cast<std::uint32_t>(count)); err < 0) return err;
  }
  // Spilled: every entry lives in the file, none in memory.
  JF_ASSERT(spilled());
  JF_ASSERT(entries_.empty());
  pgno_last_ = pgno_last;
  return JET_errSuccess;
}

JET_ERR PageLinkTable::StartSpill() {
  file_ = std::make_unique<SpillFile>(*spill_.vfs, spill_.path, spill_.memory_bytes);
  if (JET_ERR err = file_->Create(); err < 0) return err;
  if (!entries_.empty()) {
    if (JET_ERR err = file_->WriteInitial(entries_); err < 0) return err;
  }
  std::vector<Entry>().swap(entries_);  // the memory back before the cache takes it
  return file_->AllocateCache();
}

JET_ERR PageLinkTable::Update(std::uint32_t pgno, const Entry& entry) {
  JF_ASSERT_GE(pgno, 1u);
  JF_ASSERT_LE(pgno, pgno_last_);
  if (file_ == nullptr) {
    entries_[pgno] = entry;
    return JET_errSuccess;
  }
  Entry* slot = nullptr;
  if (JET_ERR err = file_->At(pgno, true, &slot); err < 0) return err;
  *slot = entry;
  return JET_errSuccess;
}

JET_ERR PageLinkTable::Set(std::uint32_t pgno, const format::PageHeader& header) {
  // The flags word is page content, not an invariant: a page whose checksum holds may
  // still carry undefined bits above the 16 the table keeps (restore_fuzzer found a set
  // whose copy did, and this was an assertion). The link rules read only defined bits.
  return Update(pgno, Entry{header.pgno_prev, header.pgno_next, header.objid,
                            static_cast<std::uint16_t>(header.flags & 0xffffu), 1, 0});
}

JET_ERR PageLinkTable::SetFree(std::uint32_t pgno) { return Update(pgno, Entry{}); }

JET_ERR PageLinkTable::Get(std::uint32_t pgno, Entry* out) {
  if (pgno == 0 || pgno > pgno_last_) {
    *out = Entry{};
    return JET_errSuccess;
  }
  if (file_ == nullptr) {
    JF_ASSERT_LT(pgno, entries_.size());  // in memory the table holds pgno_last_ + 1 entries
    *out = entries_[pgno];
    return JET_errSuccess;
  }
  Entry* slot = nullptr;
  if (JET_ERR err = file_->At(pgno, false, &slot); err < 0) return err;
  *out = *slot;
  return JET_errSuccess;
}

JET_ERR PageLinkTable::MarkChained(std::uint32_t pgno, bool* was) {
  JF_ASSERT_GE(pgno, 1u);
  JF_ASSERT_LE(pgno, pgno_last_);
  marked_ = true;
  Entry* entry = nullptr;
  if (file_ == nullptr) {
    entry = &entries_[pgno];
  } else if (JET_ERR err = file_->At(pgno, true, &entry); err < 0) {
    return err;
  }
  *was = entry->chained != 0;
  entry->chained = 1;
  return JET_errSuccess;
}

JET_ERR PageLinkTable::ClearMarks() {
  if (!marked_) return JET_errSuccess;
  if (file_ == nullptr) {
    for (Entry& entry : entries_) entry.chained = 0;
  } else if (JET_ERR err = file_->ClearMarks(pgno_last_ + 1); err < 0) {
    return err;
  }
  marked_ = false;
  return JET_errSuccess;
}

JET_ERR PageLinkTable::Discard() {
  std::vector<Entry>().swap(entries_);
  pgno_last_ = 0;
  marked_ = false;
  if (file_ == nullptr) return JET_errSuccess;
  file_->Close();  // a handle without kShareDelete would refuse the delete
  const std::string path = file_->path();
  file_.reset();
  if (auto s = spill_.vfs->Delete(path); !s.ok() && s.code() != faultfs::ErrorCode::kNotFound) {
    return Fail(s, "delete " + path);
  }
  return JET_errSuccess;
}

JET_ERR FindBrokenLinks(PageLinkTable& pages, std::vector<BrokenLink>* broken, std::size_t limit) {
  return LinkChecker(pages, broken, limit).Run();
}

JET_ERR CheckPageLinks(PageLinkTable& pages, std::string* detail) {
  std::vector<BrokenLink> broken;
  if (JET_ERR err = FindBrokenLinks(pages, &broken, 1); err < 0) return err;
  if (broken.empty()) return JET_errSuccess;
  *detail = fmt::format("page {}: {}", broken.front().pgno, broken.front().what);
  return JET_errBadPageLink;
}

JET_ERR VerifyDatabaseLinks(faultfs::Vfs& vfs, const std::string& path, std::uint32_t page_size, PageLinkTable* known,
                            const ChangedPages* changed) {
  JF_ASSERT_EQ(known == nullptr, changed == nullptr);
  std::unique_ptr<faultfs::File> file;
  if (auto s = vfs.Open(path, {faultfs::Access::kRead, faultfs::kShareRead, faultfs::Disposition::kOpenExisting},
                        &file);
      !s.ok()) {
    return Fail(s, "open " + path);
  }
  if (!faultfs::AllocationAllowed("restore-page")) return JET_errOutOfMemory;
  std::vector<std::uint8_t> bytes(2 * std::size_t{page_size});
  std::size_t got = 0;
  if (auto s = file->Read(0, bytes, &got); !s.ok()) return Fail(s, "read " + path);
  if (got != bytes.size()) {
    SetLastErrorDetail(path + ": shorter than its header pair");
    return JET_errReadVerifyFailure;
  }
  format::DbHeader header;
  const std::span<std::uint8_t> all(bytes);
  if (JET_ERR err = format::DecodeDbHeaderPair(all.first(page_size), all.subspan(page_size, page_size), &header);
      err < 0) {
    SetLastErrorDetail(path + ": both header copies are invalid");
    return err;
  }
  // The table is sized by the header's pgno_last, so that must be a page count the file
  // holds before anything is allocated: a header whose checksum holds may still claim
  // billions of pages (restore_fuzzer found a 46 GB table). Such a file fails as it
  // would at its first missing page, only without the allocation.
  std::uint64_t file_size = 0;
  if (auto s = file->Size(&file_size); !s.ok()) return Fail(s, "size of " + path);
  if (format::DbPageOffset(std::uint64_t{header.pgno_last} + 1, page_size) > file_size) {
    SetLastErrorDetail(fmt::format("{}: the header's last page {} is beyond the end of the file ({} bytes)", path,
                                   header.pgno_last, file_size));
    return JET_errReadVerifyFailure;
  }
  PageLinkTable read_all;
  PageLinkTable& pages = known != nullptr ? *known : read_all;
  const std::uint32_t known_last = known != nullptr ? known->pgno_last() : 0;
  if (JET_ERR err = pages.Resize(header.pgno_last); err < 0) return err;
  // Pages whose entry is not already known to match the file: all of them, or those
  // changed since the table was filled and those past its end.
  auto must_read = [&](std::uint32_t pgno) { return pgno > known_last || changed->Contains(pgno); };
  // Read in chunks of consecutive pages, not one page per read, so that a full pass
  // runs at the device's (or the page cache's) streaming speed; never a chunk larger
  // than the database (a small one allocates only what it needs).
  const std::uint32_t chunk_pages = std::max<std::uint32_t>(
      1, std::min<std::uint32_t>(kReadChunkBytes / page_size, header.pgno_last));
  bytes.resize(std::size_t{chunk_pages} * page_size);
  for (std::uint32_t first = 1; first <= header.pgno_last;) {
    if (!must_read(first)) {
      ++first;
      continue;
    }
    std::uint32_t n = 1;
    while (n < chunk_pages && first + n <= header.pgno_last && must_read(first + n)) ++n;
    const std::span<std::uint8_t> chunk(bytes.data(), std::size_t{n} * page_size);
    if (auto s = file->Read(format::DbPageOffset(first, page_size), chunk, &got); !s.ok())
      return Fail(s, "read " + path);
    if (JET_ERR err = RecordChunk(path, page_size, first, chunk, got, pages); err < 0) return err;
    first += n;
  }
  std::string detail;
  const JET_ERR err = CheckPageLinks(pages, &detail);
  if (err == JET_errBadPageLink) SetLastErrorDetail(path + ": " + detail);
  return err;
}

}  // namespace jet::backup

// file_data.h — copy-on-write file contents for MemFs (internal).
//
// A file is a size plus a vector of pointers to immutable 4 KiB blocks; a null pointer
// is a block of zeros (sparse). Copying a FileData copies only the pointers, which is
// what makes MemFs clones and crash images cheap. Writing replaces each touched block
// with a fresh copy, so a block shared with a snapshot is never changed under it.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace faultfs::internal {

inline constexpr std::size_t kBlockSize = 4096;

struct Block {
  std::array<std::uint8_t, kBlockSize> bytes;  // every constructor sets all of them

  Block() { bytes.fill(0); }
  // A block of exactly these bytes (a write that covers the whole block): no zero-fill
  // first.
  explicit Block(std::span<const std::uint8_t, kBlockSize> src) { std::copy(src.begin(), src.end(), bytes.begin()); }
  // A copy takes the bytes only: it is made to be written, so its hash is not known.
  Block(const Block& other) : bytes(other.bytes) {}
  Block& operator=(const Block&) = delete;

  // The hash of a sample of the bytes, computed on first use and kept: a block is never
  // changed once a FileData holds it (copy-on-write), and crash images share most of
  // their blocks, so each is sampled once rather than once per image hashed. Threads
  // that race here store the same value.
  std::uint64_t SampleHash() const;

 private:
  mutable std::atomic<std::uint64_t> sample_hash_{0};  // 0: not computed yet
};

class FileData {
 public:
  std::uint64_t size() const { return size_; }

  // Copies the bytes of [offset, offset + dst.size()) that lie below size() into dst;
  // returns how many were copied.
  std::size_t Read(std::uint64_t offset, std::span<std::uint8_t> dst) const;
  // Stores data at offset, growing the file (zero-filled) when it ends past size().
  void Write(std::uint64_t offset, std::span<const std::uint8_t> data);
  // Shrinks (discarding bytes) or grows (with zeros) to exactly size.
  void Resize(std::uint64_t size);

  // A hash of size() and a sample of the bytes (one word in 64; a sparse block hashes
  // as the zeros it reads as): equal data hash equal.
  std::uint64_t Hash() const;
  // Same size and bytes. Blocks shared by both are equal without being read.
  bool SameBytes(const FileData& other) const;

 private:
  std::vector<std::shared_ptr<const Block>> blocks_;
  std::uint64_t size_ = 0;
};

}  // namespace faultfs::internal

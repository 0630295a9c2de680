#include "file_data.h"

#include <algorithm>
#include <cstring>

#include "jetfault/assert.h"

namespace faultfs::internal {
namespace {
std::size_t BlockCount(std::uint64_t size) { return static_cast<std::size_t>((size + kBlockSize - 1) / kBlockSize); }

const Block& ZeroBlock() {
  static const Block zeros{};
  return zeros;
}

const Block& BytesOf(const std::shared_ptr<const Block>& block) { return block ? *block : ZeroBlock(); }

std::uint64_t Rotl(std::uint64_t v, int r) { return (v << r) | (v >> (64 - r)); }
constexpr std::uint64_t kHashMul = 0x9E3779B97F4A7C15ULL;
}  // namespace

std::size_t FileData::Read(std::uint64_t offset, std::span<std::uint8_t> dst) const {
  if (offset >= size_) return 0;
  std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(dst.size(), size_ - offset));
  std::size_t done = 0;
  while (done < n) {
    std::uint64_t pos = offset + done;
    std::size_t index = static_cast<std::size_t>(pos / kBlockSize);
    std::size_t within = static_cast<std::size_t>(pos % kBlockSize);
    std::size_t chunk = std::min(n - done, kBlockSize - within);
    const Block* block = index < blocks_.size() ? blocks_[index].get() : nullptr;
    if (block == nullptr) {
      std::memset(dst.data() + done, 0, chunk);
    } else {
      std::memcpy(dst.data() + done, block->bytes.data() + within, chunk);
    }
    done += chunk;
  }
  return n;
}

void FileData::Write(std::uint64_t offset, std::span<const std::uint8_t> data) {
  if (data.empty()) return;
  std::uint64_t end = offset + data.size();
  if (end > size_) Resize(end);
  std::size_t done = 0;
  while (done < data.size()) {
    std::uint64_t pos = offset + done;
    std::size_t index = static_cast<std::size_t>(pos / kBlockSize);
    std::size_t within = static_cast<std::size_t>(pos % kBlockSize);
    std::size_t chunk = std::min(data.size() - done, kBlockSize - within);
    JF_ASSERT_LT(index, blocks_.size());  // grown above to cover [offset, end)
    // Copy-on-write: never modify a block in place, it may be shared with a snapshot.
    if (chunk == kBlockSize) {
      blocks_[index] = std::make_shared<Block>(data.subspan(done).first<kBlockSize>());
    } else {
      auto fresh = blocks_[index] ? std::make_shared<Block>(*blocks_[index]) : std::make_shared<Block>();
      std::memcpy(fresh->bytes.data() + within, data.data() + done, chunk);
      blocks_[index] = std::move(fresh);
    }
    done += chunk;
  }
}

void FileData::Resize(std::uint64_t size) {
  if (size < size_) {
    // Zero the tail of the last kept block, so that growing again reads zeros there.
    std::size_t within = static_cast<std::size_t>(size % kBlockSize);
    std::size_t index = static_cast<std::size_t>(size / kBlockSize);
    if (within != 0 && index < blocks_.size() && blocks_[index]) {
      auto fresh = std::make_shared<Block>(*blocks_[index]);
      std::memset(fresh->bytes.data() + within, 0, kBlockSize - within);
      blocks_[index] = std::move(fresh);
    }
  }
  blocks_.resize(BlockCount(size));
  size_ = size;
  // Exactly the blocks that cover size_ bytes: Read and Write index them by offset.
  JF_ASSERT_EQ(blocks_.size(), BlockCount(size_));
}

std::uint64_t Block::SampleHash() const {
  std::uint64_t h = sample_hash_.load(std::memory_order_relaxed);
  if (h != 0) return h;
  // The hash only picks candidates for SameBytes, which is exact, so it samples: one
  // 8-byte word in every 64 bytes (a page or a log record rewritten changes one), in
  // four independent lanes that keep the multiplier busy.
  constexpr std::size_t kStride = 64;
  std::uint64_t lanes[4] = {0x243F6A8885A308D3ULL, 0x13198A2E03707344ULL, 0xA4093822299F31D0ULL, 0x082EFA98EC4E6C89ULL};
  for (std::size_t at = 0; at < kBlockSize; at += 4 * kStride) {
    for (std::size_t lane = 0; lane < 4; ++lane) {
      std::uint64_t word;
      std::memcpy(&word, bytes.data() + at + lane * kStride, 8);
      lanes[lane] = (Rotl(lanes[lane], 29) ^ word) * kHashMul;
    }
  }
  h = 0;
  for (std::uint64_t lane : lanes) h = (Rotl(h, 31) ^ lane) * kHashMul;
  h ^= h >> 29;
  if (h == 0) h = 1;  // 0 means "not computed"
  sample_hash_.store(h, std::memory_order_relaxed);
  return h;
}

std::uint64_t FileData::Hash() const {
  // Each block's sampled hash, in order: a sparse block hashes as the zeros it reads as.
  std::uint64_t h = size_ ^ 0x452821E638D01377ULL;
  for (const std::shared_ptr<const Block>& block : blocks_) h = (Rotl(h, 31) ^ BytesOf(block).SampleHash()) * kHashMul;
  return h ^ (h >> 29);
}

bool FileData::SameBytes(const FileData& other) const {
  if (size_ != other.size_) return false;
  JF_ASSERT_EQ(blocks_.size(), other.blocks_.size());  // both cover size_ bytes
  for (std::size_t i = 0; i < blocks_.size(); ++i) {
    if (blocks_[i] == other.blocks_[i]) continue;
    if (BytesOf(blocks_[i]).bytes != BytesOf(other.blocks_[i]).bytes) return false;
  }
  return true;
}

}  // namespace faultfs::internal

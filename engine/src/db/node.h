// db/node.h — the bytes of B+tree nodes and record values (docs/formats/database.md).
//
//   leaf node:      u16 cbKey | key | stored value
//   internal node:  u16 cbKey | key | u32 child pgno   (node 0's key is ignored: -inf)
//   stored value:   u8 0 | value bytes                       (inline)
//                   u8 1 | u32 first LV pgno | u32 total size (long value)
// Decoders are bounds-checked and return false on malformed bytes.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "jet/jet.h"

namespace jet::db {

struct LeafNode {
  std::span<const std::uint8_t> key;
  std::span<const std::uint8_t> value;  // the stored value
};
struct InternalNode {
  std::span<const std::uint8_t> key;
  std::uint32_t child = 0;
};

bool DecodeLeafNode(std::span<const std::uint8_t> node, LeafNode* out);
bool DecodeInternalNode(std::span<const std::uint8_t> node, InternalNode* out);
void EncodeLeafNode(std::span<const std::uint8_t> key, std::span<const std::uint8_t> value,
                    std::vector<std::uint8_t>* out);
void EncodeInternalNode(std::span<const std::uint8_t> key, std::uint32_t child, std::vector<std::uint8_t>* out);

enum class ValueKind : std::uint8_t { kInline = 0, kLong = 1 };
struct StoredValue {
  ValueKind kind = ValueKind::kInline;
  std::span<const std::uint8_t> inline_bytes;
  std::uint32_t lv_first_pgno = 0;
  std::uint32_t lv_size = 0;
};
bool DecodeStoredValue(std::span<const std::uint8_t> bytes, StoredValue* out);
void EncodeInlineValue(std::span<const std::uint8_t> value, std::vector<std::uint8_t>* out);
void EncodeLongValueRef(std::uint32_t first_pgno, std::uint32_t size, std::vector<std::uint8_t>* out);

// Largest leaf node stored inline on a page of this size: a quarter of the page, so
// every split leaves both halves with room.
std::size_t MaxInlineNode(std::uint32_t page_size);

int CompareKeys(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);

}  // namespace jet::db

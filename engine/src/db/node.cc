#include "db/node.h"

#include <algorithm>
#include <cstring>

#include "format/checksum.h"
#include "format/page.h"

namespace jet::db {

bool DecodeLeafNode(std::span<const std::uint8_t> node, LeafNode* out) {
  if (node.size() < 2) return false;
  std::size_t cb_key = format::LoadU16(node.data());
  if (cb_key > JET_cbKeyMost || 2 + cb_key > node.size()) return false;
  out->key = node.subspan(2, cb_key);
  out->value = node.subspan(2 + cb_key);
  return true;
}

bool DecodeInternalNode(std::span<const std::uint8_t> node, InternalNode* out) {
  if (node.size() < 6) return false;
  std::size_t cb_key = format::LoadU16(node.data());
  if (cb_key > JET_cbKeyMost || 2 + cb_key + 4 != node.size()) return false;
  out->key = node.subspan(2, cb_key);
  out->child = format::LoadU32(node.data() + 2 + cb_key);
  return out->child != 0;
}

void EncodeLeafNode(std::span<const std::uint8_t> key, std::span<const std::uint8_t> value,
                    std::vector<std::uint8_t>* out) {
  out->resize(2 + key.size() + value.size());
  format::StoreU16(out->data(), static_cast<std::uint16_t>(key.size()));
  if (!key.empty()) std::memcpy(out->data() + 2, key.data(), key.size());
  if (!value.empty()) std::memcpy(out->data() + 2 + key.size(), value.data(), value.size());
}

void EncodeInternalNode(std::span<const std::uint8_t> key, std::uint32_t child, std::vector<std::uint8_t>* out) {
  out->resize(2 + key.size() + 4);
  format::StoreU16(out->data(), static_cast<std::uint16_t>(key.size()));
  if (!key.empty()) std::memcpy(out->data() + 2, key.data(), key.size());
  format::StoreU32(out->data() + 2 + key.size(), child);
}

bool DecodeStoredValue(std::span<const std::uint8_t> bytes, StoredValue* out) {
  if (bytes.empty()) return false;
  if (bytes[0] == static_cast<std::uint8_t>(ValueKind::kInline)) {
    out->kind = ValueKind::kInline;
    out->inline_bytes = bytes.subspan(1);
    return true;
  }
  if (bytes[0] == static_cast<std::uint8_t>(ValueKind::kLong) && bytes.size() == 9) {
    out->kind = ValueKind::kLong;
    out->lv_first_pgno = format::LoadU32(bytes.data() + 1);
    out->lv_size = format::LoadU32(bytes.data() + 5);
    return out->lv_first_pgno != 0 && out->lv_size <= JET_cbValueMost;
  }
  return false;
}

void EncodeInlineValue(std::span<const std::uint8_t> value, std::vector<std::uint8_t>* out) {
  out->resize(1 + value.size());
  (*out)[0] = static_cast<std::uint8_t>(ValueKind::kInline);
  if (!value.empty()) std::memcpy(out->data() + 1, value.data(), value.size());
}

void EncodeLongValueRef(std::uint32_t first_pgno, std::uint32_t size, std::vector<std::uint8_t>* out) {
  out->resize(9);
  (*out)[0] = static_cast<std::uint8_t>(ValueKind::kLong);
  format::StoreU32(out->data() + 1, first_pgno);
  format::StoreU32(out->data() + 5, size);
}

std::size_t MaxInlineNode(std::uint32_t page_size) {
  return (page_size - format::kPageHeaderSize) / 4 - format::kTagSize;
}

int CompareKeys(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  std::size_t n = std::min(a.size(), b.size());
  int c = n == 0 ? 0 : std::memcmp(a.data(), b.data(), n);
  if (c != 0) return c < 0 ? -1 : 1;
  return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
}

}  // namespace jet::db

#include "format/log_attach.h"

#include <algorithm>
#include <cstring>

#include "format/checksum.h"
#include "format/log_fields.h"

namespace jet::format {

std::size_t AttachListSize(const std::vector<AttachInfo>& list) {
  std::size_t size = 2;
  for (const AttachInfo& a : list) size += kAttachEntryFixedSize + a.path.size();
  return size;
}

JET_ERR EncodeAttachList(const std::vector<AttachInfo>& list, std::span<std::uint8_t> region) {
  if (AttachListSize(list) > region.size() || list.size() > 0xFFFF) return JET_errInvalidParameter;
  std::fill(region.begin(), region.end(), std::uint8_t{0});
  std::uint8_t* p = region.data();
  StoreU16(p, static_cast<std::uint16_t>(list.size()));
  p += 2;
  for (const AttachInfo& a : list) {
    if (a.path.find('\0') != std::string::npos) return JET_errInvalidParameter;
    StoreU32(p, a.dbid);
    StoreU32(p + 4, a.page_size);
    StoreLgpos(p + 8, a.lgpos_attach);
    StoreLgpos(p + 16, a.lgpos_consistent);
    StoreSignature(p + 24, a.sign_db);
    StoreU16(p + 52, static_cast<std::uint16_t>(a.path.size()));
    std::memcpy(p + kAttachEntryFixedSize, a.path.data(), a.path.size());
    p += kAttachEntryFixedSize + a.path.size();
  }
  return JET_errSuccess;
}

JET_ERR DecodeAttachList(std::span<const std::uint8_t> region, std::vector<AttachInfo>* out) {
  out->clear();
  if (region.size() < 2) return JET_errLogFileCorrupt;
  const std::size_t count = LoadU16(region.data());
  std::size_t offset = 2;
  // Every entry needs at least its fixed part: bounds the loop and the reservation.
  if (count > (region.size() - offset) / kAttachEntryFixedSize) return JET_errLogFileCorrupt;
  out->reserve(count);
  for (std::size_t i = 0; i < count; ++i) {
    if (region.size() - offset < kAttachEntryFixedSize) return JET_errLogFileCorrupt;
    const std::uint8_t* p = region.data() + offset;
    AttachInfo a;
    a.dbid = LoadU32(p);
    a.page_size = LoadU32(p + 4);
    a.lgpos_attach = LoadLgpos(p + 8);
    a.lgpos_consistent = LoadLgpos(p + 16);
    a.sign_db = LoadSignature(p + 24);
    const std::size_t path_size = LoadU16(p + 52);
    offset += kAttachEntryFixedSize;
    if (region.size() - offset < path_size) return JET_errLogFileCorrupt;
    a.path.assign(reinterpret_cast<const char*>(region.data() + offset), path_size);
    if (a.path.find('\0') != std::string::npos) return JET_errLogFileCorrupt;
    offset += path_size;
    out->push_back(std::move(a));
  }
  return JET_errSuccess;
}

}  // namespace jet::format

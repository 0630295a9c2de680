// format/log_fields.h — little-endian field codecs shared by the log-side formats
// (log file header, log segment header, checkpoint, backup metadata).
//
// LGPOS is 8 bytes: ib u16 @0, isec u16 @2, generation i32 @4 (docs/ESE_FACTS.md §4.1).
// LOGTIME is its 8 raw bytes.
#pragma once

#include <cstdint>
#include <cstring>

#include "format/checksum.h"
#include "format/lgpos.h"
#include "format/signature.h"

namespace jet::format {

inline constexpr std::size_t kLgposSize = 8;
inline constexpr std::size_t kLogTimeSize = 8;

inline void StoreLgpos(std::uint8_t* p, const Lgpos& lgpos) {
  StoreU16(p, lgpos.ib);
  StoreU16(p + 2, lgpos.isec);
  StoreU32(p + 4, static_cast<std::uint32_t>(lgpos.generation));
}

inline Lgpos LoadLgpos(const std::uint8_t* p) {
  Lgpos lgpos;
  lgpos.ib = LoadU16(p);
  lgpos.isec = LoadU16(p + 2);
  lgpos.generation = static_cast<std::int32_t>(LoadU32(p + 4));
  return lgpos;
}

inline void StoreLogTime(std::uint8_t* p, const LogTime& time) { std::memcpy(p, time.bytes.data(), kLogTimeSize); }

inline LogTime LoadLogTime(const std::uint8_t* p) {
  LogTime time;
  std::memcpy(time.bytes.data(), p, kLogTimeSize);
  return time;
}

}  // namespace jet::format

#include "format/signature.h"

#include <chrono>
#include <cstring>
#include <ctime>

#include "format/checksum.h"

namespace jet::format {

void StoreSignature(std::uint8_t* p, const Signature& s) {
  StoreU32(p, s.random);
  std::memcpy(p + 4, s.time.bytes.data(), 8);
  std::memcpy(p + 12, s.computer.data(), 16);
}

Signature LoadSignature(const std::uint8_t* p) {
  Signature s;
  s.random = LoadU32(p);
  std::memcpy(s.time.bytes.data(), p + 4, 8);
  std::memcpy(s.computer.data(), p + 12, 16);
  return s;
}

LogTime LogTimeNow() {
  auto now = std::chrono::system_clock::now();
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  auto ms = static_cast<unsigned>(
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  LogTime lt;
  lt.bytes = {static_cast<std::uint8_t>(tm.tm_sec),
              static_cast<std::uint8_t>(tm.tm_min),
              static_cast<std::uint8_t>(tm.tm_hour),
              static_cast<std::uint8_t>(tm.tm_mday),
              static_cast<std::uint8_t>(tm.tm_mon),
              static_cast<std::uint8_t>(tm.tm_year),
              static_cast<std::uint8_t>(0x01 | ((ms & 0x7F) << 1)),  // fUTC, msLow
              static_cast<std::uint8_t>(((ms >> 7) & 0x7) << 1)};    // msHigh
  return lt;
}

Signature MakeSignature(std::uint32_t random, const LogTime& time) {
  Signature s;
  s.random = random;
  s.time = time;
  std::memcpy(s.computer.data(), "jetfault", 8);
  return s;
}

}  // namespace jet::format

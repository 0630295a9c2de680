// format/signature.h — ESE's SIGNATURE and LOGTIME: how files recognise their lineage.
#pragma once

#include <array>
#include <cstdint>
#include <span>

namespace jet::format {

// 8 bytes: seconds, minutes, hours, day, month (0-11), year-1900, then two flag bytes
// (fUTC / milliseconds). Used for tmCreate/tmPrevGen chaining and signatures.
struct LogTime {
  std::array<std::uint8_t, 8> bytes{};
  friend bool operator==(const LogTime&, const LogTime&) = default;
};

// 28 bytes: ulRandom (4), LOGTIME (8), computer name char[16]. signLog identifies a
// log lineage (every log file, the checkpoint and attached databases carry it);
// signDb identifies one database.
struct Signature {
  std::uint32_t random = 0;
  LogTime time;
  std::array<char, 16> computer{};
  friend bool operator==(const Signature&, const Signature&) = default;
  bool IsZero() const { return *this == Signature{}; }
};

inline constexpr std::size_t kSignatureSize = 28;
void StoreSignature(std::uint8_t* p, const Signature& s);
Signature LoadSignature(const std::uint8_t* p);

// Current wall-clock time as a LOGTIME, with milliseconds, UTC.
LogTime LogTimeNow();
// A fresh signature: random from the given seed source, time now, computer "jetfault".
// Deterministic when the caller passes a deterministic random value (the harness does).
Signature MakeSignature(std::uint32_t random, const LogTime& time);

}  // namespace jet::format

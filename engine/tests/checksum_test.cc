// CRC-32C: the known answer, and the CPU-instruction path equal to the portable table
// for every length, alignment, starting CRC and chaining; Crc32cContinue is the CRC of
// the concatenation (backup set files are checked a read at a time), Crc32cExtend the
// log record's own chaining.
#include <gtest/gtest.h>

#include <random>
#include <string_view>
#include <vector>

#include "format/checksum.h"

namespace {

using jet::format::Crc32c;
using jet::format::Crc32cContinue;
using jet::format::Crc32cContinuePortable;
using jet::format::Crc32cExtend;
using jet::format::Crc32cExtendPortable;

std::span<const std::uint8_t> Bytes(std::string_view text) {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

TEST(Crc32c, KnownAnswers) {
  // RFC 3720 (iSCSI) B.4 and the common check value.
  EXPECT_EQ(Crc32c(Bytes("123456789")), 0xE3069283u);
  EXPECT_EQ(Crc32cExtendPortable(0, Bytes("123456789")), 0xE3069283u);
  const std::vector<std::uint8_t> zeros(32, 0);
  EXPECT_EQ(Crc32c(zeros), 0x8A9136AAu);
  const std::vector<std::uint8_t> ones(32, 0xFF);
  EXPECT_EQ(Crc32c(ones), 0x62A8AB43u);
  EXPECT_EQ(Crc32c({}), 0u);
}

TEST(Crc32c, EqualsThePortableTableForEveryLengthOffsetAndSplit) {
  std::mt19937 rng(14);
  std::vector<std::uint8_t> data(300);
  for (auto& b : data) b = static_cast<std::uint8_t>(rng());
  for (std::size_t offset = 0; offset < 9; ++offset) {
    for (std::size_t length = 0; offset + length <= data.size(); length += 7) {
      const auto piece = std::span<const std::uint8_t>(data).subspan(offset, length);
      const std::uint32_t expected = Crc32cExtendPortable(0, piece);
      ASSERT_EQ(Crc32c(piece), expected) << offset << "+" << length;
      // Resuming from any finished CRC gives what the table gives (log record CRCs
      // were made by chaining the table's Extend).
      const auto seed = static_cast<std::uint32_t>(rng());
      ASSERT_EQ(Crc32cExtend(seed, piece), Crc32cExtendPortable(seed, piece)) << offset << "+" << length;
      const std::size_t split = length / 3;
      ASSERT_EQ(Crc32cExtend(Crc32cExtend(0, piece.first(split)), piece.subspan(split)),
                Crc32cExtendPortable(Crc32cExtendPortable(0, piece.first(split)), piece.subspan(split)))
          << offset << "+" << length << " split at " << split;
    }
  }
}

// Crc32cContinue is the CRC of the concatenation: a file CRC'd a read at a time has the
// same CRC whatever the reads' sizes (backup_set.cc reads set files in 64 KiB pieces;
// the manifest stores their whole-file CRC-32C).
TEST(Crc32c, ContinueGivesTheCrcOfTheConcatenationAtEverySplit) {
  std::mt19937 rng(15);
  std::vector<std::uint8_t> data(300);
  for (auto& b : data) b = static_cast<std::uint8_t>(rng());
  const std::span<const std::uint8_t> all(data);
  const std::uint32_t whole = Crc32c(all);
  EXPECT_EQ(Crc32cContinue(0, all), whole);
  EXPECT_EQ(Crc32cContinuePortable(0, all), whole);
  for (std::size_t split = 0; split <= data.size(); ++split) {
    const std::uint32_t first = Crc32c(all.first(split));
    ASSERT_EQ(Crc32cContinue(first, all.subspan(split)), whole) << "split at " << split;
    ASSERT_EQ(Crc32cContinuePortable(first, all.subspan(split)), whole) << "split at " << split;
    // Three pieces, as a read loop makes them.
    const std::size_t second = split + (data.size() - split) / 2;
    ASSERT_EQ(Crc32cContinue(Crc32cContinue(first, all.subspan(split, second - split)), all.subspan(second)), whole)
        << "splits at " << split << ", " << second;
  }
}

// The log record CRC (format/log_segment.h) resumes differently: pinned by a known
// answer, and different from the CRC of the concatenation (docs/formats/log.md).
// 0x3CD42725: the register restarted at reverse_bits(~Crc32c("12345678")), then "9",
// computed outside this code (a bit-at-a-time reflected CRC-32C in Python).
constexpr std::uint32_t kExtendKnownAnswer = 0x3CD42725u;

TEST(Crc32c, ExtendIsTheLogRecordDefinitionNotTheConcatenation) {
  const std::uint32_t header = Crc32c(Bytes("12345678"));
  EXPECT_EQ(Crc32cExtend(header, Bytes("9")), Crc32cExtendPortable(header, Bytes("9")));
  EXPECT_EQ(Crc32cExtend(header, Bytes("9")), kExtendKnownAnswer);
  EXPECT_EQ(Crc32cContinue(header, Bytes("9")), 0xE3069283u);  // = Crc32c("123456789")
  EXPECT_NE(Crc32cExtend(header, Bytes("9")), 0xE3069283u);
}

}  // namespace

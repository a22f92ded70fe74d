#include "mux/crc32.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string_view>
#include <vector>

namespace skyclass::mux {
namespace {

std::span<const std::uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

// Bit-at-a-time CRC straight from the 13818-1 Annex A shift-register description.
std::uint32_t reference_crc(std::span<const std::uint8_t> data) {
  std::uint32_t crc = 0xFFFFFFFF;
  for (std::uint8_t byte : data) {
    for (int bit = 7; bit >= 0; --bit) {
      bool feedback = ((byte >> bit) & 1) ^ (crc >> 31);
      crc <<= 1;
      if (feedback) crc ^= 0x04C11DB7;
    }
  }
  return crc;
}

TEST(Crc32Mpeg2, CheckValueOf123456789) {
  EXPECT_EQ(crc32_mpeg2(as_bytes("123456789")), 0x0376E6E7u);
}

TEST(Crc32Mpeg2, EmptyInputIsTheInitialValue) {
  EXPECT_EQ(crc32_mpeg2({}), 0xFFFFFFFFu);
}

TEST(Crc32Mpeg2, RealPatSection) {
  // FFmpeg's default PAT: transport_stream_id 1, program 1 on PMT PID 0x1000.
  const std::vector<std::uint8_t> pat = {0x00, 0xB0, 0x0D, 0x00, 0x01, 0xC1,
                                         0x00, 0x00, 0x00, 0x01, 0xF0, 0x00};
  EXPECT_EQ(crc32_mpeg2(pat), 0x2AB104B2u);
  std::vector<std::uint8_t> with_crc = pat;
  with_crc.insert(with_crc.end(), {0x2A, 0xB1, 0x04, 0xB2});
  EXPECT_EQ(crc32_mpeg2(with_crc), 0u) << "a section including its CRC_32 leaves no remainder";
}

TEST(Crc32Mpeg2, IncrementalEqualsOneShot) {
  std::string_view text = "The quick brown fox jumps over the lazy dog, twice over.";
  std::uint32_t crc = kCrc32Mpeg2Init;
  crc = crc32_mpeg2_update(crc, as_bytes(text.substr(0, 13)));
  crc = crc32_mpeg2_update(crc, as_bytes(text.substr(13)));
  EXPECT_EQ(crc, crc32_mpeg2(as_bytes(text)));
}

TEST(Crc32Mpeg2, SliceBy8MatchesBitwiseReferenceForEveryLengthAndAlignment) {
  std::mt19937 rng(1234);
  std::vector<std::uint8_t> data(300);
  for (auto& b : data) b = static_cast<std::uint8_t>(rng());
  for (std::size_t offset = 0; offset < 8; ++offset) {
    for (std::size_t length = 0; length + offset <= 200; length += 7) {
      auto span = std::span<const std::uint8_t>(data).subspan(offset, length);
      ASSERT_EQ(crc32_mpeg2(span), reference_crc(span)) << offset << " " << length;
    }
  }
}

}  // namespace
}  // namespace skyclass::mux

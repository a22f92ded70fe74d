#include "mux/tables/pmt.hpp"

#include <gtest/gtest.h>

#include "mux/section.hpp"

namespace skyclass::mux {
namespace {

// ISO/IEC 13818-1 2.4.4.8 by hand: program 404, version 0, PCR_PID 0x0101, no program_info;
// H.264 (0x1B) on 0x0101 without descriptors; MPEG-1 audio (0x03) on 0x0102 with an
// ISO_639_language_descriptor "chi" audio_type 0. CRC from a bitwise CRC.
const Bytes kPmt = {0x02, 0xB0, 0x1D, 0x01, 0x94, 0xC1, 0x00, 0x00, 0xE1, 0x01, 0xF0,
                    0x00, 0x1B, 0xE1, 0x01, 0xF0, 0x00, 0x03, 0xE1, 0x02, 0xF0, 0x06,
                    0x0A, 0x04, 'c',  'h',  'i',  0x00, 0x1D, 0x18, 0xAC, 0x1E};

Pmt sample_pmt() {
  Pmt pmt;
  pmt.program_number = 404;
  pmt.PCR_PID = 0x0101;
  pmt.streams.push_back({kStreamTypeH264, 0x0101, {}});
  pmt.streams.push_back({kStreamTypeMpeg1Audio, 0x0102, {Iso639LanguageDescriptor{{{"chi", 0}}}}});
  return pmt;
}

TEST(Pmt, EncodesByteExact) {
  auto sections = sample_pmt().encode();
  ASSERT_EQ(sections.size(), 1u);
  EXPECT_EQ(sections[0], kPmt);
}

TEST(Pmt, DecodesByteExactVector) {
  auto pmt = Pmt::decode(kPmt);
  ASSERT_TRUE(pmt.ok()) << pmt.error();
  EXPECT_EQ(pmt.value(), sample_pmt());
}

TEST(Pmt, RoundTripWithAacMpeg2AudioAndDescriptors) {
  Pmt pmt = sample_pmt();
  pmt.version_number = 5;
  pmt.program_info.push_back(UnknownDescriptor{0x05, {'H', 'D', 'M', 'V'}});
  pmt.streams[0].descriptors.push_back(StreamIdentifierDescriptor{1});
  pmt.streams.push_back({kStreamTypeAacAdts, 0x0103, {Iso639LanguageDescriptor{{{"eng", 3}}}}});
  pmt.streams.push_back({kStreamTypeMpeg2Audio, 0x0104, {}});
  auto decoded = Pmt::decode(pmt.encode()[0]);
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded.value(), pmt);
}

TEST(Pmt, RefusesMoreThanOneSection) {
  Pmt pmt = sample_pmt();
  for (std::uint16_t pid = 0x200; pid < 0x200 + 250; ++pid) pmt.streams.push_back({0x06, pid, {}});
  EXPECT_THROW(pmt.encode(), std::length_error);
}

TEST(Pmt, RejectsOverrunningEsInfoLength) {
  Bytes payload(kPmt.begin() + 8, kPmt.end() - 4);
  payload[13] = 0x09;  // ES_info_length 9 > 6 bytes left
  auto decoded = Pmt::decode(encode_long_section({0x02, false, 404}, payload));
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().find("PMT ES_info of PID 0x0102"), std::string::npos)
      << decoded.error();
}

TEST(Pmt, RejectsRaggedStreamLoopAndMissingPcrPid) {
  Bytes payload(kPmt.begin() + 8, kPmt.end() - 4);
  payload.push_back(0x1B);
  payload.push_back(0xE1);
  EXPECT_FALSE(Pmt::decode(encode_long_section({0x02, false, 404}, payload)).ok());
  EXPECT_FALSE(Pmt::decode(encode_long_section({0x02, false, 404}, Bytes{0xE1})).ok());
}

TEST(Pmt, RejectsTruncatedBadCrcAndSectionNumber) {
  EXPECT_FALSE(Pmt::decode(ByteView(kPmt).first(20)).ok());
  Bytes bad_crc = kPmt;
  bad_crc[10] ^= 0x10;
  EXPECT_FALSE(Pmt::decode(bad_crc).ok());
  Bytes payload(kPmt.begin() + 8, kPmt.end() - 4);
  EXPECT_FALSE(Pmt::decode(encode_long_section({0x02, false, 404, 0, true, 1, 0}, payload)).ok());
}

}  // namespace
}  // namespace skyclass::mux

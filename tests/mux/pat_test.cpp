#include "mux/tables/pat.hpp"

#include <gtest/gtest.h>

#include "mux/crc32.hpp"
#include "mux/section.hpp"

namespace skyclass::mux {
namespace {

// ISO/IEC 13818-1 2.4.4.3, built by hand: table_id 0x00, '1' '0' '11', section_length 17,
// transport_stream_id 4, '11' version 0 current_next 1, section 0 of 0, then
// program 0 -> network_PID 0x0010 and program 404 -> PMT PID 0x0100; CRC from a bitwise CRC.
const Bytes kPat = {0x00, 0xB0, 0x11, 0x00, 0x04, 0xC1, 0x00, 0x00, 0x00, 0x00,
                    0xE0, 0x10, 0x01, 0x94, 0xE1, 0x00, 0xAD, 0x80, 0x04, 0x54};

Pat sample_pat() {
  Pat pat;
  pat.transport_stream_id = 4;
  pat.programs = {{0, 0x0010}, {404, 0x0100}};
  return pat;
}

TEST(Pat, EncodesByteExact) {
  auto sections = sample_pat().encode();
  ASSERT_EQ(sections.size(), 1u);
  EXPECT_EQ(sections[0], kPat);
}

TEST(Pat, DecodesByteExactVector) {
  auto pat = Pat::decode(kPat);
  ASSERT_TRUE(pat.ok()) << pat.error();
  EXPECT_EQ(pat.value(), sample_pat());
}

TEST(Pat, RoundTripWithVersionAndNextFlag) {
  Pat pat = sample_pat();
  pat.version_number = 17;
  pat.current_next_indicator = false;
  auto decoded = Pat::decode(pat.encode()[0]);
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded.value(), pat);
}

TEST(Pat, SplitsIntoSeveral1024ByteSections) {
  Pat pat;
  pat.transport_stream_id = 9;
  for (std::uint16_t i = 1; i <= 600; ++i)
    pat.programs.push_back({i, static_cast<std::uint16_t>(0x100 + i)});
  auto sections = pat.encode();
  ASSERT_EQ(sections.size(), 3u);  // 253 programs per section
  for (std::size_t i = 0; i < sections.size(); ++i) {
    EXPECT_LE(sections[i].size(), kMaxPsiSectionBytes);
    auto one = Pat::decode(sections[i]);
    ASSERT_TRUE(one.ok()) << one.error();
    EXPECT_EQ(one->section_number, i);
    EXPECT_EQ(one->last_section_number, 2);
  }
  EXPECT_EQ(sections[0].size(), kMaxPsiSectionBytes);
  auto merged = Pat::decode(std::vector<Bytes>{sections[2], sections[0], sections[1]});
  ASSERT_TRUE(merged.ok()) << merged.error();
  EXPECT_EQ(merged->programs, pat.programs);
}

TEST(Pat, IncompleteSectionSetIsAnError) {
  Pat pat;
  for (std::uint16_t i = 1; i <= 300; ++i) pat.programs.push_back({i, 0x100});
  auto sections = pat.encode();
  ASSERT_EQ(sections.size(), 2u);
  EXPECT_FALSE(Pat::decode(std::vector<Bytes>{sections[0]}).ok());
  EXPECT_FALSE(Pat::decode(std::vector<Bytes>{sections[0], sections[0]}).ok());
  EXPECT_FALSE(Pat::decode(std::vector<Bytes>{}).ok());
}

TEST(Pat, RejectsTruncatedOverrunningAndCorruptSections) {
  Bytes truncated(kPat.begin(), kPat.end() - 1);
  EXPECT_FALSE(Pat::decode(truncated).ok());

  Bytes overrun = kPat;
  overrun[2] = 0xFF;
  auto e1 = Pat::decode(overrun);
  ASSERT_FALSE(e1.ok());
  EXPECT_NE(e1.error().find("PAT: section_length"), std::string::npos) << e1.error();

  Bytes bad_crc = kPat;
  bad_crc.back() ^= 0xFF;
  auto e2 = Pat::decode(bad_crc);
  ASSERT_FALSE(e2.ok());
  EXPECT_NE(e2.error().find("CRC_32"), std::string::npos) << e2.error();
}

TEST(Pat, RejectsSectionNumberAboveLast) {
  Bytes payload(kPat.begin() + 8, kPat.end() - 4);
  Bytes section = encode_long_section({0x00, false, 4, 0, true, 3, 2}, payload);
  auto decoded = Pat::decode(section);
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().find("section_number 3"), std::string::npos) << decoded.error();
}

TEST(Pat, RejectsWrongTableIdAndRaggedLoop) {
  Bytes payload(kPat.begin() + 8, kPat.end() - 4);
  auto wrong_table = Pat::decode(encode_long_section({0x02, false, 4}, payload));
  ASSERT_FALSE(wrong_table.ok());
  EXPECT_NE(wrong_table.error().find("table_id 0x02"), std::string::npos);
  payload.pop_back();
  auto ragged = Pat::decode(encode_long_section({0x00, false, 4}, payload));
  ASSERT_FALSE(ragged.ok());
  EXPECT_NE(ragged.error().find("multiple of 4"), std::string::npos) << ragged.error();
}

}  // namespace
}  // namespace skyclass::mux

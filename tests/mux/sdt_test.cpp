#include "mux/tables/sdt.hpp"

#include <gtest/gtest.h>

#include "mux/section.hpp"

namespace skyclass::mux {
namespace {

// EN 300 468 5.2.3 by hand: SDT actual, transport_stream_id 4, version 1, original_network_id
// 0x20CB; service 404 with EIT schedule and p/f flags, running (4), not scrambled, and a
// service_descriptor (0x16, "CETV", "CETV-4", UTF-8). CRC from a bitwise CRC.
const Bytes kSdt = {0x42, 0xF0, 0x22, 0x00, 0x04, 0xC3, 0x00, 0x00, 0x20, 0xCB, 0xFF, 0x01, 0x94,
                    0xFF, 0x80, 0x11, 0x48, 0x0F, 0x16, 0x05, 0x15, 'C',  'E',  'T',  'V',  0x07,
                    0x15, 'C',  'E',  'T',  'V',  '-',  '4',  0x66, 0x93, 0x38, 0x5F};

DvbText utf8_text(std::string_view s) {
  return DvbText::from_utf8(s, TextEncoding::utf8).value();
}

Sdt sample_sdt() {
  Sdt sdt;
  sdt.transport_stream_id = 4;
  sdt.version_number = 1;
  sdt.original_network_id = 0x20CB;
  ServiceDescriptor service{0x16, utf8_text("CETV"), utf8_text("CETV-4")};
  sdt.services.push_back({404, true, true, 4, false, {service}});
  return sdt;
}

TEST(Sdt, EncodesByteExact) {
  auto sections = sample_sdt().encode();
  ASSERT_EQ(sections.size(), 1u);
  EXPECT_EQ(sections[0], kSdt);
}

TEST(Sdt, DecodesByteExactVector) {
  auto sdt = Sdt::decode(kSdt);
  ASSERT_TRUE(sdt.ok()) << sdt.error();
  EXPECT_EQ(sdt.value(), sample_sdt());
}

TEST(Sdt, ChineseNamesRoundTripInUtf8AndGb2312) {
  for (TextEncoding encoding : {TextEncoding::utf8, TextEncoding::gb2312}) {
    Sdt sdt = sample_sdt();
    ServiceDescriptor service{0x16, DvbText::from_utf8("CETV", encoding).value(),
                              DvbText::from_utf8("CETV-4 空中课堂", encoding).value()};
    sdt.services[0].descriptors = {service};
    sdt.services.push_back({405, false, true, 1, true, {}});
    auto decoded = Sdt::decode(sdt.encode()[0]);
    ASSERT_TRUE(decoded.ok()) << decoded.error();
    EXPECT_EQ(decoded.value(), sdt);
    const auto* name = find_descriptor<ServiceDescriptor>(decoded->services[0].descriptors);
    ASSERT_NE(name, nullptr);
    EXPECT_EQ(name->service_name.utf8(), "CETV-4 空中课堂");
  }
}

TEST(Sdt, SplitsIntoSeveral4096ByteSections) {
  Sdt sdt = sample_sdt();
  sdt.services.clear();
  for (std::uint16_t id = 1; id <= 150; ++id) {
    ServiceDescriptor service{0x16, utf8_text("CETV"),
                              utf8_text(std::string(40, 'a') + std::to_string(id))};
    sdt.services.push_back({id, true, true, 4, false, {service}});
  }
  auto sections = sdt.encode();
  ASSERT_GT(sections.size(), 1u);
  for (const Bytes& section : sections) EXPECT_LE(section.size(), kMaxSiSectionBytes);
  auto merged = Sdt::decode(sections);
  ASSERT_TRUE(merged.ok()) << merged.error();
  EXPECT_EQ(merged->services, sdt.services);
  EXPECT_EQ(merged->last_section_number, sections.size() - 1);
}

TEST(Sdt, RejectsOverrunningServiceLoop) {
  Bytes payload(kSdt.begin() + 8, kSdt.end() - 4);
  payload[7] = 0x20;  // descriptors_loop_length 32 > 17
  auto decoded = Sdt::decode(encode_long_section({0x42, true, 4}, payload));
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().find("SDT service 404: descriptors_loop_length 32"), std::string::npos)
      << decoded.error();
}

TEST(Sdt, RejectsTruncatedBadCrcWrongTableAndSectionNumber) {
  EXPECT_FALSE(Sdt::decode(ByteView(kSdt).first(kSdt.size() - 2)).ok());
  Bytes bad_crc = kSdt;
  bad_crc[20] ^= 0x01;
  EXPECT_FALSE(Sdt::decode(bad_crc).ok());
  Bytes payload(kSdt.begin() + 8, kSdt.end() - 4);
  EXPECT_FALSE(Sdt::decode(encode_long_section({0x4A, true, 4}, payload)).ok());
  EXPECT_FALSE(Sdt::decode(encode_long_section({0x42, true, 4, 0, true, 5, 4}, payload)).ok());
  EXPECT_FALSE(Sdt::decode(encode_long_section({0x42, true, 4}, Bytes{0x20})).ok());
  auto other = Sdt::decode(encode_long_section({0x46, true, 4}, payload));
  ASSERT_TRUE(other.ok()) << "SDT other decodes too";
  EXPECT_EQ(other->table_id, Sdt::kTableIdOther);
}

}  // namespace
}  // namespace skyclass::mux

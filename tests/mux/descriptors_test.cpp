#include "mux/descriptors.hpp"

#include <gtest/gtest.h>

namespace skyclass::mux {
namespace {

constexpr std::int64_t k1993_10_13_124500 = 750516300;

DvbText utf8_text(std::string_view s) {
  return DvbText::from_utf8(s, TextEncoding::utf8).value();
}

template <class T>
Bytes encode_one(const T& descriptor) {
  Bytes out;
  ByteWriter w(out);
  descriptor.encode(w);
  return out;
}

SatelliteDeliverySystemDescriptor cetv_satellite() {
  SatelliteDeliverySystemDescriptor d;
  d.frequency_10khz = 1202000;       // 12.020 GHz
  d.orbital_position_0_1deg = 1155;  // 115.5 E
  d.west_east_flag = true;
  d.polarization = 0;
  d.roll_off = 0;
  d.modulation_system = true;
  d.modulation_type = 1;
  d.symbol_rate_100sym_s = 275000;  // 27.5 Msym/s
  d.FEC_inner = 3;                  // 3/4
  return d;
}

// Every descriptor type once, with the bytes EN 300 468 / 13818-1 give for it.
struct Vector {
  Descriptor descriptor;
  Bytes bytes;
};

std::vector<Vector> vectors() {
  LocalTimeOffsetDescriptor lto;
  lto.regions.push_back({"CHN", 0, false, 480, k1993_10_13_124500, 480});
  ContentIdentifierDescriptor crid;
  crid.crids.push_back({0x01, 0, "/lesson/1", 0});
  crid.crids.push_back({0x02, 1, "", 0x1234});
  return {
      {NetworkNameDescriptor{utf8_text("CETV")}, {0x40, 0x05, 0x15, 'C', 'E', 'T', 'V'}},
      {ServiceListDescriptor{{{404, 0x16}}}, {0x41, 0x03, 0x01, 0x94, 0x16}},
      {cetv_satellite(),
       {0x43, 0x0B, 0x01, 0x20, 0x20, 0x00, 0x11, 0x55, 0x85, 0x02, 0x75, 0x00, 0x03}},
      {ServiceDescriptor{0x16, utf8_text("CETV"), utf8_text("CETV-4")},
       {0x48, 0x0F, 0x16, 0x05, 0x15, 'C', 'E', 'T', 'V', 0x07, 0x15, 'C', 'E', 'T', 'V', '-',
        '4'}},
      {ShortEventDescriptor{"chi", utf8_text("Maths"), DvbText{}},
       {0x4D, 0x0B, 'c', 'h', 'i', 0x06, 0x15, 'M', 'a', 't', 'h', 's', 0x00}},
      {ContentDescriptor{{{0x5, 0x4, 0x00}}}, {0x54, 0x02, 0x54, 0x00}},
      {lto,
       {0x58, 0x0D, 'C', 'H', 'N', 0x02, 0x08, 0x00, 0xC0, 0x79, 0x12, 0x45, 0x00, 0x08, 0x00}},
      {StreamIdentifierDescriptor{5}, {0x52, 0x01, 0x05}},
      {Iso639LanguageDescriptor{{{"chi", 0}}}, {0x0A, 0x04, 'c', 'h', 'i', 0x00}},
      {crid,
       {0x76, 0x0E, 0x04, 0x09, '/', 'l', 'e', 's', 's', 'o', 'n', '/', '1', 0x09, 0x12, 0x34}},
      {UnknownDescriptor{0x99, {0xAB, 0xCD}}, {0x99, 0x02, 0xAB, 0xCD}},
  };
}

TEST(Descriptors, EachEncodesByteExact) {
  for (const Vector& v : vectors()) {
    EXPECT_EQ(encode_descriptors(DescriptorList{v.descriptor}), v.bytes)
        << "descriptor tag 0x" << std::hex << int{v.bytes[0]};
  }
}

TEST(Descriptors, EachDecodesToItsType) {
  for (const Vector& v : vectors()) {
    auto decoded = decode_descriptors(v.bytes, "test");
    ASSERT_TRUE(decoded.ok()) << decoded.error();
    ASSERT_EQ(decoded->size(), 1u);
    EXPECT_EQ(decoded->front(), v.descriptor) << "tag 0x" << std::hex << int{v.bytes[0]};
  }
}

TEST(Descriptors, LoopRoundTrip) {
  DescriptorList all;
  for (const Vector& v : vectors()) all.push_back(v.descriptor);
  Bytes loop = encode_descriptors(all);
  auto decoded = decode_descriptors(loop, "test loop");
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded.value(), all);
  EXPECT_NE(find_descriptor<ServiceDescriptor>(decoded.value()), nullptr);
  EXPECT_EQ(find_descriptor<ServiceDescriptor>(DescriptorList{}), nullptr);
}

TEST(Descriptors, SatelliteFieldVariants) {
  SatelliteDeliverySystemDescriptor d = cetv_satellite();
  d.west_east_flag = false;
  d.polarization = 1;     // linear vertical
  d.roll_off = 2;         // 0.20
  d.modulation_type = 2;  // 8PSK
  d.FEC_inner = 9;        // 9/10
  Bytes bytes = encode_one(d);
  EXPECT_EQ(bytes[8], 0x36);  // 0 01 10 1 10
  EXPECT_EQ(bytes[12], 0x09);
  auto decoded = SatelliteDeliverySystemDescriptor::decode(ByteView(bytes).subspan(2));
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded.value(), d);

  d.modulation_system = false;  // DVB-S: roll_off is coded '00'
  EXPECT_EQ(encode_one(d)[8], 0x22);
}

TEST(Descriptors, SatelliteRejectsNonBcd) {
  Bytes body = {0x01, 0x2A, 0x20, 0x00, 0x11, 0x55, 0x85, 0x02, 0x75, 0x00, 0x03};
  auto decoded = SatelliteDeliverySystemDescriptor::decode(body);
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().find("frequency"), std::string::npos) << decoded.error();
}

TEST(Descriptors, NegativeLocalTimeOffset) {
  LocalTimeOffsetDescriptor lto;
  lto.regions.push_back({"CAN", 3, true, 5 * 60 + 30, 0, 4 * 60 + 30});
  Bytes bytes = encode_one(lto);
  EXPECT_EQ(bytes[5], 3 << 2 | 0x02 | 0x01);
  EXPECT_EQ(bytes[6], 0x05);
  EXPECT_EQ(bytes[7], 0x30);
  EXPECT_EQ(bytes[13], 0x04);
  auto decoded = LocalTimeOffsetDescriptor::decode(ByteView(bytes).subspan(2));
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded.value(), lto);
}

TEST(Descriptors, ChineseServiceNamesRoundTripInGb2312) {
  ServiceDescriptor d{0x16, DvbText::from_utf8("中国教育电视台", TextEncoding::gb2312).value(),
                      DvbText::from_utf8("CETV-4 空中课堂", TextEncoding::gb2312).value()};
  Bytes bytes = encode_one(d);
  auto decoded = decode_descriptors(bytes, "SDT");
  ASSERT_TRUE(decoded.ok());
  const auto* service = find_descriptor<ServiceDescriptor>(decoded.value());
  ASSERT_NE(service, nullptr);
  EXPECT_EQ(service->service_provider_name.utf8(), "中国教育电视台");
  EXPECT_EQ(service->service_name.utf8(), "CETV-4 空中课堂");
}

TEST(Descriptors, MalformedKnownDescriptorIsKeptAsUnknown) {
  // A service_descriptor whose name length overruns its body, then a valid stream_identifier.
  Bytes loop = {0x48, 0x03, 0x16, 0x09, 'x', 0x52, 0x01, 0x07};
  auto decoded = decode_descriptors(loop, "SDT");
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  ASSERT_EQ(decoded->size(), 2u);
  const auto* unknown = std::get_if<UnknownDescriptor>(&decoded->at(0));
  ASSERT_NE(unknown, nullptr);
  EXPECT_EQ(unknown->tag, 0x48);
  EXPECT_EQ(unknown->body, (Bytes{0x16, 0x09, 'x'}));
  EXPECT_EQ(std::get<StreamIdentifierDescriptor>(decoded->at(1)).component_tag, 7);
  EXPECT_EQ(encode_descriptors(decoded.value()), loop) << "no byte lost";
}

TEST(Descriptors, TrailingBytesInAFixedSizeBodyAreKept) {
  Bytes loop = {0x52, 0x02, 0x07, 0x08};
  auto decoded = decode_descriptors(loop, "PMT");
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(std::holds_alternative<UnknownDescriptor>(decoded->at(0)));
  EXPECT_EQ(encode_descriptors(decoded.value()), loop);
}

TEST(Descriptors, LengthOverrunningTheLoopIsAnError) {
  Bytes loop = {0x52, 0x01, 0x07, 0x4D, 0x20, 'c', 'h', 'i'};
  auto decoded = decode_descriptors(loop, "EIT event descriptors");
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().find("EIT event descriptors: descriptor 0x4D at offset 3"),
            std::string::npos)
      << decoded.error();
  EXPECT_FALSE(decode_descriptors(Bytes{0x52}, "x").ok()) << "a lone tag byte";
}

TEST(Descriptors, EncoderRefusesWhatTheSyntaxCannotCarry) {
  ShortEventDescriptor too_long{"chi", DvbText{Bytes(200, 'a')}, DvbText{Bytes(60, 'b')}};
  EXPECT_THROW(encode_one(too_long), std::length_error);
  ShortEventDescriptor bad_language{"zh", DvbText{}, DvbText{}};
  EXPECT_THROW(encode_one(bad_language), std::invalid_argument);
  SatelliteDeliverySystemDescriptor bad_frequency = cetv_satellite();
  bad_frequency.frequency_10khz = 123456789;
  EXPECT_THROW(encode_one(bad_frequency), std::out_of_range);
  ContentIdentifierDescriptor reserved_location;
  reserved_location.crids.push_back({1, 2, "", 0});
  EXPECT_THROW(encode_one(reserved_location), std::invalid_argument);
}

TEST(Descriptors, ContentIdentifierWithReservedLocationDecodesAsUnknown) {
  Bytes loop = {0x76, 0x02, 0x06, 0x00};
  auto decoded = decode_descriptors(loop, "EIT");
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(std::holds_alternative<UnknownDescriptor>(decoded->at(0)));
}

}  // namespace
}  // namespace skyclass::mux

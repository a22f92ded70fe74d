#include "mux/tables/nit.hpp"

#include <gtest/gtest.h>

#include "mux/section.hpp"

namespace skyclass::mux {
namespace {

// EN 300 468 5.2.1 by hand: NIT actual, network_id 0x20CB, version 0; network_name "CETV";
// one transport stream (4, 0x20CB) with a DVB-S2 satellite_delivery_system_descriptor
// (12.020 GHz, 115.5E, horizontal, 0.35, QPSK, 27.5 Msym/s, 3/4) and a service_list (404, 0x16).
const Bytes kNit = {0x40, 0xF0, 0x2C, 0x20, 0xCB, 0xC1, 0x00, 0x00, 0xF0, 0x07, 0x40, 0x05,
                    0x15, 'C',  'E',  'T',  'V',  0xF0, 0x18, 0x00, 0x04, 0x20, 0xCB, 0xF0,
                    0x12, 0x43, 0x0B, 0x01, 0x20, 0x20, 0x00, 0x11, 0x55, 0x85, 0x02, 0x75,
                    0x00, 0x03, 0x41, 0x03, 0x01, 0x94, 0x16, 0xA4, 0x89, 0xA9, 0xD0};

SatelliteDeliverySystemDescriptor satellite() {
  SatelliteDeliverySystemDescriptor d;
  d.frequency_10khz = 1202000;
  d.orbital_position_0_1deg = 1155;
  d.symbol_rate_100sym_s = 275000;
  d.FEC_inner = 3;
  return d;
}

Nit sample_nit() {
  Nit nit;
  nit.network_id = 0x20CB;
  nit.network_descriptors.push_back(
      NetworkNameDescriptor{DvbText::from_utf8("CETV", TextEncoding::utf8).value()});
  nit.transport_streams.push_back({4, 0x20CB, {satellite(), ServiceListDescriptor{{{404, 0x16}}}}});
  return nit;
}

TEST(Nit, EncodesByteExact) {
  auto sections = sample_nit().encode();
  ASSERT_EQ(sections.size(), 1u);
  EXPECT_EQ(sections[0], kNit);
}

TEST(Nit, DecodesByteExactVector) {
  auto nit = Nit::decode(kNit);
  ASSERT_TRUE(nit.ok()) << nit.error();
  EXPECT_EQ(nit.value(), sample_nit());
  const auto* delivery =
      find_descriptor<SatelliteDeliverySystemDescriptor>(nit->transport_streams[0].descriptors);
  ASSERT_NE(delivery, nullptr);
  EXPECT_EQ(delivery->frequency_10khz, 1202000u);
  EXPECT_TRUE(delivery->modulation_system);
}

TEST(Nit, ChineseNetworkNameRoundTrip) {
  Nit nit = sample_nit();
  nit.version_number = 30;
  nit.network_descriptors = {
      NetworkNameDescriptor{DvbText::from_utf8("中国教育电视台", TextEncoding::gb2312).value()}};
  auto decoded = Nit::decode(nit.encode()[0]);
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded.value(), nit);
  EXPECT_EQ(std::get<NetworkNameDescriptor>(decoded->network_descriptors[0]).network_name.utf8(),
            "中国教育电视台");
}

TEST(Nit, SplitsTransportStreamLoopAndKeepsNetworkDescriptorsFirst) {
  Nit nit = sample_nit();
  nit.transport_streams.clear();
  for (std::uint16_t ts = 1; ts <= 300; ++ts) {
    nit.transport_streams.push_back(
        {ts, 0x20CB, {satellite(), ServiceListDescriptor{{{ts, 0x16}}}}});
  }
  auto sections = nit.encode();
  ASSERT_EQ(sections.size(), 2u);  // 24 bytes per transport stream
  auto first = Nit::decode(sections[0]);
  auto second = Nit::decode(sections[1]);
  ASSERT_TRUE(first.ok() && second.ok());
  EXPECT_EQ(first->network_descriptors.size(), 1u);
  EXPECT_TRUE(second->network_descriptors.empty());
  EXPECT_EQ(first->transport_streams.size() + second->transport_streams.size(), 300u);
  auto merged = Nit::decode(sections);
  ASSERT_TRUE(merged.ok()) << merged.error();
  EXPECT_EQ(merged->transport_streams, nit.transport_streams);
  EXPECT_EQ(merged->network_descriptors, nit.network_descriptors);
}

TEST(Nit, RejectsInconsistentLoopLengths) {
  Bytes payload(kNit.begin() + 8, kNit.end() - 4);
  Bytes bad_network = payload;
  bad_network[1] = 0x40;  // network_descriptors_length 64
  auto e1 = Nit::decode(encode_long_section({0x40, true, 0x20CB}, bad_network));
  ASSERT_FALSE(e1.ok());
  EXPECT_NE(e1.error().find("NIT network_descriptors"), std::string::npos) << e1.error();
  Bytes bad_ts_loop = payload;
  bad_ts_loop[10] = 0x17;  // transport_stream_loop_length one short
  auto e2 = Nit::decode(encode_long_section({0x40, true, 0x20CB}, bad_ts_loop));
  ASSERT_FALSE(e2.ok());
  EXPECT_NE(e2.error().find("transport_stream_loop_length 23"), std::string::npos) << e2.error();
}

TEST(Nit, RejectsTruncatedBadCrcAndSectionNumber) {
  EXPECT_FALSE(Nit::decode(ByteView(kNit).first(30)).ok());
  Bytes bad_crc = kNit;
  bad_crc[30] ^= 0x80;
  EXPECT_FALSE(Nit::decode(bad_crc).ok());
  Bytes payload(kNit.begin() + 8, kNit.end() - 4);
  EXPECT_FALSE(Nit::decode(encode_long_section({0x40, true, 1, 0, true, 2, 1}, payload)).ok());
}

}  // namespace
}  // namespace skyclass::mux

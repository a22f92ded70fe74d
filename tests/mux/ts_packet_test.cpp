#include "mux/ts_packet.hpp"

#include <array>
#include <cstdint>
#include <random>
#include <vector>

#include <gtest/gtest.h>

namespace skyclass::mux {
namespace {

using Packet = std::array<std::uint8_t, kTsPacketSize>;

std::vector<std::uint8_t> ramp(std::size_t n) {
  std::vector<std::uint8_t> v(n);
  for (std::size_t i = 0; i < n; ++i) v[i] = static_cast<std::uint8_t>(i * 7 + 3);
  return v;
}

TEST(TsPacket, HeaderFieldsRoundTrip) {
  TsHeader header;
  header.transport_error_indicator = true;
  header.payload_unit_start_indicator = true;
  header.transport_priority = true;
  header.pid = 0x1ABC;
  header.transport_scrambling_control = 2;
  header.continuity_counter = 9;
  const auto payload = ramp(184);
  Packet p{};
  EXPECT_EQ(write_ts_packet(p, header, {}, payload), 184u);
  EXPECT_EQ(p[0], 0x47);
  EXPECT_EQ(p[1], 0x80 | 0x40 | 0x20 | 0x1A);
  EXPECT_EQ(p[2], 0xBC);
  EXPECT_EQ(p[3], (2 << 6) | 0x10 | 9);  // payload only
  const TsPacketView view = parse_ts_packet(p);
  EXPECT_EQ(view.header, header);
  EXPECT_FALSE(view.adaptation_field.has_value());
  ASSERT_TRUE(view.has_payload);
  EXPECT_EQ(std::vector<std::uint8_t>(view.payload.begin(), view.payload.end()), payload);
}

TEST(TsPacket, EveryAdaptationFieldLengthWithPayload) {
  // adaptation_field_length 0..182 with payload (control '11'), built by payload stuffing.
  for (std::size_t length = 0; length <= 182; ++length) {
    const std::size_t payload_size = 183 - length;
    const auto payload = ramp(payload_size);
    TsHeader header;
    header.pid = 0x100;
    header.continuity_counter = static_cast<std::uint8_t>(length & 0xF);
    Packet p{};
    ASSERT_EQ(write_ts_packet(p, header, {}, payload), payload_size);
    EXPECT_EQ((p[3] >> 4) & 3, 3) << length;
    EXPECT_EQ(p[4], length);
    for (std::size_t i = 6; i < 5 + length; ++i) ASSERT_EQ(p[i], 0xFF) << length;
    TsPacketView view;
    ASSERT_EQ(try_parse_ts_packet(p, view), TsParseStatus::ok) << length;
    ASSERT_TRUE(view.adaptation_field.has_value());
    EXPECT_EQ(view.adaptation_field->stuffing_bytes, length == 0 ? 0 : length - 1) << length;
    EXPECT_EQ(std::vector<std::uint8_t>(view.payload.begin(), view.payload.end()), payload);
  }
}

TEST(TsPacket, AdaptationOnlyPacketHasLength183) {
  AdaptationField af;
  af.pcr = Pcr{0x1'2345'6789ull, 299};
  af.discontinuity_indicator = true;
  TsHeader header;
  header.pid = 0x100;
  header.continuity_counter = 4;
  Packet p{};
  write_ts_header(p, header, af, 0);
  EXPECT_EQ((p[3] >> 4) & 3, 2);
  EXPECT_EQ(p[4], 183);
  EXPECT_EQ(p[5], 0x80 | 0x10);
  const TsPacketView view = parse_ts_packet(p);
  EXPECT_FALSE(view.has_payload);
  EXPECT_TRUE(view.payload.empty());
  ASSERT_TRUE(view.adaptation_field->pcr.has_value());
  EXPECT_EQ(*view.adaptation_field->pcr, (Pcr{0x1'2345'6789ull, 299}));
  EXPECT_TRUE(view.adaptation_field->discontinuity_indicator);
  EXPECT_EQ(view.adaptation_field->stuffing_bytes, 183u - 7u);
}

TEST(TsPacket, PcrFieldIsBitExact) {
  // base 0x1_2345_6789: 33 bits 1 0010 0011 0100 0101 0110 0111 1000 1001, extension 0x155.
  AdaptationField af;
  af.pcr = Pcr{0x1'2345'6789ull, 0x155};
  Packet p{};
  write_ts_header(p, TsHeader{}, af, 100);
  const std::array<std::uint8_t, 6> expected{0x91, 0xA2, 0xB3, 0xC4, 0xFF, 0x55};
  EXPECT_TRUE(std::equal(expected.begin(), expected.end(), p.begin() + 6));
}

TEST(TsPacket, AllFlagsRoundTrip) {
  const std::array<std::uint8_t, 3> private_data{0xDE, 0xAD, 0x01};
  AdaptationField af;
  af.random_access_indicator = true;
  af.elementary_stream_priority_indicator = true;
  af.pcr = Pcr{123456789, 17};
  af.opcr = Pcr{987654321, 0};
  af.splice_countdown = -3;
  af.transport_private_data = private_data;
  EXPECT_EQ(af.encoded_size(), 2u + 6 + 6 + 1 + 4);
  const auto payload = ramp(500);
  Packet p{};
  const std::size_t taken = write_ts_packet(p, TsHeader{}, af, payload);
  EXPECT_EQ(taken, 184u - 19u);
  const TsPacketView view = parse_ts_packet(p);
  const AdaptationField& got = *view.adaptation_field;
  EXPECT_FALSE(got.discontinuity_indicator);
  EXPECT_TRUE(got.random_access_indicator);
  EXPECT_TRUE(got.elementary_stream_priority_indicator);
  EXPECT_EQ(*got.pcr, (Pcr{123456789, 17}));
  EXPECT_EQ(*got.opcr, (Pcr{987654321, 0}));
  EXPECT_EQ(*got.splice_countdown, -3);
  EXPECT_EQ(std::vector<std::uint8_t>(got.transport_private_data.begin(),
                                      got.transport_private_data.end()),
            std::vector<std::uint8_t>(private_data.begin(), private_data.end()));
  EXPECT_EQ(got.stuffing_bytes, 0u);
  EXPECT_EQ(view.payload.size(), taken);
  EXPECT_TRUE(std::equal(view.payload.begin(), view.payload.end(), payload.begin()));
}

TEST(TsPacket, WriterRejectsPayloadThatDoesNotFit) {
  AdaptationField af;
  af.pcr = Pcr{};
  Packet p{};
  EXPECT_EQ(ts_payload_capacity(af), 176u);
  EXPECT_THROW(write_ts_header(p, TsHeader{}, af, 177), TsError);
  TsHeader bad;
  bad.pid = 0x2000;
  EXPECT_THROW(write_ts_header(p, bad, {}, 184), TsError);
}

TEST(TsPacket, ReaderRejectsIllegalAdaptationFieldLengths) {
  Packet p{};
  write_ts_packet(p, TsHeader{}, {}, ramp(100));  // control '11', length 83
  TsPacketView view;
  for (int length = 183; length <= 255; ++length) {  // with payload: 0..182 only
    p[4] = static_cast<std::uint8_t>(length);
    EXPECT_EQ(try_parse_ts_packet(p, view), TsParseStatus::adaptation_field_length_out_of_range)
        << length;
  }
  p[3] = (p[3] & 0xCF) | 0x20;  // adaptation only: exactly 183
  for (int length = 0; length <= 255; ++length) {
    p[4] = static_cast<std::uint8_t>(length);
    const TsParseStatus expected =
        length == 183 ? TsParseStatus::ok : TsParseStatus::adaptation_field_length_out_of_range;
    EXPECT_EQ(try_parse_ts_packet(p, view), expected) << length;
  }
  EXPECT_THROW(
      {
        p[4] = 200;
        parse_ts_packet(p);
      },
      TsError);
}

TEST(TsPacket, ReaderRejectsFlagsThatOverrunTheField) {
  Packet p{};
  write_ts_packet(p, TsHeader{}, {}, ramp(183 - 5));  // adaptation_field_length 5
  TsPacketView view;
  p[5] = 0x10;  // PCR needs 1 + 6 bytes
  EXPECT_EQ(try_parse_ts_packet(p, view), TsParseStatus::adaptation_field_overrun);
  p[5] = 0x02;  // private data length 200
  p[6] = 200;
  EXPECT_EQ(try_parse_ts_packet(p, view), TsParseStatus::adaptation_field_overrun);
  p[5] = 0x01;  // extension length 4 leaves 1 + 1 + 4 = 6 > 5
  p[6] = 4;
  EXPECT_EQ(try_parse_ts_packet(p, view), TsParseStatus::adaptation_field_overrun);
  p[6] = 3;  // fits exactly
  EXPECT_EQ(try_parse_ts_packet(p, view), TsParseStatus::ok);
  EXPECT_EQ(view.adaptation_field->adaptation_field_extension.size(), 3u);
  p[5] = 0x1F;  // every flag, nothing fits
  EXPECT_EQ(try_parse_ts_packet(p, view), TsParseStatus::adaptation_field_overrun);
}

TEST(TsPacket, ReaderRejectsBadFraming) {
  Packet p{};
  write_null_packet(p);
  TsPacketView view;
  EXPECT_EQ(try_parse_ts_packet(p, view), TsParseStatus::ok);
  EXPECT_EQ(view.header.pid, kNullPid);
  EXPECT_EQ(try_parse_ts_packet(std::span(p).first(187), view), TsParseStatus::wrong_size);
  p[3] &= 0xCF;  // adaptation_field_control '00'
  EXPECT_EQ(try_parse_ts_packet(p, view), TsParseStatus::reserved_adaptation_field_control);
  p[0] = 0x48;
  EXPECT_EQ(try_parse_ts_packet(p, view), TsParseStatus::no_sync_byte);
}

TEST(TsPacket, RandomBytesNeverEscapeThePacket) {
  std::mt19937 rng(1234);
  std::uniform_int_distribution<int> byte(0, 255);
  Packet p{};
  int ok = 0;
  for (int i = 0; i < 200'000; ++i) {
    for (auto& b : p) b = static_cast<std::uint8_t>(byte(rng));
    p[0] = 0x47;
    TsPacketView view;
    if (try_parse_ts_packet(p, view) != TsParseStatus::ok) continue;
    ++ok;
    if (view.has_payload) {
      ASSERT_GE(view.payload.data(), p.data());
      ASSERT_EQ(view.payload.data() + view.payload.size(), p.data() + p.size());
    }
    if (view.adaptation_field) {
      const auto& pd = view.adaptation_field->transport_private_data;
      ASSERT_LE(pd.data() + pd.size(), p.data() + p.size());
    }
  }
  EXPECT_GT(ok, 1000);
}

TEST(TsPacket, ContinuityCountersSkipPacketsWithoutPayload) {
  ContinuityCounters cc;
  EXPECT_EQ(cc.next(0x100, true), 0);
  EXPECT_EQ(cc.next(0x100, false), 0);  // adaptation only repeats the counter
  EXPECT_EQ(cc.next(0x100, true), 1);
  EXPECT_EQ(cc.next(0x101, true), 0);  // per PID
  for (int i = 2; i < 16; ++i) cc.next(0x100, true);
  EXPECT_EQ(cc.next(0x100, true), 0);  // modulo 16
}

TEST(TsPacket, HeaderWithPcrWritesWhatTheGeneralWriterWrites) {
  const Pcr pcr = Pcr::from_27mhz(123'456'789'012ull);
  for (bool pusi : {false, true}) {
    for (bool random_access : {false, true}) {
      for (const Pcr* with_pcr : {static_cast<const Pcr*>(nullptr), &pcr}) {
        for (std::size_t payload = 0; payload <= kTsMaxPayloadSize; ++payload) {
          TsHeader header;
          header.pid = 0x0101;
          header.payload_unit_start_indicator = pusi;
          header.continuity_counter = 9;
          AdaptationField af;
          af.random_access_indicator = random_access;
          if (with_pcr) af.pcr = *with_pcr;
          std::array<std::uint8_t, kTsPacketSize> general{}, lean{};
          general.fill(0xA5);
          lean.fill(0x5A);
          if (payload > ts_payload_capacity(af)) {
            EXPECT_THROW(write_ts_header_with_pcr(lean, header, random_access, with_pcr, payload),
                         TsError);
            continue;
          }
          auto a = write_ts_header(general, header, af, payload);
          auto b = write_ts_header_with_pcr(lean, header, random_access, with_pcr, payload);
          ASSERT_EQ(a.size(), payload);
          ASSERT_EQ(b.size(), payload);
          std::fill(a.begin(), a.end(), 0x00);  // the payload is the caller's
          std::fill(b.begin(), b.end(), 0x00);
          ASSERT_EQ(general, lean) << "payload " << payload << " RAI " << random_access << " PCR "
                                   << (with_pcr != nullptr);
        }
      }
    }
  }
}

}  // namespace
}  // namespace skyclass::mux

#include "mux/pes.hpp"

#include <cstdint>
#include <vector>

#include <gtest/gtest.h>

namespace skyclass::mux {
namespace {

using Bytes = std::vector<std::uint8_t>;

Bytes front_bytes(const PesPacketiser& p) {
  Bytes out(p.front().size);
  p.copy_front(0, out);
  return out;
}

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

Bytes mp2_frame(std::size_t size, std::uint8_t fill) {
  Bytes f(size, fill);
  f[0] = 0xFF, f[1] = 0xFD, f[2] = 0xA4, f[3] = 0x04;  // MPEG-1 Layer II, 192 kbit/s, 48 kHz
  return f;
}

TEST(PesHeader, PtsOnlyIsByteExact) {
  PesHeader h;
  h.stream_id = 0xC0;
  h.pes_packet_length = 0x0248;
  h.data_alignment_indicator = true;
  h.pts_90k = 0x1'2345'6789ull;  // PTS bytes worked by hand: 29 8D 15 CF 13
  Bytes out(h.encoded_size());
  EXPECT_EQ(h.encode(out), 14u);
  EXPECT_EQ(out, (Bytes{0x00, 0x00, 0x01, 0xC0, 0x02, 0x48, 0x84, 0x80, 0x05, 0x29, 0x8D, 0x15,
                        0xCF, 0x13}));
}

TEST(PesHeader, PtsAndDtsIsByteExact) {
  PesHeader h;
  h.stream_id = 0xE0;
  h.pts_90k = 0x1'2345'6789ull;
  h.dts_90k = 0x0'0000'0E10ull;  // 3600: '0001' 000 1, 0x0000 >> .., 3600 = 0b111_0000_10000
  Bytes out(h.encoded_size());
  EXPECT_EQ(h.encode(out), 19u);
  EXPECT_EQ(out, (Bytes{0x00, 0x00, 0x01, 0xE0, 0x00, 0x00, 0x80, 0xC0, 0x0A, 0x39, 0x8D, 0x15,
                        0xCF, 0x13, 0x11, 0x00, 0x01, 0x1C, 0x21}));
}

TEST(PesHeader, TimestampsWrapModulo2To33AndRoundTrip) {
  PesHeader h;
  h.stream_id = 0xE0;
  h.pts_90k = (1ull << 33) + 5;
  h.dts_90k = (1ull << 33) - 1;
  Bytes out(h.encoded_size());
  h.encode(out);
  const PesPacketView view = parse_pes_packet(out);
  EXPECT_EQ(*view.header.pts_90k, 5u);
  EXPECT_EQ(*view.header.dts_90k, (1ull << 33) - 1);
  EXPECT_EQ(view.header_size, 19u);
  EXPECT_TRUE(view.payload.empty());
}

TEST(PesHeader, ParserRejectsMalformedHeaders) {
  EXPECT_THROW(parse_pes_packet(Bytes{0x00, 0x00, 0x02, 0xE0, 0, 0}), PesError);
  // PES_packet_length 20 but 14 bytes present.
  EXPECT_THROW(parse_pes_packet(Bytes{0, 0, 1, 0xC0, 0, 20, 0x80, 0x80, 5, 0x21, 0, 1, 0, 1}),
               PesError);
  // PTS flagged with PES_header_data_length 2.
  EXPECT_THROW(parse_pes_packet(Bytes{0, 0, 1, 0xC0, 0, 0, 0x80, 0x80, 2, 0x21, 0}), PesError);
  // PTS_DTS_flags '01' is forbidden.
  EXPECT_THROW(parse_pes_packet(Bytes{0, 0, 1, 0xC0, 0, 3, 0x80, 0x40, 0}), PesError);
  // Header data length running past the packet.
  EXPECT_THROW(parse_pes_packet(Bytes{0, 0, 1, 0xE0, 0, 0, 0x80, 0x00, 9}), PesError);
}

TEST(AccessUnitCheck, RecognisesStartCodesAndSyncwords) {
  EXPECT_EQ(check_access_unit(StreamKind::h264, Bytes{0, 0, 0, 1, 0x09, 0xF0}),
            AccessUnitCheck::ok);
  EXPECT_EQ(check_access_unit(StreamKind::h264, Bytes{0, 0, 1, 0x09, 0x10}), AccessUnitCheck::ok);
  EXPECT_EQ(check_access_unit(StreamKind::h264, Bytes{0, 0, 0, 1, 0x65, 0x88}),
            AccessUnitCheck::ok_without_aud);
  EXPECT_EQ(check_access_unit(StreamKind::h264, Bytes{0, 0, 0, 0x20, 0x09}),
            AccessUnitCheck::not_annex_b);
  EXPECT_EQ(check_access_unit(StreamKind::h264, Bytes{}), AccessUnitCheck::empty);
  EXPECT_EQ(check_access_unit(StreamKind::mpeg_audio, mp2_frame(576, 0)), AccessUnitCheck::ok);
  EXPECT_EQ(check_access_unit(StreamKind::mpeg_audio, Bytes{0xFF, 0x0D, 0, 0}),
            AccessUnitCheck::no_audio_sync);
  EXPECT_EQ(check_access_unit(StreamKind::aac_adts, Bytes{0xFF, 0xF1, 0x50, 0x80, 0, 0x1F, 0xFC}),
            AccessUnitCheck::ok);
  EXPECT_EQ(check_access_unit(StreamKind::aac_adts, Bytes{0xFF, 0xF7, 0x50, 0x80, 0, 0x1F, 0xFC}),
            AccessUnitCheck::no_audio_sync);  // layer must be '00'
}

TEST(PesPacketiser, VideoAccessUnitWithDtsIsOnePesByteExact) {
  PesPacketiser p({StreamKind::h264, 0xE0});
  const Bytes au{0x00, 0x00, 0x00, 0x01, 0x09, 0x10, 0x00, 0x00, 0x01, 0x41, 0x9A, 0x55};
  EXPECT_EQ(p.push({au, 7200, 3600, false}), 19u + au.size());
  ASSERT_EQ(p.closed_packets(), 1u);
  EXPECT_FALSE(p.has_open_packet());
  const Bytes expected = cat({Bytes{0x00, 0x00, 0x01, 0xE0, 0x00, 0x19, 0x84, 0xC0, 0x0A, 0x31,
                                    0x00, 0x01, 0x38, 0x41,         // PTS 7200
                                    0x11, 0x00, 0x01, 0x1C, 0x21},  // DTS 3600
                              au});
  EXPECT_EQ(front_bytes(p), expected);
  EXPECT_EQ(p.front().size, expected.size());
  p.pop_front();
  EXPECT_EQ(p.closed_packets(), 0u);
}

TEST(PesPacketiser, VideoWithoutDtsWhenEqualAndInsertedAud) {
  PesPacketiser p({StreamKind::h264, 0xE1});
  const Bytes au{0x00, 0x00, 0x00, 0x01, 0x65, 0x88, 0x84};
  EXPECT_EQ(p.push({au, 3600, 3600, true}), 14u + 6u + au.size());
  const PesPacketInfo& info = p.front();
  EXPECT_TRUE(info.random_access);
  EXPECT_TRUE(info.aud_inserted);
  const Bytes bytes = front_bytes(p);
  const PesPacketView view = parse_pes_packet(bytes);
  EXPECT_EQ(view.header.stream_id, 0xE1);
  EXPECT_EQ(view.header.pes_packet_length, bytes.size() - 6);
  EXPECT_EQ(*view.header.pts_90k, 3600u);
  EXPECT_FALSE(view.header.dts_90k.has_value());
  EXPECT_TRUE(view.header.data_alignment_indicator);
  EXPECT_EQ(Bytes(view.payload.begin(), view.payload.end()),
            cat({Bytes{0, 0, 0, 1, 0x09, 0xF0}, au}));
  // copy_front at every split point gives the same bytes.
  for (std::size_t cut = 0; cut <= bytes.size(); ++cut) {
    Bytes a(cut), b(bytes.size() - cut);
    p.copy_front(0, a);
    p.copy_front(cut, b);
    ASSERT_EQ(cat({a, b}), bytes) << cut;
  }
}

TEST(PesPacketiser, LargeVideoPesHasLengthZero) {
  PesPacketiser p({StreamKind::h264, 0xE0});
  Bytes au(70'000, 0x55);
  au[0] = 0, au[1] = 0, au[2] = 0, au[3] = 1, au[4] = 0x09;
  p.push({au, 0, 0, true});
  const Bytes bytes = front_bytes(p);
  const PesPacketView view = parse_pes_packet(bytes);
  EXPECT_EQ(view.header.pes_packet_length, 0);
  EXPECT_EQ(view.payload.size(), au.size());
}

TEST(PesPacketiser, RejectsMalformedAccessUnits) {
  PesPacketiser video({StreamKind::h264, 0xE0});
  EXPECT_THROW(video.push({Bytes{}, 0, 0, false}), PesError);
  EXPECT_THROW(video.push({Bytes{0x12, 0x34, 0x56, 0x78}, 0, 0, false}), PesError);
  PesPacketiser audio({StreamKind::mpeg_audio, 0xC0});
  EXPECT_THROW(audio.push({Bytes(576, 0x11), 0, 0, false}), PesError);
  EXPECT_EQ(video.closed_packets() + audio.closed_packets(), 0u);
  EXPECT_THROW(PesPacketiser({StreamKind::h264, 0xC0}), PesError);
  EXPECT_THROW(PesPacketiser({StreamKind::mpeg_audio, 0xE0}), PesError);
}

TEST(PesPacketiser, AudioFramesShareAPesWithinTheBoundedDelay) {
  // 576-byte MP2 frames every 24 ms (2160 ticks); at most 60 ms (5400 ticks) per PES.
  PesPacketiser p({StreamKind::mpeg_audio, 0xC0, 5400, 3000});
  std::vector<Bytes> frames;
  for (int i = 0; i < 7; ++i) frames.push_back(mp2_frame(576, static_cast<std::uint8_t>(i)));
  EXPECT_EQ(p.push({frames[0], 1000, 1000, false}), 14u + 576u);
  EXPECT_EQ(p.push({frames[1], 3160, 3160, false}), 576u);
  EXPECT_EQ(p.push({frames[2], 5320, 5320, false}), 576u);
  EXPECT_EQ(p.closed_packets(), 0u);  // still open: a frame before DTS 6400 could join
  ASSERT_NE(p.open_packet(), nullptr);
  EXPECT_EQ(p.open_packet()->ready_dts_90k, 6400);
  EXPECT_EQ(p.push({frames[3], 7480, 7480, false}), 14u + 576u);  // 6480 >= 5400: new PES
  ASSERT_EQ(p.closed_packets(), 1u);
  const Bytes first = front_bytes(p);
  const PesPacketView view = parse_pes_packet(first);
  EXPECT_EQ(*view.header.pts_90k, 1000u);
  EXPECT_EQ(view.header.pes_packet_length, 3 + 5 + 3 * 576);
  EXPECT_EQ(Bytes(view.payload.begin(), view.payload.end()),
            cat({frames[0], frames[1], frames[2]}));
  EXPECT_EQ(p.front().access_units, 3u);
  p.pop_front();
  p.close_open_packet();
  ASSERT_EQ(p.closed_packets(), 1u);
  EXPECT_EQ(p.front().access_units, 1u);
  EXPECT_EQ(*parse_pes_packet(front_bytes(p)).header.pts_90k, 7480u);
}

TEST(PesPacketiser, AudioPayloadBoundStartsANewPes) {
  PesPacketiser p({StreamKind::mpeg_audio, 0xC0, 90'000, 1200});
  p.push({mp2_frame(576, 1), 0, 0, false});
  p.push({mp2_frame(576, 2), 2160, 2160, false});
  p.push({mp2_frame(576, 3), 4320, 4320, false});  // 1728 > 1200
  ASSERT_EQ(p.closed_packets(), 1u);
  EXPECT_EQ(p.front().access_units, 2u);
  EXPECT_THROW(p.push({mp2_frame(1201, 4), 6480, 6480, false}), PesError);
}

}  // namespace
}  // namespace skyclass::mux

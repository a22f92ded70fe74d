#include "headend/h264_annexb.hpp"

#include <gtest/gtest.h>

#include <cstring>

namespace skyclass::headend {
namespace {

Bytes concat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const Bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

const Bytes kAud = {0x00, 0x00, 0x00, 0x01, 0x09, 0xF0};
const Bytes kSps = {0x67, 0x4D, 0x40, 0x1E, 0x95, 0xA0, 0x5A, 0x09};
const Bytes kPps = {0x68, 0xEE, 0x3C, 0x80};
const Bytes kSei = {0x06, 0x05, 0x01, 0x80};
const Bytes kIdr = {0x65, 0x88, 0x84, 0x00, 0x21, 0x7F};
const Bytes kNonIdr = {0x41, 0x9A, 0x02, 0x03};
const Bytes kStart4 = {0x00, 0x00, 0x00, 0x01};
const Bytes kStart3 = {0x00, 0x00, 0x01};

TEST(AccessUnitDelimiter, IsTheProfileConstant) {
  EXPECT_EQ(Bytes(std::begin(kAccessUnitDelimiter), std::end(kAccessUnitDelimiter)), kAud)
      << "00 00 00 01, nal_unit_type 9, primary_pic_type 7 and the stop bit";
}

TEST(AccessUnitDelimiter, IsPutFirstWhenMissing) {
  const Bytes au = concat({kStart4, kSps, kStart4, kPps, kStart3, kIdr});
  Bytes scratch;
  const ByteView out = access_unit_with_delimiter(au, scratch);
  EXPECT_EQ(Bytes(out.begin(), out.end()), concat({kAud, au}));
}

TEST(AccessUnitDelimiter, LeavesAnAccessUnitThatStartsWithOneUntouched) {
  const Bytes au = concat({kStart4, {0x09, 0x10}, kStart3, kNonIdr});
  Bytes scratch;
  const ByteView out = access_unit_with_delimiter(au, scratch);
  EXPECT_EQ(out.data(), au.data()) << "no copy";
  EXPECT_EQ(out.size(), au.size());
  EXPECT_TRUE(scratch.empty());
}

TEST(AccessUnitDelimiter, WorksAfterAThreeByteStartCode) {
  const Bytes au = concat({kStart3, kNonIdr});
  Bytes scratch;
  const ByteView out = access_unit_with_delimiter(au, scratch);
  EXPECT_EQ(Bytes(out.begin(), out.end()), concat({kAud, kStart3, kNonIdr}));
}

TEST(AccessUnitDelimiter, DropsAMisplacedDelimiterSoThereIsExactlyOne) {
  const Bytes au = concat({kStart4, kSei, kStart4, {0x09, 0x30}, kStart3, kNonIdr});
  Bytes scratch;
  const ByteView out = access_unit_with_delimiter(au, scratch);
  EXPECT_EQ(Bytes(out.begin(), out.end()), concat({kAud, kStart4, kSei, kStart3, kNonIdr}));
}

TEST(AccessUnitDelimiter, ReusesTheScratchBuffer) {
  Bytes scratch;
  const Bytes first = concat({kStart4, kIdr});
  const Bytes second = concat({kStart4, kNonIdr});
  (void)access_unit_with_delimiter(first, scratch);
  const ByteView out = access_unit_with_delimiter(second, scratch);
  EXPECT_EQ(Bytes(out.begin(), out.end()), concat({kAud, second}));
}

TEST(SplitAnnexB, FindsEveryNalUnitWithItsStartCode) {
  const Bytes au = concat({kAud, kStart4, kSps, kStart3, kPps, kStart3, kIdr});
  const std::vector<NalUnit> nals = split_annex_b(au);
  ASSERT_EQ(nals.size(), 4u);
  EXPECT_EQ(nals[0].start_code_offset, 0u);
  EXPECT_EQ(nals[0].start_code_size, 4u);
  EXPECT_EQ(nals[0].type(), kNalTypeAud);
  EXPECT_EQ(nals[1].start_code_offset, 6u);
  EXPECT_EQ(nals[1].type(), 7);
  EXPECT_EQ(Bytes(nals[1].nal.begin(), nals[1].nal.end()), kSps);
  EXPECT_EQ(nals[2].start_code_size, 3u);
  EXPECT_EQ(Bytes(nals[2].nal.begin(), nals[2].nal.end()), kPps);
  EXPECT_EQ(nals[3].type(), 5);
  EXPECT_EQ(Bytes(nals[3].nal.begin(), nals[3].nal.end()), kIdr);
}

TEST(SplitAnnexB, SeesZeroBytesInsideSlicesAsData) {
  // 00 00 02 and 00 00 03 are not start codes (03 is emulation prevention).
  const Bytes au = concat({kStart4, {0x41, 0x00, 0x00, 0x03, 0x01, 0x00, 0x00, 0x02, 0x55}});
  const auto nals = split_annex_b(au);
  ASSERT_EQ(nals.size(), 1u);
  EXPECT_EQ(nals[0].nal.size(), au.size() - 4);
  EXPECT_TRUE(starts_with_start_code(au));
  EXPECT_FALSE(starts_with_start_code(Bytes{0x00, 0x00, 0x05, 0x01}));
}

// An AVCDecoderConfigurationRecord (ISO/IEC 14496-15 5.2.4.1) with 4-byte lengths, one SPS and
// one PPS.
Bytes avcc() {
  Bytes record = {0x01, 0x4D, 0x40, 0x1E, 0xFF, 0xE1, 0x00, static_cast<std::uint8_t>(kSps.size())};
  record.insert(record.end(), kSps.begin(), kSps.end());
  record.insert(record.end(), {0x01, 0x00, static_cast<std::uint8_t>(kPps.size())});
  record.insert(record.end(), kPps.begin(), kPps.end());
  return record;
}

Bytes length_prefixed(std::initializer_list<Bytes> nals) {
  Bytes out;
  for (const Bytes& nal : nals) {
    const auto n = static_cast<std::uint32_t>(nal.size());
    out.insert(out.end(), {static_cast<std::uint8_t>(n >> 24), static_cast<std::uint8_t>(n >> 16),
                           static_cast<std::uint8_t>(n >> 8), static_cast<std::uint8_t>(n)});
    out.insert(out.end(), nal.begin(), nal.end());
  }
  return out;
}

struct Parameters {
  AVCodecParameters* p = avcodec_parameters_alloc();
  explicit Parameters(const Bytes& extradata) {
    p->codec_type = AVMEDIA_TYPE_VIDEO;
    p->codec_id = AV_CODEC_ID_H264;
    if (!extradata.empty()) {
      p->extradata =
          static_cast<std::uint8_t*>(av_mallocz(extradata.size() + AV_INPUT_BUFFER_PADDING_SIZE));
      std::memcpy(p->extradata, extradata.data(), extradata.size());
      p->extradata_size = static_cast<int>(extradata.size());
    }
  }
  ~Parameters() { avcodec_parameters_free(&p); }
};

av::PacketPtr packet_of(const Bytes& data, std::int64_t dts, bool key) {
  av::PacketPtr packet = av::make_packet();
  EXPECT_EQ(av_new_packet(packet.get(), static_cast<int>(data.size())), 0);
  std::memcpy(packet->data, data.data(), data.size());
  packet->dts = packet->pts = dts;
  if (key) packet->flags |= AV_PKT_FLAG_KEY;
  return packet;
}

TEST(AnnexBConverter, TurnsAvccIntoStartCodesWithParameterSetsBeforeTheIdr) {
  Parameters par(avcc());
  EXPECT_TRUE(is_avcc_extradata(avcc()));
  AnnexBConverter converter(*par.p, AVRational{1, 12800}, "clip.mp4: stream #0 (h264)");
  ASSERT_TRUE(converter.filtering());

  const auto idr = packet_of(length_prefixed({kSei, kIdr}), 0, true);
  const ByteView out = converter.convert(*idr);
  // h264_mp4toannexb puts the extradata's SPS and PPS (4-byte start codes) in front of the
  // first IDR slice NAL unit; the first NAL unit of the output gets a 4-byte start code, the
  // others 3 bytes.
  EXPECT_EQ(Bytes(out.begin(), out.end()),
            concat({kStart4, kSei, kStart4, kSps, kStart4, kPps, kStart3, kIdr}));
  EXPECT_EQ(idr->size, static_cast<int>(length_prefixed({kSei, kIdr}).size()))
      << "the input packet is left as it was";

  const auto p = packet_of(length_prefixed({kNonIdr}), 512, false);
  const ByteView out_p = converter.convert(*p);
  EXPECT_EQ(Bytes(out_p.begin(), out_p.end()), concat({kStart4, kNonIdr}));
}

TEST(AnnexBConverter, ThenTheDelimiterGoesInFront) {
  Parameters par(avcc());
  AnnexBConverter converter(*par.p, AVRational{1, 90000}, "clip.mp4: stream #0 (h264)");
  const auto idr = packet_of(length_prefixed({kIdr}), 0, true);
  Bytes scratch;
  const ByteView out = access_unit_with_delimiter(converter.convert(*idr), scratch);
  EXPECT_EQ(Bytes(out.begin(), out.end()),
            concat({kAud, kStart4, kSps, kStart4, kPps, kStart3, kIdr}));
}

TEST(AnnexBConverter, PassesAnnexBThrough) {
  Parameters par(concat({kStart4, kSps, kStart4, kPps}));  // MPEG-TS style extradata
  AnnexBConverter converter(*par.p, AVRational{1, 90000}, "clip.ts: stream #0 (h264)");
  EXPECT_FALSE(converter.filtering());
  const Bytes au = concat({kStart4, kNonIdr});
  const auto packet = packet_of(au, 3600, false);
  const ByteView out = converter.convert(*packet);
  EXPECT_EQ(out.data(), packet->data);
  EXPECT_EQ(Bytes(out.begin(), out.end()), au);
}

TEST(AnnexBConverter, RejectsLengthPrefixedDataWithoutAvccNamingStreamAndDts) {
  Parameters par({});
  AnnexBConverter converter(*par.p, AVRational{1, 90000}, "clip.mkv: stream #1 (h264)");
  const auto packet = packet_of(length_prefixed({kNonIdr}), 7200, false);
  try {
    (void)converter.convert(*packet);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_STREQ(e.what(),
                 "clip.mkv: stream #1 (h264): packet with DTS 7200: H.264 data is neither Annex B "
                 "nor length-prefixed with avcC extradata");
  }
}

}  // namespace
}  // namespace skyclass::headend

#include "headend/adts.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <vector>

#include "headend/av_raii.hpp"

namespace skyclass::headend {
namespace {

using Bytes = std::vector<std::uint8_t>;

TEST(AdtsConfig, ReadsAacLc48kStereo) {
  // audioObjectType 2 (LC), samplingFrequencyIndex 3 (48 kHz), channelConfiguration 2.
  const Bytes asc = {0x11, 0x90};
  EXPECT_EQ(adts_config_from_audio_specific_config(asc), (AdtsConfig{1, 3, 2}));
}

TEST(AdtsConfig, ReadsMono44k1AndSurround) {
  EXPECT_EQ(adts_config_from_audio_specific_config(Bytes{0x12, 0x08}), (AdtsConfig{1, 4, 1}));
  EXPECT_EQ(adts_config_from_audio_specific_config(Bytes{0x11, 0xB0}), (AdtsConfig{1, 3, 6}));
}

TEST(AdtsConfig, DescribesTheCoreOfExplicitHeAac) {
  // audioObjectType 5 (SBR), index 6 (24 kHz core), 2 channels, extension index 3 (48 kHz),
  // then the core audioObjectType 2 (LC): 00101 0110 0010 0011 00010 ...
  const Bytes asc = {0x2B, 0x11, 0x88, 0x00};
  EXPECT_EQ(adts_config_from_audio_specific_config(asc), (AdtsConfig{1, 6, 2}));
}

TEST(AdtsConfig, ReadsTheEscapedObjectType) {
  // 11111 000000 (type 32: layer 1) is not AAC.
  const Bytes asc = {0xF8, 0x01, 0x90};
  try {
    (void)adts_config_from_audio_specific_config(asc);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(),
                 "audioObjectType 32 cannot be carried in ADTS (AAC Main, LC, SSR or LTP only)");
  }
}

TEST(AdtsConfig, RefusesWhatAdtsCannotSignal) {
  // Explicit frequency (index 15, then 24 bits: 0x00BB80 = 48000).
  const Bytes explicit_rate = {0x17, 0x80, 0x5D, 0xC0, 0x10};
  EXPECT_THROW((void)adts_config_from_audio_specific_config(explicit_rate), std::invalid_argument);
  // channelConfiguration 0: a program_config_element.
  try {
    (void)adts_config_from_audio_specific_config(Bytes{0x11, 0x80});
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("channelConfiguration 0"), std::string::npos) << e.what();
  }
  EXPECT_THROW((void)adts_config_from_audio_specific_config(Bytes{0x11}), std::invalid_argument);
}

TEST(AdtsHeader, IsByteExact) {
  // LC, 48 kHz, stereo, 300 raw bytes: frame length 307 = 0b1_0011_0011.
  const auto h = adts_header(AdtsConfig{1, 3, 2}, 300);
  const std::array<std::uint8_t, 7> expected = {0xFF, 0xF1, 0x4C, 0x80, 0x26, 0x7F, 0xFC};
  EXPECT_EQ(h, expected);
  EXPECT_TRUE(starts_with_adts(h));
}

TEST(AdtsHeader, CarriesTheLargestFrameAndRefusesALargerOne) {
  const auto h = adts_header(AdtsConfig{1, 4, 1}, kMaxAdtsFrameBytes - kAdtsHeaderBytes);
  const std::array<std::uint8_t, 7> expected = {0xFF, 0xF1, 0x50, 0x43, 0xFF, 0xFF, 0xFC};
  EXPECT_EQ(h, expected);
  EXPECT_THROW((void)adts_header(AdtsConfig{}, kMaxAdtsFrameBytes - kAdtsHeaderBytes + 1),
               std::invalid_argument);
}

// FFmpeg's own adts muxer, writing into memory, as the independent reference.
Bytes ffmpeg_adts_frame(const Bytes& asc, const Bytes& raw) {
  AVFormatContext* raw_ctx = nullptr;
  EXPECT_GE(avformat_alloc_output_context2(&raw_ctx, nullptr, "adts", nullptr), 0);
  av::OutputFormatPtr ctx(raw_ctx);
  AVStream* st = avformat_new_stream(ctx.get(), nullptr);
  st->codecpar->codec_type = AVMEDIA_TYPE_AUDIO;
  st->codecpar->codec_id = AV_CODEC_ID_AAC;
  st->codecpar->sample_rate = 48000;
  av_channel_layout_default(&st->codecpar->ch_layout, 2);
  st->codecpar->extradata =
      static_cast<std::uint8_t*>(av_mallocz(asc.size() + AV_INPUT_BUFFER_PADDING_SIZE));
  std::memcpy(st->codecpar->extradata, asc.data(), asc.size());
  st->codecpar->extradata_size = static_cast<int>(asc.size());
  st->time_base = AVRational{1, 48000};
  EXPECT_GE(avio_open_dyn_buf(&ctx->pb), 0);
  EXPECT_GE(avformat_write_header(ctx.get(), nullptr), 0);
  av::PacketPtr packet = av::make_packet();
  EXPECT_EQ(av_new_packet(packet.get(), static_cast<int>(raw.size())), 0);
  std::memcpy(packet->data, raw.data(), raw.size());
  packet->pts = packet->dts = 0;
  EXPECT_GE(av_write_frame(ctx.get(), packet.get()), 0);
  EXPECT_GE(av_write_trailer(ctx.get()), 0);
  std::uint8_t* buffer = nullptr;
  const int size = avio_close_dyn_buf(ctx->pb, &buffer);
  ctx->pb = nullptr;
  Bytes out(buffer, buffer + size);
  av_free(buffer);
  return out;
}

TEST(AdtsHeader, MatchesFfmpegsAdtsMuxer) {
  const Bytes asc = {0x11, 0x90};
  const Bytes raw(371, 0x21);
  const Bytes reference = ffmpeg_adts_frame(asc, raw);
  ASSERT_EQ(reference.size(), raw.size() + kAdtsHeaderBytes);
  const auto ours = adts_header(adts_config_from_audio_specific_config(asc), raw.size());
  EXPECT_EQ(Bytes(ours.begin(), ours.end()), Bytes(reference.begin(), reference.begin() + 7));
}

}  // namespace
}  // namespace skyclass::headend

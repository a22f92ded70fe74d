#include "headend/channel_si.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "mux/tables/pmt.hpp"

namespace skyclass::headend {
namespace {

namespace fs = std::filesystem;

scheduler::ChannelConfig sample_channel() {
  return scheduler::load_channel_config(fs::path(SKYCLASS_SOURCE_DIR) / "samples/channel.ini");
}

TEST(DeliveryDescriptor, CodesTheSampleChannel) {
  const auto d = delivery_descriptor(sample_channel());
  EXPECT_EQ(d.frequency_10khz, 1'202'000u) << "12.020 GHz";
  EXPECT_EQ(d.orbital_position_0_1deg, 1155u) << "115.5 degrees";
  EXPECT_TRUE(d.west_east_flag) << "east";
  EXPECT_EQ(d.polarization, 0) << "horizontal";
  EXPECT_EQ(d.roll_off, 0) << "0.35";
  EXPECT_TRUE(d.modulation_system) << "DVB-S2";
  EXPECT_EQ(d.modulation_type, 1) << "QPSK";
  EXPECT_EQ(d.symbol_rate_100sym_s, 275'000u) << "27.5 Msymbol/s";
  EXPECT_EQ(d.FEC_inner, 3) << "3/4";
}

TEST(DeliveryDescriptor, CodesDvbSWestAndTheOtherChoices) {
  scheduler::ChannelConfig c = scheduler::default_channel_config();
  c.delivery.system = "dvb-s";
  c.delivery.orbital_position = "30W";
  c.delivery.polarization = "right";
  c.delivery.modulation = "8psk";
  c.delivery.fec = "9/10";
  c.delivery.roll_off = "0.20";
  const auto d = delivery_descriptor(c);
  EXPECT_FALSE(d.modulation_system);
  EXPECT_EQ(d.roll_off, 0) << "'00' for DVB-S whatever the config says";
  EXPECT_EQ(d.orbital_position_0_1deg, 300u);
  EXPECT_FALSE(d.west_east_flag);
  EXPECT_EQ(d.polarization, 3);
  EXPECT_EQ(d.modulation_type, 2);
  EXPECT_EQ(d.FEC_inner, 9);
}

TEST(DeliveryDescriptor, NamesFileAndKeyOfABadOrbitalPosition) {
  scheduler::ChannelConfig c = scheduler::default_channel_config();
  c.file = "channel.ini";
  for (const char* bad : {"115.55E", "115.5", "E", "181E", "x1E"}) {
    c.delivery.orbital_position = bad;
    try {
      (void)delivery_descriptor(c);
      FAIL() << bad;
    } catch (const std::runtime_error& e) {
      EXPECT_EQ(std::string(e.what()),
                fmt::format("channel.ini: delivery.orbital_position: expected degrees with at most "
                            "one decimal and E or W (e.g. 115.5E), got '{}'",
                            bad));
    }
  }
}

TEST(H264Level, ParsesTheConfigLevel) {
  scheduler::ChannelConfig c = scheduler::default_channel_config();
  EXPECT_EQ(h264_level_idc(c), 30);
  c.video.level = "3.1";
  EXPECT_EQ(h264_level_idc(c), 31);
  c.video.level = "4";
  EXPECT_EQ(h264_level_idc(c), 40);
  c.video.level = "high";
  EXPECT_THROW((void)h264_level_idc(c), std::runtime_error);
}

TEST(MuxSetup, CarriesTheChannelIntoMuxAndSi) {
  const scheduler::ChannelConfig c = sample_channel();
  const ServiceStream video{
      mux::StreamKind::h264, mux::kStreamTypeH264, c.video_pid, 1'900'000, 30, 2, ""};
  const ServiceStream audio{
      mux::StreamKind::mpeg_audio, mux::kStreamTypeMpeg1Audio, c.audio_pid, 192'000, 30, 2, "chi"};
  const MuxSetup s = make_mux_setup(c, 2'500'000, video, audio);
  EXPECT_EQ(s.mux.muxrate_bps, 2'500'000u);
  EXPECT_EQ(s.mux.pcr_pid, 0x0101);
  EXPECT_EQ(s.mux.pcr_interval_27mhz, 30 * 27'000);
  ASSERT_EQ(s.mux.streams.size(), 2u);
  EXPECT_EQ(s.mux.streams[0].stream_id, mux::kVideoStreamId);
  EXPECT_EQ(s.mux.streams[0].max_bitrate_bps, 1'900'000u);
  EXPECT_EQ(s.mux.streams[1].pid, 0x0102);
  EXPECT_EQ(s.mux.streams[1].kind, mux::StreamKind::mpeg_audio);
  EXPECT_EQ(s.mux.streams[1].stream_id, mux::kAudioStreamId);
  EXPECT_EQ(s.si.service_name, "CETV-4 空中课堂");
  EXPECT_EQ(s.si.provider_name, "CETV");
  EXPECT_EQ(s.si.network_name, "中国教育电视台卫星网");
  EXPECT_EQ(s.si.service_id, 404);
  EXPECT_EQ(s.si.transport_stream_id, 4);
  EXPECT_EQ(s.si.original_network_id, 0x20CB);
  EXPECT_EQ(s.si.pmt_pid, 0x0100);
  EXPECT_EQ(s.si.pcr_pid, 0x0101);
  EXPECT_EQ(s.si.text_encoding, mux::TextEncoding::utf8);
  EXPECT_EQ(s.si.local_time_offset_min, 480);
  EXPECT_EQ(s.si.country_code, "CHN");
  ASSERT_EQ(s.si.streams.size(), 2u);
  EXPECT_EQ(s.si.streams[1].stream_type, mux::kStreamTypeMpeg1Audio);
  EXPECT_EQ(s.si.streams[1].language, "chi");
  EXPECT_EQ(s.si.muxrate_bps, 2'500'000u);
}

TEST(EitEvents, FloorsToSecondsKeepingItemsBackToBack) {
  std::vector<scheduler::EpgEvent> in(3);
  in[0] = {7,
           1'581'897'600'000,
           11'680,
           "《春夏秋冬》",
           "一年级 · 语文",
           0x54,
           "crid://cetv.cn/a",
           scheduler::ItemKind::lesson};
  in[1] = {8, 1'581'897'611'680, 200, "短", "", 0x50, "", scheduler::ItemKind::filler};
  in[2] = {9, 1'581'897'611'880, 1'000, "眼保健操", "", 0x50, "", scheduler::ItemKind::filler};
  const auto out = eit_events(in, "chi");
  ASSERT_EQ(out.size(), 2u) << "the 0.2 s item does not reach a second boundary";
  EXPECT_EQ(out[0].event_id, 7);
  EXPECT_EQ(out[0].start_utc_s, 1'581'897'600);
  EXPECT_EQ(out[0].duration_s, 11);
  EXPECT_EQ(out[0].title, "《春夏秋冬》");
  EXPECT_EQ(out[0].text, "一年级 · 语文");
  EXPECT_EQ(out[0].language, "chi");
  EXPECT_EQ(out[0].content_nibbles, 0x54);
  EXPECT_EQ(out[0].crid, "crid://cetv.cn/a");
  EXPECT_EQ(out[1].event_id, 9);
  EXPECT_EQ(out[1].start_utc_s, out[0].start_utc_s + out[0].duration_s) << "back to back";
  EXPECT_EQ(out[1].duration_s, 1) << "11.88 s .. 12.88 s floors to 11 .. 12";
}

}  // namespace
}  // namespace skyclass::headend

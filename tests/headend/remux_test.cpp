// Remux of real clips written with tools::write_clip, read back with the project's own decoders
// (TS packet reader, SectionAssembler, table types) and with libavformat for the elementary
// streams.
#include "headend/remux.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "headend/adts.hpp"
#include "headend/av_raii.hpp"
#include "headend/channel_si.hpp"
#include "headend/es_input.hpp"
#include "tests/headend/ts_probe.hpp"
#include "tools/samples/clip.hpp"

namespace skyclass::headend {
namespace {

namespace fs = std::filesystem;
using test::probe_ts;
using test::sections_of;

const fs::path kDir = fs::path(SKYCLASS_TEST_DATA_DIR) / "headend-remux";
constexpr std::int64_t kStartUtcS = 1'581'897'600;  // 2020-02-17T00:00:00Z, 08:00 in Beijing
const std::set<std::uint16_t> kSiPids = {0x0000, 0x0010, 0x0011, 0x0012, 0x0014, 0x0100};

tools::ClipSpec clip_spec(const std::string& audio_codec, std::int64_t duration_ms) {
  tools::ClipSpec spec;
  spec.relative_path = "lessons/remux-test.mp4";
  spec.kind = "lesson";
  spec.title = "《春夏秋冬》";
  spec.grade = "一年级";
  spec.subject = "语文";
  spec.duration_ms = duration_ms;
  spec.audio_codec = audio_codec;
  return spec;
}

scheduler::ChannelConfig sample_channel() {
  return scheduler::load_channel_config(fs::path(SKYCLASS_SOURCE_DIR) / "samples/channel.ini");
}

std::vector<mux::EpgEvent> lesson_events() {
  mux::EpgEvent lesson;
  lesson.event_id = 18454;
  lesson.start_utc_s = kStartUtcS;
  lesson.duration_s = 1200;
  lesson.title = "《春夏秋冬》";
  lesson.text = "一年级 · 语文";
  mux::EpgEvent next = lesson;
  next.event_id = 18455;
  next.start_utc_s = kStartUtcS + 1200;
  next.duration_s = 60;
  next.title = "防疫小贴士：勤洗手";
  next.text = "";
  next.content_nibbles = 0x50;
  return {lesson, next};
}

RemuxOptions options_for(const fs::path& in, const fs::path& out) {
  RemuxOptions o;
  o.input = in;
  o.output = out;
  o.channel = sample_channel();
  o.start_utc_s = kStartUtcS;
  o.events = lesson_events();
  return o;
}

// Every packet of the first video and audio stream of a file, as libavformat reads them.
struct Elementary {
  std::string video_codec, audio_codec;
  std::vector<Bytes> video, audio;
};

Elementary read_elementary(const fs::path& file) {
  av::InputFormatPtr input = open_input(file);
  Elementary e;
  int v = av_find_best_stream(input.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  int a = av_find_best_stream(input.get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
  if (v >= 0) e.video_codec = avcodec_get_name(input->streams[v]->codecpar->codec_id);
  if (a >= 0) e.audio_codec = avcodec_get_name(input->streams[a]->codecpar->codec_id);
  av::PacketPtr p = av::make_packet();
  while (av_read_frame(input.get(), p.get()) >= 0) {
    if (p->stream_index == v) e.video.emplace_back(p->data, p->data + p->size);
    if (p->stream_index == a) e.audio.emplace_back(p->data, p->data + p->size);
    av_packet_unref(p.get());
  }
  return e;
}

// Temporary files TsFileWriter left beside `out` (".NAME.<pid>.partial"). Only this output's:
// ctest runs the cases of this suite in parallel processes sharing the folder.
bool has_partial_files(const fs::path& out) {
  const std::string prefix = "." + out.filename().string() + ".";
  for (const auto& entry : fs::directory_iterator(out.parent_path()))
    if (entry.path().filename().string().starts_with(prefix)) return true;
  return false;
}

class Remux : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fs::create_directories(kDir);
    tools::write_clip(clip_spec("mp2", 3000), kDir / "mp2.mp4");
    tools::write_clip(clip_spec("aac", 2000), kDir / "aac.mp4");
    tools::write_clip(clip_spec("mp2", 2000), kDir / "mp2.ts");
    tools::write_clip(clip_spec("", 1000), kDir / "silent.mp4");
    // The same TS twice: the clock jumps back 2 s half-way, after output has been written.
    const Bytes once = test::read_file_bytes((kDir / "mp2.ts").string());
    std::ofstream twice(kDir / "twice.ts", std::ios::binary);
    for (int i = 0; i < 2; ++i)
      twice.write(reinterpret_cast<const char*>(once.data()),
                  static_cast<std::streamsize>(once.size()));
  }
};

TEST_F(Remux, WritesEveryTableWithTheChannelsIdentity) {
  const fs::path out = kDir / "mp2-out.ts";
  const RemuxResult r = remux(options_for(kDir / "mp2.mp4", out));
  const Bytes ts = test::read_file_bytes(out);
  ASSERT_EQ(ts.size(), r.output_bytes);
  EXPECT_EQ(r.output_bytes, r.ts_packets * 188);
  EXPECT_EQ(r.input_bytes, fs::file_size(kDir / "mp2.mp4"));
  EXPECT_NEAR(r.duration_s, static_cast<double>(r.output_bytes) * 8 / 2'500'000, 1e-9);
  EXPECT_GT(r.duration_s, 3.0) << "3 s of media plus the mux delay";
  EXPECT_LT(r.duration_s, 4.5);
  EXPECT_EQ(r.video.access_units, 75u);
  EXPECT_EQ(r.audio.access_units, 125u) << "3 s of 1152-sample frames at 48 kHz";
  EXPECT_EQ(r.video.codec, "h264");
  EXPECT_EQ(r.audio.codec, "mp3") << "MP2 in MP4 is object type 0x6B, which libavformat calls mp3";
  EXPECT_TRUE(r.rates_from_index);
  EXPECT_EQ(r.epg_events, 2u);
  EXPECT_FALSE(has_partial_files(out));

  const test::TsProbe probe = probe_ts(ts, kSiPids, 0x0101);
  EXPECT_EQ(probe.errors, std::vector<std::string>{});
  EXPECT_GT(probe.packets_per_pid.at(0x0101), 0u);
  EXPECT_GT(probe.packets_per_pid.at(0x0102), 0u);

  const auto pat = mux::Pat::decode(sections_of(probe, 0x0000, mux::Pat::kTableId).at(0)->bytes);
  ASSERT_TRUE(pat) << pat.error();
  EXPECT_EQ(pat->transport_stream_id, 4);
  EXPECT_EQ(pat->programs, (std::vector<mux::Pat::Program>{{0, 0x0010}, {404, 0x0100}}));

  const auto pmt = mux::Pmt::decode(sections_of(probe, 0x0100, mux::Pmt::kTableId).at(0)->bytes);
  ASSERT_TRUE(pmt) << pmt.error();
  EXPECT_EQ(pmt->program_number, 404);
  EXPECT_EQ(pmt->PCR_PID, 0x0101);
  ASSERT_EQ(pmt->streams.size(), 2u);
  EXPECT_EQ(pmt->streams[0].stream_type, mux::kStreamTypeH264);
  EXPECT_EQ(pmt->streams[0].elementary_PID, 0x0101);
  EXPECT_EQ(pmt->streams[1].stream_type, mux::kStreamTypeMpeg1Audio);
  EXPECT_EQ(pmt->streams[1].elementary_PID, 0x0102);
  const auto* language =
      mux::find_descriptor<mux::Iso639LanguageDescriptor>(pmt->streams[1].descriptors);
  ASSERT_NE(language, nullptr);
  EXPECT_EQ(language->languages.at(0).ISO_639_language_code, "chi");

  const auto sdt =
      mux::Sdt::decode(sections_of(probe, 0x0011, mux::Sdt::kTableIdActual).at(0)->bytes);
  ASSERT_TRUE(sdt) << sdt.error();
  EXPECT_EQ(sdt->original_network_id, 0x20CB);
  ASSERT_EQ(sdt->services.size(), 1u);
  EXPECT_EQ(sdt->services[0].service_id, 404);
  EXPECT_TRUE(sdt->services[0].EIT_present_following_flag);
  EXPECT_TRUE(sdt->services[0].EIT_schedule_flag);
  const auto* service = mux::find_descriptor<mux::ServiceDescriptor>(sdt->services[0].descriptors);
  ASSERT_NE(service, nullptr);
  EXPECT_EQ(service->service_type, 0x16);
  EXPECT_EQ(service->service_name.utf8(), "CETV-4 空中课堂");
  EXPECT_EQ(service->service_name.bytes.at(0), 0x15) << "UTF-8 selector (EN 300 468 Annex A)";
  EXPECT_EQ(service->service_provider_name.utf8(), "CETV");

  const auto nit =
      mux::Nit::decode(sections_of(probe, 0x0010, mux::Nit::kTableIdActual).at(0)->bytes);
  ASSERT_TRUE(nit) << nit.error();
  EXPECT_EQ(nit->network_id, 0x20CB);
  const auto* name = mux::find_descriptor<mux::NetworkNameDescriptor>(nit->network_descriptors);
  ASSERT_NE(name, nullptr);
  EXPECT_EQ(name->network_name.utf8(), "中国教育电视台卫星网");
  ASSERT_EQ(nit->transport_streams.size(), 1u);
  const auto* delivery = mux::find_descriptor<mux::SatelliteDeliverySystemDescriptor>(
      nit->transport_streams[0].descriptors);
  ASSERT_NE(delivery, nullptr);
  EXPECT_EQ(*delivery, delivery_descriptor(sample_channel()));

  const auto pf_sections = sections_of(probe, 0x0012, mux::Eit::kTableIdPfActual);
  ASSERT_FALSE(pf_sections.empty());
  const auto present = mux::Eit::decode(pf_sections.at(0)->bytes);
  ASSERT_TRUE(present) << present.error();
  EXPECT_EQ(present->service_id, 404);
  ASSERT_EQ(present->events.size(), 1u);
  EXPECT_EQ(present->events[0].event_id, 18454);
  EXPECT_EQ(present->events[0].running_status, 4);
  const auto* title =
      mux::find_descriptor<mux::ShortEventDescriptor>(present->events[0].descriptors);
  ASSERT_NE(title, nullptr);
  EXPECT_EQ(title->event_name.utf8(), "《春夏秋冬》");
  EXPECT_EQ(title->ISO_639_language_code, "chi");

  const auto schedule = sections_of(probe, 0x0012, 0x50);
  ASSERT_FALSE(schedule.empty());
  bool lesson_in_schedule = false;
  for (const auto* s : schedule) {
    const auto eit = mux::Eit::decode(s->bytes);
    ASSERT_TRUE(eit) << eit.error();
    for (const auto& e : eit->events) lesson_in_schedule |= e.event_id == 18454;
  }
  EXPECT_TRUE(lesson_in_schedule);

  const auto tdt = mux::Tdt::decode(sections_of(probe, 0x0014, mux::Tdt::kTableId).at(0)->bytes);
  ASSERT_TRUE(tdt) << tdt.error();
  EXPECT_EQ(tdt->UTC_time_s, kStartUtcS) << "the first TDT goes out in the first second";
  const auto tot = mux::Tot::decode(sections_of(probe, 0x0014, mux::Tot::kTableId).at(0)->bytes);
  ASSERT_TRUE(tot) << tot.error();
  const auto* offset = mux::find_descriptor<mux::LocalTimeOffsetDescriptor>(tot->descriptors);
  ASSERT_NE(offset, nullptr);
  EXPECT_EQ(offset->regions.at(0).country_code, "CHN");
  EXPECT_EQ(offset->regions.at(0).local_time_offset_min, 480);
}

TEST_F(Remux, EveryVideoAccessUnitIsAnnexBWithTheDelimiterFirst) {
  const fs::path out = kDir / "mp2-aud.ts";
  const RemuxResult r = remux(options_for(kDir / "mp2.mp4", out));
  EXPECT_EQ(r.video.inserted, r.video.access_units) << "x264 in MP4 carries no AUD";
  const Elementary e = read_elementary(out);
  EXPECT_EQ(e.video_codec, "h264");
  EXPECT_EQ(e.audio_codec, "mp2");
  ASSERT_EQ(e.video.size(), 75u);
  ASSERT_EQ(e.audio.size(), 125u);
  const Bytes aud(std::begin(kAccessUnitDelimiter), std::end(kAccessUnitDelimiter));
  int idrs = 0, idr_with_parameter_sets = 0;
  for (const Bytes& au : e.video) {
    ASSERT_GE(au.size(), aud.size());
    EXPECT_EQ(Bytes(au.begin(), au.begin() + 6), aud);
    const auto nals = split_annex_b(au);
    int auds = 0;
    for (const auto& nal : nals) auds += nal.type() == kNalTypeAud;
    EXPECT_EQ(auds, 1);
    bool sps = false, pps = false;
    for (const auto& nal : nals) {
      sps |= nal.type() == 7;
      pps |= nal.type() == 8;
      if (nal.type() == 5) {
        ++idrs;
        idr_with_parameter_sets += sps && pps;
        break;
      }
    }
  }
  EXPECT_EQ(idrs, 2) << "GOP of 2 s: IDRs at 0 s and 2 s";
  EXPECT_EQ(idr_with_parameter_sets, 2) << "SPS and PPS go before every IDR slice";
  const Elementary in = read_elementary(kDir / "mp2.mp4");
  EXPECT_EQ(e.audio, in.audio) << "MPEG audio frames pass through byte for byte";
}

TEST_F(Remux, AacFromMp4BecomesAdts) {
  const fs::path out = kDir / "aac-out.ts";
  const RemuxResult r = remux(options_for(kDir / "aac.mp4", out));
  EXPECT_EQ(r.audio.codec, "aac");
  EXPECT_EQ(r.audio.stream_type, mux::kStreamTypeAacAdts);
  EXPECT_EQ(r.audio.inserted, r.audio.access_units);
  const Bytes ts = test::read_file_bytes(out);
  const test::TsProbe probe = probe_ts(ts, kSiPids, 0x0101);
  EXPECT_EQ(probe.errors, std::vector<std::string>{});
  const auto pmt = mux::Pmt::decode(sections_of(probe, 0x0100, mux::Pmt::kTableId).at(0)->bytes);
  ASSERT_TRUE(pmt);
  EXPECT_EQ(pmt->streams.at(1).stream_type, mux::kStreamTypeAacAdts);

  const Elementary in = read_elementary(kDir / "aac.mp4");
  const Elementary e = read_elementary(out);
  EXPECT_EQ(e.audio_codec, "aac");
  ASSERT_EQ(e.audio.size(), in.audio.size());
  ASSERT_EQ(e.audio.size(), r.audio.access_units);
  av::InputFormatPtr source = open_input(kDir / "aac.mp4");
  const int a = av_find_best_stream(source.get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
  const AdtsConfig config = adts_config_for(*source->streams[a]->codecpar, "aac.mp4");
  EXPECT_EQ(config, (AdtsConfig{1, 3, 2})) << "AAC LC, 48 kHz, stereo";
  for (std::size_t i = 0; i < e.audio.size(); ++i) {
    const auto header = adts_header(config, in.audio[i].size());
    Bytes expected(header.begin(), header.end());
    expected.insert(expected.end(), in.audio[i].begin(), in.audio[i].end());
    ASSERT_EQ(e.audio[i], expected) << "frame " << i;
  }
}

TEST_F(Remux, TsInputIsScannedByReadingAndPassesAnnexBThrough) {
  const fs::path out = kDir / "ts-out.ts";
  const RemuxResult r = remux(options_for(kDir / "mp2.ts", out));
  EXPECT_FALSE(r.rates_from_index);
  EXPECT_EQ(r.video.access_units, 50u);
  EXPECT_GT(r.video.max_bitrate_bps, 0u);
  EXPECT_EQ(r.audio.stream_type, mux::kStreamTypeMpeg1Audio);
  const test::TsProbe probe = probe_ts(test::read_file_bytes(out), kSiPids, 0x0101);
  EXPECT_EQ(probe.errors, std::vector<std::string>{});
  EXPECT_EQ(read_elementary(out).video.size(), 50u);
}

TEST_F(Remux, Gb2312TextForOlderBoxes) {
  RemuxOptions o = options_for(kDir / "mp2.mp4", kDir / "gb2312.ts");
  o.channel.text_encoding = "gb2312";
  (void)remux(o);
  const test::TsProbe probe = probe_ts(test::read_file_bytes(o.output), kSiPids, 0x0101);
  const auto sdt =
      mux::Sdt::decode(sections_of(probe, 0x0011, mux::Sdt::kTableIdActual).at(0)->bytes);
  ASSERT_TRUE(sdt) << sdt.error();
  const auto* service =
      mux::find_descriptor<mux::ServiceDescriptor>(sdt->services.at(0).descriptors);
  ASSERT_NE(service, nullptr);
  EXPECT_EQ(service->service_name.bytes.at(0), 0x13) << "GB2312 selector (EN 300 468 Annex A)";
  EXPECT_EQ(service->service_name.utf8(), "CETV-4 空中课堂");
  const auto present =
      mux::Eit::decode(sections_of(probe, 0x0012, mux::Eit::kTableIdPfActual).at(0)->bytes);
  ASSERT_TRUE(present) << present.error();
  const auto* title =
      mux::find_descriptor<mux::ShortEventDescriptor>(present->events.at(0).descriptors);
  ASSERT_NE(title, nullptr);
  EXPECT_EQ(title->event_name.bytes.at(0), 0x13);
  EXPECT_EQ(title->event_name.utf8(), "《春夏秋冬》");
}

TEST_F(Remux, ConfigRatesAreDeclaredWhenAsked) {
  RemuxOptions o = options_for(kDir / "mp2.mp4", kDir / "config-rates.ts");
  o.es_rates = EsRateSource::config;
  const RemuxResult r = remux(o);
  EXPECT_EQ(r.video.max_bitrate_bps, 1'800'000u);
  EXPECT_EQ(r.audio.max_bitrate_bps, 192'000u);
  EXPECT_LE(r.required_bitrate_bps, 2'500'000u) << "the sample profile fits its own muxrate";
}

TEST_F(Remux, TooLowAMuxrateIsRefusedNamingTheFileAndWritesNothing) {
  const fs::path out = kDir / "too-low.ts";
  std::ofstream(out) << "previous";
  RemuxOptions o = options_for(kDir / "mp2.mp4", out);
  o.muxrate_bps = 300'000;
  try {
    (void)remux(o);
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind((kDir / "mp2.mp4").string() + ": cannot remux at 300000 bit/s: muxrate "
                                                          "300000 bit/s is too low: ",
                            0),
              0u)
        << message;
  }
  EXPECT_EQ(test::read_file_bytes(out), (Bytes{'p', 'r', 'e', 'v', 'i', 'o', 'u', 's'}));
  EXPECT_FALSE(has_partial_files(out));
}

TEST_F(Remux, AClockJumpMidStreamStopsNamingStreamPidAndDtsAndLeavesOutUntouched) {
  const fs::path out = kDir / "twice-out.ts";
  std::ofstream(out) << "previous";
  try {
    (void)remux(options_for(kDir / "twice.ts", out));
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    const std::string message = e.what();
    EXPECT_EQ(message.rfind((kDir / "twice.ts").string() +
                                ": stream #0 (h264): access unit on PID 0x0101 (PTS ",
                            0),
              0u)
        << message;
    EXPECT_NE(message.find("DTS goes backwards"), std::string::npos) << message;
  }
  EXPECT_EQ(test::read_file_bytes(out), (Bytes{'p', 'r', 'e', 'v', 'i', 'o', 'u', 's'}));
  EXPECT_FALSE(has_partial_files(out)) << "the temporary file is removed";
}

TEST_F(Remux, InputWithoutAudioNamesTheFileAndItsStreams) {
  try {
    (void)remux(options_for(kDir / "silent.mp4", kDir / "silent.ts"));
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              (kDir / "silent.mp4").string() +
                  ": no MPEG-1/2 audio (mp2, mp3) or AAC stream (streams: #0 video h264)");
  }
  EXPECT_FALSE(fs::exists(kDir / "silent.ts"));
}

TEST_F(Remux, MissingInputIsNamed) {
  try {
    (void)remux(options_for(kDir / "nothing-here.mp4", kDir / "nothing.ts"));
    FAIL() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()),
              (kDir / "nothing-here.mp4").string() + ": cannot open: No such file or directory");
  }
}

}  // namespace
}  // namespace skyclass::headend

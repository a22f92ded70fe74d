// The headend's encoders against the DVB profile, checked on their output bytes (Annex B NAL
// units, MPEG audio and ADTS headers) and by decoding them back with libavcodec.
#include "headend/encoder.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <numbers>
#include <set>

extern "C" {
#include <libavutil/channel_layout.h>
}

#include "headend/adts.hpp"
#include "headend/h264_annexb.hpp"

namespace skyclass::headend {
namespace {

scheduler::ChannelConfig channel() {
  scheduler::ChannelConfig c = scheduler::default_channel_config();
  c.file = "channel.ini";
  return c;
}

// A diagonal gradient that slides a few pixels per picture, with chroma moving the other way.
av::FramePtr moving_picture(int width, int height, std::int64_t n) {
  av::FramePtr frame(av_frame_alloc());
  frame->format = AV_PIX_FMT_YUV420P;
  frame->width = width;
  frame->height = height;
  if (av_frame_get_buffer(frame.get(), 0) < 0) throw std::bad_alloc();
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      frame->data[0][y * frame->linesize[0] + x] =
          static_cast<std::uint8_t>(16 + (x + y + 3 * n) % 220);
    }
  }
  for (int y = 0; y < height / 2; ++y) {
    for (int x = 0; x < width / 2; ++x) {
      frame->data[1][y * frame->linesize[1] + x] = static_cast<std::uint8_t>(64 + (x + n) % 128);
      frame->data[2][y * frame->linesize[2] + x] =
          static_cast<std::uint8_t>(64 + (y + 2 * n) % 128);
    }
  }
  return frame;
}

struct VideoRun {
  EncoderSettings settings;
  std::vector<EncodedUnit> units;  // in decode order
  std::uint64_t idr_count = 0;
  std::int64_t pictures_in = 0;
};

VideoRun encode_pictures(const EncoderSettings& settings, int count,
                         const std::set<int>& forced_idr) {
  VideoRun run{settings, {}, 0, 0};
  VideoEncoder encoder(settings);
  for (int n = 0; n < count; ++n) {
    av::FramePtr picture = moving_picture(settings.width, settings.height, n);
    encoder.encode(*picture, forced_idr.contains(n), run.units);
  }
  encoder.flush(run.units);
  run.idr_count = encoder.idr_count();
  run.pictures_in = encoder.pictures_in();
  return run;
}

std::vector<std::uint8_t> nal_types(const EncodedUnit& unit) {
  std::vector<std::uint8_t> types;
  for (const NalUnit& nal : split_annex_b(unit.data)) types.push_back(nal.type());
  return types;
}

bool has_nal(const EncodedUnit& unit, std::uint8_t type) {
  const auto types = nal_types(unit);
  return std::find(types.begin(), types.end(), type) != types.end();
}

// Decodes `units` in order with libavcodec's decoder `name`, calling `on_frame` for each frame.
void decode_all(const char* name, const std::vector<EncodedUnit>& units,
                const std::function<void(const AVFrame&)>& on_frame) {
  const AVCodec* decoder = avcodec_find_decoder_by_name(name);
  ASSERT_NE(decoder, nullptr) << name;
  av::CodecContextPtr context(avcodec_alloc_context3(decoder));
  context->pkt_timebase = AVRational{1, 90'000};
  ASSERT_EQ(avcodec_open2(context.get(), decoder, nullptr), 0);
  av::PacketPtr packet = av::make_packet();
  av::FramePtr frame(av_frame_alloc());
  const auto receive = [&] {
    while (avcodec_receive_frame(context.get(), frame.get()) == 0) {
      on_frame(*frame);
      av_frame_unref(frame.get());
    }
  };
  for (const EncodedUnit& unit : units) {
    ASSERT_EQ(av_new_packet(packet.get(), static_cast<int>(unit.data.size())), 0);
    std::copy(unit.data.begin(), unit.data.end(), packet->data);
    packet->pts = unit.pts_90k;
    packet->dts = unit.dts_90k;
    ASSERT_EQ(avcodec_send_packet(context.get(), packet.get()), 0)
        << name << " refused the unit at PTS " << unit.pts_90k;
    av_packet_unref(packet.get());
    receive();
  }
  ASSERT_EQ(avcodec_send_packet(context.get(), nullptr), 0);
  receive();
}

// ---------------------------------------------------------------------------------------------
// Settings

TEST(EncoderSettings, DefaultsAreTheDvbProfile) {
  const EncoderSettings s = EncoderSettings::from(channel());
  EXPECT_EQ(s.width, 720);
  EXPECT_EQ(s.height, 576);
  EXPECT_EQ(s.sample_aspect.num, 64);
  EXPECT_EQ(s.sample_aspect.den, 45);
  EXPECT_EQ(s.fps, 25);
  EXPECT_EQ(s.profile, "main");
  EXPECT_EQ(s.level_idc, 30);
  EXPECT_EQ(s.video_bitrate_bps, 1'800'000u);
  EXPECT_EQ(s.video_vbv_buffer_bits, 1'440'000u);
  EXPECT_EQ(s.gop_frames, 25);
  EXPECT_EQ(s.preset, "veryfast");
  EXPECT_EQ(s.threads, 0);
  EXPECT_EQ(s.audio_codec, "mp2");
  EXPECT_EQ(s.sample_rate, 48'000);
  EXPECT_EQ(s.channels, 2);
  EXPECT_EQ(s.audio_bitrate_bps, 192'000u);
  EXPECT_EQ(x264_params(s),
            "keyint=25:open-gop=0:aud=1:repeat-headers=1:annexb=1:nal-hrd=cbr:bitrate=1800:"
            "vbv-maxrate=1800:vbv-bufsize=1440:level=3.0:sar=64/45:threads=0");
  EXPECT_EQ(ffmpeg_video_options(s),
            (std::vector<std::string>{"-c:v",        "libx264",  "-pix_fmt",     "yuv420p",
                                      "-preset",     "veryfast", "-profile:v",   "main",
                                      "-forced-idr", "1",        "-b:v",         "1800k",
                                      "-maxrate",    "1800k",    "-bufsize",     "1440k",
                                      "-aspect",     "16:9",     "-x264-params", x264_params(s)}));
}

TEST(EncoderSettings, SampleAspectFollowsAspectAndSize) {
  scheduler::ChannelConfig c = channel();
  c.video.aspect = "4:3";
  EXPECT_EQ(av_cmp_q(EncoderSettings::from(c).sample_aspect, AVRational{16, 15}), 0);
  c.video.aspect = "16:9";
  c.video.width = 544;  // 16*576 : 9*544
  EXPECT_EQ(av_cmp_q(EncoderSettings::from(c).sample_aspect, AVRational{32, 17}), 0);
  c.video.width = 1280;
  c.video.height = 720;
  c.video.level = "3.1";
  EXPECT_EQ(av_cmp_q(EncoderSettings::from(c).sample_aspect, AVRational{1, 1}), 0);
}

TEST(EncoderSettings, GopIsTheFloorOfGopMsInPictures) {
  scheduler::ChannelConfig c = channel();
  c.video.gop_ms = 500;
  EXPECT_EQ(EncoderSettings::from(c).gop_frames, 12);
  c.video.gop_ms = 2000;
  EXPECT_EQ(EncoderSettings::from(c).gop_frames, 50);
}

struct BadValue {
  const char* key;
  std::function<void(scheduler::ChannelConfig&)> change;
};

class EncoderSettingsRejects : public testing::TestWithParam<BadValue> {};

TEST_P(EncoderSettingsRejects, NamingFileAndKey) {
  scheduler::ChannelConfig c = channel();
  GetParam().change(c);
  try {
    (void)EncoderSettings::from(c);
    FAIL() << "accepted a bad " << GetParam().key;
  } catch (const std::runtime_error& e) {
    EXPECT_TRUE(
        std::string(e.what()).starts_with(std::string("channel.ini: ") + GetParam().key + ": "))
        << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(
    Keys, EncoderSettingsRejects,
    testing::Values(
        BadValue{"video.preset", [](auto& c) { c.video.preset = "turbo"; }},
        BadValue{"video.level", [](auto& c) { c.video.level = "three"; }},
        BadValue{"video.level", [](auto& c) { c.video.level = "3.3"; }},
        BadValue{"video.level", [](auto& c) { c.video.level = "2.1"; }},  // 720x576 needs 2.2+
        BadValue{"video.aspect", [](auto& c) { c.video.aspect = "21:9"; }},
        BadValue{"video.profile", [](auto& c) { c.video.profile = "baseline"; }},
        BadValue{"video.width", [](auto& c) { c.video.width = 719; }},
        BadValue{"video.bitrate_bps", [](auto& c) { c.video.bitrate_bps = 1'800'500; }},
        BadValue{"video.bitrate_bps", [](auto& c) { c.video.bitrate_bps = 12'000'000; }},
        BadValue{"video.gop_ms", [](auto& c) { c.video.gop_ms = 20; }},
        BadValue{"video.threads", [](auto& c) { c.video.threads = -1; }},
        BadValue{"audio.codec", [](auto& c) { c.audio.codec = "ac3"; }},
        BadValue{"audio.sample_rate", [](auto& c) { c.audio.sample_rate = 96'000; }},
        BadValue{"audio.bitrate_bps", [](auto& c) { c.audio.bitrate_bps = 100'000; }},
        BadValue{"audio.bitrate_bps",
                 [](auto& c) { c.audio.channels = 1, c.audio.bitrate_bps = 384'000; }},
        BadValue{"audio.channels", [](auto& c) { c.audio.channels = 6; }},
        BadValue{"audio.channels", [](auto& c) { c.audio.codec = "aac", c.audio.channels = 8; }},
        BadValue{"audio.bitrate_bps",
                 [](auto& c) { c.audio.codec = "aac", c.audio.bitrate_bps = 1'000'000; }}));

// ---------------------------------------------------------------------------------------------
// Video: one run of 60 moving pictures at the defaults, IDR forced on pictures 0 and 37.

constexpr int kPictures = 60;
constexpr int kForcedIdr = 37;

class VideoEncoderRun : public testing::Test {
 protected:
  static void SetUpTestSuite() {
    av_log_set_level(AV_LOG_WARNING);
    run_ =
        new VideoRun(encode_pictures(EncoderSettings::from(channel()), kPictures, {0, kForcedIdr}));
  }
  static void TearDownTestSuite() {
    delete run_;
    run_ = nullptr;
  }
  static const VideoRun& run() { return *run_; }

 private:
  static VideoRun* run_;
};
VideoRun* VideoEncoderRun::run_ = nullptr;

TEST_F(VideoEncoderRun, FlushGivesOneAccessUnitPerPicture) {
  EXPECT_EQ(run().pictures_in, kPictures);
  ASSERT_EQ(run().units.size(), static_cast<std::size_t>(kPictures));
}

TEST_F(VideoEncoderRun, EveryAccessUnitStartsWithAnAud) {
  for (const EncodedUnit& unit : run().units) {
    ASSERT_GE(unit.data.size(), 6u);
    EXPECT_TRUE(std::equal(unit.data.begin(), unit.data.begin() + 5,
                           std::begin({0x00, 0x00, 0x00, 0x01, 0x09})))
        << "PTS " << unit.pts_90k;
    const auto types = nal_types(unit);
    EXPECT_EQ(std::count(types.begin(), types.end(), kNalTypeAud), 1);
  }
}

TEST_F(VideoEncoderRun, PtsArePictureNumbersAndDtsRisesBelowThem) {
  std::vector<std::int64_t> pts;
  for (std::size_t i = 0; i < run().units.size(); ++i) {
    const EncodedUnit& unit = run().units[i];
    pts.push_back(unit.pts_90k);
    EXPECT_LE(unit.dts_90k, unit.pts_90k);
    if (i > 0) {
      EXPECT_GT(unit.dts_90k, run().units[i - 1].dts_90k);
    }
  }
  std::sort(pts.begin(), pts.end());
  for (int n = 0; n < kPictures; ++n) EXPECT_EQ(pts[n], n * 3600);
}

TEST_F(VideoEncoderRun, IdrOnFirstGopCapAndForcedPictureOnly) {
  std::vector<std::int64_t> idr_pictures;
  for (const EncodedUnit& unit : run().units) {
    const bool idr = has_nal(unit, 5);
    EXPECT_EQ(unit.key_frame, idr) << "PTS " << unit.pts_90k;
    if (idr) idr_pictures.push_back(unit.pts_90k / 3600);
  }
  std::sort(idr_pictures.begin(), idr_pictures.end());
  EXPECT_EQ(idr_pictures, (std::vector<std::int64_t>{0, 25, kForcedIdr}));
  EXPECT_EQ(run().idr_count, 3u);
  // No GOP longer than gop_frames, the last one included.
  idr_pictures.push_back(kPictures);
  for (std::size_t i = 1; i < idr_pictures.size(); ++i)
    EXPECT_LE(idr_pictures[i] - idr_pictures[i - 1], run().settings.gop_frames);
}

TEST_F(VideoEncoderRun, SpsAndPpsComeBeforeEveryIdrAndSayMainAtLevel30) {
  int sps_seen = 0;
  for (const EncodedUnit& unit : run().units) {
    const auto nals = split_annex_b(unit.data);
    bool sps = false, pps = false;
    for (const NalUnit& nal : nals) {
      if (nal.type() == 7) {
        sps = true;
        ++sps_seen;
        ASSERT_GE(nal.nal.size(), 4u);
        EXPECT_EQ(nal.nal[1], 77) << "profile_idc";
        EXPECT_EQ(nal.nal[3], 30) << "level_idc";
      }
      if (nal.type() == 8) pps = true;
      if (nal.type() == 5) {
        EXPECT_TRUE(sps && pps) << "IDR at PTS " << unit.pts_90k << " without SPS/PPS before it";
        break;
      }
      if (nal.type() == 1) {
        EXPECT_FALSE(sps) << "SPS before a non-IDR picture";
        break;
      }
    }
  }
  EXPECT_EQ(sps_seen, 3);
}

TEST_F(VideoEncoderRun, DecodesBackAtSizeWithTheSampleAspect) {
  int frames = 0;
  std::vector<std::int64_t> pts;
  decode_all("h264", run().units, [&](const AVFrame& frame) {
    ++frames;
    pts.push_back(frame.best_effort_timestamp);
    EXPECT_EQ(frame.width, 720);
    EXPECT_EQ(frame.height, 576);
    EXPECT_EQ(frame.format, AV_PIX_FMT_YUV420P);
    EXPECT_EQ(av_cmp_q(frame.sample_aspect_ratio, AVRational{64, 45}), 0)
        << frame.sample_aspect_ratio.num << ":" << frame.sample_aspect_ratio.den;
    EXPECT_FALSE(frame.interlaced_frame);
  });
  EXPECT_EQ(frames, kPictures);
  for (int n = 0; n < std::min<int>(kPictures, static_cast<int>(pts.size())); ++n)
    EXPECT_EQ(pts[n], n * 3600) << "display order";
}

TEST_F(VideoEncoderRun, BitRateIsTheCbrTarget) {
  // CBR HRD (C.1): bits arrive at exactly the bit rate, the CPB starts 90 % full (x264's
  // vbv-init) and never under- or overflows, so what the run removed is the arrival over its
  // length plus 0.9 B less the final fullness: within [target - 0.1 B, target + 0.9 B], with a
  // picture of slack for where the run's length ends. Filler data is what holds the lower bound
  // on content this easy.
  std::uint64_t bits = 0;
  for (const EncodedUnit& unit : run().units) bits += unit.data.size() * 8;
  const double target_bits = 1'800'000.0 * kPictures / 25;
  const double buffer_bits = run().settings.video_vbv_buffer_bits;
  const double picture_bits = 1'800'000.0 / 25;
  EXPECT_GE(bits, target_bits - 0.1 * buffer_bits - picture_bits);
  EXPECT_LE(bits, target_bits + 0.9 * buffer_bits + picture_bits);
  RecordProperty("video_bits", std::to_string(bits));
}

TEST(VideoEncoder, HighProfileAt4By3) {
  scheduler::ChannelConfig c = channel();
  c.video.profile = "high";
  c.video.aspect = "4:3";
  c.video.threads = 1;
  c.video.preset = "medium";  // more B-frames and references than veryfast
  const VideoRun run = encode_pictures(EncoderSettings::from(c), 30, {});
  ASSERT_EQ(run.units.size(), 30u);
  for (std::size_t i = 1; i < run.units.size(); ++i) {
    EXPECT_GT(run.units[i].dts_90k, run.units[i - 1].dts_90k);
    EXPECT_LE(run.units[i].dts_90k, run.units[i].pts_90k);
  }
  const auto nals = split_annex_b(run.units.front().data);
  const auto sps = std::find_if(nals.begin(), nals.end(), [](auto& n) { return n.type() == 7; });
  ASSERT_NE(sps, nals.end());
  EXPECT_EQ(sps->nal[1], 100) << "profile_idc";
  int frames = 0;
  decode_all("h264", run.units, [&](const AVFrame& frame) {
    ++frames;
    EXPECT_EQ(av_cmp_q(frame.sample_aspect_ratio, AVRational{16, 15}), 0);
  });
  EXPECT_EQ(frames, 30);
}

TEST(VideoEncoder, RefusesAPictureOfAnotherSize) {
  VideoEncoder encoder(EncoderSettings::from(channel()));
  std::vector<EncodedUnit> out;
  av::FramePtr small = moving_picture(352, 288, 0);
  EXPECT_THROW(encoder.encode(*small, true, out), std::invalid_argument);
}

// ---------------------------------------------------------------------------------------------
// Audio

constexpr int kRate = 48'000;
constexpr int kChunk = 1920;  // one 40 ms video frame period
constexpr double kSineAmplitude = 10'000;

av::FramePtr sine_chunk(std::int64_t first_sample, int samples, int channels) {
  av::FramePtr frame(av_frame_alloc());
  frame->format = AV_SAMPLE_FMT_S16;
  frame->sample_rate = kRate;
  frame->nb_samples = samples;
  av_channel_layout_default(&frame->ch_layout, channels);
  if (av_frame_get_buffer(frame.get(), 0) < 0) throw std::bad_alloc();
  auto* data = reinterpret_cast<std::int16_t*>(frame->data[0]);
  for (int i = 0; i < samples; ++i) {
    const double t = static_cast<double>(first_sample + i) / kRate;
    const auto v = static_cast<std::int16_t>(
        std::lround(kSineAmplitude * std::sin(2 * std::numbers::pi * 1000 * t)));
    for (int ch = 0; ch < channels; ++ch) data[i * channels + ch] = v;
  }
  return frame;
}

struct AudioRun {
  std::vector<EncodedUnit> units;
  std::int64_t samples_in = 0;
};

AudioRun encode_sine(AudioEncoder& encoder, std::int64_t total_samples, int channels) {
  AudioRun run;
  for (std::int64_t at = 0; at < total_samples; at += kChunk) {
    const int n = static_cast<int>(std::min<std::int64_t>(kChunk, total_samples - at));
    encoder.encode(*sine_chunk(at, n, channels), run.units);
  }
  encoder.flush(run.units);
  run.samples_in = encoder.samples_in();
  return run;
}

// RMS of the first channel of decoded float or S16 frames, over samples [from, to).
struct Decoded {
  std::vector<double> samples;
  void add(const AVFrame& f) {
    for (int i = 0; i < f.nb_samples; ++i) {
      switch (f.format) {
        case AV_SAMPLE_FMT_S16:
          samples.push_back(
              reinterpret_cast<const std::int16_t*>(f.data[0])[i * f.ch_layout.nb_channels]);
          break;
        case AV_SAMPLE_FMT_S16P:
          samples.push_back(reinterpret_cast<const std::int16_t*>(f.extended_data[0])[i]);
          break;
        case AV_SAMPLE_FMT_FLTP:
          samples.push_back(reinterpret_cast<const float*>(f.extended_data[0])[i] * 32768.0);
          break;
        default:
          ADD_FAILURE() << "decoded sample format " << f.format;
          return;
      }
    }
  }
  double rms(std::size_t from, std::size_t to) const {
    double sum = 0;
    for (std::size_t i = from; i < to; ++i) sum += samples[i] * samples[i];
    return std::sqrt(sum / static_cast<double>(to - from));
  }
};

TEST(AudioEncoder, Mp2TenSecondsIn1920SampleChunks) {
  const EncoderSettings settings = EncoderSettings::from(channel());
  AudioEncoder encoder(settings);
  EXPECT_EQ(encoder.kind(), mux::StreamKind::mpeg_audio);
  EXPECT_EQ(encoder.stream_type(), 0x03);
  const AudioRun run = encode_sine(encoder, 10 * kRate, 2);
  EXPECT_EQ(run.samples_in, 480'000);
  ASSERT_EQ(run.units.size(), 417u);  // ceil(480000 / 1152)
  for (std::size_t i = 0; i < run.units.size(); ++i) {
    const EncodedUnit& u = run.units[i];
    EXPECT_EQ(u.pts_90k, static_cast<std::int64_t>(i) * 2160);
    EXPECT_EQ(u.dts_90k, u.pts_90k);
    // 11172-3 2.4.1.3: syncword, ID 1 (MPEG-1), layer '10' (II), no CRC; bitrate_index 10
    // (192 kbit/s), sampling_frequency '01' (48 kHz), no padding; 144 * 192000 / 48000 bytes.
    ASSERT_EQ(u.data.size(), 576u) << "frame " << i;
    EXPECT_EQ(u.data[0], 0xFF);
    EXPECT_EQ(u.data[1], 0xFD);
    EXPECT_EQ(u.data[2] >> 4, 10);
    EXPECT_EQ((u.data[2] >> 2) & 3, 1);
    EXPECT_EQ((u.data[2] >> 1) & 1, 0);
  }
  Decoded decoded;
  decode_all("mp2", run.units, [&](const AVFrame& f) {
    EXPECT_EQ(f.sample_rate, kRate);
    EXPECT_EQ(f.ch_layout.nb_channels, 2);
    decoded.add(f);
  });
  ASSERT_EQ(decoded.samples.size(), 417u * 1152);
  const double input_rms = kSineAmplitude / std::sqrt(2.0);
  EXPECT_NEAR(decoded.rms(4'800, 475'200), input_rms, 0.03 * input_rms);
}

TEST(AudioEncoder, Mp2AtLowSamplingFrequencyIsStreamType4) {
  scheduler::ChannelConfig c = channel();
  c.audio.sample_rate = 24'000;
  c.audio.bitrate_bps = 96'000;
  AudioEncoder encoder(EncoderSettings::from(c));
  EXPECT_EQ(encoder.stream_type(), 0x04);
}

TEST(AudioEncoder, AacLcInAdtsDecodes) {
  scheduler::ChannelConfig c = channel();
  c.audio.codec = "aac";
  c.audio.bitrate_bps = 128'000;
  AudioEncoder encoder(EncoderSettings::from(c));
  EXPECT_EQ(encoder.kind(), mux::StreamKind::aac_adts);
  EXPECT_EQ(encoder.stream_type(), 0x0F);
  const AudioRun run = encode_sine(encoder, 2 * kRate, 2);  // 93.75 frames of 1024
  // 94 frames of input, and the encoder's priming frame first at -1024 samples.
  ASSERT_EQ(run.units.size(), 95u);
  for (std::size_t i = 0; i < run.units.size(); ++i) {
    const EncodedUnit& u = run.units[i];
    EXPECT_EQ(u.pts_90k, (static_cast<std::int64_t>(i) - 1) * 1920);
    ASSERT_TRUE(starts_with_adts(u.data));
    // ID 0, layer 00, no CRC; profile 1 (LC), index 3 (48 kHz), channel configuration 2.
    EXPECT_EQ(u.data[1], 0xF1);
    EXPECT_EQ(u.data[2] >> 6, 1);
    EXPECT_EQ((u.data[2] >> 2) & 0xF, 3);
    EXPECT_EQ(((u.data[2] & 1) << 2) | (u.data[3] >> 6), 2);
    const std::size_t frame_length = ((u.data[3] & 3u) << 11) | (u.data[4] << 3) | (u.data[5] >> 5);
    EXPECT_EQ(frame_length, u.data.size());
  }
  Decoded decoded;
  decode_all("aac", run.units, [&](const AVFrame& f) {
    EXPECT_EQ(f.sample_rate, kRate);
    decoded.add(f);
  });
  ASSERT_EQ(decoded.samples.size(), 95u * 1024);
  const double input_rms = kSineAmplitude / std::sqrt(2.0);
  EXPECT_NEAR(decoded.rms(4'096, 90'000), input_rms, 0.05 * input_rms);
}

TEST(AudioEncoder, RefusesSoundInAnotherFormat) {
  AudioEncoder encoder(EncoderSettings::from(channel()));
  std::vector<EncodedUnit> out;
  EXPECT_THROW(encoder.encode(*sine_chunk(0, 1920, 1), out), std::invalid_argument);
}

}  // namespace
}  // namespace skyclass::headend

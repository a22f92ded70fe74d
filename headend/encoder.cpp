#include "headend/encoder.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <initializer_list>
#include <stdexcept>

#include <fmt/format.h>

extern "C" {
#include <libavutil/channel_layout.h>
#include <libavutil/mathematics.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>
#include <libavutil/samplefmt.h>
}

#include "headend/adts.hpp"
#include "headend/channel_si.hpp"
#include "headend/h264_annexb.hpp"

namespace skyclass::headend {
namespace {

using scheduler::ChannelConfig;

constexpr AVRational kTimeBase90k{1, 90'000};

[[noreturn]] void bad_key(const ChannelConfig& config, const char* key, const std::string& what) {
  const std::string file =
      config.file.empty() ? std::string("channel config (defaults)") : config.file.string();
  throw std::runtime_error(fmt::format("{}: {}: {}", file, key, what));
}

// ITU-T H.264 Table A-1, Main profile (High takes 1.25 x MaxBR and MaxCPB, Table A-2).
struct H264Level {
  int level_idc;
  std::int64_t max_macroblocks_per_s;  // MaxMBPS
  std::int64_t max_frame_macroblocks;  // MaxFS
  std::uint32_t max_bitrate_kbps;      // MaxBR, in 1000 bit/s
  std::uint32_t max_cpb_kbit;          // MaxCPB, in 1000 bits
};
constexpr std::array<H264Level, 16> kH264Levels{{
    {10, 1'485, 99, 64, 175},
    {11, 3'000, 396, 192, 500},
    {12, 6'000, 396, 384, 1'000},
    {13, 11'880, 396, 768, 2'000},
    {20, 11'880, 396, 2'000, 2'000},
    {21, 19'800, 792, 4'000, 4'000},
    {22, 20'250, 1'620, 4'000, 4'000},
    {30, 40'500, 1'620, 10'000, 10'000},
    {31, 108'000, 3'600, 14'000, 14'000},
    {32, 216'000, 5'120, 20'000, 20'000},
    {40, 245'760, 8'192, 20'000, 25'000},
    {41, 245'760, 8'192, 50'000, 62'500},
    {42, 522'240, 8'704, 50'000, 62'500},
    {50, 589'824, 22'080, 135'000, 135'000},
    {51, 983'040, 36'864, 240'000, 240'000},
    {52, 2'073'600, 36'864, 240'000, 240'000},
}};

const H264Level* find_level(int level_idc) {
  for (const H264Level& level : kH264Levels) {
    if (level.level_idc == level_idc) return &level;
  }
  return nullptr;
}

bool picture_fits(const H264Level& level, int width, int height, int fps) {
  const std::int64_t macroblocks = std::int64_t{(width + 15) / 16} * ((height + 15) / 16);
  return macroblocks <= level.max_frame_macroblocks &&
         macroblocks * fps <= level.max_macroblocks_per_s;
}

void check_picture(const ChannelConfig& config) {
  const scheduler::VideoProfile& v = config.video;
  if (v.width < 16 || v.width > 4096 || v.width % 2 != 0)
    bad_key(config, "video.width", fmt::format("expected an even width 16..4096, got {}", v.width));
  if (v.height < 16 || v.height > 4096 || v.height % 2 != 0) {
    bad_key(config, "video.height",
            fmt::format("expected an even height 16..4096, got {}", v.height));
  }
  if (v.fps <= 0 || 90'000 % v.fps != 0) {
    bad_key(config, "video.fps",
            fmt::format("{} fps has no whole number of 90 kHz ticks per picture", v.fps));
  }
}

AVRational sample_aspect_of(const ChannelConfig& config) {
  const scheduler::VideoProfile& v = config.video;
  int dar_w = 0, dar_h = 0;
  if (v.aspect == "16:9") {
    dar_w = 16, dar_h = 9;
  } else if (v.aspect == "4:3") {
    dar_w = 4, dar_h = 3;
  } else {
    bad_key(config, "video.aspect", fmt::format("expected 16:9 or 4:3, got '{}'", v.aspect));
  }
  // SAR = DAR * height / width: 64:45 for 16:9 and 16:15 for 4:3 at 720x576.
  AVRational sar{};
  av_reduce(&sar.num, &sar.den, std::int64_t{dar_w} * v.height, std::int64_t{dar_h} * v.width,
            65'535);
  return sar;
}

void check_one_of(const ChannelConfig& config, const char* key, const std::string& value,
                  std::initializer_list<const char*> allowed) {
  for (const char* name : allowed) {
    if (value == name) return;
  }
  bad_key(config, key, fmt::format("expected one of {}, got '{}'", fmt::join(allowed, "|"), value));
}

void video_settings(const ChannelConfig& config, EncoderSettings& s) {
  const scheduler::VideoProfile& v = config.video;
  check_picture(config);
  s.width = v.width;
  s.height = v.height;
  s.fps = v.fps;
  s.sample_aspect = sample_aspect_of(config);

  check_one_of(config, "video.profile", v.profile, {"main", "high"});
  s.profile = v.profile;
  s.level_idc = h264_level_idc(config);
  const H264Level* level = find_level(s.level_idc);
  if (!level) {
    bad_key(config, "video.level",
            fmt::format("'{}' is not an H.264 level (1.0..5.2, ITU-T H.264 Table A-1)", v.level));
  }
  if (!picture_fits(*level, v.width, v.height, v.fps)) {
    bad_key(config, "video.level",
            fmt::format("{}x{} at {} fps exceeds level {} (frame size or macroblock rate)", v.width,
                        v.height, v.fps, v.level));
  }

  // libx264 counts bit rates in whole kbit/s; CBR HRD signals exactly what it is given.
  const std::uint32_t factor_percent = v.profile == "high" ? 125 : 100;
  const std::uint64_t max_bps = std::uint64_t{level->max_bitrate_kbps} * 10 * factor_percent;
  if (v.bitrate_bps == 0 || v.bitrate_bps % 1000 != 0 || v.bitrate_bps > max_bps) {
    bad_key(config, "video.bitrate_bps",
            fmt::format("expected a whole number of kbit/s, at most {} at level {} {}, got {}",
                        max_bps, v.level, v.profile, v.bitrate_bps));
  }
  s.video_bitrate_bps = v.bitrate_bps;
  // 0.8 s of the bit rate (whole kbit): below the mux delay (0.9 s), so every picture the HRD
  // delivers at the bit rate is also in the T-STD by its DTS when the mux sends it at that rate
  // from the mux delay on; and within Table A-1's MaxCPB, which is never below MaxBR.
  s.video_vbv_buffer_bits = v.bitrate_bps / 1000 * 4 / 5 * 1000;

  const std::int64_t gop_frames = std::int64_t{v.gop_ms} * v.fps / 1000;
  if (v.gop_ms <= 0 || gop_frames < 1 || gop_frames > 10 * v.fps) {
    bad_key(config, "video.gop_ms",
            fmt::format("{} ms is not 1 to {} pictures at {} fps", v.gop_ms, 10 * v.fps, v.fps));
  }
  s.gop_frames = static_cast<int>(gop_frames);

  check_one_of(config, "video.preset", v.preset,
               {"ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower",
                "veryslow"});
  s.preset = v.preset;
  if (v.threads < 0 || v.threads > 64)
    bad_key(config, "video.threads", fmt::format("expected 0 (auto) to 64, got {}", v.threads));
  s.threads = v.threads;
}

// ISO/IEC 11172-3 2.4.2.3 and 13818-3 2.4.2.3 (lower sampling frequencies): Layer II bit rates.
constexpr std::array<std::uint32_t, 14> kMpeg1LayerIIKbps{32,  48,  56,  64,  80,  96,  112,
                                                          128, 160, 192, 224, 256, 320, 384};
constexpr std::array<std::uint32_t, 14> kMpeg2LsfLayerIIKbps{8,  16, 24, 32,  40,  48,  56,
                                                             64, 80, 96, 112, 128, 144, 160};

bool is_mpeg1_rate(int sample_rate) {
  return sample_rate == 32'000 || sample_rate == 44'100 || sample_rate == 48'000;
}
bool is_mpeg2_lsf_rate(int sample_rate) {
  return sample_rate == 16'000 || sample_rate == 22'050 || sample_rate == 24'000;
}

void check_mp2(const ChannelConfig& config) {
  const scheduler::AudioProfile& a = config.audio;
  const bool mpeg1 = is_mpeg1_rate(a.sample_rate);
  if (!mpeg1 && !is_mpeg2_lsf_rate(a.sample_rate)) {
    bad_key(config, "audio.sample_rate",
            fmt::format("MPEG audio Layer II takes 32000, 44100 or 48000 Hz (or 16000, 22050, "
                        "24000 Hz as MPEG-2), got {}",
                        a.sample_rate));
  }
  if (a.channels != 1 && a.channels != 2) {
    bad_key(config, "audio.channels",
            fmt::format("MPEG audio Layer II carries 1 or 2 channels, got {}", a.channels));
  }
  const auto& table = mpeg1 ? kMpeg1LayerIIKbps : kMpeg2LsfLayerIIKbps;
  const bool listed = a.bitrate_bps % 1000 == 0 &&
                      std::find(table.begin(), table.end(), a.bitrate_bps / 1000) != table.end();
  // 11172-3 2.4.2.3: in Layer II, 32..80 kbit/s are single channel only; 224 and up, not.
  const std::uint32_t kbps = a.bitrate_bps / 1000;
  const bool mode_allowed = !mpeg1 || (a.channels == 1 ? kbps <= 192 : kbps >= 64 && kbps != 80);
  if (!listed || !mode_allowed) {
    bad_key(config, "audio.bitrate_bps",
            fmt::format("{} bit/s is not a Layer II bit rate for {} channel(s) at {} Hz",
                        a.bitrate_bps, a.channels, a.sample_rate));
  }
}

void check_aac(const ChannelConfig& config) {
  const scheduler::AudioProfile& a = config.audio;
  constexpr std::array<int, 13> kAdtsRates{96'000, 88'200, 64'000, 48'000, 44'100, 32'000, 24'000,
                                           22'050, 16'000, 12'000, 11'025, 8'000,  7'350};
  if (std::find(kAdtsRates.begin(), kAdtsRates.end(), a.sample_rate) == kAdtsRates.end()) {
    bad_key(config, "audio.sample_rate",
            fmt::format("{} Hz has no ADTS sampling_frequency_index (14496-3 Table 1.18)",
                        a.sample_rate));
  }
  if (a.channels < 1 || a.channels > 6) {
    bad_key(config, "audio.channels",
            fmt::format("expected 1..6 channels for AAC-LC, got {}", a.channels));
  }
  // 6144 bits per channel and 1024-sample frame is the most an AAC decoder buffers (4.5.3.1).
  const std::uint64_t max_bps = std::uint64_t{6144} * a.sample_rate / 1024 * a.channels;
  const std::uint64_t min_bps = std::uint64_t{8'000} * a.channels;
  if (a.bitrate_bps < min_bps || a.bitrate_bps > max_bps) {
    bad_key(config, "audio.bitrate_bps",
            fmt::format("expected {}..{} bit/s for {} AAC channel(s) at {} Hz, got {}", min_bps,
                        max_bps, a.channels, a.sample_rate, a.bitrate_bps));
  }
}

void audio_settings(const ChannelConfig& config, EncoderSettings& s) {
  const scheduler::AudioProfile& a = config.audio;
  if (a.codec == "mp2") {
    check_mp2(config);
  } else if (a.codec == "aac") {
    check_aac(config);
  } else {
    bad_key(config, "audio.codec", fmt::format("expected mp2 or aac, got '{}'", a.codec));
  }
  s.audio_codec = a.codec;
  s.sample_rate = a.sample_rate;
  s.channels = a.channels;
  s.audio_bitrate_bps = a.bitrate_bps;
}

void set_option(AVDictionary** options, const char* key, const std::string& value) {
  if (av_dict_set(options, key, value.c_str(), 0) < 0) throw std::bad_alloc();
}

// Opens `codec` with `options`; every option must be one the encoder knows.
void open_codec(AVCodecContext& context, const AVCodec& codec, AVDictionary* options,
                const std::string& what) {
  const int ret = avcodec_open2(&context, &codec, &options);
  const AVDictionaryEntry* unused = av_dict_get(options, "", nullptr, AV_DICT_IGNORE_SUFFIX);
  const std::string unused_key = unused ? unused->key : "";
  av_dict_free(&options);
  if (ret < 0) {
    throw std::runtime_error(
        fmt::format("{}: cannot open the {} encoder: {}", what, codec.name, av::av_error(ret)));
  }
  if (!unused_key.empty()) {
    throw std::runtime_error(
        fmt::format("{}: the {} encoder has no option '{}'", what, codec.name, unused_key));
  }
}

av::CodecContextPtr alloc_context(const char* encoder_name, const AVCodec** codec) {
  *codec = avcodec_find_encoder_by_name(encoder_name);
  if (!*codec) {
    throw std::runtime_error(
        fmt::format("this libavcodec has no {} encoder (FFmpeg built without it?)", encoder_name));
  }
  av::CodecContextPtr context(avcodec_alloc_context3(*codec));
  if (!context) throw std::bad_alloc();
  return context;
}

const char* name_or(const char* name) {
  return name ? name : "(no format)";
}

bool has_idr_slice(ByteView access_unit) {
  for (const NalUnit& nal : split_annex_b(access_unit)) {
    if (nal.type() == 5) return true;
    if (nal.type() == 1) return false;  // the primary picture is a non-IDR slice
  }
  return false;
}

}  // namespace

EncoderSettings EncoderSettings::from(const scheduler::ChannelConfig& config) {
  EncoderSettings settings;
  video_settings(config, settings);
  audio_settings(config, settings);
  return settings;
}

std::string x264_params(const EncoderSettings& s) {
  const std::uint32_t kbps = s.video_bitrate_bps / 1000;
  return fmt::format(
      "keyint={}:open-gop=0:aud=1:repeat-headers=1:annexb=1:nal-hrd=cbr:bitrate={}:"
      "vbv-maxrate={}:vbv-bufsize={}:level={}.{}:sar={}/{}:threads={}",
      s.gop_frames, kbps, kbps, s.video_vbv_buffer_bits / 1000, s.level_idc / 10, s.level_idc % 10,
      s.sample_aspect.num, s.sample_aspect.den, s.threads);
}

std::vector<std::string> ffmpeg_video_options(const EncoderSettings& s) {
  AVRational dar{};
  av_reduce(&dar.num, &dar.den, std::int64_t{s.sample_aspect.num} * s.width,
            std::int64_t{s.sample_aspect.den} * s.height, 65'535);
  const std::string kbit = fmt::format("{}k", s.video_bitrate_bps / 1000);
  return {"-c:v",         "libx264",
          "-pix_fmt",     "yuv420p",
          "-preset",      s.preset,
          "-profile:v",   s.profile,
          "-forced-idr",  "1",
          "-b:v",         kbit,
          "-maxrate",     kbit,
          "-bufsize",     fmt::format("{}k", s.video_vbv_buffer_bits / 1000),
          "-aspect",      fmt::format("{}:{}", dar.num, dar.den),
          "-x264-params", x264_params(s)};
}

// ---------------------------------------------------------------------------------------------

struct VideoEncoder::Impl {
  EncoderSettings settings;
  av::CodecContextPtr codec;
  av::FramePtr frame = av::FramePtr(av_frame_alloc());  // a new reference to the caller's picture
  av::PacketPtr packet = av::make_packet();
  std::int64_t pictures_in = 0;
  std::uint64_t idr_count = 0;
  bool flushed = false;

  explicit Impl(const EncoderSettings& s) : settings(s) {
    if (!frame) throw std::bad_alloc();
    const AVCodec* x264 = nullptr;
    codec = alloc_context("libx264", &x264);
    AVCodecContext& c = *codec;
    c.width = s.width;
    c.height = s.height;
    c.pix_fmt = AV_PIX_FMT_YUV420P;
    c.time_base = AVRational{1, s.fps};  // picture n has pts n
    c.framerate = AVRational{s.fps, 1};
    c.sample_aspect_ratio = s.sample_aspect;
    c.field_order = AV_FIELD_PROGRESSIVE;
    // libavcodec re-applies these to libx264 on every picture, so they must agree with
    // x264_params().
    c.bit_rate = s.video_bitrate_bps;
    c.rc_max_rate = s.video_bitrate_bps;
    c.rc_buffer_size = static_cast<int>(s.video_vbv_buffer_bits);
    c.gop_size = s.gop_frames;
    c.thread_count = s.threads;
    c.flags |= AV_CODEC_FLAG_CLOSED_GOP;

    AVDictionary* options = nullptr;
    set_option(&options, "preset", s.preset);
    set_option(&options, "profile", s.profile);
    set_option(&options, "forced-idr", "1");  // an I picture asked for is an IDR
    set_option(&options, "x264-params", x264_params(s));
    open_codec(c, *x264, options,
               fmt::format("video (preset {}, profile {}, x264-params {})", s.preset, s.profile,
                           x264_params(s)));
  }

  void send(const AVFrame* picture) {
    const int ret = avcodec_send_frame(codec.get(), picture);
    if (ret < 0) {
      throw std::runtime_error(
          fmt::format("libx264: cannot encode picture {}: {}", pictures_in, av::av_error(ret)));
    }
  }

  // Appends every access unit the encoder has ready (all of them once it has been flushed).
  void receive(std::vector<EncodedUnit>& out) {
    for (;;) {
      const int ret = avcodec_receive_packet(codec.get(), packet.get());
      if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return;
      if (ret < 0) {
        throw std::runtime_error(fmt::format("libx264: encoding failed after picture {}: {}",
                                             pictures_in, av::av_error(ret)));
      }
      EncodedUnit& unit = out.emplace_back();
      unit.data.assign(packet->data, packet->data + packet->size);
      unit.pts_90k = av_rescale_q(packet->pts, codec->time_base, kTimeBase90k);
      unit.dts_90k = av_rescale_q(packet->dts, codec->time_base, kTimeBase90k);
      unit.key_frame = has_idr_slice(unit.data);
      if (unit.key_frame) ++idr_count;
      av_packet_unref(packet.get());
    }
  }
};

VideoEncoder::VideoEncoder(const EncoderSettings& settings)
    : impl_(std::make_unique<Impl>(settings)) {}
VideoEncoder::~VideoEncoder() = default;

void VideoEncoder::encode(const AVFrame& picture, bool force_idr, std::vector<EncodedUnit>& out) {
  Impl& d = *impl_;
  if (d.flushed) throw std::logic_error("VideoEncoder::encode after flush");
  if (picture.format != AV_PIX_FMT_YUV420P || picture.width != d.settings.width ||
      picture.height != d.settings.height) {
    throw std::invalid_argument(
        fmt::format("VideoEncoder: picture {} is {} {}x{}, expected yuv420p {}x{}", d.pictures_in,
                    name_or(av_get_pix_fmt_name(static_cast<AVPixelFormat>(picture.format))),
                    picture.width, picture.height, d.settings.width, d.settings.height));
  }
  av_frame_unref(d.frame.get());
  const int ret = av_frame_ref(d.frame.get(), &picture);
  if (ret < 0) throw std::runtime_error(fmt::format("VideoEncoder: {}", av::av_error(ret)));
  d.frame->pts = d.pictures_in;
  d.frame->pict_type = force_idr ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
  d.send(d.frame.get());
  av_frame_unref(d.frame.get());
  ++d.pictures_in;
  d.receive(out);
}

void VideoEncoder::flush(std::vector<EncodedUnit>& out) {
  Impl& d = *impl_;
  if (d.flushed) return;
  d.send(nullptr);
  d.flushed = true;
  d.receive(out);
}

std::int64_t VideoEncoder::pictures_in() const {
  return impl_->pictures_in;
}
std::uint64_t VideoEncoder::idr_count() const {
  return impl_->idr_count;
}

// ---------------------------------------------------------------------------------------------

struct AudioEncoder::Impl {
  EncoderSettings settings;
  bool aac = false;
  AdtsConfig adts;
  av::CodecContextPtr codec;
  av::FramePtr frame = av::FramePtr(av_frame_alloc());  // one codec frame of input
  av::PacketPtr packet = av::make_packet();
  int frame_samples = 0;              // the codec's frame_size
  std::vector<std::int16_t> pending;  // interleaved samples not yet in a codec frame
  std::int64_t samples_in = 0;        // taken from the caller
  std::int64_t samples_coded = 0;     // given to the codec, padding included
  std::int64_t mp2_frames_out = 0;
  bool flushed = false;

  explicit Impl(const EncoderSettings& s) : settings(s), aac(s.audio_codec == "aac") {
    if (!frame) throw std::bad_alloc();
    if (!aac && s.audio_codec != "mp2") {
      throw std::invalid_argument(
          fmt::format("AudioEncoder: audio codec '{}' is not mp2 or aac", s.audio_codec));
    }
    const AVCodec* encoder = nullptr;
    codec = alloc_context(aac ? "aac" : "mp2", &encoder);
    AVCodecContext& c = *codec;
    // mp2 takes interleaved S16 as it comes; libavcodec's native AAC encoder only planar float.
    c.sample_fmt = aac ? AV_SAMPLE_FMT_FLTP : AV_SAMPLE_FMT_S16;
    c.sample_rate = s.sample_rate;
    av_channel_layout_default(&c.ch_layout, s.channels);
    c.bit_rate = s.audio_bitrate_bps;
    c.time_base = AVRational{1, s.sample_rate};
    if (aac) c.profile = FF_PROFILE_AAC_LOW;
    open_codec(c, *encoder, nullptr,
               fmt::format("audio ({} Hz, {} channel(s), {} bit/s)", s.sample_rate, s.channels,
                           s.audio_bitrate_bps));
    frame_samples = c.frame_size;
    if (aac) {
      try {
        adts = adts_config_from_audio_specific_config(ByteView(c.extradata, c.extradata_size));
      } catch (const std::invalid_argument& e) {
        throw std::runtime_error(fmt::format("audio: the AAC encoder's config: {}", e.what()));
      }
    }
    frame->format = c.sample_fmt;
    frame->nb_samples = frame_samples;
    frame->sample_rate = c.sample_rate;
    if (av_channel_layout_copy(&frame->ch_layout, &c.ch_layout) < 0 ||
        av_frame_get_buffer(frame.get(), 0) < 0) {
      throw std::bad_alloc();
    }
  }

  // Encodes one codec frame from `samples` (frame_samples interleaved S16 samples).
  void encode_frame(const std::int16_t* samples, std::vector<EncodedUnit>& out) {
    if (av_frame_make_writable(frame.get()) < 0) throw std::bad_alloc();
    const int channels = settings.channels;
    if (aac) {
      for (int ch = 0; ch < channels; ++ch) {
        auto* plane = reinterpret_cast<float*>(frame->extended_data[ch]);
        for (int i = 0; i < frame_samples; ++i) plane[i] = samples[i * channels + ch] / 32768.0f;
      }
    } else {
      std::memcpy(frame->data[0], samples,
                  sizeof(std::int16_t) * static_cast<std::size_t>(frame_samples) * channels);
    }
    frame->pts = samples_coded;
    send(frame.get());
    samples_coded += frame_samples;
    receive(out);
  }

  void send(const AVFrame* sound) {
    const int ret = avcodec_send_frame(codec.get(), sound);
    if (ret < 0) {
      throw std::runtime_error(fmt::format("{}: cannot encode at sample {}: {}",
                                           settings.audio_codec, samples_coded, av::av_error(ret)));
    }
  }

  void receive(std::vector<EncodedUnit>& out) {
    for (;;) {
      const int ret = avcodec_receive_packet(codec.get(), packet.get());
      if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return;
      if (ret < 0) {
        throw std::runtime_error(fmt::format("{}: encoding failed at sample {}: {}",
                                             settings.audio_codec, samples_coded,
                                             av::av_error(ret)));
      }
      EncodedUnit& unit = out.emplace_back();
      if (aac) {
        const auto header = adts_header(adts, static_cast<std::size_t>(packet->size));
        unit.data.assign(header.begin(), header.end());
      }
      unit.data.insert(unit.data.end(), packet->data, packet->data + packet->size);
      // PTS is the run's number of the first input sample the frame carries. An MP2 frame
      // carries 1152 new samples (libavcodec's pts subtracts the 481-sample synthesis delay of
      // the decoder, which MPEG systems leave to the decoder); the AAC encoder's pts already
      // counts that way, its first frame being the priming of its 1024-sample delay (pts -1024).
      const std::int64_t first_sample = aac ? packet->pts : mp2_frames_out * frame_samples;
      ++mp2_frames_out;
      unit.pts_90k = av_rescale_q(first_sample, codec->time_base, kTimeBase90k);
      unit.dts_90k = unit.pts_90k;
      unit.key_frame = true;
      av_packet_unref(packet.get());
    }
  }
};

AudioEncoder::AudioEncoder(const EncoderSettings& settings)
    : impl_(std::make_unique<Impl>(settings)) {}
AudioEncoder::~AudioEncoder() = default;

void AudioEncoder::encode(const AVFrame& sound, std::vector<EncodedUnit>& out) {
  Impl& d = *impl_;
  if (d.flushed) throw std::logic_error("AudioEncoder::encode after flush");
  const int channels = d.settings.channels;
  if (sound.format != AV_SAMPLE_FMT_S16 || sound.ch_layout.nb_channels != channels ||
      (sound.sample_rate != 0 && sound.sample_rate != d.settings.sample_rate)) {
    throw std::invalid_argument(fmt::format(
        "AudioEncoder: sound at sample {} is {} x{} at {} Hz, expected s16 x{} at {} Hz",
        d.samples_in, name_or(av_get_sample_fmt_name(static_cast<AVSampleFormat>(sound.format))),
        sound.ch_layout.nb_channels, sound.sample_rate, channels, d.settings.sample_rate));
  }
  if (sound.nb_samples <= 0) return;
  const auto* samples = reinterpret_cast<const std::int16_t*>(sound.data[0]);
  d.pending.insert(d.pending.end(), samples,
                   samples + std::size_t{1} * sound.nb_samples * channels);
  d.samples_in += sound.nb_samples;

  const std::size_t frame_values = static_cast<std::size_t>(d.frame_samples) * channels;
  std::size_t used = 0;
  for (; d.pending.size() - used >= frame_values; used += frame_values) {
    d.encode_frame(d.pending.data() + used, out);
  }
  d.pending.erase(d.pending.begin(), d.pending.begin() + static_cast<std::ptrdiff_t>(used));
}

void AudioEncoder::flush(std::vector<EncodedUnit>& out) {
  Impl& d = *impl_;
  if (d.flushed) return;
  if (!d.pending.empty()) {
    d.pending.resize(static_cast<std::size_t>(d.frame_samples) * d.settings.channels, 0);
    d.encode_frame(d.pending.data(), out);
    d.pending.clear();
  }
  d.send(nullptr);
  d.flushed = true;
  d.receive(out);
}

mux::StreamKind AudioEncoder::kind() const {
  return impl_->aac ? mux::StreamKind::aac_adts : mux::StreamKind::mpeg_audio;
}

std::uint8_t AudioEncoder::stream_type() const {
  if (impl_->aac) return 0x0F;                                      // ISO/IEC 13818-7 ADTS
  return is_mpeg1_rate(impl_->settings.sample_rate) ? 0x03 : 0x04;  // 11172-3, or 13818-3 LSF
}

std::int64_t AudioEncoder::samples_in() const {
  return impl_->samples_in;
}

}  // namespace skyclass::headend

#pragma once
// Encode: house-format pictures and sound in, mux access units out. One VideoEncoder (libx264
// through libavcodec) and one AudioEncoder (MP2, or AAC-LC with ADTS) live for a whole playout
// run, so output timestamps are continuous by construction: picture n of the run has PTS
// n * 90000 / fps, and audio PTS follow the count of samples encoded.
//
// The video follows the DVB profile of DESIGN.md: H.264 Main (or High) at the configured level,
// Annex B with an access unit delimiter before every access unit, SPS/PPS before every IDR,
// closed GOPs of at most gop_ms, nal-hrd=cbr at the configured bit rate, and an IDR wherever
// the caller forces one (every item's first frame).
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "headend/av_raii.hpp"
#include "mux/pes.hpp"
#include "scheduler/channel_config.hpp"

namespace skyclass::headend {

struct EncoderSettings {
  // video
  int width = 720, height = 576;
  AVRational sample_aspect{64, 45};
  int fps = 25;
  std::string profile = "main";  // main|high
  int level_idc = 30;
  std::uint32_t video_bitrate_bps = 1'800'000;      // a whole number of kbit/s (libx264's unit)
  std::uint32_t video_vbv_buffer_bits = 1'440'000;  // HRD CPB size: 0.8 s of the bit rate
  int gop_frames = 25;  // longest GOP, in frames (floor of gop_ms at fps)
  std::string preset = "veryfast";
  int threads = 0;  // 0: libx264 decides
  // audio
  std::string audio_codec = "mp2";  // mp2|aac
  int sample_rate = 48'000, channels = 2;
  std::uint32_t audio_bitrate_bps = 192'000;

  // Throws std::runtime_error naming the config file and key for a value libx264 or the audio
  // encoder cannot take.
  static EncoderSettings from(const scheduler::ChannelConfig& config);
};

// The libx264 options (x264 --fullhelp names, "key=value:...") that VideoEncoder passes as
// libavcodec's x264-params. For the defaults:
//   keyint=25:open-gop=0:aud=1:repeat-headers=1:annexb=1:nal-hrd=cbr:bitrate=1800:
//   vbv-maxrate=1800:vbv-bufsize=1440:level=3.0:sar=64/45:threads=0
// (the preset's own choices, B-frames and scenecut included, stay as the preset sets them).
std::string x264_params(const EncoderSettings& settings);

// The `ffmpeg` output options that give libx264 exactly VideoEncoder's settings, for benchmarks
// that compare against the ffmpeg CLI: -c:v libx264 -pix_fmt yuv420p -preset -profile:v
// -forced-idr -b:v -maxrate -bufsize -aspect -x264-params. The bit rate, VBV and aspect must be
// given outside x264-params too: libavcodec re-applies its own fields to libx264 on every picture.
std::vector<std::string> ffmpeg_video_options(const EncoderSettings& settings);

// One encoded access unit, ready for mux::Multiplexer::push (90 kHz timestamps on the run's
// timeline: picture 0 / sample 0 of the run is PTS 0; DTS may be below PTS with B-frames).
struct EncodedUnit {
  std::vector<std::uint8_t> data;  // Annex B with AUD first (video), one ADTS or MPEG frame (audio)
  std::int64_t pts_90k = 0;
  std::int64_t dts_90k = 0;
  bool key_frame = false;  // an IDR
};

class VideoEncoder {
 public:
  // Throws std::runtime_error when libx264 cannot be opened with these settings.
  explicit VideoEncoder(const EncoderSettings& settings);
  ~VideoEncoder();
  VideoEncoder(const VideoEncoder&) = delete;
  VideoEncoder& operator=(const VideoEncoder&) = delete;

  // Encodes the run's next picture (yuv420p at the configured size); `force_idr` makes it an
  // IDR that starts a new closed GOP. Appends what the encoder gives back (it has some delay).
  void encode(const AVFrame& picture, bool force_idr, std::vector<EncodedUnit>& out);
  // Drains the encoder at the end of the run.
  void flush(std::vector<EncodedUnit>& out);

  std::int64_t pictures_in() const;
  std::uint64_t idr_count() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

class AudioEncoder {
 public:
  explicit AudioEncoder(const EncoderSettings& settings);
  ~AudioEncoder();
  AudioEncoder(const AudioEncoder&) = delete;
  AudioEncoder& operator=(const AudioEncoder&) = delete;

  // Takes any number of interleaved S16 samples (house rate and channels) and appends every
  // whole codec frame (1152 samples for MP2, 1024 for AAC) now complete. A frame's PTS is the
  // run's number of its first input sample x 90000 / rate (MP2 frame k: k x 2160 at 48 kHz).
  // AAC starts with one extra frame, the encoder's priming (its 1024-sample delay), at PTS
  // -1024 samples (libavcodec's own timestamp for it): decoding from it gives sample 0 at PTS 0.
  void encode(const AVFrame& sound, std::vector<EncodedUnit>& out);
  // Pads the last partial frame with silence and drains the encoder.
  void flush(std::vector<EncodedUnit>& out);

  mux::StreamKind kind() const;         // mpeg_audio or aac_adts
  std::uint8_t stream_type() const;     // 0x03 (MPEG-1 audio at 32/44.1/48 kHz), 0x04, or 0x0F
  std::int64_t samples_in() const;      // samples taken so far (flush's padding excluded)

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace skyclass::headend

#include "tests/tools/media_check.hpp"

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>

#include <fmt/format.h>
#include <unistd.h>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

#include "tools/samples/av_raii.hpp"
#include "tools/samples/picture.hpp"

namespace skyclass::tools::testing {
namespace {

// Encoder banners (libx264's "using SAR", "profile ...") would bury gtest's output.
[[maybe_unused]] const bool kQuietLibav = [] {
  av_log_set_level(AV_LOG_ERROR);
  return true;
}();

struct InputCloser {
  void operator()(AVFormatContext* ctx) const { avformat_close_input(&ctx); }
};
using InputPtr = std::unique_ptr<AVFormatContext, InputCloser>;

InputPtr open_input(const std::filesystem::path& file, std::string& error) {
  AVFormatContext* raw = nullptr;
  if (int rc = avformat_open_input(&raw, file.c_str(), nullptr, nullptr); rc < 0) {
    error = fmt::format("open: {}", av::error_text(rc));
    return nullptr;
  }
  InputPtr input(raw);
  if (int rc = avformat_find_stream_info(raw, nullptr); rc < 0) {
    error = fmt::format("stream info: {}", av::error_text(rc));
    return nullptr;
  }
  return input;
}

double stream_duration_s(const AVStream* s) {
  return s->duration == AV_NOPTS_VALUE ? 0 : s->duration * av_q2d(s->time_base);
}

int first_mpeg_layer(AVFormatContext* input, int stream) {
  av::PacketPtr packet(av_packet_alloc());
  int layer = 0;
  while (!layer && av_read_frame(input, packet.get()) >= 0) {
    if (packet->stream_index == stream && packet->size >= 4 && packet->data[0] == 0xFF)
      layer = 4 - ((packet->data[1] >> 1) & 3);  // '11' = layer I, '10' = II, '01' = III
    av_packet_unref(packet.get());
  }
  return layer;
}

VideoInfo video_info(const AVStream* s) {
  const AVCodecParameters* par = s->codecpar;
  VideoInfo v;
  v.codec = avcodec_get_name(par->codec_id);
  v.width = par->width;
  v.height = par->height;
  v.fps = s->avg_frame_rate.num ? s->avg_frame_rate : s->r_frame_rate;
  v.sar = par->sample_aspect_ratio;
  v.interlaced_tff = par->field_order == AV_FIELD_TT;
  v.duration_s = stream_duration_s(s);
  return v;
}

AudioInfo audio_info(const AVStream* s) {
  AudioInfo a;
  a.codec = avcodec_get_name(s->codecpar->codec_id);
  a.sample_rate = s->codecpar->sample_rate;
  a.channels = s->codecpar->ch_layout.nb_channels;
  a.duration_s = stream_duration_s(s);
  return a;
}

av::CodecContextPtr open_decoder(const AVStream* s) {
  const AVCodec* codec = avcodec_find_decoder(s->codecpar->codec_id);
  if (!codec) return nullptr;
  av::CodecContextPtr ctx(avcodec_alloc_context3(codec));
  avcodec_parameters_to_context(ctx.get(), s->codecpar);
  ctx->pkt_timebase = s->time_base;
  ctx->thread_count = 1;
  if (avcodec_open2(ctx.get(), codec, nullptr) < 0) return nullptr;
  return ctx;
}

float first_channel_sample(const AVFrame& f, int i) {
  switch (f.format) {
    case AV_SAMPLE_FMT_FLTP:
      return reinterpret_cast<const float*>(f.data[0])[i];
    case AV_SAMPLE_FMT_FLT:
      return reinterpret_cast<const float*>(f.data[0])[i * f.ch_layout.nb_channels];
    case AV_SAMPLE_FMT_S16P:
      return reinterpret_cast<const int16_t*>(f.data[0])[i] / 32768.0f;
    case AV_SAMPLE_FMT_S16:
      return reinterpret_cast<const int16_t*>(f.data[0])[i * f.ch_layout.nb_channels] / 32768.0f;
    default:
      return 0;
  }
}

// Sums squares over 100 ms windows of the first channel.
struct RmsMeter {
  int window = 0;
  int filled = 0;
  double sum = 0, min_rms = 1.0;
  void add(const AVFrame& f) {
    window = f.sample_rate / 10;
    for (int i = 0; i < f.nb_samples; ++i) {
      double x = first_channel_sample(f, i);
      sum += x * x;
      if (++filled == window) {
        min_rms = std::min(min_rms, std::sqrt(sum / window));
        filled = 0;
        sum = 0;
      }
    }
  }
};

struct Decoders {
  AVFormatContext* input = nullptr;
  int video = -1, audio = -1;
  av::CodecContextPtr video_ctx, audio_ctx;
  av::FramePtr frame{av_frame_alloc()};
  RmsMeter rms;
  DecodeResult result;

  void take_frames(AVCodecContext* ctx, bool is_video) {
    while (true) {
      int rc = avcodec_receive_frame(ctx, frame.get());
      if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) return;
      if (rc < 0) {
        ++result.errors;
        return;
      }
      if (is_video)
        take_picture();
      else {
        result.audio_samples += frame->nb_samples;
        rms.add(*frame);
      }
      av_frame_unref(frame.get());
    }
  }

  void take_picture() {
    ++result.video_frames;
    const AVStream* s = input->streams[video];
    std::int64_t pts =
        frame->best_effort_timestamp - (s->start_time == AV_NOPTS_VALUE ? 0 : s->start_time);
    result.frame_indices.push_back(
        std::llround(pts * av_q2d(s->time_base) * av_q2d(s->avg_frame_rate)));
    auto code = read_frame_code(*frame, frame_code_layout(frame->width, frame->height));
    result.frame_codes.push_back(code.value_or(-1));
  }

  void send(AVCodecContext* ctx, const AVPacket* packet, bool is_video) {
    if (!ctx) return;
    if (avcodec_send_packet(ctx, packet) < 0) ++result.errors;
    take_frames(ctx, is_video);
  }
};

}  // namespace

MediaInfo probe(const std::filesystem::path& file) {
  MediaInfo info;
  InputPtr input = open_input(file, info.open_error);
  if (!input) return info;
  info.format = input->iformat->name;
  info.duration_s = input->duration == AV_NOPTS_VALUE ? 0 : input->duration / double(AV_TIME_BASE);
  info.streams = static_cast<int>(input->nb_streams);
  int v = av_find_best_stream(input.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  int a = av_find_best_stream(input.get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
  if (v >= 0) info.video = video_info(input->streams[v]);
  if (a >= 0) {
    info.audio = audio_info(input->streams[a]);
    info.audio->mpeg_layer = first_mpeg_layer(input.get(), a);
  }
  return info;
}

DecodeResult decode_all(const std::filesystem::path& file) {
  std::string error;
  InputPtr input = open_input(file, error);
  DecodeResult failed;
  failed.open_error = error;
  if (!input) return failed;
  Decoders d;
  d.input = input.get();
  d.video = av_find_best_stream(input.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  d.audio = av_find_best_stream(input.get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
  if (d.video >= 0) d.video_ctx = open_decoder(input->streams[d.video]);
  if (d.audio >= 0) d.audio_ctx = open_decoder(input->streams[d.audio]);
  av::PacketPtr packet(av_packet_alloc());
  while (true) {
    int rc = av_read_frame(input.get(), packet.get());
    if (rc == AVERROR_EOF) break;
    if (rc < 0) {
      ++d.result.errors;
      break;
    }
    if (packet->stream_index == d.video) d.send(d.video_ctx.get(), packet.get(), true);
    if (packet->stream_index == d.audio) d.send(d.audio_ctx.get(), packet.get(), false);
    av_packet_unref(packet.get());
  }
  d.send(d.video_ctx.get(), nullptr, true);
  d.send(d.audio_ctx.get(), nullptr, false);
  d.result.min_rms_100ms = d.audio_ctx ? d.rms.min_rms : 0;
  return d.result;
}

std::string read_bytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

TempDir::TempDir(const std::string& name)
    : path_(std::filesystem::temp_directory_path() /
            fmt::format("skyclass-{}-{}", name, static_cast<long>(::getpid()))) {
  std::filesystem::remove_all(path_);
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
}

}  // namespace skyclass::tools::testing

#include "tools/samples/clip.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>
#include <signal.h>
#include <unistd.h>

extern "C" {
#include <libavfilter/buffersink.h>
#include <libavutil/channel_layout.h>
#include <libavutil/mathematics.h>
}

#include "tools/samples/av_raii.hpp"
#include "tools/samples/damage.hpp"
#include "tools/samples/fnv.hpp"
#include "tools/samples/picture.hpp"
#include "tools/samples/sound.hpp"

namespace skyclass::tools {
namespace fs = std::filesystem;
namespace {

constexpr std::array<std::string_view, 5> kKinds{"lesson", "filler", "ident", "slate", "special"};
constexpr int kX264Crf = 26;
constexpr int kMpeg2Quantiser = 6;
constexpr int kGopSeconds = 2;
constexpr std::int64_t kMaxDurationMs = 6LL * 3600 * 1000;

[[noreturn]] void fail(const fs::path& file, std::string_view message) {
  throw std::runtime_error(fmt::format("{}: {}", file.string(), message));
}

// A file that is removed again unless it is committed (renamed into place).
class TempFile {
 public:
  explicit TempFile(fs::path path) : path_(std::move(path)) {}
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  ~TempFile() {
    std::error_code ignored;
    if (!committed_) fs::remove(path_, ignored);
  }
  const fs::path& path() const { return path_; }
  void commit(const fs::path& target) {
    fs::rename(path_, target);
    committed_ = true;
  }

 private:
  fs::path path_;
  bool committed_ = false;
};

// ".<name>.<pid>-<n>.partial" beside the clip: hidden, and owned by one write of one process.
constexpr std::string_view kPartialSuffix = ".partial";

fs::path temp_path_for(const fs::path& out_file) {
  static std::atomic<unsigned> writes{0};
  return out_file.parent_path() / fmt::format(".{}.{}-{}{}", out_file.filename().string(),
                                              static_cast<long>(::getpid()), writes++,
                                              kPartialSuffix);
}

bool process_is_gone(const std::string& pid_text) {
  char* end = nullptr;
  long pid = std::strtol(pid_text.c_str(), &end, 10);
  return pid > 0 && *end == '-' && ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

// Removes the temp files of earlier writes of `out_file` whose process is gone (killed runs).
void remove_stale_temp_files(const fs::path& out_file) {
  const std::string prefix = fmt::format(".{}.", out_file.filename().string());
  std::error_code ec;
  fs::path folder = out_file.has_parent_path() ? out_file.parent_path() : fs::path(".");
  for (const fs::directory_entry& entry : fs::directory_iterator(folder, ec)) {
    std::string name = entry.path().filename().string();
    if (name.starts_with(prefix) && name.ends_with(kPartialSuffix) &&
        process_is_gone(name.substr(prefix.size())))
      fs::remove(entry.path(), ec);
  }
}

struct EncodedStream {
  av::CodecContextPtr encoder;
  AVStream* stream = nullptr;
  FilterOutput filters;
  std::int64_t next_pts = 0;  // encoder time base: frames for video, samples for audio
  std::int64_t end_pts = 0;
  bool done = false;
};

const AVCodec* find_encoder(const std::string& name, const fs::path& file) {
  const AVCodec* codec = avcodec_find_encoder_by_name(name.c_str());
  if (!codec) fail(file, fmt::format("this libavcodec has no '{}' encoder", name));
  return codec;
}

void open_encoder(AVCodecContext* ctx, const AVCodec* codec, av::Dictionary& options,
                  const fs::path& file) {
  av::check(avcodec_open2(ctx, codec, options.slot()),
            fmt::format("opening the {} encoder", codec->name), file);
  if (std::string unused = options.first_unused_key(); !unused.empty())
    fail(file, fmt::format("the {} encoder has no option '{}'", codec->name, unused));
}

av::CodecContextPtr open_video_encoder(const ClipSpec& spec, bool global_header,
                                       const fs::path& file) {
  const AVCodec* codec = find_encoder(spec.video_codec, file);
  av::CodecContextPtr ctx(avcodec_alloc_context3(codec));
  if (!ctx) av::throw_error(AVERROR(ENOMEM), "avcodec_alloc_context3", file);
  ctx->width = spec.width;
  ctx->height = spec.height;
  ctx->time_base = AVRational{spec.fps_den, spec.fps_num};
  ctx->framerate = AVRational{spec.fps_num, spec.fps_den};
  ctx->sample_aspect_ratio = AVRational{spec.sar_num, spec.sar_den};
  ctx->pix_fmt = AV_PIX_FMT_YUV420P;
  ctx->gop_size = std::max(1, static_cast<int>(std::lround(kGopSeconds * av_q2d(ctx->framerate))));
  ctx->max_b_frames = 0;
  ctx->thread_count = 1;  // one thread per clip: deterministic output
  ctx->flags |= AV_CODEC_FLAG_BITEXACT | (global_header ? AV_CODEC_FLAG_GLOBAL_HEADER : 0);
  if (spec.interlaced) {
    ctx->flags |= AV_CODEC_FLAG_INTERLACED_DCT | AV_CODEC_FLAG_INTERLACED_ME;
    ctx->field_order = AV_FIELD_TT;
  }
  av::Dictionary options;
  if (spec.video_codec == "libx264") {
    options.set("preset", "ultrafast");
    options.set("crf", std::to_string(kX264Crf));
  } else {  // mpeg2video: constant quantiser, the MPEG-2 analogue of CRF
    ctx->flags |= AV_CODEC_FLAG_QSCALE;
    ctx->global_quality = FF_QP2LAMBDA * kMpeg2Quantiser;
  }
  open_encoder(ctx.get(), codec, options, file);
  return ctx;
}

void check_sample_rate(const AVCodec* codec, int sample_rate, const fs::path& file) {
  if (!codec->supported_samplerates) return;
  for (const int* rate = codec->supported_samplerates; *rate; ++rate)
    if (*rate == sample_rate) return;
  fail(file, fmt::format("the {} encoder cannot take sample_rate {} Hz", codec->name, sample_rate));
}

av::CodecContextPtr open_audio_encoder(const ClipSpec& spec, bool global_header,
                                       const fs::path& file) {
  const AVCodec* codec = find_encoder(spec.audio_codec, file);
  check_sample_rate(codec, spec.sample_rate, file);
  av::CodecContextPtr ctx(avcodec_alloc_context3(codec));
  if (!ctx) av::throw_error(AVERROR(ENOMEM), "avcodec_alloc_context3", file);
  ctx->sample_fmt = codec->sample_fmts ? codec->sample_fmts[0] : AV_SAMPLE_FMT_S16;
  ctx->sample_rate = spec.sample_rate;
  av_channel_layout_default(&ctx->ch_layout, spec.channels);
  ctx->bit_rate = spec.audio_codec == "mp2" ? 192000 : 128000;
  ctx->time_base = AVRational{1, spec.sample_rate};
  ctx->thread_count = 1;
  ctx->flags |= AV_CODEC_FLAG_BITEXACT | (global_header ? AV_CODEC_FLAG_GLOBAL_HEADER : 0);
  av::Dictionary options;
  open_encoder(ctx.get(), codec, options, file);
  return ctx;
}

// Renders, encodes and muxes one clip into `temp_file`; errors name `out_file`.
class ClipWriter {
 public:
  ClipWriter(const ClipSpec& spec, fs::path temp_file, fs::path out_file)
      : spec_(spec),
        temp_(std::move(temp_file)),
        out_(std::move(out_file)),
        frame_(av::make_frame(out_)),
        packet_(av::make_packet(out_)) {}

  void run() {
    open_muxer();
    add_video();
    if (!spec_.audio_codec.empty()) add_audio();
    write_header();
    while (!video_.done || (audio_ && !audio_->done)) {
      if (video_first())
        step_video();
      else
        step_audio();
    }
    av::check(av_write_trailer(mux_.get()), "writing the trailer", out_);
    av::check(avio_closep(&mux_->pb), "closing the temp file", out_);
  }

 private:
  std::string container() const {
    return spec_.container.empty() ? container_for(out_) : spec_.container;
  }
  bool global_header() const { return mux_->oformat->flags & AVFMT_GLOBALHEADER; }

  void open_muxer() {
    AVFormatContext* raw = nullptr;
    av::check(avformat_alloc_output_context2(&raw, nullptr, container().c_str(), temp_.c_str()),
              fmt::format("choosing the {} muxer", container()), out_);
    mux_.reset(raw);
    mux_->flags |= AVFMT_FLAG_BITEXACT;  // no creation_time, no library versions
    av_dict_set(&mux_->metadata, "title", spec_.title.c_str(), 0);
    av_dict_set(&mux_->metadata, "service_provider", "CETV", 0);  // read by the TS muxer
    av_dict_set(&mux_->metadata, "service_name", "CETV-4 空中课堂", 0);
  }

  AVStream* new_stream(const AVCodecContext* encoder) {
    AVStream* stream = avformat_new_stream(mux_.get(), nullptr);
    if (!stream) av::throw_error(AVERROR(ENOMEM), "avformat_new_stream", out_);
    av::check(avcodec_parameters_from_context(stream->codecpar, encoder),
              "copying encoder parameters", out_);
    stream->time_base = encoder->time_base;
    return stream;
  }

  void add_video() {
    video_.encoder = open_video_encoder(spec_, global_header(), out_);
    video_.stream = new_stream(video_.encoder.get());
    video_.stream->sample_aspect_ratio = video_.encoder->sample_aspect_ratio;
    video_.stream->avg_frame_rate = video_.encoder->framerate;
    video_.filters = build_picture_graph(spec_, out_);
    video_.end_pts =
        std::max<std::int64_t>(1, av_rescale_rnd(spec_.duration_ms, spec_.fps_num,
                                                 1000LL * spec_.fps_den, AV_ROUND_NEAR_INF));
  }

  void add_audio() {
    EncodedStream& audio = audio_.emplace();
    audio.encoder = open_audio_encoder(spec_, global_header(), out_);
    audio.stream = new_stream(audio.encoder.get());
    av_dict_set(&audio.stream->metadata, "language", "chi", 0);
    audio.filters = build_sound_graph(spec_, audio.encoder->sample_fmt, out_);
    const AVCodecContext& enc = *audio.encoder;
    if (enc.frame_size > 0 && !(enc.codec->capabilities & AV_CODEC_CAP_VARIABLE_FRAME_SIZE))
      av_buffersink_set_frame_size(audio.filters.sink, static_cast<unsigned>(enc.frame_size));
    audio.end_pts = av_rescale_rnd(spec_.duration_ms, spec_.sample_rate, 1000, AV_ROUND_NEAR_INF);
  }

  void write_header() {
    av::check(avio_open(&mux_->pb, temp_.c_str(), AVIO_FLAG_WRITE),
              fmt::format("creating the temp file {}", temp_.string()), out_);
    av::Dictionary options;
    if (container() == "mp4") options.set("movflags", "+faststart");  // index first
    av::check(avformat_write_header(mux_.get(), options.slot()), "writing the header", out_);
  }

  // Interleave by time so the muxer's queue stays short.
  bool video_first() const {
    if (video_.done) return false;
    if (!audio_ || audio_->done) return true;
    return av_compare_ts(video_.next_pts, video_.encoder->time_base, audio_->next_pts,
                         audio_->encoder->time_base) <= 0;
  }

  void step_video() {
    if (video_.next_pts >= video_.end_pts) return finish(video_);
    av_frame_unref(frame_.get());
    av::check(av_buffersink_get_frame(video_.filters.sink, frame_.get()), "rendering a picture",
              out_);
    frame_->pts = video_.next_pts++;
    frame_->pict_type = AV_PICTURE_TYPE_NONE;
    frame_->interlaced_frame = spec_.interlaced;
    frame_->top_field_first = spec_.interlaced;
    encode(video_, frame_.get());
  }

  void step_audio() {
    EncodedStream& audio = *audio_;
    if (audio.next_pts >= audio.end_pts) return finish(audio);
    av_frame_unref(frame_.get());
    av::check(av_buffersink_get_frame(audio.filters.sink, frame_.get()), "rendering sound", out_);
    // The last frame is cut to the clip's length; libavcodec pads it if the encoder needs that.
    frame_->nb_samples = static_cast<int>(
        std::min<std::int64_t>(frame_->nb_samples, audio.end_pts - audio.next_pts));
    frame_->pts = audio.next_pts;
    audio.next_pts += frame_->nb_samples;
    encode(audio, frame_.get());
  }

  void finish(EncodedStream& s) {
    encode(s, nullptr);
    s.done = true;
  }

  void encode(EncodedStream& s, const AVFrame* frame) {
    av::check(avcodec_send_frame(s.encoder.get(), frame), "sending a frame to the encoder", out_);
    while (true) {
      int ret = avcodec_receive_packet(s.encoder.get(), packet_.get());
      if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) return;
      av::check(ret, fmt::format("encoding with {}", s.encoder->codec->name), out_);
      if (packet_->duration == 0 && s.encoder->codec_type == AVMEDIA_TYPE_VIDEO)
        packet_->duration = 1;
      av_packet_rescale_ts(packet_.get(), s.encoder->time_base, s.stream->time_base);
      packet_->stream_index = s.stream->index;
      av::check(av_interleaved_write_frame(mux_.get(), packet_.get()), "writing a packet", out_);
    }
  }

  const ClipSpec& spec_;
  fs::path temp_, out_;
  av::OutputFormatPtr mux_;
  EncodedStream video_;
  std::optional<EncodedStream> audio_;
  av::FramePtr frame_;
  av::PacketPtr packet_;
};

void validate_picture(const ClipSpec& spec, const fs::path& file) {
  if (spec.width < 64 || spec.height < 64 || spec.width > 4096 || spec.height > 2304 ||
      spec.width % 2 || spec.height % 2)
    fail(file, fmt::format("width x height {}x{} must be even and within 64x64..4096x2304",
                           spec.width, spec.height));
  if (spec.fps_num <= 0 || spec.fps_den <= 0 || spec.fps_num > 120 * spec.fps_den)
    fail(file,
         fmt::format("fps {}/{} must be positive and at most 120", spec.fps_num, spec.fps_den));
  if (spec.sar_num <= 0 || spec.sar_den <= 0)
    fail(file, fmt::format("sar {}:{} must be positive", spec.sar_num, spec.sar_den));
  if (spec.video_codec != "libx264" && spec.video_codec != "mpeg2video")
    fail(file, fmt::format("video_codec '{}' must be libx264 or mpeg2video", spec.video_codec));
}

void validate_sound(const ClipSpec& spec, const fs::path& file) {
  if (spec.audio_codec.empty()) return;
  if (spec.audio_codec != "mp2" && spec.audio_codec != "aac")
    fail(file, fmt::format("audio_codec '{}' must be mp2, aac or empty", spec.audio_codec));
  if (spec.channels < 1 || spec.channels > 8)
    fail(file, fmt::format("channels {} must be 1..8", spec.channels));
  if (spec.sample_rate < 8000 || spec.sample_rate > 96000)
    fail(file, fmt::format("sample_rate {} must be 8000..96000 Hz", spec.sample_rate));
}

}  // namespace

std::string container_for(const fs::path& file) {
  std::string ext = file.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  if (ext == ".mp4") return "mp4";
  if (ext == ".ts") return "mpegts";
  if (ext == ".mkv") return "matroska";
  fail(file, fmt::format("extension '{}' is not .mp4, .ts or .mkv", ext));
}

void validate_clip(const ClipSpec& spec, const fs::path& out_file) {
  if (std::find(kKinds.begin(), kKinds.end(), spec.kind) == kKinds.end())
    fail(out_file,
         fmt::format("kind '{}' must be lesson, filler, ident, slate or special", spec.kind));
  if (spec.duration_ms <= 0 || spec.duration_ms > kMaxDurationMs)
    fail(out_file, fmt::format("duration_ms {} must be 1..{}", spec.duration_ms, kMaxDurationMs));
  validate_picture(spec, out_file);
  validate_sound(spec, out_file);
  std::string muxer = spec.container.empty() ? container_for(out_file) : spec.container;
  if (muxer != "mp4" && muxer != "mpegts" && muxer != "matroska")
    fail(out_file, fmt::format("container '{}' must be mp4, mpegts or matroska", muxer));
  if (!fs::exists(fs::path(kCjkFontFile)))
    fail(out_file,
         fmt::format("the CJK font {} is missing (Debian package fonts-noto-cjk)", kCjkFontFile));
}

std::string spec_hash(const ClipSpec& spec) {
  std::string canonical = fmt::format(
      "v{}|lavc{}|lavf{}|lavfi{}|{}|{}|{}|{}|{}|{}|{}x{}|{}/{}|{}:{}|{}|{}|{}|{}|{}|{}|{}",
      kClipGeneratorVersion, avcodec_version(), avformat_version(), avfilter_version(),
      spec.relative_path, spec.kind, spec.title, spec.grade, spec.subject, spec.duration_ms,
      spec.width, spec.height, spec.fps_num, spec.fps_den, spec.sar_num, spec.sar_den,
      spec.interlaced, spec.video_codec, spec.audio_codec, spec.sample_rate, spec.channels,
      static_cast<int>(spec.damage), spec.container);
  return fmt::format("{:016x}", fnv1a64(canonical));
}

void write_clip(const ClipSpec& spec, const fs::path& out_file) {
  validate_clip(spec, out_file);
  try {
    if (out_file.has_parent_path()) fs::create_directories(out_file.parent_path());
    remove_stale_temp_files(out_file);
    TempFile temp(temp_path_for(out_file));
    ClipWriter(spec, temp.path(), out_file).run();
    if (spec.damage == ClipSpec::Damage::truncated) truncate_file(temp.path());
    if (spec.damage == ClipSpec::Damage::corrupt) corrupt_file(temp.path());
    temp.commit(out_file);
  } catch (const fs::filesystem_error& e) {
    fail(out_file, e.what());
  }
}

}  // namespace skyclass::tools

#include "headend/media_reader.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <deque>
#include <map>
#include <mutex>
#include <system_error>
#include <tuple>
#include <utility>
#include <vector>

#include <fmt/format.h>

extern "C" {
#include <libavfilter/avfilter.h>
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/channel_layout.h>
#include <libavutil/mathematics.h>
#include <libavutil/pixdesc.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
}

namespace skyclass::headend {
namespace fs = std::filesystem;
using Kind = MediaError::Kind;

namespace {

// One decoding thread per stream. The x264 encoder of the same channel needs both cores, an SD
// picture decodes in about a millisecond on one thread, and frame threading would add a frame of
// delay and a set of reference pictures per thread for no gain in channel throughput.
constexpr int kDecoderThreads = 1;
// Source pictures are scaled with bicubic: sharper than bilinear for the broadcast cases (HD to
// SD, SD into a pillarbox), and libswscale copies exactly when the size does not change. Below
// half size (test and soak formats like 128x72) area averaging is the better low-pass and cheaper:
// 720x576 to 128x72 measured 0.30 ms a picture against 0.45 ms for bicubic.
constexpr int kScaleFlags = SWS_BICUBIC;
constexpr int kSmallScaleFlags = SWS_AREA;
// Loudness correction is a static gain limited to this range; samples the gain pushes above
// kClipKneeLevel (-1 dBFS) are bent softly toward full scale instead of clipping.
constexpr double kMaxGainDb = 20.0;
constexpr float kClipKneeLevel = 0.891f;
// Damage bounds: a decoder that takes this much media without giving a picture is broken, and a
// file that interleaves this much of other streams between two video packets has no more video.
constexpr int kMaxSecondsWithoutPicture = 10;
constexpr int kMaxPacketsBetweenVideo = 2000;
// Audio that keeps more than this many video packets queued while it is missing is late: the
// period gets silence instead of the reader buffering the file.
constexpr std::size_t kMaxQueuedVideoPackets = 500;
// An audio timestamp this far from where the samples so far put it is a gap or an overlap.
constexpr int kAudioResyncMs = 40;
// When a seek lands after in_ms (an index that is off), seek again this much earlier, doubling.
constexpr std::int64_t kSeekBackoffMs = 1000;
constexpr int kSeekRetries = 3;

using av::FilterGraphPtr;
using av::SwrPtr;
using av::SwsPtr;

av::FramePtr make_frame() {
  av::FramePtr frame(av_frame_alloc());
  if (!frame) throw std::bad_alloc();
  return frame;
}

std::string media_time_text(std::int64_t ms) {
  if (ms < 0) return fmt::format("-{}", media_time_text(-ms));
  return fmt::format("{:02}:{:02}:{:02}.{:03}", ms / 3'600'000, ms / 60'000 % 60, ms / 1000 % 60,
                     ms % 1000);
}

[[noreturn]] void fail_open(const fs::path& file, std::string_view what) {
  throw MediaError(Kind::open, fmt::format("{}: {}", file.string(), what));
}

bool is_interlaced(AVFieldOrder order) {
  return order == AV_FIELD_TT || order == AV_FIELD_BB || order == AV_FIELD_TB ||
         order == AV_FIELD_BT;
}

// ---- opening ---------------------------------------------------------------------------------

av::InputFormatPtr open_media(const fs::path& file) {
  std::error_code ec;
  if (!fs::exists(file, ec)) fail_open(file, "no such file");
  if (fs::is_directory(file, ec)) fail_open(file, "is a folder, not a media file");
  AVFormatContext* raw = nullptr;
  int ret = avformat_open_input(&raw, file.c_str(), nullptr, nullptr);
  if (ret < 0) fail_open(file, fmt::format("cannot open it as media: {}", av::av_error(ret)));
  av::InputFormatPtr input(raw);
  ret = avformat_find_stream_info(input.get(), nullptr);
  if (ret < 0) fail_open(file, fmt::format("cannot read its streams: {}", av::av_error(ret)));
  return input;
}

av::CodecContextPtr open_decoder(const fs::path& file, const AVStream& stream) {
  const AVCodec* codec = avcodec_find_decoder(stream.codecpar->codec_id);
  if (!codec)
    fail_open(file, fmt::format("stream #{} ({}) has no decoder in this libavcodec", stream.index,
                                avcodec_get_name(stream.codecpar->codec_id)));
  av::CodecContextPtr decoder(avcodec_alloc_context3(codec));
  if (!decoder) throw std::bad_alloc();
  int ret = avcodec_parameters_to_context(decoder.get(), stream.codecpar);
  if (ret >= 0) {
    decoder->pkt_timebase = stream.time_base;
    decoder->thread_count = kDecoderThreads;
    // Verify the checksums a stream carries; damage shows up as decode errors and frame flags.
    decoder->err_recognition |= AV_EF_CRCCHECK;
    ret = avcodec_open2(decoder.get(), codec, nullptr);
  }
  if (ret < 0)
    fail_open(file, fmt::format("cannot open the {} decoder of stream #{}: {}", codec->name,
                                stream.index, av::av_error(ret)));
  return decoder;
}

// The house channel layout (the default layout for the channel count: stereo for 2).
AVChannelLayout house_layout(const HouseFormat& house) {
  AVChannelLayout layout{};
  av_channel_layout_default(&layout, house.channels);
  return layout;
}

// A resampler from `frame`'s format to float interleaved in the house rate and layout. Mono is
// up-mixed by libswresample's matrix (centre to left and right at -3 dB each, which keeps the
// BS.1770 loudness of the mono signal).
SwrPtr make_resampler(const AVFrame& frame, const HouseFormat& house) {
  AVChannelLayout in_layout{};
  if (frame.ch_layout.order == AV_CHANNEL_ORDER_UNSPEC || frame.ch_layout.nb_channels <= 0)
    av_channel_layout_default(&in_layout, std::max(1, frame.ch_layout.nb_channels));
  else
    av_channel_layout_copy(&in_layout, &frame.ch_layout);
  AVChannelLayout out_layout = house_layout(house);
  SwrContext* raw = nullptr;
  int ret =
      swr_alloc_set_opts2(&raw, &out_layout, AV_SAMPLE_FMT_FLT, house.sample_rate, &in_layout,
                          static_cast<AVSampleFormat>(frame.format), frame.sample_rate, 0, nullptr);
  av_channel_layout_uninit(&in_layout);
  av_channel_layout_uninit(&out_layout);
  SwrPtr swr(raw);
  if (ret >= 0) ret = swr_init(swr.get());
  if (ret < 0)
    throw std::runtime_error(fmt::format("cannot resample {} Hz {} channels to {} Hz: {}",
                                         frame.sample_rate, frame.ch_layout.nb_channels,
                                         house.sample_rate, av::av_error(ret)));
  return swr;
}

bool same_audio_format(const AVFrame& a, const AVFrame& b) {
  return a.format == b.format && a.sample_rate == b.sample_rate &&
         av_channel_layout_compare(&a.ch_layout, &b.ch_layout) == 0;
}

// ---- loudness --------------------------------------------------------------------------------

// ITU-R BS.1770-4 integrated loudness with the EBU R128 gates: K-weighting (a high shelf, then
// the RLB high pass), 400 ms blocks every 100 ms, an absolute gate at -70 LUFS and a relative
// gate 10 LU below the loudness of the blocks above it.
class LoudnessMeter {
 public:
  LoudnessMeter(int sample_rate, const AVChannelLayout& layout)
      : channels_(layout.nb_channels),
        sub_block_frames_(std::max(1, sample_rate / 10)),
        state_(static_cast<std::size_t>(channels_)) {
    for (int c = 0; c < channels_; ++c) weights_.push_back(channel_weight(layout, c));
    design_filters(sample_rate);
  }

  void add(const float* interleaved, int frames) {
    for (int i = 0; i < frames; ++i) {
      double energy = 0;
      for (int c = 0; c < channels_; ++c) {
        double y = filter(state_[c], interleaved[i * channels_ + c]);
        energy += weights_[c] * y * y;
      }
      sub_energy_ += energy;
      if (++sub_filled_ == sub_block_frames_) {
        sub_blocks_.push_back(sub_energy_ / sub_block_frames_);
        sub_energy_ = 0;
        sub_filled_ = 0;
      }
    }
  }

  std::optional<double> integrated_lufs() const {
    std::vector<double> blocks;
    for (std::size_t j = 0; j + 4 <= sub_blocks_.size(); ++j)
      blocks.push_back(
          (sub_blocks_[j] + sub_blocks_[j + 1] + sub_blocks_[j + 2] + sub_blocks_[j + 3]) / 4);
    std::optional<double> absolute = gated_mean(blocks, energy_of(-70.0));
    if (!absolute) return std::nullopt;
    std::optional<double> relative = gated_mean(blocks, *absolute * std::pow(10.0, -1.0));
    if (!relative) return std::nullopt;
    return loudness_of(*relative);
  }

 private:
  struct Biquad {
    double b0, b1, b2, a1, a2;
  };
  struct ChannelState {
    std::array<double, 2> shelf{}, highpass{};  // transposed direct form II
  };

  static double loudness_of(double energy) { return -0.691 + 10 * std::log10(energy); }
  static double energy_of(double lufs) { return std::pow(10.0, (lufs + 0.691) / 10); }

  // Mean energy of the blocks above `threshold` (strictly, as BS.1770 gates), nullopt if none.
  static std::optional<double> gated_mean(const std::vector<double>& blocks, double threshold) {
    double sum = 0;
    std::size_t count = 0;
    for (double energy : blocks)
      if (energy > threshold) sum += energy, ++count;
    if (count == 0) return std::nullopt;
    return sum / static_cast<double>(count);
  }

  // BS.1770 channel weights: 1 for front channels, 1.41 for surrounds, 0 for LFE.
  static double channel_weight(const AVChannelLayout& layout, int index) {
    switch (av_channel_layout_channel_from_index(&layout, static_cast<unsigned>(index))) {
      case AV_CHAN_LOW_FREQUENCY:
      case AV_CHAN_LOW_FREQUENCY_2:
        return 0;
      case AV_CHAN_SIDE_LEFT:
      case AV_CHAN_SIDE_RIGHT:
      case AV_CHAN_BACK_LEFT:
      case AV_CHAN_BACK_RIGHT:
        return 1.41;
      default:
        return 1;
    }
  }

  // The two K-weighting stages for any sample rate (the BS.1770 analogue prototypes; at 48 kHz
  // these are the coefficients tabled in the Recommendation).
  void design_filters(int sample_rate) {
    const double pi = 3.14159265358979323846;
    double k = std::tan(pi * 1681.974450955533 / sample_rate);
    double q = 0.7071752369554196;
    double vh = std::pow(10.0, 3.999843853973347 / 20);
    double vb = std::pow(vh, 0.4996667741545416);
    double a0 = 1 + k / q + k * k;
    shelf_ = {(vh + vb * k / q + k * k) / a0, 2 * (k * k - vh) / a0, (vh - vb * k / q + k * k) / a0,
              2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0};
    k = std::tan(pi * 38.13547087602444 / sample_rate);
    q = 0.5003270373238773;
    a0 = 1 + k / q + k * k;
    highpass_ = {1, -2, 1, 2 * (k * k - 1) / a0, (1 - k / q + k * k) / a0};
  }

  static double run(const Biquad& f, std::array<double, 2>& z, double x) {
    double y = f.b0 * x + z[0];
    z[0] = f.b1 * x - f.a1 * y + z[1];
    z[1] = f.b2 * x - f.a2 * y;
    return y;
  }
  double filter(ChannelState& s, double x) const {
    return run(highpass_, s.highpass, run(shelf_, s.shelf, x));
  }

  int channels_;
  int sub_block_frames_;
  std::vector<double> weights_;
  std::vector<ChannelState> state_;
  Biquad shelf_{}, highpass_{};
  int sub_filled_ = 0;
  double sub_energy_ = 0;
  std::vector<double> sub_blocks_;  // mean weighted energy of each 100 ms
};

// Measures the integrated loudness of `file`'s audio as the reader will output it (resampled
// to the house rate and layout). An audio-only pass: other streams are discarded by the demuxer,
// so no video is read or decoded. Damage ends the measurement where it starts (the playout
// reports it when it gets there); nullopt when nothing measurable was found.
std::optional<double> measure_loudness(const fs::path& file, const HouseFormat& house) {
  av::InputFormatPtr input = open_media(file);
  int audio_index = av_find_best_stream(input.get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
  if (audio_index < 0) return std::nullopt;
  for (unsigned i = 0; i < input->nb_streams; ++i)
    input->streams[i]->discard =
        static_cast<int>(i) == audio_index ? AVDISCARD_DEFAULT : AVDISCARD_ALL;
  av::CodecContextPtr decoder = open_decoder(file, *input->streams[audio_index]);
  AVChannelLayout layout = house_layout(house);
  LoudnessMeter meter(house.sample_rate, layout);
  av_channel_layout_uninit(&layout);
  av::PacketPtr packet = av::make_packet();
  av::FramePtr frame = make_frame(), format = make_frame();
  SwrPtr swr;
  std::vector<float> out;
  auto resample = [&](const AVFrame* in) {
    int capacity = swr_get_out_samples(swr.get(), in ? in->nb_samples : 0);
    if (capacity <= 0) return;
    out.resize(static_cast<std::size_t>(capacity) * house.channels);
    auto* dst = reinterpret_cast<std::uint8_t*>(out.data());
    int got = swr_convert(swr.get(), &dst, capacity,
                          in ? const_cast<const std::uint8_t**>(in->extended_data) : nullptr,
                          in ? in->nb_samples : 0);
    if (got > 0) meter.add(out.data(), got);
  };
  auto drain = [&]() {
    while (avcodec_receive_frame(decoder.get(), frame.get()) >= 0) {
      if (!swr || !same_audio_format(*frame, *format)) {
        if (swr) resample(nullptr);
        swr = make_resampler(*frame, house);
        av_frame_unref(format.get());
        format->format = frame->format, format->sample_rate = frame->sample_rate;
        av_channel_layout_copy(&format->ch_layout, &frame->ch_layout);
      }
      resample(frame.get());
      av_frame_unref(frame.get());
    }
  };
  while (av_read_frame(input.get(), packet.get()) >= 0) {
    bool ok = packet->stream_index != audio_index ||
              (!(packet->flags & AV_PKT_FLAG_CORRUPT) &&
               avcodec_send_packet(decoder.get(), packet.get()) >= 0);
    av_packet_unref(packet.get());
    if (!ok) break;
    drain();
  }
  avcodec_send_packet(decoder.get(), nullptr);
  drain();
  if (swr) resample(nullptr);
  return meter.integrated_lufs();
}

// Measurements by file identity, for the whole process: a looping filler is measured once.
std::optional<double> cached_loudness(const fs::path& file, const HouseFormat& house) {
  using Key = std::tuple<std::string, std::uintmax_t, fs::file_time_type::rep, int, int>;
  static std::mutex mutex;
  static std::map<Key, std::optional<double>> cache;
  std::error_code ec;
  Key key{fs::absolute(file, ec).lexically_normal().string(), fs::file_size(file, ec),
          fs::last_write_time(file, ec).time_since_epoch().count(), house.sample_rate,
          house.channels};
  {
    std::lock_guard lock(mutex);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
  }
  std::optional<double> lufs = measure_loudness(file, house);
  std::lock_guard lock(mutex);
  cache.emplace(key, lufs);
  return lufs;
}

// ---- pictures --------------------------------------------------------------------------------

// Where the source picture goes in the house picture so its display aspect ratio is kept.
struct Placement {
  int x = 0, y = 0, width = 0, height = 0;
};

Placement place(int source_width, int source_height, AVRational source_sar,
                const HouseFormat& house) {
  if (source_sar.num <= 0 || source_sar.den <= 0) source_sar = AVRational{1, 1};
  AVRational house_sar = house.sample_aspect;
  if (house_sar.num <= 0 || house_sar.den <= 0) house_sar = AVRational{1, 1};
  double source_dar =
      double(source_width) * source_sar.num / (double(source_height) * source_sar.den);
  double house_par = double(house_sar.num) / house_sar.den;
  double house_dar = house.width * house_par / house.height;
  auto even = [](double v) { return 2 * static_cast<int>(std::lround(v / 2)); };
  Placement p{0, 0, house.width, house.height};
  if (source_dar > house_dar) {  // wider: full width, bars top and bottom (letterbox)
    p.height = std::min(house.height, even(house.width * house_par / source_dar));
    if (house.height - p.height <= 2) p.height = house.height;
  } else {  // narrower: full height, bars left and right (pillarbox)
    p.width = std::min(house.width, even(house.height * source_dar / house_par));
    if (house.width - p.width <= 2) p.width = house.width;
  }
  p.width = std::max(p.width, 2), p.height = std::max(p.height, 2);
  p.x = (house.width - p.width) / 2 & ~1;
  p.y = (house.height - p.height) / 2 & ~1;
  return p;
}

av::FramePtr new_house_picture(const HouseFormat& house) {
  av::FramePtr picture = make_frame();
  picture->format = AV_PIX_FMT_YUV420P;
  picture->width = house.width;
  picture->height = house.height;
  if (av_frame_get_buffer(picture.get(), 0) < 0) throw std::bad_alloc();
  picture->sample_aspect_ratio = house.sample_aspect;
  picture->color_range = AVCOL_RANGE_MPEG;
  return picture;
}

// Paints everything outside `active` black (Y 16, U and V 128).
void paint_bars(AVFrame& picture, const Placement& active) {
  for (int plane = 0; plane < 3; ++plane) {
    int shift = plane ? 1 : 0;
    int width = picture.width >> shift, height = picture.height >> shift;
    int x0 = active.x >> shift, x1 = (active.x + active.width) >> shift;
    int y0 = active.y >> shift, y1 = (active.y + active.height) >> shift;
    std::uint8_t black = plane ? 128 : 16;
    for (int y = 0; y < height; ++y) {
      std::uint8_t* row = picture.data[plane] + std::ptrdiff_t(y) * picture.linesize[plane];
      if (y < y0 || y >= y1) {
        std::memset(row, black, static_cast<std::size_t>(width));
      } else {
        std::memset(row, black, static_cast<std::size_t>(x0));
        std::memset(row + x1, black, static_cast<std::size_t>(width - x1));
      }
    }
  }
}

// Scales source pictures into new house pictures with libswscale, keeping the display aspect.
class PictureScaler {
 public:
  explicit PictureScaler(const HouseFormat& house) : house_(house) {}

  av::FramePtr convert(const AVFrame& source, AVRational stream_sar) {
    AVRational sar = source.sample_aspect_ratio.num > 0 ? source.sample_aspect_ratio : stream_sar;
    if (!sws_ || source.width != width_ || source.height != height_ || source.format != format_ ||
        av_cmp_q(sar, sar_) != 0 || source.color_range != range_)
      configure(source, sar);
    av::FramePtr picture = new_house_picture(house_);
    std::uint8_t* dst[4] = {};
    for (int plane = 0; plane < 3; ++plane) {
      int shift = plane ? 1 : 0;
      dst[plane] = picture->data[plane] +
                   std::ptrdiff_t(active_.y >> shift) * picture->linesize[plane] +
                   (active_.x >> shift);
    }
    sws_scale(sws_.get(), source.data, source.linesize, 0, source.height, dst, picture->linesize);
    paint_bars(*picture, active_);  // after scaling: libswscale's SIMD may write past its width
    return picture;
  }

 private:
  void configure(const AVFrame& source, AVRational sar) {
    width_ = source.width, height_ = source.height, format_ = source.format, sar_ = sar;
    range_ = source.color_range;
    active_ = place(width_, height_, sar_, house_);
    bool below_half = active_.width * 2 < width_ || active_.height * 2 < height_;
    sws_.reset(sws_getContext(width_, height_, static_cast<AVPixelFormat>(format_), active_.width,
                              active_.height, AV_PIX_FMT_YUV420P,
                              below_half ? kSmallScaleFlags : kScaleFlags, nullptr, nullptr,
                              nullptr));
    if (!sws_)
      throw std::runtime_error(fmt::format("cannot scale {}x{} {} pictures", width_, height_,
                                           av_get_pix_fmt_name(AVPixelFormat(format_))));
    if (range_ == AVCOL_RANGE_JPEG) {  // full-range YUV in a limited-range pixel format
      const int* coefficients = sws_getCoefficients(SWS_CS_DEFAULT);
      sws_setColorspaceDetails(sws_.get(), coefficients, 1, coefficients, 0, 0, 1 << 16, 1 << 16);
    }
  }

  const HouseFormat& house_;
  SwsPtr sws_;
  int width_ = 0, height_ = 0, format_ = -1;
  AVRational sar_{0, 1};
  AVColorRange range_ = AVCOL_RANGE_UNSPECIFIED;
  Placement active_;
};

// yadif (one picture per frame, only pictures flagged interlaced unless the stream says all are).
class Deinterlacer {
 public:
  bool active() const { return graph_ != nullptr; }
  void reset() { graph_.reset(), source_ = sink_ = nullptr; }

  void push(AVFrame* frame, AVRational time_base, AVRational stream_sar, bool all_pictures) {
    if (frame &&
        (!graph_ || frame->width != width_ || frame->height != height_ || frame->format != format_))
      build(*frame, time_base, stream_sar, all_pictures);
    if (!graph_) return;
    if (av_buffersrc_add_frame_flags(source_, frame, AV_BUFFERSRC_FLAG_KEEP_REF) < 0)
      throw std::runtime_error("the deinterlacer refused a picture");
  }
  // A deinterlaced picture with its pts back in the input time base, false when it needs more
  // input (or is drained).
  bool pull(AVFrame* out) {
    if (!graph_ || av_buffersink_get_frame(sink_, out) < 0) return false;
    if (out->pts != AV_NOPTS_VALUE)  // yadif halves the time base (it can output fields)
      out->pts = av_rescale_q(out->pts, av_buffersink_get_time_base(sink_), time_base_);
    return true;
  }

 private:
  void build(const AVFrame& frame, AVRational time_base, AVRational stream_sar, bool all) {
    width_ = frame.width, height_ = frame.height, format_ = frame.format, time_base_ = time_base;
    AVRational sar = frame.sample_aspect_ratio.num > 0 ? frame.sample_aspect_ratio : stream_sar;
    if (sar.num <= 0 || sar.den <= 0) sar = AVRational{1, 1};
    graph_.reset(avfilter_graph_alloc());
    if (!graph_) throw std::bad_alloc();
    graph_->nb_threads = 1;
    std::string source_args =
        fmt::format("video_size={}x{}:pix_fmt={}:time_base={}/{}:pixel_aspect={}/{}", width_,
                    height_, format_, time_base.num, time_base.den, sar.num, sar.den);
    AVFilterContext* yadif = nullptr;
    bool ok = avfilter_graph_create_filter(&source_, avfilter_get_by_name("buffer"), "in",
                                           source_args.c_str(), nullptr, graph_.get()) >= 0 &&
              avfilter_graph_create_filter(&yadif, avfilter_get_by_name("yadif"), "deinterlace",
                                           all ? "mode=send_frame:parity=auto:deint=all"
                                               : "mode=send_frame:parity=auto:deint=interlaced",
                                           nullptr, graph_.get()) >= 0 &&
              avfilter_graph_create_filter(&sink_, avfilter_get_by_name("buffersink"), "out",
                                           nullptr, nullptr, graph_.get()) >= 0 &&
              avfilter_link(source_, 0, yadif, 0) >= 0 && avfilter_link(yadif, 0, sink_, 0) >= 0 &&
              avfilter_graph_config(graph_.get(), nullptr) >= 0;
    if (!ok) {
      reset();
      throw std::runtime_error(fmt::format("cannot build a deinterlacer for {}x{} {} pictures",
                                           width_, height_,
                                           av_get_pix_fmt_name(AVPixelFormat(format_))));
    }
  }

  FilterGraphPtr graph_;
  AVFilterContext* source_ = nullptr;
  AVFilterContext* sink_ = nullptr;
  int width_ = 0, height_ = 0, format_ = -1;
  AVRational time_base_{1, 1};
};

// ---- sound -----------------------------------------------------------------------------------

// Float interleaved house-format samples with their position on the media timeline (in house
// samples from media time 0).
class SoundQueue {
 public:
  explicit SoundQueue(int channels) : channels_(channels) {}

  bool anchored() const { return anchored_; }
  std::int64_t end_position() const { return start_ + frames(); }
  void anchor(std::int64_t position) { clear(), start_ = position, anchored_ = true; }
  void clear() { samples_.clear(), head_ = 0, anchored_ = false; }

  void append(const float* interleaved, int frames) {
    samples_.insert(samples_.end(), interleaved, interleaved + std::ptrdiff_t(frames) * channels_);
  }
  void append_silence(std::int64_t frames) {
    samples_.resize(samples_.size() + static_cast<std::size_t>(frames * channels_), 0.0f);
  }

  // Copies [from, from + frames) into `out`; what the queue does not hold is silence.
  void copy(std::int64_t from, int frames, float* out) const {
    std::fill(out, out + std::ptrdiff_t(frames) * channels_, 0.0f);
    if (!anchored_) return;
    std::int64_t begin = std::max(from, start_), end = std::min(from + frames, end_position());
    if (begin >= end) return;
    const float* src = samples_.data() + head_ + (begin - start_) * channels_;
    std::copy(src, src + (end - begin) * channels_, out + (begin - from) * channels_);
  }

  void drop_before(std::int64_t position) {
    if (!anchored_ || position <= start_) return;
    std::int64_t n = std::min(position - start_, frames());
    head_ += static_cast<std::size_t>(n * channels_);
    start_ += n;
    if (head_ > samples_.size() / 2) {  // compact now and then, not per period
      samples_.erase(samples_.begin(), samples_.begin() + std::ptrdiff_t(head_));
      head_ = 0;
    }
    if (start_ < position) start_ = position;  // nothing held yet up to there
  }

 private:
  std::int64_t frames() const {
    return static_cast<std::int64_t>((samples_.size() - head_) / channels_);
  }

  int channels_;
  std::vector<float> samples_;
  std::size_t head_ = 0;
  std::int64_t start_ = 0;
  bool anchored_ = false;
};

// Gain, a soft knee above -1 dBFS (never past full scale), and rounding to signed 16 bits.
void to_s16(const float* in, std::size_t count, float gain, std::int16_t* out) {
  const float knee = kClipKneeLevel, room = 1.0f - kClipKneeLevel;
  for (std::size_t i = 0; i < count; ++i) {
    float x = in[i] * gain;
    float magnitude = std::fabs(x);
    if (magnitude > knee) x = std::copysign(knee + room * std::tanh((magnitude - knee) / room), x);
    out[i] = static_cast<std::int16_t>(std::lrint(std::clamp(x * 32767.0f, -32768.0f, 32767.0f)));
  }
}

av::FramePtr new_house_sound(const HouseFormat& house, int samples) {
  av::FramePtr sound = make_frame();
  sound->format = AV_SAMPLE_FMT_S16;
  sound->sample_rate = house.sample_rate;
  sound->nb_samples = samples;
  av_channel_layout_default(&sound->ch_layout, house.channels);
  if (av_frame_get_buffer(sound.get(), 0) < 0) throw std::bad_alloc();
  return sound;
}

}  // namespace

// ---- HouseFormat, MediaError -------------------------------------------------------------------

int HouseFormat::samples_in_period(std::int64_t index) const {
  auto before = [&](std::int64_t i) { return i * sample_rate / fps; };
  return static_cast<int>(before(index + 1) - before(index));
}

HouseFormat HouseFormat::from(const scheduler::ChannelConfig& config) {
  HouseFormat house;
  house.width = config.video.width;
  house.height = config.video.height;
  house.fps = config.video.fps;
  house.sample_rate = config.audio.sample_rate;
  house.channels = config.audio.channels;
  house.loudness_target_lufs = config.audio.loudness_lufs;
  // SAR = DAR * height / width ("16:9" or "4:3", checked by the config loader).
  int dar_num = config.video.aspect == "4:3" ? 4 : 16,
      dar_den = config.video.aspect == "4:3" ? 3 : 9;
  av_reduce(&house.sample_aspect.num, &house.sample_aspect.den,
            std::int64_t{dar_num} * house.height, std::int64_t{dar_den} * house.width, 1 << 16);
  return house;
}

std::string_view to_string(MediaError::Kind kind) {
  switch (kind) {
    case Kind::open:
      return "open";
    case Kind::decode:
      return "decode";
    case Kind::ended_early:
      return "ended_early";
  }
  return "unknown";
}

// ---- MediaReader -------------------------------------------------------------------------------

struct MediaReader::Impl {
  fs::path file;
  HouseFormat house;
  bool loop = false;
  MediaReaderStats stats;

  av::InputFormatPtr input;
  AVStream* video = nullptr;
  AVStream* audio = nullptr;
  av::CodecContextPtr video_decoder, audio_decoder;
  std::int64_t origin_us = 0;  // media time 0 (the first picture), in AV_TIME_BASE
  AVRational source_rate{25, 1};
  bool interlaced_stream = false;
  float gain = 1.0f;

  // Reading
  av::PacketPtr packet = av::make_packet();
  std::deque<av::PacketPtr> video_packets;
  std::vector<av::PacketPtr> spare_packets;
  bool has_read = false;  // any packet read since the input was opened
  bool input_ended = false, video_drained = false, video_finished = false;
  bool audio_finished = false;
  int video_packets_without_picture = 0;
  int packets_between_video = 0;

  // Pictures
  Deinterlacer deinterlacer;
  PictureScaler scaler{house};
  av::FramePtr decoded = make_frame();
  av::FramePtr held, held_house, ahead;  // the source picture on show, its house copy, the next
  std::int64_t held_periods = 0;
  std::int64_t last_pts = AV_NOPTS_VALUE;   // video stream time base, relative to the origin
  std::int64_t video_end = AV_NOPTS_VALUE;  // end of the last picture seen
  bool first_picture_pending = true;        // the first picture after a seek is still to come
  int seek_retries = 0;

  // Sound
  SoundQueue sound{house.channels};
  av::FramePtr audio_frame = make_frame(), audio_format = make_frame();
  SwrPtr swr;
  std::vector<float> resampled, period_samples;
  std::int64_t skip_samples = 0;  // resampler output to drop (an overlap in the source)

  // The segment being played: from media time segment_ms, starting at period segment_index.
  std::int64_t next_index = 0;
  std::int64_t segment_index = 0, segment_ms = 0;
  std::int64_t seek_ms = 0;  // where the last seek aimed
  std::string failure;       // set after a throw: the reader is unusable

  Impl(const fs::path& f, std::int64_t in_ms, bool l, const HouseFormat& h)
      : file(f), house(h), loop(l) {
    if (house.width <= 0 || house.height <= 0 || house.width % 2 || house.height % 2 ||
        house.fps <= 0 || house.sample_rate <= 0 || house.channels <= 0)
      throw std::invalid_argument(fmt::format(
          "{}: house format {}x{} {} fps {} Hz {} channels is not usable", file.string(),
          house.width, house.height, house.fps, house.sample_rate, house.channels));
    open();
    if (house.loudness_target_lufs && audio) apply_loudness_target(*house.loudness_target_lufs);
    segment_ms = std::max<std::int64_t>(0, in_ms);
    seek(segment_ms);
  }

  // ---- opening

  void open() {
    input = open_media(file);
    int v = av_find_best_stream(input.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
    if (v < 0 || (input->streams[v]->disposition & AV_DISPOSITION_ATTACHED_PIC))
      fail_open(file, fmt::format("no video stream (the {} file has {} streams)",
                                  input->iformat->name, input->nb_streams));
    video = input->streams[v];
    int a = av_find_best_stream(input.get(), AVMEDIA_TYPE_AUDIO, -1, v, nullptr, 0);
    audio = a >= 0 ? input->streams[a] : nullptr;
    for (unsigned i = 0; i < input->nb_streams; ++i)
      if (input->streams[i] != video && input->streams[i] != audio)
        input->streams[i]->discard = AVDISCARD_ALL;
    video_decoder = open_decoder(file, *video);
    if (audio) audio_decoder = open_decoder(file, *audio);
    if (video->start_time != AV_NOPTS_VALUE)
      origin_us = av_rescale_q(video->start_time, video->time_base, AV_TIME_BASE_Q);
    else if (input->start_time != AV_NOPTS_VALUE)
      origin_us = input->start_time;
    source_rate = av_guess_frame_rate(input.get(), video, nullptr);
    if (source_rate.num <= 0 || source_rate.den <= 0) source_rate = AVRational{house.fps, 1};
    interlaced_stream = is_interlaced(video->codecpar->field_order);
    fill_stats();
  }

  void fill_stats() {
    stats.source_width = video->codecpar->width;
    stats.source_height = video->codecpar->height;
    stats.source_fps = av_q2d(source_rate);
    stats.interlaced = interlaced_stream;
    stats.has_audio = audio != nullptr;
    if (audio) {
      stats.source_sample_rate = audio->codecpar->sample_rate;
      stats.source_channels = audio->codecpar->ch_layout.nb_channels;
    }
  }

  void apply_loudness_target(double target_lufs) {
    stats.measured_lufs = cached_loudness(file, house);
    if (!stats.measured_lufs) return;
    stats.gain_db = std::clamp(target_lufs - *stats.measured_lufs, -kMaxGainDb, kMaxGainDb);
    gain = static_cast<float>(std::pow(10.0, stats.gain_db / 20));
  }

  // ---- timeline

  std::int64_t origin_in(const AVStream& stream) const {
    return av_rescale_q(origin_us, AV_TIME_BASE_Q, stream.time_base);
  }
  // Period `index` starts at this many 1/(1000 fps) seconds of media time.
  std::int64_t period_start(std::int64_t index) const {
    return segment_ms * house.fps + (index - segment_index) * 1000;
  }
  AVRational period_unit() const { return AVRational{1, 1000 * house.fps}; }
  std::int64_t period_media_ms(std::int64_t index) const {
    return segment_ms + (index - segment_index) * 1000 / house.fps;
  }
  // The first house sample of period `index` on the media timeline.
  std::int64_t sample_position(std::int64_t index) const {
    auto before = [&](std::int64_t i) { return i * house.sample_rate / house.fps; };
    return av_rescale(segment_ms, house.sample_rate, 1000) + before(index) - before(segment_index);
  }
  std::int64_t pts_ms(std::int64_t relative_pts, const AVStream& stream) const {
    return av_rescale_q(relative_pts, stream.time_base, AVRational{1, 1000});
  }

  [[noreturn]] void fail_decode(const AVStream* stream, std::string_view what,
                                std::int64_t media_ms) {
    std::string where = stream ? fmt::format("stream #{} ({})", stream->index,
                                             avcodec_get_name(stream->codecpar->codec_id))
                               : std::string("the container");
    failure = fmt::format("{}: {} at media time {}: {}", file.string(), where,
                          media_time_text(media_ms), what);
    throw MediaError(Kind::decode, failure);
  }
  std::int64_t current_media_ms() const { return period_media_ms(next_index); }

  // Positions the input at `ms` of media time: the key frame before it, with decoders, filters
  // and queues emptied. Pictures and sound before `ms` are decoded and dropped by the selection.
  void seek(std::int64_t ms) {
    seek_ms = ms;
    if (ms > 0 || has_read) {  // a fresh input is at 0 already (stream info kept its packets)
      std::int64_t target =
          origin_in(*video) + av_rescale_q(ms, AVRational{1, 1000}, video->time_base);
      if (av_seek_frame(input.get(), video->index, target, AVSEEK_FLAG_BACKWARD) < 0 &&
          av_seek_frame(input.get(), -1, origin_us + ms * 1000, AVSEEK_FLAG_BACKWARD) < 0)
        fail_decode(video, "the file cannot be positioned (seek failed)", ms);
    }
    avcodec_flush_buffers(video_decoder.get());
    if (audio_decoder) avcodec_flush_buffers(audio_decoder.get());
    for (auto& p : video_packets) spare_packets.push_back(std::move(p));
    video_packets.clear();
    input_ended = video_drained = video_finished = audio_finished = false;
    video_packets_without_picture = packets_between_video = 0;
    deinterlacer.reset();
    held.reset(), held_house.reset(), ahead.reset();
    held_periods = 0;
    last_pts = video_end = AV_NOPTS_VALUE;
    first_picture_pending = true;
    sound.clear();
    swr.reset();
    skip_samples = 0;
  }

  // ---- reading

  void read_packet() {
    has_read = true;
    int ret = av_read_frame(input.get(), packet.get());
    if (ret == AVERROR_EOF || (ret < 0 && input->pb && avio_feof(input->pb))) return end_input();
    if (ret < 0)
      fail_decode(nullptr, fmt::format("reading failed: {}", av::av_error(ret)),
                  current_media_ms());
    AVStream* stream = input->streams[packet->stream_index];
    if (packet->flags & AV_PKT_FLAG_CORRUPT) {
      // A short read at the end of a truncated file: the media ends there.
      if (input->pb && avio_feof(input->pb)) {
        av_packet_unref(packet.get());
        return end_input();
      }
      std::int64_t at = packet->pts != AV_NOPTS_VALUE
                            ? pts_ms(packet->pts - origin_in(*stream), *stream)
                            : current_media_ms();
      av_packet_unref(packet.get());
      fail_decode(stream, "the container marks the packet damaged", at);
    }
    if (stream == video) {
      packets_between_video = 0;
      av::PacketPtr queued = spare_packets.empty() ? av::make_packet() : take_spare();
      av_packet_move_ref(queued.get(), packet.get());
      video_packets.push_back(std::move(queued));
    } else {
      ++packets_between_video;
      if (stream == audio) decode_audio(packet.get());
      av_packet_unref(packet.get());
    }
  }

  av::PacketPtr take_spare() {
    av::PacketPtr p = std::move(spare_packets.back());
    spare_packets.pop_back();
    return p;
  }

  void end_input() {
    input_ended = true;
    if (audio && !audio_finished) {
      decode_audio(nullptr);
      audio_finished = true;
    }
  }

  // ---- pictures

  // The next source picture in presentation order (deinterlaced, pts relative to the origin in
  // the video stream's time base); false when the video has ended.
  bool next_source_picture(AVFrame* out) {
    while (true) {
      if (deinterlacer.pull(out)) return true;
      int ret = avcodec_receive_frame(video_decoder.get(), decoded.get());
      if (ret >= 0) {
        if (accept_picture(*decoded)) {
          if (!use_deinterlacer(*decoded)) {
            av_frame_move_ref(out, decoded.get());
            return true;
          }
          deinterlacer.push(decoded.get(), video->time_base, video->sample_aspect_ratio,
                            interlaced_stream);
        }
        av_frame_unref(decoded.get());
        continue;
      }
      if (ret == AVERROR_EOF) {
        if (deinterlacer.active() && !video_finished) {
          video_finished = true;
          deinterlacer.push(nullptr, video->time_base, video->sample_aspect_ratio, false);
          continue;
        }
        return false;
      }
      if (ret != AVERROR(EAGAIN))
        fail_decode(video, fmt::format("decoding failed: {}", av::av_error(ret)),
                    current_media_ms());
      if (!feed_video()) return false;
    }
  }

  // Gives the video decoder its next packet (or the end of stream); false if the video is over.
  bool feed_video() {
    while (video_packets.empty() && !input_ended) {
      if (packets_between_video > kMaxPacketsBetweenVideo) return false;  // no more video
      read_packet();
    }
    if (video_packets.empty()) {
      if (video_drained) return false;
      video_drained = true;
      avcodec_send_packet(video_decoder.get(), nullptr);
      return true;
    }
    av::PacketPtr p = std::move(video_packets.front());
    video_packets.pop_front();
    std::int64_t at =
        p->pts != AV_NOPTS_VALUE ? pts_ms(p->pts - origin_in(*video), *video) : current_media_ms();
    int ret = avcodec_send_packet(video_decoder.get(), p.get());
    av_packet_unref(p.get());
    spare_packets.push_back(std::move(p));
    if (ret < 0 && ret != AVERROR(EAGAIN))
      fail_decode(video, fmt::format("decoding failed: {}", av::av_error(ret)), at);
    if (++video_packets_without_picture >
        std::max(250, static_cast<int>(kMaxSecondsWithoutPicture * av_q2d(source_rate))))
      fail_decode(video, fmt::format("{} packets gave no picture", video_packets_without_picture),
                  at);
    return true;
  }

  // Timestamps the decoded picture (pts relative to the origin, increasing) and checks it for
  // damage the decoder concealed. False for a picture to skip.
  bool accept_picture(AVFrame& frame) {
    video_packets_without_picture = 0;
    ++stats.pictures_decoded;
    AVRational tb = video->time_base;
    std::int64_t duration =
        frame.pkt_duration > 0
            ? frame.pkt_duration
            : std::max<std::int64_t>(1, av_rescale_q(1, av_inv_q(source_rate), tb));
    std::int64_t pts = frame.best_effort_timestamp;
    if (pts == AV_NOPTS_VALUE)
      pts = last_pts == AV_NOPTS_VALUE ? 0 : last_pts + duration;
    else
      pts -= origin_in(*video);
    if (last_pts != AV_NOPTS_VALUE && pts <= last_pts) pts = last_pts + 1;  // keep order
    constexpr int kDamage = FF_DECODE_ERROR_INVALID_BITSTREAM | FF_DECODE_ERROR_CONCEALMENT_ACTIVE;
    if ((frame.decode_error_flags & kDamage) || (frame.flags & AV_FRAME_FLAG_CORRUPT)) {
      // Before the start point (pictures after a seek into an open GOP) it is harmless.
      if (av_compare_ts(pts, tb, segment_ms, AVRational{1, 1000}) >= 0)
        fail_decode(video, "damaged picture (the decoder had to conceal errors)",
                    pts_ms(pts, *video));
      return false;
    }
    frame.pts = last_pts = pts;
    video_end = video_end == AV_NOPTS_VALUE ? pts + duration : std::max(video_end, pts + duration);
    if (frame.interlaced_frame) stats.interlaced = true;
    return true;
  }

  bool use_deinterlacer(const AVFrame& frame) const {
    return deinterlacer.active() || interlaced_stream || frame.interlaced_frame;
  }

  // Makes `held` the latest source picture at or before the start of period `index`. False when
  // the media has ended before that period.
  bool select_picture(std::int64_t index) {
    const std::int64_t start = period_start(index);
    while (true) {
      if (!ahead) {
        ahead = make_frame();
        if (!next_source_picture(ahead.get())) {
          ahead.reset();
          if (!held && first_picture_pending && retry_seek()) continue;  // landed past the last
          break;                                                         // key frame
        }
        if (first_picture_pending && retry_late_seek(*ahead, start)) continue;
        first_picture_pending = false;
      }
      if (av_compare_ts(ahead->pts, video->time_base, start, period_unit()) > 0 && held) break;
      if (held && held_periods == 0 && index > segment_index) ++stats.pictures_dropped;
      held = std::move(ahead);
      held_house.reset();
      held_periods = 0;
      if (av_compare_ts(held->pts, video->time_base, start, period_unit()) > 0) break;  // late
    }
    if (!held) return false;
    return ahead || av_compare_ts(start, period_unit(), video_end, video->time_base) < 0;
  }

  // A seek that landed after the start point (a coarse index, or a demuxer like MPEG-TS that
  // lands on any picture and leaves the decoder waiting for the next key frame): seek again
  // earlier.
  bool retry_late_seek(const AVFrame& first, std::int64_t start) {
    return av_compare_ts(first.pts, video->time_base, start, period_unit()) > 0 && retry_seek();
  }
  bool retry_seek() {
    if (seek_ms <= 0 || seek_retries >= kSeekRetries) return false;
    std::int64_t earlier = std::max<std::int64_t>(0, seek_ms - (kSeekBackoffMs << seek_retries));
    ++seek_retries;
    seek(earlier);
    return true;
  }

  av::FramePtr house_picture() {
    if (!held_house) held_house = scaler.convert(*held, video->sample_aspect_ratio);
    if (held_periods++ == 1) ++stats.pictures_repeated;
    av::FramePtr picture = make_frame();
    if (av_frame_ref(picture.get(), held_house.get()) < 0) throw std::bad_alloc();
    return picture;
  }

  // ---- sound

  void decode_audio(const AVPacket* p) {
    int ret = avcodec_send_packet(audio_decoder.get(), p);
    std::int64_t at = p && p->pts != AV_NOPTS_VALUE ? pts_ms(p->pts - origin_in(*audio), *audio)
                                                    : current_media_ms();
    if (ret < 0 && ret != AVERROR_EOF)
      fail_decode(audio, fmt::format("decoding failed: {}", av::av_error(ret)), at);
    while ((ret = avcodec_receive_frame(audio_decoder.get(), audio_frame.get())) >= 0) {
      queue_audio(*audio_frame);
      av_frame_unref(audio_frame.get());
    }
    if (ret != AVERROR(EAGAIN) && ret != AVERROR_EOF)
      fail_decode(audio, fmt::format("decoding failed: {}", av::av_error(ret)), at);
    if (!p) flush_resampler();
  }

  // Resamples a decoded frame into the sound queue at the position its timestamp gives.
  void queue_audio(const AVFrame& frame) {
    if (frame.nb_samples <= 0 || frame.sample_rate <= 0) return;
    if (!swr || !same_audio_format(frame, *audio_format)) {
      if (swr) flush_resampler();
      try {
        swr = make_resampler(frame, house);
      } catch (const std::runtime_error& e) {
        fail_decode(audio, e.what(), current_media_ms());
      }
      av_frame_unref(audio_format.get());
      audio_format->format = frame.format, audio_format->sample_rate = frame.sample_rate;
      av_channel_layout_copy(&audio_format->ch_layout, &frame.ch_layout);
    }
    if (frame.best_effort_timestamp != AV_NOPTS_VALUE) {
      std::int64_t position = av_rescale_q(frame.best_effort_timestamp - origin_in(*audio),
                                           audio->time_base, AVRational{1, house.sample_rate});
      resync(position);
    } else if (!sound.anchored()) {
      sound.anchor(sample_position(next_index));
    }
    resample(&frame);
  }

  // Keeps the queue on the frame's timestamp: anchors it at the first frame, and fills a gap
  // with silence or drops an overlap when the timestamps jump.
  void resync(std::int64_t position) {
    if (!sound.anchored()) {
      sound.anchor(position);
      return;
    }
    std::int64_t expected =
        sound.end_position() - skip_samples + swr_get_delay(swr.get(), house.sample_rate);
    std::int64_t tolerance = std::int64_t{house.sample_rate} * kAudioResyncMs / 1000;
    if (position > expected + tolerance) {
      flush_resampler();
      sound.append_silence(position - sound.end_position());
    } else if (position < expected - tolerance) {
      skip_samples += expected - position;
    }
  }

  void resample(const AVFrame* frame) {
    if (!swr) return;
    int capacity = swr_get_out_samples(swr.get(), frame ? frame->nb_samples : 0);
    if (capacity <= 0) return;
    resampled.resize(static_cast<std::size_t>(capacity) * house.channels);
    auto* dst = reinterpret_cast<std::uint8_t*>(resampled.data());
    int got = swr_convert(swr.get(), &dst, capacity,
                          frame ? const_cast<const std::uint8_t**>(frame->extended_data) : nullptr,
                          frame ? frame->nb_samples : 0);
    if (got < 0) fail_decode(audio, "resampling failed", current_media_ms());
    int skip = static_cast<int>(std::min<std::int64_t>(skip_samples, got));
    skip_samples -= skip;
    sound.append(resampled.data() + std::ptrdiff_t(skip) * house.channels, got - skip);
  }

  void flush_resampler() {
    if (!swr) return;
    resample(nullptr);
    swr.reset();  // the next frame starts a fresh one (its history is gone anyway)
  }

  // Samples [from, from + count) of the media timeline, reading on until the queue holds them,
  // the audio ends, or the audio lags so far behind the video that waiting would mean buffering
  // the file.
  av::FramePtr house_sound(std::int64_t from, int count) {
    if (audio) {
      while (!audio_finished && (!sound.anchored() || sound.end_position() < from + count) &&
             video_packets.size() < kMaxQueuedVideoPackets)
        read_packet();
    }
    av::FramePtr frame = new_house_sound(house, count);
    period_samples.resize(static_cast<std::size_t>(count) * house.channels);
    sound.copy(from, count, period_samples.data());
    sound.drop_before(from + count);
    to_s16(period_samples.data(), period_samples.size(), gain,
           reinterpret_cast<std::int16_t*>(frame->data[0]));
    return frame;
  }

  // ---- periods

  bool next(HouseFrame& out) {
    if (!failure.empty()) throw MediaError(Kind::decode, failure);
    if (!select_picture(next_index)) {
      if (!loop) return false;
      if (next_index == segment_index && segment_ms == 0)
        fail_decode(video, "no picture to loop", 0);
      ++stats.loops;
      segment_index = next_index, segment_ms = 0;
      seek_retries = 0;
      seek(0);
      if (!select_picture(next_index)) fail_decode(video, "no picture after looping", 0);
    }
    out.index = next_index;
    out.media_ms = period_media_ms(next_index);
    out.picture = house_picture();
    out.picture->pts = next_index;
    std::int64_t from = sample_position(next_index);
    out.sound = house_sound(from, house.samples_in_period(next_index));
    out.sound->pts = from;
    ++next_index;
    return true;
  }
};

MediaReader::MediaReader(const fs::path& file, std::int64_t in_ms, bool loop,
                         const HouseFormat& house) {
  try {
    impl_ = std::make_unique<Impl>(file, in_ms, loop, house);
  } catch (const MediaError&) {
    throw;
  } catch (const std::runtime_error& e) {  // a resampler or filter libav* would not build
    throw MediaError(Kind::open, fmt::format("{}: {}", file.string(), e.what()));
  }
}
MediaReader::~MediaReader() = default;
MediaReader::MediaReader(MediaReader&&) noexcept = default;
MediaReader& MediaReader::operator=(MediaReader&&) noexcept = default;

bool MediaReader::next(HouseFrame& out) {
  try {
    return impl_->next(out);
  } catch (const MediaError&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw;
  } catch (const std::exception& e) {
    impl_->failure = fmt::format("{}: {}", impl_->file.string(), e.what());
    throw MediaError(Kind::decode, impl_->failure);
  }
}

const MediaReaderStats& MediaReader::stats() const {
  return impl_->stats;
}
const fs::path& MediaReader::file() const {
  return impl_->file;
}

HouseFrame black_frame(const HouseFormat& house, std::int64_t index) {
  HouseFrame frame;
  frame.index = index;
  frame.media_ms = index * 1000 / std::max(1, house.fps);
  frame.picture = new_house_picture(house);
  paint_bars(*frame.picture, Placement{0, 0, 0, 0});
  frame.picture->pts = index;
  frame.sound = new_house_sound(house, house.samples_in_period(index));
  std::memset(frame.sound->data[0], 0,
              static_cast<std::size_t>(frame.sound->nb_samples) * house.channels * 2);
  return frame;
}

}  // namespace skyclass::headend

// MediaReader on clips written with tools::write_clip, some remuxed or damaged on purpose. The
// burnt-in frame code proves which source picture each period shows, pixel rows and columns
// prove letterbox and pillarbox, and libavfilter's ebur128 re-measures the corrected loudness.
#include "headend/media_reader.hpp"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <vector>

extern "C" {
#include <libavfilter/buffersink.h>
#include <libavfilter/buffersrc.h>
#include <libavutil/channel_layout.h>
}

#include "scheduler/channel_config.hpp"
#include "tools/samples/av_raii.hpp"
#include "tools/samples/clip.hpp"
#include "tools/samples/damage.hpp"
#include "tools/samples/picture.hpp"

namespace skyclass::headend {
namespace {

namespace fs = std::filesystem;
using tools::ClipSpec;

const fs::path kDir = fs::path(SKYCLASS_TEST_DATA_DIR) / "media-reader";

// ---- clips ---------------------------------------------------------------------------------

ClipSpec lesson(std::int64_t duration_ms) {
  ClipSpec spec;
  spec.relative_path = "lessons/media-reader.mp4";
  spec.kind = "lesson";
  spec.title = "认识图形：长方形和正方形";
  spec.grade = "一年级";
  spec.subject = "数学";
  spec.duration_ms = duration_ms;
  return spec;
}

// Renames a finished temp file into place, so test processes that ctest runs side by side
// never see half a file.
void publish(const fs::path& temp, const fs::path& file) {
  fs::rename(temp, file);
}
fs::path temp_for(const fs::path& file) {
  return file.parent_path() / fmt::format(".{}.{}.tmp", file.filename().string(), ::getpid());
}

// The clip of `spec`, written once and named by its hash (shared by the test processes).
fs::path clip(const ClipSpec& spec, const std::string& extension = ".mp4") {
  fs::path file = kDir / (tools::spec_hash(spec) + extension);
  if (!fs::exists(file)) tools::write_clip(spec, file);
  return file;
}

// What a remux changes on the way (timestamps in milliseconds of the source's media time).
struct Edit {
  std::int64_t video_offset_ms = 0;       // added to every video timestamp
  std::int64_t odd_picture_delay_ms = 0;  // added to the timestamps of odd pictures only
  std::int64_t audio_from_ms = std::numeric_limits<std::int64_t>::min();
  std::int64_t audio_to_ms = std::numeric_limits<std::int64_t>::max();
  bool drop_video = false;
  std::string tag() const {
    return fmt::format(
        "v{}-o{}-a{}-{}-{}", video_offset_ms, odd_picture_delay_ms,
        audio_from_ms == std::numeric_limits<std::int64_t>::min() ? -1 : audio_from_ms,
        audio_to_ms == std::numeric_limits<std::int64_t>::max() ? -1 : audio_to_ms, drop_video);
  }
};

// Copies `in` into a Matroska file (1 ms timestamps), applying `edit`. No B-frames in the
// generated clips, so a picture's DTS is its PTS.
void remux(const fs::path& in, const fs::path& out, const Edit& edit) {
  AVFormatContext* raw = nullptr;
  ASSERT_GE(avformat_open_input(&raw, in.c_str(), nullptr, nullptr), 0);
  av::InputFormatPtr input(raw);
  ASSERT_GE(avformat_find_stream_info(input.get(), nullptr), 0);
  AVFormatContext* out_raw = nullptr;
  ASSERT_GE(avformat_alloc_output_context2(&out_raw, nullptr, "matroska", out.c_str()), 0);
  av::OutputFormatPtr output(out_raw);
  std::vector<int> mapping(input->nb_streams, -1);
  for (unsigned i = 0; i < input->nb_streams; ++i) {
    AVCodecParameters* par = input->streams[i]->codecpar;
    if (par->codec_type != AVMEDIA_TYPE_AUDIO &&
        (par->codec_type != AVMEDIA_TYPE_VIDEO || edit.drop_video))
      continue;
    AVStream* stream = avformat_new_stream(output.get(), nullptr);
    ASSERT_NE(stream, nullptr);
    ASSERT_GE(avcodec_parameters_copy(stream->codecpar, par), 0);
    stream->codecpar->codec_tag = 0;
    stream->time_base = AVRational{1, 1000};
    mapping[i] = stream->index;
  }
  ASSERT_GE(avio_open(&output->pb, out.c_str(), AVIO_FLAG_WRITE), 0);
  ASSERT_GE(avformat_write_header(output.get(), nullptr), 0);
  av::PacketPtr packet = av::make_packet();
  std::int64_t picture = 0;
  while (av_read_frame(input.get(), packet.get()) >= 0) {
    const AVStream& from = *input->streams[packet->stream_index];
    int to = mapping[packet->stream_index];
    std::int64_t ms = av_rescale_q(packet->pts, from.time_base, AVRational{1, 1000});
    bool keep = to >= 0;
    if (keep && from.codecpar->codec_type == AVMEDIA_TYPE_VIDEO) {
      ms += edit.video_offset_ms + (picture++ % 2 ? edit.odd_picture_delay_ms : 0);
    } else if (keep) {
      keep = ms >= edit.audio_from_ms && ms < edit.audio_to_ms;
    }
    if (keep) {
      packet->duration = av_rescale_q(packet->duration, from.time_base, AVRational{1, 1000});
      packet->pts = packet->dts = ms;
      packet->stream_index = to;
      packet->pos = -1;
      av_packet_rescale_ts(packet.get(), AVRational{1, 1000}, output->streams[to]->time_base);
      ASSERT_GE(av_interleaved_write_frame(output.get(), packet.get()), 0);
    }
    av_packet_unref(packet.get());
  }
  ASSERT_GE(av_write_trailer(output.get()), 0);
  ASSERT_GE(avio_closep(&output->pb), 0);
}

fs::path remuxed(const fs::path& source, const Edit& edit, const std::string& extension = ".mkv") {
  fs::path file = kDir / (source.stem().string() + "-" + edit.tag() + extension);
  if (!fs::exists(file)) {
    fs::path temp = temp_for(file);
    remux(source, temp, edit);
    publish(temp, file);
  }
  return file;
}

// `source` with the eight mid-file ranges of tools::corruption_ranges overwritten the way
// tools::corrupt_file does, but its header left intact: it opens, and is damaged in the middle.
fs::path damaged_in_the_middle(const fs::path& source) {
  fs::path file = kDir / (source.stem().string() + "-damaged.mp4");
  if (fs::exists(file)) return file;
  std::ifstream in(source, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::mt19937 random(20200217);
  for (const tools::ByteRange& range : tools::corruption_ranges(bytes.size())) {
    if (range.offset < bytes.size() / 4) continue;  // keep the header (ftyp, moov)
    for (std::uint64_t i = 0; i < range.size; ++i)
      bytes[range.offset + i] = static_cast<char>(random() & 0xFF);
  }
  fs::path temp = temp_for(file);
  std::ofstream(temp, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
  publish(temp, file);
  return file;
}

// ---- reading -------------------------------------------------------------------------------

HouseFormat plain_house() {
  HouseFormat house;
  house.loudness_target_lufs.reset();
  return house;
}

std::vector<HouseFrame> read_periods(MediaReader& reader, std::size_t max_periods) {
  std::vector<HouseFrame> periods;
  HouseFrame frame;
  while (periods.size() < max_periods && reader.next(frame)) periods.push_back(std::move(frame));
  return periods;
}

std::vector<HouseFrame> read_periods(const fs::path& file, std::int64_t in_ms,
                                     const HouseFormat& house, std::size_t max_periods = 100'000) {
  MediaReader reader(file, in_ms, false, house);
  return read_periods(reader, max_periods);
}

// The source frame index burnt into the picture (-1 if unreadable); the house picture must be
// the clip's own size for the strip to be where frame_code_layout says.
std::int64_t frame_code(const HouseFrame& frame) {
  const AVFrame& picture = *frame.picture;
  return tools::read_frame_code(picture, tools::frame_code_layout(picture.width, picture.height))
      .value_or(-1);
}

std::uint8_t pixel(const AVFrame& picture, int plane, int x, int y) {
  return picture.data[plane][std::ptrdiff_t(y) * picture.linesize[plane] + x];
}

// Every sample of column `x` (luma, and the chroma column under it) is black.
bool column_is_black(const AVFrame& picture, int x) {
  for (int y = 0; y < picture.height; ++y)
    if (pixel(picture, 0, x, y) != 16) return false;
  for (int y = 0; y < picture.height / 2; ++y)
    if (pixel(picture, 1, x / 2, y) != 128 || pixel(picture, 2, x / 2, y) != 128) return false;
  return true;
}

bool row_is_black(const AVFrame& picture, int y) {
  for (int x = 0; x < picture.width; ++x)
    if (pixel(picture, 0, x, y) != 16) return false;
  for (int x = 0; x < picture.width / 2; ++x)
    if (pixel(picture, 1, x, y / 2) != 128 || pixel(picture, 2, x, y / 2) != 128) return false;
  return true;
}

// How many luma samples of column `x` (or row `y`) are clearly not black: picture content.
int lit_in_column(const AVFrame& picture, int x) {
  int lit = 0;
  for (int y = 0; y < picture.height; ++y) lit += pixel(picture, 0, x, y) > 24;
  return lit;
}
int lit_in_row(const AVFrame& picture, int y) {
  int lit = 0;
  for (int x = 0; x < picture.width; ++x) lit += pixel(picture, 0, x, y) > 24;
  return lit;
}

std::vector<std::int16_t> samples_of(const HouseFrame& frame) {
  const auto* data = reinterpret_cast<const std::int16_t*>(frame.sound->data[0]);
  return {data,
          data + std::ptrdiff_t(frame.sound->nb_samples) * frame.sound->ch_layout.nb_channels};
}

// RMS of one channel of interleaved stereo, in full-scale units.
double rms(const std::vector<std::int16_t>& stereo, int channel, std::size_t from_frame = 0) {
  double sum = 0;
  std::size_t n = 0;
  for (std::size_t i = from_frame * 2 + channel; i < stereo.size(); i += 2, ++n)
    sum += double(stereo[i]) * stereo[i];
  return n ? std::sqrt(sum / n) / 32768.0 : 0;
}

bool silent(const HouseFrame& frame) {
  for (std::int16_t s : samples_of(frame))
    if (s != 0) return false;
  return true;
}

// How period `b`'s sound lines up with period `a`'s: the shift in samples (within ±max_lag)
// that best matches b[i + lag] to a[i] on the left channel, and the RMS of the difference left
// at that shift relative to the RMS of `a` (frames from `from` on).
struct Alignment {
  int lag = 0;
  double difference = 1.0;
};
Alignment align(const HouseFrame& a, const HouseFrame& b, int from, int max_lag = 48) {
  std::vector<std::int16_t> x = samples_of(a), y = samples_of(b);
  int frames = static_cast<int>(std::min(x.size(), y.size()) / 2);
  Alignment best;
  for (int lag = -max_lag; lag <= max_lag; ++lag) {
    double diff = 0, power = 0;
    for (int i = from + max_lag; i < frames - max_lag; ++i) {
      double d = double(x[2 * i]) - y[2 * (i + lag)];
      diff += d * d;
      power += double(x[2 * i]) * x[2 * i];
    }
    double relative = power > 0 ? std::sqrt(diff / power) : 1.0;
    if (relative < best.difference) best = {lag, relative};
  }
  return best;
}

// Integrated loudness of interleaved S16 sound by libavfilter's ebur128 (an independent meter).
double ebur128_lufs(const std::vector<std::int16_t>& interleaved, int rate, int channels) {
  struct QuietLog {  // ebur128 prints its summary when the graph is freed
    int level = av_log_get_level();
    QuietLog() { av_log_set_level(AV_LOG_WARNING); }
    ~QuietLog() { av_log_set_level(level); }
  } quiet;
  tools::av::FilterGraphPtr graph(avfilter_graph_alloc());
  AVChannelLayout layout{};
  av_channel_layout_default(&layout, channels);
  char layout_name[64] = {};
  av_channel_layout_describe(&layout, layout_name, sizeof layout_name);
  std::string args = fmt::format("sample_rate={}:sample_fmt=s16:channel_layout={}:time_base=1/{}",
                                 rate, layout_name, rate);
  AVFilterContext *source = nullptr, *meter = nullptr, *sink = nullptr;
  EXPECT_GE(avfilter_graph_create_filter(&source, avfilter_get_by_name("abuffer"), "in",
                                         args.c_str(), nullptr, graph.get()),
            0);
  EXPECT_GE(avfilter_graph_create_filter(&meter, avfilter_get_by_name("ebur128"), "meter",
                                         "metadata=1", nullptr, graph.get()),
            0);
  EXPECT_GE(avfilter_graph_create_filter(&sink, avfilter_get_by_name("abuffersink"), "out", nullptr,
                                         nullptr, graph.get()),
            0);
  EXPECT_GE(avfilter_link(source, 0, meter, 0), 0);
  EXPECT_GE(avfilter_link(meter, 0, sink, 0), 0);
  EXPECT_GE(avfilter_graph_config(graph.get(), nullptr), 0);
  double integrated = -std::numeric_limits<double>::infinity();
  tools::av::FramePtr out(av_frame_alloc());
  auto drain = [&] {
    while (av_buffersink_get_frame(sink, out.get()) >= 0) {
      if (const AVDictionaryEntry* e = av_dict_get(out->metadata, "lavfi.r128.I", nullptr, 0))
        integrated = std::atof(e->value);
      av_frame_unref(out.get());
    }
  };
  const int chunk = 1024;
  for (std::size_t at = 0; at < interleaved.size(); at += std::size_t(chunk) * channels) {
    int n = static_cast<int>(std::min<std::size_t>(chunk, (interleaved.size() - at) / channels));
    tools::av::FramePtr frame(av_frame_alloc());
    frame->format = AV_SAMPLE_FMT_S16;
    frame->sample_rate = rate;
    frame->nb_samples = n;
    av_channel_layout_copy(&frame->ch_layout, &layout);
    frame->pts = static_cast<std::int64_t>(at / channels);
    EXPECT_GE(av_frame_get_buffer(frame.get(), 0), 0);
    std::memcpy(frame->data[0], interleaved.data() + at, std::size_t(n) * channels * 2);
    EXPECT_GE(av_buffersrc_add_frame(source, frame.get()), 0);
    drain();
  }
  EXPECT_GE(av_buffersrc_add_frame(source, nullptr), 0);
  drain();
  av_channel_layout_uninit(&layout);
  return integrated;
}

std::vector<std::int16_t> all_sound(const std::vector<HouseFrame>& periods) {
  std::vector<std::int16_t> all;
  for (const HouseFrame& frame : periods) {
    std::vector<std::int16_t> s = samples_of(frame);
    all.insert(all.end(), s.begin(), s.end());
  }
  return all;
}

// Picture `index` of `file` as libavcodec decodes it, untouched.
tools::av::FramePtr decode_picture(const fs::path& file, int index) {
  AVFormatContext* raw = nullptr;
  EXPECT_GE(avformat_open_input(&raw, file.c_str(), nullptr, nullptr), 0);
  av::InputFormatPtr input(raw);
  EXPECT_GE(avformat_find_stream_info(input.get(), nullptr), 0);
  int v = av_find_best_stream(input.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  const AVCodec* codec = avcodec_find_decoder(input->streams[v]->codecpar->codec_id);
  av::CodecContextPtr decoder(avcodec_alloc_context3(codec));
  avcodec_parameters_to_context(decoder.get(), input->streams[v]->codecpar);
  decoder->thread_count = 1;
  EXPECT_GE(avcodec_open2(decoder.get(), codec, nullptr), 0);
  av::PacketPtr packet = av::make_packet();
  tools::av::FramePtr frame(av_frame_alloc());
  int decoded = 0;
  bool draining = false;
  while (true) {
    while (avcodec_receive_frame(decoder.get(), frame.get()) >= 0) {
      if (decoded++ == index) return frame;
      av_frame_unref(frame.get());
    }
    if (draining) return nullptr;
    if (av_read_frame(input.get(), packet.get()) < 0) {
      avcodec_send_packet(decoder.get(), nullptr);
      draining = true;
      continue;
    }
    if (packet->stream_index == v) avcodec_send_packet(decoder.get(), packet.get());
    av_packet_unref(packet.get());
  }
}

void expect_error(const fs::path& file, MediaError::Kind kind, const std::string& what) {
  try {
    MediaReader reader(file, 0, false, plain_house());
    read_periods(reader, 100'000);
    ADD_FAILURE() << file << ": no error, expected " << what;
  } catch (const MediaError& e) {
    EXPECT_EQ(e.kind, kind) << e.what();
    EXPECT_TRUE(std::string(e.what()).starts_with(file.string())) << e.what();
    EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
  }
}

// ---- house format ----------------------------------------------------------------------------

TEST(HouseFormat, PeriodsAddUpExactlyToTheSampleRate) {
  HouseFormat house;
  EXPECT_EQ(house.samples_in_period(0), 1920);
  EXPECT_EQ(house.samples_in_period(123'456'789), 1920);
  house.sample_rate = 44'100, house.fps = 24;  // 1837.5 samples a period
  std::int64_t second = 0;
  for (int k = 0; k < 24; ++k) {
    int n = house.samples_in_period(k);
    EXPECT_TRUE(n == 1837 || n == 1838) << n;
    second += n;
  }
  EXPECT_EQ(second, 44'100);
  std::int64_t two_hours = 0;
  for (std::int64_t k = 0; k < 2 * 3600 * 24; ++k) two_hours += house.samples_in_period(k);
  EXPECT_EQ(two_hours, 2 * 3600 * 44'100);
}

TEST(HouseFormat, FromChannelConfig) {
  scheduler::ChannelConfig config = scheduler::default_channel_config();
  HouseFormat house = HouseFormat::from(config);
  EXPECT_EQ(house.width, 720);
  EXPECT_EQ(house.height, 576);
  EXPECT_EQ(house.fps, 25);
  EXPECT_EQ(av_cmp_q(house.sample_aspect, AVRational{64, 45}), 0);
  EXPECT_EQ(house.sample_rate, 48'000);
  EXPECT_EQ(house.channels, 2);
  ASSERT_TRUE(house.loudness_target_lufs);
  EXPECT_EQ(*house.loudness_target_lufs, config.audio.loudness_lufs);
  config.video.aspect = "4:3";
  EXPECT_EQ(av_cmp_q(HouseFormat::from(config).sample_aspect, AVRational{16, 15}), 0);
}

TEST(MediaError, KindsHaveNames) {
  EXPECT_EQ(to_string(MediaError::Kind::open), "open");
  EXPECT_EQ(to_string(MediaError::Kind::decode), "decode");
  EXPECT_EQ(to_string(MediaError::Kind::ended_early), "ended_early");
}

TEST(BlackFrame, IsBlackAndSilentWithThePeriodsSampleCount) {
  HouseFormat house;
  house.sample_rate = 44'100, house.fps = 24;
  HouseFrame frame = black_frame(house, 1);
  EXPECT_EQ(frame.index, 1);
  ASSERT_EQ(frame.picture->format, AV_PIX_FMT_YUV420P);
  EXPECT_EQ(frame.picture->width, 720);
  EXPECT_EQ(frame.picture->height, 576);
  EXPECT_EQ(av_cmp_q(frame.picture->sample_aspect_ratio, AVRational{64, 45}), 0);
  for (int x = 0; x < 720; x += 7) EXPECT_TRUE(column_is_black(*frame.picture, x)) << x;
  ASSERT_EQ(frame.sound->format, AV_SAMPLE_FMT_S16);
  EXPECT_EQ(frame.sound->sample_rate, 44'100);
  EXPECT_EQ(frame.sound->ch_layout.nb_channels, 2);
  EXPECT_EQ(frame.sound->nb_samples, house.samples_in_period(1));
  EXPECT_TRUE(silent(frame));
}

// ---- pictures --------------------------------------------------------------------------------

TEST(MediaReader, StartsAtTheInPointWithTheRightPicture) {
  // Key frames every 2 s. MP4 seeks by its index; MPEG-TS lands on any picture, and the reader
  // seeks again earlier until the decoder starts before the in point.
  for (const std::string extension : {".mp4", ".ts"}) {
    const fs::path file = clip(lesson(3000), extension);
    struct Case {
      std::int64_t in_ms, first_frame;
    };
    for (Case c : {Case{0, 0}, Case{2000, 50}, Case{1530, 38}, Case{2280, 57}, Case{2960, 74}}) {
      MediaReader reader(file, c.in_ms, false, plain_house());
      std::vector<HouseFrame> periods = read_periods(reader, 5);
      std::size_t expected_periods = std::min<std::size_t>(5, (3000 - c.in_ms + 39) / 40);
      ASSERT_EQ(periods.size(), expected_periods) << file << " in " << c.in_ms;
      for (std::int64_t k = 0; k < std::int64_t(periods.size()); ++k) {
        EXPECT_EQ(frame_code(periods[k]), c.first_frame + k)
            << file << " in " << c.in_ms << " period " << k;
        EXPECT_EQ(periods[k].index, k);
        EXPECT_EQ(periods[k].media_ms, c.in_ms + 40 * k);
      }
      if (extension == ".mp4" && c.in_ms == 2280) {  // from the key frame at 2 s, not from 0
        EXPECT_LE(reader.stats().pictures_decoded, 5u + 7u + 3u);
      }
    }
  }
}

TEST(MediaReader, PicturesAreHouseFormatAndOwned) {
  const fs::path file = clip(lesson(1000));
  std::vector<HouseFrame> periods = read_periods(file, 0, plain_house());
  ASSERT_EQ(periods.size(), 25u);
  for (const HouseFrame& frame : periods) {
    EXPECT_EQ(frame.picture->format, AV_PIX_FMT_YUV420P);
    EXPECT_EQ(frame.picture->width, 720);
    EXPECT_EQ(frame.picture->height, 576);
    EXPECT_EQ(av_cmp_q(frame.picture->sample_aspect_ratio, AVRational{64, 45}), 0);
    ASSERT_NE(frame.picture->buf[0], nullptr);  // reference counted, owned by the frame
  }
  // Every period kept its own picture although the reader went on decoding.
  for (std::int64_t k = 0; k < 25; ++k) EXPECT_EQ(frame_code(periods[k]), k);
}

TEST(MediaReader, ConvertsFrameRatesByTimestamp) {
  for (AVRational fps : {AVRational{30, 1}, AVRational{30000, 1001}, AVRational{20, 1}}) {
    ClipSpec spec = lesson(2000);
    spec.fps_num = fps.num, spec.fps_den = fps.den;
    MediaReader reader(clip(spec), 0, false, plain_house());
    std::vector<HouseFrame> periods = read_periods(reader, 1000);
    // 2 s of pictures, rounded to whole pictures: 2.002 s at 29.97 fps gives a 51st period.
    std::int64_t pictures = std::llround(2 * av_q2d(fps));
    ASSERT_EQ(periods.size(), std::size_t((pictures * 25 * fps.den + fps.num - 1) / fps.num));
    std::map<std::int64_t, int> shown;  // source picture -> periods it was shown in
    for (std::int64_t k = 0; k < std::int64_t(periods.size()); ++k) {
      std::int64_t expected = k * fps.num / (25 * fps.den);  // the latest with pts <= k / 25
      EXPECT_EQ(frame_code(periods[k]), expected) << fps.num << "/" << fps.den << " period " << k;
      ++shown[expected];
    }
    std::uint64_t repeated = 0;
    for (auto [picture, times] : shown) repeated += times > 1;
    std::uint64_t skipped = static_cast<std::uint64_t>(shown.rbegin()->first + 1) - shown.size();
    EXPECT_NEAR(reader.stats().source_fps, av_q2d(fps), 1e-6);
    EXPECT_EQ(reader.stats().pictures_repeated, repeated) << fps.num;
    EXPECT_EQ(reader.stats().pictures_dropped, skipped) << fps.num;
  }
}

TEST(MediaReader, FollowsIrregularTimestamps) {
  // Odd pictures 15 ms late: period k shows picture k when k is even, k - 1 when it is odd.
  Edit edit;
  edit.odd_picture_delay_ms = 15;
  const fs::path file = remuxed(clip(lesson(2000)), edit);
  MediaReader reader(file, 0, false, plain_house());
  std::vector<HouseFrame> periods = read_periods(reader, 1000);
  ASSERT_GE(periods.size(), 49u);
  for (std::int64_t k = 0; k < 49; ++k)
    EXPECT_EQ(frame_code(periods[k]), k % 2 ? k - 1 : k) << "period " << k;
  EXPECT_GE(reader.stats().pictures_dropped, 24u);
  EXPECT_GE(reader.stats().pictures_repeated, 24u);
}

TEST(MediaReader, PillarboxesFourByThreeOnASixteenByNineChannel) {
  ClipSpec spec = lesson(1000);
  spec.sar_num = 16, spec.sar_den = 15;  // 720x576 4:3
  std::vector<HouseFrame> periods = read_periods(clip(spec), 0, plain_house(), 3);
  ASSERT_EQ(periods.size(), 3u);
  const AVFrame& picture = *periods[2].picture;
  // 4:3 in 16:9 at 720x576: 540 columns of picture, 90 black ones each side.
  for (int x : {0, 45, 89, 630, 675, 719}) EXPECT_TRUE(column_is_black(picture, x)) << x;
  for (int x : {90, 360, 629}) {
    EXPECT_FALSE(column_is_black(picture, x)) << x;
    EXPECT_GT(lit_in_column(picture, x), 576 / 2) << x;
  }
  for (int y : {0, 575}) EXPECT_GT(lit_in_row(picture, y), 500) << y;
}

TEST(MediaReader, LetterboxesSixteenByNineOnAFourByThreeChannel) {
  HouseFormat house = plain_house();
  house.sample_aspect = AVRational{16, 15};
  std::vector<HouseFrame> periods = read_periods(clip(lesson(1000)), 0, house, 3);
  ASSERT_EQ(periods.size(), 3u);
  const AVFrame& picture = *periods[2].picture;
  EXPECT_EQ(av_cmp_q(picture.sample_aspect_ratio, AVRational{16, 15}), 0);
  // 16:9 in 4:3 at 720x576: 432 rows of picture, 72 black ones above and below.
  for (int y : {0, 36, 71, 504, 540, 575}) EXPECT_TRUE(row_is_black(picture, y)) << y;
  for (int y : {72, 288, 503}) {
    EXPECT_FALSE(row_is_black(picture, y)) << y;
    EXPECT_GT(lit_in_row(picture, y), 720 / 2) << y;
  }
  for (int x : {0, 719}) EXPECT_GT(lit_in_column(picture, x), 400) << x;
}

TEST(MediaReader, ScalesHdAndSquarePixelSourcesToTheFullPicture) {
  ClipSpec hd = lesson(1000);
  hd.width = 1280, hd.height = 720, hd.sar_num = 1, hd.sar_den = 1, hd.fps_num = 30;
  hd.audio_codec = "aac";
  ClipSpec web = lesson(1000);
  web.width = 640, web.height = 360, web.sar_num = 1, web.sar_den = 1;
  for (const ClipSpec& spec : {hd, web}) {
    MediaReader reader(clip(spec), 0, false, plain_house());
    std::vector<HouseFrame> periods = read_periods(reader, 3);
    ASSERT_EQ(periods.size(), 3u);
    EXPECT_EQ(reader.stats().source_width, spec.width);
    EXPECT_EQ(reader.stats().source_height, spec.height);
    const AVFrame& picture = *periods[2].picture;
    EXPECT_EQ(picture.width, 720);
    EXPECT_EQ(picture.height, 576);
    for (int x : {0, 719}) EXPECT_GT(lit_in_column(picture, x), 400) << spec.width << " x " << x;
    for (int y : {0, 575}) EXPECT_GT(lit_in_row(picture, y), 500) << spec.width << " y " << y;
  }
}

TEST(MediaReader, ScalesToASmallHouseFormat) {
  HouseFormat house = plain_house();
  house.width = 128, house.height = 72, house.sample_aspect = AVRational{1, 1};
  std::vector<HouseFrame> periods = read_periods(clip(lesson(1000)), 0, house);
  ASSERT_EQ(periods.size(), 25u);
  const AVFrame& picture = *periods[0].picture;
  EXPECT_EQ(picture.width, 128);
  EXPECT_EQ(picture.height, 72);
  for (int x : {0, 127}) EXPECT_GT(lit_in_column(picture, x), 50) << x;
  for (int y : {0, 71}) EXPECT_GT(lit_in_row(picture, y), 100) << y;
}

TEST(MediaReader, DeinterlacesInterlacedSources) {
  ClipSpec h264 = lesson(1000);
  h264.interlaced = true;
  ClipSpec mpeg2 = h264;
  mpeg2.video_codec = "mpeg2video";
  for (const fs::path& file : {clip(h264, ".mp4"), clip(mpeg2, ".ts")}) {
    MediaReader reader(file, 0, false, plain_house());
    std::vector<HouseFrame> periods = read_periods(reader, 1000);
    EXPECT_TRUE(reader.stats().interlaced) << file;
    ASSERT_EQ(periods.size(), 25u) << file;
    for (std::int64_t k = 0; k < 25; ++k) EXPECT_EQ(frame_code(periods[k]), k) << file << " " << k;
    // yadif rebuilt some lines (the moving parts), and left the still parts as decoded.
    tools::av::FramePtr decoded = decode_picture(file, 10);
    ASSERT_NE(decoded, nullptr);
    const AVFrame& ours = *periods[10].picture;
    std::int64_t differing = 0, total_difference = 0;
    for (int y = 0; y < 576; ++y)
      for (int x = 0; x < 720; ++x) {
        int d = std::abs(int(pixel(ours, 0, x, y)) - int(pixel(*decoded, 0, x, y)));
        differing += d != 0;
        total_difference += d;
      }
    EXPECT_GT(differing, 0) << file;
    EXPECT_LT(double(total_difference) / (720 * 576), 2.0) << file;
  }
}

TEST(MediaReader, ProgressiveSourcesAtTheHouseSizeAreCopiedExactly) {
  const fs::path file = clip(lesson(1000));
  std::vector<HouseFrame> periods = read_periods(file, 0, plain_house(), 11);
  ASSERT_EQ(periods.size(), 11u);
  tools::av::FramePtr decoded = decode_picture(file, 10);
  ASSERT_NE(decoded, nullptr);
  for (int plane = 0; plane < 3; ++plane) {
    int width = plane ? 360 : 720, height = plane ? 288 : 576;
    for (int y = 0; y < height; ++y)
      ASSERT_EQ(
          std::memcmp(periods[10].picture->data[plane] + y * periods[10].picture->linesize[plane],
                      decoded->data[plane] + y * decoded->linesize[plane], width),
          0)
          << "plane " << plane << " row " << y;
  }
}

// ---- sound -----------------------------------------------------------------------------------

TEST(MediaReader, GivesEachPeriodItsExactSampleCount) {
  HouseFormat house = plain_house();
  house.sample_rate = 44'100, house.fps = 24;  // 1837 or 1838 samples, from a 48 kHz source
  MediaReader reader(clip(lesson(2000)), 0, false, house);
  std::vector<HouseFrame> periods = read_periods(reader, 1000);
  ASSERT_EQ(periods.size(), 48u);
  std::int64_t total = 0;
  for (const HouseFrame& frame : periods) {
    EXPECT_EQ(frame.sound->format, AV_SAMPLE_FMT_S16);
    EXPECT_EQ(frame.sound->sample_rate, 44'100);
    EXPECT_EQ(frame.sound->ch_layout.nb_channels, 2);
    EXPECT_EQ(frame.sound->nb_samples, house.samples_in_period(frame.index));
    total += frame.sound->nb_samples;
  }
  EXPECT_EQ(total, 2 * 44'100);
  for (std::size_t k = 1; k + 1 < periods.size(); ++k)
    EXPECT_GT(rms(samples_of(periods[k]), 0), 0.01);
}

TEST(MediaReader, UpmixesMonoAndResamples44k1) {
  ClipSpec spec = lesson(2000);
  spec.width = 640, spec.height = 360, spec.sar_num = 1, spec.sar_den = 1;
  spec.audio_codec = "aac", spec.sample_rate = 44'100, spec.channels = 1;
  MediaReader reader(clip(spec), 0, false, plain_house());
  std::vector<HouseFrame> periods = read_periods(reader, 1000);
  ASSERT_EQ(periods.size(), 50u);
  EXPECT_EQ(reader.stats().source_sample_rate, 44'100);
  EXPECT_EQ(reader.stats().source_channels, 1);
  for (std::size_t k = 1; k + 1 < periods.size(); ++k) {
    std::vector<std::int16_t> s = samples_of(periods[k]);
    ASSERT_EQ(s.size(), 2u * 1920);
    EXPECT_GT(rms(s, 0), 0.01) << k;
    EXPECT_GT(rms(s, 1), 0.01) << k;
    for (std::size_t i = 0; i < s.size(); i += 2) ASSERT_EQ(s[i], s[i + 1]) << k << " " << i;
  }
}

TEST(MediaReader, SourceWithoutAudioGivesSilence) {
  ClipSpec spec = lesson(1000);
  spec.audio_codec.clear();
  HouseFormat house;  // loudness correction on: nothing to measure
  MediaReader reader(clip(spec), 0, false, house);
  std::vector<HouseFrame> periods = read_periods(reader, 1000);
  ASSERT_EQ(periods.size(), 25u);
  EXPECT_FALSE(reader.stats().has_audio);
  EXPECT_FALSE(reader.stats().measured_lufs);
  for (const HouseFrame& frame : periods) {
    EXPECT_EQ(frame.sound->nb_samples, 1920);
    EXPECT_TRUE(silent(frame));
  }
}

TEST(MediaReader, SoundFollowsTheMediaTimeAfterASeek) {
  const fs::path file = clip(lesson(3000));
  std::vector<HouseFrame> from_start = read_periods(file, 0, plain_house(), 60);
  std::vector<HouseFrame> from_two_s = read_periods(file, 2000, plain_house(), 5);
  ASSERT_EQ(from_start.size(), 60u);
  ASSERT_EQ(from_two_s.size(), 5u);
  // Skip the first 12 ms: the MP2 synthesis filter starts afresh after the seek.
  for (auto [a, b] : {std::pair{50, 0}, std::pair{52, 2}}) {
    Alignment alignment = align(from_start[a], from_two_s[b], b ? 0 : 576);
    EXPECT_EQ(alignment.lag, 0) << a;
    EXPECT_LT(alignment.difference, 0.01) << a;
  }
  EXPECT_GT(align(from_start[51], from_two_s[0], 576, 0).difference, 0.1);  // the test can tell
}

TEST(MediaReader, PadsLateAndEarlyEndingSoundWithSilence) {
  Edit edit;  // sound only from 1 s to 2 s of a 3 s clip
  edit.audio_from_ms = 1000, edit.audio_to_ms = 2000;
  std::vector<HouseFrame> periods =
      read_periods(remuxed(clip(lesson(3000)), edit), 0, plain_house());
  ASSERT_EQ(periods.size(), 75u);
  std::int64_t total = 0;
  for (std::int64_t k = 0; k < 75; ++k) {
    total += periods[k].sound->nb_samples;
    if (k < 25 || k > 50) {
      EXPECT_TRUE(silent(periods[k])) << k;
    } else if (k > 25 && k < 49) {
      EXPECT_GT(rms(samples_of(periods[k]), 0), 0.01) << k;
    }
  }
  EXPECT_EQ(total, 3 * 48'000);
  // What plays is at its own time: period 30 sounds as it does in the untouched clip, within
  // the sample the Matroska remux's millisecond timestamps can move it.
  std::vector<HouseFrame> original = read_periods(clip(lesson(3000)), 0, plain_house(), 31);
  Alignment alignment = align(original[30], periods[30], 0);
  EXPECT_LE(std::abs(alignment.lag), 1);
  EXPECT_LT(alignment.difference, 0.01);
}

TEST(MediaReader, TrimsSoundThatStartsBeforeThePicture) {
  Edit edit;  // the pictures start 0.5 s after the sound: media time 0 is the first picture
  edit.video_offset_ms = 500;
  std::vector<HouseFrame> shifted =
      read_periods(remuxed(clip(lesson(3000)), edit), 0, plain_house(), 12);
  std::vector<HouseFrame> original = read_periods(clip(lesson(3000)), 500, plain_house(), 12);
  ASSERT_EQ(shifted.size(), 12u);
  ASSERT_EQ(original.size(), 12u);
  EXPECT_EQ(frame_code(shifted[0]), 0);
  for (int k : {0, 5, 11}) {  // within a sample (millisecond timestamps in the remux)
    Alignment alignment = align(original[k], shifted[k], k ? 0 : 576);
    EXPECT_LE(std::abs(alignment.lag), 1) << k;
    EXPECT_LT(alignment.difference, 0.01) << k;
  }
}

TEST(MediaReader, CorrectsLoudnessToTheTarget) {
  ClipSpec mono = lesson(3000);
  mono.audio_codec = "aac", mono.sample_rate = 44'100, mono.channels = 1;
  for (const fs::path& file : {clip(lesson(3000)), clip(mono)}) {
    MediaReader as_is(file, 0, false, plain_house());
    double source_lufs = ebur128_lufs(all_sound(read_periods(as_is, 1000)), 48'000, 2);
    for (double target : {-23.0, -12.0}) {
      HouseFormat house;
      house.loudness_target_lufs = target;
      MediaReader reader(file, 0, false, house);
      std::vector<HouseFrame> periods = read_periods(reader, 1000);
      ASSERT_TRUE(reader.stats().measured_lufs) << file;
      EXPECT_NEAR(*reader.stats().measured_lufs, source_lufs, 0.5) << file;
      EXPECT_NEAR(reader.stats().gain_db, target - *reader.stats().measured_lufs, 1e-9);
      EXPECT_NEAR(ebur128_lufs(all_sound(periods), 48'000, 2), target, 1.0)
          << file << " target " << target;
    }
    HouseFormat whisper;  // more than 20 dB away: the gain stops at -20 dB
    whisper.loudness_target_lufs = -60;
    EXPECT_EQ(MediaReader(file, 0, false, whisper).stats().gain_db, -20.0);
  }
}

// ---- looping ---------------------------------------------------------------------------------

TEST(MediaReader, LoopsBackToTheStart) {
  const fs::path file = clip(lesson(1000));
  MediaReader reader(file, 600, true, plain_house());
  std::vector<HouseFrame> periods = read_periods(reader, 70);
  ASSERT_EQ(periods.size(), 70u);
  for (std::int64_t k = 0; k < 70; ++k) {
    std::int64_t source = k < 10 ? 15 + k : (k - 10) % 25;  // from 0.6 s, then 1 s loops
    EXPECT_EQ(frame_code(periods[k]), source) << k;
    EXPECT_EQ(periods[k].media_ms, source * 40) << k;
    EXPECT_EQ(periods[k].index, k);
  }
  EXPECT_EQ(reader.stats().loops, 3u);

  MediaReader once(file, 600, false, plain_house());
  EXPECT_EQ(read_periods(once, 1000).size(), 10u);
  HouseFrame frame;
  EXPECT_FALSE(once.next(frame));  // and stays ended
  EXPECT_EQ(once.stats().loops, 0u);
}

TEST(MediaReader, LoopsWithoutDrift) {
  // A 1 s clip at 25 fps and 48 kHz on a 24 fps, 44.1 kHz channel: 24 periods a loop, periods
  // of 1837 and 1838 samples. Every loop must sound and look the same, and add up exactly.
  ClipSpec spec = lesson(1000);
  spec.width = 128, spec.height = 72, spec.sar_num = 1, spec.sar_den = 1;
  HouseFormat house = plain_house();
  house.width = 128, house.height = 72, house.sample_aspect = AVRational{1, 1};
  house.fps = 24, house.sample_rate = 44'100;
  MediaReader reader(clip(spec), 0, true, house);
  const std::int64_t periods = 24 * 400;  // 400 loops
  std::vector<std::vector<std::int16_t>> first_loop;
  std::int64_t total = 0;
  HouseFrame frame;
  for (std::int64_t k = 0; k < periods; ++k) {
    ASSERT_TRUE(reader.next(frame));
    ASSERT_EQ(frame.sound->nb_samples, house.samples_in_period(k)) << k;
    total += frame.sound->nb_samples;
    std::int64_t in_loop = k % 24;
    if (k < 24) first_loop.push_back(samples_of(frame));
    if (k % 997 == 0 || k >= periods - 24) {
      ASSERT_EQ(frame_code(frame), in_loop * 25 / 24) << k;
      ASSERT_EQ(samples_of(frame), first_loop[in_loop]) << k;
    }
  }
  EXPECT_EQ(total, periods * 44'100 / 24);
  EXPECT_EQ(reader.stats().loops, 399u);
}

// ---- errors ----------------------------------------------------------------------------------

TEST(MediaReader, RefusesWhatCannotBeOpened) {
  fs::create_directories(kDir);
  expect_error(kDir / "no-such-lesson.mp4", MediaError::Kind::open, "no such file");
  const fs::path text = kDir / "notes.mp4";
  std::ofstream(text) << "这不是一个视频文件。 This is not a video file.\n";
  expect_error(text, MediaError::Kind::open, "cannot open it as media");
  expect_error(kDir, MediaError::Kind::open, "folder");
  Edit audio_only;
  audio_only.drop_video = true;
  expect_error(remuxed(clip(lesson(1000)), audio_only, ".mka"), MediaError::Kind::open,
               "no video stream");
}

TEST(MediaReader, CorruptClipFails) {
  ClipSpec spec = lesson(3000);
  spec.damage = ClipSpec::Damage::corrupt;
  const fs::path file = clip(spec);
  try {
    MediaReader reader(file, 0, false, HouseFormat{});
    read_periods(reader, 100'000);
    ADD_FAILURE() << "the corrupt clip played through";
  } catch (const MediaError& e) {
    EXPECT_NE(e.kind, MediaError::Kind::ended_early) << e.what();
    EXPECT_TRUE(std::string(e.what()).starts_with(file.string())) << e.what();
  }
}

TEST(MediaReader, DamageInTheMiddleIsADecodeErrorNamingStreamAndTime) {
  const fs::path file = damaged_in_the_middle(clip(lesson(3000)));
  MediaReader reader(file, 0, false, plain_house());
  std::size_t played = 0;
  try {
    HouseFrame frame;
    while (reader.next(frame)) ++played;
    ADD_FAILURE() << "the damage went unnoticed";
  } catch (const MediaError& e) {
    EXPECT_EQ(e.kind, MediaError::Kind::decode) << e.what();
    std::string message = e.what();
    EXPECT_TRUE(message.starts_with(file.string())) << message;
    EXPECT_NE(message.find("stream #"), std::string::npos) << message;
    EXPECT_NE(message.find("media time 00:00:0"), std::string::npos) << message;
    HouseFrame frame;
    EXPECT_THROW(reader.next(frame), MediaError);  // unusable after a throw
  }
  EXPECT_GT(played, 10u);  // the part before the damage played
}

TEST(MediaReader, TruncatedClipPlaysItsFirstPartThenEnds) {
  ClipSpec spec = lesson(3000);
  spec.damage = ClipSpec::Damage::truncated;
  const fs::path file = clip(spec);
  MediaReader reader(file, 0, false, HouseFormat{});
  std::size_t played = 0;
  try {
    HouseFrame frame;
    while (reader.next(frame)) ++played;
  } catch (const MediaError& e) {
    EXPECT_EQ(e.kind, MediaError::Kind::decode) << e.what();
  }
  EXPECT_GT(played, 10u);
  EXPECT_LT(played, 60u);  // the container claims 75 periods
}

}  // namespace
}  // namespace skyclass::headend

#include "scheduler/media_probe.hpp"

#include <fstream>
#include <memory>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
}

namespace skyclass::scheduler {
namespace {

struct InputCloser {
  void operator()(AVFormatContext* ctx) const { avformat_close_input(&ctx); }
};
struct CodecFreer {
  void operator()(AVCodecContext* ctx) const { avcodec_free_context(&ctx); }
};
struct PacketFreer {
  void operator()(AVPacket* p) const { av_packet_free(&p); }
};
struct FrameFreer {
  void operator()(AVFrame* f) const { av_frame_free(&f); }
};

std::string av_error(int code) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  av_strerror(code, text, sizeof text);
  return text;
}

std::int64_t to_ms(std::int64_t value, AVRational time_base) {
  return av_rescale_q(value, time_base, AVRational{1, 1000});
}

// MP4 files tag every MPEG-1 audio layer as "mp3" (object type 0x6B); the frame header says
// which layer it really is (ISO/IEC 11172-3 2.4.1.3: layer bits '10' = Layer II).
void correct_mpeg_audio_layer(const AVPacket& packet, MediaFacts& facts) {
  if (!facts.audio || facts.audio->codec != "mp3" || packet.size < 4) return;
  const std::uint8_t* h = packet.data;
  bool sync = h[0] == 0xFF && (h[1] & 0xE0) == 0xE0;
  int layer_bits = (h[1] >> 1) & 0x3;
  if (sync && layer_bits == 0x2) facts.audio->codec = "mp2";
  if (sync && layer_bits == 0x3) facts.audio->codec = "mp1";
}

// Decodes until the first picture of `stream`: proves the file is playable, not just parsable.
std::optional<std::string> decode_first_picture(AVFormatContext* format, int stream, int audio,
                                                MediaFacts& facts) {
  const AVCodecParameters* par = format->streams[stream]->codecpar;
  const AVCodec* codec = avcodec_find_decoder(par->codec_id);
  if (!codec) return fmt::format("no decoder for video codec '{}'", avcodec_get_name(par->codec_id));
  std::unique_ptr<AVCodecContext, CodecFreer> ctx(avcodec_alloc_context3(codec));
  avcodec_parameters_to_context(ctx.get(), par);
  ctx->thread_count = 1;
  if (int rc = avcodec_open2(ctx.get(), codec, nullptr); rc < 0)
    return fmt::format("cannot open the video decoder: {}", av_error(rc));
  std::unique_ptr<AVPacket, PacketFreer> packet(av_packet_alloc());
  std::unique_ptr<AVFrame, FrameFreer> frame(av_frame_alloc());
  for (int packets = 0; packets < 500; ++packets) {
    int rc = av_read_frame(format, packet.get());
    if (rc < 0) break;
    bool ours = packet->stream_index == stream;
    if (packet->stream_index == audio) {
      correct_mpeg_audio_layer(*packet, facts);
      audio = -1;  // the first audio frame is enough
    }
    if (ours) avcodec_send_packet(ctx.get(), packet.get());
    av_packet_unref(packet.get());
    if (ours && avcodec_receive_frame(ctx.get(), frame.get()) == 0) return std::nullopt;
  }
  avcodec_send_packet(ctx.get(), nullptr);
  if (avcodec_receive_frame(ctx.get(), frame.get()) == 0) return std::nullopt;
  return std::string("no picture could be decoded from the first packets");
}

void fill_stream_facts(const AVFormatContext* format, int video, int audio, MediaFacts& facts) {
  if (video >= 0) {
    const AVStream* s = format->streams[video];
    const AVCodecParameters* par = s->codecpar;
    VideoFacts v;
    v.codec = avcodec_get_name(par->codec_id);
    v.width = par->width;
    v.height = par->height;
    AVRational fps = s->avg_frame_rate.num ? s->avg_frame_rate : s->r_frame_rate;
    v.fps_num = fps.num;
    v.fps_den = fps.den ? fps.den : 1;
    AVRational sar = par->sample_aspect_ratio.num ? par->sample_aspect_ratio : AVRational{1, 1};
    v.sar_num = sar.num;
    v.sar_den = sar.den;
    v.interlaced = par->field_order != AV_FIELD_PROGRESSIVE && par->field_order != AV_FIELD_UNKNOWN;
    facts.video = v;
  }
  if (audio >= 0) {
    const AVCodecParameters* par = format->streams[audio]->codecpar;
    facts.audio = AudioFacts{avcodec_get_name(par->codec_id), par->sample_rate,
                             par->ch_layout.nb_channels};
  }
}

std::int64_t media_duration_ms(const AVFormatContext* format, int video) {
  const AVStream* s = format->streams[video];
  if (s->duration != AV_NOPTS_VALUE && s->duration > 0) return to_ms(s->duration, s->time_base);
  if (format->duration != AV_NOPTS_VALUE && format->duration > 0)
    return to_ms(format->duration, AV_TIME_BASE_Q);
  return 0;
}

std::int64_t mtime_ns(const std::filesystem::path& file, std::error_code& ec) {
  auto time = std::filesystem::last_write_time(file, ec);
  return std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
}

}  // namespace

void to_json(nlohmann::json& j, const MediaFacts& f) {
  j = nlohmann::json{{"readable", f.readable}, {"duration_ms", f.duration_ms}, {"format", f.format}};
  if (!f.error.empty()) j["error"] = f.error;
  if (f.video) {
    const VideoFacts& v = *f.video;
    j["video"] = {{"codec", v.codec}, {"width", v.width}, {"height", v.height},
                  {"fps", fmt::format("{}/{}", v.fps_num, v.fps_den)},
                  {"sar", fmt::format("{}:{}", v.sar_num, v.sar_den)},
                  {"interlaced", v.interlaced}};
  }
  if (f.audio) {
    j["audio"] = {{"codec", f.audio->codec}, {"sample_rate", f.audio->sample_rate},
                  {"channels", f.audio->channels}};
  }
}

void from_json(const nlohmann::json& j, MediaFacts& f) {
  f.readable = j.at("readable").get<bool>();
  f.duration_ms = j.at("duration_ms").get<std::int64_t>();
  f.format = j.value("format", "");
  f.error = j.value("error", "");
  if (j.contains("video")) {
    const auto& jv = j["video"];
    VideoFacts v;
    v.codec = jv.at("codec").get<std::string>();
    v.width = jv.at("width").get<int>();
    v.height = jv.at("height").get<int>();
    std::sscanf(jv.at("fps").get<std::string>().c_str(), "%d/%d", &v.fps_num, &v.fps_den);
    std::sscanf(jv.at("sar").get<std::string>().c_str(), "%d:%d", &v.sar_num, &v.sar_den);
    v.interlaced = jv.value("interlaced", false);
    f.video = v;
  }
  if (j.contains("audio")) {
    const auto& ja = j["audio"];
    f.audio = AudioFacts{ja.at("codec").get<std::string>(), ja.at("sample_rate").get<int>(),
                         ja.at("channels").get<int>()};
  }
}

MediaFacts probe_media_file(const std::filesystem::path& file) {
  MediaFacts facts;
  av_log_set_level(AV_LOG_QUIET);
  AVFormatContext* raw = nullptr;
  if (int rc = avformat_open_input(&raw, file.c_str(), nullptr, nullptr); rc < 0) {
    facts.error = fmt::format("cannot open: {}", av_error(rc));
    return facts;
  }
  std::unique_ptr<AVFormatContext, InputCloser> format(raw);
  if (int rc = avformat_find_stream_info(format.get(), nullptr); rc < 0) {
    facts.error = fmt::format("cannot read stream info: {}", av_error(rc));
    return facts;
  }
  facts.format = format->iformat->name;
  int video = av_find_best_stream(format.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  int audio = av_find_best_stream(format.get(), AVMEDIA_TYPE_AUDIO, -1, -1, nullptr, 0);
  fill_stream_facts(format.get(), video, audio, facts);
  if (video < 0) {
    facts.error = "no video stream";
    return facts;
  }
  facts.duration_ms = media_duration_ms(format.get(), video);
  if (facts.duration_ms <= 0) {
    facts.error = "the duration is unknown or zero";
    return facts;
  }
  if (auto problem = decode_first_picture(format.get(), video, audio, facts)) {
    facts.error = *problem;
    return facts;
  }
  facts.readable = true;
  return facts;
}

MediaProbe::MediaProbe(std::filesystem::path library_dir, std::filesystem::path cache_file)
    : library_dir_(std::move(library_dir)), cache_file_(std::move(cache_file)) {
  load();
}

void MediaProbe::load() {
  if (cache_file_.empty()) return;
  std::ifstream in(cache_file_);
  if (!in) return;
  try {
    nlohmann::json j = nlohmann::json::parse(in);
    for (const auto& [path, e] : j.at("files").items()) {
      entries_[path] = Entry{e.at("mtime_ns").get<std::int64_t>(),
                             e.at("size").get<std::uintmax_t>(),
                             e.at("facts").get<MediaFacts>()};
    }
  } catch (const std::exception&) {
    entries_.clear();  // a damaged cache only costs a re-probe
  }
}

MediaFacts MediaProbe::probe(const std::string& relative_path) {
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(relative_path);
    if (it != entries_.end() && it->second.checked_this_run) return it->second.facts;
  }
  std::filesystem::path file = library_dir_ / relative_path;
  std::error_code ec;
  auto size = std::filesystem::file_size(file, ec);
  std::int64_t mtime = ec ? 0 : mtime_ns(file, ec);
  if (ec) {
    MediaFacts missing;
    missing.error = fmt::format("missing: {} does not exist", file.string());
    return missing;
  }
  {
    std::lock_guard lock(mutex_);
    auto it = entries_.find(relative_path);
    if (it != entries_.end() && it->second.mtime_ns == mtime && it->second.size == size) {
      ++cache_hits_;
      it->second.checked_this_run = true;
      return it->second.facts;
    }
  }
  MediaFacts facts = probe_media_file(file);
  std::lock_guard lock(mutex_);
  entries_[relative_path] = Entry{mtime, size, facts, true};
  dirty_ = true;
  ++probes_run_;
  return facts;
}

void MediaProbe::save() const {
  std::lock_guard lock(mutex_);
  if (cache_file_.empty() || !dirty_) return;
  nlohmann::json files = nlohmann::json::object();
  for (const auto& [path, e] : entries_)
    files[path] = {{"mtime_ns", e.mtime_ns}, {"size", e.size}, {"facts", e.facts}};
  nlohmann::json j = {{"version", 1}, {"files", files}};
  // The cache is an optimisation: failing to write it costs a re-probe next time, nothing more.
  std::error_code ec;
  if (cache_file_.has_parent_path()) std::filesystem::create_directories(cache_file_.parent_path(), ec);
  auto temp = cache_file_;
  temp += ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << j.dump(1) << "\n";
    if (!out) return;
  }
  std::filesystem::rename(temp, cache_file_, ec);
}

}  // namespace skyclass::scheduler

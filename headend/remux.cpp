#include "headend/remux.hpp"

#include <array>
#include <deque>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <tuple>

#include <fmt/format.h>

#include "headend/channel_si.hpp"
#include "headend/es_input.hpp"
#include "headend/ts_file_writer.hpp"
#include "mux/multiplexer.hpp"
#include "mux/si_generator.hpp"
#include "mux/ts_packet.hpp"

namespace skyclass::headend {
namespace {

constexpr std::size_t kPullPackets = 1024;  // 192 KB per write
// Packets held to interleave the two streams by DTS. A file that interleaves worse than this
// still remuxes (the multiplexer holds what it needs), it only stops being reordered here.
constexpr std::size_t kMaxQueuedPackets = 512;

struct Pending {
  av::PacketPtr packet;
  Timestamps90k times;
};

// The remux of one file: input streams, converters, multiplexer and output, wired together.
class Remuxer {
 public:
  Remuxer(const RemuxOptions& options, AVFormatContext& input, const SelectedStreams& streams,
          const MuxSetup& setup, RemuxResult& result)
      : options_(options),
        input_(input),
        result_(result),
        si_(make_si(setup, options)),
        mux_(make_mux(setup, options, si_)),
        converters_{EsConverter(*input.streams[streams.video.index], streams.video),
                    EsConverter(*input.streams[streams.audio.index], streams.audio)},
        pids_{setup.mux.streams[0].pid, setup.mux.streams[1].pid},
        out_(options.output),
        buffer_(kPullPackets * mux::kTsPacketSize) {}

  void run() {
    read_and_push();
    while (!queues_[0].empty() || !queues_[1].empty()) push_earliest();
    mux_.flush();
    while (!mux_.finished()) {
      if (drain() == 0 && !mux_.finished()) {
        throw std::logic_error(fmt::format("{}: the multiplexer stalled after the end of input",
                                           options_.input.string()));
      }
    }
    if (filled_ > 0) out_.write(std::span(buffer_).first(filled_));
    out_.commit();
    result_.ts_packets = mux_.packets_written();
    result_.required_bitrate_bps = mux_.required_bitrate_bps();
    result_.video.access_units = converters_[0].access_units();
    result_.audio.access_units = converters_[1].access_units();
    result_.rejected_events = si_.rejected_events();
  }

 private:
  static mux::SiGenerator make_si(const MuxSetup& setup, const RemuxOptions& o) {
    try {
      return mux::SiGenerator(setup.si, o.start_utc_s, o.events);
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(fmt::format("{}: PSI/SI: {}", config_name(o), e.what()));
    }
  }
  static mux::Multiplexer make_mux(const MuxSetup& setup, const RemuxOptions& o,
                                   mux::SiGenerator& si) {
    try {
      return mux::Multiplexer(setup.mux, &si);
    } catch (const mux::MuxError& e) {
      throw std::runtime_error(fmt::format("{}: cannot remux at {} bit/s: {}", o.input.string(),
                                           setup.mux.muxrate_bps, e.what()));
    }
  }
  static std::string config_name(const RemuxOptions& o) {
    return o.channel.file.empty() ? std::string("channel config (defaults)")
                                  : o.channel.file.string();
  }

  void read_and_push() {
    av::PacketPtr packet = av::make_packet();
    for (;;) {
      const int ret = av_read_frame(&input_, packet.get());
      if (ret == AVERROR_EOF) return;
      if (ret < 0) {
        throw std::runtime_error(fmt::format(
            "{}: reading failed after {} access units: {}", options_.input.string(),
            converters_[0].access_units() + converters_[1].access_units(), av::av_error(ret)));
      }
      const int which = packet->stream_index == converters_[0].input().index   ? 0
                        : packet->stream_index == converters_[1].input().index ? 1
                                                                               : -1;
      if (which < 0 || packet->size <= 0) {
        av_packet_unref(packet.get());
        continue;
      }
      Pending pending{take_packet(), converters_[which].timestamps(*packet)};
      av_packet_move_ref(pending.packet.get(), packet.get());
      queues_[which].push_back(std::move(pending));
      while ((!queues_[0].empty() && !queues_[1].empty()) ||
             queues_[0].size() + queues_[1].size() > kMaxQueuedPackets) {
        push_earliest();
      }
    }
  }

  // Pushes the queued access unit with the earliest DTS (video first on a tie).
  void push_earliest() {
    const bool video = !queues_[0].empty() &&
                       (queues_[1].empty() ||
                        queues_[0].front().times.dts_90k <= queues_[1].front().times.dts_90k);
    const int which = video ? 0 : 1;
    Pending pending = std::move(queues_[which].front());
    queues_[which].pop_front();
    EsConverter& converter = converters_[which];
    const ConvertedAccessUnit au = converter.convert(*pending.packet, pending.times);
    RemuxStreamFigures& figures = video ? result_.video : result_.audio;
    figures.inserted += au.inserted_aud || au.inserted_adts;
    try {
      mux_.push(
          mux::AccessUnit{pids_[which], au.data, au.pts_90k, au.dts_90k, au.key_frame, false});
    } catch (const mux::MuxError& e) {
      throw std::runtime_error(fmt::format("{}: {}", converter.input().where, e.what()));
    }
    give_back(std::move(pending.packet));
    drain();
  }

  // Pulls every packet the multiplexer can decide now; returns how many bytes it gave.
  std::size_t drain() {
    std::size_t total = 0;
    for (;;) {
      std::size_t n = 0;
      try {
        n = mux_.pull(std::span(buffer_).subspan(filled_));
      } catch (const mux::MuxError& e) {
        throw std::runtime_error(fmt::format("{}: {}", options_.input.string(), e.what()));
      }
      if (n == 0) return total;
      total += n;
      filled_ += n;
      if (filled_ == buffer_.size()) {
        out_.write(buffer_);
        filled_ = 0;
      }
    }
  }

  av::PacketPtr take_packet() {
    if (spare_packets_.empty()) return av::make_packet();
    av::PacketPtr packet = std::move(spare_packets_.back());
    spare_packets_.pop_back();
    return packet;
  }
  void give_back(av::PacketPtr packet) {
    av_packet_unref(packet.get());
    spare_packets_.push_back(std::move(packet));
  }

  const RemuxOptions& options_;
  AVFormatContext& input_;
  RemuxResult& result_;
  mux::SiGenerator si_;
  mux::Multiplexer mux_;
  std::array<EsConverter, 2> converters_;  // video, audio
  std::array<std::uint16_t, 2> pids_;
  std::array<std::deque<Pending>, 2> queues_;
  std::vector<av::PacketPtr> spare_packets_;
  TsFileWriter out_;
  Bytes buffer_;
  std::size_t filled_ = 0;
};

int video_level(const AVCodecParameters& p, const scheduler::ChannelConfig& channel) {
  return p.level > 0 ? p.level : h264_level_idc(channel);
}

}  // namespace

RemuxResult remux(const RemuxOptions& o) {
  RemuxResult result;
  result.muxrate_bps = o.muxrate_bps != 0 ? o.muxrate_bps : o.channel.muxrate_bps;
  av::InputFormatPtr input = open_input(o.input);
  const SelectedStreams streams = select_streams(*input, o.input);
  const AVCodecParameters& vpar = *input->streams[streams.video.index]->codecpar;
  const AVCodecParameters& apar = *input->streams[streams.audio.index]->codecpar;

  ServiceStream video{mux::StreamKind::h264,
                      streams.video.stream_type,
                      o.channel.video_pid,
                      0,
                      video_level(vpar, o.channel),
                      2,
                      ""};
  ServiceStream audio{streams.audio.kind,
                      streams.audio.stream_type,
                      o.channel.audio_pid,
                      0,
                      30,
                      apar.ch_layout.nb_channels > 0 ? apar.ch_layout.nb_channels : 2,
                      o.channel.language};
  if (o.es_rates == EsRateSource::scan) {
    const PeakRates peak =
        scan_peak_rates(*input, streams, o.input, mux::MultiplexerConfig{}.mux_delay_90k);
    video.max_bitrate_bps = peak.video_bps;
    audio.max_bitrate_bps = peak.audio_bps;
    result.rates_from_index = peak.from_index;
  } else {
    video.max_bitrate_bps = o.channel.video.bitrate_bps;
    audio.max_bitrate_bps = o.channel.audio.bitrate_bps;
  }
  const MuxSetup setup = make_mux_setup(o.channel, result.muxrate_bps, video, audio);

  for (auto [figures, stream, service] : {std::tuple{&result.video, &streams.video, &video},
                                          std::tuple{&result.audio, &streams.audio, &audio}}) {
    figures->input_index = stream->index;
    figures->codec = stream->codec;
    figures->pid = service->pid;
    figures->stream_type = service->stream_type;
    figures->max_bitrate_bps = service->max_bitrate_bps;
  }
  Remuxer remuxer(o, *input, streams, setup, result);
  remuxer.run();

  result.output_bytes = result.ts_packets * mux::kTsPacketSize;
  result.duration_s =
      static_cast<double>(result.output_bytes) * 8.0 / static_cast<double>(result.muxrate_bps);
  std::error_code ec;
  const auto input_bytes = std::filesystem::file_size(o.input, ec);
  result.input_bytes = ec ? 0 : input_bytes;
  result.epg_events = o.events.size() - result.rejected_events;
  return result;
}

}  // namespace skyclass::headend

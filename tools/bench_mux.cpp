// skyclass-bench-mux: the multiplexer against its peer, measured in one process (tools/bench mux).
//
//   skyclass-bench-mux make-input OUT.mp4 [--seconds N]   a 720x576 25p H.264 + MP2 lesson clip
//   skyclass-bench-mux compare IN [--runs N] [--muxrate BPS]
//       demuxes IN once into AVPackets, then muxes the same packets N times each with
//       (a) libavformat's mpegts muxer (muxrate=BPS, h264_mp4toannexb inserted by the muxer,
//           output to an AVIOContext whose write callback discards) and
//       (b) skyclass::mux (EsConverter: avcC to Annex B by h264_mp4toannexb's rules + AUD, then
//           Multiplexer + SiGenerator, output pulled into a buffer that is discarded; the channel
//           configuration is turned into mux settings once, outside the timing),
//       alternating a and b, and prints the best CPU time of each and the ratio. For perf,
//       --only skyclass|libavformat runs one side alone, --only converter the EsConverters of
//       (b) alone, --only mux the mux of (b) on access units converted beforehand.
//   skyclass-bench-mux dump IN OUT.ts [--muxrate BPS]
//       writes what (b) produces for IN to OUT.ts, to check that an optimisation keeps the bytes.
//   skyclass-bench-mux dump-core OUT.ts
//       writes one mux of core's synthetic access units to OUT.ts, for the same check.
//   skyclass-bench-mux core [Google Benchmark flags]
//       the bare multiplexer (PES, PSI/SI, CBR, PCR, T-STD) on synthetic 1.8 Mbit/s H.264 and
//       192 kbit/s MP2 access units at 2.5 Mbit/s: TS bytes per second on one core.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>
#include <fmt/format.h>

extern "C" {
#include <libavutil/opt.h>
}

#include "headend/av_raii.hpp"
#include "headend/channel_si.hpp"
#include "headend/es_input.hpp"
#include "mux/multiplexer.hpp"
#include "mux/si_generator.hpp"
#include "mux/tables/pmt.hpp"
#include "mux/ts_packet.hpp"
#include "tools/samples/clip.hpp"

namespace fs = std::filesystem;
using namespace skyclass;

namespace {

constexpr std::int64_t kStartUtcS = 1'581'897'600;  // 2020-02-17T00:00:00Z

double cpu_seconds() {
  timespec t{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) * 1e-9;
}

// ---- the input, demuxed once -----------------------------------------------------------------

struct Input {
  headend::av::InputFormatPtr format;
  headend::SelectedStreams streams;
  std::vector<headend::av::PacketPtr> packets;  // the two selected streams, in file order
  std::uint64_t es_bytes = 0;
  double duration_s = 0;
};

Input demux(const fs::path& file) {
  Input in;
  in.format = headend::open_input(file);
  in.streams = headend::select_streams(*in.format, file);
  headend::av::PacketPtr packet = headend::av::make_packet();
  std::int64_t first = std::numeric_limits<std::int64_t>::max(), last = 0;
  while (av_read_frame(in.format.get(), packet.get()) >= 0) {
    const int index = packet->stream_index;
    if (index == in.streams.video.index || index == in.streams.audio.index) {
      const AVRational tb = in.format->streams[index]->time_base;
      const std::int64_t t = av_rescale_q(packet->dts, tb, AVRational{1, 1000});
      first = std::min(first, t);
      last = std::max(last, t + av_rescale_q(packet->duration, tb, AVRational{1, 1000}));
      in.es_bytes += static_cast<std::uint64_t>(packet->size);
      in.packets.push_back(headend::av::make_packet());
      av_packet_move_ref(in.packets.back().get(), packet.get());
    }
    av_packet_unref(packet.get());
  }
  in.duration_s = static_cast<double>(last - first) / 1000.0;
  return in;
}

// ---- (a) libavformat's mpegts muxer ------------------------------------------------------------

int discard_write(void* opaque, std::uint8_t*, int size) {
  *static_cast<std::uint64_t*>(opaque) += static_cast<std::uint64_t>(size);
  return size;
}

void check(int ret, const char* what) {
  if (ret < 0) throw std::runtime_error(fmt::format("{}: {}", what, headend::av::av_error(ret)));
}

std::uint64_t mux_with_libavformat(const Input& in, std::uint64_t muxrate_bps) {
  std::uint64_t bytes = 0;
  AVFormatContext* raw = nullptr;
  check(avformat_alloc_output_context2(&raw, nullptr, "mpegts", nullptr), "mpegts muxer");
  headend::av::OutputFormatPtr out(raw);
  constexpr int kIoBuffer = 64 * 1024;
  auto* buffer = static_cast<std::uint8_t*>(av_malloc(kIoBuffer));
  headend::av::IoContextPtr io(
      avio_alloc_context(buffer, kIoBuffer, 1, &bytes, nullptr, discard_write, nullptr));
  out->pb = io.get();
  out->flags |= AVFMT_FLAG_CUSTOM_IO;
  int map[2] = {in.streams.video.index, in.streams.audio.index};
  for (int index : map) {
    AVStream* st = avformat_new_stream(out.get(), nullptr);
    check(avcodec_parameters_copy(st->codecpar, in.format->streams[index]->codecpar), "parameters");
    st->codecpar->codec_tag = 0;
    st->time_base = in.format->streams[index]->time_base;
  }
  AVDictionary* options = nullptr;
  av_dict_set(&options, "muxrate", std::to_string(muxrate_bps).c_str(), 0);
  const int ret = avformat_write_header(out.get(), &options);
  av_dict_free(&options);
  check(ret, "avformat_write_header");
  headend::av::PacketPtr packet = headend::av::make_packet();
  for (const auto& source : in.packets) {
    check(av_packet_ref(packet.get(), source.get()), "av_packet_ref");
    const int out_index = source->stream_index == map[0] ? 0 : 1;
    packet->stream_index = out_index;
    av_packet_rescale_ts(packet.get(), in.format->streams[source->stream_index]->time_base,
                         out->streams[out_index]->time_base);
    check(av_interleaved_write_frame(out.get(), packet.get()), "av_interleaved_write_frame");
  }
  check(av_write_trailer(out.get()), "av_write_trailer");
  avio_flush(io.get());
  return bytes;
}

// ---- (b) skyclass::mux -------------------------------------------------------------------------

headend::MuxSetup skyclass_setup(const Input& in, std::uint64_t muxrate_bps) {
  const scheduler::ChannelConfig channel = scheduler::default_channel_config();
  AVFormatContext& f = *in.format;
  const headend::ServiceStream video{mux::StreamKind::h264,
                                     in.streams.video.stream_type,
                                     channel.video_pid,
                                     channel.video.bitrate_bps,
                                     f.streams[in.streams.video.index]->codecpar->level > 0
                                         ? f.streams[in.streams.video.index]->codecpar->level
                                         : 30,
                                     2,
                                     ""};
  const headend::ServiceStream audio{in.streams.audio.kind,
                                     in.streams.audio.stream_type,
                                     channel.audio_pid,
                                     channel.audio.bitrate_bps,
                                     30,
                                     2,
                                     "chi"};
  return headend::make_mux_setup(channel, muxrate_bps, video, audio);
}

// `sink`, when given, receives every TS byte (the dump command); the benchmark discards them.
// `setup` (the channel configuration as mux and SI settings) is built once, outside the timing;
// the SI generator, multiplexer and converters are made here, as libavformat makes its context.
std::uint64_t mux_with_skyclass(const Input& in, const headend::MuxSetup& setup,
                                std::FILE* sink = nullptr) {
  AVFormatContext& f = *in.format;
  mux::SiGenerator si(setup.si, kStartUtcS);
  mux::Multiplexer m(setup.mux, &si);
  headend::EsConverter converters[2] = {
      headend::EsConverter(*f.streams[in.streams.video.index], in.streams.video),
      headend::EsConverter(*f.streams[in.streams.audio.index], in.streams.audio)};
  const std::uint16_t pids[2] = {setup.mux.streams[0].pid, setup.mux.streams[1].pid};
  std::vector<std::uint8_t> out(1024 * mux::kTsPacketSize);
  std::uint64_t bytes = 0;
  auto drain = [&] {
    while (const std::size_t n = m.pull(out)) {
      bytes += n;
      if (sink != nullptr && std::fwrite(out.data(), 1, n, sink) != n) {
        throw std::runtime_error("dump: write failed");
      }
      benchmark::DoNotOptimize(out.data());
    }
  };
  for (const auto& packet : in.packets) {
    const int which = packet->stream_index == in.streams.video.index ? 0 : 1;
    headend::EsConverter& c = converters[which];
    const auto au = c.convert(*packet, c.timestamps(*packet));
    m.push(mux::AccessUnit{pids[which], au.data, au.pts_90k, au.dts_90k, au.key_frame, false});
    drain();
  }
  m.flush();
  while (!m.finished()) drain();
  return bytes;
}

// For profiling how the time of (b) splits: the headend's conversion alone (h264_mp4toannexb,
// AUD, ADTS), and the mux alone on access units converted beforehand.
struct ConvertedAu {
  std::uint16_t pid;
  std::vector<std::uint8_t> data;
  std::int64_t pts_90k, dts_90k;
  bool key_frame;
};

std::vector<ConvertedAu> convert_all(const Input& in) {
  AVFormatContext& f = *in.format;
  const scheduler::ChannelConfig channel = scheduler::default_channel_config();
  headend::EsConverter converters[2] = {
      headend::EsConverter(*f.streams[in.streams.video.index], in.streams.video),
      headend::EsConverter(*f.streams[in.streams.audio.index], in.streams.audio)};
  const std::uint16_t pids[2] = {channel.video_pid, channel.audio_pid};
  std::vector<ConvertedAu> aus;
  for (const auto& packet : in.packets) {
    const int which = packet->stream_index == in.streams.video.index ? 0 : 1;
    headend::EsConverter& c = converters[which];
    const auto au = c.convert(*packet, c.timestamps(*packet));
    aus.push_back({pids[which], std::vector<std::uint8_t>(au.data.begin(), au.data.end()),
                   au.pts_90k, au.dts_90k, au.key_frame});
  }
  return aus;
}

std::uint64_t convert_only(const Input& in) {
  AVFormatContext& f = *in.format;
  headend::EsConverter converters[2] = {
      headend::EsConverter(*f.streams[in.streams.video.index], in.streams.video),
      headend::EsConverter(*f.streams[in.streams.audio.index], in.streams.audio)};
  std::uint64_t bytes = 0;
  for (const auto& packet : in.packets) {
    headend::EsConverter& c = converters[packet->stream_index == in.streams.video.index ? 0 : 1];
    const auto au = c.convert(*packet, c.timestamps(*packet));
    bytes += au.data.size();
    benchmark::DoNotOptimize(au.data.data());
  }
  return bytes;
}

std::uint64_t mux_converted(const std::vector<ConvertedAu>& aus, const headend::MuxSetup& setup) {
  mux::SiGenerator si(setup.si, kStartUtcS);
  mux::Multiplexer m(setup.mux, &si);
  std::vector<std::uint8_t> out(1024 * mux::kTsPacketSize);
  std::uint64_t bytes = 0;
  for (const ConvertedAu& au : aus) {
    m.push(mux::AccessUnit{au.pid, au.data, au.pts_90k, au.dts_90k, au.key_frame, false});
    while (const std::size_t n = m.pull(out)) bytes += n;
  }
  m.flush();
  while (!m.finished()) bytes += m.pull(out);
  return bytes;
}

int run_compare(const fs::path& file, int runs, std::uint64_t muxrate_bps,
                const std::string& only) {
  const Input in = demux(file);
  const headend::MuxSetup setup = skyclass_setup(in, muxrate_bps);
  if (!only.empty()) {  // for perf: one side or part alone, no report
    const std::vector<ConvertedAu> aus =
        only == "mux" ? convert_all(in) : std::vector<ConvertedAu>{};
    for (int i = 0; i < runs; ++i) {
      if (only == "skyclass") benchmark::DoNotOptimize(mux_with_skyclass(in, setup));
      if (only == "libavformat") benchmark::DoNotOptimize(mux_with_libavformat(in, muxrate_bps));
      if (only == "converter") benchmark::DoNotOptimize(convert_only(in));
      if (only == "mux") benchmark::DoNotOptimize(mux_converted(aus, setup));
    }
    return 0;
  }
  fmt::print(
      "== mux, in memory: {} ({:.1f} s, {} packets, {:.0f} kbit/s of H.264 + audio), "
      "muxrate {} bit/s, best CPU time per mux of {} runs x 10 each, alternating\n",
      file.filename().string(), in.duration_s, in.packets.size(),
      static_cast<double>(in.es_bytes) * 8 / in.duration_s / 1000, muxrate_bps, runs);
  // Each run muxes the whole input kRepeats times, so one measurement lasts long enough for the
  // CPU clock; the best run of each side counts.
  constexpr int kRepeats = 10;
  double best_av = 1e9, best_sky = 1e9;
  std::uint64_t av_bytes = 0, sky_bytes = 0;
  for (int i = 0; i < runs; ++i) {
    double t0 = cpu_seconds();
    for (int r = 0; r < kRepeats; ++r) av_bytes = mux_with_libavformat(in, muxrate_bps);
    double t1 = cpu_seconds();
    for (int r = 0; r < kRepeats; ++r) sky_bytes = mux_with_skyclass(in, setup);
    double t2 = cpu_seconds();
    best_av = std::min(best_av, (t1 - t0) / kRepeats);
    best_sky = std::min(best_sky, (t2 - t1) / kRepeats);
  }
  auto line = [&](const char* name, double cpu, std::uint64_t bytes) {
    fmt::print("  {:<32} {:8.4f} s CPU for {:9} TS bytes: {:7.1f} MB/s of TS, {:6.0f}x real time\n",
               name, cpu, bytes, static_cast<double>(bytes) / cpu / 1e6, in.duration_s / cpu);
  };
  line("libavformat mpegts (muxrate)", best_av, av_bytes);
  line("skyclass::mux (+ PSI/SI, EIT)", best_sky, sky_bytes);
  const double ratio = (in.duration_s / best_sky) / (in.duration_s / best_av);
  fmt::print(
      "  ratio skyclass::mux / libavformat: {:.2f}x the media seconds per CPU second "
      "(target >= 2x)\n",
      ratio);
  return 0;
}

int run_dump(const fs::path& file, const fs::path& out_ts, std::uint64_t muxrate_bps) {
  const Input in = demux(file);
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> sink(std::fopen(out_ts.c_str(), "wb"),
                                                       &std::fclose);
  if (!sink) throw std::runtime_error(fmt::format("{}: cannot open for writing", out_ts.string()));
  const std::uint64_t bytes = mux_with_skyclass(in, skyclass_setup(in, muxrate_bps), sink.get());
  fmt::print("{}: {} TS bytes\n", out_ts.string(), bytes);
  return 0;
}

// ---- core: the bare multiplexer with Google Benchmark ------------------------------------------

struct SyntheticAu {
  std::uint16_t pid;
  std::vector<std::uint8_t> data;
  std::int64_t dts_90k;
  bool key;
};

// 60 s of 25 fps H.264 (AUD, slice NAL; IDR every second, 16 % of the GOP's bytes) at
// 1.8 Mbit/s and 48 kHz MP2 at 192 kbit/s, in DTS order. Payload bytes 0x01..0xFF: no start code.
std::vector<SyntheticAu> synthetic_access_units() {
  std::vector<SyntheticAu> video, audio, all;
  std::uint32_t state = 20200217;
  auto next = [&] {
    state = state * 1664525u + 1013904223u;
    return static_cast<std::uint8_t>(1 + (state >> 24) % 255);
  };
  const double gop_bytes = 1'800'000 / 8.0;
  for (int n = 0; n < 25 * 60; ++n) {
    const bool idr = n % 25 == 0;
    const auto size = static_cast<std::size_t>(idr ? gop_bytes * 0.16 : gop_bytes * 0.84 / 24);
    SyntheticAu au{0x0101,
                   {0x00, 0x00, 0x00, 0x01, 0x09, 0xF0, 0x00, 0x00, 0x01,
                    static_cast<std::uint8_t>(idr ? 0x65 : 0x41)},
                   n * 3600LL,
                   idr};
    while (au.data.size() < size) au.data.push_back(next());
    video.push_back(std::move(au));
  }
  for (int n = 0; n < 2500; ++n) {  // 60 s of 24 ms frames
    SyntheticAu au{0x0102, {0xFF, 0xFD, 0xA4, 0x04}, n * 2160LL, true};
    while (au.data.size() < 576) au.data.push_back(next());
    audio.push_back(std::move(au));
  }
  std::merge(video.begin(), video.end(), audio.begin(), audio.end(), std::back_inserter(all),
             [](const SyntheticAu& a, const SyntheticAu& b) { return a.dts_90k < b.dts_90k; });
  return all;
}

// One mux of the synthetic access units; `sink`, when given, receives the TS (dump-core).
std::uint64_t mux_synthetic(const std::vector<SyntheticAu>& aus, std::vector<std::uint8_t>& out,
                            std::FILE* sink) {
  static const headend::MuxSetup setup = [] {
    const scheduler::ChannelConfig channel = scheduler::default_channel_config();
    const headend::ServiceStream video{
        mux::StreamKind::h264, mux::kStreamTypeH264, 0x0101, 1'800'000, 30, 2, ""};
    const headend::ServiceStream audio{
        mux::StreamKind::mpeg_audio, mux::kStreamTypeMpeg1Audio, 0x0102, 192'000, 30, 2, "chi"};
    return headend::make_mux_setup(channel, 2'500'000, video, audio);
  }();
  std::uint64_t ts_bytes = 0;
  auto take = [&](std::size_t n) {
    ts_bytes += n;
    if (sink != nullptr && std::fwrite(out.data(), 1, n, sink) != n) {
      throw std::runtime_error("dump-core: write failed");
    }
    benchmark::DoNotOptimize(out.data());
  };
  mux::SiGenerator si(setup.si, kStartUtcS);
  mux::Multiplexer m(setup.mux, &si);
  for (const SyntheticAu& au : aus) {
    m.push(mux::AccessUnit{au.pid, au.data, au.dts_90k, au.dts_90k, au.key, false});
    while (const std::size_t n = m.pull(out)) take(n);
  }
  m.flush();
  while (!m.finished()) take(m.pull(out));
  return ts_bytes;
}

void BM_MuxCore(benchmark::State& state) {
  static const std::vector<SyntheticAu> aus = synthetic_access_units();
  std::vector<std::uint8_t> out(1024 * mux::kTsPacketSize);
  std::uint64_t ts_bytes = 0;
  double media_s = 0;
  for (auto _ : state) {
    ts_bytes += mux_synthetic(aus, out, nullptr);
    media_s += 60.0;
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(ts_bytes));
  state.counters["x_realtime"] = benchmark::Counter(media_s, benchmark::Counter::kIsRate);
}
BENCHMARK(BM_MuxCore)->Unit(benchmark::kMillisecond)->MeasureProcessCPUTime();

int run_core(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

int run_dump_core(const fs::path& out_ts) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> sink(std::fopen(out_ts.c_str(), "wb"),
                                                       &std::fclose);
  if (!sink) throw std::runtime_error(fmt::format("{}: cannot open for writing", out_ts.string()));
  std::vector<std::uint8_t> out(1024 * mux::kTsPacketSize);
  const std::uint64_t bytes = mux_synthetic(synthetic_access_units(), out, sink.get());
  fmt::print("{}: {} TS bytes\n", out_ts.string(), bytes);
  return 0;
}

int make_input(const fs::path& out, int seconds) {
  tools::ClipSpec spec;
  spec.relative_path = "lessons/bench.mp4";
  spec.kind = "lesson";
  spec.title = "《春夏秋冬》";
  spec.grade = "一年级";
  spec.subject = "语文";
  spec.duration_ms = seconds * 1000LL;
  tools::write_clip(spec, out);
  return 0;
}

std::string option(int argc, char** argv, const char* name, const std::string& fallback) {
  for (int i = 0; i + 1 < argc; ++i)
    if (std::string(argv[i]) == name) return argv[i + 1];
  return fallback;
}

}  // namespace

int main(int argc, char** argv) {
  const std::string usage =
      "usage: skyclass-bench-mux make-input OUT.mp4 [--seconds N]\n"
      "       skyclass-bench-mux compare IN [--runs N] [--muxrate BPS] [--only "
      "skyclass|libavformat|converter|mux]\n"
      "       skyclass-bench-mux dump IN OUT.ts [--muxrate BPS]\n"
      "       skyclass-bench-mux dump-core OUT.ts\n"
      "       skyclass-bench-mux core [Google Benchmark flags]\n";
  if (argc < 2) {
    std::cerr << usage;
    return 2;
  }
  const std::string command = argv[1];
  try {
    if (command == "make-input" && argc >= 3)
      return make_input(argv[2], std::stoi(option(argc, argv, "--seconds", "120")));
    if (command == "compare" && argc >= 3)
      return run_compare(argv[2], std::stoi(option(argc, argv, "--runs", "5")),
                         std::stoull(option(argc, argv, "--muxrate", "2500000")),
                         option(argc, argv, "--only", ""));
    if (command == "dump" && argc >= 4)
      return run_dump(argv[2], argv[3], std::stoull(option(argc, argv, "--muxrate", "2500000")));
    if (command == "dump-core" && argc >= 3) return run_dump_core(argv[2]);
    if (command == "core") return run_core(argc - 1, argv + 1);
  } catch (const std::exception& e) {
    std::cerr << "skyclass-bench-mux " << command << ": " << e.what() << "\n";
    return 1;
  }
  std::cerr << usage;
  return 2;
}

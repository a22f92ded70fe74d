// skyclass-headend: the playout side of SkyClass (docs/mux.md). Each subcommand is one entry of
// kCommands: a name, a one-line summary for the usage text, and the function that runs it.
#include <algorithm>
#include <cctype>
#include <array>
#include <atomic>
#include <chrono>
#include <csignal>
#include <fstream>
#include <sstream>
#include <filesystem>
#include <iostream>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <boost/program_options.hpp>

#include "headend/channel_si.hpp"
#include "headend/encoder.hpp"
#include "headend/playout.hpp"
#include "headend/remux.hpp"
#include "headend/transcode.hpp"
#include "scheduler/channel_config.hpp"
#include "scheduler/civil_time.hpp"
#include "scheduler/epg.hpp"
#include "scheduler/playlist.hpp"

extern "C" {
#include <libavutil/log.h>
}

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace skyclass;

namespace {

constexpr int kExitProblems = 1;
constexpr int kExitUsage = 2;

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Parses argv (argv[0] is the subcommand) against `options`, with `positional` names in order.
// Returns nothing when --help was printed.
std::optional<po::variables_map> parse(int argc, char** argv,
                                       const po::options_description& options,
                                       const po::positional_options_description& positional,
                                       std::string_view usage, std::string_view details) {
  po::variables_map vm;
  po::store(po::command_line_parser(argc, argv).options(options).positional(positional).run(), vm);
  if (vm.count("help")) {
    std::cout << usage << "\n\n" << options << "\n" << details;
    return std::nullopt;
  }
  po::notify(vm);
  return vm;
}

// ---- remux -------------------------------------------------------------------------------------

struct RemuxArgs {
  fs::path input, output, config;
  std::uint64_t muxrate_bps = 0;
  std::vector<fs::path> events;
  std::string start_utc;
  std::string es_rates = "scan";
};

constexpr std::string_view kRemuxUsage =
    "usage: skyclass-headend remux IN OUT.ts [--config channel.ini] [--muxrate BPS]\n"
    "                              [--events DAY.json ...] [--start-utc TIME] [--es-rates "
    "scan|config]";

constexpr std::string_view kRemuxDetails =
    "Takes the first H.264 video and the first MPEG-1/2 audio (mp2, mp3) or AAC stream of IN\n"
    "(any file libavformat reads) and writes them, without re-encoding, as the channel's DVB\n"
    "transport stream: H.264 in Annex B with an access unit delimiter first in every access\n"
    "unit, AAC as ADTS, PAT/PMT/SDT/NIT/EIT/TDT/TOT from channel.ini, CBR at the muxrate with\n"
    "PCR on the video PID. OUT.ts appears only when it is complete.\n"
    "\n"
    "--events takes day playlists written by `skyclass-scheduler build` (docs/playlist.md); their\n"
    "items become the EIT present/following and 8-day schedule, one event per item (a lesson\n"
    "split over two days is one event), times floored to the second. --start-utc sets the UTC\n"
    "time of the first packet (ISO 8601, e.g. 2020-02-17T00:00:00Z or 2020-02-17T08:00:00+08:00):\n"
    "the TDT/TOT clock and the EIT's \"now\" run from it at the muxrate.\n"
    "\n"
    "--es-rates chooses the rate each stream is declared with to the mux, which refuses a muxrate\n"
    "that cannot carry the streams, PCR and SI: `scan` measures what the input needs, the lowest\n"
    "constant rate that delivers every access unit by its DTS when sent at most the mux delay\n"
    "(0.9 s) early (from the MP4 sample index, else by reading the file once); `config` takes\n"
    "[video] and [audio] bitrate_bps of channel.ini. Either way the mux's T-STD model checks\n"
    "every access unit as it goes and stops with an error naming it if one would be late.\n"
    "\n"
    "exit status: 0 ok, 1 a problem with the input or the channel (the message names the file,\n"
    "stream, PID and timestamp), 2 usage error\n";

std::int64_t parse_start_utc_s(const std::string& text) {
  if (text.empty()) {
    return std::chrono::duration_cast<std::chrono::seconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
  auto ms = scheduler::parse_iso_to_utc_ms(text);
  if (!ms) {
    throw UsageError(fmt::format(
        "--start-utc: '{}' is not an ISO 8601 time such as 2020-02-17T00:00:00Z", text));
  }
  return *ms / 1000 - (*ms % 1000 < 0 ? 1 : 0);
}

std::vector<mux::EpgEvent> load_events(const std::vector<fs::path>& files,
                                       const scheduler::ChannelConfig& channel) {
  if (files.empty()) return {};
  std::vector<scheduler::Playlist> days;
  for (const fs::path& file : files) days.push_back(scheduler::read_playlist(file));
  std::sort(days.begin(), days.end(),
            [](const auto& a, const auto& b) { return a.start_utc_ms < b.start_utc_ms; });
  return headend::eit_events(scheduler::epg_events(days), channel.language);
}

int run_remux(int argc, char** argv) {
  RemuxArgs a;
  po::options_description options("remux options");
  // clang-format off
  options.add_options()
    ("help,h", "show this help")
    ("input", po::value(&a.input)->required(), "input media file (IN)")
    ("output", po::value(&a.output)->required(), "output transport stream (OUT.ts)")
    ("config", po::value(&a.config), "channel.ini (built-in defaults when absent)")
    ("muxrate", po::value(&a.muxrate_bps), "transport stream rate in bit/s (default: [mux] muxrate_bps)")
    ("events", po::value(&a.events)->multitoken(), "day playlist JSON files for the EIT (repeatable)")
    ("start-utc", po::value(&a.start_utc), "UTC time of the first packet (default: now)")
    ("es-rates", po::value(&a.es_rates)->default_value(a.es_rates), "rates declared to the mux: scan (what IN needs) or config");
  // clang-format on
  po::positional_options_description positional;
  positional.add("input", 1).add("output", 1);
  const auto vm = parse(argc, argv, options, positional, kRemuxUsage, kRemuxDetails);
  if (!vm) return 0;
  if (vm->count("muxrate") && a.muxrate_bps == 0) throw UsageError("--muxrate: must be above 0");

  headend::RemuxOptions o;
  o.input = a.input;
  o.output = a.output;
  o.channel = a.config.empty() ? scheduler::default_channel_config()
                               : scheduler::load_channel_config(a.config);
  o.muxrate_bps = a.muxrate_bps;
  if (a.es_rates != "scan" && a.es_rates != "config") {
    throw UsageError(fmt::format("--es-rates: expected scan or config, got '{}'", a.es_rates));
  }
  o.es_rates = a.es_rates == "scan" ? headend::EsRateSource::scan : headend::EsRateSource::config;
  o.start_utc_s = parse_start_utc_s(a.start_utc);
  o.events = load_events(a.events, o.channel);

  const headend::RemuxResult r = headend::remux(o);
  fmt::print("{}: {} packets, {} bytes, {:.3f} s at {} bit/s (streams, PCR and SI need {} bit/s)\n",
             o.output.string(), r.ts_packets, r.output_bytes, r.duration_s, r.muxrate_bps,
             r.required_bitrate_bps);
  fmt::print("  from {}: {} bytes\n", o.input.string(), r.input_bytes);
  for (const auto* s : {&r.video, &r.audio}) {
    fmt::print(
        "  PID 0x{:04X} stream_type 0x{:02X} <- #{} {}: {} access units, declared {} bit/s ({}), "
        "{} {}\n",
        s->pid, s->stream_type, s->input_index, s->codec, s->access_units, s->max_bitrate_bps,
        o.es_rates == headend::EsRateSource::config ? "channel.ini"
        : r.rates_from_index                        ? "scan of the sample index"
                                                    : "scan of every packet",
        s->inserted, s == &r.video ? "AUDs inserted" : "ADTS headers added");
  }
  fmt::print("  EIT: {} events from {} playlist(s), first packet at {}\n", r.epg_events,
             a.events.size(), scheduler::format_iso_utc(o.start_utc_s * 1000));
  if (r.rejected_events > 0) {
    std::cerr << fmt::format("warning: {} events cannot be carried in the EIT and were left out\n",
                             r.rejected_events);
  }
  return 0;
}

// ---- play ----------------------------------------------------------------------------------------

std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) { g_stop.store(true); }

// "90s", "6h", "30m", "1500ms", "1h30m", or HH:MM:SS, to milliseconds.
std::int64_t parse_duration_ms(const std::string& option, const std::string& text) {
  auto fail = [&] {
    return UsageError(fmt::format(
        "{}: '{}' is not a duration; expected e.g. 90s, 30m, 6h, 1h30m, 1500ms or 01:30:00",
        option, text));
  };
  if (text.empty()) throw fail();
  if (text.find(':') != std::string::npos) {
    int h = 0, m = 0, sec = 0;
    char c1 = 0, c2 = 0;
    std::istringstream in(text);
    if (!(in >> h >> c1 >> m >> c2 >> sec) || c1 != ':' || c2 != ':' || !in.eof() || h < 0 ||
        m < 0 || m > 59 || sec < 0 || sec > 59)
      throw fail();
    return ((h * 60LL + m) * 60 + sec) * 1000;
  }
  std::int64_t total = 0;
  std::size_t at = 0;
  while (at < text.size()) {
    std::size_t used = 0;
    double value = 0;
    try {
      value = std::stod(text.substr(at), &used);
    } catch (const std::exception&) {
      throw fail();
    }
    if (value < 0) throw fail();
    at += used;
    std::string unit;
    while (at < text.size() && std::isalpha(static_cast<unsigned char>(text[at]))) unit += text[at++];
    const double scale = unit == "ms" ? 1 : unit == "s" ? 1000 : unit == "m" ? 60'000
                       : unit == "h" ? 3'600'000 : unit == "d" ? 86'400'000 : -1;
    if (scale < 0) throw fail();
    total += static_cast<std::int64_t>(value * scale + 0.5);
  }
  if (total <= 0) throw fail();
  return total;
}

// The [headend] section of channel.ini as "key = value" lines for the play options (the keys
// are the long option names), so every option can live in the INI; the command line wins.
std::string headend_section(const fs::path& config) {
  std::ifstream in(config);
  std::string line, section, out;
  while (std::getline(in, line)) {
    const auto first = line.find_first_not_of(" \t");
    if (first != std::string::npos && line[first] == '[') {
      section = line.substr(first + 1, line.find(']') - first - 1);
      continue;
    }
    if (section == "headend") out += line + "\n";
  }
  return out;
}

struct PlayArgs {
  fs::path config, playlists, media, asrun, status;
  std::vector<std::string> outputs;
  std::string clock = "real", start, duration;
  std::uint64_t muxrate_bps = 0;
};

constexpr std::string_view kPlayUsage =
    "usage: skyclass-headend play --config channel.ini --playlists DIR --media DIR\n"
    "                             --output SINK [--output SINK ...] [--clock real|virtual]\n"
    "                             [--start TIME] [--duration T] [--asrun FILE] [--status FILE]";

constexpr std::string_view kPlayDetails =
    "Plays the day playlists of DIR (written by `skyclass-scheduler build`) as one continuous\n"
    "DVB transport stream: every item decoded and normalised to the channel's house format,\n"
    "encoded by one H.264 and one MPEG audio encoder for the whole run, and multiplexed at the\n"
    "muxrate with PAT/PMT/SDT/NIT, the EIT (now/next and 8 days, from the playlists), TDT/TOT.\n"
    "Items start on their frame; each starts with an IDR. A missing, broken or short media file\n"
    "becomes the slate ([schedule] slate) for the rest of its slot; with no playlist for a time,\n"
    "the slate plays with \"programme resumes soon\" in the EPG. Playout never stops by itself.\n"
    "\n"
    "Clocks: `real` follows the system clock (UTC) and sends packets at the muxrate; `virtual`\n"
    "starts at --start and runs as fast as the machine allows, every timestamp (PCR, TDT/TOT,\n"
    "EIT now/next) on that virtual clock. Either way playout joins the item due at the start,\n"
    "at its offset. --duration (e.g. 90s, 6h, 1h30m) ends the run; without it, real-clock\n"
    "playout runs until SIGINT/SIGTERM, which finish the current frame, drain the encoders and\n"
    "the mux, complete the as-run log and close the outputs on a packet boundary.\n"
    "\n"
    "Sinks: file:PATH (written as the stream is made; file:/dev/stdout works), and uplinks:\n"
    "  udp://HOST:PORT[?ttl=N&pkt_size=1316&iface=ADDR|NAME&tos=N&queue_ms=1000]\n"
    "      unicast or multicast; pkt_size is whole TS packets (a multiple of 188, at most 1316).\n"
    "  srt://HOST:PORT?mode=caller|listener&latency=MS&passphrase=..&pbkeylen=16|24|32\n"
    "      &streamid=ID&allow=ID,ID&allow_file=PATH&sndbuf=BYTES&maxbw=BYTES_PER_S&oheadbw=PCT\n"
    "      &timeout=MS&queue_ms=1000&stats_log=PATH\n"
    "      passphrase_file=PATH (first line) or passphrase_env=NAME keep the secret off the\n"
    "      command line; it never shows in logs or status (passphrase=***). A caller reconnects\n"
    "      (backoff up to 2 s) and resumes at the live point. A listener takes any number of\n"
    "      stations; with allow/allow_file (and streamid) it rejects every other streamid in the\n"
    "      handshake. stats_log appends one JSON line per link per second (RTT, send rate, sent,\n"
    "      lost, retransmitted, dropped, send buffer); the same go to --status under \"links\".\n"
    "  Every uplink has its own queue (queue_ms of stream) and thread: a slow or dead one drops\n"
    "  its own oldest backlog (counted as packets_dropped) and never holds up the others.\n"
    "\n"
    "--asrun appends one JSON line per item: scheduled_utc, actual_utc, duration_ms, kind, title,\n"
    "media, event_id, outcome (played|cut|slate|live|fallback), reason, and hard_start,\n"
    "first_pts_90k, media_in_ms, frames. --status rewrites a JSON file every second (now/next,\n"
    "encoder fps and speed, output rate, repeated/dropped frames, sinks); read it with\n"
    "`skyclass-headend status --status FILE`.\n"
    "\n"
    "Every option can also be given in the [headend] section of channel.ini under its long name\n"
    "(playlists = ..., output = ..., clock = ...); the command line wins. docs/operator-guide.md\n"
    "has the whole story.\n"
    "\n"
    "exit status: 0 the run ended (its duration, or a signal), 1 playout could not start (the\n"
    "message names the file, key or output), 2 usage error\n";

int run_play(int argc, char** argv) {
  PlayArgs a;
  po::options_description options("play options (also [headend] keys of channel.ini)");
  // clang-format off
  options.add_options()
    ("help,h", "show this help")
    ("config", po::value(&a.config), "channel.ini (built-in defaults when absent)")
    ("playlists", po::value(&a.playlists), "folder of day playlists YYYY-MM-DD.json")
    ("media", po::value(&a.media), "media library folder the playlists' paths are relative to (default: the playlists folder's parent)")
    ("output", po::value(&a.outputs), "a sink: file:PATH, udp://HOST:PORT?.., srt://HOST:PORT?.. (repeatable; see below)")
    ("clock", po::value(&a.clock)->default_value(a.clock), "real (system clock, paced) or virtual (from --start, as fast as possible)")
    ("start", po::value(&a.start), "virtual clock: UTC start, ISO 8601 (e.g. 2020-02-17T08:00:00+08:00)")
    ("duration", po::value(&a.duration), "length of the run (90s, 6h, 1h30m, HH:MM:SS); default: until stopped")
    ("muxrate", po::value(&a.muxrate_bps), "transport stream rate in bit/s (default: [mux] muxrate_bps)")
    ("asrun", po::value(&a.asrun), "as-run log (JSON lines, appended)")
    ("status", po::value(&a.status), "status file (JSON, rewritten every second)");
  // clang-format on
  po::variables_map vm;
  po::store(po::command_line_parser(argc, argv).options(options).run(), vm);
  if (vm.count("help")) {
    std::cout << kPlayUsage << "\n\n" << options << "\n" << kPlayDetails;
    return 0;
  }
  if (vm.count("config")) {
    std::istringstream ini(headend_section(vm["config"].as<fs::path>()));
    po::store(po::parse_config_file(ini, options), vm);
  }
  po::notify(vm);
  if (a.playlists.empty()) throw UsageError("--playlists: required (or playlists = in [headend])");
  if (a.outputs.empty()) throw UsageError("--output: at least one sink is required");
  if (a.clock != "real" && a.clock != "virtual")
    throw UsageError(fmt::format("--clock: expected real or virtual, got '{}'", a.clock));

  headend::PlayoutOptions o;
  o.channel = a.config.empty() ? scheduler::default_channel_config()
                               : scheduler::load_channel_config(a.config);
  o.outputs = a.outputs;
  o.clock = a.clock == "real" ? headend::ClockMode::real : headend::ClockMode::virtual_time;
  if (o.clock == headend::ClockMode::virtual_time) {
    if (a.start.empty()) throw UsageError("--start: required with --clock virtual");
    auto ms = scheduler::parse_iso_to_utc_ms(a.start);
    if (!ms) throw UsageError(fmt::format("--start: '{}' is not an ISO 8601 time", a.start));
    o.start_utc_ms = *ms;
  } else if (!a.start.empty()) {
    throw UsageError("--start: only with --clock virtual (the real clock starts now)");
  }
  if (!a.duration.empty()) o.duration_ms = parse_duration_ms("--duration", a.duration);
  o.muxrate_bps = a.muxrate_bps;
  o.asrun_file = a.asrun;
  o.status_file = a.status;
  const fs::path media = a.media.empty() ? a.playlists.parent_path() : a.media;
  headend::PlaylistProgramme programme(a.playlists, media, o.channel);

  std::signal(SIGINT, on_stop_signal);
  std::signal(SIGTERM, on_stop_signal);
  // A reader that goes away (file:/dev/stdout into a pipe) fails that sink, not the channel.
  std::signal(SIGPIPE, SIG_IGN);
  const headend::PlayoutResult r = headend::run_playout(o, programme, g_stop);
  const double stream_s = r.frames * o.channel.frame_ms() / 1000.0;
  std::cerr << fmt::format(
      "skyclass-headend play: {} from {}: {} frames ({:.1f} s), {} packets, {} items ({} fell back "
      "to the slate), {:.1f} s wall ({:.2f}x real time){}\n",
      r.stopped ? "stopped" : "ended", scheduler::format_iso_utc(r.origin_utc_ms), r.frames,
      stream_s, r.packets, r.items, r.fallbacks, r.wall_s, r.wall_s > 0 ? stream_s / r.wall_s : 0,
      r.stopped ? " by a signal" : "");
  return 0;
}

// ---- transcode -----------------------------------------------------------------------------------

int run_transcode(int argc, char** argv) {
  fs::path input, output, config;
  std::uint64_t muxrate_bps = 0;
  std::string start;
  po::options_description options("transcode options");
  // clang-format off
  options.add_options()
    ("help,h", "show this help")
    ("input", po::value(&input)->required(), "input media file (IN)")
    ("output", po::value(&output)->required(), "output transport stream (OUT.ts)")
    ("config", po::value(&config), "channel.ini (built-in defaults when absent)")
    ("muxrate", po::value(&muxrate_bps), "transport stream rate in bit/s (default: [mux] muxrate_bps)")
    ("start-utc", po::value(&start), "UTC time of the first frame (default: now)")
    ("ffmpeg-options", "print the ffmpeg output options that encode as this command does (one per line; for tools/bench) and exit");
  // clang-format on
  po::positional_options_description positional;
  positional.add("input", 1).add("output", 1);
  if (std::any_of(argv, argv + argc, [](const char* a) { return std::string_view(a) == "--ffmpeg-options"; })) {
    po::variables_map vm;
    po::store(po::command_line_parser(argc, argv).options(options).positional(positional).run(), vm);
    po::notify(vm);
    const auto channel = config.empty() ? scheduler::default_channel_config()
                                        : scheduler::load_channel_config(config);
    const auto settings = headend::EncoderSettings::from(channel);
    for (const std::string& o : headend::ffmpeg_video_options(settings)) std::cout << o << "\n";
    std::cout << fmt::format("-c:a\n{}\n-b:a\n{}\n-ar\n{}\n-ac\n{}\n-f\nmpegts\n-muxrate\n{}\n",
                             settings.audio_codec, settings.audio_bitrate_bps, settings.sample_rate,
                             settings.channels, muxrate_bps ? muxrate_bps : channel.muxrate_bps);
    return 0;
  }
  const auto vm = parse(argc, argv, options, positional,
                        "usage: skyclass-headend transcode IN OUT.ts [--config channel.ini] "
                        "[--muxrate BPS] [--start-utc TIME]",
                        "Decodes IN, normalises it to the channel's house format and encodes it "
                        "with the playout's encoders\n(H.264 per [video], MPEG audio per [audio], "
                        "loudness to [audio] loudness_lufs) into the\nchannel's DVB transport "
                        "stream with full SI; the file is one EIT event. OUT.ts appears only\n"
                        "when complete.\n\nexit status: 0 ok, 1 a problem with the input or the "
                        "channel, 2 usage error\n");
  if (!vm) return 0;
  headend::TranscodeOptions o;
  o.input = input;
  o.output = output;
  o.channel = config.empty() ? scheduler::default_channel_config()
                             : scheduler::load_channel_config(config);
  o.muxrate_bps = muxrate_bps;
  o.start_utc_ms = parse_start_utc_s(start) * 1000;
  const headend::TranscodeResult r = headend::transcode(o);
  fmt::print("{}: {} frames, {} packets from {} ({} ms of media) in {:.2f} s ({:.2f}x real time)\n",
             output.string(), r.playout.frames, r.playout.packets, input.string(),
             r.media_duration_ms, r.playout.wall_s,
             r.playout.wall_s > 0 ? r.playout.frames * o.channel.frame_ms() / 1000.0 / r.playout.wall_s : 0);
  if (r.playout.fallbacks > 0) {
    std::cerr << fmt::format("warning: {}: part of the media could not be decoded and was replaced by the slate\n", input.string());
    return kExitProblems;
  }
  return 0;
}

// ---- status --------------------------------------------------------------------------------------

int run_status(int argc, char** argv) {
  fs::path status;
  po::options_description options("status options");
  options.add_options()("help,h", "show this help")(
      "status", po::value(&status)->required(), "the status file of a running `play --status`");
  po::positional_options_description positional;
  positional.add("status", 1);
  const auto vm = parse(argc, argv, options, positional,
                        "usage: skyclass-headend status [--status] FILE",
                        "Prints what a running playout is doing, from its status file.\n");
  if (!vm) return 0;
  std::ifstream in(status);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot read the status file", status.string()));
  std::stringstream text;
  text << in.rdbuf();
  try {
    std::cout << headend::format_status(text.str());
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("{}: not a status file: {}", status.string(), e.what()));
  }
  return 0;
}

// ---- the command table ---------------------------------------------------------------------

struct Command {
  std::string_view name;
  std::string_view summary;
  int (*run)(int argc, char** argv);
};

constexpr std::array kCommands{
    Command{"play", "24/7 playout of the day playlists into the channel's transport stream",
            run_play},
    Command{"transcode", "any media file -> the channel's DVB transport stream (re-encoded)",
            run_transcode},
    Command{"remux", "an H.264 + MPEG audio/AAC file -> the channel's DVB transport stream",
            run_remux},
    Command{"status", "what a running playout is doing (from its status file)", run_status},
};

void print_usage(std::ostream& out) {
  out << "usage: skyclass-headend COMMAND [options]   (COMMAND --help for its "
         "options)\n\ncommands:\n";
  for (const Command& c : kCommands) out << fmt::format("  {:<10}{}\n", c.name, c.summary);
  out << "\nexit status: 0 ok, 1 a problem with the input or the channel, 2 usage error\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string_view(argv[1]) == "--help" || std::string_view(argv[1]) == "-h") {
    print_usage(argc < 2 ? std::cerr : std::cout);
    return argc < 2 ? kExitUsage : 0;
  }
  const std::string_view name = argv[1];
  const auto command = std::find_if(kCommands.begin(), kCommands.end(),
                                    [&](const Command& c) { return c.name == name; });
  if (command == kCommands.end()) {
    std::cerr << fmt::format("skyclass-headend: unknown command '{}'\n\n", name);
    print_usage(std::cerr);
    return kExitUsage;
  }
  // libav* (libx264 above all) would print its statistics on every encoder open and close.
  av_log_set_level(AV_LOG_ERROR);
  try {
    return command->run(argc - 1, argv + 1);
  } catch (const UsageError& e) {
    std::cerr << fmt::format("skyclass-headend {}: {}\n", name, e.what());
    return kExitUsage;
  } catch (const po::error& e) {
    std::cerr << fmt::format("skyclass-headend {}: {} (see --help)\n", name, e.what());
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << fmt::format("skyclass-headend {}: {}\n", name, e.what());
    return kExitProblems;
  }
}

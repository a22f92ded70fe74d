// skyclass-headend: the playout side of SkyClass (docs/mux.md). Each subcommand is one entry of
// kCommands: a name, a one-line summary for the usage text, and the function that runs it.
#include <algorithm>
#include <array>
#include <chrono>
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
#include "headend/remux.hpp"
#include "scheduler/channel_config.hpp"
#include "scheduler/civil_time.hpp"
#include "scheduler/epg.hpp"
#include "scheduler/playlist.hpp"

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

// ---- the command table ---------------------------------------------------------------------

struct Command {
  std::string_view name;
  std::string_view summary;
  int (*run)(int argc, char** argv);
};

constexpr std::array kCommands{
    Command{"remux", "an H.264 + MPEG audio/AAC file -> the channel's DVB transport stream",
            run_remux},
};

void print_usage(std::ostream& out) {
  out << "usage: skyclass-headend COMMAND [options]   (COMMAND --help for its "
         "options)\n\ncommands:\n";
  for (const Command& c : kCommands) out << fmt::format("  {:<8}{}\n", c.name, c.summary);
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

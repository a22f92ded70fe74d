// skyclass-tsmon: the engineers' transport stream monitor (ETSI TR 101 290, bitrates, PCR, SI,
// SRT link health), live or on a recording.
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include "tools/tsmon/analyzer.hpp"
#include "tools/tsmon/input.hpp"
#include "tools/tsmon/report.hpp"

namespace po = boost::program_options;
using namespace skyclass::tsmon;

namespace {

std::atomic<bool> g_stop{false};
extern "C" void on_stop_signal(int) { g_stop.store(true); }

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// "90s", "5m", "1h", "1500ms" or plain seconds ("2.5"), to nanoseconds.
std::int64_t parse_duration_ns(const std::string& option, const std::string& text) {
  std::size_t used = 0;
  double value = -1;
  try {
    value = std::stod(text, &used);
  } catch (const std::exception&) {
  }
  const std::string unit = text.substr(used);
  double scale = 0;
  if (unit.empty() || unit == "s") scale = 1e9;
  else if (unit == "ms") scale = 1e6;
  else if (unit == "m" || unit == "min") scale = 60e9;
  else if (unit == "h") scale = 3600e9;
  if (value < 0 || scale == 0 || text.empty()) {
    throw UsageError(fmt::format("{}: '{}' is not a duration; expected e.g. 90s, 5m, 1h or 1500ms",
                                 option, text));
  }
  return static_cast<std::int64_t>(value * scale);
}

struct Options {
  std::string input;
  bool json = false, json_lines = false, live_view = false, no_live_view = false, colour = true;
  std::string fail_on, duration, events_file;
  std::int64_t interval_ms = 1000, pid_timeout_ms = 5000;
  std::size_t max_events = 10000;
};

const char* kUsage =
    "usage: skyclass-tsmon INPUT [--json | --json-lines | --live] [--fail-on p1|p2|p3]\n"
    "                      [--duration T] [--events FILE] [options]\n"
    "\n"
    "Monitors an MPEG transport stream: every ETSI TR 101 290 indicator (priority 1, 2 and 3),\n"
    "bitrates per PID, PCR interval and accuracy, services, EIT now/next, TDT/TOT, and for SRT the\n"
    "link statistics.\n"
    "\n"
    "INPUT: a file, - (stdin), udp://@GROUP:PORT or udp://@:PORT (multicast join or unicast;\n"
    "?iface=ADDR), srt://HOST:PORT?mode=caller|listener&latency=MS&passphrase=...&pbkeylen=16|24|32\n"
    "&streamid=... (passphrase_file=PATH or passphrase_env=NAME keep the secret off the command\n"
    "line). A file is read as fast as possible and timed by its PCRs; live inputs are timed by\n"
    "packet arrival.\n"
    "\n"
    "Output: on a terminal, a live view redrawn every second; otherwise a text summary at the end.\n"
    "--json prints one summary object at the end (keys input, duration_s, bitrate_bps, null_share,\n"
    "tr101290, priorities, pids, pcr, services, network, clock, link for SRT, events,\n"
    "events_dropped); --json-lines prints one object per interval (with active_alarms) and the\n"
    "summary last, marked \"summary\": true.\n"
    "\n"
    "Exit status: 0 done, 1 --fail-on priority fired, 2 usage or input error.\n"
    "The counting rule of every indicator is in docs/monitoring-guide.md.\n";

po::options_description describe(Options& o) {
  po::options_description d("options");
  d.add_options()
      ("help,h", "show this help")
      ("json", po::bool_switch(&o.json), "print a JSON summary at the end")
      ("json-lines", po::bool_switch(&o.json_lines), "print one JSON object per interval, then the summary")
      ("live", po::bool_switch(&o.live_view), "live view even when stdout is not a terminal")
      ("no-live", po::bool_switch(&o.no_live_view), "no live view on a terminal: text summary at the end")
      ("no-colour", "live view without colours")
      ("fail-on", po::value(&o.fail_on), "p1, p2 or p3: exit 1 when an indicator of that priority or higher fired")
      ("duration", po::value(&o.duration), "stop after T (90s, 5m, 1h, 1500ms): stream time for a file, wall time live")
      ("events", po::value(&o.events_file), "write every kept event as a JSON line to FILE")
      ("interval", po::value(&o.interval_ms)->default_value(1000), "interval of --json-lines and the live view, ms")
      ("pid-timeout", po::value(&o.pid_timeout_ms)->default_value(5000), "1.6 PID_error: absence of a PID a PMT refers to, ms")
      ("max-events", po::value(&o.max_events)->default_value(10000), "events kept in the summary (the counts stay exact)");
  return d;
}

int run(const Options& o, bool live_view, bool colour) {
  std::unique_ptr<Input> input = open_input(o.input);
  AnalyzerOptions options;
  options.interval_ms = o.interval_ms;
  options.max_events_kept = o.max_events;
  options.thresholds.pid_timeout_ms = o.pid_timeout_ms;
  Analyzer analyzer(options);
  ReportContext context{input->describe(), input->live(), std::nullopt};
  const std::int64_t limit_ns = o.duration.empty() ? -1 : parse_duration_ns("--duration", o.duration);
  int fail_priority = 0;
  if (!o.fail_on.empty()) {
    if (o.fail_on == "p1") fail_priority = 1;
    else if (o.fail_on == "p2") fail_priority = 2;
    else if (o.fail_on == "p3") fail_priority = 3;
    else throw UsageError(fmt::format("--fail-on: '{}', expected p1, p2 or p3", o.fail_on));
  }

  LiveView view(colour);
  analyzer.on_interval([&](const IntervalReport& interval) {
    if (o.json_lines) {
      if (input->live()) context.link = input->link_stats();
      std::cout << interval_json(interval, context).dump() << '\n' << std::flush;
    }
    view.interval(interval);
  });

  // Whole datagrams of 7 packets either way, so a stop between two reads cuts no packet.
  std::vector<std::uint8_t> buffer(input->live() ? 64 * 1316 : 3187 * 1316);
  const std::int64_t started_ns = monotonic_now_ns();
  std::int64_t next_draw_ns = started_ns;
  bool ended = false, reached = false;
  auto reached_limit = [&] {
    const auto t = analyzer.stream_time_ns();
    return limit_ns >= 0 && t && *t >= limit_ns;
  };
  while (!g_stop.load() && !reached) {
    const Chunk chunk = input->read(buffer, 200);
    if (chunk.size > 0 && input->live()) {
      analyzer.feed(std::span<const std::uint8_t>(buffer.data(), chunk.size), chunk.arrival_ns);
    } else if (chunk.size > 0) {
      // A file with --duration stops within one slice of stream time, not one whole read.
      constexpr std::size_t kSlice = 50 * 1316;
      for (std::size_t at = 0; at < chunk.size && !reached; at += kSlice) {
        analyzer.feed(std::span<const std::uint8_t>(buffer.data() + at, std::min(kSlice, chunk.size - at)));
        reached = reached_limit();
      }
    } else if (input->live()) {
      analyzer.idle(monotonic_now_ns());  // silence: time goes on, absences show as alarms
    }
    if (chunk.end) {
      ended = true;
      break;
    }
    const std::int64_t now_ns = monotonic_now_ns();
    if (limit_ns >= 0 && input->live() && now_ns - started_ns >= limit_ns) break;
    if (live_view && now_ns >= next_draw_ns) {
      if (input->live()) context.link = input->link_stats();
      std::cout << view.render(analyzer, context) << std::flush;
      next_draw_ns = now_ns + 1'000'000'000;
    }
  }
  analyzer.finish(ended);
  if (input->live()) context.link = input->link_stats();

  if (!o.events_file.empty()) {
    std::ofstream events(o.events_file);
    if (!events) throw std::runtime_error(fmt::format("--events: cannot write {}", o.events_file));
    for (const Event& e : analyzer.events()) events << event_json(e).dump() << '\n';
  }
  if (o.json || o.json_lines) {
    nlohmann::json summary = summary_json(analyzer, context);
    if (o.json_lines) summary["summary"] = true;
    std::cout << summary.dump(o.json_lines ? -1 : 2) << '\n';
  } else if (live_view) {
    std::cout << view.render(analyzer, context) << std::flush;
  } else {
    std::cout << text_summary(analyzer, context);
  }
  if (fail_priority > 0) {
    for (int p = 1; p <= fail_priority; ++p) {
      if (analyzer.fired(p)) return 1;
    }
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  po::options_description visible = describe(o);
  po::options_description all = visible;
  all.add_options()("input", po::value(&o.input));
  po::positional_options_description positional;
  positional.add("input", 1);
  try {
    po::variables_map vm;
    po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
    if (vm.count("help")) {
      std::cout << kUsage << '\n' << visible << '\n';
      return 0;
    }
    po::notify(vm);
    if (o.input.empty()) throw UsageError("no INPUT given (a file, -, udp://@GROUP:PORT or srt://HOST:PORT)");
    if (o.json && o.json_lines) throw UsageError("--json and --json-lines: choose one");
    std::signal(SIGINT, on_stop_signal);
    std::signal(SIGTERM, on_stop_signal);
    std::signal(SIGPIPE, SIG_IGN);
    const bool tty = isatty(STDOUT_FILENO);
    const bool live_view = !o.json && !o.json_lines && !o.no_live_view && (o.live_view || tty);
    return run(o, live_view, !vm.count("no-colour") && tty);
  } catch (const po::error& e) {
    std::cerr << "skyclass-tsmon: " << e.what() << "\n" << kUsage;
    return 2;
  } catch (const UsageError& e) {
    std::cerr << "skyclass-tsmon: " << e.what() << "\n";
    return 2;
  } catch (const InputError& e) {
    std::cerr << "skyclass-tsmon: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "skyclass-tsmon: " << e.what() << "\n";
    return 2;
  }
}

// skyclass-linksim: a seeded UDP relay that reproduces a bad link, in both directions. See
// tools/linksim/linksim.hpp for the model.
#include <atomic>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <boost/program_options.hpp>

#include "tools/linksim/linksim.hpp"

namespace po = boost::program_options;
using namespace skyclass::linksim;

namespace {

constexpr int kExitSocket = 1;
constexpr int kExitUsage = 2;

constexpr const char* kSynopsis =
    "Usage: skyclass-linksim --listen HOST:PORT --forward HOST:PORT [--seed N] [impairments]\n"
    "                        [--outage START+LEN ...] [--duration T] [--stats FILE]\n"
    "\n"
    "A UDP relay that behaves like a bad internet link, the same way for the same seed. The\n"
    "client sends to --listen; the relay forwards its datagrams (direction 'forward') from its\n"
    "own socket to --forward, and sends what comes back to that socket (direction 'back') to the\n"
    "client. The client is learnt from the first datagram; a later one from another address\n"
    "replaces it. Works for SRT (data one way, ACK/NAK the other) and plain UDP. IPv4 only.\n"
    "\n"
    "Every impairment X below applies to both directions; --X-forward and --X-back set one\n"
    "direction and override --X for it. Stages, in order: outage, burst loss, random loss,\n"
    "rate cap, delay + jitter, reorder, duplicate. Each datagram of a direction takes 6 draws\n"
    "from that direction's mt19937_64 (forward: SEED, back: SEED + 0x9E3779B97F4A7C15), whatever\n"
    "happens to it, so the n-th datagram always gets the same decisions from the same seed,\n"
    "and turning one impairment on never changes which datagrams the others pick.\n"
    "\n"
    "On exit (SIGINT, SIGTERM or --duration) prints the counters as one JSON line on stdout\n"
    "(per direction: received, forwarded, lost_random, lost_burst, lost_outage, dropped_rate,\n"
    "duplicated, reordered, bytes_received, bytes_forwarded, pending, send_errors) and one\n"
    "summary line on stderr. Per direction: received + duplicated = forwarded + lost_random +\n"
    "lost_burst + lost_outage + dropped_rate + pending + send_errors.\n"
    "\n"
    "Exit status: 0 done, 1 a socket cannot be bound or connected, 2 bad usage or option value.\n"
    "\n"
    "Options";

// The impairments that exist per direction: name, value name, help.
struct DirectionalOption {
  const char* name;
  const char* value_name;
  const char* help;
};
constexpr DirectionalOption kDirectionalOptions[] = {
    {"loss", "PCT", "Random loss: drop PCT % of the datagrams (0 to 100, e.g. 10 or 0.5)."},
    {"ge", "P,R[,LG,LB]",
     "Burst loss, Gilbert-Elliott: a good/bad chain stepped per datagram; P = % chance good->bad, "
     "R = % chance bad->good (R > 0), LG / LB = % loss in the good / bad state (default 0 and "
     "100). Mean burst 1/R datagrams, mean loss (R*LG + P*LB) / (P + R). E.g. 1,25."},
    {"delay", "MS", "Fixed delay in ms (or with a unit: 25ms, 0.1s, 500us)."},
    {"jitter", "MS",
     "Uniform jitter: each datagram's delay moves by a whole number of ns drawn evenly in "
     "[-MS, +MS], never below zero delay. Datagrams keep their order (a datagram is never "
     "released before the one ahead of it) unless --reorder is given."},
    {"reorder", "PCT",
     "Hold PCT % of the datagrams back by --reorder-gap after their release, so the ones behind "
     "overtake them (counted as reordered)."},
    {"reorder-gap", "MS", "How long --reorder holds a datagram back (default 10 ms)."},
    {"duplicate", "PCT", "Send PCT % of the datagrams twice, the copy right after the original."},
    {"rate", "KBPS",
     "Bandwidth cap in kbit/s (1000 bit): datagrams leave one after the other at this rate "
     "(token bucket of zero depth, 8 bits per byte of UDP payload); a datagram that would wait "
     "more than --queue is dropped (dropped_rate)."},
    {"queue", "MS",
     "Bound of the --rate queue, as ms of data at the rate (default 100 ms). Only with --rate."},
};

std::optional<std::string> value_of(const po::variables_map& vm, const std::string& name) {
  if (!vm.count(name)) return std::nullopt;
  return vm[name].as<std::string>();
}

// The value for one direction, and the option name to quote in messages.
struct DirectionalValue {
  std::string option;
  std::string text;
};
std::optional<DirectionalValue> directional_value(const po::variables_map& vm,
                                                  const std::string& name, Direction direction) {
  const std::string specific = fmt::format("{}-{}", name, to_string(direction));
  if (auto text = value_of(vm, specific)) return DirectionalValue{"--" + specific, *text};
  if (auto text = value_of(vm, name)) return DirectionalValue{"--" + name, *text};
  return std::nullopt;
}

DirectionSettings direction_settings(const po::variables_map& vm, Direction direction) {
  DirectionSettings settings;
  const auto get = [&](const char* name) { return directional_value(vm, name, direction); };
  if (auto v = get("loss")) settings.loss = parse_percentage(v->text, v->option);
  if (auto v = get("ge")) settings.burst = parse_gilbert_elliott(v->text, v->option);
  if (auto v = get("delay")) settings.delay_ns = parse_duration(v->text, kNsPerMs, v->option);
  if (auto v = get("jitter")) settings.jitter_ns = parse_duration(v->text, kNsPerMs, v->option);
  if (auto v = get("reorder")) settings.reorder = parse_percentage(v->text, v->option);
  if (auto v = get("reorder-gap")) {
    settings.reorder_gap_ns = parse_duration(v->text, kNsPerMs, v->option);
  }
  if (auto v = get("duplicate")) settings.duplicate = parse_percentage(v->text, v->option);
  if (auto v = get("rate")) settings.rate_kbps = parse_rate_kbps(v->text, v->option);
  if (auto v = get("queue")) {
    settings.queue_ns = parse_duration(v->text, kNsPerMs, v->option);
    if (settings.rate_kbps == 0) throw UsageError(fmt::format("{}: needs --rate", v->option));
  }
  return settings;
}

std::atomic<Relay*> g_relay{nullptr};  // for the signal handler

extern "C" void on_signal(int) {
  if (Relay* relay = g_relay.load()) relay->stop();
}

void print_stats_line(const Stats& stats) {
  std::cout << to_json(stats) << std::endl;
}

int run(int argc, char** argv) {
  po::options_description visible(kSynopsis);
  // clang-format off
  visible.add_options()
    ("help,h", "Print this help and exit.")
    ("listen", po::value<std::string>()->value_name("HOST:PORT"),
     "Required. Where the client sends (an IPv4 address, e.g. 127.0.0.1:9000). Port 0 takes a "
     "free port (printed on stderr).")
    ("forward", po::value<std::string>()->value_name("HOST:PORT"),
     "Required. Where the relay sends the client's datagrams, from its own socket on a free "
     "port; what comes back to that socket goes to the client.")
    ("seed", po::value<std::string>()->value_name("N"),
     "Seed of the draws, an unsigned 64-bit decimal integer (default 0).");
  // clang-format on
  po::options_description impairments(
      "Impairments (each also as --X-forward and --X-back, which override --X for one "
      "direction)");
  for (const DirectionalOption& option : kDirectionalOptions) {
    impairments.add_options()(option.name, po::value<std::string>()->value_name(option.value_name),
                              option.help);
  }
  po::options_description per_direction;  // accepted, not listed one by one in --help
  for (const DirectionalOption& option : kDirectionalOptions) {
    for (Direction direction : {Direction::forward, Direction::back}) {
      const std::string name = fmt::format("{}-{}", option.name, to_string(direction));
      per_direction.add_options()(name.c_str(), po::value<std::string>(), "");
    }
  }
  po::options_description run_options("Outages and run");
  // clang-format off
  run_options.add_options()
    ("outage", po::value<std::vector<std::string>>()->composing()->value_name("START+LEN"),
     "Drop everything, both directions, during [START, START+LEN): datagrams that arrive then "
     "and datagrams due to leave then. Times from the first datagram the relay receives (in "
     "either direction), not from the start of the program. Units h, min, s (default), ms, "
     "us: 30s+2s, 30+2, 1.5s+500ms. Repeatable.")
    ("duration", po::value<std::string>()->value_name("T"),
     "Stop after T (default unit s; e.g. 180, 3min) and print the counters.")
    ("stats", po::value<std::string>()->value_name("FILE"),
     "Also write the final JSON counters to FILE.")
    ("stats-interval", po::value<std::string>()->value_name("S"),
     "Also print the JSON counters every S (default unit s), as lines with \"final\":false.");
  // clang-format on
  visible.add(impairments).add(run_options);
  po::options_description all;
  all.add(visible).add(per_direction);

  po::variables_map vm;
  const int style = po::command_line_style::default_style & ~po::command_line_style::allow_guessing;
  po::store(po::command_line_parser(argc, argv).options(all).style(style).run(), vm);
  po::notify(vm);
  if (vm.count("help")) {
    std::cout << visible << "\n";
    return 0;
  }

  RelayOptions options;
  const std::optional<std::string> listen = value_of(vm, "listen");
  const std::optional<std::string> forward = value_of(vm, "forward");
  if (!listen) throw UsageError("--listen HOST:PORT is required");
  if (!forward) throw UsageError("--forward HOST:PORT is required");
  options.listen = parse_endpoint(*listen, "--listen");
  options.forward = parse_endpoint(*forward, "--forward");
  if (auto seed = value_of(vm, "seed")) options.link.seed = parse_seed(*seed);
  options.link.forward = direction_settings(vm, Direction::forward);
  options.link.back = direction_settings(vm, Direction::back);
  if (vm.count("outage")) {
    for (const std::string& text : vm["outage"].as<std::vector<std::string>>()) {
      options.link.outages.push_back(parse_outage(text));
    }
  }
  if (auto text = value_of(vm, "duration")) {
    options.duration_ns = parse_duration(*text, kNsPerSecond, "--duration");
  }
  if (auto text = value_of(vm, "stats-interval")) {
    options.stats_interval_ns = parse_duration(*text, kNsPerSecond, "--stats-interval");
    if (*options.stats_interval_ns <= 0) {
      throw UsageError(fmt::format("--stats-interval: must be positive, got '{}'", *text));
    }
    options.on_stats = print_stats_line;
  }
  const std::optional<std::string> stats_path = value_of(vm, "stats");
  std::ofstream stats_file;
  if (stats_path) {
    stats_file.open(*stats_path, std::ios::trunc);
    if (!stats_file) {
      throw SocketError(fmt::format("--stats {}: cannot create the file", *stats_path));
    }
  }

  Relay relay(options);
  std::cerr << fmt::format("skyclass-linksim: listening on {}, forwarding from {} to {}, seed {}\n",
                           relay.listen_address().to_string(), relay.relay_address().to_string(),
                           options.forward.to_string(), options.link.seed);
  g_relay = &relay;
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  ::sigaction(SIGINT, &action, nullptr);
  ::sigaction(SIGTERM, &action, nullptr);

  const Stats stats = relay.run();
  g_relay = nullptr;
  const std::string json = to_json(stats);
  std::cout << json << std::endl;
  if (stats_path) {
    stats_file << json << "\n";
    stats_file.close();
    if (!stats_file) throw SocketError(fmt::format("--stats {}: cannot write", *stats_path));
  }
  std::cerr << "skyclass-linksim: " << summary_line(stats) << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const po::error& error) {
    std::cerr << "skyclass-linksim: " << error.what() << " (see --help)\n";
    return kExitUsage;
  } catch (const UsageError& error) {
    std::cerr << "skyclass-linksim: " << error.what() << " (see --help)\n";
    return kExitUsage;
  } catch (const std::exception& error) {
    std::cerr << "skyclass-linksim: " << error.what() << "\n";
    return kExitSocket;
  }
}

// skyclass-scheduler: weekly timetable -> daily playlists, EPG and XMLTV (docs/scheduler.md).
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <set>

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include "scheduler/builder.hpp"
#include "scheduler/channel_config.hpp"
#include "scheduler/epg.hpp"
#include "scheduler/rundown.hpp"
#include "scheduler/timetable.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;
using namespace skyclass::scheduler;

namespace {

constexpr int kExitProblems = 1;
constexpr int kExitUsage = 2;

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct Options {
  fs::path timetable, media, config, out_dir, xmltv, probe_cache;
  std::string week_of, from;
  int days = 8;
};

po::options_description build_options(Options& o, bool for_check) {
  po::options_description d(for_check ? "check options" : "build options");
  d.add_options()
    ("help,h", "show this help")
    ("timetable", po::value(&o.timetable)->required(), "weekly timetable CSV (docs/timetable.md)")
    ("week-of", po::value(&o.week_of)->required(), "the Monday (YYYY-MM-DD) from which the weekly rows apply")
    ("media", po::value(&o.media), "media library folder; timetable and config media paths are relative to it")
    ("config", po::value(&o.config), "channel.ini (built-in defaults when absent)")
    ("from", po::value(&o.from), "first broadcast day to build (default: --week-of)")
    ("days", po::value(&o.days)->default_value(8), "number of broadcast days")
    ("probe-cache", po::value(&o.probe_cache), "media probe cache (default: OUT-DIR/.probe-cache.json, or none for check)");
  if (!for_check) {
    d.add_options()
      ("out-dir", po::value(&o.out_dir)->required(), "folder for the YYYY-MM-DD.json playlists")
      ("xmltv", po::value(&o.xmltv), "also write the EPG of all built days as XMLTV");
  }
  return d;
}

Date require_date(const std::string& text, const char* option) {
  auto date = parse_date(text);
  if (!date) throw UsageError(fmt::format("--{}: '{}' is not a date YYYY-MM-DD", option, text));
  return *date;
}

bool parse_command_line(int argc, char** argv, const po::options_description& d, const char* usage) {
  po::variables_map vm;
  po::store(po::command_line_parser(argc, argv).options(d).run(), vm);
  if (vm.count("help")) {
    std::cout << usage << "\n\n" << d << "\n";
    return false;
  }
  po::notify(vm);
  return true;
}

void print_diagnostics(const Diagnostics& diagnostics) {
  for (const auto& d : diagnostics.all()) std::cerr << d.to_string() << "\n";
}

struct Loaded {
  ChannelConfig config;
  Timetable timetable;
  Date week_of{}, from{};
};

Loaded load_inputs(const Options& o, Diagnostics& diagnostics) {
  Loaded in;
  in.config = o.config.empty() ? default_channel_config() : load_channel_config(o.config);
  in.week_of = require_date(o.week_of, "week-of");
  if (iso_weekday_index(in.week_of) != 0)
    throw UsageError(fmt::format("--week-of: {} is a {}, expected a Monday", o.week_of,
                                 weekday_name(iso_weekday_index(in.week_of))));
  in.from = o.from.empty() ? in.week_of : require_date(o.from, "from");
  if (o.days < 1 || o.days > 3660) throw UsageError("--days: expected 1..3660");
  in.timetable = load_timetable(o.timetable, diagnostics);
  check_overlaps(in.timetable, in.week_of, diagnostics);
  return in;
}

// In `check`, media that cannot be played is a problem to fix before air, not just a warning.
void check_media(const Timetable& timetable, MediaProbe& probe, Diagnostics& diagnostics) {
  for (const auto& row : timetable.rows) {
    if (row.is_live()) continue;
    MediaFacts facts = probe.probe(row.media);
    if (!facts.readable)
      diagnostics.error(timetable.file, row.line, "media",
                        fmt::format("'{}' cannot be played: {}", row.media, facts.error));
  }
}

int run_build(int argc, char** argv) {
  Options o;
  auto d = build_options(o, false);
  if (!parse_command_line(argc, argv, d, "usage: skyclass-scheduler build --timetable F.csv --week-of D --out-dir DIR [options]"))
    return 0;
  Diagnostics diagnostics;
  Loaded in = load_inputs(o, diagnostics);
  if (diagnostics.has_errors()) {
    print_diagnostics(diagnostics);
    std::cerr << "nothing was written: fix the problems above\n";
    return kExitProblems;
  }
  fs::path cache = o.probe_cache.empty() ? o.out_dir / ".probe-cache.json" : o.probe_cache;
  fs::create_directories(o.out_dir);
  MediaProbe probe(o.media, cache);
  ScheduleBuilder builder(in.timetable, in.config, probe, in.week_of);
  // Day by day: stage the file, keep what the id check and the summary need, and the whole day
  // only when XMLTV wants it. Nothing is renamed into place until every check has passed.
  StagedPlaylists staged(o.out_dir);
  std::vector<EventIdUse> ids;
  std::vector<Playlist> for_xmltv;
  std::vector<std::string> summary;
  for (int i = 0; i < o.days; ++i) {
    Playlist day = builder.day(in.from + std::chrono::days{i});
    collect_event_ids(day, ids);
    fs::path file = staged.stage(day);
    int lessons = 0, warnings = 0;
    for (const auto& item : day.items) {
      lessons += item.kind == ItemKind::lesson || item.kind == ItemKind::live;
      warnings += int(item.warnings.size());
    }
    summary.push_back(fmt::format("{}  {:4} items  {:3} lessons  {:2} warnings  {}",
                                  format_date(day.date), day.items.size(), lessons, warnings,
                                  file.string()));
    if (!o.xmltv.empty()) for_xmltv.push_back(std::move(day));
  }
  probe.save();
  diagnostics.append(builder.diagnostics());
  check_event_ids(ids, in.timetable.file, diagnostics);
  print_diagnostics(diagnostics);
  if (diagnostics.has_errors()) {
    std::cerr << "nothing was written: fix the problems above\n";
    return kExitProblems;
  }
  if (!o.xmltv.empty()) write_xmltv(for_xmltv, in.config, o.xmltv);
  staged.commit();
  for (const auto& line : summary) fmt::print("{}\n", line);
  if (!o.xmltv.empty()) fmt::print("XMLTV: {}\n", o.xmltv.string());
  return 0;
}

int run_check(int argc, char** argv) {
  Options o;
  auto d = build_options(o, true);
  if (!parse_command_line(argc, argv, d, "usage: skyclass-scheduler check --timetable F.csv --week-of D [--media DIR --config F]"))
    return 0;
  Diagnostics diagnostics;
  Loaded in = load_inputs(o, diagnostics);
  std::size_t lessons = in.timetable.rows.size();
  if (!o.media.empty() && !diagnostics.has_errors()) {
    MediaProbe probe(o.media, o.probe_cache);
    check_media(in.timetable, probe, diagnostics);
    ScheduleBuilder builder(in.timetable, in.config, probe, in.week_of);
    std::vector<EventIdUse> ids;
    for (int i = 0; i < o.days; ++i) collect_event_ids(builder.day(in.from + std::chrono::days{i}), ids);
    check_event_ids(ids, in.timetable.file, diagnostics);
    // Unplayable media is already an error above; the builder's other findings pass through.
    for (const auto& d : builder.diagnostics().all()) {
      if (d.is_error) diagnostics.error(d.file, d.line, d.column, d.message);
      else if (d.message.find("cannot be played") == std::string::npos)
        diagnostics.warning(d.file, d.line, d.column, d.message);
    }
  }
  print_diagnostics(diagnostics);
  int errors = 0;
  for (const auto& d : diagnostics.all()) errors += d.is_error;
  if (errors > 0) {
    std::cerr << fmt::format("{}: {} problem(s)\n", o.timetable.string(), errors);
    return kExitProblems;
  }
  fmt::print("{}: OK, {} rows\n", o.timetable.string(), lessons);
  return 0;
}

int run_show(int argc, char** argv) {
  fs::path file;
  po::options_description d("show options");
  d.add_options()("help,h", "show this help")("playlist", po::value(&file)->required(), "a day's playlist JSON");
  po::positional_options_description positional;
  positional.add("playlist", 1);
  po::variables_map vm;
  po::store(po::command_line_parser(argc, argv).options(d).positional(positional).run(), vm);
  if (vm.count("help")) {
    std::cout << "usage: skyclass-scheduler show DAY.json\n\n" << d << "\n";
    return 0;
  }
  po::notify(vm);
  Playlist playlist = read_playlist(file);
  std::cout << format_rundown(playlist);
  return 0;
}

int run_config(int argc, char** argv) {
  if (argc > 1 && std::string(argv[1]) != "--help" && std::string(argv[1]) != "-h") {
    ChannelConfig config = load_channel_config(argv[1]);
    fmt::print("{}: OK — {} (service {}, {} fillers, day starts {})\n", argv[1], config.name,
               config.service_id, config.fillers.size(), format_clock(config.day_start_s * 1000));
    return 0;
  }
  ChannelConfig defaults;
  std::cout << "usage: skyclass-scheduler config [channel.ini]   (checks the file; without it, lists every key)\n\n"
            << channel_config_options(defaults) << "\n";
  return 0;
}

void print_usage() {
  std::cout <<
      "usage: skyclass-scheduler COMMAND [options]   (COMMAND --help for its options)\n\n"
      "commands:\n"
      "  build   timetable -> one playlist JSON per broadcast day (+ XMLTV)\n"
      "  check   validate a timetable (and its media) without writing anything\n"
      "  show    print a day's playlist as the duty editor's rundown\n"
      "  config  list every channel.ini key, or check a channel.ini\n\n"
      "exit status: 0 ok, 1 problems in the input (all listed as file:line: column: message),\n"
      "2 usage error\n";
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || std::string(argv[1]) == "--help" || std::string(argv[1]) == "-h") {
    print_usage();
    return argc < 2 ? kExitUsage : 0;
  }
  std::string command = argv[1];
  try {
    if (command == "build") return run_build(argc - 1, argv + 1);
    if (command == "check") return run_check(argc - 1, argv + 1);
    if (command == "show") return run_show(argc - 1, argv + 1);
    if (command == "config") return run_config(argc - 1, argv + 1);
    std::cerr << fmt::format("skyclass-scheduler: unknown command '{}'\n", command);
    print_usage();
    return kExitUsage;
  } catch (const UsageError& e) {
    std::cerr << "skyclass-scheduler " << command << ": " << e.what() << "\n";
    return kExitUsage;
  } catch (const po::error& e) {
    std::cerr << "skyclass-scheduler " << command << ": " << e.what() << " (see --help)\n";
    return kExitUsage;
  } catch (const std::exception& e) {
    std::cerr << "skyclass-scheduler " << command << ": " << e.what() << "\n";
    return kExitProblems;
  }
}

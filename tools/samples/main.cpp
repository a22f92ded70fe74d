// skyclass-samples: writes the sample media library (docs/samples.md).
#include <cstdio>
#include <iostream>
#include <utility>

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include "scheduler/timetable.hpp"
#include "tools/samples/catalog.hpp"
#include "tools/samples/embedded_timetable.hpp"
#include "tools/samples/generate.hpp"
#include "tools/samples/lesson_clips.hpp"

namespace po = boost::program_options;
using namespace skyclass;

namespace {

// "WxH" -> {W, H}; the range checks are tools::scaled_library's.
std::pair<int, int> parse_size(const std::string& text) {
  int width = 0, height = 0;
  char x = 0, rest = 0;
  if (std::sscanf(text.c_str(), "%d%c%d%c", &width, &x, &height, &rest) != 3 || x != 'x')
    throw po::error(fmt::format("--size: expected WIDTHxHEIGHT such as 128x72, got '{}'", text));
  return {width, height};
}

}  // namespace

int main(int argc, char** argv) {
  std::string out_dir, timetable_file, size;
  double scale = 1.0;
  int jobs = 0;
  po::options_description d(
      "usage: skyclass-samples --out DIR [--duration-scale F] [--size WxH] [--timetable F.csv]\n"
      "                        [--jobs N] [--list]\n\n"
      "Writes the sample media library: one lesson clip per media path of the timetable (title,\n"
      "grade and a running clock burnt in), the fillers, ident and slate of samples/channel.ini,\n"
      "and awkward inputs under special/ (720p30 AAC, 640x360 mono 44.1 kHz, 4:3, no audio,\n"
      "truncated, corrupt). Output is deterministic; clips already up to date are skipped.\n\n"
      "options");
  d.add_options()
    ("help,h", "show this help")
    ("out", po::value(&out_dir)->required(), "library folder to write")
    ("duration-scale", po::value(&scale)->default_value(1.0), "multiply every clip's length (e.g. 0.01 for tests); never below 1 s")
    ("size", po::value(&size), "draw the library at WxH instead of 720x576 (e.g. 128x72 for long soak runs): "
                               "every clip's sides scale by W/720 and H/576 (house clips become WxH, special clips "
                               "stay larger or smaller), even, at least 64; the SAR keeps each clip's display aspect. "
                               "The frame-code strip must fit in every clip: W >= 106 while H < 216")
    ("timetable", po::value(&timetable_file), "timetable whose media to write (default: the built-in sample week)")
    ("jobs", po::value(&jobs)->default_value(0), "parallel encoders (0: one per core)")
    ("list", "print the clips that would be written, and write nothing");
  try {
    po::variables_map vm;
    po::store(po::parse_command_line(argc, argv, d), vm);
    if (vm.count("help")) {
      std::cout << d << "\n";
      return 0;
    }
    po::notify(vm);
    if (!(scale > 0 && scale <= 10)) throw po::error("--duration-scale: expected a number in (0, 10]");

    scheduler::Diagnostics diagnostics;
    scheduler::Timetable timetable =
        timetable_file.empty()
            ? scheduler::parse_timetable(tools::embedded_sample_timetable(),
                                         "samples/week-2020-02-17.csv (built in)", diagnostics)
            : scheduler::load_timetable(timetable_file, diagnostics);
    if (diagnostics.has_errors()) {
      std::cerr << diagnostics.to_string();
      return 1;
    }
    std::vector<tools::ClipSpec> clips = tools::library_clips(timetable, scale);
    if (!size.empty()) {
      const auto [width, height] = parse_size(size);
      try {
        clips = tools::scaled_library(std::move(clips), width, height);
      } catch (const std::invalid_argument& e) {
        throw po::error(fmt::format("--size: {}", e.what()));
      }
    }
    if (vm.count("list")) {
      for (const auto& c : clips)
        fmt::print("{:<44} {:>9.2f} s  {}x{} {}:{}  {}\n", c.relative_path, c.duration_ms / 1000.0,
                   c.width, c.height, c.sar_num, c.sar_den, c.title);
      return 0;
    }
    tools::GenerateReport report = tools::generate_all(clips, out_dir, jobs);
    fmt::print("{}: {} clips made, {} up to date, {} failed in {:.1f} s with {} jobs\n", out_dir,
               report.made(), report.skipped(), report.failed(), report.seconds, report.jobs);
    for (const auto& c : report.clips)
      if (c.status == tools::ClipOutcome::Status::failed)
        std::cerr << fmt::format("{}: {}\n", c.relative_path, c.error);
    return report.failed() == 0 ? 0 : 1;
  } catch (const po::error& e) {
    std::cerr << "skyclass-samples: " << e.what() << " (see --help)\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "skyclass-samples: " << e.what() << "\n";
    return 1;
  }
}

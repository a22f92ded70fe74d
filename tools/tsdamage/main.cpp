// skyclass-tsdamage: damages a transport stream deterministically from a seed (TEI, drops, bit
// flips, outages) and reports exactly what it injected. See tools/tsdamage/damage.hpp.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include "tools/tsdamage/damage.hpp"

namespace po = boost::program_options;
using namespace skyclass::tsdamage;

namespace {

constexpr int kExitIo = 1;
constexpr int kExitUsage = 2;

constexpr const char* kSynopsis =
    "Usage: skyclass-tsdamage IN.ts OUT.ts --seed N [--tei PCT] [--drop PCT] [--flip PCT]\n"
    "                         [--outage START+LEN ...] [--report FILE.json]\n"
    "\n"
    "Damages a 188-byte MPEG-TS the way a satellite link does, the same way for the same seed\n"
    "and input, byte for byte, and accounts for it exactly (JSON with --report, one line on\n"
    "stderr always). IN or OUT may be '-' for stdin or stdout; --outage needs IN to be a file.\n"
    "\n"
    "Every 188-byte packet of IN draws four numbers from mt19937_64(seed): TEI, drop, flip, bit.\n"
    "They are drawn whatever the options, so adding one kind of damage or an outage never\n"
    "changes which packets the others choose. PCT is a percentage of all packets (0 to 100).\n"
    "\n"
    "The report counts, on OUT: continuity_errors, each packet whose continuity_counter a\n"
    "TR 101 290 1.4 check (ISO/IEC 13818-1 2.4.3.3) rejects against the previous packet of its\n"
    "PID: payload packets must step by 1 mod 16 or be one exact duplicate, adaptation-only\n"
    "packets must repeat the counter; first packets, the null PID and discontinuity_indicator\n"
    "are not errors; TEI packets are checked like the others. repeated_counter_errors are the\n"
    "ones among them where the counter repeats with another payload (a checker that takes any\n"
    "single repeat for a duplicate misses those). transport_error_packets_out: packets with TEI.\n"
    "\n"
    "Exit status: 0 done, 1 input or output problem (unreadable, not a 188-byte TS, no PCR for\n"
    "--outage, write error), 2 bad usage or option value.\n"
    "\n"
    "Options";

void print_help(const po::options_description& options) {
  std::cout << options << "\n";
}

// The option's value, if given.
std::optional<std::string> value_of(const po::variables_map& vm, const char* name) {
  if (!vm.count(name)) return std::nullopt;
  return vm[name].as<std::string>();
}

// Opened before the damage pass, so that a report that cannot be written stops the run early.
class ReportFile {
 public:
  explicit ReportFile(std::string path) : path_(std::move(path)) {
    if (path_ == "-") return;
    file_.open(path_, std::ios::binary | std::ios::trunc);
    if (!file_) throw InputError(fmt::format("{}: cannot create the report", path_));
  }
  ~ReportFile() {
    if (!written_ && path_ != "-") {
      file_.close();
      std::remove(path_.c_str());
    }
  }
  void write(const DamageReport& report) {
    const std::string text = to_json(report).dump(2) + "\n";
    std::ostream& out = path_ == "-" ? std::cout : file_;
    out << text << std::flush;
    if (path_ != "-") file_.close();
    if (!out) throw InputError(fmt::format("{}: cannot write the report", path_));
    written_ = true;
  }

 private:
  std::string path_;
  std::ofstream file_;
  bool written_ = false;
};

int run(int argc, char** argv) {
  po::options_description visible(kSynopsis);
  // clang-format off
  visible.add_options()
    ("help,h", "Print this help and exit.")
    ("seed", po::value<std::string>()->value_name("N"),
     "Required. Seed of the draws, an unsigned 64-bit decimal integer. The same seed and input "
     "always give the same OUT and report.")
    ("tei", po::value<std::string>()->value_name("PCT"),
     "Set transport_error_indicator on PCT % of all packets, chosen among every PID, the null "
     "PID included (a link does not look at PIDs; TR 101 290 2.1 counts them all). Nothing else "
     "in the packet changes. A packet that already had TEI is not counted as set.")
    ("drop", po::value<std::string>()->value_name("PCT"),
     "Remove PCT % of all packets, of any PID. Packets removed by an outage are not counted "
     "as drops.")
    ("flip", po::value<std::string>()->value_name("PCT"),
     "Choose PCT % of all packets and invert one random bit in the elementary-stream data of "
     "those that carry some: the payload after the PES header of a video, audio, "
     "private_stream_1 or extended PES, never the TS header, adaptation field, PES header, "
     "PIDs 0x0000-0x001F, PMT or network PIDs of the PAT, the null PID or a scrambled packet. "
     "Chosen packets without such bytes are left alone (flip_chosen_not_eligible).")
    ("outage", po::value<std::vector<std::string>>()->composing()->value_name("START+LEN"),
     "Remove every packet whose stream time lies in [START, START+LEN): 30s+3s, 30+3, "
     "1.5s+500ms; units h, min, s (default), ms, us. Repeatable. Stream time runs from the first "
     "packet, from the PCRs of the first PCR PID interpolated by byte position (extrapolated "
     "before the first and after the last PCR). Needs IN to be a file and two PCRs.")
    ("report", po::value<std::string>()->value_name("FILE.json"),
     "Write the JSON account here ('-': stdout, when OUT is not stdout): seed, packets_in/out, "
     "tei_packets, dropped_packets, flipped_packets, outages [{start_s, length_s, first_packet, "
     "packets}], continuity_errors, repeated_counter_errors, input_continuity_errors, "
     "transport_error_packets_out, unsynced_packets, per_pid, tei_packets_by_pid.");
  // clang-format on
  po::options_description hidden;
  hidden.add_options()("in", po::value<std::string>(), "IN")("out", po::value<std::string>(),
                                                             "OUT");
  po::options_description all;
  all.add(visible).add(hidden);
  po::positional_options_description positional;
  positional.add("in", 1).add("out", 1);

  po::variables_map vm;
  po::store(po::command_line_parser(argc, argv).options(all).positional(positional).run(), vm);
  po::notify(vm);
  if (vm.count("help")) {
    print_help(visible);
    return 0;
  }
  const std::optional<std::string> in = value_of(vm, "in");
  const std::optional<std::string> out = value_of(vm, "out");
  if (!in || !out) throw UsageError("expected IN.ts and OUT.ts (a path or '-')");
  const std::optional<std::string> seed = value_of(vm, "seed");
  if (!seed) throw UsageError("--seed N is required: the damage must be repeatable");

  DamageOptions options;
  options.seed = parse_seed(*seed);
  if (auto tei = value_of(vm, "tei")) options.tei = parse_percentage(*tei, "--tei");
  if (auto drop = value_of(vm, "drop")) options.drop = parse_percentage(*drop, "--drop");
  if (auto flip = value_of(vm, "flip")) options.flip = parse_percentage(*flip, "--flip");
  if (vm.count("outage")) {
    for (const std::string& text : vm["outage"].as<std::vector<std::string>>()) {
      options.outages.push_back(parse_outage(text));
    }
  }
  const std::optional<std::string> report_path = value_of(vm, "report");
  if (report_path && *report_path == "-" && *out == "-") {
    throw UsageError("--report -: stdout already carries OUT; give the report a file");
  }

  std::optional<ReportFile> report_file;
  if (report_path) report_file.emplace(*report_path);
  const DamageReport report = damage_file(*in, *out, options);
  if (report_file) report_file->write(report);
  std::cerr << "skyclass-tsdamage: " << summary_line(report) << "\n";
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const po::error& error) {
    std::cerr << "skyclass-tsdamage: " << error.what() << " (see --help)\n";
    return kExitUsage;
  } catch (const UsageError& error) {
    std::cerr << "skyclass-tsdamage: " << error.what() << " (see --help)\n";
    return kExitUsage;
  } catch (const std::exception& error) {
    std::cerr << "skyclass-tsdamage: " << error.what() << "\n";
    return kExitIo;
  }
}

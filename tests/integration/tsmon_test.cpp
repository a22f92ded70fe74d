// Issue 7: skyclass-tsmon on the headend's own output (every indicator zero), on that output
// damaged by skyclass-tsdamage (exactly the counts injected), live over UDP and SRT, and beside
// independent tools on the same streams: dvbinfo and tsreport (continuity), ffprobe and mediainfo
// (service names).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <string>
#include <thread>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "tests/integration/process.hpp"

namespace fs = std::filesystem;
using nlohmann::json;
using skyclass::testing::Background;
using skyclass::testing::free_port;
using skyclass::testing::run;
using skyclass::testing::sh_quote;

namespace {

const fs::path kBin = SKYCLASS_BIN_DIR;
const fs::path kSource = SKYCLASS_SOURCE_DIR;
const fs::path kSmallLibrary = SKYCLASS_SAMPLES_SMALL;
const fs::path kOut = fs::path(SKYCLASS_TEST_DATA_DIR) / "tsmon";

void measured(const std::string& line) { std::cout << "measured: " << line << std::endl; }

std::string bin(const char* name) { return sh_quote((kBin / name).string()); }

json tsmon_json(const std::string& input_and_options, int* exit_code = nullptr) {
  const auto r = run(bin("skyclass-tsmon") + " " + input_and_options + " --json");
  if (exit_code) *exit_code = r.exit_code;
  EXPECT_FALSE(r.out.empty()) << r.err;
  return r.out.empty() ? json{} : json::parse(r.out);
}

// Byte offset of the first packet of `pid` in a 188-byte TS file.
std::uint64_t first_packet_of(const fs::path& ts, int pid) {
  std::ifstream in(ts, std::ios::binary);
  char packet[188];
  for (std::uint64_t offset = 0; in.read(packet, 188); offset += 188) {
    if ((((packet[1] & 0x1F) << 8) | static_cast<unsigned char>(packet[2])) == pid) return offset;
  }
  return 0;
}

std::uint64_t pid_value(const json& summary, int pid, const char* key) {
  for (const json& p : summary["pids"]) {
    if (p["pid"] == pid) return p[key].get<std::uint64_t>();
  }
  return 0;
}

// Per-PID continuity error counts printed by dvbinfo (one stderr line per discontinuity).
std::map<int, std::uint64_t> dvbinfo_continuity(const fs::path& ts) {
  // Without -j, dvbinfo writes its summary to "(null).part" in the current directory.
  const auto r = run("dvbinfo -f " + sh_quote(ts.string()) + " -s bandwidth -j " +
                     sh_quote((kOut / "dvbinfo-summary.txt").string()) +
                     " 2>&1 >/dev/null | grep -a 'Continuity counter discontinuity'");
  std::map<int, std::uint64_t> counts;
  const std::regex line(R"(\(pid (\d+) )");
  for (std::sregex_iterator it(r.out.begin(), r.out.end(), line), end; it != end; ++it) {
    ++counts[std::stoi((*it)[1])];
  }
  return counts;
}

// Per-PID continuity errors of tsreport -b (the elementary streams of program 1): its "CC error",
// "CC contents error" (a repeated counter with other bytes) and "CC duplicate error" lines.
std::map<int, std::uint64_t> tsreport_continuity(const fs::path& ts) {
  const auto r = run("tsreport -b " + sh_quote(ts.string()));
  std::map<int, std::uint64_t> counts;
  std::map<int, int> stream_pid;  // "Stream 0: PID 0101 (257), ..." lists them first
  int pid = -1;
  std::istringstream in(r.out);
  const std::regex listed(R"(^\s*Stream (\d+): PID [0-9a-fA-F]+ \(\s*(\d+)\))"),
      section(R"(^Stream (\d+): PID)"),
      error(R"(### CC (error|contents error|duplicate error) \* (\d+))");
  for (std::string text; std::getline(in, text);) {
    std::smatch m;
    if (std::regex_search(text, m, listed)) {
      stream_pid[std::stoi(m[1])] = std::stoi(m[2]);
      counts[std::stoi(m[2])];
    }
    if (std::regex_search(text, m, section)) pid = stream_pid[std::stoi(m[1])];
    if (pid >= 0 && std::regex_search(text, m, error)) counts[pid] += std::stoull(m[2]);
  }
  return counts;
}

// tsmon's continuity events on `pid` that tsreport 1.13 can see: it starts at the first PMT
// packet, and only checks a packet when the previous counter was above 0 (`last_cc > 0`), so an
// error right after a counter of 0 is one it never reports.
std::uint64_t errors_tsreport_checks(const json& summary, int pid, std::uint64_t first_pmt_offset) {
  std::uint64_t count = 0;
  const std::regex expected(R"(expected (\d+)( \(adaptation)?)");
  for (const json& e : summary["events"]) {
    if (e["id"] != "1.4" || e["pid"] != pid || e["offset"] < first_pmt_offset) continue;
    std::smatch m;
    const std::string detail = e["detail"];
    if (!std::regex_search(detail, m, expected)) continue;
    const int value = std::stoi(m[1]);
    const int previous = m[2].matched ? value : (value + 15) % 16;
    if (previous != 0) ++count;
  }
  return count;
}

class Tsmon : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fs::remove_all(kOut);
    fs::create_directories(kOut);
    const auto built = run(bin("skyclass-scheduler") + " build --timetable " +
                           sh_quote((kSource / "samples/week-2020-02-17.csv").string()) +
                           " --week-of 2020-02-17 --days 1 --config " +
                           sh_quote((kSource / "samples/channel.ini").string()) + " --media " +
                           sh_quote(kSmallLibrary.string()) + " --out-dir " +
                           sh_quote((kOut / "playlists").string()));
    ASSERT_EQ(built.exit_code, 0) << built.err;
    // 90 s across the 08:00 hard start and several item boundaries, at the DVB profile.
    const auto played = run(bin("skyclass-headend") + " play --config " +
                            sh_quote((kSource / "samples/channel.ini").string()) + " --playlists " +
                            sh_quote((kOut / "playlists").string()) + " --media " +
                            sh_quote(kSmallLibrary.string()) +
                            " --clock virtual --start 2020-02-17T07:59:00+08:00 --duration 90s"
                            " --output file:" + sh_quote(clean().string()));
    ASSERT_EQ(played.exit_code, 0) << played.err;
    const auto damaged = run(bin("skyclass-tsdamage") + " " + sh_quote(clean().string()) + " " +
                             sh_quote(damaged_ts().string()) +
                             " --seed 2020 --tei 1 --drop 0.5 --outage 40s+3s --report " +
                             sh_quote((kOut / "damage.json").string()));
    ASSERT_EQ(damaged.exit_code, 0) << damaged.err;
    std::ifstream report(kOut / "damage.json");
    damage_ = json::parse(report);
    clean_ = tsmon_json(sh_quote(clean().string()) + " --fail-on p3", &clean_exit_);
    damaged_ = tsmon_json(sh_quote(damaged_ts().string()));
  }

  static fs::path clean() { return kOut / "clean.ts"; }
  static fs::path damaged_ts() { return kOut / "damaged.ts"; }

  static inline json clean_, damaged_, damage_;
  static inline int clean_exit_ = -1;
};

TEST_F(Tsmon, EveryIndicatorIsZeroOnTheHeadendsOutput) {
  EXPECT_EQ(clean_exit_, 0) << clean_["tr101290"].dump();
  ASSERT_EQ(clean_["tr101290"].size(), 23u);
  for (const auto& [id, count] : clean_["tr101290"].items()) EXPECT_EQ(count, 0) << id;
  EXPECT_EQ(clean_["input"]["timing"], "pcr");
  EXPECT_EQ(clean_["input"]["packet_size"], 188);
  EXPECT_EQ(clean_["bitrate_bps"], 2'500'000);
  const json& pcr = clean_["pcr"].at(0);
  EXPECT_EQ(pcr["pid"], 0x0101);
  EXPECT_LE(pcr["interval_ms"]["max"].get<double>(), 40.0);
  EXPECT_LE(std::abs(pcr["accuracy_ns"]["min"].get<double>()), 500.0);
  EXPECT_LE(std::abs(pcr["accuracy_ns"]["max"].get<double>()), 500.0);
  EXPECT_EQ(pid_value(clean_, 0x0101, "continuity_errors"), 0u);
  const json& service = clean_["services"].at(0);
  EXPECT_EQ(service["service_id"], 404);
  EXPECT_EQ(service["name"], "CETV-4 空中课堂");
  EXPECT_FALSE(service["present"].is_null());
  EXPECT_EQ(clean_["clock"]["local_offset_minutes"], 480);
  EXPECT_EQ(clean_["clock"]["country"], "CHN");
  measured("headend output " + std::to_string(clean_["input"]["packets"].get<std::uint64_t>()) +
           " packets, all 23 indicators 0, PCR accuracy " +
           pcr["accuracy_ns"]["min"].dump() + ".." + pcr["accuracy_ns"]["max"].dump() + " ns");
}

TEST_F(Tsmon, DamageShowsUpAsExactlyTheCountsInjected) {
  const json& counts = damaged_["tr101290"];
  const std::uint64_t tei = damage_["tei_packets"], cc = damage_["continuity_errors"];
  ASSERT_GT(tei, 0u);
  ASSERT_GT(cc, 0u);
  EXPECT_EQ(counts["2.1"], tei);
  EXPECT_EQ(counts["1.4"], cc);
  for (const auto& [pid, d] : damage_["per_pid"].items()) {
    const int number = std::stoi(pid);
    if (number == 0x1FFF) continue;
    EXPECT_EQ(pid_value(damaged_, number, "continuity_errors"), d["continuity_errors"]) << pid;
  }
  // TEI and continuity gaps drop a section before its CRC is checked: no false CRC errors.
  EXPECT_EQ(counts["2.2"], 0);
  // The 3-second outage: one absence each of PAT, its section, the PMT (per program and PID),
  // the PTS of both elementary streams, and one PCR jump without discontinuity_indicator.
  EXPECT_EQ(counts["1.3"], 1);
  EXPECT_EQ(counts["1.3a"], 1);
  EXPECT_EQ(counts["1.5"], 1);
  EXPECT_EQ(counts["1.5a"], 1);
  EXPECT_EQ(counts["2.5"], 2);
  EXPECT_EQ(counts["2.3b"], 1);
  EXPECT_EQ(counts["1.6"], 0);
  EXPECT_EQ(counts["1.1"], 0);
  measured("tsdamage seed 2020: " + std::to_string(tei) + " TEI packets, " + std::to_string(cc) +
           " continuity errors injected; tsmon 2.1 = " + counts["2.1"].dump() +
           ", 1.4 = " + counts["1.4"].dump());
}

TEST_F(Tsmon, ContinuityAgreesWithDvbinfoAndTsreport) {
  for (const fs::path& ts : {clean(), damaged_ts()}) {
    const json summary = ts == clean() ? clean_ : damaged_;
    ASSERT_LT(summary["events"].size(), 10000u);  // every event kept
    // tsreport follows 13818-1 2.4.3.3 as tsmon does (adaptation-only packets repeat the
    // counter, one duplicate allowed), but starts at the PMT and skips the check after a
    // counter of 0.
    const auto tsreport = tsreport_continuity(ts);
    ASSERT_EQ(tsreport.size(), 2u) << "tsreport lists the video and audio PIDs";
    for (const auto& [pid, count] : tsreport) {
      EXPECT_EQ(errors_tsreport_checks(summary, pid, first_packet_of(ts, 0x0100)), count)
          << ts << " PID " << pid;
    }
    // dvbinfo expects +1 on every packet, so it also reports each adaptation-only packet, which
    // repeats its counter by the standard. Where a PID has none, the counts are the same; on
    // the clean stream its whole count is those packets.
    const auto dvbinfo = dvbinfo_continuity(ts);
    for (const json& p : summary["pids"]) {
      const int pid = p["pid"];
      if (pid == 0x1FFF) continue;
      const std::uint64_t reported = dvbinfo.count(pid) ? dvbinfo.at(pid) : 0;
      if (p["adaptation_only_packets"] == 0) {
        EXPECT_EQ(reported, p["continuity_errors"]) << ts << " PID " << pid;
      } else if (ts == clean()) {
        EXPECT_EQ(reported, p["adaptation_only_packets"]) << "PID " << pid;
      }
    }
  }
}

TEST_F(Tsmon, ServiceNamesAgreeWithFfprobeAndMediainfo) {
  const json& service = clean_["services"].at(0);
  const auto probe = run("ffprobe -v error -show_entries program_tags=service_name,service_provider "
                         "-of json " + sh_quote(clean().string()));
  const json tags = json::parse(probe.out)["programs"].at(0)["tags"];
  EXPECT_EQ(tags["service_name"], service["name"]);
  EXPECT_EQ(tags["service_provider"], service["provider"]);
  // mediainfo 22.12 shows the UTF-8 (selector 0x15) name as ISO 8859-1: its characters are the
  // bytes of the name, which must be tsmon's name exactly.
  const auto info = run("LC_ALL=C.UTF-8 mediainfo --Output=JSON " + sh_quote(clean().string()));
  ASSERT_EQ(info.exit_code, 0) << info.err;
  std::string name_bytes;
  const json media = json::parse(info.out);
  for (const json& track : media["media"]["track"]) {
    if (track["@type"] != "Menu") continue;
    const std::string latin1_as_utf8 = track["ServiceName"];
    for (std::size_t i = 0; i < latin1_as_utf8.size(); ++i) {
      const auto c = static_cast<unsigned char>(latin1_as_utf8[i]);
      if (c < 0x80) {
        name_bytes += static_cast<char>(c);
      } else {  // two UTF-8 bytes per ISO 8859-1 character
        name_bytes += static_cast<char>(((c & 0x1F) << 6) | (latin1_as_utf8[++i] & 0x3F));
      }
    }
    EXPECT_EQ(track["ServiceProvider"], service["provider"]);
  }
  EXPECT_EQ(name_bytes, service["name"].get<std::string>()) << info.out;
}

TEST_F(Tsmon, LiveUdpAndSrtInputsAreTimedByArrival) {
  // UDP: the clean stream paced at its rate into tsmon on loopback.
  const int udp_port = free_port(SOCK_DGRAM);
  json udp;
  std::thread monitor([&] {
    udp = tsmon_json("udp://@127.0.0.1:" + std::to_string(udp_port) + " --duration 5s");
  });
  ::usleep(500'000);
  const auto sent = run(bin("skyclass-bench-udpsend") + " " + sh_quote(clean().string()) +
                        " --port-base " + std::to_string(udp_port) + " --streams 1 --seconds 3");
  monitor.join();
  EXPECT_EQ(sent.exit_code, 0) << sent.err;
  EXPECT_EQ(udp["input"]["timing"], "arrival");
  EXPECT_EQ(udp["tr101290"]["1.4"], 0);
  EXPECT_EQ(udp["tr101290"]["1.3"], 0);
  EXPECT_GT(udp["input"]["packets"].get<std::uint64_t>(), 3000u);
  EXPECT_EQ(udp["services"].at(0)["name"], "CETV-4 空中课堂");

  // SRT: srt-live-transmit relays that UDP into tsmon's SRT listener, with a passphrase.
  const int relay_in = free_port(SOCK_DGRAM), srt_port = free_port(SOCK_DGRAM);
  const std::string passphrase = "skyclass-monitor-2020";
  json srt;
  std::thread srt_monitor([&] {
    srt = tsmon_json(sh_quote("srt://127.0.0.1:" + std::to_string(srt_port) +
                              "?mode=listener&latency=200&passphrase=" + passphrase) +
                     " --duration 6s");
  });
  ::usleep(500'000);
  Background relay("srt-live-transmit -q udp://127.0.0.1:" + std::to_string(relay_in) + " " +
              sh_quote("srt://127.0.0.1:" + std::to_string(srt_port) + "?passphrase=" + passphrase));
  ::usleep(700'000);
  run(bin("skyclass-bench-udpsend") + " " + sh_quote(clean().string()) + " --port-base " +
      std::to_string(relay_in) + " --streams 1 --seconds 3");
  srt_monitor.join();
  ASSERT_TRUE(srt.contains("link")) << srt.dump();
  // SRT carries 7 TS packets per data packet.
  EXPECT_GE(srt["link"]["packets_received"].get<std::int64_t>() * 7,
            srt["input"]["packets"].get<std::int64_t>());
  EXPECT_GT(srt["input"]["packets"].get<std::int64_t>(), 3000);
  EXPECT_EQ(srt["tr101290"]["1.4"], 0);
  EXPECT_EQ(srt["services"].at(0)["name"], "CETV-4 空中课堂");
  EXPECT_EQ(srt["input"]["spec"].get<std::string>().find(passphrase), std::string::npos);
  measured("UDP " + udp["input"]["packets"].dump() + " packets, SRT " +
           srt["input"]["packets"].dump() + " packets, RTT " + srt["link"]["rtt_ms"].dump() + " ms");
}

TEST_F(Tsmon, FailOnGivesTheExitStatusAndBadInputIsStated) {
  int code = -1;
  tsmon_json(sh_quote(damaged_ts().string()) + " --fail-on p1", &code);
  EXPECT_EQ(code, 1);
  tsmon_json(sh_quote(clean().string()) + " --fail-on p1", &code);
  EXPECT_EQ(code, 0);

  std::ofstream(kOut / "random.bin", std::ios::binary) << std::string(100000, '\x5a');
  const json random = tsmon_json(sh_quote((kOut / "random.bin").string()), &code);
  EXPECT_EQ(code, 0);
  EXPECT_EQ(random["input"]["packet_size"], 0);
  EXPECT_NE(random["input"]["statements"].at(0).get<std::string>().find("no transport stream"),
            std::string::npos);

  const auto missing = run(bin("skyclass-tsmon") + " " + sh_quote((kOut / "missing.ts").string()));
  EXPECT_EQ(missing.exit_code, 2);
  EXPECT_NE(missing.err.find("missing.ts"), std::string::npos) << missing.err;
}

}  // namespace

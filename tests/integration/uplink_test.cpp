// Issue 5: the headend's SRT uplinks against a real peer, srt-live-transmit, on loopback: the
// headend as caller into a listener, and as listener read by a caller, both with an AES-256
// passphrase and a streamid. The received files must be the stream the headend made (a UDP sink
// beside it is the reference), pass ffprobe and skyclass-tsmon with no continuity error; a wrong
// passphrase gets nothing and an unknown streamid is rejected.
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>
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
const fs::path kOut = fs::path(SKYCLASS_TEST_DATA_DIR) / "uplink";
const std::string kPassphrase = "uplink-secret-2020-aes256";

void measured(const std::string& line) { std::cout << "measured: " << line << std::endl; }

std::string bin(const char* name) { return sh_quote((kBin / name).string()); }

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

json tsmon(const fs::path& ts) {
  const auto r = run(bin("skyclass-tsmon") + " " + sh_quote(ts.string()) + " --json");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return r.out.empty() ? json{} : json::parse(r.out);
}

// `skyclass-headend play` on the real clock for `seconds`, with these outputs and the headend's own
// copy in a file. Returns the exit code; the status file is in kOut.
std::string play_command(const std::string& outputs, int seconds, const fs::path& copy) {
  return bin("skyclass-headend") + " play --config " +
         sh_quote((kSource / "samples/channel.ini").string()) + " --playlists " +
         sh_quote((kOut / "playlists").string()) + " --media " + sh_quote(kSmallLibrary.string()) +
         " --clock real --duration " + std::to_string(seconds) + "s " + outputs + " --output file:" +
         sh_quote(copy.string()) + " --status " + sh_quote((kOut / "status.json").string());
}

class Uplink : public ::testing::Test {
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
  }
};

TEST_F(Uplink, CallerFeedsSrtLiveTransmitListener) {
  const int port = free_port(SOCK_DGRAM);
  const fs::path received = kOut / "caller-received.ts", sent = kOut / "caller-sent.ts";
  // -a:no: srt-live-transmit ends (and flushes its file) when the headend hangs up.
  Background peer("srt-live-transmit -q -a:no " +
                  sh_quote("srt://:" + std::to_string(port) + "?mode=listener&passphrase=" +
                           kPassphrase + "&pbkeylen=32") +
                  " file://con > " + sh_quote(received.string()));
  ::usleep(500'000);
  const auto played = run(play_command(
      "--output " + sh_quote("srt://127.0.0.1:" + std::to_string(port) + "?passphrase=" +
                             kPassphrase + "&pbkeylen=32&streamid=uplink-main"),
      8, sent));
  ASSERT_EQ(played.exit_code, 0) << played.err;
  EXPECT_EQ(played.err.find(kPassphrase), std::string::npos);
  ASSERT_TRUE(peer.wait(10).has_value()) << "srt-live-transmit did not end";

  const std::string got = read_file(received), want = read_file(sent);
  ASSERT_GT(want.size(), 188u * 10000);
  EXPECT_EQ(got.size(), want.size());
  EXPECT_TRUE(got == want) << "the received stream differs from the headend's own copy";
  const json summary = tsmon(received);
  EXPECT_EQ(summary["tr101290"]["1.4"], 0);
  EXPECT_EQ(summary["services"].at(0)["name"], "CETV-4 空中课堂");
  const auto probe = run("ffprobe -v error -show_entries stream=codec_name -of csv=p=0 " +
                         sh_quote(received.string()));
  EXPECT_EQ(probe.exit_code, 0) << probe.err;
  EXPECT_NE(probe.out.find("h264"), std::string::npos) << probe.out;
  EXPECT_NE(probe.out.find("mp2"), std::string::npos) << probe.out;

  std::ifstream status_file(kOut / "status.json");
  const json status = json::parse(status_file);
  const std::string text = status.dump();
  EXPECT_EQ(text.find(kPassphrase), std::string::npos) << "the passphrase reached the status";
  measured("caller: " + std::to_string(got.size()) + " bytes received, identical to the headend's copy");
}

TEST_F(Uplink, ListenerServesAllowedStationsOnly) {
  const int port = free_port(SOCK_DGRAM);
  const fs::path sent = kOut / "listener-sent.ts";
  const std::string listener = "srt://127.0.0.1:" + std::to_string(port) +
                               "?mode=listener&passphrase=" + kPassphrase +
                               "&pbkeylen=32&allow=station-a";
  Background headend(play_command("--output " + sh_quote(listener), 10, sent) + " 2>" +
                     sh_quote((kOut / "listener-headend.err").string()));
  ::usleep(1'500'000);
  auto caller = [&](const std::string& streamid, const std::string& passphrase, const fs::path& out) {
    return std::make_unique<Background>(
        "srt-live-transmit -q -a:no " +
        sh_quote("srt://127.0.0.1:" + std::to_string(port) + "?streamid=" + streamid +
                 "&passphrase=" + passphrase + "&pbkeylen=32") +
        " file://con > " + sh_quote(out.string()));
  };
  const fs::path good = kOut / "station-a.ts", unknown = kOut / "station-x.ts",
                 wrong = kOut / "wrong-passphrase.ts";
  auto a = caller("station-a", kPassphrase, good);
  auto x = caller("station-x", kPassphrase, unknown);
  auto w = caller("station-a", "not-the-passphrase-at-all", wrong);
  ASSERT_TRUE(headend.wait(30).has_value());
  EXPECT_EQ(*headend.wait(0), 0);
  ASSERT_TRUE(a->wait(10).has_value());
  x->wait(2);
  w->wait(2);

  // Station A joined about 1.5 s in: it has the live stream from there on, a suffix of the
  // headend's own copy that starts on a packet.
  const std::string got = read_file(good), all = read_file(sent);
  ASSERT_GT(got.size(), 188u * 5000);
  ASSERT_LT(got.size(), all.size());
  EXPECT_EQ(got.size() % 188, 0u);
  EXPECT_TRUE(all.compare(all.size() - got.size(), got.size(), got) == 0)
      << "station A's stream is not the end of the headend's";
  EXPECT_EQ(tsmon(good)["tr101290"]["1.4"], 0);
  EXPECT_EQ(fs::file_size(unknown), 0u) << "an unknown streamid got data";
  EXPECT_EQ(fs::file_size(wrong), 0u) << "a wrong passphrase got data";

  std::ifstream status_file(kOut / "status.json");
  const json status = json::parse(status_file);
  const json* srt = nullptr;
  for (const json& sink : status["sinks"]) {
    if (sink["name"].get<std::string>().starts_with("srt://")) srt = &sink;
  }
  ASSERT_NE(srt, nullptr) << status.dump();
  EXPECT_GE((*srt)["rejected"].get<int>(), 1) << srt->dump();
  EXPECT_EQ(srt->dump().find(kPassphrase), std::string::npos);
  measured("listener: station-a " + std::to_string(got.size()) + " bytes (a suffix of " +
           std::to_string(all.size()) + "), station-x and a wrong passphrase 0 bytes, rejected " +
           (*srt)["rejected"].dump());
}

}  // namespace

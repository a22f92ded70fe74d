// The uplink sinks (udp://, srt://) against real peers on loopback: srt-live-transmit as the
// independent SRT peer in both directions, plain sockets for UDP.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <fstream>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "headend/sink.hpp"

extern char** environ;

namespace skyclass::headend {
namespace {

using Bytes = std::vector<std::uint8_t>;
constexpr std::size_t kPacket = 188;
constexpr const char* kPassphrase = "uplink-secret-2020";
constexpr const char* kSrtLiveTransmit = "/usr/bin/srt-live-transmit";

std::string temp_path(const std::string& name) {
  return fmt::format("{}/net_sink_{}_{}", SKYCLASS_TEST_DATA_DIR, getpid(), name);
}

// Numbered TS packets on PID 0x100: continuity counter and a 32-bit count in the payload.
Bytes ts_packets(std::uint32_t first, std::uint32_t count) {
  Bytes all(count * kPacket);
  for (std::uint32_t k = 0; k < count; ++k) {
    const std::uint32_t n = first + k;
    std::uint8_t* p = all.data() + k * kPacket;
    p[0] = 0x47;
    p[1] = 0x01;
    p[2] = 0x00;
    p[3] = static_cast<std::uint8_t>(0x10 | (n & 0x0f));
    for (int i = 0; i < 4; ++i) p[4 + i] = static_cast<std::uint8_t>(n >> (24 - 8 * i));
    for (std::size_t i = 8; i < kPacket; ++i) p[i] = static_cast<std::uint8_t>(n * 7 + i);
  }
  return all;
}

// Writes `packets` to `sink` 7 packets at a time, one chunk per `gap` (about real time).
void feed(Sink& sink, const Bytes& packets,
          std::chrono::microseconds gap = std::chrono::microseconds(500)) {
  for (std::size_t at = 0; at < packets.size(); at += 7 * kPacket) {
    const std::size_t n = std::min<std::size_t>(7 * kPacket, packets.size() - at);
    sink.write(std::span<const std::uint8_t>(packets.data() + at, n));
    std::this_thread::sleep_for(gap);
  }
}

bool wait_until(const std::function<bool()>& done, int limit_ms) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(limit_ms);
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return true;
}

std::uint16_t free_udp_port() {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

bool udp_port_bound(std::uint16_t port) {
  std::ifstream table("/proc/net/udp");
  const std::string local = fmt::format(":{:04X} ", port);
  for (std::string line; std::getline(table, line);) {
    if (line.find(local) != std::string::npos && line.find(local) < 30) return true;
  }
  return false;
}

// A child process (stdout to `stdout_path` or /dev/null, stderr to /dev/null), killed and
// reaped when the guard goes.
class Subprocess {
 public:
  explicit Subprocess(std::vector<std::string> argv, const std::string& stdout_path = "") {
    std::vector<char*> args;
    for (std::string& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1,
                                     stdout_path.empty() ? "/dev/null" : stdout_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    if (posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  Subprocess(const Subprocess&) = delete;
  Subprocess& operator=(const Subprocess&) = delete;
  ~Subprocess() { stop(); }
  void stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    for (int i = 0; i < 100 && waitpid(pid_, nullptr, WNOHANG) == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (i == 99) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
      }
    }
    pid_ = -1;
  }
  bool started() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
};

std::string error_of(const std::string& spec) {
  try {
    open_sink(spec);
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "(no std::invalid_argument)";
}

void expect_error_names(const std::string& spec, const std::vector<std::string>& parts) {
  const std::string message = error_of(spec);
  for (const std::string& part : parts) {
    EXPECT_NE(message.find(part), std::string::npos) << "'" << spec << "' gave: " << message;
  }
}

std::string state_json(const Sink& sink) { return nlohmann::json(sink.state()).dump(); }

// ---------------------------------------------------------------------------------------------
// Options and secrets

TEST(NetSinkOptions, ErrorsNameTheOption) {
  expect_error_names("srt://127.0.0.1:9000?latncy=120", {"unknown option 'latncy'", "latency",
                                                         "sndbuf", "allow", "queue_ms"});
  expect_error_names("srt://127.0.0.1:9000?latency=abc", {"'latency'", "0..60000"});
  expect_error_names("srt://127.0.0.1:9000?passphrase=0123456789&pbkeylen=20",
                     {"'pbkeylen'", "16, 24 or 32"});
  expect_error_names("srt://127.0.0.1:9000?mode=rendezvous", {"'mode'", "caller or listener"});
  expect_error_names("srt://127.0.0.1:9000?allow=a,b", {"'allow'", "listener"});
  expect_error_names("srt://127.0.0.1:9000?sndbuf=12", {"'sndbuf'", "bytes"});
  expect_error_names("srt://127.0.0.1:9000?queue_ms=5", {"'queue_ms'", "50..10000"});
  expect_error_names("srt://127.0.0.1:9000?oheadbw=500", {"'oheadbw'"});
  expect_error_names("srt://:9000", {"a caller needs a host"});
  expect_error_names("srt://127.0.0.1", {"no port"});
  expect_error_names("srt://:9000?mode=listener&allow_file=/nonexistent/allow.txt",
                     {"'allow_file'", "/nonexistent/allow.txt"});
  expect_error_names("udp://127.0.0.1:5000?pkt_size=1000", {"'pkt_size'", "multiple of 188"});
  expect_error_names("udp://127.0.0.1:5000?pkt_size=1504", {"'pkt_size'", "188..1316"});
  expect_error_names("udp://127.0.0.1:5000?ttl=300", {"'ttl'", "0..255"});
  expect_error_names("udp://127.0.0.1:5000?buffer=1", {"unknown option 'buffer'", "pkt_size"});
  expect_error_names("udp://@239.1.1.1:5000", {"receive address"});
  expect_error_names("udp://127.0.0.1:5000?iface=lo", {"'iface'", "multicast"});
  expect_error_names("rtp://127.0.0.1:5000", {"unknown sink 'rtp'", "srt://"});
}

TEST(NetSinkOptions, ThePassphraseNeverShows) {
  const std::string secret = "do-not-show-this-key";
  const std::string bad = error_of("srt://127.0.0.1:9000?passphrase=short");
  EXPECT_NE(bad.find("10 to 79 characters"), std::string::npos) << bad;
  EXPECT_EQ(bad.find("short"), std::string::npos) << bad;
  const std::string unknown =
      error_of(fmt::format("srt://127.0.0.1:9000?passphrase={}&bogus=1", secret));
  EXPECT_NE(unknown.find("'bogus'"), std::string::npos) << unknown;
  EXPECT_EQ(unknown.find(secret), std::string::npos) << unknown;

  // A caller to a port nobody listens on: name, state and status JSON show ***.
  const auto sink = open_sink(fmt::format(
      "srt://127.0.0.1:{}?passphrase={}&pbkeylen=32&streamid=uplink-a", free_udp_port(), secret));
  EXPECT_NE(sink->state().name.find("passphrase=***"), std::string::npos) << sink->state().name;
  EXPECT_NE(sink->state().name.find("streamid=uplink-a"), std::string::npos);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(state_json(*sink).find(secret), std::string::npos) << state_json(*sink);

  ::setenv("NET_SINK_TEST_PASSPHRASE", secret.c_str(), 1);
  const auto from_env = open_sink(fmt::format(
      "srt://127.0.0.1:{}?passphrase_env=NET_SINK_TEST_PASSPHRASE", free_udp_port()));
  EXPECT_EQ(state_json(*from_env).find(secret), std::string::npos);
  EXPECT_NE(from_env->state().name.find("passphrase_env=NET_SINK_TEST_PASSPHRASE"),
            std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Independence

TEST(SrtSink, ADeadCallerTargetNeverBlocksWrites) {
  const auto sink = open_sink(fmt::format("srt://127.0.0.1:{}?latency=40", free_udp_port()));
  const Bytes chunk = ts_packets(0, 7);
  for (int i = 0; i < 10000; ++i) sink->write(chunk);
  const SinkState s = sink->state();
  EXPECT_EQ(s.state, "disconnected");
  EXPECT_EQ(s.packets_dropped, 70000u);
  EXPECT_EQ(s.bytes, 0u);
  ASSERT_EQ(s.links.size(), 1u);
  EXPECT_FALSE(s.links[0].connected);
  sink->close();
  EXPECT_EQ(sink->state().state, "closed");
}

// A UDP socket read on its own thread from the start, so nothing waits in the kernel's buffer.
class UdpReceiver {
 public:
  explicit UdpReceiver(const char* bind_host = "127.0.0.1", std::uint16_t port = 0,
                       const char* group = nullptr)
      : fd_(socket(AF_INET, SOCK_DGRAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    inet_pton(AF_INET, bind_host, &address.sin_addr);
    const int on = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    const int buffer_bytes = 8 << 20;
    setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof buffer_bytes);
    bound_ = bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
    if (group != nullptr) {
      ip_mreq request{};
      inet_pton(AF_INET, group, &request.imr_multiaddr);
      inet_pton(AF_INET, "127.0.0.1", &request.imr_interface);
      joined_ = setsockopt(fd_, IPPROTO_IP, IP_ADD_MEMBERSHIP, &request, sizeof request) == 0;
    }
    socklen_t length = sizeof address;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    timeval timeout{0, 50'000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    reader_ = std::thread([this] { read_all(); });
  }
  UdpReceiver(const UdpReceiver&) = delete;
  UdpReceiver& operator=(const UdpReceiver&) = delete;
  ~UdpReceiver() {
    stop_ = true;
    reader_.join();
    close(fd_);
  }
  std::uint16_t port() const { return port_; }
  bool ready() const { return bound_ && joined_; }

  // The datagrams so far, once `bytes` arrived or nothing came for 300 ms.
  std::vector<Bytes> receive(std::size_t bytes) {
    std::size_t last = 0;
    for (int quiet_ms = 0; quiet_ms < 300; quiet_ms += 10) {
      const std::size_t now = bytes_received();
      if (now >= bytes) break;
      if (now != last) quiet_ms = 0;
      last = now;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    const std::lock_guard lock(mutex_);
    return datagrams_;
  }

  std::size_t bytes_received() {
    const std::lock_guard lock(mutex_);
    return bytes_;
  }

 private:
  void read_all() {
    Bytes buffer(65536);
    while (!stop_) {
      const ssize_t n = recv(fd_, buffer.data(), buffer.size(), 0);
      if (n <= 0) continue;
      const std::lock_guard lock(mutex_);
      datagrams_.emplace_back(buffer.begin(), buffer.begin() + n);
      bytes_ += static_cast<std::size_t>(n);
    }
  }

  int fd_;
  bool bound_ = false;
  bool joined_ = true;
  std::uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;
  std::vector<Bytes> datagrams_;
  std::size_t bytes_ = 0;
  std::thread reader_;
};

Bytes joined(const std::vector<Bytes>& datagrams) {
  Bytes all;
  for (const Bytes& d : datagrams) all.insert(all.end(), d.begin(), d.end());
  return all;
}

TEST(UdpSink, SendsSevenPacketsPerDatagramInOrder) {
  UdpReceiver receiver;
  const auto sink = open_sink(fmt::format("udp://127.0.0.1:{}?ttl=4&tos=184", receiver.port()));
  const Bytes packets = ts_packets(0, 700);
  feed(*sink, packets, std::chrono::microseconds(200));
  const std::vector<Bytes> datagrams = receiver.receive(packets.size());
  ASSERT_EQ(datagrams.size(), 100u);
  for (const Bytes& d : datagrams) EXPECT_EQ(d.size(), 1316u);
  EXPECT_EQ(joined(datagrams), packets);
  sink->close();
  EXPECT_EQ(sink->state().bytes, packets.size());
  EXPECT_EQ(sink->state().packets_dropped, 0u);
}

TEST(UdpSink, RepacksUnevenWritesAndHonoursPktSize) {
  UdpReceiver receiver;
  const auto sink = open_sink(fmt::format("udp://127.0.0.1:{}?pkt_size=376", receiver.port()));
  const Bytes packets = ts_packets(0, 101);
  // Writes of 3 packets: the sink sends 2 per datagram, and the odd last one when it closes.
  for (std::size_t at = 0; at < packets.size(); at += 3 * kPacket) {
    sink->write(std::span(packets).subspan(at, std::min(3 * kPacket, packets.size() - at)));
  }
  sink->close();
  const std::vector<Bytes> datagrams = receiver.receive(packets.size());
  ASSERT_EQ(datagrams.size(), 51u);
  for (std::size_t i = 0; i + 1 < datagrams.size(); ++i) EXPECT_EQ(datagrams[i].size(), 376u);
  EXPECT_EQ(joined(datagrams), packets);
}

TEST(UdpSink, MulticastOnTheLoopbackInterface) {
  const char* group = "239.255.43.17";
  UdpReceiver receiver("239.255.43.17", free_udp_port(), group);
  // These machines join and loop multicast back on lo (checked); a kernel that does not is a
  // failure to look at, not a test to skip.
  ASSERT_TRUE(receiver.ready()) << "the kernel refused to join " << group << " on lo";
  const auto sink =
      open_sink(fmt::format("udp://{}:{}?iface=127.0.0.1&ttl=1", group, receiver.port()));
  const Bytes packets = ts_packets(0, 70);
  feed(*sink, packets);
  const std::vector<Bytes> datagrams = receiver.receive(packets.size());
  ASSERT_FALSE(datagrams.empty()) << "joined on lo, but no multicast came back";
  EXPECT_EQ(datagrams.size(), 10u);
  EXPECT_EQ(joined(datagrams), packets);
}

TEST(UdpSink, AnInterfaceWithoutThatAddressIsAClearError) {
  try {
    open_sink("udp://239.255.43.18:5000?iface=192.0.2.1");
    FAIL() << "no error for an interface address that is on no interface";
  } catch (const std::exception& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("'iface'"), std::string::npos) << message;
    EXPECT_NE(message.find("192.0.2.1"), std::string::npos) << message;
  }
  expect_error_names("udp://239.255.43.18:5000?iface=nosuch0", {"unknown interface 'nosuch0'"});
}

TEST(UplinkSinks, ADeadSrtUplinkDoesNotCostTheUdpSinkAPacket) {
  UdpReceiver receiver;
  const auto udp = open_sink(fmt::format("udp://127.0.0.1:{}", receiver.port()));
  const auto dead = open_sink(fmt::format("srt://127.0.0.1:{}?latency=40", free_udp_port()));
  const Bytes packets = ts_packets(0, 1400);
  for (std::size_t at = 0; at < packets.size(); at += 7 * kPacket) {
    const auto chunk = std::span(packets).subspan(at, 7 * kPacket);
    udp->write(chunk);
    dead->write(chunk);
    std::this_thread::sleep_for(std::chrono::microseconds(300));
  }
  const std::vector<Bytes> datagrams = receiver.receive(packets.size());
  EXPECT_EQ(joined(datagrams), packets);
  EXPECT_EQ(udp->state().packets_dropped, 0u);
  EXPECT_EQ(dead->state().packets_dropped, 1400u);
}

// ---------------------------------------------------------------------------------------------
// SRT against srt-live-transmit

class SrtSinkPeer : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(access(kSrtLiveTransmit, X_OK), 0) << "srt-tools is not installed";
  }
  void TearDown() override {
    for (const std::string& path : cleanup_) std::remove(path.c_str());
  }
  std::string output(const std::string& name) {
    cleanup_.push_back(temp_path(name));
    return cleanup_.back();
  }
  // srt-live-transmit as a caller of our listener on `port`, relaying what it gets to `out`.
  static std::unique_ptr<Subprocess> station(std::uint16_t port, const std::string& options,
                                             const UdpReceiver& out) {
    return std::make_unique<Subprocess>(std::vector<std::string>{
        kSrtLiveTransmit, "-t:15", "-q", fmt::format("srt://127.0.0.1:{}?{}", port, options),
        fmt::format("udp://127.0.0.1:{}", out.port())});
  }

  std::vector<std::string> cleanup_;
};

TEST_F(SrtSinkPeer, CallerFeedsSrtLiveTransmitByteForByte) {
  const std::uint16_t port = free_udp_port();
  const std::string stats = output("caller-stats.jsonl");
  UdpReceiver received;
  Subprocess peer({kSrtLiveTransmit, "-t:15", "-q",
                   fmt::format("srt://:{}?mode=listener&latency=40&passphrase={}&pbkeylen=32",
                               port, kPassphrase),
                   fmt::format("udp://127.0.0.1:{}", received.port())});
  ASSERT_TRUE(peer.started());
  ASSERT_TRUE(wait_until([&] { return udp_port_bound(port); }, 3000));

  const auto sink = open_sink(fmt::format(
      "srt://127.0.0.1:{}?mode=caller&latency=40&passphrase={}&pbkeylen=32&streamid=cetv4/"
      "uplink-main&stats_log={}",
      port, kPassphrase, stats));
  ASSERT_TRUE(wait_until([&] { return sink->state().state == "connected"; }, 5000))
      << state_json(*sink);
  const Bytes packets = ts_packets(0, 7 * 1500);  // 1500 payloads, about 1.2 s
  feed(*sink, packets, std::chrono::microseconds(800));
  ASSERT_TRUE(wait_until([&] { return sink->state().bytes == packets.size(); }, 3000));
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // one statistics round more
  const SinkState s = sink->state();
  ASSERT_EQ(s.links.size(), 1u);
  EXPECT_TRUE(s.links[0].connected);
  EXPECT_GE(s.links[0].packets_sent, 1500);
  EXPECT_GE(s.links[0].rtt_ms, 0.0);
  EXPECT_EQ(s.links[0].streamid, "cetv4/uplink-main");
  EXPECT_EQ(s.connections, 1u);
  EXPECT_EQ(s.packets_dropped, 0u);
  sink->close();

  const Bytes got = joined(received.receive(packets.size()));
  peer.stop();
  EXPECT_EQ(got.size(), packets.size());
  EXPECT_TRUE(got == packets) << "the received stream differs";

  // The statistics log: JSON lines, connected, with the libsrt counters.
  std::ifstream log(stats);
  int lines = 0;
  bool saw_connected = false;
  for (std::string line; std::getline(log, line); ++lines) {
    const auto j = nlohmann::json::parse(line);
    EXPECT_TRUE(j.contains("rtt_ms") && j.contains("send_buffer_ms") &&
                j.contains("packets_retransmitted") && j.contains("time_utc"));
    EXPECT_EQ(line.find(kPassphrase), std::string::npos);
    saw_connected = saw_connected || j.value("connected", false);
  }
  EXPECT_GE(lines, 1);
  EXPECT_TRUE(saw_connected);
}

TEST_F(SrtSinkPeer, ListenerServesTwoStationsAndCountsThemApart) {
  const std::uint16_t port = free_udp_port();
  const auto sink = open_sink(fmt::format(
      "srt://127.0.0.1:{}?mode=listener&latency=40&passphrase={}&pbkeylen=32&allow=station-a,"
      "station-b",
      port, kPassphrase));
  EXPECT_EQ(sink->state().state, "listening");
  UdpReceiver a_out;
  UdpReceiver b_out;
  const auto common = fmt::format("latency=40&passphrase={}&pbkeylen=32", kPassphrase);
  const auto a = station(port, "streamid=station-a&" + common, a_out);
  const auto b = station(port, "streamid=station-b&" + common, b_out);
  ASSERT_TRUE(wait_until([&] { return sink->state().links.size() == 2; }, 5000))
      << state_json(*sink);

  const Bytes packets = ts_packets(0, 7 * 1000);
  feed(*sink, packets, std::chrono::microseconds(800));
  ASSERT_TRUE(wait_until([&] { return sink->state().bytes == 2 * packets.size(); }, 3000))
      << state_json(*sink);
  std::this_thread::sleep_for(std::chrono::milliseconds(1100));  // one statistics round more
  const SinkState s = sink->state();
  EXPECT_EQ(s.connections, 2u);
  const std::string status = state_json(*sink);
  std::vector<std::string> ids;
  for (const LinkState& link : s.links) {
    ids.push_back(link.streamid);
    EXPECT_EQ(link.bytes, packets.size());
    EXPECT_TRUE(link.connected);
    EXPECT_NE(link.peer.find("127.0.0.1:"), std::string::npos);
  }
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::string>{"station-a", "station-b"}));
  sink->close();
  for (UdpReceiver* out : {&a_out, &b_out}) {
    const Bytes got = joined(out->receive(packets.size()));
    EXPECT_EQ(got.size(), packets.size()) << status;
    EXPECT_TRUE(got == packets) << "a station's stream differs";
  }
}

TEST_F(SrtSinkPeer, ListenerRejectsAStreamIdNotAllowed) {
  const std::uint16_t port = free_udp_port();
  const std::string allow = output("allow.txt");
  std::ofstream(allow) << "# uplink stations\nstation-a\n\nstation-b\n";
  const auto sink = open_sink(fmt::format(
      "srt://127.0.0.1:{}?mode=listener&latency=40&passphrase={}&allow_file={}", port,
      kPassphrase, allow));
  UdpReceiver out;
  const auto intruder =
      station(port, fmt::format("streamid=intruder&latency=40&passphrase={}", kPassphrase), out);
  ASSERT_TRUE(wait_until([&] { return sink->state().rejected >= 1; }, 5000)) << state_json(*sink);
  feed(*sink, ts_packets(0, 7 * 300));
  EXPECT_EQ(sink->state().links.size(), 0u);
  EXPECT_EQ(sink->state().bytes, 0u);
  EXPECT_EQ(nlohmann::json(sink->state())["rejected"].get<int>() >= 1, true);
  EXPECT_EQ(out.bytes_received(), 0u);
}

TEST_F(SrtSinkPeer, AWrongOrMissingPassphraseGetsNothing) {
  const std::uint16_t port = free_udp_port();
  const auto sink = open_sink(fmt::format(
      "srt://127.0.0.1:{}?mode=listener&latency=40&passphrase={}&pbkeylen=32", port,
      kPassphrase));
  UdpReceiver wrong_out;
  UdpReceiver none_out;
  const auto wrong = station(port, "latency=40&passphrase=not-the-uplink-key&pbkeylen=32",
                             wrong_out);
  const auto none = station(port, "latency=40", none_out);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  std::uint32_t n = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    feed(*sink, ts_packets(n, 7), std::chrono::microseconds(0));
    n += 7;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(sink->state().links.size(), 0u) << state_json(*sink);
  EXPECT_EQ(sink->state().bytes, 0u);
  sink->close();
  EXPECT_EQ(wrong_out.bytes_received(), 0u);
  EXPECT_EQ(none_out.bytes_received(), 0u);
}

TEST_F(SrtSinkPeer, CallerReconnectsAndResumesAtTheLivePoint) {
  const std::uint16_t port = free_udp_port();
  UdpReceiver first_out;
  UdpReceiver second_out;
  const auto listener = [&](const UdpReceiver& out) {
    return std::make_unique<Subprocess>(std::vector<std::string>{
        kSrtLiveTransmit, "-t:15", "-q", fmt::format("srt://:{}?mode=listener&latency=40", port),
        fmt::format("udp://127.0.0.1:{}", out.port())});
  };
  auto peer = listener(first_out);
  ASSERT_TRUE(wait_until([&] { return udp_port_bound(port); }, 3000));
  const auto sink = open_sink(fmt::format("srt://127.0.0.1:{}?latency=40", port));
  ASSERT_TRUE(wait_until([&] { return sink->state().state == "connected"; }, 5000));
  feed(*sink, ts_packets(0, 7 * 200));

  peer->stop();  // the uplink station goes away; writes go on and are dropped
  std::uint32_t n = 7 * 200;
  const auto wait_state = [&](const std::string& want, int limit_ms) {
    return wait_until(
        [&] {
          feed(*sink, ts_packets(n, 7), std::chrono::microseconds(0));
          n += 7;
          return sink->state().state == want;
        },
        limit_ms);
  };
  // The link breaks once libsrt notices the peer is gone (its idle timeout, 5 s).
  ASSERT_TRUE(wait_state("disconnected", 8000)) << state_json(*sink);
  peer = listener(second_out);
  ASSERT_TRUE(wait_state("connected", 5000)) << state_json(*sink);
  const std::uint32_t resume = n;
  const Bytes after = ts_packets(resume, 7 * 200);
  feed(*sink, after);
  n = resume + 7 * 200;
  sink->close();
  EXPECT_EQ(sink->state().connections, 2u);
  EXPECT_GT(sink->state().packets_dropped, 0u);
  EXPECT_GT(first_out.bytes_received(), 0u);
  const Bytes second = joined(second_out.receive(after.size()));
  ASSERT_GE(second.size(), after.size());
  // Nothing from before the outage: the second station's stream starts at most one write
  // before the reconnect was seen, and runs on without a gap.
  ASSERT_EQ(second.size() % kPacket, 0u);
  const std::uint32_t first = std::uint32_t{second[4]} << 24 | std::uint32_t{second[5]} << 16 |
                              std::uint32_t{second[6]} << 8 | second[7];
  EXPECT_GE(first + 7, resume);
  EXPECT_TRUE(second == ts_packets(first, static_cast<std::uint32_t>(second.size() / kPacket)));
  EXPECT_EQ(first + second.size() / kPacket, n);
}

}  // namespace
}  // namespace skyclass::headend

#include "tools/tsmon/input.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
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
#include <srt/access_control.h>
#include <srt/srt.h>

extern char** environ;

// The sanitizer build checks leaks at exit: OpenSSL keeps per-thread state for libsrt's
// receive threads (PBKDF2, RAND) that it never frees. Not ours, so not reported.
extern "C" const char* __lsan_default_suppressions() {
  return "leak:libcrypto.so\nleak:libsrt.so\n";
}

namespace skyclass::tsmon {
namespace {

using Bytes = std::vector<std::uint8_t>;
constexpr std::size_t kPayloadBytes = 1316;  // 7 × 188
constexpr std::int64_t kNsPerMs = 1'000'000;

std::string temp_path(const std::string& name) {
  return fmt::format("{}/tsmon_input_{}_{}", SKYCLASS_TEST_DATA_DIR, getpid(), name);
}

// Numbered payloads: the first four bytes count, the rest follow from the count.
Bytes payload(std::uint32_t number, std::size_t size = kPayloadBytes) {
  Bytes bytes(size);
  for (std::size_t i = 0; i < size; ++i) bytes[i] = static_cast<std::uint8_t>(number * 7 + i);
  for (int i = 0; i < 4; ++i) bytes[i] = static_cast<std::uint8_t>(number >> (24 - 8 * i));
  return bytes;
}

std::uint32_t payload_number(const std::uint8_t* bytes) {
  return std::uint32_t{bytes[0]} << 24 | std::uint32_t{bytes[1]} << 16 |
         std::uint32_t{bytes[2]} << 8 | bytes[3];
}

Bytes payloads(std::uint32_t first, std::uint32_t count) {
  Bytes all;
  for (std::uint32_t n = first; n < first + count; ++n) {
    const Bytes one = payload(n);
    all.insert(all.end(), one.begin(), one.end());
  }
  return all;
}

// A port nobody uses now (bind to port 0 and read what the kernel chose).
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

class UdpSender {
 public:
  explicit UdpSender(const char* interface_address = nullptr)
      : fd_(socket(AF_INET, SOCK_DGRAM, 0)) {
    if (interface_address != nullptr) {
      in_addr iface{};
      inet_pton(AF_INET, interface_address, &iface);
      setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_IF, &iface, sizeof iface);
    }
  }
  ~UdpSender() { close(fd_); }
  void send(const char* host, std::uint16_t port, const Bytes& bytes) const {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    inet_pton(AF_INET, host, &address.sin_addr);
    sendto(fd_, bytes.data(), bytes.size(), 0, reinterpret_cast<sockaddr*>(&address),
           sizeof address);
  }

 private:
  int fd_;
};

struct Received {
  Bytes bytes;
  std::vector<Chunk> chunks;
};

// Reads until `want` bytes arrived or `limit_ms` passed.
Received read_for(Input& input, std::size_t want, int limit_ms,
                  std::size_t buffer_bytes = 1 << 16) {
  Received got;
  Bytes buffer(buffer_bytes);
  const std::int64_t deadline = monotonic_now_ns() + limit_ms * kNsPerMs;
  while (got.bytes.size() < want && monotonic_now_ns() < deadline) {
    const Chunk chunk = input.read(buffer, 50);
    EXPECT_FALSE(chunk.end) << "a live input does not end";
    if (chunk.size == 0) continue;
    got.chunks.push_back(chunk);
    got.bytes.insert(got.bytes.end(), buffer.begin(), buffer.begin() + chunk.size);
  }
  return got;
}

std::string error_of(std::string_view spec) {
  try {
    open_input(spec);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no InputError)";
}

void expect_error_names(std::string_view spec, std::vector<std::string> parts) {
  const std::string message = error_of(spec);
  for (const std::string& part : parts) {
    EXPECT_NE(message.find(part), std::string::npos) << "'" << spec << "' gave: " << message;
  }
}

// ---------------------------------------------------------------------------------------------
// File

TEST(FileInput, ReadsTheWholeFileAcrossSeveralReadsThenEnds) {
  const std::string path = temp_path("whole.ts");
  const Bytes content = payloads(0, 100);  // 131,600 bytes
  std::ofstream(path, std::ios::binary)
      .write(reinterpret_cast<const char*>(content.data()),
             static_cast<std::streamsize>(content.size()));
  for (const std::string& spec : {path, "file:" + path}) {
    const auto input = open_input(spec);
    EXPECT_FALSE(input->live());
    EXPECT_EQ(input->describe(), path);
    Bytes got;
    Bytes buffer(40'000);
    int reads = 0;
    for (Chunk chunk; !chunk.end; ++reads) {
      chunk = input->read(buffer, 0);
      EXPECT_FALSE(chunk.arrival_ns) << "a file has no arrival time";
      got.insert(got.end(), buffer.begin(), buffer.begin() + chunk.size);
      ASSERT_LT(reads, 100);
    }
    EXPECT_EQ(got, content);
    EXPECT_EQ(reads, 5) << "4 reads of data, then the end";
  }
  std::remove(path.c_str());
}

TEST(FileInput, MissingFileNamesThePath) {
  const std::string path = temp_path("does-not-exist.ts");
  const std::string message = error_of(path);
  EXPECT_NE(message.find(path), std::string::npos) << message;
  EXPECT_NE(message.find("No such file"), std::string::npos) << message;
}

TEST(FileInput, ReadsStandardInput) {
  int pipe_fds[2];
  ASSERT_EQ(pipe(pipe_fds), 0);
  const int saved_stdin = dup(STDIN_FILENO);
  dup2(pipe_fds[0], STDIN_FILENO);
  const auto input = open_input("-");  // holds its own dup of fd 0
  dup2(saved_stdin, STDIN_FILENO);
  close(saved_stdin);
  close(pipe_fds[0]);
  const Bytes content = payloads(0, 3);
  ASSERT_EQ(write(pipe_fds[1], content.data(), content.size()),
            static_cast<ssize_t>(content.size()));
  close(pipe_fds[1]);
  EXPECT_FALSE(input->live());
  EXPECT_EQ(input->describe(), "stdin");
  Bytes buffer(1 << 16);
  Bytes got;
  for (Chunk chunk; !chunk.end;) {
    chunk = input->read(buffer, 0);
    got.insert(got.end(), buffer.begin(), buffer.begin() + chunk.size);
  }
  EXPECT_EQ(got, content);
}

// ---------------------------------------------------------------------------------------------
// UDP

TEST(UdpInput, ReceivesWholeDatagramsWithNonDecreasingArrivalTimes) {
  const std::uint16_t port = free_udp_port();
  const auto input = open_input(fmt::format("udp://@127.0.0.1:{}", port));
  EXPECT_TRUE(input->live());
  const UdpSender sender;
  for (std::uint32_t n = 0; n < 20; ++n) sender.send("127.0.0.1", port, payload(n));
  // 5,000 bytes hold three 1,316-byte datagrams: a chunk never splits one.
  const Received got = read_for(*input, 20 * kPayloadBytes, 3000, 5000);
  EXPECT_EQ(got.bytes, payloads(0, 20));
  std::int64_t last_ns = 0;
  for (const Chunk& chunk : got.chunks) {
    EXPECT_EQ(chunk.size % kPayloadBytes, 0u);
    ASSERT_TRUE(chunk.arrival_ns);
    EXPECT_GE(*chunk.arrival_ns, last_ns);
    last_ns = *chunk.arrival_ns;
  }
  EXPECT_GE(got.chunks.size(), 7u);
}

TEST(UdpInput, PassesDatagramsOfAnySizeAsTheyAre) {
  const std::uint16_t port = free_udp_port();
  const auto input = open_input(fmt::format("udp://@:{}?buffer=1048576&reuse=1", port));
  const UdpSender sender;
  sender.send("127.0.0.1", port, payload(1, 1000));
  const Received got = read_for(*input, 1000, 3000);
  EXPECT_EQ(got.bytes, payload(1, 1000));
}

TEST(UdpInput, ReturnsAnEmptyChunkWhenNothingArrivesInTime) {
  const auto input = open_input(fmt::format("udp://@127.0.0.1:{}", free_udp_port()));
  Bytes buffer(4096);
  const std::int64_t start = monotonic_now_ns();
  const Chunk chunk = input->read(buffer, 100);
  EXPECT_EQ(chunk.size, 0u);
  EXPECT_FALSE(chunk.end);
  EXPECT_GE(monotonic_now_ns() - start, 90 * kNsPerMs);
}

enum class LoopbackMulticast { kRefused, kJoinedNotDelivered, kWorks };

// What the kernel does with a multicast join on lo, tried with plain sockets.
LoopbackMulticast probe_loopback_multicast(const char* group, std::uint16_t port) {
  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  inet_pton(AF_INET, group, &address.sin_addr);
  ip_mreq request{};
  request.imr_multiaddr = address.sin_addr;
  inet_pton(AF_INET, "127.0.0.1", &request.imr_interface);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &request, sizeof request) != 0) {
    close(fd);
    return LoopbackMulticast::kRefused;
  }
  UdpSender("127.0.0.1").send(group, port, payload(0, 100));
  timeval timeout{0, 500'000};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  std::uint8_t buffer[200];
  const bool delivered = recv(fd, buffer, sizeof buffer, 0) == 100;
  close(fd);
  return delivered ? LoopbackMulticast::kWorks : LoopbackMulticast::kJoinedNotDelivered;
}

TEST(UdpInput, JoinsAMulticastGroupOnTheLoopbackInterface) {
  const char* group = "239.255.42.17";
  const std::uint16_t port = free_udp_port();
  const std::string spec = fmt::format("udp://@{}:{}?iface=127.0.0.1", group, port);
  switch (probe_loopback_multicast(group, port)) {
    case LoopbackMulticast::kRefused: {
      const std::string message = error_of(spec);
      EXPECT_NE(message.find("cannot join multicast group 239.255.42.17"), std::string::npos)
          << message;
      EXPECT_NE(message.find("127.0.0.1"), std::string::npos) << message;
      break;
    }
    case LoopbackMulticast::kJoinedNotDelivered: {
      const auto input = open_input(spec);  // the join works; the kernel routes nothing back
      EXPECT_EQ(read_for(*input, 1, 300).bytes.size(), 0u);
      break;
    }
    case LoopbackMulticast::kWorks: {
      const auto input = open_input(spec);
      const UdpSender sender("127.0.0.1");
      for (std::uint32_t n = 0; n < 5; ++n) sender.send(group, port, payload(n));
      EXPECT_EQ(read_for(*input, 5 * kPayloadBytes, 3000).bytes, payloads(0, 5));
      break;
    }
  }
}

TEST(UdpInput, AJoinOnAnInterfaceWithoutThatAddressIsAClearError) {
  // 192.0.2.1 (TEST-NET-1) is on no interface here, so the kernel refuses the join.
  expect_error_names("udp://@239.255.42.18:5000?iface=192.0.2.1",
                     {"cannot join multicast group 239.255.42.18", "192.0.2.1"});
  expect_error_names("udp://@239.255.42.18:5000?iface=nosuch0", {"unknown interface 'nosuch0'"});
}

TEST(UdpInput, ABufferSmallerThanTheDatagramIsAnError) {
  const std::uint16_t port = free_udp_port();
  const auto input = open_input(fmt::format("udp://@127.0.0.1:{}", port));
  UdpSender().send("127.0.0.1", port, payload(0));
  Bytes buffer(1000);
  EXPECT_THROW(
      {
        for (int i = 0; i < 20; ++i) input->read(buffer, 100);
      },
      InputError);
}

// ---------------------------------------------------------------------------------------------
// SRT

constexpr const char* kPassphrase = "lesson-key-2020";

struct SrtCallerOptions {
  std::uint16_t port = 0;
  std::string passphrase = kPassphrase;
  std::string streamid = "cetv4/classroom";
  std::uint32_t first = 0;
  std::uint32_t count = 0;
};

// A libsrt caller on its own thread: sends numbered payloads, holds the link until released (at
// most 5 s), then closes. `outcome`: kPending, kConnected, or libsrt's rejection reason.
class SrtCaller {
 public:
  static constexpr int kPending = -1;
  static constexpr int kConnected = 0;

  explicit SrtCaller(SrtCallerOptions options) : thread_([this, options] { run(options); }) {}
  ~SrtCaller() {
    release = true;
    thread_.join();
  }
  int wait_outcome(int limit_ms) const {
    const std::int64_t deadline = monotonic_now_ns() + limit_ms * kNsPerMs;
    while (outcome == kPending && monotonic_now_ns() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return outcome;
  }

  std::atomic<bool> release{false};
  std::atomic<int> outcome{kPending};

 private:
  void run(const SrtCallerOptions& o) {
    const SRTSOCKET s = srt_create_socket();
    const int pbkeylen = 16;  // AES-128
    const int timeout_ms = 1500;
    const int latency_ms = 40;
    srt_setsockflag(s, SRTO_PASSPHRASE, o.passphrase.data(), static_cast<int>(o.passphrase.size()));
    srt_setsockflag(s, SRTO_PBKEYLEN, &pbkeylen, sizeof pbkeylen);
    srt_setsockflag(s, SRTO_STREAMID, o.streamid.data(), static_cast<int>(o.streamid.size()));
    srt_setsockflag(s, SRTO_CONNTIMEO, &timeout_ms, sizeof timeout_ms);
    srt_setsockflag(s, SRTO_LATENCY, &latency_ms, sizeof latency_ms);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(o.port);
    inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
    if (srt_connect(s, reinterpret_cast<sockaddr*>(&address), sizeof address) == SRT_ERROR) {
      outcome = srt_getrejectreason(s);
      srt_close(s);
      return;
    }
    outcome = kConnected;
    for (std::uint32_t n = o.first; n < o.first + o.count; ++n) {
      const Bytes bytes = payload(n);
      srt_sendmsg2(s, reinterpret_cast<const char*>(bytes.data()), static_cast<int>(bytes.size()),
                   nullptr);
      if (n % 10 == 9) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    const std::int64_t deadline = monotonic_now_ns() + 5000 * kNsPerMs;
    while (!release && monotonic_now_ns() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    srt_close(s);
  }

  std::thread thread_;
};

TEST(SrtInput, ListenerReceivesAnEncryptedCallerInOrder) {
  const std::uint16_t port = free_udp_port();
  const auto input = open_input(fmt::format(
      "srt://127.0.0.1:{}?mode=listener&latency=40&passphrase={}&pbkeylen=16&streamid=cetv4/"
      "classroom",
      port, kPassphrase));
  EXPECT_TRUE(input->live());
  EXPECT_EQ(input->describe().find(kPassphrase), std::string::npos) << input->describe();
  EXPECT_NE(input->describe().find("passphrase=***"), std::string::npos) << input->describe();
  const SrtCaller caller({.port = port, .count = 200});

  const Received got = read_for(*input, 200 * kPayloadBytes, 5000);
  EXPECT_EQ(caller.outcome, SrtCaller::kConnected);
  EXPECT_EQ(got.bytes, payloads(0, 200));
  const std::optional<LinkStats> stats = input->link_stats();
  ASSERT_TRUE(stats);
  EXPECT_TRUE(stats->connected) << stats->last_error;
  EXPECT_GT(stats->packets_received, 0);
  EXPECT_EQ(stats->connections, 1);
  EXPECT_TRUE(stats->peer.starts_with("127.0.0.1:")) << stats->peer;
  for (const Chunk& chunk : got.chunks) EXPECT_TRUE(chunk.arrival_ns);
}

TEST(SrtInput, ListenerTakesOneCallerAtATimeThenTheNext) {
  const std::uint16_t port = free_udp_port();
  const auto input = open_input(
      fmt::format("srt://127.0.0.1:{}?mode=listener&latency=40&passphrase={}", port, kPassphrase));
  Received got;
  {
    const SrtCaller first({.port = port, .count = 10});
    got = read_for(*input, 10 * kPayloadBytes, 3000);
    const SrtCaller intruder({.port = port, .first = 1000, .count = 10});
    while (intruder.outcome == SrtCaller::kPending) read_for(*input, 1, 50);
    EXPECT_EQ(intruder.outcome, SRT_REJX_OVERLOAD) << "a second caller while the first is on";
  }  // both close
  const SrtCaller second({.port = port, .first = 10, .count = 10});
  const Received more = read_for(*input, 10 * kPayloadBytes, 5000);
  got.bytes.insert(got.bytes.end(), more.bytes.begin(), more.bytes.end());
  EXPECT_EQ(got.bytes, payloads(0, 20));
  EXPECT_EQ(input->link_stats()->connections, 2);
}

TEST(SrtInput, WrongPassphraseReceivesNothing) {
  const std::uint16_t port = free_udp_port();
  const auto input = open_input(
      fmt::format("srt://127.0.0.1:{}?mode=listener&latency=40&passphrase={}", port, kPassphrase));
  const SrtCaller caller({.port = port, .passphrase = "not-the-lesson-key", .count = 50});
  EXPECT_EQ(read_for(*input, 1, 1500).bytes.size(), 0u);
  EXPECT_EQ(caller.wait_outcome(1000), SRT_REJ_BADSECRET);
  EXPECT_FALSE(input->link_stats()->connected);
}

TEST(SrtInput, ListenerRejectsAnotherStreamId) {
  const std::uint16_t port = free_udp_port();
  const auto input = open_input(
      fmt::format("srt://127.0.0.1:{}?mode=listener&latency=40&passphrase={}&streamid=cetv4/"
                  "uplink-b",
                  port, kPassphrase));
  const SrtCaller caller({.port = port, .count = 20});
  EXPECT_EQ(read_for(*input, 1, 1000).bytes.size(), 0u);
  EXPECT_EQ(caller.wait_outcome(1000), SRT_REJX_FORBIDDEN);
}

// srt-live-transmit as an independent peer: UDP in, SRT listener out; the input calls it.
class Subprocess {
 public:
  explicit Subprocess(std::vector<std::string> argv) {
    std::vector<char*> args;
    for (std::string& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0);
    if (posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ) != 0) pid_ = -1;
    posix_spawn_file_actions_destroy(&actions);
  }
  ~Subprocess() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    for (int i = 0; i < 100 && waitpid(pid_, nullptr, WNOHANG) == 0; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (i == 99) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
      }
    }
  }
  bool started() const { return pid_ > 0; }

 private:
  pid_t pid_ = -1;
};

// Whether something has bound UDP `port` (from /proc/net/udp).
bool udp_port_bound(std::uint16_t port) {
  std::ifstream table("/proc/net/udp");
  const std::string local = fmt::format(":{:04X} ", port);
  for (std::string line; std::getline(table, line);) {
    if (line.find(local) != std::string::npos && line.find(local) < 30) return true;
  }
  return false;
}

TEST(SrtInput, CallerReceivesFromSrtLiveTransmit) {
  const std::uint16_t udp_port = free_udp_port();
  const std::uint16_t srt_port = free_udp_port();
  ASSERT_EQ(access("/usr/bin/srt-live-transmit", X_OK), 0) << "srt-tools is not installed";
  const Subprocess peer({"/usr/bin/srt-live-transmit", "-t:20", "-q",
                         fmt::format("udp://127.0.0.1:{}", udp_port),
                         fmt::format("srt://127.0.0.1:{}?mode=listener&latency=40&passphrase={}",
                                     srt_port, kPassphrase)});
  ASSERT_TRUE(peer.started());
  for (int i = 0; i < 300 && !udp_port_bound(srt_port); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(udp_port_bound(srt_port)) << "srt-live-transmit did not start listening";
  const auto input = open_input(fmt::format(
      "srt://127.0.0.1:{}?latency=40&timeout=2000&passphrase={}", srt_port, kPassphrase));
  EXPECT_EQ(input->describe().find(kPassphrase), std::string::npos);

  std::atomic<bool> stop{false};
  std::thread udp([&] {
    const UdpSender sender;
    for (std::uint32_t n = 0; !stop && n < 5000; ++n) {
      sender.send("127.0.0.1", udp_port, payload(n));
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });
  const Received got = read_for(*input, 100 * kPayloadBytes, 6000);
  const std::optional<LinkStats> stats = input->link_stats();
  stop = true;
  udp.join();

  // Payloads sent before the link came up are gone; from the first one received, all follow.
  ASSERT_GE(got.bytes.size(), 100 * kPayloadBytes) << stats->last_error;
  const std::uint32_t first = payload_number(got.bytes.data());
  EXPECT_EQ(Bytes(got.bytes.begin(), got.bytes.begin() + 100 * kPayloadBytes),
            payloads(first, 100));
  EXPECT_TRUE(stats->connected);
  EXPECT_GT(stats->packets_received, 0);
  EXPECT_EQ(stats->peer, fmt::format("127.0.0.1:{}", srt_port));
}

// srt_accept on a non-blocking listener, so a test that fails cannot hang on it.
SRTSOCKET accept_within(SRTSOCKET listener, int limit_ms) {
  const std::int64_t deadline = monotonic_now_ns() + limit_ms * kNsPerMs;
  while (monotonic_now_ns() < deadline) {
    const SRTSOCKET s = srt_accept(listener, nullptr, nullptr);
    if (s != SRT_INVALID_SOCK) return s;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return SRT_INVALID_SOCK;
}

// Joins on every exit path.
class JoiningThread {
 public:
  explicit JoiningThread(std::function<void()> body) : thread_(std::move(body)) {}
  ~JoiningThread() { thread_.join(); }

 private:
  std::thread thread_;
};

// A libsrt listener in the test drops its first caller; the input calls again.
TEST(SrtInput, CallerReconnectsAfterTheLinkDrops) {
  const std::uint16_t port = free_udp_port();
  const SRTSOCKET listener = srt_create_socket();
  const bool blocking = false;
  srt_setsockflag(listener, SRTO_RCVSYN, &blocking, sizeof blocking);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  inet_pton(AF_INET, "127.0.0.1", &address.sin_addr);
  ASSERT_NE(srt_bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), SRT_ERROR);
  ASSERT_NE(srt_listen(listener, 1), SRT_ERROR);
  struct CloseListener {
    SRTSOCKET s;
    ~CloseListener() { srt_close(s); }
  } close_listener{listener};

  const auto input = open_input(fmt::format("srt://127.0.0.1:{}?latency=40", port));
  JoiningThread server([listener] {
    for (std::uint32_t round = 0; round < 2; ++round) {
      const SRTSOCKET s = accept_within(listener, 3000);
      if (s == SRT_INVALID_SOCK) return;
      for (std::uint32_t n = round * 10; n < round * 10 + 10; ++n) {
        const Bytes bytes = payload(n);
        srt_sendmsg2(s, reinterpret_cast<const char*>(bytes.data()), static_cast<int>(bytes.size()),
                     nullptr);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(round == 0 ? 300 : 1500));
      srt_close(s);
    }
  });
  const Received got = read_for(*input, 20 * kPayloadBytes, 6000);
  EXPECT_EQ(got.bytes, payloads(0, 20));
  EXPECT_EQ(input->link_stats()->connections, 2) << input->link_stats()->last_error;
}

// ---------------------------------------------------------------------------------------------
// Specification errors

TEST(InputSpec, UnknownSrtOptionIsNamedWithTheKnownOnes) {
  expect_error_names("srt://127.0.0.1:9000?latncy=120",
                     {"unknown option 'latncy'", "latency", "passphrase", "streamid"});
}

TEST(InputSpec, BadNumbersNameTheOptionAndTheRange) {
  expect_error_names("srt://127.0.0.1:9000?latency=abc", {"'latency'", "0..60000", "abc"});
  expect_error_names("srt://127.0.0.1:9000?latency=-5", {"'latency'", "0..60000"});
  expect_error_names("srt://127.0.0.1:9000?passphrase=0123456789&pbkeylen=20",
                     {"'pbkeylen'", "16, 24 or 32"});
  expect_error_names("srt://:9000?mode=listener&timeout=5", {"'timeout'", "100..120000"});
  expect_error_names("srt://127.0.0.1:9000?mode=rendezvous", {"'mode'", "caller or listener"});
  expect_error_names("udp://@:5000?buffer=lots", {"'buffer'", "bytes"});
}

TEST(InputSpec, PassphraseLengthIsLibsrtsRule) {
  const std::string message = error_of("srt://127.0.0.1:9000?passphrase=short");
  EXPECT_NE(message.find("10 to 79 characters"), std::string::npos) << message;
  EXPECT_EQ(message.find("short"), std::string::npos) << "the secret stays out: " << message;
  expect_error_names(fmt::format("srt://127.0.0.1:9000?passphrase={}", std::string(80, 'k')),
                     {"10 to 79 characters"});
}

TEST(InputSpec, PassphraseFromAFileOrTheEnvironmentStaysHidden) {
  const std::string path = temp_path("passphrase.txt");
  std::ofstream(path) << kPassphrase << "\nsecond line ignored\n";
  const auto from_file = open_input(
      fmt::format("srt://127.0.0.1:{}?mode=listener&passphrase_file={}", free_udp_port(), path));
  EXPECT_EQ(from_file->describe().find(kPassphrase), std::string::npos);
  std::remove(path.c_str());
  setenv("TSMON_TEST_PASSPHRASE", kPassphrase, 1);
  const auto from_env = open_input(fmt::format(
      "srt://127.0.0.1:{}?mode=listener&passphrase_env=TSMON_TEST_PASSPHRASE", free_udp_port()));
  EXPECT_NE(from_env->describe().find("passphrase_env=TSMON_TEST_PASSPHRASE"), std::string::npos);
  expect_error_names("srt://127.0.0.1:9000?passphrase_env=TSMON_TEST_UNSET_VARIABLE",
                     {"TSMON_TEST_UNSET_VARIABLE", "not set"});
  expect_error_names(fmt::format("srt://127.0.0.1:9000?passphrase_file={}", path),
                     {"passphrase_file", path});
}

TEST(InputSpec, UnsupportedFormsListTheAcceptedOnes) {
  expect_error_names("rtp://@239.1.1.1:5000", {"rtp://@239.1.1.1:5000", "unsupported",
                                               "udp://@GROUP:PORT", "srt://HOST:PORT"});
  expect_error_names("http://example.com/live.ts", {"http://", "udp://@GROUP:PORT"});
  expect_error_names("udp://239.1.1.1:5000", {"udp://239.1.1.1:5000", "udp://@GROUP:PORT"});
  expect_error_names("udp://@239.1.1.1:70000", {"bad port '70000'", "1..65535"});
  expect_error_names("udp://@239.1.1.1", {"no port"});
  expect_error_names("srt://:9000", {"a caller needs a host"});
  expect_error_names("udp://@127.0.0.1:5000?iface=lo", {"'iface'", "multicast"});
  expect_error_names("udp://@:5000?ttl=4", {"unknown option 'ttl'", "iface, buffer, reuse"});
}

}  // namespace
}  // namespace skyclass::tsmon

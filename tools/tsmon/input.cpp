#include "tools/tsmon/input.hpp"

#include "headend/net/address.hpp"
#include "headend/net/srt_url.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <fmt/format.h>
#include <srt/access_control.h>
#include <srt/srt.h>

namespace skyclass::tsmon {

std::int64_t monotonic_now_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

namespace {

constexpr std::string_view kAcceptedForms =
    "PATH, file:PATH, - (stdin), udp://@GROUP:PORT, udp://@:PORT, udp://@ADDR:PORT, "
    "udp://@[IPV6]:PORT, srt://HOST:PORT?mode=caller|listener&...";

constexpr std::array<std::string_view, 3> kUdpOptions = {"iface", "buffer", "reuse"};
constexpr int kUdpDefaultBufferBytes = 4 << 20;
constexpr std::size_t kUdpMaxDatagramBytes = 65536;  // above the largest UDP payload (65527)
constexpr int kSrtFirstBackoffMs = 100;
constexpr int kSrtMaxBackoffMs = 2000;

std::string errno_text(int err) {
  return std::strerror(err);
}

Chunk end_of_input() {
  return Chunk{0, std::nullopt, true};
}

class UniqueFd {
 public:
  explicit UniqueFd(int fd = -1) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept {
    reset(std::exchange(other.fd_, -1));
    return *this;
  }
  ~UniqueFd() { reset(); }
  int get() const { return fd_; }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_;
};

// ---------------------------------------------------------------------------------------------
// Addresses and URL parts: skyclass::net, shared with the headend's sinks. Its UrlError and
// SrtError become InputError in open_input().

using net::address_text;
using net::interface_index;
using net::is_multicast;
using net::NetSpec;
using net::parse_net_spec;
using net::resolve;
using net::SocketAddress;
using Options = net::UrlOptions;

// ---------------------------------------------------------------------------------------------
// File and stdin

class FileInput final : public Input {
 public:
  FileInput(UniqueFd fd, std::string name) : fd_(std::move(fd)), name_(std::move(name)) {}

  // One read() straight into the caller's buffer: the file is never the analyser's bottleneck.
  Chunk read(std::span<std::uint8_t> buffer, int /*timeout_ms*/) override {
    if (buffer.empty()) return {};
    for (;;) {
      const ssize_t n = ::read(fd_.get(), buffer.data(), buffer.size());
      if (n > 0) return Chunk{static_cast<std::size_t>(n), std::nullopt, false};
      if (n == 0) return end_of_input();
      if (errno != EINTR) {
        throw InputError(fmt::format("{}: read failed: {}", name_, errno_text(errno)));
      }
    }
  }
  bool live() const override { return false; }
  std::string describe() const override { return name_; }

 private:
  UniqueFd fd_;
  std::string name_;
};

std::unique_ptr<Input> open_file(const std::string& path) {
  if (path.empty()) {
    throw InputError(fmt::format("file: no path given (accepted: {})", kAcceptedForms));
  }
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) {
    throw InputError(fmt::format("{}: cannot open: {}", path, errno_text(errno)));
  }
  struct stat st {};
  if (fstat(fd.get(), &st) == 0 && S_ISDIR(st.st_mode)) {
    throw InputError(fmt::format("{}: is a directory, not a transport stream file", path));
  }
  if (S_ISREG(st.st_mode)) posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
  return std::make_unique<FileInput>(std::move(fd), path);
}

std::unique_ptr<Input> open_stdin() {
  UniqueFd fd(fcntl(STDIN_FILENO, F_DUPFD_CLOEXEC, 0));  // a dup, so closing it leaves fd 0
  if (fd.get() < 0) throw InputError(fmt::format("stdin: cannot open: {}", errno_text(errno)));
  struct stat st {};
  // A pipe of 1 MiB (the default maximum) means fewer, larger reads than the 64 KiB default.
  if (fstat(fd.get(), &st) == 0 && S_ISFIFO(st.st_mode)) fcntl(fd.get(), F_SETPIPE_SZ, 1 << 20);
  return std::make_unique<FileInput>(std::move(fd), "stdin");
}

// ---------------------------------------------------------------------------------------------
// UDP


void join_group(int fd, const SocketAddress& group, const std::optional<std::string>& iface) {
  int rc = 0;
  if (group.family() == AF_INET6) {
    ipv6_mreq request{};
    request.ipv6mr_multiaddr = reinterpret_cast<const sockaddr_in6*>(group.get())->sin6_addr;
    request.ipv6mr_interface = iface ? interface_index(*iface) : 0;
    if (iface && request.ipv6mr_interface == 0) {
      throw InputError(
          fmt::format("udp: unknown interface '{}' (give a name or an address)", *iface));
    }
    rc = setsockopt(fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &request, sizeof request);
  } else {
    ip_mreqn request{};
    request.imr_multiaddr = reinterpret_cast<const sockaddr_in*>(group.get())->sin_addr;
    if (iface && inet_pton(AF_INET, iface->c_str(), &request.imr_address) != 1) {
      request.imr_ifindex = static_cast<int>(interface_index(*iface));
      if (request.imr_ifindex == 0) {
        throw InputError(
            fmt::format("udp: unknown interface '{}' (give a name or an address)", *iface));
      }
    }
    rc = setsockopt(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, &request, sizeof request);
  }
  if (rc != 0) {
    const int err = errno;
    throw InputError(fmt::format("udp: cannot join multicast group {} on interface {}: {}{}",
                                 address_text(group.get()), iface.value_or("(default route)"),
                                 errno_text(err), iface ? "" : " (give ?iface=ADDR or NAME)"));
  }
}

void set_receive_buffer(int fd, int bytes) {
  // SO_RCVBUFFORCE passes net.core.rmem_max when privileged; otherwise the kernel caps it.
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof bytes) != 0) {
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof bytes);
  }
}

class UdpInput final : public Input {
 public:
  UdpInput(UniqueFd fd, std::string spec) : fd_(std::move(fd)), spec_(std::move(spec)) {}

  Chunk read(std::span<std::uint8_t> buffer, int timeout_ms) override {
    pollfd pfd{fd_.get(), POLLIN, 0};
    const int ready = poll(&pfd, 1, std::max(timeout_ms, 0));
    if (ready < 0 && errno != EINTR) {
      throw InputError(fmt::format("{}: poll failed: {}", spec_, errno_text(errno)));
    }
    if (ready <= 0) return {};
    return receive_datagrams(buffer);
  }
  bool live() const override { return true; }
  std::string describe() const override { return spec_; }

 private:
  // Whole datagrams only: near the end of the buffer, the next datagram's size (FIONREAD)
  // decides whether it still fits or waits for the next read.
  Chunk receive_datagrams(std::span<std::uint8_t> buffer) {
    Chunk chunk;
    for (;;) {
      const std::size_t room = buffer.size() - chunk.size;
      if (room < kUdpMaxDatagramBytes && next_datagram_bytes() > room) {
        if (chunk.size == 0) {
          throw InputError(fmt::format("{}: a datagram of {} bytes does not fit the {}-byte buffer",
                                       spec_, next_datagram_bytes(), buffer.size()));
        }
        break;
      }
      const ssize_t n = recv(fd_.get(), buffer.data() + chunk.size, room, MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        throw InputError(fmt::format("{}: receive failed: {}", spec_, errno_text(errno)));
      }
      if (!chunk.arrival_ns) chunk.arrival_ns = monotonic_now_ns();
      chunk.size += static_cast<std::size_t>(n);
    }
    return chunk;
  }

  std::size_t next_datagram_bytes() const {
    int bytes = 0;
    return ioctl(fd_.get(), FIONREAD, &bytes) == 0 ? static_cast<std::size_t>(bytes) : 0;
  }

  UniqueFd fd_;
  std::string spec_;
};

UniqueFd udp_socket(const SocketAddress& address, const Options& options) {
  UniqueFd fd(socket(address.family(), SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) {
    throw InputError(fmt::format("udp: cannot create a socket: {}", errno_text(errno)));
  }
  const int on = 1;
  setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (options.integer("reuse", 0, 1, "0 or 1").value_or(0) == 1) {
    setsockopt(fd.get(), SOL_SOCKET, SO_REUSEPORT, &on, sizeof on);
  }
  const auto buffer = options.integer("buffer", 4096, 1 << 30, "bytes");
  set_receive_buffer(fd.get(), static_cast<int>(buffer.value_or(kUdpDefaultBufferBytes)));
  return fd;
}

// A multicast socket binds the group (IPv4) so it gets that group's traffic only.
void udp_bind(int fd, const SocketAddress& address, bool multicast) {
  SocketAddress bind_address = address;
  if (multicast && address.family() == AF_INET6) {
    reinterpret_cast<sockaddr_in6*>(&bind_address.storage)->sin6_addr = in6addr_any;
  }
  if (multicast && address.family() == AF_INET) {
    const int off = 0;
    setsockopt(fd, IPPROTO_IP, IP_MULTICAST_ALL, &off, sizeof off);
  }
  if (bind(fd, bind_address.get(), bind_address.length) != 0) {
    throw InputError(
        fmt::format("udp: cannot bind {}: {}", address_text(address.get()), errno_text(errno)));
  }
}

std::unique_ptr<Input> open_udp(std::string_view spec) {
  const std::string_view rest = spec.substr(6);
  const std::size_t at = rest.find('@');
  if (at != 0) {
    throw InputError(fmt::format(
        "udp: '{}' is not a receive address (accepted: udp://@GROUP:PORT, udp://@:PORT, "
        "udp://@ADDR:PORT, udp://@[IPV6]:PORT; source-specific SRC@GROUP is not supported)",
        spec));
  }
  NetSpec net = parse_net_spec("udp", rest.substr(1));
  const Options options("udp", std::move(net.options), kUdpOptions);
  const SocketAddress address = resolve("udp", net.host, net.port);
  const bool multicast = is_multicast(address);
  const std::optional<std::string> iface = options.text("iface");
  if (iface && !multicast) {
    throw InputError(
        fmt::format("udp: option 'iface' applies to a multicast group, and {} is not one",
                    net.host.empty() ? "the wildcard" : net.host));
  }
  UniqueFd fd = udp_socket(address, options);
  udp_bind(fd.get(), address, multicast);
  if (multicast) join_group(fd.get(), address, iface);
  return std::make_unique<UdpInput>(std::move(fd), std::string(spec));
}

// ---------------------------------------------------------------------------------------------
// SRT

using SrtConfig = net::SrtUrl;
using net::srt_startup_once;

SRTSOCKET open_srt_socket(const SrtConfig& config) {
  try {
    return net::create_srt_socket(config);
  } catch (const net::SrtError& e) {
    throw InputError(e.what());
  }
}


// One epoll per input; srt_startup() runs before the first.
struct SrtEpoll {
  SrtEpoll() : id(create()) {}
  SrtEpoll(const SrtEpoll&) = delete;
  SrtEpoll& operator=(const SrtEpoll&) = delete;
  ~SrtEpoll() { srt_epoll_release(id); }

  static int create() {
    srt_startup_once();
    const int id = srt_epoll_create();
    if (id < 0) throw InputError(fmt::format("srt: epoll: {}", srt_getlasterror_str()));
    return id;
  }
  const int id;
};

void add_counters(const SRT_TRACEBSTATS& perf, LinkStats& stats) {
  stats.packets_received += perf.pktRecvTotal;
  stats.packets_lost += perf.pktRcvLossTotal;
  stats.packets_retransmitted += perf.pktRcvRetrans;
  stats.packets_dropped += perf.pktRcvDropTotal;
}

class SrtInput final : public Input {
 public:
  explicit SrtInput(SrtConfig config);
  SrtInput(const SrtInput&) = delete;
  SrtInput& operator=(const SrtInput&) = delete;
  ~SrtInput() override;

  Chunk read(std::span<std::uint8_t> buffer, int timeout_ms) override;
  bool live() const override { return true; }
  std::optional<LinkStats> link_stats() override;
  std::string describe() const override { return config_.description; }

 private:
  static int on_listen(void* self, SRTSOCKET socket, int, const sockaddr*, const char* streamid);
  void open_listener();
  bool start_connect();
  int wait_budget_ms(std::int64_t now_ns, std::int64_t deadline_ns) const;
  void wait_events(int wait_ms);
  void accept_link();
  void check_link();
  void link_up(std::string peer);
  void link_down(std::string reason);
  Chunk receive(std::span<std::uint8_t> buffer);

  const SrtConfig config_;
  SocketAddress address_;
  SrtEpoll epoll_;
  SRTSOCKET listener_ = SRT_INVALID_SOCK;
  SRTSOCKET link_ = SRT_INVALID_SOCK;  // the connection (or, for a caller, the attempt)
  bool connected_ = false;
  std::atomic<bool> busy_{false};  // read by on_listen on libsrt's thread
  std::int64_t retry_at_ns_ = 0;
  int backoff_ms_ = kSrtFirstBackoffMs;
  LinkStats earlier_links_;  // packet counters of links already closed
  std::string peer_;
  std::string last_error_;
  std::int64_t connections_ = 0;
};

SrtInput::SrtInput(SrtConfig config)
    : config_(std::move(config)), address_(resolve("srt", config_.host, config_.port)) {
  if (config_.listener) {
    open_listener();
  } else if (!start_connect()) {
    throw InputError(last_error_);
  }
}

SrtInput::~SrtInput() {
  if (listener_ != SRT_INVALID_SOCK) srt_close(listener_);
  if (link_ != SRT_INVALID_SOCK) srt_close(link_);
}

void SrtInput::open_listener() {
  listener_ = open_srt_socket(config_);
  const int events = SRT_EPOLL_IN | SRT_EPOLL_ERR;
  if (srt_listen_callback(listener_, &SrtInput::on_listen, this) == SRT_ERROR ||
      srt_bind(listener_, address_.get(), static_cast<int>(address_.length)) == SRT_ERROR ||
      srt_listen(listener_, 2) == SRT_ERROR ||
      srt_epoll_add_usock(epoll_.id, listener_, &events) == SRT_ERROR) {
    const std::string error = srt_getlasterror_str();
    srt_close(listener_);
    throw InputError(
        fmt::format("srt: cannot listen on {}: {}", address_text(address_.get()), error));
  }
}

// libsrt's thread, during the handshake: one caller at a time, and only the configured streamid.
int SrtInput::on_listen(void* self, SRTSOCKET socket, int, const sockaddr*, const char* streamid) {
  const auto* input = static_cast<const SrtInput*>(self);
  if (input->busy_.load()) {
    srt_setrejectreason(socket, SRT_REJX_OVERLOAD);
    return -1;
  }
  if (!input->config_.streamid.empty() &&
      input->config_.streamid != (streamid != nullptr ? streamid : "")) {
    srt_setrejectreason(socket, SRT_REJX_FORBIDDEN);
    return -1;
  }
  return 0;
}

// A non-blocking connect: its outcome arrives on the epoll (OUT when connected, ERR if not).
bool SrtInput::start_connect() {
  try {
    link_ = open_srt_socket(config_);
  } catch (const InputError& e) {
    last_error_ = e.what();
    return false;
  }
  const int events = SRT_EPOLL_IN | SRT_EPOLL_OUT | SRT_EPOLL_ERR;
  srt_epoll_add_usock(epoll_.id, link_, &events);
  if (srt_connect(link_, address_.get(), static_cast<int>(address_.length)) == SRT_ERROR) {
    link_down(
        fmt::format("connect to {}: {}", address_text(address_.get()), srt_getlasterror_str()));
  }
  return true;
}

void SrtInput::link_up(std::string peer) {
  connected_ = true;
  busy_ = true;
  ++connections_;
  backoff_ms_ = kSrtFirstBackoffMs;
  peer_ = std::move(peer);
  const int events = SRT_EPOLL_IN | SRT_EPOLL_ERR;
  srt_epoll_update_usock(epoll_.id, link_, &events);
}

void SrtInput::link_down(std::string reason) {
  if (connected_) {
    SRT_TRACEBSTATS perf{};
    if (srt_bstats(link_, &perf, 0) == 0) add_counters(perf, earlier_links_);
  }
  srt_epoll_remove_usock(epoll_.id, link_);
  srt_close(link_);
  link_ = SRT_INVALID_SOCK;
  connected_ = false;
  busy_ = false;
  peer_.clear();
  last_error_ = std::move(reason);
  if (!config_.listener) {
    retry_at_ns_ = monotonic_now_ns() + std::int64_t{backoff_ms_} * 1'000'000;
    backoff_ms_ = std::min(backoff_ms_ * 2, kSrtMaxBackoffMs);
  }
}

void SrtInput::check_link() {
  const SRT_SOCKSTATUS state = srt_getsockstate(link_);
  if (state == SRTS_CONNECTED) {
    // libsrt 1.5.1's srt_getpeername gives a caller 0.0.0.0:0, so the target stands in.
    if (!connected_) link_up(address_text(address_.get()));
    return;
  }
  if (state == SRTS_INIT || state == SRTS_OPENED || state == SRTS_CONNECTING) return;
  if (connected_) {
    link_down(fmt::format("link to {} lost", peer_));
  } else {
    link_down(fmt::format("connect to {} failed: {}", address_text(address_.get()),
                          srt_rejectreason_str(srt_getrejectreason(link_))));
  }
}

// One caller at a time: a second one that slipped past on_listen is closed at once.
void SrtInput::accept_link() {
  sockaddr_storage peer{};
  int length = sizeof peer;
  const SRTSOCKET s = srt_accept(listener_, reinterpret_cast<sockaddr*>(&peer), &length);
  if (s == SRT_INVALID_SOCK) return;
  if (link_ != SRT_INVALID_SOCK) {
    srt_close(s);
    return;
  }
  link_ = s;
  const int events = SRT_EPOLL_IN | SRT_EPOLL_ERR;
  srt_epoll_add_usock(epoll_.id, link_, &events);
  link_up(address_text(reinterpret_cast<const sockaddr*>(&peer)));
}

int SrtInput::wait_budget_ms(std::int64_t now_ns, std::int64_t deadline_ns) const {
  std::int64_t until_ns = deadline_ns;
  if (!config_.listener && link_ == SRT_INVALID_SOCK) until_ns = std::min(until_ns, retry_at_ns_);
  return static_cast<int>(std::max<std::int64_t>(0, (until_ns - now_ns + 999'999) / 1'000'000));
}

void SrtInput::wait_events(int wait_ms) {
  if (listener_ == SRT_INVALID_SOCK && link_ == SRT_INVALID_SOCK) {
    std::this_thread::sleep_for(std::chrono::milliseconds(wait_ms));  // a caller between attempts
    return;
  }
  std::array<SRT_EPOLL_EVENT, 2> events{};
  const int n = srt_epoll_uwait(epoll_.id, events.data(), static_cast<int>(events.size()), wait_ms);
  for (int i = 0; i < n; ++i) {
    if (events[i].fd == listener_) accept_link();
    if (events[i].fd == link_ && link_ != SRT_INVALID_SOCK) check_link();
  }
}

// Whole messages while one more still fits (an SRT live payload is at most 1456 bytes).
Chunk SrtInput::receive(std::span<std::uint8_t> buffer) {
  Chunk chunk;
  while (connected_ && buffer.size() - chunk.size >= SRT_LIVE_MAX_PLSIZE) {
    const std::size_t room = std::min<std::size_t>(buffer.size() - chunk.size, 1 << 16);
    const int n = srt_recvmsg(link_, reinterpret_cast<char*>(buffer.data() + chunk.size),
                              static_cast<int>(room));
    if (n == SRT_ERROR) {
      if (srt_getlasterror(nullptr) != SRT_EASYNCRCV) {
        link_down(fmt::format("link to {} lost: {}", peer_, srt_getlasterror_str()));
      }
      break;
    }
    if (n <= 0) break;
    if (!chunk.arrival_ns) chunk.arrival_ns = monotonic_now_ns();
    chunk.size += static_cast<std::size_t>(n);
  }
  return chunk;
}

Chunk SrtInput::read(std::span<std::uint8_t> buffer, int timeout_ms) {
  if (buffer.size() < SRT_LIVE_MAX_PLSIZE) {
    throw InputError(
        fmt::format("{}: the read buffer ({} bytes) is smaller than an SRT payload "
                    "({} bytes)",
                    config_.description, buffer.size(), SRT_LIVE_MAX_PLSIZE));
  }
  const std::int64_t deadline_ns =
      monotonic_now_ns() + std::int64_t{std::max(timeout_ms, 0)} * 1'000'000;
  for (bool waited = false;; waited = true) {
    const bool retry_due =
        !config_.listener && link_ == SRT_INVALID_SOCK && monotonic_now_ns() >= retry_at_ns_;
    if (retry_due && !start_connect()) return end_of_input();  // the socket cannot be recreated
    if (Chunk chunk = receive(buffer); chunk.size > 0) return chunk;
    const std::int64_t now_ns = monotonic_now_ns();
    if (waited && now_ns >= deadline_ns) return {};
    wait_events(wait_budget_ms(now_ns, deadline_ns));
  }
}

std::optional<LinkStats> SrtInput::link_stats() {
  LinkStats stats = earlier_links_;
  stats.connected = connected_;
  stats.peer = peer_;
  stats.last_error = last_error_;
  stats.connections = connections_;
  SRT_TRACEBSTATS perf{};
  if (connected_ && srt_bstats(link_, &perf, 0) == 0) {
    add_counters(perf, stats);
    stats.rtt_ms = perf.msRTT;
    stats.receive_rate_mbps = perf.mbpsRecvRate;
    stats.receive_buffer_ms = perf.msRcvBuf;
    stats.receive_buffer_bytes = perf.byteRcvBuf;
  }
  return stats;
}

// "rtp://..." and the like, as opposed to a path.
bool has_scheme(std::string_view spec) {
  const std::size_t end = spec.find("://");
  if (end == std::string_view::npos || end == 0) return false;
  return std::all_of(spec.begin(), spec.begin() + static_cast<std::ptrdiff_t>(end), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
  });
}

std::unique_ptr<Input> open_any_input(std::string_view spec) {
  if (spec.empty()) {
    throw InputError(fmt::format("no input given (accepted: {})", kAcceptedForms));
  }
  if (spec == "-") return open_stdin();
  if (spec.starts_with("file:")) return open_file(std::string(spec.substr(5)));
  if (spec.starts_with("udp://")) return open_udp(spec);
  if (spec.starts_with("srt://")) {
    return std::make_unique<SrtInput>(net::parse_srt_url(spec, net::SrtDirection::receive));
  }
  if (has_scheme(spec)) {
    throw InputError(fmt::format("'{}': unsupported input (accepted: {})",
                                 spec.substr(0, spec.find('?')), kAcceptedForms));
  }
  return open_file(std::string(spec));
}

}  // namespace

std::unique_ptr<Input> open_input(std::string_view spec) {
  try {
    return open_any_input(spec);
  } catch (const net::UrlError& e) {
    throw InputError(e.what());
  } catch (const net::SrtError& e) {
    throw InputError(e.what());
  }
}

}  // namespace skyclass::tsmon

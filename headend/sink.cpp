#include "headend/sink.hpp"

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <srt/access_control.h>
#include <srt/srt.h>

#include "headend/net/address.hpp"
#include "headend/net/packet_queue.hpp"
#include "headend/net/srt_url.hpp"
#include "headend/net/udp_url.hpp"

namespace skyclass::headend {

void to_json(nlohmann::json& j, const LinkState& s) {
  j = nlohmann::json{{"peer", s.peer},
                     {"streamid", s.streamid},
                     {"connected", s.connected},
                     {"connected_since_utc", s.connected_since_utc},
                     {"rtt_ms", s.rtt_ms},
                     {"send_rate_mbps", s.send_rate_mbps},
                     {"packets_sent", s.packets_sent},
                     {"packets_lost", s.packets_lost},
                     {"packets_retransmitted", s.packets_retransmitted},
                     {"packets_dropped", s.packets_dropped},
                     {"send_buffer_ms", s.send_buffer_ms},
                     {"send_buffer_bytes", s.send_buffer_bytes},
                     {"bytes", s.bytes},
                     {"queue_dropped", s.queue_dropped}};
}

void to_json(nlohmann::json& j, const SinkState& s) {
  j = nlohmann::json{{"name", s.name},
                     {"state", s.state},
                     {"bytes", s.bytes},
                     {"packets_dropped", s.packets_dropped},
                     {"last_error", s.last_error}};
  if (s.srt) {
    j["connections"] = s.connections;
    j["rejected"] = s.rejected;
    j["links"] = s.links;
  }
}

FileSink::FileSink(std::string path) : path_(std::move(path)) {
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd_ < 0) {
    throw std::runtime_error(
        fmt::format("file:{}: cannot create the output: {}", path_, std::strerror(errno)));
  }
  state_.name = "file:" + path_;
  state_.state = "open";
}

FileSink::~FileSink() { close(); }

void FileSink::write(std::span<const std::uint8_t> packets) {
  if (packets.size() % 188 != 0) {
    throw std::invalid_argument(fmt::format("file:{}: {} bytes is not whole 188-byte packets",
                                            path_, packets.size()));
  }
  if (fd_ < 0) {
    state_.packets_dropped += packets.size() / 188;
    return;
  }
  std::size_t done = 0;
  while (done < packets.size()) {
    const ssize_t n = ::write(fd_, packets.data() + done, packets.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      state_.state = "failed";
      state_.last_error = std::strerror(errno);
      // Drop the rest of this write, but keep the file on a packet boundary.
      const std::size_t partial = done % 188;
      if (partial != 0 && ::ftruncate(fd_, static_cast<off_t>(state_.bytes - partial)) == 0) {
        state_.bytes -= partial;
        done -= partial;
      }
      state_.packets_dropped += (packets.size() - done) / 188;
      return;
    }
    done += static_cast<std::size_t>(n);
    state_.bytes += static_cast<std::uint64_t>(n);
  }
  if (state_.state == "failed") state_.state = "open";
}

void FileSink::close() {
  if (fd_ < 0) return;
  ::close(fd_);
  fd_ = -1;
  if (state_.state == "open") state_.state = "closed";
}

// ---------------------------------------------------------------------------------------------
// Uplinks: UDP and SRT, each with its own queue and sender thread.

namespace {

constexpr std::size_t kTsPacketBytes = 188;
constexpr std::size_t kPacketsPerSrtPayload = 7;  // 1316 bytes, the usual SRT live payload
constexpr std::int64_t kNsPerMs = 1'000'000;
// A partial payload waits this long for the rest before it goes out alone.
constexpr std::int64_t kFlushAfterNs = 10 * kNsPerMs;
constexpr int kWakeMs = 10;
// The count bound of a queue: its time at up to 15 Mbit/s (10 packets per ms).
constexpr std::size_t kQueuePacketsPerMs = 10;
constexpr int kDefaultQueueMs = 1000;
constexpr int kSrtFirstBackoffMs = 100;
constexpr int kSrtMaxBackoffMs = 2000;
constexpr int kSrtCallerTimeoutMs = 1500;  // a connect attempt, unless timeout= says otherwise
constexpr std::int64_t kStatsEveryNs = 1000 * kNsPerMs;
constexpr std::int64_t kDrainAtCloseNs = 1000 * kNsPerMs;
constexpr int kMaxHoldAtCloseMs = 2000;
constexpr int kHoldMarginMs = 50;
constexpr int kListenBacklog = 16;

constexpr std::array<std::string_view, 1> kUdpSinkOptions = {"queue_ms"};
constexpr std::array<std::string_view, 2> kSrtSinkOptions = {"queue_ms", "stats_log"};

std::int64_t monotonic_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string utc_now_iso() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&seconds, &tm);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
}

int queue_ms_of(std::string_view label, const std::vector<net::UrlOption>& extra,
                std::span<const std::string_view> known) {
  const net::UrlOptions options(label, extra, known);
  return static_cast<int>(options.integer("queue_ms", 50, 10000, "ms").value_or(kDefaultQueueMs));
}

net::PacketQueue make_queue(int queue_ms) {
  return net::PacketQueue(static_cast<std::size_t>(queue_ms) * kQueuePacketsPerMs,
                          std::int64_t{queue_ms} * kNsPerMs);
}

// The next payload of `queue` into `out` (which must be empty): a full one, or what is there
// once the oldest has waited kFlushAfterNs, or everything when flushing. Stale packets go first.
bool take_payload(net::PacketQueue& queue, std::vector<std::uint8_t>& out, std::size_t packets,
                  bool flush, std::uint64_t& dropped) {
  const std::int64_t now = monotonic_ns();
  dropped += queue.drop_stale(now);
  if (queue.empty()) return false;
  if (queue.size() < packets && !flush && now - queue.oldest_ns() < kFlushAfterNs) return false;
  return queue.pop(out, packets) > 0;
}

// What UDP and SRT share: write() copies into the queues under the lock and wakes the sender
// thread, which does all the network work. Derived destructors call close() first.
class UplinkSink : public Sink {
 public:
  void write(std::span<const std::uint8_t> packets) override {
    if (packets.size() % kTsPacketBytes != 0) {
      throw std::invalid_argument(fmt::format("{}: {} bytes is not whole 188-byte packets",
                                              state_.name, packets.size()));
    }
    {
      const std::lock_guard lock(mutex_);
      if (stop_) {
        state_.packets_dropped += packets.size() / kTsPacketBytes;
        return;
      }
      enqueue(packets, monotonic_ns());
      data_ = true;
    }
    wake_.notify_one();
  }

  void close() override {
    {
      const std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

  SinkState state() const override {
    const std::lock_guard lock(mutex_);
    return state_;
  }

 protected:
  // Under the lock; never touches the network.
  virtual void enqueue(std::span<const std::uint8_t> packets, std::int64_t now_ns) = 0;
  virtual void run() = 0;

  void start() {
    thread_ = std::thread([this] { run(); });
  }

  // Sleeps until data arrives, close() is called, or kWakeMs pass; false once closing.
  bool wait_for_data() {
    std::unique_lock lock(mutex_);
    wake_.wait_for(lock, std::chrono::milliseconds(kWakeMs), [this] { return stop_ || data_; });
    data_ = false;
    return !stop_;
  }

  mutable std::mutex mutex_;
  SinkState state_;  // under mutex_

 private:
  std::condition_variable wake_;
  bool stop_ = false;
  bool data_ = false;
  std::thread thread_;
};

// ---------------------------------------------------------------------------------------------
// UDP

class UdpSink final : public UplinkSink {
 public:
  UdpSink(const net::UdpSendUrl& url, int queue_ms)
      : address_(net::resolve("udp", url.host, url.port)),
        packets_per_datagram_(static_cast<std::size_t>(url.pkt_size) / kTsPacketBytes),
        queue_(make_queue(queue_ms)) {
    state_.name = url.description;
    fd_ = ::socket(address_.family(), SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
      throw std::runtime_error(
          fmt::format("{}: cannot create a socket: {}", url.description, std::strerror(errno)));
    }
    try {
      configure(url);
    } catch (...) {
      ::close(fd_);
      throw;
    }
    state_.state = "open";
    start();
  }
  ~UdpSink() override {
    close();
    ::close(fd_);
  }

 private:
  void configure(const net::UdpSendUrl& url) {
    const bool multicast = net::is_multicast(address_);
    if (url.iface && !multicast) {
      throw std::invalid_argument(fmt::format(
          "{}: option 'iface' applies to a multicast group, and {} is not one", url.description,
          url.host));
    }
    if (address_.family() == AF_INET6) {
      configure_v6(url, multicast);
    } else {
      configure_v4(url, multicast);
    }
  }

  void set_or_throw(int level, int name, const void* value, socklen_t length,
                    std::string_view option, const std::string& what) {
    if (setsockopt(fd_, level, name, value, length) != 0) {
      throw std::runtime_error(fmt::format("{}: option '{}': cannot {}: {}", state_.name, option,
                                           what, std::strerror(errno)));
    }
  }

  void configure_v4(const net::UdpSendUrl& url, bool multicast) {
    if (multicast && url.iface) {
      ip_mreqn request{};
      if (inet_pton(AF_INET, url.iface->c_str(), &request.imr_address) != 1) {
        request.imr_ifindex = static_cast<int>(net::interface_index(*url.iface));
        if (request.imr_ifindex == 0) {
          throw std::invalid_argument(fmt::format(
              "{}: option 'iface': unknown interface '{}' (give a name or an address)",
              state_.name, *url.iface));
        }
      }
      set_or_throw(IPPROTO_IP, IP_MULTICAST_IF, &request, sizeof request, "iface",
                   fmt::format("send multicast on interface {}", *url.iface));
    }
    if (url.ttl) {
      const int ttl = *url.ttl;
      set_or_throw(IPPROTO_IP, multicast ? IP_MULTICAST_TTL : IP_TTL, &ttl, sizeof ttl, "ttl",
                   "set the TTL");
    }
    if (url.tos) {
      const int tos = *url.tos;
      set_or_throw(IPPROTO_IP, IP_TOS, &tos, sizeof tos, "tos", "set the TOS byte");
    }
  }

  void configure_v6(const net::UdpSendUrl& url, bool multicast) {
    if (multicast && url.iface) {
      const unsigned index = net::interface_index(*url.iface);
      if (index == 0) {
        throw std::invalid_argument(
            fmt::format("{}: option 'iface': unknown interface '{}' (give a name or an address)",
                        state_.name, *url.iface));
      }
      set_or_throw(IPPROTO_IPV6, IPV6_MULTICAST_IF, &index, sizeof index, "iface",
                   fmt::format("send multicast on interface {}", *url.iface));
    }
    if (url.ttl) {
      const int hops = *url.ttl;
      set_or_throw(IPPROTO_IPV6, multicast ? IPV6_MULTICAST_HOPS : IPV6_UNICAST_HOPS, &hops,
                   sizeof hops, "ttl", "set the hop limit");
    }
    if (url.tos) {
      const int tclass = *url.tos;
      set_or_throw(IPPROTO_IPV6, IPV6_TCLASS, &tclass, sizeof tclass, "tos",
                   "set the traffic class");
    }
  }

  void enqueue(std::span<const std::uint8_t> packets, std::int64_t now_ns) override {
    state_.packets_dropped += queue_.push(packets, now_ns);
  }

  void run() override {
    std::vector<std::uint8_t> datagram;
    datagram.reserve(packets_per_datagram_ * kTsPacketBytes);
    for (;;) {
      const bool closing = !wait_for_data();
      for (;;) {
        datagram.clear();
        {
          const std::lock_guard lock(mutex_);
          if (!take_payload(queue_, datagram, packets_per_datagram_, closing,
                            state_.packets_dropped)) {
            break;
          }
        }
        send_datagram(datagram);
      }
      if (closing) break;
    }
    const std::lock_guard lock(mutex_);
    state_.state = "closed";
  }

  void send_datagram(const std::vector<std::uint8_t>& datagram) {
    ssize_t n = -1;
    do {
      n = ::sendto(fd_, datagram.data(), datagram.size(), 0, address_.get(), address_.length);
    } while (n < 0 && errno == EINTR);
    const int err = errno;
    const std::lock_guard lock(mutex_);
    if (n < 0) {
      state_.state = "failed";
      state_.last_error = std::strerror(err);
      state_.packets_dropped += datagram.size() / kTsPacketBytes;
      return;
    }
    state_.state = "open";
    state_.bytes += datagram.size();
  }

  const net::SocketAddress address_;
  const std::size_t packets_per_datagram_;
  int fd_ = -1;
  net::PacketQueue queue_;  // under mutex_
};

// ---------------------------------------------------------------------------------------------
// SRT

// One connection (a caller's, or one station's on a listener) with its own queue.
struct SrtLink {
  explicit SrtLink(int queue_ms) : queue(make_queue(queue_ms)) {}
  // The sender thread's own.
  SRTSOCKET socket = SRT_INVALID_SOCK;
  std::vector<std::uint8_t> pending;  // a payload libsrt had no room for yet
  LinkState earlier;                  // srt_bstats counters of a caller's closed sockets
  // The socket's counters at the last poll: a broken socket may no longer answer srt_bstats.
  std::optional<SRT_TRACEBSTATS> last_perf;
  // Under the sink's mutex.
  bool connected = false;
  net::PacketQueue queue;
  LinkState state;
};

void add_counters(const SRT_TRACEBSTATS& perf, LinkState& s) {
  s.packets_sent += perf.pktSentUniqueTotal;
  s.packets_lost += perf.pktSndLossTotal;
  s.packets_retransmitted += perf.pktRetransTotal;
  s.packets_dropped += perf.pktSndDropTotal;
}

std::string srt_streamid_of(SRTSOCKET s) {
  std::array<char, 600> id{};
  int length = static_cast<int>(id.size());
  if (srt_getsockflag(s, SRTO_STREAMID, id.data(), &length) == SRT_ERROR) return {};
  return std::string(id.data(), static_cast<std::size_t>(std::max(length, 0)));
}

class SrtSink final : public UplinkSink {
 public:
  SrtSink(net::SrtUrl url, int queue_ms, std::string stats_log)
      : url_(std::move(url)),
        address_(net::resolve("srt", url_.host, url_.port)),
        queue_ms_(queue_ms) {
    if (!url_.listener && !url_.connect_timeout_ms) url_.connect_timeout_ms = kSrtCallerTimeoutMs;
    state_.name = url_.description;
    state_.srt = true;
    if (!stats_log.empty()) open_stats_log(stats_log);  // before the listener: it may throw
    if (url_.listener) {
      open_listener();
      state_.state = "listening";
    } else {
      links_.push_back(std::make_unique<SrtLink>(queue_ms_));
      links_.back()->state.peer = net::address_text(address_.get());
      links_.back()->state.streamid = url_.streamid;
      state_.state = "disconnected";
    }
    start();
  }

  ~SrtSink() override { close(); }

  SinkState state() const override {
    const std::lock_guard lock(mutex_);
    SinkState s = state_;
    s.rejected = rejected_.load();
    for (const auto& link : links_) s.links.push_back(link->state);
    return s;
  }

 private:
  void open_stats_log(const std::string& path) {
    stats_log_.reset(std::fopen(path.c_str(), "ae"));
    if (stats_log_ == nullptr) {
      throw std::runtime_error(fmt::format("{}: option 'stats_log': cannot open '{}': {}",
                                           url_.description, path, std::strerror(errno)));
    }
  }

  void open_listener() {
    listener_ = net::create_srt_socket(url_);
    if (srt_listen_callback(listener_, &SrtSink::on_listen, this) == SRT_ERROR ||
        srt_bind(listener_, address_.get(), static_cast<int>(address_.length)) == SRT_ERROR ||
        srt_listen(listener_, kListenBacklog) == SRT_ERROR) {
      const std::string error = srt_getlasterror_str();
      srt_close(listener_);
      listener_ = SRT_INVALID_SOCK;
      throw std::runtime_error(fmt::format("{}: cannot listen on {}: {}", url_.description,
                                           net::address_text(address_.get()), error));
    }
  }

  // libsrt's thread, during the handshake: only streamids on the allow-list (when there is one).
  static int on_listen(void* self, SRTSOCKET socket, int, const sockaddr* /*peer*/,
                       const char* streamid) {
    auto* sink = static_cast<SrtSink*>(self);
    const std::string id = streamid != nullptr ? streamid : "";
    const auto& allow = sink->url_.allow;
    if (allow.empty() || std::find(allow.begin(), allow.end(), id) != allow.end()) return 0;
    srt_setrejectreason(socket, SRT_REJX_FORBIDDEN);
    ++sink->rejected_;
    return -1;
  }

  // Under the lock. A caller between links has nowhere to send: its packets count as dropped.
  void enqueue(std::span<const std::uint8_t> packets, std::int64_t now_ns) override {
    for (const auto& link : links_) {
      if (!link->connected) {
        if (!url_.listener) count_dropped(*link, packets.size() / kTsPacketBytes);
        continue;
      }
      count_dropped(*link, link->queue.push(packets, now_ns));
    }
  }

  void count_dropped(SrtLink& link, std::uint64_t packets) {
    link.state.queue_dropped += packets;
    state_.packets_dropped += packets;
  }

  void run() override {
    std::int64_t next_stats_ns = monotonic_ns() + kStatsEveryNs;
    while (wait_for_data()) {
      if (url_.listener) {
        accept_stations();
      } else {
        keep_calling();
      }
      send_ready(false);
      if (monotonic_ns() >= next_stats_ns) {
        poll_stats();
        next_stats_ns += kStatsEveryNs;
      }
    }
    drain();
    shut_down();
  }

  // --- caller ---

  void keep_calling() {
    SrtLink& link = *links_.front();
    if (link.socket == SRT_INVALID_SOCK) {
      if (monotonic_ns() >= retry_at_ns_) start_connect(link);
      return;
    }
    const SRT_SOCKSTATUS status = srt_getsockstate(link.socket);
    if (status == SRTS_CONNECTED) {
      if (!link.connected) link_up(link, net::address_text(address_.get()));
      return;
    }
    if (status == SRTS_INIT || status == SRTS_OPENED || status == SRTS_CONNECTING) return;
    link_down(link, link.connected
                        ? fmt::format("link to {} lost", link.state.peer)
                        : fmt::format("connect to {} failed: {}", link.state.peer,
                                      srt_rejectreason_str(srt_getrejectreason(link.socket))));
  }

  void start_connect(SrtLink& link) {
    try {
      link.socket = net::create_srt_socket(url_);
    } catch (const net::SrtError& e) {
      link_down(link, e.what());
      return;
    }
    if (srt_connect(link.socket, address_.get(), static_cast<int>(address_.length)) ==
        SRT_ERROR) {
      link_down(link, fmt::format("connect to {}: {}", link.state.peer, srt_getlasterror_str()));
    }
  }

  // A new link starts at the live point: nothing queued before it is sent.
  void link_up(SrtLink& link, std::string peer) {
    backoff_ms_ = kSrtFirstBackoffMs;
    const std::lock_guard lock(mutex_);
    link.connected = true;
    count_dropped(link, link.queue.clear());
    link.state.connected = true;
    link.state.peer = std::move(peer);
    link.state.connected_since_utc = utc_now_iso();
    ++state_.connections;
    if (!url_.listener) state_.state = "connected";
  }

  // Closes the link's socket; a caller tries again after its backoff.
  void link_down(SrtLink& link, std::string reason) {
    if (link.socket != SRT_INVALID_SOCK) {
      SRT_TRACEBSTATS perf{};
      if (link.connected && srt_bstats(link.socket, &perf, 0) == 0) {
        add_counters(perf, link.earlier);
      } else if (link.last_perf) {
        add_counters(*link.last_perf, link.earlier);
      }
      link.last_perf.reset();
      srt_close(link.socket);
      link.socket = SRT_INVALID_SOCK;
    }
    const std::uint64_t pending_packets = link.pending.size() / kTsPacketBytes;
    link.pending.clear();
    {
      const std::lock_guard lock(mutex_);
      link.connected = false;
      count_dropped(link, link.queue.clear() + pending_packets);
      link.state.connected = false;
      link.state.connected_since_utc.clear();
      link.state.rtt_ms = link.state.send_rate_mbps = 0;
      link.state.send_buffer_ms = link.state.send_buffer_bytes = 0;
      state_.last_error = std::move(reason);
      if (!url_.listener) state_.state = "disconnected";
    }
    if (!url_.listener) {
      retry_at_ns_ = monotonic_ns() + std::int64_t{backoff_ms_} * kNsPerMs;
      backoff_ms_ = std::min(backoff_ms_ * 2, kSrtMaxBackoffMs);
    }
  }

  // --- listener ---

  void accept_stations() {
    for (;;) {
      sockaddr_storage peer{};
      int length = sizeof peer;
      const SRTSOCKET s = srt_accept(listener_, reinterpret_cast<sockaddr*>(&peer), &length);
      if (s == SRT_INVALID_SOCK) break;
      const bool no = false;
      srt_setsockflag(s, SRTO_SNDSYN, &no, sizeof no);
      auto link = std::make_unique<SrtLink>(queue_ms_);
      link->socket = s;
      link->state.streamid = srt_streamid_of(s);
      SrtLink& added = *link;
      {
        const std::lock_guard lock(mutex_);
        links_.push_back(std::move(link));
      }
      link_up(added, net::address_text(reinterpret_cast<const sockaddr*>(&peer)));
    }
    forget_broken_stations();
  }

  void forget_broken_stations() {
    for (std::size_t i = 0; i < links_.size();) {
      SrtLink& link = *links_[i];
      if (link.socket != SRT_INVALID_SOCK && srt_getsockstate(link.socket) == SRTS_CONNECTED) {
        ++i;
        continue;
      }
      if (link.socket != SRT_INVALID_SOCK) {
        link_down(link, fmt::format("station {} ({}) left", link.state.peer, link.state.streamid));
      }
      log_link(link);
      const std::lock_guard lock(mutex_);
      links_.erase(links_.begin() + static_cast<std::ptrdiff_t>(i));
    }
  }

  // --- sending ---

  void send_ready(bool flush) {
    for (const auto& link : links_) {
      if (link->socket != SRT_INVALID_SOCK && link->connected) send_link(*link, flush);
    }
  }

  void send_link(SrtLink& link, bool flush) {
    for (;;) {
      if (link.pending.empty()) {
        const std::lock_guard lock(mutex_);
        std::uint64_t dropped = 0;
        const bool got = take_payload(link.queue, link.pending, kPacketsPerSrtPayload, flush,
                                      dropped);
        count_dropped(link, dropped);
        if (!got) return;
      }
      const int n = srt_sendmsg2(link.socket, reinterpret_cast<const char*>(link.pending.data()),
                                 static_cast<int>(link.pending.size()), nullptr);
      if (n == SRT_ERROR) {
        if (srt_getlasterror(nullptr) == SRT_EASYNCSND) return;  // no room: next round
        link_down(link, fmt::format("link to {} lost: {}", link.state.peer,
                                    srt_getlasterror_str()));
        return;
      }
      {
        const std::lock_guard lock(mutex_);
        link.state.bytes += link.pending.size();
        state_.bytes += link.pending.size();
      }
      link.pending.clear();
    }
  }

  bool unsent(const SrtLink& link) const {
    const std::lock_guard lock(mutex_);
    return !link.pending.empty() || !link.queue.empty();
  }

  // On close: send what is queued and wait for its acknowledgement (at most 1 s), then for the
  // receivers' latency (at most 2 s), so the stream ends whole at every station.
  void drain() {
    const std::int64_t deadline = monotonic_ns() + kDrainAtCloseNs;
    for (const auto& link : links_) {
      while (link->connected && link->socket != SRT_INVALID_SOCK && unsent(*link) &&
             monotonic_ns() < deadline) {
        send_link(*link, true);
        if (unsent(*link)) std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
      std::size_t blocks = 0;
      std::size_t bytes = 0;
      while (link->connected && link->socket != SRT_INVALID_SOCK && monotonic_ns() < deadline &&
             srt_getsndbuffer(link->socket, &blocks, &bytes) == 0 && bytes > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    }
    // A receiver holds each packet for its latency, and a close drops what it still holds.
    int hold_ms = 0;
    for (const auto& link : links_) {
      int latency_ms = 0;
      int length = sizeof latency_ms;
      if (link->connected && link->socket != SRT_INVALID_SOCK &&
          srt_getsockflag(link->socket, SRTO_PEERLATENCY, &latency_ms, &length) == 0) {
        hold_ms = std::max(hold_ms, latency_ms);
      }
    }
    if (hold_ms > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(std::min(hold_ms, kMaxHoldAtCloseMs) +
                                                            kHoldMarginMs));
    }
  }

  void shut_down() {
    poll_stats();
    for (const auto& link : links_) {
      if (link->socket != SRT_INVALID_SOCK) link_down(*link, "closed");
    }
    if (listener_ != SRT_INVALID_SOCK) srt_close(listener_);
    listener_ = SRT_INVALID_SOCK;
    const std::lock_guard lock(mutex_);
    state_.state = "closed";
    state_.last_error.clear();
  }

  // --- statistics ---

  void poll_stats() {
    for (const auto& link : links_) {
      SRT_TRACEBSTATS perf{};
      const bool have = link->connected && link->socket != SRT_INVALID_SOCK &&
                        srt_bstats(link->socket, &perf, 0) == 0;
      {
        const std::lock_guard lock(mutex_);
        LinkState& s = link->state;
        s.packets_sent = link->earlier.packets_sent;
        s.packets_lost = link->earlier.packets_lost;
        s.packets_retransmitted = link->earlier.packets_retransmitted;
        s.packets_dropped = link->earlier.packets_dropped;
        if (have) {
          link->last_perf = perf;
          add_counters(perf, s);
          s.rtt_ms = perf.msRTT;
          s.send_rate_mbps = perf.mbpsSendRate;
          s.send_buffer_ms = perf.msSndBuf;
          s.send_buffer_bytes = perf.byteSndBuf;
        }
      }
      log_link(*link);
    }
  }

  // One JSON line per link: {"time_utc", "sink", "rejected", then the LinkState fields}.
  void log_link(const SrtLink& link) {
    if (stats_log_ == nullptr) return;
    nlohmann::json line;
    {
      const std::lock_guard lock(mutex_);
      line = link.state;
      line["sink"] = state_.name;
    }
    line["time_utc"] = utc_now_iso();
    line["rejected"] = rejected_.load();
    const std::string text = line.dump() + "\n";
    std::fwrite(text.data(), 1, text.size(), stats_log_.get());
    std::fflush(stats_log_.get());
  }

  net::SrtUrl url_;
  const net::SocketAddress address_;
  const int queue_ms_;
  struct CloseFile {
    void operator()(std::FILE* f) const { std::fclose(f); }
  };
  std::unique_ptr<std::FILE, CloseFile> stats_log_;
  SRTSOCKET listener_ = SRT_INVALID_SOCK;
  std::atomic<std::uint64_t> rejected_{0};
  // Membership changes on the sender thread under mutex_; write() reads it under mutex_.
  std::vector<std::unique_ptr<SrtLink>> links_;
  std::int64_t retry_at_ns_ = 0;
  int backoff_ms_ = kSrtFirstBackoffMs;
};

// A URL error names the option and never the secret, so it is safe to show as it is.
template <typename Open>
std::unique_ptr<Sink> open_network_sink(Open open) {
  try {
    return open();
  } catch (const net::UrlError& e) {
    throw std::invalid_argument(fmt::format("--output: {}", e.what()));
  } catch (const net::SrtError& e) {
    throw std::runtime_error(fmt::format("--output: {}", e.what()));
  }
}

}  // namespace

std::unique_ptr<Sink> open_sink(const std::string& spec) {
  if (spec.starts_with("file:")) {
    const std::string path = spec.substr(5);
    if (path.empty()) {
      throw std::invalid_argument(
          fmt::format("--output '{}': expected file:PATH with a path after 'file:'", spec));
    }
    return std::make_unique<FileSink>(path);
  }
  if (spec.starts_with("udp://")) {
    return open_network_sink([&]() -> std::unique_ptr<Sink> {
      const net::UdpSendUrl url = net::parse_udp_send_url(spec, kUdpSinkOptions);
      return std::make_unique<UdpSink>(url, queue_ms_of("udp", url.extra, kUdpSinkOptions));
    });
  }
  if (spec.starts_with("srt://")) {
    return open_network_sink([&]() -> std::unique_ptr<Sink> {
      net::SrtUrl url = net::parse_srt_url(spec, net::SrtDirection::send, kSrtSinkOptions);
      const int queue_ms = queue_ms_of("srt", url.extra, kSrtSinkOptions);
      std::string stats_log;
      for (const net::UrlOption& o : url.extra) {
        if (o.name == "stats_log") stats_log = o.value;
      }
      return std::make_unique<SrtSink>(std::move(url), queue_ms, std::move(stats_log));
    });
  }
  const auto colon = spec.find(':');
  throw std::invalid_argument(fmt::format(
      "--output '{}': unknown sink '{}'; expected file:PATH, udp://HOST:PORT or "
      "srt://HOST:PORT?...",
      spec.substr(0, spec.find('?')), colon == std::string::npos ? spec : spec.substr(0, colon)));
}

}  // namespace skyclass::headend

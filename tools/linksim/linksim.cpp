#include "tools/linksim/linksim.hpp"

#include "tools/decimal_text.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include <fmt/format.h>

namespace skyclass::linksim {
namespace {

using tools::text::Decimal;
using tools::text::is_digit;
using tools::text::parse_decimal;
using tools::text::pow10;
using tools::text::scale_draw;

using UInt128 = unsigned __int128;

constexpr std::uint64_t kBackSeedOffset = 0x9E3779B97F4A7C15ULL;
constexpr std::size_t kMaxDatagramBytes = 65536;
constexpr int kSocketBufferBytes = 4 << 20;
constexpr int kMaxReadsPerWakeup = 256;  // per socket, so one direction cannot starve the other

enum DrawIndex : std::size_t {
  kDrawLoss,
  kDrawBurstLoss,
  kDrawBurstTransition,
  kDrawJitter,
  kDrawReorder,
  kDrawDuplicate
};
static_assert(kDrawDuplicate + 1 == kDrawsPerDatagram);

std::optional<TimeNs> parse_duration_ns(std::string_view text, TimeNs default_unit_ns) {
  struct Unit {
    std::string_view suffix;
    TimeNs ns;
  };
  static constexpr Unit kUnits[] = {{"min", 60 * kNsPerSecond},
                                    {"ms", kNsPerMs},
                                    {"us", 1000},
                                    {"h", 3600 * kNsPerSecond},
                                    {"s", kNsPerSecond}};
  TimeNs unit_ns = default_unit_ns;
  for (const Unit& unit : kUnits) {
    if (text.size() > unit.suffix.size() && text.ends_with(unit.suffix)) {
      text.remove_suffix(unit.suffix.size());
      unit_ns = unit.ns;
      break;
    }
  }
  Decimal value;
  if (!parse_decimal(text, 9, 9, value)) return std::nullopt;
  const std::uint64_t scale = pow10(value.fraction_digits);
  const UInt128 ns = (UInt128{value.integer} * scale + value.fraction) *
                     static_cast<std::uint64_t>(unit_ns) / scale;
  if (ns > static_cast<UInt128>(std::numeric_limits<TimeNs>::max() / 4)) return std::nullopt;
  return static_cast<TimeNs>(ns);
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  return text;
}

}  // namespace

std::string_view to_string(Direction direction) {
  return direction == Direction::forward ? "forward" : "back";
}

bool Percentage::chosen(std::uint64_t draw) const {
  if (parts_per_billion >= kWhole) return true;
  const UInt128 threshold = (UInt128{parts_per_billion} << 64) / kWhole;
  return UInt128{draw} < threshold;
}

// ---------------------------------------------------------------------------------------------
// Impairer

Impairer::Impairer(const DirectionSettings& settings, std::uint64_t seed)
    : settings_(settings), prng_(seed) {}

Decision Impairer::decide(TimeNs arrival_ns, std::size_t bytes, bool outage) {
  std::array<std::uint64_t, kDrawsPerDatagram> draws;
  for (std::uint64_t& draw : draws) draw = prng_();

  Decision decision;
  bool burst_lost = false;
  if (settings_.burst) {
    const GilbertElliott& ge = *settings_.burst;
    burst_lost = (bad_state_ ? ge.loss_bad : ge.loss_good).chosen(draws[kDrawBurstLoss]);
    bad_state_ = bad_state_ ? !ge.r.chosen(draws[kDrawBurstTransition])
                            : ge.p.chosen(draws[kDrawBurstTransition]);
  }
  if (outage) {
    decision.fate = Decision::Fate::lost_outage;
    return decision;
  }
  if (burst_lost) {
    decision.fate = Decision::Fate::lost_burst;
    return decision;
  }
  if (settings_.loss.chosen(draws[kDrawLoss])) {
    decision.fate = Decision::Fate::lost_random;
    return decision;
  }

  TimeNs departure_ns = arrival_ns;
  if (settings_.rate_kbps != 0) {
    // bits / (kbps * 1000) s = bytes * 8e6 / kbps ns.
    const auto serialisation_ns =
        static_cast<TimeNs>(UInt128{bytes} * 8'000'000 / settings_.rate_kbps);
    const bool idle = link_free_ns_ <= arrival_ns;
    const TimeNs candidate_ns = std::max(arrival_ns, link_free_ns_) + serialisation_ns;
    if (!idle && candidate_ns - arrival_ns > settings_.queue_ns) {
      decision.fate = Decision::Fate::dropped_rate;
      return decision;
    }
    link_free_ns_ = candidate_ns;
    departure_ns = candidate_ns;
  }

  TimeNs release_ns = departure_ns + settings_.delay_ns;
  if (settings_.jitter_ns > 0) {
    const auto span = static_cast<std::uint64_t>(settings_.jitter_ns) * 2 + 1;
    release_ns += static_cast<TimeNs>(scale_draw(draws[kDrawJitter], span)) - settings_.jitter_ns;
  }
  release_ns = std::max({release_ns, departure_ns, last_release_ns_});
  if (settings_.reorder.any() && settings_.reorder.chosen(draws[kDrawReorder])) {
    decision.reordered = true;
    release_ns += settings_.reorder_gap_ns;
  } else {
    last_release_ns_ = release_ns;
  }
  decision.duplicated =
      settings_.duplicate.any() && settings_.duplicate.chosen(draws[kDrawDuplicate]);
  decision.release_ns = release_ns;
  return decision;
}

// ---------------------------------------------------------------------------------------------
// Link

Link::Link(const LinkSettings& settings)
    : settings_(settings),
      impairers_{Impairer(settings.forward, settings.seed),
                 Impairer(settings.back, settings.seed + kBackSeedOffset)} {}

bool Link::in_outage(TimeNs now_ns) const {
  if (!origin_ns_) return false;
  const TimeNs t = now_ns - *origin_ns_;
  return std::any_of(settings_.outages.begin(), settings_.outages.end(), [t](const Outage& o) {
    return t >= o.start_ns && t - o.start_ns < o.length_ns;
  });
}

Decision Link::push(Direction direction, TimeNs now_ns, std::span<const std::uint8_t> payload) {
  if (!origin_ns_) origin_ns_ = now_ns;
  const auto index = static_cast<std::size_t>(direction);
  DirectionCounters& counters = counters_[index];
  ++counters.received;
  counters.bytes_received += payload.size();
  const Decision decision = impairers_[index].decide(now_ns, payload.size(), in_outage(now_ns));
  switch (decision.fate) {
    case Decision::Fate::lost_outage:
      ++counters.lost_outage;
      return decision;
    case Decision::Fate::lost_burst:
      ++counters.lost_burst;
      return decision;
    case Decision::Fate::lost_random:
      ++counters.lost_random;
      return decision;
    case Decision::Fate::dropped_rate:
      ++counters.dropped_rate;
      return decision;
    case Decision::Fate::queued:
      break;
  }
  if (decision.reordered) ++counters.reordered;
  const int copies = decision.duplicated ? 2 : 1;
  if (decision.duplicated) ++counters.duplicated;
  for (int copy = 0; copy < copies; ++copy) {
    queue_.push_back(Queued{decision.release_ns, next_order_++, direction,
                            std::vector<std::uint8_t>(payload.begin(), payload.end())});
    std::push_heap(queue_.begin(), queue_.end(), later);
    ++queued_[index];
  }
  return decision;
}

std::optional<TimeNs> Link::next_release_ns() const {
  if (queue_.empty()) return std::nullopt;
  return queue_.front().release_ns;
}

void Link::release_due(TimeNs now_ns, const Sender& send) {
  while (!queue_.empty() && queue_.front().release_ns <= now_ns) {
    std::pop_heap(queue_.begin(), queue_.end(), later);
    Queued item = std::move(queue_.back());
    queue_.pop_back();
    const auto index = static_cast<std::size_t>(item.direction);
    --queued_[index];
    DirectionCounters& counters = counters_[index];
    if (in_outage(item.release_ns)) {
      ++counters.lost_outage;
    } else if (send(item.direction, item.payload)) {
      ++counters.forwarded;
      counters.bytes_forwarded += item.payload.size();
    } else {
      ++counters.send_errors;
    }
  }
}

const DirectionCounters& Link::counters(Direction direction) const {
  return counters_[static_cast<std::size_t>(direction)];
}

DirectionCounters Link::counters_with_pending(Direction direction) const {
  DirectionCounters counters = this->counters(direction);
  counters.pending = queued_[static_cast<std::size_t>(direction)];
  return counters;
}

// ---------------------------------------------------------------------------------------------
// Option values

Percentage parse_percentage(std::string_view text, std::string_view option) {
  std::string_view number = trim(text);
  if (number.ends_with('%')) number.remove_suffix(1);
  Decimal value;
  const bool parsed = parse_decimal(number, 3, 7, value);
  const std::uint64_t parts =
      value.integer * 10'000'000 + value.fraction * pow10(7 - value.fraction_digits);
  if (!parsed || parts > Percentage::kWhole) {
    throw UsageError(fmt::format(
        "{}: expected a percentage from 0 to 100 with at most 7 decimals (e.g. 0.5), got '{}'",
        option, text));
  }
  return Percentage{static_cast<std::uint32_t>(parts)};
}

GilbertElliott parse_gilbert_elliott(std::string_view text, std::string_view option) {
  std::vector<std::string_view> parts;
  std::string_view rest = text;
  while (true) {
    const std::size_t comma = rest.find(',');
    parts.push_back(rest.substr(0, comma));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (parts.size() != 2 && parts.size() != 4) {
    throw UsageError(fmt::format(
        "{}: expected P,R or P,R,LOSS_GOOD,LOSS_BAD (percentages, e.g. 1,25 or 1,25,0,100), "
        "got '{}'",
        option, text));
  }
  GilbertElliott ge;
  ge.p = parse_percentage(parts[0], fmt::format("{} P (good->bad)", option));
  ge.r = parse_percentage(parts[1], fmt::format("{} R (bad->good)", option));
  if (parts.size() == 4) {
    ge.loss_good = parse_percentage(parts[2], fmt::format("{} LOSS_GOOD", option));
    ge.loss_bad = parse_percentage(parts[3], fmt::format("{} LOSS_BAD", option));
  }
  if (!ge.r.any()) {
    throw UsageError(fmt::format("{}: R (bad->good) must be above 0, got '{}'", option, text));
  }
  return ge;
}

TimeNs parse_duration(std::string_view text, TimeNs default_unit_ns, std::string_view option) {
  const std::optional<TimeNs> ns = parse_duration_ns(trim(text), default_unit_ns);
  if (!ns) {
    throw UsageError(fmt::format(
        "{}: expected a number with an optional unit h, min, s, ms or us (default {}), got '{}'",
        option, default_unit_ns == kNsPerMs ? "ms" : "s", text));
  }
  return *ns;
}

Outage parse_outage(std::string_view text) {
  constexpr std::string_view kExpected =
      "expected START+LEN, each a number with an optional unit h, min, s (the default), ms or us "
      "(e.g. 30s+2s, 30+2, 1.5s+500ms)";
  const std::size_t plus = text.find('+');
  if (plus == std::string_view::npos) {
    throw UsageError(fmt::format("--outage: {}, got '{}': no +LEN", kExpected, text));
  }
  const std::optional<TimeNs> start = parse_duration_ns(text.substr(0, plus), kNsPerSecond);
  const std::optional<TimeNs> length = parse_duration_ns(text.substr(plus + 1), kNsPerSecond);
  if (!start || !length) {
    throw UsageError(fmt::format("--outage: {}, got '{}'", kExpected, text));
  }
  if (*length == 0) {
    throw UsageError(fmt::format("--outage: {}, got '{}': LEN must be positive", kExpected, text));
  }
  return Outage{*start, *length};
}

std::uint64_t parse_seed(std::string_view text) {
  std::uint64_t value = 0;
  bool ok = !text.empty() && text.size() <= 20;
  for (char c : text) {
    if (!ok) break;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    ok = is_digit(c) && value <= (std::numeric_limits<std::uint64_t>::max() - digit) / 10;
    value = value * 10 + digit;
  }
  if (!ok) {
    throw UsageError(
        fmt::format("--seed: expected an unsigned decimal integer from 0 to {}, got '{}'",
                    std::numeric_limits<std::uint64_t>::max(), text));
  }
  return value;
}

std::uint64_t parse_rate_kbps(std::string_view text, std::string_view option) {
  Decimal value;
  if (!parse_decimal(trim(text), 9, 0, value) || value.integer == 0) {
    throw UsageError(fmt::format(
        "{}: expected a whole number of kbit/s from 1 to 999999999 (e.g. 3000), got '{}'", option,
        text));
  }
  return value.integer;
}

// ---------------------------------------------------------------------------------------------
// Endpoints and stats

std::string Endpoint::to_string() const {
  return fmt::format("{}.{}.{}.{}:{}", address_host_order >> 24, (address_host_order >> 16) & 0xFF,
                     (address_host_order >> 8) & 0xFF, address_host_order & 0xFF, port);
}

Endpoint parse_endpoint(std::string_view text, std::string_view option) {
  const auto fail = [&] {
    return UsageError(fmt::format(
        "{}: expected an IPv4 address and port HOST:PORT (e.g. 127.0.0.1:9000), got '{}'", option,
        text));
  };
  const std::size_t colon = text.rfind(':');
  if (colon == std::string_view::npos) throw fail();
  const std::string host(text.substr(0, colon));
  in_addr address{};
  if (inet_pton(AF_INET, host.c_str(), &address) != 1) throw fail();
  Decimal port;
  if (!parse_decimal(text.substr(colon + 1), 5, 0, port) || port.integer > 65535 ||
      text.substr(colon + 1).empty()) {
    throw fail();
  }
  return Endpoint{ntohl(address.s_addr), static_cast<std::uint16_t>(port.integer)};
}

namespace {

std::string counters_json(const DirectionCounters& c) {
  return fmt::format(
      "{{\"received\":{},\"forwarded\":{},\"lost_random\":{},\"lost_burst\":{},"
      "\"lost_outage\":{},\"dropped_rate\":{},\"duplicated\":{},\"reordered\":{},"
      "\"bytes_received\":{},\"bytes_forwarded\":{},\"pending\":{},\"send_errors\":{}}}",
      c.received, c.forwarded, c.lost_random, c.lost_burst, c.lost_outage, c.dropped_rate,
      c.duplicated, c.reordered, c.bytes_received, c.bytes_forwarded, c.pending, c.send_errors);
}

std::string counters_summary(const DirectionCounters& c) {
  return fmt::format(
      "{} in, {} out (lost {} random, {} burst, {} outage, {} rate; {} duplicated, {} reordered"
      "{})",
      c.received, c.forwarded, c.lost_random, c.lost_burst, c.lost_outage, c.dropped_rate,
      c.duplicated, c.reordered,
      c.pending + c.send_errors == 0
          ? std::string{}
          : fmt::format("; {} pending, {} send errors", c.pending, c.send_errors));
}

}  // namespace

std::string to_json(const Stats& stats) {
  return fmt::format(
      "{{\"final\":{},\"seed\":{},\"elapsed_s\":{:.3f},\"client\":{},\"client_changes\":{},"
      "\"forward\":{},\"back\":{}}}",
      stats.final, stats.seed, stats.elapsed_s,
      stats.client ? fmt::format("\"{}\"", stats.client->to_string()) : std::string("null"),
      stats.client_changes, counters_json(stats.directions[0]), counters_json(stats.directions[1]));
}

std::string summary_line(const Stats& stats) {
  return fmt::format("seed {}, {:.1f} s: forward {}; back {}", stats.seed, stats.elapsed_s,
                     counters_summary(stats.directions[0]), counters_summary(stats.directions[1]));
}

// ---------------------------------------------------------------------------------------------
// Relay

namespace {

TimeNs monotonic_now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

sockaddr_in to_sockaddr(const Endpoint& endpoint) {
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(endpoint.address_host_order);
  address.sin_port = htons(endpoint.port);
  return address;
}

Endpoint to_endpoint(const sockaddr_in& address) {
  return Endpoint{ntohl(address.sin_addr.s_addr), ntohs(address.sin_port)};
}

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(Fd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  Fd& operator=(Fd&& other) noexcept {
    std::swap(fd_, other.fd_);
    return *this;
  }
  int get() const { return fd_; }

 private:
  int fd_ = -1;
};

Fd udp_socket(std::string_view role, const Endpoint& endpoint) {
  Fd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) {
    throw SocketError(fmt::format("{} {}: cannot create a UDP socket: {}", role,
                                  endpoint.to_string(), std::strerror(errno)));
  }
  // Large buffers, so that the kernel does not drop datagrams the counters would not see.
  for (int option : {SO_RCVBUF, SO_SNDBUF}) {
    ::setsockopt(fd.get(), SOL_SOCKET, option, &kSocketBufferBytes, sizeof kSocketBufferBytes);
  }
  return fd;
}

Endpoint bound_address(int fd) {
  sockaddr_in address{};
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  return to_endpoint(address);
}

}  // namespace

struct Relay::State {
  RelayOptions options;
  Link link;
  Fd listen_fd, relay_fd, wake_read, wake_write;
  std::optional<Endpoint> client;
  std::uint64_t client_changes = 0;
  TimeNs start_ns = monotonic_now_ns();
  std::vector<std::uint8_t> buffer = std::vector<std::uint8_t>(kMaxDatagramBytes);

  explicit State(RelayOptions relay_options)
      : options(std::move(relay_options)), link(options.link) {}

  bool send(Direction direction, std::span<const std::uint8_t> payload) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      ssize_t sent;
      if (direction == Direction::forward) {
        sent = ::send(relay_fd.get(), payload.data(), payload.size(), 0);
      } else {
        if (!client) return false;
        const sockaddr_in to = to_sockaddr(*client);
        sent = ::sendto(listen_fd.get(), payload.data(), payload.size(), 0,
                        reinterpret_cast<const sockaddr*>(&to), sizeof to);
      }
      if (sent >= 0) return true;
      // A connected UDP socket reports an earlier ICMP port unreachable once: send again.
      if (errno != ECONNREFUSED && errno != EINTR) return false;
    }
    return false;
  }

  // Reads what is waiting on one socket, up to kMaxReadsPerWakeup datagrams.
  void drain(Direction direction) {
    const int fd = direction == Direction::forward ? listen_fd.get() : relay_fd.get();
    for (int i = 0; i < kMaxReadsPerWakeup; ++i) {
      sockaddr_in from{};
      socklen_t from_length = sizeof from;
      const ssize_t got = ::recvfrom(fd, buffer.data(), buffer.size(), 0,
                                     reinterpret_cast<sockaddr*>(&from), &from_length);
      if (got < 0) {
        if (errno == EINTR || errno == ECONNREFUSED) continue;
        return;  // EAGAIN, or an error the next poll reports again
      }
      if (direction == Direction::forward) {
        const Endpoint sender = to_endpoint(from);
        if (client != sender) {
          if (client) ++client_changes;
          client = sender;
        }
      }
      link.push(direction, monotonic_now_ns(),
                std::span<const std::uint8_t>(buffer.data(), static_cast<std::size_t>(got)));
    }
  }

  Stats stats(bool final) const {
    Stats stats;
    stats.seed = options.link.seed;
    stats.elapsed_s = static_cast<double>(monotonic_now_ns() - start_ns) / kNsPerSecond;
    stats.client = client;
    stats.client_changes = client_changes;
    stats.directions = {link.counters_with_pending(Direction::forward),
                        link.counters_with_pending(Direction::back)};
    stats.final = final;
    return stats;
  }
};

Relay::Relay(RelayOptions options) : state_(std::make_unique<State>(std::move(options))) {
  State& s = *state_;
  const Endpoint& listen = s.options.listen;
  const Endpoint& forward = s.options.forward;

  s.listen_fd = udp_socket("--listen", listen);
  const sockaddr_in listen_address = to_sockaddr(listen);
  if (::bind(s.listen_fd.get(), reinterpret_cast<const sockaddr*>(&listen_address),
             sizeof listen_address) != 0) {
    throw SocketError(
        fmt::format("--listen {}: cannot bind: {}", listen.to_string(), std::strerror(errno)));
  }
  // The relay socket takes an ephemeral port and is connected to the forward address, so it
  // only hears the forward peer.
  s.relay_fd = udp_socket("--forward", forward);
  const sockaddr_in forward_address = to_sockaddr(forward);
  if (::connect(s.relay_fd.get(), reinterpret_cast<const sockaddr*>(&forward_address),
                sizeof forward_address) != 0) {
    throw SocketError(fmt::format("--forward {}: cannot connect a UDP socket to it: {}",
                                  forward.to_string(), std::strerror(errno)));
  }
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_NONBLOCK | O_CLOEXEC) != 0) {
    throw SocketError(fmt::format("cannot create the stop pipe: {}", std::strerror(errno)));
  }
  s.wake_read = Fd(pipe_fds[0]);
  s.wake_write = Fd(pipe_fds[1]);
}

Relay::~Relay() = default;

Endpoint Relay::listen_address() const {
  return bound_address(state_->listen_fd.get());
}

Endpoint Relay::relay_address() const {
  return bound_address(state_->relay_fd.get());
}

void Relay::stop() {
  const char byte = 1;
  [[maybe_unused]] const ssize_t written = ::write(state_->wake_write.get(), &byte, 1);
}

Stats Relay::stats() const {
  return state_->stats(false);
}

Stats Relay::run() {
  State& s = *state_;
  s.start_ns = monotonic_now_ns();
  const std::optional<TimeNs> deadline_ns =
      s.options.duration_ns ? std::optional(s.start_ns + *s.options.duration_ns) : std::nullopt;
  std::optional<TimeNs> next_stats_ns;
  if (s.options.stats_interval_ns && *s.options.stats_interval_ns > 0 && s.options.on_stats) {
    next_stats_ns = s.start_ns + *s.options.stats_interval_ns;
  }
  const Link::Sender sender = [&s](Direction direction, std::span<const std::uint8_t> payload) {
    return s.send(direction, payload);
  };

  while (true) {
    TimeNs now_ns = monotonic_now_ns();
    s.link.release_due(now_ns, sender);
    if (deadline_ns && now_ns >= *deadline_ns) break;
    if (next_stats_ns && now_ns >= *next_stats_ns) {
      s.options.on_stats(s.stats(false));
      while (*next_stats_ns <= now_ns) *next_stats_ns += *s.options.stats_interval_ns;
    }

    std::optional<TimeNs> wake_ns = s.link.next_release_ns();
    for (const std::optional<TimeNs>& t : {deadline_ns, next_stats_ns}) {
      if (t && (!wake_ns || *t < *wake_ns)) wake_ns = t;
    }
    timespec timeout{};
    if (wake_ns) {
      const TimeNs wait_ns = std::max<TimeNs>(0, *wake_ns - monotonic_now_ns());
      timeout.tv_sec = static_cast<time_t>(wait_ns / kNsPerSecond);
      timeout.tv_nsec = static_cast<long>(wait_ns % kNsPerSecond);
    }
    pollfd fds[3] = {{s.listen_fd.get(), POLLIN, 0},
                     {s.relay_fd.get(), POLLIN, 0},
                     {s.wake_read.get(), POLLIN, 0}};
    const int ready = ::ppoll(fds, 3, wake_ns ? &timeout : nullptr, nullptr);
    if (ready < 0) {
      if (errno == EINTR) continue;
      throw SocketError(fmt::format("poll: {}", std::strerror(errno)));
    }
    if (fds[2].revents != 0) break;
    if (fds[0].revents != 0) s.drain(Direction::forward);
    if (fds[1].revents != 0) s.drain(Direction::back);
  }
  return s.stats(true);
}

}  // namespace skyclass::linksim

#pragma once
// skyclass-linksim: a user-space UDP relay that reproduces a bad internet link between two
// loopback addresses, the same way for the same seed. These machines have no kernel netem, so
// every loss test of the project (headend SRT caller -> linksim -> SRT receiver, and back for the
// ACKs and NAKs) goes through it.
//
// Model. Two directions: forward (client -> --forward address) and back (the forward peer ->
// client). Each datagram that arrives in a direction goes through these stages, in this order:
//   1. draws: exactly kDrawsPerDatagram 64-bit draws from the direction's std::mt19937_64 (loss,
//      burst loss, burst transition, jitter, reorder, duplicate), whatever the options and
//      whatever happens to the datagram. So the n-th datagram of a direction always gets the
//      same draws, and adding one impairment never changes which datagrams the others choose.
//      Forward is seeded with SEED, back with SEED + 0x9E3779B97F4A7C15 (mod 2^64). A draw picks
//      PCT percent when it is below floor(PCT / 100 * 2^64) (100 %: always); a value in [0, n)
//      is floor(draw * n / 2^64). No std::uniform_*_distribution (their output differs between
//      standard libraries).
//   2. outage: a datagram that arrives while an outage window is open is lost (lost_outage).
//      Windows are times from the first datagram the link received, in either direction (not
//      from the start of the program, so they do not depend on when the sender starts).
//   3. burst loss (Gilbert-Elliott): a two-state chain stepped once per datagram (even one lost
//      to an outage). The datagram is lost (lost_burst) with the loss probability of the current
//      state, then the chain moves good->bad with probability p or bad->good with r. Mean burst
//      length in the bad state 1/r, stationary P(bad) = p / (p + r).
//   4. random loss (lost_random), among datagrams the stages above kept.
//   5. rate cap: a token bucket of depth zero (pure pacing) at KBPS: the datagram leaves the
//      bottleneck at max(arrival, previous departure) + bits / rate. If it would wait longer
//      than the queue bound (QUEUE ms of data, the serialisation of the datagram included),
//      it is dropped (dropped_rate) and takes no bandwidth.
//   6. delay and jitter: release = departure + DELAY + a uniform offset in [-JITTER, +JITTER]
//      (integer nanoseconds), clamped to no earlier than the departure. Without reordering,
//      release is also clamped to no earlier than the previous release of the direction, so
//      datagrams keep their order (jitter then bunches them rather than swapping them).
//   7. reorder: a chosen datagram is held back REORDER_GAP after its release; it does not move
//      the clamp of stage 6, so datagrams that arrive within the gap overtake it (reordered
//      counts the datagrams held back).
//   8. duplicate: a chosen datagram is sent twice, the copy right after the original (same
//      release time, not charged to the rate cap).
//   9. release: at its release time the datagram is sent, unless an outage window is open at
//      that time (the link is down: nothing crosses it), then it counts as lost_outage.
// Datagrams still queued when the relay stops are counted as pending. Per direction, always:
//   received + duplicated = forwarded + lost_random + lost_burst + lost_outage + dropped_rate
//                           + pending + send_errors.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <optional>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace skyclass::linksim {

// A bad option value; the CLI exits with 2. The message names the option and what was expected.
class UsageError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};
// A socket that cannot be created, bound or connected; the CLI exits with 1. Names the address.
class SocketError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Nanoseconds on a monotonic clock; any origin.
using TimeNs = std::int64_t;
constexpr TimeNs kNsPerMs = 1'000'000;
constexpr TimeNs kNsPerSecond = 1'000'000'000;

// PCT percent, exactly: parts per 10^9 (at most 7 decimals of a percent).
struct Percentage {
  static constexpr std::uint32_t kWhole = 1'000'000'000;
  std::uint32_t parts_per_billion = 0;

  bool chosen(std::uint64_t draw) const;
  bool any() const { return parts_per_billion != 0; }
  double percent() const { return parts_per_billion / 1e7; }
  static Percentage from_percent_exact(std::uint32_t whole_percent) {
    return Percentage{whole_percent * 10'000'000u};
  }
};

// Gilbert-Elliott burst loss; all four are per-datagram probabilities.
struct GilbertElliott {
  Percentage p;  // good -> bad
  Percentage r;  // bad -> good
  Percentage loss_good;
  Percentage loss_bad = Percentage{Percentage::kWhole};
};

struct DirectionSettings {
  Percentage loss;
  std::optional<GilbertElliott> burst;
  TimeNs delay_ns = 0;
  TimeNs jitter_ns = 0;
  Percentage reorder;
  TimeNs reorder_gap_ns = 10 * kNsPerMs;
  Percentage duplicate;
  std::uint64_t rate_kbps = 0;  // 0: no cap
  TimeNs queue_ns = 100 * kNsPerMs;
};

// A window [start, start + length) of link time (from the first datagram).
struct Outage {
  TimeNs start_ns = 0;
  TimeNs length_ns = 0;
};

struct LinkSettings {
  std::uint64_t seed = 0;
  DirectionSettings forward, back;
  std::vector<Outage> outages;  // both directions
};

enum class Direction : std::uint8_t { forward = 0, back = 1 };
std::string_view to_string(Direction direction);

struct DirectionCounters {
  std::uint64_t received = 0, forwarded = 0;
  std::uint64_t lost_random = 0, lost_burst = 0, lost_outage = 0, dropped_rate = 0;
  std::uint64_t duplicated = 0, reordered = 0;
  std::uint64_t bytes_received = 0, bytes_forwarded = 0;
  std::uint64_t pending = 0;      // queued, not released yet
  std::uint64_t send_errors = 0;  // sendto failed (not counted as forwarded)
};

// What the impairment stages decided for one datagram.
struct Decision {
  enum class Fate : std::uint8_t { queued, lost_outage, lost_burst, lost_random, dropped_rate };
  Fate fate = Fate::queued;
  TimeNs release_ns = 0;  // when queued
  bool duplicated = false;
  bool reordered = false;
};

constexpr std::size_t kDrawsPerDatagram = 6;

// Stages 1 and 3-8 for one direction: no sockets, no clock, no outages (the Link owns those).
class Impairer {
 public:
  Impairer(const DirectionSettings& settings, std::uint64_t seed);
  // `outage` says whether stage 2 removes the datagram (the draws are taken anyway).
  Decision decide(TimeNs arrival_ns, std::size_t bytes, bool outage);
  bool in_bad_state() const { return bad_state_; }

 private:
  DirectionSettings settings_;
  std::mt19937_64 prng_;
  bool bad_state_ = false;
  TimeNs link_free_ns_ = std::numeric_limits<TimeNs>::min();  // end of the last serialisation
  TimeNs last_release_ns_ = std::numeric_limits<TimeNs>::min();
};

// Both directions, the outages and the timer-ordered release queue. Single-threaded.
class Link {
 public:
  explicit Link(const LinkSettings& settings);

  // A datagram that arrived at `now_ns` (times must not go back). Returns the decision.
  Decision push(Direction direction, TimeNs now_ns, std::span<const std::uint8_t> payload);
  // The earliest release time queued, if any.
  std::optional<TimeNs> next_release_ns() const;
  // Releases every datagram due at `now_ns`, in release order (ties in arrival order): calls
  // send(direction, payload) for each, which returns false when sending failed.
  using Sender = std::function<bool(Direction, std::span<const std::uint8_t>)>;
  void release_due(TimeNs now_ns, const Sender& send);

  const DirectionCounters& counters(Direction direction) const;
  DirectionCounters counters_with_pending(Direction direction) const;
  const LinkSettings& settings() const { return settings_; }
  std::optional<TimeNs> origin_ns() const { return origin_ns_; }
  bool in_outage(TimeNs now_ns) const;

 private:
  struct Queued {
    TimeNs release_ns;
    std::uint64_t order;
    Direction direction;
    std::vector<std::uint8_t> payload;
  };
  // Min-heap order for std::push_heap / pop_heap: the earliest release on top.
  static bool later(const Queued& a, const Queued& b) {
    return a.release_ns != b.release_ns ? a.release_ns > b.release_ns : a.order > b.order;
  }
  LinkSettings settings_;
  std::array<Impairer, 2> impairers_;
  std::array<DirectionCounters, 2> counters_{};
  std::array<std::uint64_t, 2> queued_{};
  std::vector<Queued> queue_;  // a heap by release time (priority queue that can move out)
  std::uint64_t next_order_ = 0;
  std::optional<TimeNs> origin_ns_;
};

// Option values, each parser throws UsageError naming `option`.
// "0.5", "2", "100", "1%".
Percentage parse_percentage(std::string_view text, std::string_view option);
// "p,r[,loss_good,loss_bad]", each a percentage.
GilbertElliott parse_gilbert_elliott(std::string_view text, std::string_view option);
// A decimal number with an optional unit h, min, s, ms, us; `default_unit_ns` when none.
TimeNs parse_duration(std::string_view text, TimeNs default_unit_ns, std::string_view option);
// "START+LEN", units as above, default s: "30s+2s", "30+2", "1.5s+500ms".
Outage parse_outage(std::string_view text);
std::uint64_t parse_seed(std::string_view text);
std::uint64_t parse_rate_kbps(std::string_view text, std::string_view option);

// An IPv4 address and port.
struct Endpoint {
  std::uint32_t address_host_order = 0;
  std::uint16_t port = 0;
  std::string to_string() const;
  friend bool operator==(const Endpoint&, const Endpoint&) = default;
};
// "127.0.0.1:9000". Throws UsageError naming `option`.
Endpoint parse_endpoint(std::string_view text, std::string_view option);

struct Stats {
  std::uint64_t seed = 0;
  double elapsed_s = 0;  // since the relay started
  std::optional<Endpoint> client;
  std::uint64_t client_changes = 0;
  std::array<DirectionCounters, 2> directions{};
  bool final = false;
};
// One line of JSON, no newline: {"final":true,"seed":7,"elapsed_s":..,"client":"..",
// "forward":{counters},"back":{counters}}.
std::string to_json(const Stats& stats);
// One line for stderr.
std::string summary_line(const Stats& stats);

struct RelayOptions {
  Endpoint listen;
  Endpoint forward;
  LinkSettings link;
  std::optional<TimeNs> duration_ns;        // stop by itself after this long
  std::optional<TimeNs> stats_interval_ns;  // call on_stats every interval
  std::function<void(const Stats&)> on_stats;
};

// The sockets and the event loop (poll, release queue on the monotonic clock), one thread.
class Relay {
 public:
  // Binds both sockets. Throws SocketError naming the address.
  explicit Relay(RelayOptions options);
  ~Relay();
  Relay(const Relay&) = delete;
  Relay& operator=(const Relay&) = delete;

  Endpoint listen_address() const;  // as bound (port 0 resolved)
  Endpoint relay_address() const;   // the socket that talks to the forward address
  // Runs until stop() or the duration; returns the final stats.
  Stats run();
  // Thread-safe and async-signal-safe (one write() to a pipe).
  void stop();
  Stats stats() const;  // at any point of run(), from its thread, or after it

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace skyclass::linksim

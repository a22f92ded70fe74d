// skyclass::linksim: the impairment model on simulated time (exact, no sockets), the option
// parsers, and one relay run between two UDP sockets on 127.0.0.1.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "tools/linksim/linksim.hpp"

namespace skyclass::linksim {
namespace {

constexpr TimeNs kNever = std::numeric_limits<TimeNs>::max();

Percentage pct(std::string_view text) {
  return parse_percentage(text, "test");
}

// One datagram of a simulated run: when it arrived and what became of it.
struct Arrival {
  std::uint32_t seq = 0;
  TimeNs arrival_ns = 0;
  Decision decision;
};
struct Released {
  Direction direction;
  std::uint32_t seq;
  TimeNs release_ns;  // the time release_due was called with
};

std::vector<std::uint8_t> datagram(std::uint32_t seq, std::size_t bytes) {
  std::vector<std::uint8_t> payload(std::max<std::size_t>(bytes, 4), 0xA5);
  std::memcpy(payload.data(), &seq, 4);
  return payload;
}
std::uint32_t seq_of(std::span<const std::uint8_t> payload) {
  std::uint32_t seq = 0;
  std::memcpy(&seq, payload.data(), 4);
  return seq;
}

// Feeds `count` datagrams of `bytes` to one direction, one every `interval_ns` from time 0,
// releasing what is due before each arrival, then everything. What was released, in order.
struct SimRun {
  std::vector<Arrival> arrivals;
  std::vector<Released> released;
};
SimRun simulate(Link& link, Direction direction, std::uint32_t count, TimeNs interval_ns,
                std::size_t bytes = 188 * 7) {
  SimRun run;
  TimeNs now_ns = 0;
  const Link::Sender send = [&](Direction d, std::span<const std::uint8_t> payload) {
    run.released.push_back(Released{d, seq_of(payload), now_ns});
    return true;
  };
  for (std::uint32_t seq = 0; seq < count; ++seq) {
    now_ns = static_cast<TimeNs>(seq) * interval_ns;
    while (link.next_release_ns() && *link.next_release_ns() <= now_ns) {
      const TimeNs due = *link.next_release_ns();
      now_ns = due;
      link.release_due(due, send);
      now_ns = static_cast<TimeNs>(seq) * interval_ns;
    }
    const std::vector<std::uint8_t> payload = datagram(seq, bytes);
    run.arrivals.push_back(Arrival{seq, now_ns, link.push(direction, now_ns, payload)});
  }
  while (link.next_release_ns()) {
    now_ns = *link.next_release_ns();
    link.release_due(now_ns, send);
  }
  return run;
}

LinkSettings settings_both(const DirectionSettings& direction, std::uint64_t seed = 7) {
  LinkSettings settings;
  settings.seed = seed;
  settings.forward = direction;
  settings.back = direction;
  return settings;
}

void expect_balanced(const DirectionCounters& c) {
  EXPECT_EQ(c.received + c.duplicated, c.forwarded + c.lost_random + c.lost_burst + c.lost_outage +
                                           c.dropped_rate + c.pending + c.send_errors);
}

bool same_decision(const Decision& a, const Decision& b) {
  return a.fate == b.fate && a.release_ns == b.release_ns && a.duplicated == b.duplicated &&
         a.reordered == b.reordered;
}

DirectionSettings everything() {
  DirectionSettings s;
  s.loss = pct("5");
  s.burst = parse_gilbert_elliott("1,25", "test");
  s.delay_ns = 25 * kNsPerMs;
  s.jitter_ns = 5 * kNsPerMs;
  s.reorder = pct("2");
  s.duplicate = pct("1");
  return s;
}

// ---------------------------------------------------------------------------------------------
// Determinism

TEST(LinksimModel, SameSeedSameDecisionsOtherSeedOthers) {
  Link a(settings_both(everything(), 7)), b(settings_both(everything(), 7));
  Link c(settings_both(everything(), 8));
  const SimRun ra = simulate(a, Direction::forward, 20000, kNsPerMs);
  const SimRun rb = simulate(b, Direction::forward, 20000, kNsPerMs);
  const SimRun rc = simulate(c, Direction::forward, 20000, kNsPerMs);
  std::size_t differences_other_seed = 0;
  for (std::size_t i = 0; i < ra.arrivals.size(); ++i) {
    ASSERT_TRUE(same_decision(ra.arrivals[i].decision, rb.arrivals[i].decision)) << i;
    if (!same_decision(ra.arrivals[i].decision, rc.arrivals[i].decision)) ++differences_other_seed;
  }
  ASSERT_EQ(ra.released.size(), rb.released.size());
  for (std::size_t i = 0; i < ra.released.size(); ++i) {
    EXPECT_EQ(ra.released[i].seq, rb.released[i].seq);
    EXPECT_EQ(ra.released[i].release_ns, rb.released[i].release_ns);
  }
  EXPECT_GT(differences_other_seed, 5000u);
}

TEST(LinksimModel, DirectionsHaveTheirOwnDraws) {
  DirectionSettings s;
  s.loss = pct("50");
  Link link(settings_both(s));
  const SimRun forward = simulate(link, Direction::forward, 1000, kNsPerMs);
  Link other(settings_both(s));
  const SimRun back = simulate(other, Direction::back, 1000, kNsPerMs);
  std::size_t differences = 0;
  for (std::size_t i = 0; i < 1000; ++i) {
    differences += forward.arrivals[i].decision.fate != back.arrivals[i].decision.fate;
  }
  EXPECT_GT(differences, 300u);
}

TEST(LinksimModel, AddingAnImpairmentKeepsTheOthersChoices) {
  DirectionSettings loss_only;
  loss_only.loss = pct("10");
  DirectionSettings more = loss_only;
  more.duplicate = pct("5");
  more.jitter_ns = 3 * kNsPerMs;
  more.delay_ns = 10 * kNsPerMs;
  Link a(settings_both(loss_only)), b(settings_both(more));
  const SimRun ra = simulate(a, Direction::forward, 10000, kNsPerMs);
  const SimRun rb = simulate(b, Direction::forward, 10000, kNsPerMs);
  for (std::size_t i = 0; i < ra.arrivals.size(); ++i) {
    ASSERT_EQ(ra.arrivals[i].decision.fate == Decision::Fate::lost_random,
              rb.arrivals[i].decision.fate == Decision::Fate::lost_random)
        << i;
  }
}

// ---------------------------------------------------------------------------------------------
// Loss

TEST(LinksimModel, RandomLossRate) {
  DirectionSettings s;
  s.loss = pct("10");
  Link link(settings_both(s));
  simulate(link, Direction::forward, 100000, kNsPerMs);
  const DirectionCounters& c = link.counters(Direction::forward);
  EXPECT_EQ(c.received, 100000u);
  EXPECT_NEAR(static_cast<double>(c.lost_random) / c.received, 0.10, 0.004);
  EXPECT_EQ(c.forwarded, c.received - c.lost_random);
  EXPECT_EQ(c.lost_burst + c.lost_outage + c.dropped_rate + c.duplicated + c.reordered, 0u);
  expect_balanced(link.counters_with_pending(Direction::forward));
}

TEST(LinksimModel, ZeroAndWholeLoss) {
  DirectionSettings none;
  Link a(settings_both(none));
  simulate(a, Direction::forward, 1000, kNsPerMs);
  EXPECT_EQ(a.counters(Direction::forward).forwarded, 1000u);
  DirectionSettings all;
  all.loss = pct("100");
  Link b(settings_both(all));
  simulate(b, Direction::forward, 1000, kNsPerMs);
  EXPECT_EQ(b.counters(Direction::forward).lost_random, 1000u);
}

// Loss runs: their count and mean length.
struct Bursts {
  std::size_t lost = 0, bursts = 0;
  double mean_length() const { return bursts ? static_cast<double>(lost) / bursts : 0; }
};
Bursts bursts_of(const SimRun& run, Decision::Fate fate) {
  Bursts b;
  bool previous_lost = false;
  for (const Arrival& a : run.arrivals) {
    const bool lost = a.decision.fate == fate;
    b.lost += lost;
    b.bursts += lost && !previous_lost;
    previous_lost = lost;
  }
  return b;
}

TEST(LinksimModel, GilbertElliottIsBurstyWithTheStationaryLoss) {
  DirectionSettings s;
  s.burst = parse_gilbert_elliott("1,25", "test");  // P(bad) = 1/26, mean burst 4
  Link link(settings_both(s, 11));
  const SimRun run = simulate(link, Direction::forward, 100000, kNsPerMs);
  const Bursts b = bursts_of(run, Decision::Fate::lost_burst);
  EXPECT_EQ(link.counters(Direction::forward).lost_burst, b.lost);
  EXPECT_NEAR(static_cast<double>(b.lost) / 100000, 1.0 / 26, 0.006);
  EXPECT_NEAR(b.mean_length(), 4.0, 0.4);

  // The same loss rate drawn independently comes in bursts of about 1.
  DirectionSettings random;
  random.loss = pct("3.846");
  Link other(settings_both(random, 11));
  const Bursts r =
      bursts_of(simulate(other, Direction::forward, 100000, kNsPerMs), Decision::Fate::lost_random);
  EXPECT_LT(r.mean_length(), 1.1);
}

TEST(LinksimModel, GilbertElliottWithLossInBothStates) {
  DirectionSettings s;
  s.burst = parse_gilbert_elliott("2,20,1,50", "test");  // (20 * 1 + 2 * 50) / 22 = 5.45 %
  Link link(settings_both(s, 3));
  simulate(link, Direction::back, 100000, kNsPerMs);
  const DirectionCounters& c = link.counters(Direction::back);
  EXPECT_NEAR(static_cast<double>(c.lost_burst) / c.received, 120.0 / 22 / 100, 0.006);
}

// ---------------------------------------------------------------------------------------------
// Delay, jitter, reordering, duplication

TEST(LinksimModel, DelayAndJitterBoundsKeepOrder) {
  DirectionSettings s;
  s.delay_ns = 25 * kNsPerMs;
  s.jitter_ns = 5 * kNsPerMs;
  for (TimeNs interval_ns : {kNsPerMs, 20 * kNsPerMs}) {
    Link link(settings_both(s));
    const SimRun run = simulate(link, Direction::forward, 5000, interval_ns);
    TimeNs min_delay = kNever, max_delay = 0, sum_delay = 0;
    for (const Arrival& a : run.arrivals) {
      const TimeNs delay = a.decision.release_ns - a.arrival_ns;
      min_delay = std::min(min_delay, delay);
      max_delay = std::max(max_delay, delay);
      sum_delay += delay;
    }
    EXPECT_GE(min_delay, 20 * kNsPerMs);
    EXPECT_LE(max_delay, 30 * kNsPerMs);
    ASSERT_EQ(run.released.size(), 5000u);
    for (std::size_t i = 0; i < run.released.size(); ++i) {
      ASSERT_EQ(run.released[i].seq, i) << "reordered without --reorder";
      EXPECT_EQ(run.released[i].release_ns, run.arrivals[i].decision.release_ns);
    }
    EXPECT_EQ(link.counters(Direction::forward).reordered, 0u);
    if (interval_ns == 20 * kNsPerMs) {  // no clamping: the full uniform spread, mean 25 ms
      EXPECT_LT(min_delay, 20 * kNsPerMs + 100'000);
      EXPECT_GT(max_delay, 30 * kNsPerMs - 100'000);
      EXPECT_NEAR(static_cast<double>(sum_delay) / 5000 / kNsPerMs, 25.0, 0.2);
    }
  }
}

TEST(LinksimModel, JitterLargerThanDelayNeverGoesBelowZero) {
  DirectionSettings s;
  s.delay_ns = 1 * kNsPerMs;
  s.jitter_ns = 5 * kNsPerMs;
  Link link(settings_both(s));
  const SimRun run = simulate(link, Direction::forward, 2000, 10 * kNsPerMs);
  for (const Arrival& a : run.arrivals) EXPECT_GE(a.decision.release_ns, a.arrival_ns);
}

TEST(LinksimModel, ReorderingOnlyWhenAsked) {
  DirectionSettings s;
  s.delay_ns = 10 * kNsPerMs;
  s.jitter_ns = 2 * kNsPerMs;
  s.reorder = pct("5");
  s.reorder_gap_ns = 10 * kNsPerMs;
  Link link(settings_both(s));
  const SimRun run = simulate(link, Direction::forward, 20000, kNsPerMs);
  const DirectionCounters& c = link.counters(Direction::forward);
  EXPECT_NEAR(static_cast<double>(c.reordered) / 20000, 0.05, 0.006);
  std::size_t overtaken = 0;
  std::uint32_t highest = 0;
  for (const Released& r : run.released) {
    if (r.seq < highest) ++overtaken;
    highest = std::max(highest, r.seq);
  }
  // A held-back datagram is overtaken by the ~10 sent within its 10 ms gap.
  EXPECT_EQ(overtaken, c.reordered);
  for (const Arrival& a : run.arrivals) {
    if (a.decision.reordered) {
      EXPECT_GE(a.decision.release_ns - a.arrival_ns, 18 * kNsPerMs);
      EXPECT_LE(a.decision.release_ns - a.arrival_ns, 32 * kNsPerMs);
    }
  }
}

TEST(LinksimModel, DuplicateCount) {
  DirectionSettings s;
  s.duplicate = pct("3");
  Link link(settings_both(s));
  const SimRun run = simulate(link, Direction::forward, 100000, kNsPerMs);
  const DirectionCounters& c = link.counters(Direction::forward);
  EXPECT_NEAR(static_cast<double>(c.duplicated) / 100000, 0.03, 0.003);
  EXPECT_EQ(c.forwarded, 100000 + c.duplicated);
  std::size_t adjacent_copies = 0;
  for (std::size_t i = 1; i < run.released.size(); ++i) {
    adjacent_copies += run.released[i].seq == run.released[i - 1].seq;
  }
  EXPECT_EQ(adjacent_copies, c.duplicated);
  expect_balanced(link.counters_with_pending(Direction::forward));
}

// ---------------------------------------------------------------------------------------------
// Rate cap and outages

TEST(LinksimModel, RateCapPacesAndDropsWhenTheQueueIsFull) {
  DirectionSettings s;
  s.rate_kbps = 2000;
  s.queue_ns = 100 * kNsPerMs;
  Link link(settings_both(s));
  constexpr std::size_t kBytes = 1316;
  // 1316 bytes every 2 ms is 5264 kbit/s offered, for 4 s.
  const SimRun run = simulate(link, Direction::forward, 2000, 2 * kNsPerMs, kBytes);
  const DirectionCounters& c = link.counters(Direction::forward);
  EXPECT_EQ(c.received, c.forwarded + c.dropped_rate);
  ASSERT_GT(c.forwarded, 100u);
  const TimeNs first = run.released.front().release_ns;
  const TimeNs last = run.released.back().release_ns;
  const double kbps = static_cast<double>((c.forwarded - 1) * kBytes * 8) /
                      (static_cast<double>(last - first) / 1e6);
  EXPECT_NEAR(kbps, 2000, 20);
  // All that the cap cannot carry is dropped: 4 s at 2000 kbit/s plus the 100 ms queue.
  const double carried = (4.0 * 2000e3 / 8 + 0.1 * 2000e3 / 8) / kBytes;
  EXPECT_NEAR(static_cast<double>(c.forwarded), carried, 5);
  for (const Arrival& a : run.arrivals) {
    if (a.decision.fate == Decision::Fate::queued) {
      EXPECT_LE(a.decision.release_ns - a.arrival_ns, 100 * kNsPerMs);
    }
  }
}

TEST(LinksimModel, RateCapBelowTheCapDropsNothing) {
  DirectionSettings s;
  s.rate_kbps = 10000;
  Link link(settings_both(s));
  simulate(link, Direction::forward, 5000, 2 * kNsPerMs, 1316);  // 5264 kbit/s
  EXPECT_EQ(link.counters(Direction::forward).dropped_rate, 0u);
  EXPECT_EQ(link.counters(Direction::forward).forwarded, 5000u);
}

TEST(LinksimModel, OutageDropsExactlyTheWindow) {
  LinkSettings settings;
  settings.seed = 1;
  settings.outages = {parse_outage("1s+500ms"), parse_outage("2.5+0.25")};
  {
    Link link(settings);
    const SimRun run = simulate(link, Direction::forward, 3000, kNsPerMs);  // t = 0 .. 2999 ms
    for (const Arrival& a : run.arrivals) {
      const TimeNs ms = a.arrival_ns / kNsPerMs;
      const bool inside = (ms >= 1000 && ms < 1500) || (ms >= 2500 && ms < 2750);
      EXPECT_EQ(a.decision.fate == Decision::Fate::lost_outage, inside) << ms;
    }
    EXPECT_EQ(link.counters(Direction::forward).lost_outage, 750u);
    EXPECT_EQ(link.counters(Direction::forward).forwarded, 2250u);
  }
  {
    // With 100 ms of delay, datagrams due to leave within a window are lost too.
    settings.forward.delay_ns = 100 * kNsPerMs;
    Link link(settings);
    const SimRun run = simulate(link, Direction::forward, 3000, kNsPerMs);
    // Those that arrived in the 100 ms before each window: 100 + 100 more.
    EXPECT_EQ(link.counters(Direction::forward).lost_outage, 750u + 100u + 100u);
    for (const Released& r : run.released) {
      const TimeNs ms = r.release_ns / kNsPerMs;
      EXPECT_FALSE((ms >= 1000 && ms < 1500) || (ms >= 2500 && ms < 2750)) << ms;
    }
  }
}

TEST(LinksimModel, OutageClockStartsAtTheFirstDatagramOfEitherDirection) {
  LinkSettings settings;
  settings.outages = {parse_outage("100ms+100ms")};
  Link link(settings);
  const std::vector<std::uint8_t> payload = datagram(0, 100);
  const TimeNs t0 = 5 * kNsPerSecond;
  EXPECT_EQ(link.push(Direction::back, t0, payload).fate, Decision::Fate::queued);
  EXPECT_EQ(link.push(Direction::forward, t0 + 99 * kNsPerMs, payload).fate,
            Decision::Fate::queued);
  EXPECT_EQ(link.push(Direction::forward, t0 + 100 * kNsPerMs, payload).fate,
            Decision::Fate::lost_outage);
  EXPECT_EQ(link.push(Direction::back, t0 + 199 * kNsPerMs, payload).fate,
            Decision::Fate::lost_outage);
  EXPECT_EQ(link.push(Direction::back, t0 + 200 * kNsPerMs, payload).fate, Decision::Fate::queued);
  ASSERT_TRUE(link.origin_ns());
  EXPECT_EQ(*link.origin_ns(), t0);
}

TEST(LinksimModel, EverythingTogetherBalances) {
  DirectionSettings s = everything();
  s.rate_kbps = 3000;
  LinkSettings settings = settings_both(s, 99);
  settings.outages = {parse_outage("2s+300ms")};
  Link link(settings);
  simulate(link, Direction::forward, 10000, kNsPerMs / 2, 500);
  simulate(link, Direction::back, 3000, kNsPerMs, 100);
  for (Direction d : {Direction::forward, Direction::back}) {
    const DirectionCounters c = link.counters_with_pending(d);
    expect_balanced(c);
    EXPECT_EQ(c.pending, 0u);
    EXPECT_GT(c.lost_burst, 0u);
    EXPECT_GT(c.lost_random, 0u);
    EXPECT_GT(c.lost_outage, 0u);
    EXPECT_GT(c.duplicated, 0u);
    EXPECT_GT(c.reordered, 0u);
  }
  EXPECT_GT(link.counters(Direction::forward).dropped_rate, 0u);  // 8000 kbit/s offered
}

// ---------------------------------------------------------------------------------------------
// Option values

TEST(LinksimOptions, ParsesValuesAndNamesTheOptionOnError) {
  EXPECT_EQ(parse_percentage("10", "--loss").parts_per_billion, 100'000'000u);
  EXPECT_EQ(parse_percentage("0.5%", "--loss").parts_per_billion, 5'000'000u);
  EXPECT_THROW(parse_percentage("101", "--loss"), UsageError);
  try {
    parse_percentage("abc", "--loss-back");
    FAIL();
  } catch (const UsageError& e) {
    EXPECT_NE(std::string(e.what()).find("--loss-back"), std::string::npos);
  }
  const GilbertElliott ge = parse_gilbert_elliott("1,25", "--ge");
  EXPECT_EQ(ge.p.parts_per_billion, 10'000'000u);
  EXPECT_EQ(ge.r.parts_per_billion, 250'000'000u);
  EXPECT_EQ(ge.loss_good.parts_per_billion, 0u);
  EXPECT_EQ(ge.loss_bad.parts_per_billion, Percentage::kWhole);
  EXPECT_THROW(parse_gilbert_elliott("1", "--ge"), UsageError);
  EXPECT_THROW(parse_gilbert_elliott("1,0", "--ge"), UsageError);
  EXPECT_THROW(parse_gilbert_elliott("1,2,3", "--ge"), UsageError);

  EXPECT_EQ(parse_duration("25", kNsPerMs, "--delay"), 25 * kNsPerMs);
  EXPECT_EQ(parse_duration("0.5s", kNsPerMs, "--delay"), 500 * kNsPerMs);
  EXPECT_EQ(parse_duration("250us", kNsPerMs, "--delay"), 250'000);
  EXPECT_EQ(parse_duration("3min", kNsPerSecond, "--duration"), 180 * kNsPerSecond);
  EXPECT_THROW(parse_duration("-1", kNsPerMs, "--delay"), UsageError);

  const Outage outage = parse_outage("30s+2s");
  EXPECT_EQ(outage.start_ns, 30 * kNsPerSecond);
  EXPECT_EQ(outage.length_ns, 2 * kNsPerSecond);
  EXPECT_EQ(parse_outage("1.5s+500ms").length_ns, 500 * kNsPerMs);
  EXPECT_THROW(parse_outage("30s"), UsageError);
  EXPECT_THROW(parse_outage("30s+0"), UsageError);

  const Endpoint endpoint = parse_endpoint("127.0.0.1:9000", "--listen");
  EXPECT_EQ(endpoint.port, 9000);
  EXPECT_EQ(endpoint.to_string(), "127.0.0.1:9000");
  EXPECT_THROW(parse_endpoint("127.0.0.1", "--listen"), UsageError);
  EXPECT_THROW(parse_endpoint("localhost:9000", "--forward"), UsageError);
  EXPECT_THROW(parse_endpoint("127.0.0.1:70000", "--forward"), UsageError);
  EXPECT_THROW(parse_rate_kbps("0", "--rate"), UsageError);
  EXPECT_EQ(parse_seed("18446744073709551615"), std::numeric_limits<std::uint64_t>::max());
  EXPECT_THROW(parse_seed("18446744073709551616"), UsageError);
}

// ---------------------------------------------------------------------------------------------
// Real sockets on 127.0.0.1

class UdpSocket {
 public:
  UdpSocket() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
    const int buffer_bytes = 4 << 20;  // what the kernel allows of it
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof buffer_bytes);
  }
  ~UdpSocket() { ::close(fd_); }
  Endpoint address() const {
    sockaddr_in address{};
    socklen_t length = sizeof address;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    return Endpoint{ntohl(address.sin_addr.s_addr), ntohs(address.sin_port)};
  }
  void send_to(const Endpoint& to, std::uint32_t seq) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(to.address_host_order);
    address.sin_port = htons(to.port);
    const std::vector<std::uint8_t> payload = datagram(seq, 200);
    EXPECT_EQ(::sendto(fd_, payload.data(), payload.size(), 0,
                       reinterpret_cast<sockaddr*>(&address), sizeof address),
              static_cast<ssize_t>(payload.size()));
  }
  // Receives until nothing came for `quiet_ms` (and `at_least` have come, or for 20 s). Appends
  // the sequence numbers in arrival order.
  void receive(int quiet_ms, std::vector<std::uint32_t>& seqs, Endpoint* from_out = nullptr,
               std::size_t at_least = 0) {
    std::uint8_t buffer[2048];
    pollfd fd{fd_, POLLIN, 0};
    const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (::poll(&fd, 1, quiet_ms) > 0 ||
           (seqs.size() < at_least && std::chrono::steady_clock::now() < give_up)) {
      if (fd.revents == 0) continue;
      sockaddr_in from{};
      socklen_t length = sizeof from;
      const ssize_t got = ::recvfrom(fd_, buffer, sizeof buffer, MSG_DONTWAIT,
                                     reinterpret_cast<sockaddr*>(&from), &length);
      if (got < 4) continue;
      seqs.push_back(seq_of(std::span<const std::uint8_t>(buffer, static_cast<std::size_t>(got))));
      if (from_out) *from_out = Endpoint{ntohl(from.sin_addr.s_addr), ntohs(from.sin_port)};
    }
  }

 private:
  int fd_ = -1;
};

// "name":N inside the object that follows "section":{ in a one-line JSON.
std::uint64_t json_counter(const std::string& json, const std::string& section,
                           const std::string& name) {
  const std::size_t object = json.find("\"" + section + "\":{");
  EXPECT_NE(object, std::string::npos) << section;
  const std::string key = "\"" + name + "\":";
  const std::size_t at = json.find(key, object);
  EXPECT_NE(at, std::string::npos) << name;
  return std::stoull(json.substr(at + key.size()));
}

class RelayThread {
 public:
  explicit RelayThread(RelayOptions options)
      : relay_(std::move(options)), thread_([this] { stats_ = relay_.run(); }) {}
  ~RelayThread() { finish(); }
  Relay& relay() { return relay_; }
  Stats finish() {
    if (thread_.joinable()) {
      relay_.stop();
      thread_.join();
    }
    return stats_;
  }

 private:
  Relay relay_;
  Stats stats_;
  std::thread thread_;
};

TEST(LinksimRelay, TenPercentLossBothWaysOnLoopback) {
  UdpSocket client, server;
  constexpr std::uint32_t kCount = 1000;
  DirectionSettings s;
  s.loss = pct("10");
  s.delay_ns = 2 * kNsPerMs;
  s.jitter_ns = 1 * kNsPerMs;
  RelayOptions options;
  options.listen = parse_endpoint("127.0.0.1:0", "--listen");
  options.forward = server.address();
  options.link = settings_both(s, 42);
  options.duration_ns = 60 * kNsPerSecond;  // a safety net only

  // Which datagrams are lost follows from the seed alone: the same as on simulated time.
  Link model(options.link);
  const SimRun forward = simulate(model, Direction::forward, kCount, kNsPerMs, 200);
  const SimRun back = simulate(model, Direction::back, kCount, kNsPerMs, 200);
  std::vector<std::uint32_t> expected_forward, expected_back;
  for (const Released& r : forward.released) expected_forward.push_back(r.seq);
  for (const Released& r : back.released) expected_back.push_back(r.seq);

  RelayThread relay(options);
  const Endpoint listen = relay.relay().listen_address();
  ASSERT_NE(listen.port, 0);

  std::vector<std::uint32_t> at_server, at_client;
  Endpoint relay_socket;
  for (std::uint32_t seq = 0; seq < kCount; ++seq) {
    client.send_to(listen, seq);
    if (seq % 50 == 49) server.receive(1, at_server, &relay_socket);
  }
  server.receive(100, at_server, &relay_socket, expected_forward.size());
  ASSERT_FALSE(at_server.empty());
  EXPECT_EQ(relay_socket, relay.relay().relay_address());
  for (std::uint32_t seq = 0; seq < kCount; ++seq) {
    server.send_to(relay_socket, seq);
    if (seq % 50 == 49) client.receive(1, at_client);
  }
  client.receive(100, at_client, nullptr, expected_back.size());

  const Stats stats = relay.finish();
  const std::string json = to_json(stats);
  ASSERT_TRUE(stats.client);
  EXPECT_EQ(*stats.client, client.address());
  const std::map<std::string, const std::vector<std::uint32_t>*> arrived = {{"forward", &at_server},
                                                                            {"back", &at_client}};
  for (const auto& [direction, seqs] : arrived) {
    SCOPED_TRACE(direction);
    const std::uint64_t lost = json_counter(json, direction, "lost_random");
    EXPECT_EQ(json_counter(json, direction, "received"), kCount);
    EXPECT_EQ(seqs->size() + lost, kCount);
    EXPECT_EQ(json_counter(json, direction, "forwarded"), seqs->size());
    EXPECT_EQ(json_counter(json, direction, "bytes_forwarded"), seqs->size() * 200);
    EXPECT_EQ(json_counter(json, direction, "pending"), 0u);
    EXPECT_EQ(json_counter(json, direction, "send_errors"), 0u);
    EXPECT_GT(lost, 50u);
    EXPECT_LT(lost, 150u);
    EXPECT_TRUE(std::is_sorted(seqs->begin(), seqs->end()));
  }
  EXPECT_EQ(at_server, expected_forward);
  EXPECT_EQ(at_client, expected_back);
}

TEST(LinksimRelay, AnAddressInUseIsRefusedByName) {
  UdpSocket taken;
  RelayOptions options;
  options.listen = taken.address();
  options.forward = parse_endpoint("127.0.0.1:9", "--forward");
  try {
    Relay relay(options);
    FAIL() << "bound an address in use";
  } catch (const SocketError& e) {
    EXPECT_NE(std::string(e.what()).find("--listen " + taken.address().to_string()),
              std::string::npos)
        << e.what();
  }
}

TEST(LinksimRelay, DurationStopsTheRelay) {
  UdpSocket server;
  RelayOptions options;
  options.listen = parse_endpoint("127.0.0.1:0", "--listen");
  options.forward = server.address();
  options.duration_ns = 200 * kNsPerMs;
  std::vector<Stats> intervals;
  options.stats_interval_ns = 50 * kNsPerMs;
  options.on_stats = [&](const Stats& s) { intervals.push_back(s); };
  Relay relay(options);
  const Stats stats = relay.run();
  EXPECT_TRUE(stats.final);
  EXPECT_GE(stats.elapsed_s, 0.19);
  EXPECT_LT(stats.elapsed_s, 5.0);
  EXPECT_GE(intervals.size(), 2u);
  EXPECT_NE(to_json(stats).find("\"final\":true"), std::string::npos);
}

}  // namespace
}  // namespace skyclass::linksim

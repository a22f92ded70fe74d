#pragma once
// One uplink's backlog of 188-byte TS packets. Bounded by count and by age: when it is full, or
// a packet is older than the sink's queue time, the OLDEST packets go (an uplink that falls
// behind drops its own backlog and rejoins at the live point). Not thread-safe: the sink that
// owns it holds the lock.
#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <deque>
#include <span>
#include <vector>

namespace skyclass::net {

class PacketQueue {
 public:
  static constexpr std::size_t kPacketBytes = 188;

  PacketQueue(std::size_t max_packets, std::int64_t max_age_ns)
      : max_packets_(std::max<std::size_t>(max_packets, 1)), max_age_ns_(max_age_ns) {}

  // Appends whole packets stamped `now_ns`; returns how many old packets it dropped to fit.
  std::size_t push(std::span<const std::uint8_t> packets, std::int64_t now_ns) {
    for (std::size_t at = 0; at + kPacketBytes <= packets.size(); at += kPacketBytes) {
      Packet& p = packets_.emplace_back();
      p.queued_ns = now_ns;
      std::memcpy(p.bytes.data(), packets.data() + at, kPacketBytes);
    }
    std::size_t dropped = 0;
    while (packets_.size() > max_packets_) {
      packets_.pop_front();
      ++dropped;
    }
    return dropped;
  }

  // Drops packets older than the queue time; returns how many.
  std::size_t drop_stale(std::int64_t now_ns) {
    std::size_t dropped = 0;
    while (!packets_.empty() && now_ns - packets_.front().queued_ns > max_age_ns_) {
      packets_.pop_front();
      ++dropped;
    }
    return dropped;
  }

  // Moves up to `count` packets onto the end of `out`; returns how many.
  std::size_t pop(std::vector<std::uint8_t>& out, std::size_t count) {
    const std::size_t n = std::min(count, packets_.size());
    for (std::size_t i = 0; i < n; ++i) {
      out.insert(out.end(), packets_.front().bytes.begin(), packets_.front().bytes.end());
      packets_.pop_front();
    }
    return n;
  }

  // Empties the queue; returns how many packets it dropped.
  std::size_t clear() {
    const std::size_t n = packets_.size();
    packets_.clear();
    return n;
  }

  std::size_t size() const { return packets_.size(); }
  bool empty() const { return packets_.empty(); }
  std::int64_t oldest_ns() const { return packets_.empty() ? 0 : packets_.front().queued_ns; }

 private:
  struct Packet {
    std::int64_t queued_ns = 0;
    std::array<std::uint8_t, kPacketBytes> bytes{};
  };
  std::size_t max_packets_;
  std::int64_t max_age_ns_;
  std::deque<Packet> packets_;
};

}  // namespace skyclass::net

#include "mux/pcr.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

namespace skyclass::mux {

Pcr Pcr::from_27mhz(std::uint64_t time_27mhz) {
  const std::uint64_t wrapped = time_27mhz % kPcrModulus27MHz;
  return Pcr{wrapped / kSystemTicksPerTimestampTick,
             static_cast<std::uint16_t>(wrapped % kSystemTicksPerTimestampTick)};
}

std::uint64_t byte_time_27mhz(std::uint64_t byte_index, std::uint64_t muxrate_bps) {
  if (muxrate_bps == 0) {
    throw std::invalid_argument("byte_time_27mhz: muxrate_bps must be > 0");
  }
  // byte_index * 8 * 27e6 exceeds 64 bits after ~8.5e10 bytes; 128 bits never overflow here.
  constexpr std::uint64_t kBitTicksPerByte = 8 * kSystemClockHz;
  if (byte_index <= std::numeric_limits<std::uint64_t>::max() / kBitTicksPerByte) {
    return byte_index * kBitTicksPerByte / muxrate_bps;  // the same value, without 128-bit division
  }
  const unsigned __int128 numerator =
      static_cast<unsigned __int128>(byte_index) * 8u * kSystemClockHz;
  const unsigned __int128 ticks = numerator / muxrate_bps;
  if (ticks > std::numeric_limits<std::uint64_t>::max()) {
    throw std::overflow_error(fmt::format(
        "byte_time_27mhz: byte {} at {} bit/s is beyond 2^64 ticks", byte_index, muxrate_bps));
  }
  return static_cast<std::uint64_t>(ticks);
}

std::uint64_t packet_pcr_27mhz(std::uint64_t packet_index, std::uint64_t muxrate_bps,
                               std::uint64_t origin_27mhz) {
  const std::uint64_t byte_index = packet_index * 188 + kPcrBaseLastByteOffset;
  return origin_27mhz + byte_time_27mhz(byte_index, muxrate_bps);
}

Pcr pcr_for_packet(std::uint64_t packet_index, std::uint64_t muxrate_bps,
                   std::uint64_t origin_27mhz) {
  return Pcr::from_27mhz(packet_pcr_27mhz(packet_index, muxrate_bps, origin_27mhz));
}

PacketClock::PacketClock(std::uint64_t muxrate_bps, std::uint64_t packet_index,
                         std::uint64_t origin_27mhz)
    : muxrate_bps_(muxrate_bps), packet_index_(packet_index) {
  if (muxrate_bps == 0 || muxrate_bps > (std::uint64_t{1} << 62)) {
    throw std::invalid_argument(
        fmt::format("PacketClock: muxrate {} bit/s is outside 1..2^62", muxrate_bps));
  }
  constexpr std::uint64_t kPacketBitTicks = 188 * 8 * kSystemClockHz;
  step_ticks_ = kPacketBitTicks / muxrate_bps;
  step_remainder_ = kPacketBitTicks % muxrate_bps;
  constexpr std::uint64_t kPcrBitTicks = kPcrBaseLastByteOffset * 8 * kSystemClockHz;
  pcr_offset_ticks_ = kPcrBitTicks / muxrate_bps;
  pcr_offset_remainder_ = kPcrBitTicks % muxrate_bps;
  step7_ticks_ = 7 * kPacketBitTicks / muxrate_bps;
  step7_remainder_ = 7 * kPacketBitTicks % muxrate_bps;
  step31_ticks_ = 31 * kPacketBitTicks / muxrate_bps;
  step31_remainder_ = 31 * kPacketBitTicks % muxrate_bps;
  auto at = [&](std::uint64_t byte_index, std::uint64_t& ticks, std::uint64_t* remainder) {
    const unsigned __int128 numerator =
        static_cast<unsigned __int128>(byte_index) * 8u * kSystemClockHz;
    ticks = origin_27mhz + static_cast<std::uint64_t>(numerator / muxrate_bps);
    if (remainder != nullptr) *remainder = static_cast<std::uint64_t>(numerator % muxrate_bps);
  };
  at(packet_index * 188, start_, nullptr);
  at((packet_index + 1) * 188, end_, &end_remainder_);
  at(packet_index * 188 + kPcrBaseLastByteOffset, pcr_, nullptr);
  at((packet_index + 1) * 188 + kPcrBaseLastByteOffset, next_pcr_, &next_pcr_remainder_);
}

std::uint64_t PacketClock::advance_while(std::uint64_t start_limit_27mhz,
                                         std::uint64_t end_limit_27mhz,
                                         std::uint64_t next_pcr_limit_27mhz,
                                         std::uint64_t max_packets) {
  // Only the series of packet starts is stepped, in registers: the next packet's PCR is its
  // start plus byte 10's offset, floor((n + c) / m) = floor(n / m) + c / m, plus 1 when the
  // remainders carry.
  std::uint64_t start = start_, end = end_, end_remainder = end_remainder_;
  std::uint64_t start_remainder = 0;  // not needed unless a packet is passed
  std::uint64_t packets = 0;
  auto pcr_after = [&](std::uint64_t ticks, std::uint64_t remainder) {
    return ticks + pcr_offset_ticks_ + (remainder >= muxrate_bps_ - pcr_offset_remainder_ ? 1 : 0);
  };
  // Whole blocks while a block's last packet still qualifies (start, end and PCR grow with the
  // packet), judged from the end of that packet, n - 1 packets of 188 * 8 * 27e6 / muxrate on.
  const std::uint64_t block_limit = std::min(start_limit_27mhz, end_limit_27mhz);
  auto take_blocks = [&](std::uint64_t n, std::uint64_t ahead_ticks,
                         std::uint64_t ahead_remainder) {
    while (packets + n <= max_packets && start < start_limit_27mhz) {
      std::uint64_t last_end = end + ahead_ticks, last_remainder = end_remainder + ahead_remainder;
      if (last_remainder >= muxrate_bps_) {
        last_remainder -= muxrate_bps_;
        ++last_end;
      }
      if (last_end >= block_limit || pcr_after(last_end, last_remainder) > next_pcr_limit_27mhz) {
        return;
      }
      packets += n;
      start = end = last_end;
      start_remainder = end_remainder = last_remainder;
      step(end, end_remainder);
    }
  };
  take_blocks(32, step31_ticks_, step31_remainder_);
  take_blocks(8, step7_ticks_, step7_remainder_);
  while (packets < max_packets && start < start_limit_27mhz && end < end_limit_27mhz &&
         pcr_after(end, end_remainder) <= next_pcr_limit_27mhz) {
    ++packets;
    start = end;
    start_remainder = end_remainder;
    step(end, end_remainder);
  }
  if (packets == 0) return 0;
  packet_index_ += packets;
  start_ = start;
  end_ = end;
  end_remainder_ = end_remainder;
  pcr_ = pcr_after(start, start_remainder);
  next_pcr_ = pcr_after(end, end_remainder);
  next_pcr_remainder_ = end_remainder >= muxrate_bps_ - pcr_offset_remainder_
                            ? end_remainder - (muxrate_bps_ - pcr_offset_remainder_)
                            : end_remainder + pcr_offset_remainder_;
  return packets;
}

std::uint64_t pcr_distance_27mhz(std::uint64_t earlier_27mhz, std::uint64_t later_27mhz) {
  const std::uint64_t a = earlier_27mhz % kPcrModulus27MHz;
  const std::uint64_t b = later_27mhz % kPcrModulus27MHz;
  return b >= a ? b - a : b + kPcrModulus27MHz - a;
}

}  // namespace skyclass::mux

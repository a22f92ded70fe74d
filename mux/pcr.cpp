#include "mux/pcr.hpp"

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
  // The state in locals, so that the loop runs in registers.
  std::uint64_t start = start_, end = end_, end_remainder = end_remainder_;
  std::uint64_t pcr = pcr_, next_pcr = next_pcr_, next_pcr_remainder = next_pcr_remainder_;
  std::uint64_t packets = 0;
  while (packets < max_packets && start < start_limit_27mhz && end < end_limit_27mhz &&
         next_pcr <= next_pcr_limit_27mhz) {
    ++packets;
    start = end;
    pcr = next_pcr;
    step(end, end_remainder);
    step(next_pcr, next_pcr_remainder);
  }
  packet_index_ += packets;
  start_ = start;
  end_ = end;
  end_remainder_ = end_remainder;
  pcr_ = pcr;
  next_pcr_ = next_pcr;
  next_pcr_remainder_ = next_pcr_remainder;
  return packets;
}

std::uint64_t pcr_distance_27mhz(std::uint64_t earlier_27mhz, std::uint64_t later_27mhz) {
  const std::uint64_t a = earlier_27mhz % kPcrModulus27MHz;
  const std::uint64_t b = later_27mhz % kPcrModulus27MHz;
  return b >= a ? b - a : b + kPcrModulus27MHz - a;
}

}  // namespace skyclass::mux

#pragma once
// The 27 MHz system clock of a CBR multiplex, in exact integer arithmetic (ISO/IEC
// 13818-1 2.4.2.2). Each PCR is derived from the byte position of its packet, never accumulated, so
// it cannot drift.
#include <cstddef>
#include <cstdint>

namespace skyclass::mux {

inline constexpr std::uint64_t kSystemClockHz = 27'000'000;
inline constexpr std::uint64_t kTimestampClockHz = 90'000;
inline constexpr std::uint64_t kSystemTicksPerTimestampTick = kSystemClockHz / kTimestampClockHz;
// program_clock_reference_base and PTS/DTS are 33-bit counters (2.4.3.5, 2.4.3.7).
inline constexpr std::uint64_t kTimestampModulus = std::uint64_t{1} << 33;
inline constexpr std::uint64_t kPcrModulus27MHz = kTimestampModulus * kSystemTicksPerTimestampTick;
// Offset, inside a TS packet with an adaptation field, of the byte that carries the last bit of
// program_clock_reference_base: 4 header bytes, adaptation_field_length, flags, then 33 bits.
inline constexpr std::size_t kPcrBaseLastByteOffset = 10;

// program_clock_reference: base in 90 kHz units (33 bits) and extension (0..299), 2.4.3.5.
struct Pcr {
  std::uint64_t base = 0;
  std::uint16_t extension = 0;

  // PCR(i) = base * 300 + extension (2.4.2.2, equation 2-1).
  std::uint64_t to_27mhz() const { return base * kSystemTicksPerTimestampTick + extension; }
  // Wraps `time_27mhz` into the PCR range [0, 2^33 * 300).
  static Pcr from_27mhz(std::uint64_t time_27mhz);
  friend bool operator==(const Pcr&, const Pcr&) = default;
};

// 27 MHz time at which byte `byte_index` of the multiplex arrives, counted from byte 0 at time 0:
// floor(byte_index * 8 * 27e6 / muxrate_bps). Unwrapped; exact for any byte_index (128-bit math).
std::uint64_t byte_time_27mhz(std::uint64_t byte_index, std::uint64_t muxrate_bps);

// Unwrapped PCR of packet `packet_index`: the arrival time of its byte 10, plus `origin_27mhz`
// (the clock value at byte 0 of packet 0).
std::uint64_t packet_pcr_27mhz(std::uint64_t packet_index, std::uint64_t muxrate_bps,
                               std::uint64_t origin_27mhz = 0);

// The wrapped PCR field value of packet `packet_index`.
Pcr pcr_for_packet(std::uint64_t packet_index, std::uint64_t muxrate_bps,
                   std::uint64_t origin_27mhz = 0);

// The times of packet k and k + 1 of a CBR multiplex on the clock that reads origin_27mhz at
// byte 0 of packet 0: the same values as origin + byte_time_27mhz(k * 188) and
// packet_pcr_27mhz(k, muxrate, origin), but moving on one packet by additions only. Each series
// floor((c + k * 188 * 8 * 27e6) / muxrate) steps by the quotient of 188 * 8 * 27e6 / muxrate
// and carries the remainder, so every value is exact.
class PacketClock {
 public:
  // Throws std::invalid_argument for a muxrate of 0 or above 2^62 bit/s.
  explicit PacketClock(std::uint64_t muxrate_bps, std::uint64_t packet_index = 0,
                       std::uint64_t origin_27mhz = 0);

  std::uint64_t packet_index() const { return packet_index_; }
  std::uint64_t start_27mhz() const { return start_; }  // first byte
  std::uint64_t end_27mhz() const { return end_; }      // first byte of the next packet
  std::uint64_t pcr_27mhz() const { return pcr_; }      // byte kPcrBaseLastByteOffset
  std::uint64_t next_pcr_27mhz() const { return next_pcr_; }

  void advance() {
    ++packet_index_;
    start_ = end_;
    pcr_ = next_pcr_;
    step(end_, end_remainder_);
    step(next_pcr_, next_pcr_remainder_);
  }
  // Moves on past the packets (at most max_packets) that start before start_limit_27mhz, end
  // before end_limit_27mhz and whose next packet's PCR is at most next_pcr_limit_27mhz; returns
  // how many.
  std::uint64_t advance_while(std::uint64_t start_limit_27mhz, std::uint64_t end_limit_27mhz,
                              std::uint64_t next_pcr_limit_27mhz, std::uint64_t max_packets);

 private:
  // ticks = floor(numerator / muxrate), remainder = numerator mod muxrate; numerator += 188 * 8
  // * 27e6. Plain scalars, so that the next read of a value is never split over two writes.
  void step(std::uint64_t& ticks, std::uint64_t& remainder) const {
    remainder += step_remainder_;
    const bool carry = remainder >= muxrate_bps_;  // without a branch: it is hard to predict
    remainder -= carry ? muxrate_bps_ : 0;
    ticks += step_ticks_ + carry;
  }

  std::uint64_t muxrate_bps_;
  std::uint64_t step_ticks_;            // 188 * 8 * 27e6 / muxrate
  std::uint64_t step_remainder_;        // 188 * 8 * 27e6 mod muxrate
  std::uint64_t pcr_offset_ticks_;      // 10 * 8 * 27e6 / muxrate: byte 10 after byte 0
  std::uint64_t pcr_offset_remainder_;  // 10 * 8 * 27e6 mod muxrate
  std::uint64_t step7_ticks_;           // the same for 7 and 31 packets
  std::uint64_t step7_remainder_;
  std::uint64_t step31_ticks_;
  std::uint64_t step31_remainder_;
  std::uint64_t packet_index_;
  // No two values read together sit side by side: the compiler would read such a pair with one
  // vector load, which stalls when the two were just written one by one.
  std::uint64_t start_ = 0;
  std::uint64_t end_remainder_ = 0;
  std::uint64_t end_ = 0;
  std::uint64_t next_pcr_remainder_ = 0;
  std::uint64_t pcr_ = 0;
  std::uint64_t next_pcr_ = 0;
};

// later - earlier on the wrapping PCR clock, in [0, 2^33 * 300).
std::uint64_t pcr_distance_27mhz(std::uint64_t earlier_27mhz, std::uint64_t later_27mhz);

}  // namespace skyclass::mux

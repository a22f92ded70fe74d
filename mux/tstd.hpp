#pragma once
// Transport stream system target decoder for one elementary stream, ISO/IEC 13818-1 2.4.2:
// TB_n (512 bytes, leaking at Rx_n) feeding the main buffer (B_n for audio, MB_n + EB_n for AVC),
// from which each access unit is removed whole at its DTS.
//
// The model is a conservative fluid version of the byte-level decoder, so a stream it accepts is
// accepted by the standard's:
//  - a TS packet enters TB whole at the arrival time of its last byte;
//  - TB drains continuously at Rx_n (exact integer arithmetic in bit x 27 MHz units);
//  - main-buffer bytes count against the main buffer from the arrival of the packet's first
//    byte (they can leave TB that early when TB was empty), so an access unit removed while the
//    packet arrives is still counted;
//  - an access unit is complete once the packet carrying its last byte has left TB, plus
//    `transfer_margin_27mhz` (for AVC: one TB of data through MB at Rbx_n, the MB leak);
//  - MB_n and EB_n are one buffer of MBS_n + EBS_n bytes: the model does not track MB alone. That
//    is exact when the muxrate stays below Rbx_n (12 Mbit/s at level 3.0), as in our profile.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

#include "mux/multiplexer_fifo.hpp"

namespace skyclass::mux {

struct TstdParams {
  std::uint64_t tb_size_bytes = 512;  // TBS_n, 2.4.2.3
  std::uint64_t rx_bps = 0;           // Rx_n
  std::uint64_t b_size_bytes = 0;     // BS_n, or MBS_n + EBS_n for AVC
  std::int64_t transfer_margin_27mhz = 0;
  friend bool operator==(const TstdParams&, const TstdParams&) = default;
};

// ITU-T H.264 Table A-1: MaxBR in 1000 bit/s and MaxCPB in 1000 bits (cpbBrVclFactor 1000, Main
// profile); the NAL HRD values used by 13818-1 are 1200 x these.
struct H264LevelLimits {
  int level_idc = 0;
  std::uint64_t max_br = 0;
  std::uint64_t max_cpb = 0;
};
std::optional<H264LevelLimits> h264_level_limits(int level_idc);

// 13818-1 2.14.3.1 (AVC T-STD) without HRD parameters in the PMT:
//   Rx_n   = 1.2 x 1200 x MaxBR                        (14.4 Mbit/s at level 3.0)
//   EBS_n  = 1200 x MaxCPB                             (12 Mbit = 1 500 000 bytes at level 3.0)
//   MBS_n  = BSmux + BSoh, BSmux = 0.004 s x R, BSoh = R / 750 s, R = max(1200 x MaxBR, 2 Mbit/s)
//                                                      (64 000 bits = 8 000 bytes at level 3.0)
//   Rbx_n  = 1200 x MaxBR                              (leak MB -> EB, used for the margin)
// Throws std::invalid_argument for a level_idc not in Table A-1.
TstdParams tstd_params_h264(int level_idc);
// 13818-1 2.4.2.3/2.4.2.4, ISO/IEC 11172-3 and 13818-3 audio: Rx_n = 2 Mbit/s,
// BS_n = BSmux + BSdec + BSoh = 3584 bytes.
TstdParams tstd_params_mpeg_audio();
// 13818-1 2.4.2.3/2.4.2.4, ISO/IEC 13818-7 ADTS: Rx_n and BS_n by channel count
// (1-2: 2 Mbit/s, 3584 bytes; 3-8: 5.5296 Mbit/s, 8976; 9-12: 8.2944 Mbit/s, 12804;
// 13-48: 33.1776 Mbit/s, 51216).
TstdParams tstd_params_aac_adts(int channels = 2);

enum class TstdResult : std::uint8_t { ok, tb_overflow, b_overflow, underflow };
std::string_view to_string(TstdResult result);

struct TstdViolation {
  TstdResult what = TstdResult::ok;
  std::int64_t time_27mhz = 0;      // when it was detected
  std::int64_t dts_27mhz = 0;       // underflow: the access unit's DTS
  std::int64_t complete_27mhz = 0;  // underflow: when it would be complete (-1: never arrived)
};

class TstdModel {
 public:
  explicit TstdModel(const TstdParams& params);
  const TstdParams& params() const { return params_; }

  // Declares the next access unit in decoding order: its DTS and the bytes it takes in the main
  // buffer (its data plus the PES header bytes that precede it). Must come before its bytes enter.
  void add_access_unit(std::int64_t dts_27mhz, std::uint64_t b_bytes);

  // May a packet of `packet_bytes` carrying `b_bytes` main-buffer bytes, whose first and last
  // bytes arrive at the given times, enter without TB or the main buffer overflowing?
  // first_byte_27mhz must not be before now_27mhz().
  bool may_enter(std::int64_t first_byte_27mhz, std::int64_t last_byte_27mhz,
                 std::uint64_t packet_bytes, std::uint64_t b_bytes) const {
    if (first_byte_27mhz < now_27mhz_ || last_byte_27mhz < first_byte_27mhz) time_went_backwards();
    return tb_units_at(last_byte_27mhz) + packet_bytes * kUnitsPerByte <=
               params_.tb_size_bytes * kUnitsPerByte &&
           b_level_at(first_byte_27mhz) + b_bytes <= params_.b_size_bytes;
  }
  // Lets the packet in. Returns the first violation it causes (or an underflow on the way).
  TstdResult enter(std::int64_t first_byte_27mhz, std::int64_t last_byte_27mhz,
                   std::uint64_t packet_bytes, std::uint64_t b_bytes);
  // Moves the clock to t: TB drains, access units with DTS <= t leave the main buffer. Returns
  // underflow if one of them was not complete by its DTS.
  TstdResult advance_to(std::int64_t t_27mhz) {
    if (t_27mhz >= now_27mhz_ && (units_.empty() || units_.front().dts_27mhz > t_27mhz)) {
      drain_tb_to(t_27mhz);  // no access unit leaves: the common case, inline
      now_27mhz_ = t_27mhz;
      return TstdResult::ok;
    }
    return advance_removing(t_27mhz);
  }

  std::int64_t now_27mhz() const { return now_27mhz_; }
  std::uint64_t tb_level_bytes() const;  // rounded up, at the TB clock (last packet's arrival)
  std::uint64_t b_level_bytes() const { return b_level_bytes_; }
  std::uint64_t peak_tb_level_bytes() const;
  std::uint64_t peak_b_level_bytes() const { return peak_b_bytes_; }
  // When TB will be empty if nothing more enters.
  std::int64_t tb_empty_27mhz() const;
  std::size_t pending_access_units() const { return units_.size(); }
  // The DTS of the next access unit to leave the main buffer (INT64_MAX if none): until then
  // advance_to only drains TB and the main-buffer level stays.
  std::int64_t next_removal_27mhz() const {
    return units_.empty() ? std::numeric_limits<std::int64_t>::max() : units_.front().dts_27mhz;
  }
  // The DTS of the first access unit whose bytes have not all entered (INT64_MAX if none): if
  // nothing enters, advance_to reports an underflow from then on, and not before.
  std::int64_t next_incomplete_dts_27mhz() const {
    // complete_units() keeps next_incomplete_ at the first unit not all in.
    return next_incomplete_ < units_.size() ? units_[next_incomplete_].dts_27mhz
                                            : std::numeric_limits<std::int64_t>::max();
  }
  // The earliest last-byte arrival time at which a packet of `packet_bytes` fits TB, if nothing
  // else enters first.
  std::int64_t tb_room_27mhz(std::uint64_t packet_bytes) const;
  const std::optional<TstdViolation>& first_violation() const { return first_violation_; }

 private:
  struct Unit {
    std::int64_t dts_27mhz = 0;
    std::uint64_t b_begin = 0;  // cumulative main-buffer byte positions
    std::uint64_t b_end = 0;
  };

  static constexpr std::uint64_t kUnitsPerByte = 8 * 27'000'000;  // bit x 27 MHz

  // TB content at t (not before the TB clock): drained at Rx since the last packet.
  std::uint64_t tb_units_at(std::int64_t t_27mhz) const {
    if (t_27mhz <= tb_time_27mhz_ || tb_units_ == 0) return tb_units_;
    const auto elapsed = static_cast<std::uint64_t>(t_27mhz - tb_time_27mhz_);
    const unsigned __int128 drained = static_cast<unsigned __int128>(elapsed) * params_.rx_bps;
    return drained >= tb_units_ ? 0 : tb_units_ - static_cast<std::uint64_t>(drained);
  }
  void drain_tb_to(std::int64_t t_27mhz) {
    tb_units_ = tb_units_at(t_27mhz);
    if (t_27mhz > tb_time_27mhz_) tb_time_27mhz_ = t_27mhz;
  }
  std::uint64_t b_level_at(std::int64_t t_27mhz) const {
    std::uint64_t level = b_level_bytes_;
    for (std::size_t i = 0; i < units_.size() && units_[i].dts_27mhz <= t_27mhz; ++i) {
      level -= entered_bytes(units_[i]);
    }
    return level;
  }
  // Units still queued start at or after removed_until_, so all their entered bytes are live.
  std::uint64_t entered_bytes(const Unit& u) const {
    return b_in_ > u.b_begin ? std::min(b_in_, u.b_end) - u.b_begin : 0;
  }
  TstdResult advance_removing(std::int64_t t_27mhz);
  [[noreturn]] static void time_went_backwards();
  TstdResult complete_units(std::int64_t t_27mhz);
  TstdResult report(const TstdViolation& violation);

  TstdParams params_;
  std::int64_t now_27mhz_ = 0;      // removal clock: access units up to here have left
  std::int64_t tb_time_27mhz_ = 0;  // TB clock: tb_units_ is the content at this time, >= now
  std::uint64_t tb_units_ = 0;      // TB content in bit x 27 MHz units: one byte is 8 * 27e6
  std::uint64_t b_level_bytes_ = 0;
  std::uint64_t b_in_ = 0;           // cumulative main-buffer bytes entered
  std::uint64_t b_declared_ = 0;     // cumulative main-buffer bytes of declared access units
  std::uint64_t removed_until_ = 0;  // bytes before this position belong to removed units
  std::size_t next_incomplete_ = 0;  // index in units_ of the first unit not fully entered
  std::int64_t last_dts_27mhz_ = 0;
  std::uint64_t peak_tb_units_ = 0;  // bytes rounded up only when asked
  std::uint64_t peak_b_bytes_ = 0;
  std::optional<TstdViolation> first_violation_;
  detail::VectorQueue<Unit> units_;
};

}  // namespace skyclass::mux

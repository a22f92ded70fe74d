#include "mux/tstd.hpp"

#include <algorithm>
#include <array>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

#include "mux/pcr.hpp"

namespace skyclass::mux {
namespace {

// ITU-T H.264 (2016) Table A-1, Main profile columns.
constexpr std::array<H264LevelLimits, 17> kH264Levels{{
    {9, 128, 350},  // level 1b
    {10, 64, 175},
    {11, 192, 500},
    {12, 384, 1000},
    {13, 768, 2000},
    {20, 2000, 2000},
    {21, 4000, 4000},
    {22, 4000, 4000},
    {30, 10000, 10000},
    {31, 14000, 14000},
    {32, 20000, 20000},
    {40, 20000, 25000},
    {41, 50000, 62500},
    {42, 50000, 62500},
    {50, 135000, 135000},
    {51, 240000, 240000},
    {52, 240000, 240000},
}};

std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) {
  return a / b + (a % b != 0);
}

}  // namespace

std::optional<H264LevelLimits> h264_level_limits(int level_idc) {
  for (const auto& level : kH264Levels) {
    if (level.level_idc == level_idc) return level;
  }
  return std::nullopt;
}

TstdParams tstd_params_h264(int level_idc) {
  const auto limits = h264_level_limits(level_idc);
  if (!limits) {
    throw std::invalid_argument(
        fmt::format("H.264 level_idc {} is not in ITU-T H.264 Table A-1", level_idc));
  }
  const std::uint64_t nal_max_br_bps = 1200 * limits->max_br;
  const std::uint64_t r_bps = std::max<std::uint64_t>(nal_max_br_bps, 2'000'000);
  const std::uint64_t bs_mux_bits = r_bps * 4 / 1000;  // 0.004 s
  const std::uint64_t bs_oh_bits = r_bps / 750;        // 1/750 s
  const std::uint64_t eb_bits = 1200 * limits->max_cpb;
  TstdParams params;
  params.rx_bps = nal_max_br_bps * 6 / 5;
  params.b_size_bytes = (bs_mux_bits + bs_oh_bits + eb_bits) / 8;
  params.transfer_margin_27mhz = static_cast<std::int64_t>(
      ceil_div(params.tb_size_bytes * 8 * kSystemClockHz, nal_max_br_bps));
  return params;
}

TstdParams tstd_params_mpeg_audio() {
  TstdParams params;
  params.rx_bps = 2'000'000;
  params.b_size_bytes = 3584;
  return params;
}

TstdParams tstd_params_aac_adts(int channels) {
  if (channels < 1 || channels > 48) {
    throw std::invalid_argument(fmt::format("AAC channel count {} is not in 1..48", channels));
  }
  struct Row {
    int max_channels;
    std::uint64_t rx_bps;
    std::uint64_t b_size_bytes;
  };
  constexpr std::array<Row, 4> kRows{{{2, 2'000'000, 3584},
                                      {8, 5'529'600, 8976},
                                      {12, 8'294'400, 12804},
                                      {48, 33'177'600, 51216}}};
  TstdParams params;
  for (const Row& row : kRows) {
    if (channels <= row.max_channels) {
      params.rx_bps = row.rx_bps;
      params.b_size_bytes = row.b_size_bytes;
      break;
    }
  }
  return params;
}

std::string_view to_string(TstdResult result) {
  switch (result) {
    case TstdResult::ok:
      return "ok";
    case TstdResult::tb_overflow:
      return "transport buffer overflow";
    case TstdResult::b_overflow:
      return "main buffer overflow";
    case TstdResult::underflow:
      return "access unit incomplete at its DTS";
  }
  return "unknown";
}

TstdModel::TstdModel(const TstdParams& params) : params_(params) {
  if (params.rx_bps == 0 || params.tb_size_bytes == 0 || params.b_size_bytes == 0) {
    throw std::invalid_argument("TstdModel: Rx, TB size and main buffer size must be > 0");
  }
  units_.reserve(256);
}

std::uint64_t TstdModel::tb_level_bytes() const {
  return ceil_div(tb_units_, kUnitsPerByte);
}

std::uint64_t TstdModel::peak_tb_level_bytes() const {
  return ceil_div(peak_tb_units_, kUnitsPerByte);
}

std::int64_t TstdModel::tb_empty_27mhz() const {
  return tb_time_27mhz_ + static_cast<std::int64_t>(ceil_div(tb_units_, params_.rx_bps));
}

std::int64_t TstdModel::tb_room_27mhz(std::uint64_t packet_bytes) const {
  if (packet_bytes > params_.tb_size_bytes) return std::numeric_limits<std::int64_t>::max();
  const std::uint64_t limit = (params_.tb_size_bytes - packet_bytes) * kUnitsPerByte;
  if (tb_units_ <= limit) return tb_time_27mhz_;
  return tb_time_27mhz_ + static_cast<std::int64_t>(ceil_div(tb_units_ - limit, params_.rx_bps));
}

void TstdModel::add_access_unit(std::int64_t dts_27mhz, std::uint64_t b_bytes) {
  if (!units_.empty() && dts_27mhz < last_dts_27mhz_) {
    throw std::logic_error(
        fmt::format("TstdModel: DTS {} before the previous DTS {}", dts_27mhz, last_dts_27mhz_));
  }
  units_.push_back(Unit{dts_27mhz, b_declared_, b_declared_ + b_bytes});
  b_declared_ += b_bytes;
  last_dts_27mhz_ = dts_27mhz;
}

void TstdModel::time_went_backwards() {
  throw std::logic_error("TstdModel::may_enter: time went backwards");
}

TstdResult TstdModel::report(const TstdViolation& violation) {
  if (!first_violation_) first_violation_ = violation;
  return violation.what;
}

TstdResult TstdModel::advance_removing(std::int64_t t_27mhz) {
  if (t_27mhz < now_27mhz_) throw std::logic_error("TstdModel::advance_to: time went backwards");
  drain_tb_to(t_27mhz);
  now_27mhz_ = t_27mhz;
  TstdResult result = TstdResult::ok;
  while (!units_.empty() && units_.front().dts_27mhz <= t_27mhz) {
    const Unit& u = units_.front();
    b_level_bytes_ -= entered_bytes(u);
    if (b_in_ < u.b_end && result == TstdResult::ok) {
      result = report({TstdResult::underflow, t_27mhz, u.dts_27mhz, -1});
    }
    removed_until_ = u.b_end;
    units_.pop_front();
    if (next_incomplete_ > 0) --next_incomplete_;
  }
  return result;
}

// Marks the units whose last byte entered with the packet just taken in at t.
TstdResult TstdModel::complete_units(std::int64_t t_27mhz) {
  TstdResult result = TstdResult::ok;
  if (next_incomplete_ >= units_.size() || units_[next_incomplete_].b_end > b_in_) return result;
  const std::int64_t complete = tb_empty_27mhz() + params_.transfer_margin_27mhz;
  for (; next_incomplete_ < units_.size() && units_[next_incomplete_].b_end <= b_in_;
       ++next_incomplete_) {
    const Unit& u = units_[next_incomplete_];
    if (complete > u.dts_27mhz && result == TstdResult::ok) {
      result = report({TstdResult::underflow, t_27mhz, u.dts_27mhz, complete});
    }
  }
  return result;
}

TstdResult TstdModel::enter(std::int64_t first_byte_27mhz, std::int64_t last_byte_27mhz,
                            std::uint64_t packet_bytes, std::uint64_t b_bytes) {
  if (b_in_ + b_bytes > b_declared_) {
    throw std::logic_error("TstdModel::enter: bytes of an undeclared access unit");
  }
  if (last_byte_27mhz < first_byte_27mhz) {
    throw std::logic_error("TstdModel::enter: last byte before first byte");
  }
  TstdResult result = advance_to(first_byte_27mhz);
  drain_tb_to(last_byte_27mhz);
  tb_units_ += packet_bytes * kUnitsPerByte;
  const std::int64_t t_27mhz = last_byte_27mhz;
  const std::uint64_t live_from = std::max(b_in_, removed_until_);
  b_in_ += b_bytes;
  b_level_bytes_ += b_in_ > live_from ? b_in_ - live_from : 0;
  peak_tb_units_ = std::max(peak_tb_units_, tb_units_);
  peak_b_bytes_ = std::max(peak_b_bytes_, b_level_bytes_);
  TstdResult overflow = TstdResult::ok;
  if (tb_units_ > params_.tb_size_bytes * kUnitsPerByte) {
    overflow = report({TstdResult::tb_overflow, t_27mhz, 0, 0});
  } else if (b_level_bytes_ > params_.b_size_bytes) {
    overflow = report({TstdResult::b_overflow, t_27mhz, 0, 0});
  }
  const TstdResult completion = complete_units(t_27mhz);
  if (result == TstdResult::ok) result = overflow;
  if (result == TstdResult::ok) result = completion;
  return result;
}

}  // namespace skyclass::mux

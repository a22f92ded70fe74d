#include "mux/dvb_time.hpp"

#include <stdexcept>

namespace skyclass::mux {

std::uint32_t to_bcd(std::uint32_t value, int digits, std::string_view field) {
  std::uint32_t bcd = 0;
  std::uint32_t rest = value;
  for (int i = 0; i < digits; ++i) {
    bcd |= (rest % 10) << (4 * i);
    rest /= 10;
  }
  if (rest != 0) {
    throw std::out_of_range(
        fmt::format("{}: value {} does not fit {} BCD digits", field, value, digits));
  }
  return bcd;
}

std::optional<std::uint32_t> from_bcd(std::uint32_t bcd, int digits) {
  std::uint32_t value = 0;
  for (int i = digits - 1; i >= 0; --i) {
    std::uint32_t nibble = (bcd >> (4 * i)) & 0xF;
    if (nibble > 9) return std::nullopt;
    value = value * 10 + nibble;
  }
  return value;
}

std::int64_t utc_midnight_s(std::int64_t utc_s) {
  std::int64_t day = utc_s / kSecondsPerDay;
  if (utc_s % kSecondsPerDay < 0) --day;
  return day * kSecondsPerDay;
}

std::uint64_t encode_mjd_utc(std::int64_t utc_s) {
  if (utc_s == kUndefinedUtcS) return kUndefinedMjdUtc;
  std::int64_t midnight_s = utc_midnight_s(utc_s);
  std::int64_t mjd = midnight_s / kSecondsPerDay + kMjdOfUnixEpoch;
  if (mjd < 0 || mjd > 0xFFFF) {
    throw std::out_of_range(
        fmt::format("UTC_time: {} s since 1970 is outside the 16-bit MJD range", utc_s));
  }
  auto second_of_day = static_cast<std::uint32_t>(utc_s - midnight_s);
  std::uint32_t hhmmss = to_bcd(second_of_day / 3600, 2, "UTC_time hours") << 16 |
                         to_bcd(second_of_day / 60 % 60, 2, "UTC_time minutes") << 8 |
                         to_bcd(second_of_day % 60, 2, "UTC_time seconds");
  return static_cast<std::uint64_t>(mjd) << 24 | hhmmss;
}

namespace {

// hhmmss BCD with bounds per field; max_hours is 23 for a time of day, 99 for a duration.
std::optional<std::int64_t> bcd_hhmmss_s(std::uint32_t bcd, std::uint32_t max_hours) {
  auto hours = from_bcd(bcd >> 16 & 0xFF, 2);
  auto minutes = from_bcd(bcd >> 8 & 0xFF, 2);
  auto seconds = from_bcd(bcd & 0xFF, 2);
  if (!hours || !minutes || !seconds || *hours > max_hours || *minutes > 59 || *seconds > 59) {
    return std::nullopt;
  }
  return std::int64_t{*hours} * 3600 + *minutes * 60 + *seconds;
}

}  // namespace

Result<std::int64_t> decode_mjd_utc(std::uint64_t mjd_utc, std::string_view field) {
  if (mjd_utc == kUndefinedMjdUtc) return kUndefinedUtcS;
  auto second_of_day = bcd_hhmmss_s(static_cast<std::uint32_t>(mjd_utc & 0xFFFFFF), 23);
  if (!second_of_day) {
    return make_error("{}: invalid BCD time of day 0x{:06X}", field, mjd_utc & 0xFFFFFF);
  }
  auto mjd = static_cast<std::int64_t>(mjd_utc >> 24);
  return (mjd - kMjdOfUnixEpoch) * kSecondsPerDay + *second_of_day;
}

std::uint32_t encode_bcd_duration(std::int64_t duration_s) {
  if (duration_s < 0 || duration_s > 99 * 3600 + 59 * 60 + 59) {
    throw std::out_of_range(
        fmt::format("duration: {} s is outside 0..99:59:59 (BCD hhmmss)", duration_s));
  }
  auto s = static_cast<std::uint32_t>(duration_s);
  return to_bcd(s / 3600, 2, "duration") << 16 | to_bcd(s / 60 % 60, 2, "duration") << 8 |
         to_bcd(s % 60, 2, "duration");
}

Result<std::int64_t> decode_bcd_duration(std::uint32_t bcd_hhmmss, std::string_view field) {
  auto duration_s = bcd_hhmmss_s(bcd_hhmmss & 0xFFFFFF, 99);
  if (!duration_s) return make_error("{}: invalid BCD duration 0x{:06X}", field, bcd_hhmmss);
  return *duration_s;
}

}  // namespace skyclass::mux

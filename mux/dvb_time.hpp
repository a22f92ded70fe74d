#pragma once
// ETSI EN 300 468 Annex C: UTC_time as 16-bit MJD + 24-bit BCD hhmmss, and BCD durations.
// Times are integer seconds since 1970-01-01 00:00:00 UTC (no leap seconds, like POSIX).
#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>

#include "mux/result.hpp"

namespace skyclass::mux {

inline constexpr std::int64_t kMjdOfUnixEpoch = 40587;  // MJD of 1970-01-01
inline constexpr std::int64_t kSecondsPerDay = 86'400;
// "All bits set to 1" in a 40-bit UTC_time field means undefined (e.g. NVOD reference events).
inline constexpr std::uint64_t kUndefinedMjdUtc = 0xFF'FFFF'FFFF;
inline constexpr std::int64_t kUndefinedUtcS = std::numeric_limits<std::int64_t>::min();

// Packs `digits` decimal digits of `value` as BCD. Throws std::out_of_range naming `field` if
// the value needs more digits (a configuration error, not a wire error).
std::uint32_t to_bcd(std::uint32_t value, int digits, std::string_view field);
// Unpacks `digits` BCD nibbles; nothing if any nibble is above 9.
std::optional<std::uint32_t> from_bcd(std::uint32_t bcd, int digits);

// 40-bit MJD + BCD UTC_time. Throws std::out_of_range outside MJD 0..65535 (1858-11-17 to
// 2038-04-22). kUndefinedUtcS encodes as all ones.
std::uint64_t encode_mjd_utc(std::int64_t utc_s);
Result<std::int64_t> decode_mjd_utc(std::uint64_t mjd_utc, std::string_view field);

// 24-bit BCD hhmmss duration (0 .. 99:59:59). Throws std::out_of_range outside that range.
std::uint32_t encode_bcd_duration(std::int64_t duration_s);
Result<std::int64_t> decode_bcd_duration(std::uint32_t bcd_hhmmss, std::string_view field);

// Start of the UTC day containing `utc_s` (floor, also for times before 1970).
std::int64_t utc_midnight_s(std::int64_t utc_s);

}  // namespace skyclass::mux

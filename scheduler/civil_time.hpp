#pragma once
// Civil time for a channel with a fixed UTC offset (the design's channels are +08:00, no DST).
// Times are plain integers: milliseconds since 1970-01-01 in either UTC or local wall time,
// so that frame alignment (40 ms at 25 fps) stays exact integer arithmetic.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace skyclass::scheduler {

using Date = std::chrono::sys_days;

constexpr std::int64_t kMsPerSecond = 1000;
constexpr std::int64_t kMsPerDay = 86'400'000;

// Parses "YYYY-MM-DD"; nothing on any other shape or an impossible date.
std::optional<Date> parse_date(std::string_view text);
std::string format_date(Date date);

// Parses "HH:MM" or "HH:MM:SS" into seconds. `max_hour` lets an end time run past midnight
// ("24:20" is 00:20 on the next day).
std::optional<std::int64_t> parse_clock_s(std::string_view text, int max_hour = 23);
std::string format_clock(std::int64_t ms_of_day, bool with_frames = false);

// Parses "+08:00", "-05:30", "UTC", "Z" into minutes east of UTC.
std::optional<int> parse_utc_offset_min(std::string_view text);
std::string format_utc_offset(int offset_min);

// Day of week, 0 = Monday ... 6 = Sunday (ISO 8601 order, as in the timetable).
int iso_weekday_index(Date date);
// "Mon".."Sun" or "Monday".."Sunday", any case.
std::optional<int> parse_weekday(std::string_view text);
std::string_view weekday_name(int iso_index);

std::int64_t date_to_ms(Date date);  // midnight of `date`, in the same time base
Date ms_to_date(std::int64_t ms);    // floor

// ISO 8601 with offset, e.g. "2020-02-17T08:00:00.000+08:00" for a local wall time.
std::string format_iso_local(std::int64_t local_ms, int offset_min);
// ISO 8601 UTC, e.g. "2020-02-17T00:00:00.000Z".
std::string format_iso_utc(std::int64_t utc_ms);
// Parses what format_iso_local/format_iso_utc write (and the same without milliseconds) to UTC ms.
std::optional<std::int64_t> parse_iso_to_utc_ms(std::string_view text);

// Duration as "H:MM:SS" or "MM:SS" for people.
std::string format_duration(std::int64_t ms);

}  // namespace skyclass::scheduler

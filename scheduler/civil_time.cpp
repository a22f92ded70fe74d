#include "scheduler/civil_time.hpp"

#include <array>
#include <cctype>
#include <charconv>

#include <fmt/format.h>

namespace skyclass::scheduler {
namespace {

// Reads exactly `digits` decimal digits at `pos`.
std::optional<int> read_fixed(std::string_view text, std::size_t pos, std::size_t digits) {
  if (pos + digits > text.size()) return std::nullopt;
  int value = 0;
  for (std::size_t i = pos; i < pos + digits; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return value;
}

constexpr std::array<std::string_view, 7> kShortNames = {"Mon", "Tue", "Wed", "Thu",
                                                         "Fri", "Sat", "Sun"};
constexpr std::array<std::string_view, 7> kLongNames = {
    "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i])))
      return false;
  }
  return true;
}

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

}  // namespace

std::optional<Date> parse_date(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  auto y = read_fixed(text, 0, 4), m = read_fixed(text, 5, 2), d = read_fixed(text, 8, 2);
  if (!y || !m || !d) return std::nullopt;
  std::chrono::year_month_day ymd{std::chrono::year{*y}, std::chrono::month{unsigned(*m)},
                                  std::chrono::day{unsigned(*d)}};
  if (!ymd.ok()) return std::nullopt;
  return Date{ymd};
}

std::string format_date(Date date) {
  std::chrono::year_month_day ymd{date};
  return fmt::format("{:04}-{:02}-{:02}", int(ymd.year()), unsigned(ymd.month()),
                     unsigned(ymd.day()));
}

std::optional<std::int64_t> parse_clock_s(std::string_view text, int max_hour) {
  if (text.size() != 5 && text.size() != 8) return std::nullopt;
  if (text[2] != ':' || (text.size() == 8 && text[5] != ':')) return std::nullopt;
  auto h = read_fixed(text, 0, 2), m = read_fixed(text, 3, 2);
  std::optional<int> s = text.size() == 8 ? read_fixed(text, 6, 2) : std::optional<int>(0);
  if (!h || !m || !s || *h > max_hour || *m > 59 || *s > 59) return std::nullopt;
  return std::int64_t{*h} * 3600 + *m * 60 + *s;
}

std::string format_clock(std::int64_t ms_of_day, bool with_frames) {
  std::int64_t s = floor_div(ms_of_day, 1000);
  std::string text = fmt::format("{:02}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
  if (with_frames) text += fmt::format(".{:02}", (ms_of_day - s * 1000) / 40);
  return text;
}

std::optional<int> parse_utc_offset_min(std::string_view text) {
  if (text == "UTC" || text == "Z" || text == "utc") return 0;
  if (text.size() != 6 || (text[0] != '+' && text[0] != '-') || text[3] != ':')
    return std::nullopt;
  auto h = read_fixed(text, 1, 2), m = read_fixed(text, 4, 2);
  if (!h || !m || *h > 14 || *m > 59) return std::nullopt;
  int minutes = *h * 60 + *m;
  return text[0] == '-' ? -minutes : minutes;
}

std::string format_utc_offset(int offset_min) {
  char sign = offset_min < 0 ? '-' : '+';
  int a = offset_min < 0 ? -offset_min : offset_min;
  return fmt::format("{}{:02}:{:02}", sign, a / 60, a % 60);
}

int iso_weekday_index(Date date) {
  return int(std::chrono::weekday{date}.iso_encoding()) - 1;
}

std::optional<int> parse_weekday(std::string_view text) {
  for (int i = 0; i < 7; ++i) {
    if (iequals(text, kShortNames[i]) || iequals(text, kLongNames[i])) return i;
  }
  return std::nullopt;
}

std::string_view weekday_name(int iso_index) { return kShortNames.at(iso_index); }

std::int64_t date_to_ms(Date date) {
  return std::int64_t{date.time_since_epoch().count()} * kMsPerDay;
}

Date ms_to_date(std::int64_t ms) { return Date{std::chrono::days{floor_div(ms, kMsPerDay)}}; }

std::string format_iso_local(std::int64_t local_ms, int offset_min) {
  Date date = ms_to_date(local_ms);
  std::int64_t ms_of_day = local_ms - date_to_ms(date);
  return fmt::format("{}T{}.{:03}{}", format_date(date), format_clock(ms_of_day),
                     ms_of_day % 1000, format_utc_offset(offset_min));
}

std::string format_iso_utc(std::int64_t utc_ms) {
  Date date = ms_to_date(utc_ms);
  std::int64_t ms_of_day = utc_ms - date_to_ms(date);
  return fmt::format("{}T{}.{:03}Z", format_date(date), format_clock(ms_of_day),
                     ms_of_day % 1000);
}

std::optional<std::int64_t> parse_iso_to_utc_ms(std::string_view text) {
  if (text.size() < 19 || text[10] != 'T') return std::nullopt;
  auto date = parse_date(text.substr(0, 10));
  auto clock_s = parse_clock_s(text.substr(11, 8));
  if (!date || !clock_s) return std::nullopt;
  std::int64_t ms = date_to_ms(*date) + *clock_s * 1000;
  std::string_view rest = text.substr(19);
  if (!rest.empty() && rest[0] == '.') {
    auto frac = read_fixed(rest, 1, 3);
    if (!frac) return std::nullopt;
    ms += *frac;
    rest.remove_prefix(4);
  }
  auto offset = parse_utc_offset_min(rest);
  if (!offset) return std::nullopt;
  return ms - std::int64_t{*offset} * 60'000;
}

std::string format_duration(std::int64_t ms) {
  std::int64_t s = ms / 1000;
  std::string text = s >= 3600 ? fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60)
                               : fmt::format("{:02}:{:02}", s / 60, s % 60);
  if (ms % 1000 != 0) text += fmt::format(".{:02}", (ms % 1000) / 40);
  return text;
}

}  // namespace skyclass::scheduler

#pragma once
// The weekly lesson timetable (docs/timetable.md):
//   day,start,end,grade,subject,title,media[,description]
// `day` is Mon..Sun (repeats every week from --week-of) or an ISO date (a one-off that replaces
// that date's row at the same start). Times are local wall-clock times of the calendar date.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scheduler/civil_time.hpp"
#include "scheduler/diagnostics.hpp"

namespace skyclass::scheduler {

struct TimetableRow {
  int line = 0;
  std::optional<int> weekday;  // 0 = Monday; set for weekly rows
  std::optional<Date> date;    // set for one-off overrides
  std::int64_t start_s = 0;    // seconds after local midnight of the row's date
  std::optional<std::int64_t> end_s;  // same base; may pass 24:00 for a lesson over midnight
  std::string grade, subject, title, media, description;

  bool is_live() const { return media.starts_with("live:"); }
  std::string day_text() const;  // "Mon" or "2020-02-19"
};

struct Timetable {
  std::string file;
  std::vector<TimetableRow> rows;
};

// One airing of a row on a calendar date, in local milliseconds since 1970.
struct Occurrence {
  const TimetableRow* row = nullptr;
  std::int64_t start_local_ms = 0;
  std::optional<std::int64_t> end_local_ms;
};

Timetable parse_timetable(std::string_view text, const std::string& file_name,
                          Diagnostics& diagnostics);
// Reads the file; an unreadable file is an error in `diagnostics`.
Timetable load_timetable(const std::filesystem::path& path, Diagnostics& diagnostics);

// Airings whose start falls on a calendar date in [first, last], sorted by start. Weekly rows
// apply from `week_of` on; an override row replaces the weekly row of its date with the same start.
std::vector<Occurrence> occurrences_between(const Timetable& timetable, Date week_of, Date first,
                                            Date last);

// Overlapping lessons (explicit end times, or equal starts) in the week from `week_of` and on the
// override dates, each pair reported once against the later row.
void check_overlaps(const Timetable& timetable, Date week_of, Diagnostics& diagnostics);

}  // namespace skyclass::scheduler

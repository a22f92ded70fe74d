#include "scheduler/timetable.hpp"

#include <algorithm>
#include <array>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "scheduler/csv.hpp"

namespace skyclass::scheduler {
namespace {

constexpr std::array<std::string_view, 8> kColumns = {
    "day", "start", "end", "grade", "subject", "title", "media", "description"};
constexpr std::size_t kRequiredColumns = 7;

// Maps each known column to its index in the file; reports unknown and missing columns.
std::optional<std::array<int, 8>> read_header(const CsvRecord& header, const std::string& file,
                                              Diagnostics& diagnostics) {
  std::array<int, 8> index;
  index.fill(-1);
  bool ok = true;
  for (std::size_t i = 0; i < header.fields.size(); ++i) {
    auto it = std::find(kColumns.begin(), kColumns.end(), header.fields[i]);
    if (it == kColumns.end()) {
      diagnostics.error(file, header.line, header.fields[i],
                        fmt::format("unknown column '{}'; expected the columns {}",
                                    header.fields[i], fmt::join(kColumns, ",")));
      ok = false;
    } else if (index[it - kColumns.begin()] >= 0) {
      diagnostics.error(file, header.line, header.fields[i], "column appears twice");
      ok = false;
    } else {
      index[it - kColumns.begin()] = int(i);
    }
  }
  for (std::size_t c = 0; c < kRequiredColumns; ++c) {
    if (index[c] < 0) {
      diagnostics.error(file, header.line, std::string(kColumns[c]),
                        "required column is missing from the header row");
      ok = false;
    }
  }
  if (!ok) return std::nullopt;
  return index;
}

class RowParser {
 public:
  RowParser(const std::string& file, const std::array<int, 8>& index, Diagnostics& diagnostics)
      : file_(file), index_(index), diagnostics_(diagnostics) {}

  std::optional<TimetableRow> parse(const CsvRecord& record) {
    record_ = &record;
    ok_ = true;
    int used_columns = 0, required_fields = 0;
    for (std::size_t c = 0; c < index_.size(); ++c) {
      used_columns += index_[c] >= 0;
      if (c < kRequiredColumns) required_fields = std::max(required_fields, index_[c] + 1);
    }
    // Trailing optional fields may be left off; anything else must match the header.
    int fields = int(record.fields.size());
    if (fields > used_columns || fields < required_fields) {
      error("", fmt::format("has {} fields, the header has {}", fields, used_columns));
      return std::nullopt;
    }
    for (std::size_t c = 0; c < kColumns.size(); ++c) check_utf8(c);
    if (!ok_) return std::nullopt;

    TimetableRow row;
    row.line = record.line;
    parse_day(row);
    parse_times(row);
    row.grade = field(3);
    row.subject = field(4);
    row.title = field(5);
    row.media = field(6);
    row.description = field(7);
    if (row.title.empty()) error("title", "is empty; every lesson needs a title for the EPG");
    check_media(row);
    return ok_ ? std::optional(row) : std::nullopt;
  }

 private:
  std::string field(std::size_t column) const {
    int i = index_[column];
    return i < 0 || i >= int(record_->fields.size()) ? std::string() : record_->fields[i];
  }

  void error(std::string_view column, std::string message) {
    diagnostics_.error(file_, record_->line, std::string(column), std::move(message));
    ok_ = false;
  }

  void check_utf8(std::size_t column) {
    std::string text = field(column);
    std::size_t bad = find_invalid_utf8(text);
    if (bad != std::string::npos) {
      error(kColumns[column],
            fmt::format("byte 0x{:02X} at offset {} is not UTF-8; save the file as UTF-8",
                        static_cast<unsigned char>(text[bad]), bad));
    }
  }

  void parse_day(TimetableRow& row) {
    std::string text = field(0);
    if (auto weekday = parse_weekday(text)) {
      row.weekday = weekday;
    } else if (auto date = parse_date(text)) {
      row.date = date;
    } else {
      error("day", fmt::format("'{}' is neither a weekday (Mon..Sun) nor a date (YYYY-MM-DD)",
                               text));
    }
  }

  void parse_times(TimetableRow& row) {
    std::string start = field(1), end = field(2);
    auto start_s = parse_clock_s(start);
    if (!start_s) {
      error("start", fmt::format("'{}' is not a time of day HH:MM or HH:MM:SS", start));
    } else {
      row.start_s = *start_s;
    }
    if (end.empty()) return;
    auto end_s = parse_clock_s(end, 47);
    if (!end_s) {
      error("end", fmt::format("'{}' is not a time HH:MM or HH:MM:SS (after midnight write "
                               "24:20 for 00:20 the next day)",
                               end));
    } else if (start_s && *end_s <= *start_s) {
      error("end", fmt::format("{} is not after the start {}; a lesson that runs past "
                               "midnight ends at 24:MM or later",
                               end, start));
    } else {
      row.end_s = end_s;
    }
  }

  void check_media(const TimetableRow& row) {
    if (row.media.empty()) {
      error("media", "is empty; give a path in the media library or live:srt://HOST:PORT");
    } else if (row.is_live()) {
      std::string_view url = std::string_view(row.media).substr(5);
      if (!url.starts_with("srt://") && !url.starts_with("udp://"))
        error("media", fmt::format("live source '{}' must be live:srt://… or live:udp://…", url));
      if (!row.end_s) error("end", "a live lesson needs an end time: it has no media duration");
    } else if (row.media.front() == '/' || row.media.find("..") != std::string::npos) {
      error("media", fmt::format("'{}' must be a path relative to the media library, "
                                 "without '..'", row.media));
    }
  }

  const std::string& file_;
  const std::array<int, 8>& index_;
  Diagnostics& diagnostics_;
  const CsvRecord* record_ = nullptr;
  bool ok_ = true;
};

std::string describe(const Occurrence& o) {
  std::int64_t day_ms = date_to_ms(ms_to_date(o.start_local_ms));
  return fmt::format("{} {} {}", format_date(ms_to_date(o.start_local_ms)),
                     format_clock(o.start_local_ms - day_ms), o.row->title);
}

}  // namespace

std::string TimetableRow::day_text() const {
  return date ? format_date(*date) : std::string(weekday_name(weekday.value_or(0)));
}

Timetable parse_timetable(std::string_view text, const std::string& file_name,
                          Diagnostics& diagnostics) {
  Timetable timetable{file_name, {}};
  std::vector<CsvRecord> records = parse_csv(text, file_name, diagnostics);
  if (records.empty()) {
    diagnostics.error(file_name, 1, "", "the timetable is empty; expected a header row "
                                        "day,start,end,grade,subject,title,media[,description]");
    return timetable;
  }
  auto index = read_header(records.front(), file_name, diagnostics);
  if (!index) return timetable;
  RowParser parser(file_name, *index, diagnostics);
  for (std::size_t i = 1; i < records.size(); ++i) {
    if (auto row = parser.parse(records[i])) timetable.rows.push_back(std::move(*row));
  }
  return timetable;
}

Timetable load_timetable(const std::filesystem::path& path, Diagnostics& diagnostics) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    diagnostics.error(path.string(), 0, "", "cannot open the timetable for reading");
    return Timetable{path.string(), {}};
  }
  std::ostringstream text;
  text << in.rdbuf();
  return parse_timetable(text.str(), path.string(), diagnostics);
}

std::vector<Occurrence> occurrences_between(const Timetable& timetable, Date week_of, Date first,
                                            Date last) {
  // Override rows by (date, start); they replace weekly rows at the same start.
  std::set<std::pair<std::int64_t, std::int64_t>> overridden;
  for (const auto& row : timetable.rows) {
    if (row.date) overridden.insert({row.date->time_since_epoch().count(), row.start_s});
  }
  std::vector<Occurrence> result;
  auto add = [&](const TimetableRow& row, Date date) {
    std::int64_t midnight = date_to_ms(date);
    Occurrence o{&row, midnight + row.start_s * kMsPerSecond, std::nullopt};
    if (row.end_s) o.end_local_ms = midnight + *row.end_s * kMsPerSecond;
    result.push_back(o);
  };
  for (Date date = std::max(first, week_of); date <= last; date += std::chrono::days{1}) {
    int weekday = iso_weekday_index(date);
    for (const auto& row : timetable.rows) {
      if (row.weekday != weekday) continue;
      if (overridden.count({date.time_since_epoch().count(), row.start_s})) continue;
      add(row, date);
    }
  }
  for (const auto& row : timetable.rows) {
    if (row.date && *row.date >= first && *row.date <= last) add(row, *row.date);
  }
  std::stable_sort(result.begin(), result.end(), [](const Occurrence& a, const Occurrence& b) {
    return a.start_local_ms < b.start_local_ms;
  });
  return result;
}

void check_overlaps(const Timetable& timetable, Date week_of, Diagnostics& diagnostics) {
  // The first week and each override date with its neighbours: only those dates, never the
  // span between them (an override years away must not mean years of dates to walk).
  std::set<Date> dates;
  for (int i = 0; i <= 7; ++i) dates.insert(week_of + std::chrono::days{i});
  for (const auto& row : timetable.rows) {
    if (!row.date) continue;
    for (int i = -1; i <= 1; ++i) dates.insert(*row.date + std::chrono::days{i});
  }
  // For the check the week template covers every date, so that overrides are checked against
  // the weekly rows they sit among even before week_of.
  Date template_from = *dates.begin() - std::chrono::days{7};
  std::vector<Occurrence> all;
  for (Date date : dates) {
    auto on_date = occurrences_between(timetable, template_from, date, date);
    all.insert(all.end(), on_date.begin(), on_date.end());
  }
  std::stable_sort(all.begin(), all.end(), [](const Occurrence& a, const Occurrence& b) {
    return a.start_local_ms < b.start_local_ms;
  });
  std::set<std::pair<int, int>> reported;
  for (std::size_t i = 0; i < all.size(); ++i) {
    for (std::size_t j = i + 1; j < all.size(); ++j) {
      const Occurrence &a = all[i], &b = all[j];
      std::int64_t a_end = a.end_local_ms.value_or(a.start_local_ms + 1);
      if (b.start_local_ms >= a_end) break;
      const TimetableRow* later = b.row->line >= a.row->line ? b.row : a.row;
      const Occurrence& other = later == b.row ? a : b;
      if (!reported.insert({std::min(a.row->line, b.row->line),
                            std::max(a.row->line, b.row->line)}).second)
        continue;
      diagnostics.error(timetable.file, later->line, "start",
                        fmt::format("overlaps the lesson on line {} ({})", other.row->line,
                                    describe(other)));
    }
  }
}

}  // namespace skyclass::scheduler

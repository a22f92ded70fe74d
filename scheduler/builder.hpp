#pragma once
// Turns the weekly timetable into complete broadcast days: lessons at their hard starts, fillers
// (and the ident) in the gaps, the slate where media cannot be played. See docs/scheduling.md.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "scheduler/channel_config.hpp"
#include "scheduler/diagnostics.hpp"
#include "scheduler/media_probe.hpp"
#include "scheduler/playlist.hpp"
#include "scheduler/timetable.hpp"

namespace skyclass::scheduler {

// Items one broadcast day may hold before event ids would collide (see event_id_for).
constexpr int kMaxItemsPerDay = 2048;

// Event ids are derived from the schedule: 1 + (day number mod 30) * 2048 + the item's index in
// its day. They are stable when the same day is built again and unique over any 30 days, which
// covers the 8 days of EIT schedule with room to spare.
std::uint16_t event_id_for(Date day, int index_in_day);

// "crid://authority/xxxxxxxxxxxxxxxx" from what identifies the content, so every airing of the
// same lesson shares it.
std::string content_id_for(const std::string& authority, const std::string& identity);

// Where an event id is used, kept small so that a year of days can be checked without holding
// the playlists.
struct EventIdUse {
  Date date{};
  std::uint16_t event_id = 0;
  int timetable_line = 0;
  std::int64_t start_local_ms = 0;
  std::string title;

  std::string where() const;  // "2020-02-17 08:00:00 《春夏秋冬》"
};

// The first item continues a lesson from the previous day (same event, same id).
bool continues_previous_day(const Playlist& day);
void collect_event_ids(const Playlist& day, std::vector<EventIdUse>& uses);
// Reports every id used twice within 8 days of itself (one EIT schedule window) as an error
// against the later use's timetable line.
void check_event_ids(const std::vector<EventIdUse>& uses, const std::string& timetable_file,
                     Diagnostics& diagnostics);

class ScheduleBuilder {
 public:
  ScheduleBuilder(const Timetable& timetable, const ChannelConfig& config, MediaProbe& probe,
                  Date week_of);

  // The broadcast day starting at `day` + schedule.day_start local time. Warnings about the
  // day's own lessons go to diagnostics() once per build.
  Playlist day(Date day);
  std::vector<Playlist> days(Date from, int count);

  const Diagnostics& diagnostics() const { return diagnostics_; }

 private:
  struct Clip {
    std::string media, title;
    std::int64_t duration_ms = 0;
    bool loop = false;  // repeats to take the rest of a gap (at most schedule.max_loop_ms)
    MediaFacts facts;
  };
  struct Planned;

  Playlist build(Date day);
  std::vector<Planned> plan_hard_events(Date day, std::int64_t window_start_local);
  Planned plan(const Occurrence& occurrence, std::int64_t next_start_local);
  void fill_gap(Playlist& p, std::int64_t start_utc, std::int64_t end_utc, bool before_lesson,
                std::size_t& rotation);
  void push_fillers(Playlist& p, std::int64_t start_utc, std::int64_t end_utc,
                    std::size_t& rotation);
  void push_slate(Playlist& p, std::int64_t start_utc, std::int64_t end_utc);
  // A whole or trimmed clip (or a looped one, when `duration_ms` is longer than the clip).
  PlaylistItem clip_item(const Clip& clip, ItemKind kind, std::int64_t start_utc,
                         std::int64_t duration_ms) const;
  void assign_event_ids(Playlist& p, bool starts_with_continuation);
  Clip load_clip(const std::string& entry, const char* key);
  std::int64_t frames_floor(std::int64_t ms) const { return ms / frame_ms_ * frame_ms_; }

  const Timetable& timetable_;
  const ChannelConfig& config_;
  MediaProbe& probe_;
  Date week_of_;
  std::int64_t frame_ms_;
  std::vector<Clip> fillers_;
  std::optional<Clip> ident_;
  Clip slate_;
  std::map<Date, std::uint16_t> last_event_id_;  // for a lesson that runs into the next day
  Diagnostics diagnostics_;
};

}  // namespace skyclass::scheduler

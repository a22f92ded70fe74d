#include "scheduler/builder.hpp"

#include <algorithm>
#include <limits>
#include <set>

#include <fmt/format.h>

namespace skyclass::scheduler {

struct ScheduleBuilder::Planned {
  const TimetableRow* row = nullptr;
  std::int64_t start_local = 0, end_local = 0;
  ItemKind kind = ItemKind::lesson;
  std::string media;
  bool loop = false;
  std::optional<MediaFacts> facts;
  std::vector<std::string> warnings;
};

namespace {

std::uint64_t fnv1a64(std::string_view text) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : text) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

std::string lesson_identity(const TimetableRow& row) {
  return fmt::format("{}|{}|{}|{}", row.grade, row.subject, row.title, row.media);
}

}  // namespace

std::uint16_t event_id_for(Date day, int index_in_day) {
  auto day_number = static_cast<std::int64_t>(day.time_since_epoch().count());
  auto cycle = ((day_number % 30) + 30) % 30;
  return static_cast<std::uint16_t>(1 + cycle * kMaxItemsPerDay + index_in_day);
}

std::string content_id_for(const std::string& authority, const std::string& identity) {
  return fmt::format("crid://{}/{:016x}", authority, fnv1a64(identity));
}

ScheduleBuilder::ScheduleBuilder(const Timetable& timetable, const ChannelConfig& config,
                                 MediaProbe& probe, Date week_of)
    : timetable_(timetable),
      config_(config),
      probe_(probe),
      week_of_(week_of),
      frame_ms_(config.frame_ms()) {
  for (const auto& entry : config.fillers) {
    Clip clip = load_clip(entry, "schedule.filler");
    if (clip.facts.readable) fillers_.push_back(std::move(clip));
  }
  if (!config.ident.empty()) {
    Clip clip = load_clip(config.ident, "schedule.ident");
    if (clip.facts.readable) ident_ = std::move(clip);
  }
  if (!config.slate.empty()) slate_ = load_clip(config.slate, "schedule.slate");
  slate_.title = config.slate_title;
}

// A config entry is "path", "path|title" or "path|title|loop".
ScheduleBuilder::Clip ScheduleBuilder::load_clip(const std::string& entry, const char* key) {
  Clip clip;
  std::vector<std::string> parts;
  for (std::size_t begin = 0;;) {
    auto bar = entry.find('|', begin);
    parts.push_back(entry.substr(begin, bar - begin));
    if (bar == std::string::npos) break;
    begin = bar + 1;
  }
  clip.media = parts[0];
  clip.title = parts.size() > 1 ? parts[1] : std::filesystem::path(clip.media).stem().string();
  clip.loop = parts.size() > 2 && parts[2] == "loop";
  if (parts.size() > 3 || (parts.size() > 2 && !clip.loop)) {
    diagnostics_.error(config_.file.string(), 0, key,
                       fmt::format("'{}': expected PATH, PATH|TITLE or PATH|TITLE|loop", entry));
  }
  clip.facts = probe_.probe(clip.media);
  clip.duration_ms = frames_floor(clip.facts.duration_ms);
  if (clip.facts.readable && clip.duration_ms <= 0) {
    clip.facts.readable = false;
    clip.facts.error = "shorter than one frame";
  }
  if (!clip.facts.readable) {
    diagnostics_.warning(config_.file.string(), 0, key,
                         fmt::format("'{}' is left out: {}", clip.media, clip.facts.error));
  }
  return clip;
}

Playlist ScheduleBuilder::day(Date day) {
  Playlist p = build(day);
  if (!p.items.empty()) last_event_id_[day] = p.items.back().event_id;
  return p;
}

std::vector<Playlist> ScheduleBuilder::days(Date from, int count) {
  std::vector<Playlist> result;
  result.reserve(count);
  for (int i = 0; i < count; ++i) result.push_back(day(from + std::chrono::days{i}));
  return result;
}

ScheduleBuilder::Planned ScheduleBuilder::plan(const Occurrence& o, std::int64_t next_start) {
  const TimetableRow& row = *o.row;
  Planned p;
  p.row = &row;
  p.start_local = o.start_local_ms;
  p.media = row.media;
  std::int64_t wanted = 0;
  if (row.is_live()) {
    p.kind = ItemKind::live;
    wanted = *o.end_local_ms - o.start_local_ms;
  } else if (MediaFacts facts = probe_.probe(row.media);
             facts.readable && frames_floor(facts.duration_ms) > 0) {
    wanted = frames_floor(facts.duration_ms);
    if (o.end_local_ms && o.start_local_ms + wanted > *o.end_local_ms) {
      p.warnings.push_back(fmt::format("media runs {}, {} past the end of its {} slot",
                                       format_duration(wanted),
                                       format_duration(o.start_local_ms + wanted - *o.end_local_ms),
                                       format_duration(*o.end_local_ms - o.start_local_ms)));
    }
    p.facts = std::move(facts);
  } else {
    p.kind = ItemKind::slate;
    p.media = slate_.media;
    p.loop = true;
    p.facts = slate_.facts;
    wanted = o.end_local_ms ? *o.end_local_ms - o.start_local_ms : config_.missing_slot_ms;
    p.warnings.push_back(fmt::format("media '{}' cannot be played ({}); the slate airs in its slot",
                                     row.media, facts.readable ? "shorter than one frame" : facts.error));
  }
  p.end_local = o.start_local_ms + wanted;
  if (p.end_local > next_start) {
    p.warnings.push_back(fmt::format("cut at the next lesson at {} ({} not aired)",
                                     format_clock(next_start - date_to_ms(ms_to_date(next_start))),
                                     format_duration(p.end_local - next_start)));
    p.end_local = next_start;
  }
  return p;
}

std::vector<ScheduleBuilder::Planned> ScheduleBuilder::plan_hard_events(
    Date day, std::int64_t window_start_local) {
  auto occurrences = occurrences_between(timetable_, week_of_, day - std::chrono::days{1},
                                         day + std::chrono::days{1});
  std::vector<Planned> planned;
  for (std::size_t i = 0; i < occurrences.size(); ++i) {
    const Occurrence& o = occurrences[i];
    if (i > 0 && occurrences[i - 1].start_local_ms == o.start_local_ms) continue;  // overlap error
    std::int64_t next_start = std::numeric_limits<std::int64_t>::max();
    for (std::size_t j = i + 1; j < occurrences.size(); ++j) {
      if (occurrences[j].start_local_ms > o.start_local_ms) {
        next_start = occurrences[j].start_local_ms;
        break;
      }
    }
    Planned p = plan(o, next_start);
    bool starts_today = p.start_local >= window_start_local &&
                        p.start_local < window_start_local + kMsPerDay;
    if (starts_today) {
      for (const auto& w : p.warnings)
        diagnostics_.warning(timetable_.file, p.row->line, "media",
                             fmt::format("{} {}: {}", format_date(ms_to_date(p.start_local)),
                                         p.row->title, w));
    }
    planned.push_back(std::move(p));
  }
  return planned;
}

Playlist ScheduleBuilder::build(Date day) {
  Playlist p;
  p.items.reserve(256);
  p.channel = config_.name;
  p.service_id = config_.service_id;
  p.date = day;
  p.utc_offset_min = config_.utc_offset_min;
  const std::int64_t offset_ms = config_.utc_offset_min * 60'000LL;
  const std::int64_t window_start_local = date_to_ms(day) + config_.day_start_s * kMsPerSecond;
  p.start_utc_ms = window_start_local - offset_ms;
  p.duration_ms = kMsPerDay;

  std::vector<Planned> hard = plan_hard_events(day, window_start_local);
  std::size_t rotation = fillers_.empty() ? 0 : std::size_t(day.time_since_epoch().count()) % fillers_.size();
  std::int64_t cursor = p.start_utc_ms;
  bool starts_with_continuation = false;
  for (const Planned& h : hard) {
    std::int64_t start = std::max(h.start_local - offset_ms, p.start_utc_ms);
    std::int64_t end = std::min(h.end_local - offset_ms, p.end_utc_ms());
    if (end <= start) continue;
    if (start > cursor) fill_gap(p, cursor, start, true, rotation);
    if (start > h.start_local - offset_ms && p.items.empty()) starts_with_continuation = true;
    PlaylistItem item;
    item.start_utc_ms = start;
    item.duration_ms = end - start;
    item.kind = h.kind;
    item.title = h.row->title;
    item.grade = h.row->grade;
    item.subject = h.row->subject;
    item.description = h.row->description;
    item.media = h.media;
    item.in_ms = start - (h.start_local - offset_ms);
    item.out_ms = item.in_ms + item.duration_ms;
    item.loop = h.loop;
    item.hard_start = true;
    item.content_id = content_id_for(config_.crid_authority, lesson_identity(*h.row));
    item.timetable_line = h.row->line;
    item.warnings = h.warnings;
    item.media_facts = h.facts;
    p.items.push_back(std::move(item));
    cursor = end;
  }
  if (cursor < p.end_utc_ms()) {
    bool lesson_at_end = std::any_of(hard.begin(), hard.end(), [&](const Planned& h) {
      return h.start_local - offset_ms == p.end_utc_ms();
    });
    fill_gap(p, cursor, p.end_utc_ms(), lesson_at_end, rotation);
  }
  assign_event_ids(p, starts_with_continuation);
  return p;
}

void ScheduleBuilder::fill_gap(Playlist& p, std::int64_t start, std::int64_t end,
                               bool before_lesson, std::size_t& rotation) {
  bool put_ident = before_lesson && config_.ident_before_lessons && ident_ &&
                   ident_->duration_ms <= end - start;
  std::int64_t fill_end = put_ident ? end - ident_->duration_ms : end;
  if (fill_end > start) push_fillers(p, start, fill_end, rotation);
  if (put_ident) p.items.push_back(clip_item(*ident_, ItemKind::ident, fill_end, ident_->duration_ms));
}

PlaylistItem ScheduleBuilder::clip_item(const Clip& clip, ItemKind kind, std::int64_t start_utc,
                                        std::int64_t duration_ms) const {
  PlaylistItem item;
  item.start_utc_ms = start_utc;
  item.duration_ms = duration_ms;
  item.kind = kind;
  item.title = clip.title;
  item.media = clip.media;
  item.out_ms = duration_ms;
  item.loop = duration_ms > clip.duration_ms;
  item.content_id = content_id_for(config_.crid_authority, clip.media);
  item.media_facts = clip.facts;
  return item;
}

// Fillers in rotation order, each whole where it fits; the first that fits (or loops) is taken
// so that cuts are rare, and only the last piece of a gap is trimmed.
void ScheduleBuilder::push_fillers(Playlist& p, std::int64_t start, std::int64_t end,
                                   std::size_t& rotation) {
  if (fillers_.empty()) return push_slate(p, start, end);
  while (start < end) {
    std::int64_t remaining = end - start;
    const Clip* chosen = nullptr;
    for (std::size_t k = 0; k < fillers_.size() && !chosen; ++k) {
      const Clip& candidate = fillers_[(rotation + k) % fillers_.size()];
      if (candidate.duration_ms <= remaining || candidate.loop) {
        chosen = &candidate;
        rotation += k + 1;
      }
    }
    if (!chosen) chosen = &fillers_[rotation++ % fillers_.size()];
    std::int64_t longest = chosen->loop ? frames_floor(config_.max_loop_ms) : chosen->duration_ms;
    std::int64_t duration_ms = std::min(longest, remaining);
    p.items.push_back(clip_item(*chosen, ItemKind::filler, start, duration_ms));
    start += duration_ms;
  }
}

void ScheduleBuilder::push_slate(Playlist& p, std::int64_t start, std::int64_t end) {
  PlaylistItem item;
  item.start_utc_ms = start;
  item.duration_ms = end - start;
  item.kind = ItemKind::slate;
  item.title = config_.slate_title;
  item.description = config_.slate_text;
  item.media = slate_.media;
  item.out_ms = item.duration_ms;
  item.loop = true;
  if (!slate_.media.empty()) item.media_facts = slate_.facts;
  p.items.push_back(std::move(item));
}

void ScheduleBuilder::assign_event_ids(Playlist& p, bool starts_with_continuation) {
  int index = 0;
  for (std::size_t i = 0; i < p.items.size(); ++i) {
    if (i == 0 && starts_with_continuation) {
      Date previous = p.date - std::chrono::days{1};
      auto it = last_event_id_.find(previous);
      if (it == last_event_id_.end()) {
        Diagnostics quiet;  // the previous day is built only for its id; its warnings are not ours
        std::swap(quiet, diagnostics_);
        day(previous);
        std::swap(quiet, diagnostics_);
        it = last_event_id_.find(previous);
      }
      p.items[0].event_id = it->second;
      continue;
    }
    if (index == kMaxItemsPerDay) {
      diagnostics_.error(config_.file.string(), 0, "schedule.filler",
                         fmt::format("{}: more than {} items in one broadcast day, so event ids "
                                     "would repeat; use longer fillers",
                                     format_date(p.date), kMaxItemsPerDay));
    }
    p.items[i].event_id = event_id_for(p.date, index++ % kMaxItemsPerDay);
  }
}

bool continues_previous_day(const Playlist& day) {
  return !day.items.empty() && day.items[0].hard_start && day.items[0].in_ms > 0;
}

void collect_event_ids(const Playlist& day, std::vector<EventIdUse>& uses) {
  for (std::size_t i = continues_previous_day(day) ? 1 : 0; i < day.items.size(); ++i) {
    const auto& item = day.items[i];
    uses.push_back({day.date, item.event_id, item.timetable_line,
                    day.to_local_ms(item.start_utc_ms), item.title});
  }
}

std::string EventIdUse::where() const {
  Date local_date = ms_to_date(start_local_ms);
  return fmt::format("{} {} {}", format_date(local_date),
                     format_clock(start_local_ms - date_to_ms(local_date)), title);
}

void check_event_ids(const std::vector<EventIdUse>& uses, const std::string& timetable_file,
                     Diagnostics& diagnostics) {
  std::map<std::uint16_t, std::vector<const EventIdUse*>> by_id;
  for (const auto& use : uses) by_id[use.event_id].push_back(&use);
  for (const auto& [id, list] : by_id) {
    for (std::size_t a = 0; a < list.size(); ++a) {
      for (std::size_t b = a + 1; b < list.size(); ++b) {
        if (list[b]->date - list[a]->date > std::chrono::days{8}) break;  // outside one EIT window
        diagnostics.error(timetable_file, list[b]->timetable_line, "event_id",
                          fmt::format("event id {} of {} is also used by {}", id, list[b]->where(),
                                      list[a]->where()));
      }
    }
  }
}

}  // namespace skyclass::scheduler

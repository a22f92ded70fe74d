#include "headend/timeline.hpp"

#include <algorithm>
#include <regex>
#include <stdexcept>

#include <fmt/format.h>

#include "headend/channel_si.hpp"
#include "scheduler/epg.hpp"

namespace fs = std::filesystem;

namespace skyclass::headend {
namespace {

// Open-ended run-out slates come in chunks on this grid (UTC), so at() and eit_events() agree.
constexpr std::int64_t kRunoutChunkMs = 6 * 3600 * 1000LL;
constexpr std::int64_t kEightDaysMs = 8 * 24 * 3600 * 1000LL;

bool is_playlist_name(const fs::path& file) {
  static const std::regex name(R"(\d{4}-\d{2}-\d{2}\.json)");
  return std::regex_match(file.filename().string(), name);
}

std::int64_t floor_to(std::int64_t value, std::int64_t step) {
  const std::int64_t q = value / step;
  return (value % step < 0 ? q - 1 : q) * step;
}

}  // namespace

std::string slate_media(const scheduler::ChannelConfig& channel) {
  return channel.slate.substr(0, channel.slate.find('|'));
}

Timeline::Timeline(fs::path playlists_dir, const scheduler::ChannelConfig& channel)
    : dir_(std::move(playlists_dir)), channel_(channel) {
  std::error_code ec;
  if (!fs::is_directory(dir_, ec)) {
    throw std::runtime_error(fmt::format("{}: not a folder of day playlists", dir_.string()));
  }
  stamps_ = scan();
  for (const FileStamp& s : stamps_) days_.push_back(scheduler::read_playlist(s.path));
  index();
}

std::vector<Timeline::FileStamp> Timeline::scan() const {
  std::vector<FileStamp> stamps;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(dir_, ec)) {
    if (!entry.is_regular_file(ec) || !is_playlist_name(entry.path())) continue;
    stamps.push_back({entry.path(), entry.last_write_time(ec), entry.file_size(ec)});
  }
  std::sort(stamps.begin(), stamps.end(),
            [](const FileStamp& a, const FileStamp& b) { return a.path < b.path; });
  return stamps;
}

bool Timeline::reload(std::vector<std::string>& problems) {
  std::vector<FileStamp> now = scan();
  if (now == stamps_) return false;
  std::vector<scheduler::Playlist> days;
  std::vector<FileStamp> kept;
  for (const FileStamp& s : now) {
    try {
      days.push_back(scheduler::read_playlist(s.path));
      kept.push_back(s);
    } catch (const std::exception& e) {
      problems.push_back(e.what());
      // Keep the version read before, if there was one.
      auto old = std::find_if(days_.begin(), days_.end(), [&](const scheduler::Playlist& p) {
        return scheduler::format_date(p.date) + ".json" == s.path.filename().string();
      });
      if (old != days_.end()) days.push_back(*old);
      kept.push_back(s);
    }
  }
  days_ = std::move(days);
  stamps_ = std::move(kept);
  index();
  return true;
}

void Timeline::index() {
  std::sort(days_.begin(), days_.end(), [](const auto& a, const auto& b) {
    return a.start_utc_ms < b.start_utc_ms;
  });
  items_.clear();
  for (const scheduler::Playlist& day : days_) {
    for (const scheduler::PlaylistItem& item : day.items) items_.push_back(&item);
  }
  std::stable_sort(items_.begin(), items_.end(), [](const auto* a, const auto* b) {
    return a->start_utc_ms < b->start_utc_ms;
  });
}

scheduler::PlaylistItem Timeline::runout_item(std::int64_t start_utc_ms,
                                              std::int64_t end_utc_ms) const {
  scheduler::PlaylistItem item;
  item.start_utc_ms = start_utc_ms;
  item.duration_ms = end_utc_ms - start_utc_ms;
  item.kind = scheduler::ItemKind::slate;
  item.title = channel_.slate_title;
  item.description = channel_.slate_text;
  item.media = slate_media(channel_);
  item.in_ms = 0;
  item.out_ms = item.duration_ms;
  item.loop = true;
  // Unique within any 8 days: one id per 3-minute start window.
  item.event_id = static_cast<std::uint16_t>(
      kRunoutEventIdBase + (floor_to(start_utc_ms, 180'000) / 180'000) % 3839);
  return item;
}

TimelineItem Timeline::at(std::int64_t utc_ms) const {
  auto after = std::upper_bound(items_.begin(), items_.end(), utc_ms,
                                [](std::int64_t t, const auto* item) { return t < item->start_utc_ms; });
  std::int64_t gap_start = floor_to(utc_ms, kRunoutChunkMs);
  if (after != items_.begin()) {
    const scheduler::PlaylistItem* before = *std::prev(after);
    if (utc_ms < before->end_utc_ms()) return {*before, false};
    gap_start = before->end_utc_ms();
  }
  if (after != items_.end()) return {runout_item(gap_start, (*after)->start_utc_ms), true};
  // Open-ended: chunks from the gap's start, the first one ending on the chunk grid.
  std::int64_t start = gap_start;
  std::int64_t end = floor_to(start, kRunoutChunkMs) + kRunoutChunkMs;
  while (utc_ms >= end) {
    start = end;
    end += kRunoutChunkMs;
  }
  return {runout_item(start, end), true};
}

std::vector<mux::EpgEvent> Timeline::eit_events(std::int64_t from_utc_ms) const {
  const std::int64_t until = from_utc_ms + kEightDaysMs;
  std::vector<scheduler::Playlist> window;
  for (const scheduler::Playlist& day : days_) {
    if (day.end_utc_ms() > from_utc_ms - 24 * 3600 * 1000LL && day.start_utc_ms < until)
      window.push_back(day);
  }
  std::vector<scheduler::EpgEvent> events = scheduler::epg_events(window);
  // The run-out slates in the window.
  for (std::int64_t t = from_utc_ms; t < until;) {
    TimelineItem on_air = at(t);
    if (on_air.runout) {
      scheduler::EpgEvent e;
      e.event_id = on_air.item.event_id;
      e.start_utc_ms = on_air.item.start_utc_ms;
      e.duration_ms = on_air.item.duration_ms;
      e.title = on_air.item.title;
      e.text = on_air.item.description;
      e.kind = scheduler::ItemKind::slate;
      events.push_back(e);
    }
    t = on_air.item.end_utc_ms();
    if (!on_air.runout) {
      // Skip to the end of the playlist run this item belongs to.
      auto next = std::upper_bound(items_.begin(), items_.end(), t - 1,
                                   [](std::int64_t v, const auto* item) { return v < item->start_utc_ms; });
      while (next != items_.end() && (*next)->start_utc_ms == t) {
        t = (*next)->end_utc_ms();
        ++next;
      }
    }
  }
  std::sort(events.begin(), events.end(),
            [](const auto& a, const auto& b) { return a.start_utc_ms < b.start_utc_ms; });
  return headend::eit_events(events, channel_.language);
}

}  // namespace skyclass::headend

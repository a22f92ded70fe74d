#pragma once
// The channel's timeline: the day playlists of a folder (`skyclass-scheduler build` output) as
// one continuous run of items, and what is on air at any UTC millisecond. Where no playlist
// covers a time (the playlists ran out, or a day is missing), the timeline gives a slate item
// from that time to the next playlist item, with the channel's "programme resumes soon" title,
// so playout never has nothing to play and the EPG says what is happening.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "mux/epg.hpp"
#include "scheduler/channel_config.hpp"
#include "scheduler/playlist.hpp"

namespace skyclass::headend {

// Event ids of the run-out slates: above every id the scheduler gives (1 + 29 * 2048 + 2047).
inline constexpr std::uint16_t kRunoutEventIdBase = 0xF100;

// The slate's media path ([schedule] slate is "PATH" or "PATH|TITLE").
std::string slate_media(const scheduler::ChannelConfig& channel);

struct TimelineItem {
  scheduler::PlaylistItem item;
  bool runout = false;  // made by the timeline for a time no playlist covers
};

class Timeline {
 public:
  // Reads every YYYY-MM-DD.json of `playlists_dir`. Throws std::runtime_error naming the file
  // for a playlist that cannot be read, and naming the folder when it does not exist.
  Timeline(std::filesystem::path playlists_dir, const scheduler::ChannelConfig& channel);

  // Re-reads the folder if any playlist appeared, changed or went away since the last load
  // (the scheduler replaces files by rename, so a reader never sees half a file). Returns true
  // when something changed. A playlist that fails to read keeps its previous version; the
  // problem is returned in `problems`.
  bool reload(std::vector<std::string>& problems);

  // The item on air at `utc_ms`: a playlist item, or a run-out slate that starts at the end of
  // the previous playlist item (or at `utc_ms` when there is none before it) and ends at the
  // next playlist item (open-ended items last until the next whole hour plus 24 h).
  TimelineItem at(std::int64_t utc_ms) const;

  // EIT events for [from_utc_ms, from + 8 days): one per playlist item as the scheduler's
  // epg_events() gives them, and one per run-out gap, with the channel's language.
  std::vector<mux::EpgEvent> eit_events(std::int64_t from_utc_ms) const;

  const std::vector<scheduler::Playlist>& days() const { return days_; }
  const std::filesystem::path& dir() const { return dir_; }

 private:
  struct FileStamp {
    std::filesystem::path path;
    std::filesystem::file_time_type mtime;
    std::uintmax_t size = 0;
    bool operator==(const FileStamp&) const = default;
  };
  std::vector<FileStamp> scan() const;
  void index();
  scheduler::PlaylistItem runout_item(std::int64_t start_utc_ms, std::int64_t end_utc_ms) const;

  std::filesystem::path dir_;
  scheduler::ChannelConfig channel_;
  std::vector<FileStamp> stamps_;
  std::vector<scheduler::Playlist> days_;            // by start
  std::vector<const scheduler::PlaylistItem*> items_;  // every item of days_, by start
};

}  // namespace skyclass::headend

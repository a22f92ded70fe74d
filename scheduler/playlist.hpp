#pragma once
// A day's playlist: the complete rundown of one broadcast day (docs/playlist.md). Every frame of
// the 24 hours belongs to exactly one item. The JSON keys are an interface: the headend, the
// receiver tests and `skyclass-scheduler show` read exactly what `to_json` writes.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "scheduler/civil_time.hpp"
#include "scheduler/media_probe.hpp"

namespace skyclass::scheduler {

enum class ItemKind { lesson, filler, ident, slate, live };
std::string_view to_string(ItemKind kind);
std::optional<ItemKind> parse_item_kind(std::string_view text);

struct PlaylistItem {
  std::int64_t start_utc_ms = 0;
  std::int64_t duration_ms = 0;  // a whole number of frames
  ItemKind kind = ItemKind::filler;
  std::string title, grade, subject, description;
  std::string media;             // relative to the media library; "live:srt://…" for live
  std::int64_t in_ms = 0;        // where in the media the item starts
  std::int64_t out_ms = 0;       // in_ms + duration_ms; past the media's end only when `loop`
  bool loop = false;             // the media repeats to fill the item (slates)
  bool hard_start = false;       // must start on its frame (lessons, live, their slates)
  std::uint16_t event_id = 0;    // EIT event id; a lesson split across days keeps one id
  std::string content_id;        // CRID shared by every airing of the same content
  int timetable_line = 0;        // the CSV line it came from, 0 for fillers
  std::vector<std::string> warnings;
  std::optional<MediaFacts> media_facts;

  std::int64_t end_utc_ms() const { return start_utc_ms + duration_ms; }
};

struct Playlist {
  std::string channel;
  std::uint16_t service_id = 0;
  Date date{};                    // the broadcast day (its local start date)
  int utc_offset_min = 0;
  std::int64_t start_utc_ms = 0;  // the broadcast day's first frame
  std::int64_t duration_ms = 0;   // 24 h
  std::vector<PlaylistItem> items;

  std::int64_t end_utc_ms() const { return start_utc_ms + duration_ms; }
  std::int64_t to_local_ms(std::int64_t utc_ms) const { return utc_ms + utc_offset_min * 60'000LL; }
};

// The playlist as JSON text, keys in the documented order.
std::string to_json_text(const Playlist& playlist);
// Throws std::runtime_error naming the item index and key when the JSON does not have the shape.
Playlist playlist_from_json(const nlohmann::json& j);

// Writes `dir/YYYY-MM-DD.json` through a temp file and rename, so readers never see half a file.
std::filesystem::path write_playlist(const Playlist& playlist, const std::filesystem::path& dir);
Playlist read_playlist(const std::filesystem::path& file);

// Writes playlists beside their final names and renames them into place together on commit();
// whatever was not committed is removed, so a build that fails half-way changes nothing.
class StagedPlaylists {
 public:
  explicit StagedPlaylists(std::filesystem::path dir);
  ~StagedPlaylists();
  std::filesystem::path stage(const Playlist& playlist);  // returns the final path
  void commit();

 private:
  std::filesystem::path dir_;
  std::vector<std::pair<std::filesystem::path, std::filesystem::path>> staged_;  // temp, final
};

// Checks that the items tile the day: the first starts at the day's start, each starts where the
// previous ended, the last ends at the day's end, and every duration is a positive whole number of
// frames. Returns the problems found, empty when the day is whole.
std::vector<std::string> check_tiling(const Playlist& playlist, std::int64_t frame_ms);

}  // namespace skyclass::scheduler

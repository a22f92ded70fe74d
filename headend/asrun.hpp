#pragma once
// The as-run log: one JSON line per item that went to air, written when the item leaves the air
// (or when playout stops in the middle of it), so the log says what really happened. Lines are
// appended and flushed one at a time: a restart continues the same log, and a crash loses at
// most the item that was on air.
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <string>
#include <string_view>

#include <nlohmann/json_fwd.hpp>

namespace skyclass::headend {

enum class Outcome {
  played,    // as scheduled (joined part-way through on a start or restart: see `reason`)
  cut,       // the media is longer than its slot and was cut at the slot's end
  slate,     // the media could not be played at all: the slate filled the slot
  live,      // a live source filled the slot
  fallback,  // part of the item went to air, then the slate filled the rest of the slot
};
std::string_view to_string(Outcome outcome);

struct AsRunEntry {
  std::int64_t scheduled_utc_ms = 0;
  std::int64_t actual_utc_ms = 0;  // the first frame, on the stream's own clock
  std::int64_t duration_ms = 0;    // time on air
  std::string kind, title, media;
  std::uint16_t event_id = 0;
  Outcome outcome = Outcome::played;
  std::string reason;
  // Beyond the required keys: where the item's first frame sits in the stream, and the media.
  std::int64_t first_pts_90k = 0;  // output PTS of the first frame (33-bit wrap not applied)
  std::int64_t media_in_ms = 0;    // media time of the first frame
  std::int64_t frames = 0;
  bool hard_start = false;
};
void to_json(nlohmann::json& j, const AsRunEntry& e);

class AsRunLog {
 public:
  // Empty path: no log. Throws std::runtime_error naming the file when it cannot be opened.
  explicit AsRunLog(const std::filesystem::path& file);
  ~AsRunLog();
  AsRunLog(const AsRunLog&) = delete;
  AsRunLog& operator=(const AsRunLog&) = delete;

  void write(const AsRunEntry& entry);

 private:
  std::FILE* out_ = nullptr;
  std::filesystem::path file_;
};

}  // namespace skyclass::headend

#pragma once
// Media facts from probing the real files with libavformat, cached by path + mtime + size, so a
// week of lessons is probed once and re-probed only when a file changes.
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include <nlohmann/json_fwd.hpp>

namespace skyclass::scheduler {

struct VideoFacts {
  std::string codec;
  int width = 0, height = 0;
  int fps_num = 0, fps_den = 1;
  int sar_num = 1, sar_den = 1;
  bool interlaced = false;
};

struct AudioFacts {
  std::string codec;
  int sample_rate = 0, channels = 0;
};

struct MediaFacts {
  bool readable = false;  // false: missing or undecodable; `error` says why
  std::string error;
  std::int64_t duration_ms = 0;
  std::string format;
  std::optional<VideoFacts> video;
  std::optional<AudioFacts> audio;
};

void to_json(nlohmann::json& j, const MediaFacts& facts);
void from_json(const nlohmann::json& j, MediaFacts& facts);

// Opens the file with libavformat and reads stream facts. A file is readable only if it has a
// video stream whose first packets decode; otherwise `error` names what failed.
MediaFacts probe_media_file(const std::filesystem::path& file);

class MediaProbe {
 public:
  // `cache_file` may be empty: no persistent cache.
  MediaProbe(std::filesystem::path library_dir, std::filesystem::path cache_file);

  // Facts for a path relative to the library. Thread-safe.
  MediaFacts probe(const std::string& relative_path);
  // Writes the cache if anything changed (atomically: temp file + rename).
  void save() const;

  int probes_run() const { return probes_run_; }
  int cache_hits() const { return cache_hits_; }
  const std::filesystem::path& library_dir() const { return library_dir_; }

 private:
  struct Entry {
    std::int64_t mtime_ns = 0;
    std::uintmax_t size = 0;
    MediaFacts facts;
    bool checked_this_run = false;  // stat()ed by this process: no need to look again
  };
  void load();

  std::filesystem::path library_dir_, cache_file_;
  std::map<std::string, Entry> entries_;
  mutable std::mutex mutex_;
  bool dirty_ = false;
  int probes_run_ = 0, cache_hits_ = 0;
};

}  // namespace skyclass::scheduler

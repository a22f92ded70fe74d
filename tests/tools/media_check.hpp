#pragma once
// Independent checks on written clips with libavformat/libavcodec: what the container says, and
// what actually decodes.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

extern "C" {
#include <libavutil/rational.h>
}

namespace skyclass::tools::testing {

struct VideoInfo {
  std::string codec;
  int width = 0, height = 0;
  AVRational fps{0, 1}, sar{0, 1};
  bool interlaced_tff = false;
  double duration_s = 0;
};

struct AudioInfo {
  std::string codec;
  int mpeg_layer = 0;  // from the first packet's header, for MPEG audio
  int sample_rate = 0, channels = 0;
  double duration_s = 0;
};

struct MediaInfo {
  std::string open_error;  // empty if the file opened and its streams were found
  std::string format;
  double duration_s = 0;
  int streams = 0;
  std::optional<VideoInfo> video;
  std::optional<AudioInfo> audio;
};

MediaInfo probe(const std::filesystem::path& file);

struct DecodeResult {
  std::string open_error;
  int video_frames = 0;
  std::int64_t audio_samples = 0;           // per channel
  int errors = 0;                           // packets or frames the decoders refused
  std::vector<std::int64_t> frame_codes;    // read_frame_code() of each picture, -1 if unreadable
  std::vector<std::int64_t> frame_indices;  // each picture's PTS in frames
  double min_rms_100ms = 1.0;               // quietest 100 ms window of the first audio channel
};

// Decodes every packet of the file's video and audio streams.
DecodeResult decode_all(const std::filesystem::path& file);

std::string read_bytes(const std::filesystem::path& file);

// A fresh folder under the system temp folder, removed with everything in it.
class TempDir {
 public:
  explicit TempDir(const std::string& name);
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

}  // namespace skyclass::tools::testing

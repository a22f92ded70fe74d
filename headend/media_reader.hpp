#pragma once
// Decode and normalise: one media file in, the channel's house format out, one frame period at a
// time. A frame period is one picture (yuv420p at the house size, SAR set, letterboxed or
// pillarboxed to keep the source's display aspect, deinterlaced when the source is interlaced)
// and exactly the audio samples of that period (interleaved signed 16-bit at the house rate and
// channel count, loudness-corrected). Pictures and sound of one period come from the same media
// time, so A/V sync holds by construction: period k covers media time [in + k/fps, in + (k+1)/fps).
//
// Frame rates other than the house rate are converted by timestamp: period k shows the latest
// source picture whose presentation time is <= the period's start (repeating or dropping source
// pictures). Audio is resampled with libswresample (mono is up-mixed, any rate to the house rate);
// a source without audio gives silence.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

#include "headend/av_raii.hpp"
#include "scheduler/channel_config.hpp"

namespace skyclass::headend {

// The channel's picture and sound format (channel.ini [video] and [audio]).
struct HouseFormat {
  int width = 720, height = 576;
  AVRational sample_aspect{64, 45};  // 16:9 on 720x576 (4:3 is 16:15)
  int fps = 25;
  int sample_rate = 48'000, channels = 2;
  std::optional<double> loudness_target_lufs = -23.0;  // nullopt: no loudness correction

  // Samples in frame period `index` (so that periods add up exactly to sample_rate per second:
  // floor((index + 1) * rate / fps) - floor(index * rate / fps)); 1920 at 48 kHz, 25 fps.
  int samples_in_period(std::int64_t index) const;
  static HouseFormat from(const scheduler::ChannelConfig& config);
};

// What a media file failed on. The message starts with the file.
class MediaError : public std::runtime_error {
 public:
  enum class Kind {
    open,         // missing, unreadable, not a media file, or no video stream
    decode,       // a decode error, or a damaged stream, in the middle
    ended_early,  // the media ends before the item does (truncated), and the item does not loop
  };
  MediaError(Kind kind, const std::string& message) : std::runtime_error(message), kind(kind) {}
  Kind kind;
};
std::string_view to_string(MediaError::Kind kind);

// One frame period in the house format.
struct HouseFrame {
  av::FramePtr picture;  // AV_PIX_FMT_YUV420P, house width x height, sample_aspect_ratio set
  av::FramePtr sound;    // AV_SAMPLE_FMT_S16 interleaved, house rate and channels,
                         // nb_samples = HouseFormat::samples_in_period(index)
  std::int64_t index = 0;     // period number from the reader's start, 0-based
  std::int64_t media_ms = 0;  // media time of the period's start (in_ms + index / fps, wrapped
                              // when looping)
};

// Facts about the opened media and what normalising it costs, for the as-run and status.
struct MediaReaderStats {
  int source_width = 0, source_height = 0;
  double source_fps = 0;
  bool interlaced = false;
  bool has_audio = false;
  int source_sample_rate = 0, source_channels = 0;
  std::optional<double> measured_lufs;  // the source's integrated loudness, when measured
  double gain_db = 0;                   // the gain applied to reach the target
  std::uint64_t pictures_repeated = 0;  // source pictures shown in more than one period
  std::uint64_t pictures_dropped = 0;   // source pictures shown in no period
  std::uint64_t loops = 0;              // times the media restarted from its beginning
  std::uint64_t pictures_decoded = 0;   // source pictures decoded, those before in_ms included
                                        // (what the seek cost)
};

class MediaReader {
 public:
  // Opens `file` and positions it at `in_ms` (accurately: decoding from the key frame before and
  // dropping what comes before in_ms). With `loop`, the media restarts from 0 when it ends.
  // Throws MediaError (Kind::open) naming the file when it cannot be opened or has no video.
  MediaReader(const std::filesystem::path& file, std::int64_t in_ms, bool loop,
              const HouseFormat& house);
  ~MediaReader();
  MediaReader(MediaReader&&) noexcept;
  MediaReader& operator=(MediaReader&&) noexcept;

  // The next frame period. Returns false when the media has ended (never when looping). Throws
  // MediaError (Kind::decode) on a decode error or damaged data; the reader is unusable after a
  // throw. A media that ends earlier than its container said is reported by the caller, which
  // knows how long the item is (Kind::ended_early).
  bool next(HouseFrame& out);

  const MediaReaderStats& stats() const;
  const std::filesystem::path& file() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// A black picture and silence in the house format (the last resort when even the slate fails).
HouseFrame black_frame(const HouseFormat& house, std::int64_t index);

}  // namespace skyclass::headend

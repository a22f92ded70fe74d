#pragma once
// The playout engine: what is on air (a Programme: the day playlists, or one file for transcode)
// in, one continuous DVB transport stream out to every sink.
//
//   Programme --item at t--> sequencer --MediaReader (decode, normalise)--> house frames
//     --VideoEncoder + AudioEncoder (one each for the whole run)--> access units
//     --mux::Multiplexer + SiGenerator (EIT from the programme)--> 188-byte packets
//     --pacer (real clock only)--> sinks
//
// The run's timeline: frame n of the run is the picture of UTC origin + n frame periods, with
// PTS n * 90000 / fps; its audio is the samples of that period. Items start on their frame
// because the timeline is frame-exact and every item is a whole number of frames; each item's
// first frame is an IDR. Packet 0 of the stream sits at the UTC time that makes every frame's
// presentation time (PTS against the PCR) equal its UTC time: TDT/TOT and the EIT now/next
// follow the same clock, virtual or real.
#include <atomic>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "headend/media_reader.hpp"
#include "headend/timeline.hpp"
#include "mux/epg.hpp"
#include "scheduler/channel_config.hpp"

namespace skyclass::headend {

// What to play: at any UTC time, one item; and the EIT events around a time.
class Programme {
 public:
  virtual ~Programme() = default;
  virtual TimelineItem at(std::int64_t utc_ms) const = 0;
  virtual std::vector<mux::EpgEvent> eit_events(std::int64_t from_utc_ms) const = 0;
  // Picks up changed playlists; true when the items or events may have changed.
  virtual bool refresh(std::vector<std::string>& problems) = 0;
  // The file of an item's media (a library path made absolute).
  virtual std::filesystem::path media_file(const std::string& media) const = 0;
};

// The day playlists of a folder (Timeline), media relative to the library folder.
class PlaylistProgramme final : public Programme {
 public:
  PlaylistProgramme(std::filesystem::path playlists_dir, std::filesystem::path media_dir,
                    const scheduler::ChannelConfig& channel);
  TimelineItem at(std::int64_t utc_ms) const override { return timeline_.at(utc_ms); }
  std::vector<mux::EpgEvent> eit_events(std::int64_t from_utc_ms) const override {
    return timeline_.eit_events(from_utc_ms);
  }
  bool refresh(std::vector<std::string>& problems) override { return timeline_.reload(problems); }
  std::filesystem::path media_file(const std::string& media) const override;

 private:
  Timeline timeline_;
  std::filesystem::path media_dir_;
};

enum class ClockMode { real, virtual_time };

struct PlayoutOptions {
  scheduler::ChannelConfig channel = scheduler::default_channel_config();
  std::vector<std::string> outputs;  // sink specs (file:PATH, ...)
  ClockMode clock = ClockMode::virtual_time;
  std::int64_t start_utc_ms = 0;             // virtual clock: where the run starts
  std::optional<std::int64_t> duration_ms;   // none: until stopped
  std::uint64_t muxrate_bps = 0;             // 0: channel.muxrate_bps
  std::filesystem::path asrun_file;          // empty: none
  std::filesystem::path status_file;         // empty: none
  std::int64_t status_interval_ms = 1000;    // wall-clock period of the status file
};

struct PlayoutResult {
  std::int64_t origin_utc_ms = 0;  // UTC of frame 0
  std::int64_t frames = 0;
  std::uint64_t packets = 0;
  std::uint64_t items = 0;
  std::uint64_t fallbacks = 0;  // items with outcome slate or fallback
  std::uint64_t pictures_repeated = 0, pictures_dropped = 0;
  std::int64_t audio_samples = 0;
  std::int64_t max_av_offset_samples = 0;  // largest |audio samples - frames' samples| seen
  double wall_s = 0;
  bool stopped = false;  // by the stop flag (a signal)
};

// Runs until duration_ms of channel time has gone to air, or `stop` becomes true (then the
// current frame is finished, the encoders and the mux are drained and the sinks closed). Throws
// std::runtime_error for what stops playout from starting (a bad config, an output that cannot
// be opened); once on air, media problems become the slate and never stop the run.
PlayoutResult run_playout(const PlayoutOptions& options, Programme& programme,
                          const std::atomic<bool>& stop);

// The status file as an engineer reads it (`skyclass-headend status`).
std::string format_status(const std::string& status_json);

}  // namespace skyclass::headend

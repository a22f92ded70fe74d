#pragma once
// One file into a DVB-profile transport stream with SI, on the playout engine: the file is the
// only item of a programme that starts at `start_utc_ms` and lasts as long as the media, so the
// output is exactly what playout would put on air for it (house format, encoders, mux, EIT).
#include <cstdint>
#include <filesystem>

#include "headend/playout.hpp"
#include "scheduler/channel_config.hpp"

namespace skyclass::headend {

struct TranscodeOptions {
  std::filesystem::path input;
  std::filesystem::path output;
  scheduler::ChannelConfig channel = scheduler::default_channel_config();
  std::uint64_t muxrate_bps = 0;      // 0: channel.muxrate_bps
  std::int64_t start_utc_ms = 0;      // UTC of the first frame (TDT/TOT, EIT)
};

struct TranscodeResult {
  PlayoutResult playout;
  std::int64_t media_duration_ms = 0;
};

// Throws std::runtime_error naming the input when it cannot be read at all, and leaves OUT as
// it was; the output is written beside OUT and renamed into place when complete.
TranscodeResult transcode(const TranscodeOptions& options);

}  // namespace skyclass::headend

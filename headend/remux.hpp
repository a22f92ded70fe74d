#pragma once
// Remux: an existing H.264 + MPEG audio/AAC file into the channel's DVB transport stream, without
// re-encoding. libavformat reads the input; everything from the access units on is skyclass::mux
// (PES, PSI/SI with the EIT, CBR at the muxrate, PCR, T-STD).
//
//   input --libavformat--> packets --EsConverter--> access units (Annex B + AUD | ADTS, 90 kHz)
//         --interleave by DTS--> mux::Multiplexer (+ mux::SiGenerator) --> 188-byte packets -->
//         file
//
// The output is written to a temporary file beside OUT and renamed into place when complete, so
// OUT is either the whole transport stream or untouched.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "mux/epg.hpp"
#include "scheduler/channel_config.hpp"

namespace skyclass::headend {

// Where the elementary streams' peak rates (mux::ElementaryStreamConfig::max_bitrate_bps, from
// which the mux decides whether the muxrate can carry the service) come from.
enum class EsRateSource {
  scan,    // what this file needs within the mux delay (scan_peak_rates)
  config,  // [video] and [audio] bitrate_bps of channel.ini: what the channel's encoder promises
};

struct RemuxOptions {
  std::filesystem::path input;
  std::filesystem::path output;
  scheduler::ChannelConfig channel = scheduler::default_channel_config();
  std::uint64_t muxrate_bps = 0;  // 0: channel.muxrate_bps
  std::vector<mux::EpgEvent> events;
  std::int64_t start_utc_s = 0;  // UTC of the first packet: the TDT/TOT clock and EIT "now"
  EsRateSource es_rates = EsRateSource::scan;
};

struct RemuxStreamFigures {
  int input_index = -1;
  std::string codec;  // libavcodec name of the input stream
  std::uint16_t pid = 0;
  std::uint8_t stream_type = 0;
  std::uint64_t access_units = 0;
  std::uint64_t max_bitrate_bps = 0;  // as declared to the mux
  std::uint64_t inserted = 0;         // AUDs (video) or ADTS headers (audio) the remux added
};

struct RemuxResult {
  std::uint64_t ts_packets = 0;
  std::uint64_t output_bytes = 0;  // ts_packets x 188
  std::uint64_t input_bytes = 0;
  std::uint64_t muxrate_bps = 0;
  std::uint64_t required_bitrate_bps = 0;  // what the mux needs for the declared streams and SI
  double duration_s = 0;                   // of the output, at the muxrate
  bool rates_from_index = false;           // the scan read the sample index, not the packets
  RemuxStreamFigures video, audio;
  std::size_t epg_events = 0;
  std::size_t rejected_events = 0;  // events the EIT cannot carry (mux::epg_event_is_valid)
};

// Throws std::runtime_error naming the input file and stream (and the mux's PID and timestamps)
// on any problem; OUT is then left as it was.
RemuxResult remux(const RemuxOptions& options);

}  // namespace skyclass::headend

#pragma once
// The CBR multiplexer: access units in, 188-byte packets out, every packet slot scheduled.
//
// Output timeline
//  - Packet k starts at clock time start_pcr_27mhz + floor(k * 188 * 8 * 27e6 / muxrate_bps); a PCR
//    in it is the time of its byte 10 (pcr.hpp). Nothing else moves the clock.
//  - The first access unit pushed (any PID) gets output DTS = start (in 90 kHz) + mux_delay_90k.
//    Every access unit is shifted by that same offset, so the caller's spacing and A/V alignment
//    are kept exactly. Input timestamps are one unwrapped 64-bit timeline; the output is written
//    modulo 2^33 (PTS, DTS, PCR base) and stays continuous across that wrap.
//  - An access unit may be sent from (output DTS - its lead) on (an audio PES from its first DTS
//    + audio_pes_max_duration - its lead) and must be complete in the T-STD by its DTS. The lead
//    is mux_delay, or for audio at most audio_max_lead: a small audio buffer filled a whole
//    mux_delay ahead at the start would hold the next audio PES back for most of that delay
//    (TR 101 290 2.5 wants a PTS at least every 700 ms). If the
//    muxrate cannot make that, pull() throws MuxError: time is never stretched, DTS never delayed.
//  - `discontinuity` on an access unit says the caller's timeline jumped before it. The output
//    does not jump: the first such AU re-maps the timeline so that its DTS follows the previous AU
//    of its PID by that PID's last DTS step; the first AU flagged on each other PID joins the same
//    new mapping (so A/V alignment after the jump is the caller's). No discontinuity_indicator is
//    ever set: PCR, PTS and DTS stay continuous.
//
// Slot priority: PCR when due (on a packet of the PCR PID's stream if one may go, else an
// adaptation-only packet), then PSI/SI from the SiSource, then elementary-stream data by earliest
// DTS as the T-STD allows, then null packets.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <vector>

#include "mux/pes.hpp"
#include "mux/si_source.hpp"
#include "mux/tstd.hpp"

namespace skyclass::mux {

class MuxError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ElementaryStreamConfig {
  std::uint16_t pid = 0;
  StreamKind kind = StreamKind::h264;
  std::uint8_t stream_id = kVideoStreamId;
  std::uint64_t max_bitrate_bps = 0;     // elementary stream peak, PES/TS overhead excluded
  int h264_level_idc = 30;               // sizes the T-STD of a video stream
  int aac_channels = 2;                  // sizes the T-STD of an AAC stream
  std::uint32_t max_pes_per_second = 0;  // 0: by kind (H.264 60, MPEG audio 42, AAC 47)
};

struct MultiplexerConfig {
  std::uint64_t muxrate_bps = 2'500'000;
  std::uint16_t pcr_pid = 0x0100;
  std::int64_t pcr_interval_27mhz = 30 * 27'000;  // 20..40 ms
  std::vector<ElementaryStreamConfig> streams;
  std::int64_t mux_delay_90k = 90 * 900;  // 0 < delay <= 1 s (13818-1 2.4.2.6)
  std::int64_t audio_pes_max_duration_90k = 90 * 60;
  std::size_t audio_pes_max_payload_bytes = 3000;
  std::int64_t audio_max_lead_90k = 90 * 500;  // audio sent at most this long before its DTS
  std::uint64_t start_pcr_27mhz = 0;  // clock at packet 0
};

struct AccessUnit {
  std::uint16_t pid = 0;
  std::span<const std::uint8_t> data;  // copied by push()
  std::int64_t pts_90k = 0;
  std::int64_t dts_90k = 0;
  bool key_frame = false;  // sets random_access_indicator on the PES's first packet
  bool discontinuity = false;
};

class Multiplexer {
 public:
  // Throws MuxError for an invalid config, or when muxrate_bps is below required_bitrate_bps()
  // (the message says how many bit/s are missing). `si_source` may be null; it must outlive this.
  Multiplexer(const MultiplexerConfig& config, SiSource* si_source);
  ~Multiplexer();
  Multiplexer(const Multiplexer&) = delete;
  Multiplexer& operator=(const Multiplexer&) = delete;

  // Queues one access unit. Throws MuxError naming PID and timestamps, with nothing changed, for:
  // undeclared PID, empty data, PTS < DTS, DTS before the PID's previous DTS, a malformed AU
  // (no Annex B start code, no audio syncword), an AU too large for the T-STD, or one whose DTS
  // is too close to be delivered. Also throws after flush() or after a fatal pull() error.
  void push(const AccessUnit& au);

  // Writes every packet slot that the pushed data decides (up to out.size() / 188 of them) and
  // returns the bytes written. out.size() must be a multiple of 188. Throws MuxError if an access
  // unit cannot be complete by its DTS; the multiplexer is unusable afterwards.
  std::size_t pull(std::span<std::uint8_t> out);

  // End of input: the remaining data becomes decidable. Call pull() until finished().
  void flush();
  bool finished() const;

  std::uint64_t packets_written() const;
  std::uint64_t required_bitrate_bps() const;
  // Output DTS = input DTS + this, for the PID's current mapping (nullopt before its first AU).
  std::optional<std::int64_t> timestamp_offset_90k(std::uint16_t pid) const;
  const TstdModel& tstd(std::uint16_t pid) const;  // throws MuxError for an undeclared PID

  // The muxrate a config needs: per stream max_bitrate x 188/184 plus, per PES, a header and one
  // partly filled packet; one whole packet per PCR interval; the SI source's declared rate.
  static std::uint64_t required_bitrate_bps(const MultiplexerConfig& config,
                                            const SiSource* si_source);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace skyclass::mux

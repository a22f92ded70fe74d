#pragma once
// Checks a playout transport stream as it arrives (it may be a day long: nothing grows with its
// length except the lists of key frames and EIT changes), with the project's own decoders:
// continuity counters, every PCR against the exact nominal rate from its byte position, the
// video PTS grid (one picture per frame period, none missing, none twice), audio PTS continuity
// (each PES follows the previous by its frames), A/V alignment, the longest run without a video
// packet, key frames (random_access_indicator) and the EIT present event as it changes.
#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <queue>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "mux/pcr.hpp"
#include "mux/section.hpp"
#include "mux/tables/eit.hpp"
#include "mux/ts_packet.hpp"

namespace skyclass::testing {

struct StreamCheckConfig {
  std::uint64_t muxrate_bps = 2'500'000;
  std::uint16_t video_pid = 0x0101, audio_pid = 0x0102, pcr_pid = 0x0101;
  std::int64_t frame_90k = 3600;         // 25 fps
  std::int64_t audio_frame_90k = 2160;   // 1152 samples at 48 kHz
  std::size_t audio_frame_bytes = 576;   // MP2 192 kbit/s at 48 kHz
};

struct PresentChange {
  std::uint64_t packet = 0;
  std::uint16_t event_id = 0;
  std::int64_t start_utc_s = 0;
};

struct StreamCheck {
  explicit StreamCheck(StreamCheckConfig config) : c(config) {}

  StreamCheckConfig c;
  std::uint64_t packets = 0;
  std::vector<std::string> errors;  // the first 50 problems, then only counted
  std::uint64_t error_count = 0;

  // PCR
  std::optional<std::uint64_t> first_pcr_packet, first_pcr_27mhz;
  std::uint64_t pcrs = 0, pcr_off_nominal = 0;
  std::uint64_t last_pcr_packet = 0;
  std::uint64_t max_pcr_gap_packets = 0;

  // video
  std::uint64_t video_pes = 0;
  std::optional<std::int64_t> video_pts_base;  // lowest PTS (frame 0)
  std::int64_t next_video_pts = 0;
  std::priority_queue<std::int64_t, std::vector<std::int64_t>, std::greater<>> pending_pts;
  std::optional<std::int64_t> last_dts;
  std::vector<std::int64_t> key_frame_pts;  // unwrapped PTS of PES with random_access_indicator
  std::uint64_t last_video_packet = 0, max_video_gap_packets = 0;

  // audio
  std::uint64_t audio_pes = 0;
  std::optional<std::int64_t> first_audio_pts;
  std::optional<std::int64_t> audio_pts;  // of the PES being read
  std::size_t audio_bytes = 0;            // its payload bytes so far
  std::int64_t audio_frames = 0;

  // EIT present/following
  std::vector<PresentChange> present;

  void feed(const std::uint8_t* data, std::size_t size) {
    for (std::size_t at = 0; at + 188 <= size; at += 188) packet({data + at, 188});
  }

  // Ends the stream: the last frames still waiting in the reorder window are checked.
  void finish() {
    while (!pending_pts.empty()) pop_pts();
    close_audio_pes();
  }

  void fail(const std::string& what) {
    ++error_count;
    if (errors.size() < 50) errors.push_back(fmt::format("packet {}: {}", packets, what));
  }

  std::int64_t video_frames() const {
    return video_pts_base ? (next_video_pts - *video_pts_base) / c.frame_90k : 0;
  }

 private:
  std::map<std::uint16_t, int> cc_;
  mux::SectionAssembler eit_;
  std::int64_t pts_unwrap_base_ = 0;
  std::int64_t last_raw_pts_ = -1;

  void packet(std::span<const std::uint8_t> bytes) {
    mux::TsPacketView p;
    const auto status = mux::try_parse_ts_packet(bytes, p);
    if (status != mux::TsParseStatus::ok) {
      fail(fmt::format("unparseable packet: {}", mux::to_string(status)));
      ++packets;
      return;
    }
    const std::uint16_t pid = p.header.pid;
    bool continuity_ok = true;
    if (pid != 0x1FFF && p.has_payload) {
      auto it = cc_.find(pid);
      if (it != cc_.end() && ((it->second + 1) & 0xF) != p.header.continuity_counter) {
        fail(fmt::format("PID 0x{:04X}: continuity counter {} after {}", pid,
                         p.header.continuity_counter, it->second));
        continuity_ok = false;
      }
      cc_[pid] = p.header.continuity_counter;
    }
    if (pid == c.pcr_pid && p.adaptation_field && p.adaptation_field->pcr) check_pcr(*p.adaptation_field->pcr);
    if (pid == c.video_pid) video_packet(p);
    if (pid == c.audio_pid) audio_packet(p);
    if (pid == 0x0012 && p.has_payload) {
      eit_.push(p.header.payload_unit_start_indicator, continuity_ok, p.payload);
      for (const auto& section : eit_.take_sections()) eit_section(section);
    }
    ++packets;
  }

  void check_pcr(const mux::Pcr& pcr) {
    const std::uint64_t value = pcr.to_27mhz();
    if (!first_pcr_packet) {
      first_pcr_packet = packets;
      first_pcr_27mhz = value - mux::packet_pcr_27mhz(packets, c.muxrate_bps) % mux::kPcrModulus27MHz;
    } else {
      const std::uint64_t expected =
          (mux::packet_pcr_27mhz(packets, c.muxrate_bps) + *first_pcr_27mhz) % mux::kPcrModulus27MHz;
      if (value != expected) {
        if (pcr_off_nominal++ < 5)
          fail(fmt::format("PCR {} where the nominal rate gives {}", value, expected));
      }
      max_pcr_gap_packets = std::max(max_pcr_gap_packets, packets - last_pcr_packet);
    }
    last_pcr_packet = packets;
    ++pcrs;
  }

  static std::optional<std::int64_t> timestamp(std::span<const std::uint8_t> b) {
    if (b.size() < 5) return std::nullopt;
    return (std::int64_t{b[0] & 0x0E} << 29) | (std::int64_t{b[1]} << 22) |
           (std::int64_t{b[2] & 0xFE} << 14) | (std::int64_t{b[3]} << 7) | (b[4] >> 1);
  }

  struct PesHeader {
    std::int64_t pts = 0;
    std::optional<std::int64_t> dts;
    std::size_t header_bytes = 0;
  };
  std::optional<PesHeader> pes_header(std::span<const std::uint8_t> payload) {
    if (payload.size() < 14 || payload[0] != 0 || payload[1] != 0 || payload[2] != 1) {
      fail("PES start without a start code or too short");
      return std::nullopt;
    }
    const std::uint8_t flags = payload[7];
    const std::size_t header_length = payload[8];
    if ((flags & 0x80) == 0) {
      fail("PES without a PTS");
      return std::nullopt;
    }
    PesHeader h;
    h.pts = *timestamp(payload.subspan(9));
    if (flags & 0x40) h.dts = timestamp(payload.subspan(14));
    h.header_bytes = 9 + header_length;
    return h;
  }

  std::int64_t unwrap(std::int64_t raw) {
    // Timestamps move forward (give or take reordering); a large backward step is a wrap.
    if (last_raw_pts_ >= 0 && raw < last_raw_pts_ - (std::int64_t{1} << 32))
      pts_unwrap_base_ += std::int64_t{1} << 33;
    last_raw_pts_ = raw;
    return pts_unwrap_base_ + raw;
  }

  void video_packet(const mux::TsPacketView& p) {
    if (packets - last_video_packet > max_video_gap_packets && video_pes > 0)
      max_video_gap_packets = packets - last_video_packet;
    last_video_packet = packets;
    if (!p.header.payload_unit_start_indicator) return;
    auto h = pes_header(p.payload);
    if (!h) return;
    ++video_pes;
    const std::int64_t pts = unwrap(h->pts);
    const std::int64_t dts = h->dts ? pts - ((h->pts - *h->dts) & ((std::int64_t{1} << 33) - 1)) : pts;
    if (last_dts && dts <= *last_dts) fail(fmt::format("video DTS {} after {}", dts, *last_dts));
    if (dts > pts) fail(fmt::format("video DTS {} after its PTS {}", dts, pts));
    last_dts = dts;
    if (p.adaptation_field && p.adaptation_field->random_access_indicator)
      key_frame_pts.push_back(pts);
    pending_pts.push(pts);
    if (pending_pts.size() > 32) pop_pts();
  }

  void pop_pts() {
    const std::int64_t pts = pending_pts.top();
    pending_pts.pop();
    if (!video_pts_base) {
      video_pts_base = pts;
      next_video_pts = pts;
    }
    if (pts != next_video_pts) {
      fail(fmt::format("video PTS {} where frame {} was due at {}", pts,
                       (next_video_pts - *video_pts_base) / c.frame_90k, next_video_pts));
      next_video_pts = pts;
    }
    next_video_pts += c.frame_90k;
  }

  void close_audio_pes() {
    if (!audio_pts) return;
    if (audio_bytes % c.audio_frame_bytes != 0)
      fail(fmt::format("audio PES at PTS {} holds {} bytes, not whole frames", *audio_pts, audio_bytes));
    audio_frames += static_cast<std::int64_t>(audio_bytes / c.audio_frame_bytes);
  }

  void audio_packet(const mux::TsPacketView& p) {
    if (!p.has_payload) return;
    if (!p.header.payload_unit_start_indicator) {
      audio_bytes += p.payload.size();
      return;
    }
    auto h = pes_header(p.payload);
    if (!h) return;
    const std::int64_t pts = h->pts;
    if (audio_pts) {
      close_audio_pes();
      const std::int64_t expected =
          (*first_audio_pts + audio_frames * c.audio_frame_90k) & ((std::int64_t{1} << 33) - 1);
      if (pts != expected)
        fail(fmt::format("audio PTS {} where {} frames from the first give {}", pts, audio_frames,
                         expected));
    } else {
      first_audio_pts = pts;
    }
    ++audio_pes;
    audio_pts = pts;
    audio_bytes = p.payload.size() - std::min(p.payload.size(), h->header_bytes);
  }

  void eit_section(const mux::Bytes& section) {
    if (section.empty() || section[0] != mux::Eit::kTableIdPfActual) return;
    auto eit = mux::Eit::decode(section);
    if (!eit.ok()) {
      fail("EIT p/f does not decode: " + eit.error());
      return;
    }
    if (eit->section_number != 0) return;
    const std::uint16_t id = eit->events.empty() ? 0 : eit->events[0].event_id;
    const std::int64_t start = eit->events.empty() ? 0 : eit->events[0].start_time_utc_s;
    if (present.empty() || present.back().event_id != id) present.push_back({packets, id, start});
  }
};

}  // namespace skyclass::testing

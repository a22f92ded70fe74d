#pragma once
// Helpers for the multiplexer tests: synthetic access units, a fake PSI source, and an
// independent reader of the output (CC, PCR, PES reassembly, byte-level T-STD replay).
#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "mux/multiplexer.hpp"
#include "mux/pcr.hpp"
#include "mux/pes.hpp"
#include "mux/si_source.hpp"
#include "mux/ts_packet.hpp"
#include "mux/tstd.hpp"

namespace skyclass::mux::test {

using Bytes = std::vector<std::uint8_t>;

inline constexpr std::uint16_t kVideoPid = 0x0100;
inline constexpr std::uint16_t kAudioPid = 0x0101;
inline constexpr std::int64_t kFrame90k = 3600;     // 25 fps
inline constexpr std::int64_t kMp2Frame90k = 2160;  // 1152 samples at 48 kHz = 24 ms
inline constexpr std::size_t kMp2FrameBytes = 576;  // 192 kbit/s
inline constexpr std::int64_t kAacFrame90k = 1920;  // 1024 samples at 48 kHz

struct TestAu {
  std::uint16_t pid = 0;
  Bytes data;
  std::int64_t pts_90k = 0;
  std::int64_t dts_90k = 0;
  bool key_frame = false;
  bool discontinuity = false;

  AccessUnit view() const { return {pid, data, pts_90k, dts_90k, key_frame, discontinuity}; }
};

// CRC-32/MPEG-2 (13818-1 Annex A): polynomial 0x04C11DB7, initial 0xFFFFFFFF, no reflection.
inline std::uint32_t crc32_mpeg2(std::span<const std::uint8_t> data) {
  std::uint32_t crc = 0xFFFFFFFF;
  for (std::uint8_t byte : data) {
    crc ^= std::uint32_t{byte} << 24;
    for (int i = 0; i < 8; ++i) crc = (crc & 0x80000000) ? (crc << 1) ^ 0x04C11DB7 : crc << 1;
  }
  return crc;
}

// PAT with one program (1 -> PMT PID 0x1000), transport_stream_id 1.
inline Bytes make_pat_section() {
  Bytes s{0x00, 0xB0, 0x0D, 0x00, 0x01, 0xC1, 0x00, 0x00, 0x00, 0x01, 0xF0, 0x00};
  const std::uint32_t crc = crc32_mpeg2(s);
  for (int shift = 24; shift >= 0; shift -= 8) s.push_back(static_cast<std::uint8_t>(crc >> shift));
  return s;
}

// Emits the same PAT every 100 ms of multiplex time.
class FakePatSource : public SiSource {
 public:
  static constexpr std::uint64_t kPeriod27MHz = 100 * 27'000;
  std::optional<SectionOnPid> next_due(std::uint64_t now_27mhz) override {
    if (now_27mhz < next_27mhz_) return std::nullopt;
    next_27mhz_ += kPeriod27MHz;
    ++sections_given;
    return SectionOnPid{0x0000, section_};
  }
  std::uint64_t max_bitrate_bps() const override { return 188 * 8 * 10; }  // 1 packet / 100 ms

  int sections_given = 0;
  const Bytes& section() const { return section_; }

 private:
  Bytes section_ = make_pat_section();
  std::uint64_t next_27mhz_ = 0;
};

// Deterministic filler without start-code emulation (bytes 0x01..0xFF).
class Filler {
 public:
  explicit Filler(std::uint32_t seed) : state_(seed) {}
  std::uint8_t next() {
    state_ = state_ * 1664525u + 1013904223u;
    return static_cast<std::uint8_t>(1 + (state_ >> 24) % 255);
  }
  void fill(Bytes& out, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) out.push_back(next());
  }
  std::uint32_t below(std::uint32_t n) {
    state_ = state_ * 1664525u + 1013904223u;
    return (state_ >> 8) % n;
  }

 private:
  std::uint32_t state_;
};

// One H.264 access unit: AUD (unless `with_aud` is false), SPS+PPS on IDR, one slice NAL.
inline Bytes make_h264_au(char type, std::size_t size, Filler& filler, bool with_aud = true) {
  Bytes au;
  if (with_aud) {
    const std::uint8_t pic_type = type == 'I' ? 0x10 : type == 'P' ? 0x30 : 0x50;
    au = {0x00, 0x00, 0x00, 0x01, 0x09, pic_type};
  }
  if (type == 'I') {
    au.insert(au.end(), {0x00, 0x00, 0x00, 0x01, 0x67, 0x4D, 0x40, 0x1E, 0x95, 0xA0, 0x5A, 0x09});
    au.insert(au.end(), {0x00, 0x00, 0x00, 0x01, 0x68, 0xEE, 0x3C, 0x80});
  }
  const std::uint8_t nal = type == 'I' ? 0x65 : type == 'P' ? 0x41 : 0x01;
  au.insert(au.end(), {0x00, 0x00, 0x01, nal});
  if (au.size() < size) filler.fill(au, size - au.size());
  return au;
}

// 25 fps closed GOPs of 25 frames, I P B B P B B ... in decoding order, about `bitrate_bps`:
// IDR 16% of the GOP, P frames 1.8 x B frames, each size jittered by up to +-`jitter_percent`.
// DTS steps by one frame; PTS = (display index + 1) frames, so B frames have PTS == DTS.
inline std::vector<TestAu> make_video(int frames, std::int64_t first_dts_90k,
                                      std::uint64_t bitrate_bps, std::uint32_t seed,
                                      int jitter_percent = 20, bool with_aud = true) {
  const double gop_bytes = static_cast<double>(bitrate_bps) / 8.0;  // 25 frames = 1 s
  const double idr = gop_bytes * 0.16;
  const double b = (gop_bytes - idr) / (8 * 1.8 + 16);
  Filler filler(seed);
  std::vector<TestAu> aus;
  for (int n = 0; n < frames; ++n) {
    const int i = n % 25;
    const int gop_start = n - i;
    const char type = i == 0 ? 'I' : (i % 3 == 1 ? 'P' : 'B');
    const int display = i == 0 ? 0 : (type == 'P' ? i + 2 : i - 1);
    const double nominal = type == 'I' ? idr : type == 'P' ? 1.8 * b : b;
    const int jitter =
        jitter_percent == 0
            ? 0
            : static_cast<int>(filler.below(2 * jitter_percent + 1)) - jitter_percent;
    const auto size = static_cast<std::size_t>(nominal * (100 + jitter) / 100);
    TestAu au;
    au.pid = kVideoPid;
    au.data = make_h264_au(type, size, filler, with_aud);
    au.dts_90k = first_dts_90k + n * kFrame90k;
    au.pts_90k = first_dts_90k + (gop_start + display + 1) * kFrame90k;
    au.key_frame = type == 'I';
    aus.push_back(std::move(au));
  }
  return aus;
}

inline std::vector<TestAu> make_mp2(int frames, std::int64_t first_dts_90k, std::uint32_t seed) {
  Filler filler(seed);
  std::vector<TestAu> aus;
  for (int n = 0; n < frames; ++n) {
    TestAu au;
    au.pid = kAudioPid;
    au.data = {0xFF, 0xFD, 0xA4, 0x04};  // MPEG-1 Layer II, no CRC, 192 kbit/s, 48 kHz
    filler.fill(au.data, kMp2FrameBytes - 4);
    au.dts_90k = au.pts_90k = first_dts_90k + n * kMp2Frame90k;
    aus.push_back(std::move(au));
  }
  return aus;
}

inline std::vector<TestAu> make_adts(int frames, std::int64_t first_dts_90k, std::uint32_t seed) {
  Filler filler(seed);
  std::vector<TestAu> aus;
  for (int n = 0; n < frames; ++n) {
    const std::size_t size = 300 + filler.below(200);
    TestAu au;
    au.pid = kAudioPid;
    // adts_fixed_header: sync, MPEG-4, layer 0, no CRC; AAC LC, 48 kHz, 2 channels; frame length.
    au.data = {0xFF,
               0xF1,
               0x4C,
               static_cast<std::uint8_t>(0x80 | (size >> 11)),
               static_cast<std::uint8_t>(size >> 3),
               static_cast<std::uint8_t>(((size & 7) << 5) | 0x1F),
               0xFC};
    filler.fill(au.data, size - 7);
    au.dts_90k = au.pts_90k = first_dts_90k + n * kAacFrame90k;
    aus.push_back(std::move(au));
  }
  return aus;
}

// Merges streams in DTS order (stable: on equal DTS the earlier list goes first).
inline std::vector<TestAu> interleave(std::vector<std::vector<TestAu>> lists) {
  std::vector<TestAu> out;
  std::vector<std::size_t> at(lists.size(), 0);
  for (;;) {
    int best = -1;
    for (std::size_t l = 0; l < lists.size(); ++l) {
      if (at[l] == lists[l].size()) continue;
      if (best < 0 || lists[l][at[l]].dts_90k < lists[best][at[best]].dts_90k) {
        best = static_cast<int>(l);
      }
    }
    if (best < 0) return out;
    out.push_back(std::move(lists[best][at[best]++]));
  }
}

// Pulls everything the multiplexer can decide now into `ts`.
inline void drain(Multiplexer& mux, Bytes& ts, std::size_t chunk_packets = 50) {
  Bytes buffer(chunk_packets * kTsPacketSize);
  for (;;) {
    const std::size_t n = mux.pull(buffer);
    if (n == 0) return;
    ts.insert(ts.end(), buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
  }
}

// Pushes all AUs (pulling after each one), flushes and drains to the end.
inline Bytes run(Multiplexer& mux, const std::vector<TestAu>& aus) {
  Bytes ts;
  for (const auto& au : aus) {
    mux.push(au.view());
    drain(mux, ts);
  }
  mux.flush();
  while (!mux.finished()) {
    const std::size_t before = ts.size();
    drain(mux, ts);
    if (ts.size() == before) throw std::runtime_error("multiplexer stalled after flush()");
  }
  return ts;
}

struct PesRecord {
  std::uint64_t first_packet = 0;
  bool random_access = false;
  bool pcr_in_first_packet = false;
  Bytes bytes;  // the whole PES packet
  PesPacketView view() const { return parse_pes_packet(bytes); }
};

struct PcrRecord {
  std::uint64_t packet = 0;
  std::uint16_t pid = 0;
  Pcr pcr;
};

struct TsAnalysis {
  std::uint64_t packets = 0;
  std::map<std::uint16_t, std::uint64_t> packets_per_pid;
  std::map<std::uint16_t, std::vector<PesRecord>> pes;  // by PID, for the given ES PIDs
  std::map<std::uint16_t, std::vector<std::uint64_t>> section_starts;  // packet indices
  std::vector<PcrRecord> pcrs;
  std::vector<std::string> errors;  // parse, CC, PES framing, discontinuity_indicator
};

inline TsAnalysis analyse(std::span<const std::uint8_t> ts,
                          const std::vector<std::uint16_t>& es_pids) {
  TsAnalysis a;
  std::map<std::uint16_t, int> last_cc;
  if (ts.size() % kTsPacketSize != 0) a.errors.push_back("length is not a multiple of 188");
  for (std::uint64_t k = 0; (k + 1) * kTsPacketSize <= ts.size(); ++k) {
    TsPacketView p;
    const TsParseStatus status =
        try_parse_ts_packet(ts.subspan(k * kTsPacketSize, kTsPacketSize), p);
    if (status != TsParseStatus::ok) {
      a.errors.push_back(fmt::format("packet {}: {}", k, to_string(status)));
      continue;
    }
    ++a.packets;
    const std::uint16_t pid = p.header.pid;
    ++a.packets_per_pid[pid];
    if (pid == kNullPid) continue;
    const int cc = p.header.continuity_counter;
    if (auto it = last_cc.find(pid); it != last_cc.end()) {
      const int expected = p.has_payload ? (it->second + 1) & 0xF : it->second;
      if (cc != expected) {
        a.errors.push_back(
            fmt::format("packet {} PID 0x{:04X}: CC {} expected {}", k, pid, cc, expected));
      }
    }
    if (p.has_payload || last_cc.count(pid)) last_cc[pid] = cc;
    const auto& af = p.adaptation_field;
    if (af && af->discontinuity_indicator) {
      a.errors.push_back(fmt::format("packet {} PID 0x{:04X}: discontinuity_indicator", k, pid));
    }
    if (af && af->pcr) a.pcrs.push_back({k, pid, *af->pcr});
    const bool is_es = std::find(es_pids.begin(), es_pids.end(), pid) != es_pids.end();
    if (is_es && p.has_payload) {
      auto& list = a.pes[pid];
      if (p.header.payload_unit_start_indicator) {
        list.push_back({k, af && af->random_access_indicator, af && af->pcr.has_value(), {}});
      } else if (list.empty()) {
        a.errors.push_back(
            fmt::format("packet {} PID 0x{:04X}: data before any PES start", k, pid));
        continue;
      } else if (af && af->random_access_indicator) {
        a.errors.push_back(fmt::format("packet {}: random_access_indicator inside a PES", k));
      }
      list.back().bytes.insert(list.back().bytes.end(), p.payload.begin(), p.payload.end());
    } else if (!is_es && p.has_payload && p.header.payload_unit_start_indicator) {
      a.section_starts[pid].push_back(k);
    }
  }
  for (const auto& [pid, list] : a.pes) {
    for (const auto& rec : list) {
      try {
        const PesPacketView v = rec.view();
        if (v.header.pes_packet_length != 0 &&
            rec.bytes.size() != 6u + v.header.pes_packet_length) {
          a.errors.push_back(fmt::format("PID 0x{:04X} PES at packet {}: {} bytes, length says {}",
                                         pid, rec.first_packet, rec.bytes.size(),
                                         6u + v.header.pes_packet_length));
        }
      } catch (const PesError& e) {
        a.errors.push_back(
            fmt::format("PID 0x{:04X} PES at packet {}: {}", pid, rec.first_packet, e.what()));
      }
    }
  }
  return a;
}

// Byte-level T-STD replay of one PID (13818-1 2.4.2), independent of mux/tstd.cpp: every byte of
// every packet of the PID enters TB when its last bit arrives at the muxrate and leaves 8/Rx
// later than the byte before it (or than its arrival); elementary stream bytes (PES payload)
// enter the main buffer then; each access unit leaves at its DTS. Times are integers in units of
// 1 / (muxrate * Rx) seconds, so nothing is rounded.
struct AuExpectation {
  std::int64_t dts_90k = 0;  // on the multiplex clock, relative to packet 0
  std::size_t size = 0;      // elementary stream bytes (an inserted AUD included)
};

struct TstdReplay {
  std::uint64_t max_tb_bytes = 0;
  std::uint64_t max_b_bytes = 0;
  std::int64_t min_slack_90k = INT64_MAX;  // DTS minus last-byte time, worst access unit
  std::vector<std::string> violations;
};

inline TstdReplay replay_tstd(std::span<const std::uint8_t> ts, std::uint16_t pid,
                              std::uint64_t muxrate_bps, const TstdParams& params,
                              const std::vector<AuExpectation>& units) {
  using i128 = __int128;
  TstdReplay r;
  const i128 rate_product = static_cast<i128>(muxrate_bps) * params.rx_bps;
  const i128 byte_arrival = static_cast<i128>(8) * params.rx_bps;  // per byte, in units
  const i128 byte_service = static_cast<i128>(8) * muxrate_bps;
  auto dts_units = [&](std::int64_t dts_90k) { return dts_90k * rate_product / 90'000; };
  std::vector<i128> departures(4096);  // ring of TB departure times
  std::uint64_t in_tb_from = 0, bytes_in = 0;
  i128 last_departure = 0;
  std::uint64_t es_in = 0;       // elementary stream bytes that reached the main buffer
  std::uint64_t es_removed = 0;  // bytes of removed access units
  std::size_t next_removal = 0;  // next access unit to leave the main buffer
  std::size_t filling = 0;       // access unit the next byte belongs to
  std::uint64_t filling_end = units.empty() ? 0 : units[0].size;
  auto remove_until = [&](i128 t) {
    while (next_removal < units.size() && dts_units(units[next_removal].dts_90k) <= t) {
      es_removed += units[next_removal].size;
      if (es_in < es_removed) {
        r.violations.push_back(fmt::format("PID 0x{:04X}: access unit {} (DTS {}) incomplete", pid,
                                           next_removal, units[next_removal].dts_90k));
      }
      ++next_removal;
    }
  };
  for (std::uint64_t k = 0; (k + 1) * kTsPacketSize <= ts.size(); ++k) {
    const auto packet = ts.subspan(k * kTsPacketSize, kTsPacketSize);
    TsPacketView p;
    if (try_parse_ts_packet(packet, p) != TsParseStatus::ok || p.header.pid != pid) continue;
    std::size_t es_from = kTsPacketSize;  // offset where elementary stream bytes start
    if (p.has_payload) {
      es_from = kTsPacketSize - p.payload.size();
      if (p.header.payload_unit_start_indicator) es_from += 9 + p.payload[8];
    }
    for (std::size_t b = 0; b < kTsPacketSize; ++b) {
      const i128 arrival = static_cast<i128>(k * kTsPacketSize + b + 1) * byte_arrival;
      const i128 departure = std::max(arrival, last_departure) + byte_service;
      last_departure = departure;
      departures[bytes_in % departures.size()] = departure;
      ++bytes_in;
      while (in_tb_from < bytes_in && departures[in_tb_from % departures.size()] <= arrival) {
        ++in_tb_from;
      }
      r.max_tb_bytes = std::max<std::uint64_t>(r.max_tb_bytes, bytes_in - in_tb_from);
      if (bytes_in - in_tb_from > params.tb_size_bytes) {
        r.violations.push_back(fmt::format("PID 0x{:04X}: TB overflow at packet {}", pid, k));
      }
      if (b < es_from) continue;
      remove_until(departure - 1);
      ++es_in;
      const std::uint64_t level = es_in > es_removed ? es_in - es_removed : 0;
      r.max_b_bytes = std::max(r.max_b_bytes, level);
      if (level > params.b_size_bytes) {
        r.violations.push_back(
            fmt::format("PID 0x{:04X}: main buffer overflow at packet {}", pid, k));
      }
      if (filling < units.size() && es_in == filling_end) {
        const i128 slack = dts_units(units[filling].dts_90k) - departure;
        r.min_slack_90k = std::min<std::int64_t>(
            r.min_slack_90k, static_cast<std::int64_t>(slack * 90'000 / rate_product));
        if (++filling < units.size()) filling_end += units[filling].size;
      }
    }
  }
  remove_until(static_cast<i128>(INT64_MAX) * 1'000'000);
  if (es_in != es_removed) {
    r.violations.push_back(
        fmt::format("PID 0x{:04X}: {} bytes in, {} expected", pid, es_in, es_removed));
  }
  if (r.violations.size() > 20) r.violations.resize(20);
  return r;
}

}  // namespace skyclass::mux::test

#pragma once
// Crafted CBR transport streams for the TR 101 290 tests, built with the real mux/ encoders.
//
// Every packet sits on a slot grid: packet k starts at k * 188 * 8 / muxrate seconds, and each
// PCR is the arrival time of its own byte 10 (PCR origin 0), so a test knows the exact stream
// time of every packet. A clean stream carries one service (program 1, PMT 0x100, H.264 video
// 0x101 with the PCR, MPEG-1 audio 0x102) and PAT/PMT, SDT, EIT p/f and schedule, NIT, TDT and TOT
// at the rates of TR 101 211, padded with null packets.
//
// Faults come two ways: the schedules of StreamConfig (interval, offset, outages, extra
// emissions, disabled tables) and the post-pass edits of TsStream on the finished packets.
// Edits that replace a packet keep the CBR timing; only drop() removes bytes.
#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "mux/bytes.hpp"

namespace skyclass::tsmon::test {

using Packet = std::array<std::uint8_t, 188>;
using mux::Bytes;
using mux::ByteView;

inline constexpr std::int64_t kMs = 1'000'000;
inline constexpr std::int64_t kSecond = 1'000'000'000;
inline constexpr std::int64_t kEndOfTime = std::numeric_limits<std::int64_t>::max();

inline constexpr std::uint16_t kPatPid = 0x0000;
inline constexpr std::uint16_t kCatPid = 0x0001;
inline constexpr std::uint16_t kNitPid = 0x0010;
inline constexpr std::uint16_t kSdtPid = 0x0011;
inline constexpr std::uint16_t kEitPid = 0x0012;
inline constexpr std::uint16_t kRstPid = 0x0013;
inline constexpr std::uint16_t kTdtPid = 0x0014;
inline constexpr std::uint16_t kPmtPid = 0x0100;
inline constexpr std::uint16_t kVideoPid = 0x0101;
inline constexpr std::uint16_t kAudioPid = 0x0102;
inline constexpr std::uint16_t kNullPid = 0x1FFF;

inline constexpr std::uint16_t kTransportStreamId = 0x0001;
inline constexpr std::uint16_t kOriginalNetworkId = 0x0001;
inline constexpr std::uint16_t kNetworkId = 0x0001;

struct Window {
  std::int64_t from_ns = 0;
  std::int64_t to_ns = 0;
  bool contains(std::int64_t t_ns) const { return t_ns >= from_ns && t_ns < to_ns; }
};

// When a table (or an elementary stream's access unit) is due: offset_ns, then every
// interval_ns. Nothing is due inside an outage; the next emission is due exactly at its end,
// and the grid goes on from there (so a resumed SI table keeps its spacing).
struct Schedule {
  bool enabled = true;
  std::int64_t interval_ns = 0;
  std::int64_t offset_ns = 0;
  std::vector<Window> outages;
  std::vector<std::int64_t> extra_ns;  // one more emission at each of these times

  std::vector<std::int64_t> due_times(std::int64_t duration_ns) const;
};

inline Schedule every(std::int64_t interval_ns, std::int64_t offset_ns) {
  Schedule schedule;
  schedule.interval_ns = interval_ns;
  schedule.offset_ns = offset_ns;
  return schedule;
}

struct StreamConfig {
  std::uint64_t muxrate_bps = 2'000'000;
  std::int64_t duration_ns = 12 * kSecond;
  std::int64_t pcr_interval_ns = 30 * kMs;  // PCRs on the video PID, on their exact slots

  Schedule pat = every(100 * kMs, 0);
  Schedule pmt = every(100 * kMs, 1 * kMs);
  Schedule sdt = every(1000 * kMs, 20 * kMs);
  Schedule eit_pf = every(1000 * kMs, 60 * kMs);  // section 0 at t, section 1 at t + gap
  std::int64_t eit_pf_section_gap_ns = 40 * kMs;
  Schedule eit_schedule = every(5000 * kMs, 150 * kMs);  // table_id 0x50, section 0
  Schedule nit = every(5000 * kMs, 200 * kMs);
  Schedule tdt = every(5000 * kMs, 250 * kMs);
  Schedule tot = every(5000 * kMs, 300 * kMs);

  Schedule video = every(40 * kMs, 0);  // one PES per frame, PTS in each
  int video_packets_per_frame = 6;
  std::vector<Window> video_without_pts;      // frames due here carry no PTS
  Schedule audio = every(24 * kMs, 5 * kMs);  // one single-packet PES per frame

  // Program 2 on the same PMT PID as program 1 (PAT lists both), with its own PMT section.
  bool second_program = false;
  Schedule pmt2 = every(100 * kMs, 50 * kMs);

  std::int64_t utc_start_s = 1581292800;  // 2020-02-10 00:00:00 UTC
};

class TsStream {
 public:
  TsStream(std::uint64_t muxrate_bps, std::vector<Packet> packets);

  std::uint64_t muxrate_bps() const { return muxrate_bps_; }
  std::vector<Packet>& packets() { return packets_; }
  const std::vector<Packet>& packets() const { return packets_; }
  std::size_t size() const { return packets_.size(); }

  // Stream time of the first byte of packet `index` (exact on the grid), and back.
  std::int64_t time_ns(std::size_t index) const;
  std::size_t index_at(std::int64_t t_ns) const;  // first packet starting at or after t_ns
  static std::uint64_t byte_offset(std::size_t index) { return index * 188; }

  // Reading a packet.
  std::uint16_t pid(std::size_t index) const;
  bool pusi(std::size_t index) const;
  std::uint8_t cc(std::size_t index) const;
  bool has_pcr(std::size_t index) const;
  std::uint64_t pcr_27mhz(std::size_t index) const;
  // table_id of the section a PUSI packet starts (after pointer_field), if any.
  std::optional<std::uint8_t> section_table_id(std::size_t index) const;

  // Finding packets, in [from_ns, to_ns).
  std::vector<std::size_t> find(std::uint16_t pid, std::int64_t from_ns = 0,
                                std::int64_t to_ns = kEndOfTime) const;
  std::vector<std::size_t> find_pcrs(std::int64_t from_ns = 0,
                                     std::int64_t to_ns = kEndOfTime) const;
  std::vector<std::size_t> find_section_starts(std::uint16_t pid, std::uint8_t table_id,
                                               std::int64_t from_ns = 0,
                                               std::int64_t to_ns = kEndOfTime) const;
  // Video packets that carry neither PUSI nor PCR: safe to damage without touching a PTS/PCR.
  std::vector<std::size_t> find_plain_video(std::int64_t from_ns = 0,
                                            std::int64_t to_ns = kEndOfTime) const;
  // First index of a run of at least `length` null packets starting at or after from_ns.
  std::size_t find_null_run(std::size_t length, std::int64_t from_ns = 0) const;

  // Post-pass faults on single packets (the CBR timing stays).
  void nullify(std::size_t index);                            // becomes a null packet
  void duplicate(std::size_t index, std::size_t copies = 1);  // over the next packets, nulls
  void set_tei(std::size_t index);
  void corrupt_sync(std::size_t index, std::uint8_t value = 0x00);
  void set_cc(std::size_t index, std::uint8_t cc);
  void set_scrambling(std::size_t index, std::uint8_t bits = 0x2);
  void set_discontinuity(std::size_t index);  // the packet must have an adaptation field
  void shift_pcr(std::size_t index, std::int64_t ns);
  void shift_pcrs_from(std::size_t index, std::int64_t ns);  // a step: every PCR from index on
  std::size_t remove_pcrs(std::int64_t from_ns, std::int64_t to_ns);  // returns how many
  void corrupt_crc(std::size_t index);  // the section starting in PUSI packet `index`

  // Post-pass insertions into null slots (CBR timing stays); the PID's counters are restamped.
  // Returns the index of the first packet written.
  std::size_t insert_section(std::uint16_t pid, ByteView section, std::int64_t at_ns);
  // A payload-only packet on `pid` (no PUSI, payload all `fill`) every interval_ns in
  // [from_ns, to_ns); returns the indices.
  std::vector<std::size_t> insert_packets(std::uint16_t pid, std::int64_t from_ns,
                                          std::int64_t to_ns, std::int64_t interval_ns,
                                          std::uint8_t fill = 0xAB);
  // Continuity counters of `pid` from 0, in packet order (adaptation-only packets repeat).
  void restamp_cc(std::uint16_t pid);

  // The only edit that moves bytes: removes packet `index`.
  void drop(std::size_t index);

  // The stream as bytes: 188-byte packets, or 204 with 16 bytes of Reed-Solomon parity (filler).
  Bytes bytes(std::size_t packet_size = 188) const;

 private:
  std::uint64_t muxrate_bps_;
  std::vector<Packet> packets_;
};

TsStream build_stream(const StreamConfig& config = {});

// A long section (CRC_32 correct) or a short one (no CRC) with `payload_bytes` of filler.
Bytes long_section(std::uint8_t table_id, std::uint16_t table_id_extension,
                   std::size_t payload_bytes = 8);
Bytes short_section(std::uint8_t table_id, std::size_t payload_bytes = 9);

// Byte-level damage of a serialised stream.
Bytes garbage(std::size_t count, std::uint32_t seed);       // no 0x47 byte among them
Bytes random_bytes(std::size_t count, std::uint32_t seed);  // anything
void insert_bytes(Bytes& stream, std::size_t offset, ByteView bytes);
void truncate_last_packet(Bytes& stream, std::size_t keep_bytes, std::size_t packet_size = 188);

}  // namespace skyclass::tsmon::test

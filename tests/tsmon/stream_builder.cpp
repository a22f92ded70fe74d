#include "tests/tsmon/stream_builder.hpp"

#include <algorithm>
#include <random>
#include <stdexcept>
#include <string>

#include <fmt/format.h>

#include "mux/descriptors.hpp"
#include "mux/pcr.hpp"
#include "mux/pes.hpp"
#include "mux/section.hpp"
#include "mux/tables/eit.hpp"
#include "mux/tables/nit.hpp"
#include "mux/tables/pat.hpp"
#include "mux/tables/pmt.hpp"
#include "mux/tables/sdt.hpp"
#include "mux/tables/tdt.hpp"
#include "mux/tables/tot.hpp"
#include "mux/text.hpp"
#include "mux/ts_packet.hpp"

namespace skyclass::tsmon::test {
namespace {

using u128 = unsigned __int128;
constexpr std::uint64_t kPacketBitsNs = 188ull * 8 * 1'000'000'000;  // packet time * muxrate
constexpr std::size_t kVideoPcrPayload = 176;  // 184 - adaptation field with a PCR (8 bytes)
constexpr std::uint8_t kVideoFiller = 0x5A;    // never makes a 00 00 01 start code

std::span<std::uint8_t, 188> span_of(Packet& p) {
  return std::span<std::uint8_t, 188>(p);
}

std::size_t payload_offset(const Packet& p) {
  const bool adaptation = (p[3] & 0x20) != 0;
  return adaptation ? 5 + std::size_t{p[4]} : 4;
}

std::vector<Packet> packetize(ByteView section, std::uint16_t pid) {
  Bytes out(mux::section_packet_count(section.size()) * 188);
  mux::packetize_section(section, pid, 0, out);
  std::vector<Packet> packets(out.size() / 188);
  for (std::size_t i = 0; i < packets.size(); ++i) {
    std::copy_n(out.begin() + static_cast<std::ptrdiff_t>(i * 188), 188, packets[i].begin());
  }
  return packets;
}

mux::DvbText text(std::string_view utf8) {
  return mux::DvbText::from_utf8(utf8, mux::TextEncoding::utf8).value();
}

std::uint64_t pts_90k_at(std::int64_t t_ns) {
  return static_cast<std::uint64_t>(t_ns + 200 * kMs) * 9 / 100'000;  // 200 ms ahead of PCR
}

mux::Eit::Event lesson(std::uint16_t event_id, std::int64_t start_utc_s, std::uint8_t status) {
  mux::Eit::Event event;
  event.event_id = event_id;
  event.start_time_utc_s = start_utc_s;
  event.duration_s = 45 * 60;
  event.running_status = status;
  event.descriptors.push_back(
      mux::ShortEventDescriptor{"chi", text(fmt::format("Lesson {}", event_id)), text("")});
  return event;
}

// One table or access unit to place: `packets` go into the first free slots at or after the
// slot of due_ns. A video frame only marks its slots; its packets are written at the end.
struct Emission {
  std::int64_t due_ns = 0;
  int order = 0;  // among emissions due at the same time
  std::vector<Packet> packets;
  bool video_frame = false;
  std::optional<std::uint64_t> pts_90k;
};

class Builder {
 public:
  explicit Builder(const StreamConfig& config)
      : c_(config),
        slots_(static_cast<std::size_t>(static_cast<u128>(config.duration_ns) * config.muxrate_bps /
                                        kPacketBitsNs)),
        packets_(slots_),
        use_(slots_, Use::free),
        pcr_(slots_, false),
        pusi_(slots_, false),
        pts_(slots_) {}

  TsStream run() {
    reserve_pcr_slots();
    add_tables();
    add_elementary_streams();
    std::stable_sort(emissions_.begin(), emissions_.end(), [](const auto& a, const auto& b) {
      return a.due_ns != b.due_ns ? a.due_ns < b.due_ns : a.order < b.order;
    });
    for (const Emission& e : emissions_) e.video_frame ? place_video_frame(e) : place(e);
    write_video_and_nulls();
    TsStream stream(c_.muxrate_bps, std::move(packets_));
    for (std::uint16_t pid :
         {kPatPid, kNitPid, kSdtPid, kEitPid, kTdtPid, kPmtPid, kVideoPid, kAudioPid}) {
      stream.restamp_cc(pid);
    }
    return stream;
  }

 private:
  enum class Use : std::uint8_t { free, video, taken };

  std::size_t slot_at(std::int64_t t_ns) const {
    if (t_ns <= 0) return 0;
    const u128 scaled = static_cast<u128>(t_ns) * c_.muxrate_bps;
    return static_cast<std::size_t>((scaled + kPacketBitsNs - 1) / kPacketBitsNs);
  }

  void reserve_pcr_slots() {
    for (std::int64_t t = 0;; t += c_.pcr_interval_ns) {
      const std::size_t slot = slot_at(t);
      if (slot >= slots_) break;
      use_[slot] = Use::video;
      pcr_[slot] = true;
    }
  }

  // `make(t)` gives the sections of one emission at t; `gap_ns` spaces them (0: back to back).
  template <class Make>
  void add_table(const Schedule& schedule, int order, std::uint16_t pid, Make make,
                 std::int64_t gap_ns = 0) {
    for (std::int64_t t : schedule.due_times(c_.duration_ns)) {
      std::int64_t due = t;
      for (const Bytes& section : make(t)) {
        emissions_.push_back({due, order, packetize(section, pid), false, {}});
        due += gap_ns;
      }
    }
  }

  void add_tables() {
    mux::Pat pat;
    pat.transport_stream_id = kTransportStreamId;
    pat.programs = {{0, kNitPid}, {1, kPmtPid}};
    if (c_.second_program) pat.programs.push_back({2, kPmtPid});
    const auto pat_sections = pat.encode();
    add_table(c_.pat, 0, kPatPid, [&](std::int64_t) { return pat_sections; });

    mux::Pmt pmt;
    pmt.program_number = 1;
    pmt.PCR_PID = kVideoPid;
    pmt.streams = {
        {mux::kStreamTypeH264, kVideoPid, {}},
        {mux::kStreamTypeMpeg1Audio, kAudioPid, {mux::Iso639LanguageDescriptor{{{"chi", 0}}}}}};
    const auto pmt_sections = pmt.encode();
    add_table(c_.pmt, 1, kPmtPid, [&](std::int64_t) { return pmt_sections; });
    if (c_.second_program) {
      mux::Pmt pmt2;
      pmt2.program_number = 2;
      pmt2.PCR_PID = kVideoPid;
      pmt2.streams = {{mux::kStreamTypeMpeg1Audio, kAudioPid, {}}};
      const auto pmt2_sections = pmt2.encode();
      add_table(c_.pmt2, 2, kPmtPid, [&](std::int64_t) { return pmt2_sections; });
    }

    mux::Sdt sdt;
    sdt.transport_stream_id = kTransportStreamId;
    sdt.original_network_id = kOriginalNetworkId;
    sdt.services.push_back(
        {1, true, true, 4, false, {mux::ServiceDescriptor{0x16, text("CETV"), text("空中课堂")}}});
    const auto sdt_sections = sdt.encode();
    add_table(c_.sdt, 3, kSdtPid, [&](std::int64_t) { return sdt_sections; });

    mux::Nit nit;
    nit.network_id = kNetworkId;
    nit.network_descriptors.push_back(mux::NetworkNameDescriptor{text("SkyClass")});
    nit.transport_streams.push_back(
        {kTransportStreamId, kOriginalNetworkId, {mux::ServiceListDescriptor{{{1, 0x16}}}}});
    const auto nit_sections = nit.encode();
    add_table(c_.nit, 4, kNitPid, [&](std::int64_t) { return nit_sections; });

    add_table(
        c_.eit_pf, 5, kEitPid, [&](std::int64_t t) { return eit_pf_sections(t); },
        c_.eit_pf_section_gap_ns);
    add_table(c_.eit_schedule, 6, kEitPid, [&](std::int64_t) { return eit_schedule_sections(); });
    add_table(c_.tdt, 7, kTdtPid, [&](std::int64_t t) { return mux::Tdt{utc_s(t)}.encode(); });
    add_table(c_.tot, 8, kTdtPid, [&](std::int64_t t) { return tot_sections(t); });
  }

  std::int64_t utc_s(std::int64_t t_ns) const { return c_.utc_start_s + t_ns / kSecond; }

  mux::Eit eit(std::uint8_t table_id) const {
    mux::Eit e;
    e.table_id = table_id;
    e.service_id = 1;
    e.transport_stream_id = kTransportStreamId;
    e.original_network_id = kOriginalNetworkId;
    e.last_table_id = table_id;
    return e;
  }

  std::vector<Bytes> eit_pf_sections(std::int64_t t_ns) const {
    const std::int64_t start = utc_s(t_ns) - 600;
    mux::Eit present = eit(mux::Eit::kTableIdPfActual);
    present.last_section_number = present.segment_last_section_number = 1;
    present.events = {lesson(1, start, 4)};
    mux::Eit following = present;
    following.section_number = 1;
    following.events = {lesson(2, start + 45 * 60, 1)};
    return {present.encode_section(), following.encode_section()};
  }

  std::vector<Bytes> eit_schedule_sections() const {
    mux::Eit schedule = eit(mux::Eit::kTableIdScheduleActualFirst);
    const std::int64_t day = c_.utc_start_s - c_.utc_start_s % 86400;
    for (std::uint16_t i = 0; i < 3; ++i) {
      schedule.events.push_back(lesson(static_cast<std::uint16_t>(10 + i), day + i * 2700, 1));
    }
    return {schedule.encode_section()};
  }

  std::vector<Bytes> tot_sections(std::int64_t t_ns) const {
    mux::LocalTimeOffsetDescriptor::Region region;
    region.country_code = "CHN";
    region.local_time_offset_min = 8 * 60;
    region.time_of_change_utc_s = c_.utc_start_s;
    region.next_time_offset_min = 8 * 60;
    return mux::Tot{utc_s(t_ns), {mux::LocalTimeOffsetDescriptor{{region}}}}.encode();
  }

  void add_elementary_streams() {
    for (std::int64_t t : c_.video.due_times(c_.duration_ns)) {
      const bool without_pts = std::any_of(c_.video_without_pts.begin(), c_.video_without_pts.end(),
                                           [t](const Window& w) { return w.contains(t); });
      Emission e{t, 9, {}, true, {}};
      if (!without_pts) e.pts_90k = pts_90k_at(t);
      emissions_.push_back(std::move(e));
    }
    for (std::int64_t t : c_.audio.due_times(c_.duration_ns)) {
      emissions_.push_back({t, 10, {audio_packet(pts_90k_at(t))}, false, {}});
    }
  }

  static Packet audio_packet(std::uint64_t pts_90k) {
    Packet p;
    mux::TsHeader header;
    header.pid = kAudioPid;
    header.payload_unit_start_indicator = true;
    auto payload = mux::write_ts_header_with_pcr(span_of(p), header, false, nullptr, 184);
    std::fill(payload.begin(), payload.end(), std::uint8_t{0x55});
    const mux::PesHeader pes{mux::kAudioStreamId, 178, true, pts_90k, {}};
    const std::size_t at = pes.encode(payload);
    payload[at] = 0xFF;  // MPEG-1 Layer II frame header
    payload[at + 1] = 0xFD;
    return p;
  }

  void place(const Emission& e) {
    std::vector<std::size_t> chosen;
    for (std::size_t s = slot_at(e.due_ns); s < slots_ && chosen.size() < e.packets.size(); ++s) {
      if (use_[s] == Use::free) chosen.push_back(s);
    }
    if (chosen.size() < e.packets.size()) return;  // does not fit before the end
    for (std::size_t i = 0; i < chosen.size(); ++i) {
      packets_[chosen[i]] = e.packets[i];
      use_[chosen[i]] = Use::taken;
    }
  }

  // The frame starts in the first free slot at or after its time, or in a PCR slot there that
  // no frame starts in yet.
  void place_video_frame(const Emission& e) {
    std::size_t s = slot_at(e.due_ns);
    while (s < slots_ && !(use_[s] == Use::free || (pcr_[s] && !pusi_[s]))) ++s;
    if (s >= slots_) return;
    use_[s] = Use::video;
    pusi_[s] = true;
    pts_[s] = e.pts_90k;
    int more = c_.video_packets_per_frame - 1;
    for (++s; s < slots_ && more > 0; ++s) {
      if (use_[s] != Use::free) continue;
      use_[s] = Use::video;
      --more;
    }
  }

  void write_video_and_nulls() {
    for (std::size_t s = 0; s < slots_; ++s) {
      if (use_[s] == Use::free) mux::write_null_packet(span_of(packets_[s]));
      if (use_[s] != Use::video) continue;
      mux::TsHeader header;
      header.pid = kVideoPid;
      header.payload_unit_start_indicator = pusi_[s];
      const mux::Pcr pcr = mux::pcr_for_packet(s, c_.muxrate_bps);
      auto payload = pcr_[s] ? mux::write_ts_header_with_pcr(span_of(packets_[s]), header, pusi_[s],
                                                             &pcr, kVideoPcrPayload)
                             : mux::write_ts_header_with_pcr(span_of(packets_[s]), header, false,
                                                             nullptr, 184);
      std::fill(payload.begin(), payload.end(), kVideoFiller);
      if (!pusi_[s]) continue;
      const mux::PesHeader pes{mux::kVideoStreamId, 0, true, pts_[s], {}};
      const std::size_t at = pes.encode(payload);
      std::copy(mux::kAccessUnitDelimiter.begin(), mux::kAccessUnitDelimiter.end(),
                payload.begin() + static_cast<std::ptrdiff_t>(at));
    }
  }

  const StreamConfig& c_;
  std::size_t slots_;
  std::vector<Packet> packets_;
  std::vector<Use> use_;
  std::vector<bool> pcr_, pusi_;
  std::vector<std::optional<std::uint64_t>> pts_;
  std::vector<Emission> emissions_;
};

}  // namespace

std::vector<std::int64_t> Schedule::due_times(std::int64_t duration_ns) const {
  std::vector<std::int64_t> times;
  if (!enabled) return times;
  for (std::int64_t t = offset_ns; t < duration_ns;) {
    auto outage = std::find_if(outages.begin(), outages.end(),
                               [t](const Window& w) { return w.contains(t); });
    if (outage != outages.end()) {
      t = outage->to_ns;
      continue;
    }
    times.push_back(t);
    if (interval_ns <= 0) break;
    t += interval_ns;
  }
  for (std::int64_t t : extra_ns) {
    if (t < duration_ns) times.push_back(t);
  }
  std::sort(times.begin(), times.end());
  return times;
}

TsStream::TsStream(std::uint64_t muxrate_bps, std::vector<Packet> packets)
    : muxrate_bps_(muxrate_bps), packets_(std::move(packets)) {}

std::int64_t TsStream::time_ns(std::size_t index) const {
  return static_cast<std::int64_t>(static_cast<u128>(index) * kPacketBitsNs / muxrate_bps_);
}

std::size_t TsStream::index_at(std::int64_t t_ns) const {
  if (t_ns <= 0) return 0;
  const u128 scaled = static_cast<u128>(t_ns) * muxrate_bps_;
  return static_cast<std::size_t>((scaled + kPacketBitsNs - 1) / kPacketBitsNs);
}

std::uint16_t TsStream::pid(std::size_t index) const {
  const Packet& p = packets_.at(index);
  return static_cast<std::uint16_t>(((p[1] & 0x1F) << 8) | p[2]);
}
bool TsStream::pusi(std::size_t index) const {
  return (packets_.at(index)[1] & 0x40) != 0;
}
std::uint8_t TsStream::cc(std::size_t index) const {
  return packets_.at(index)[3] & 0x0F;
}

bool TsStream::has_pcr(std::size_t index) const {
  const Packet& p = packets_.at(index);
  return (p[3] & 0x20) != 0 && p[4] >= 7 && (p[5] & 0x10) != 0;
}

std::uint64_t TsStream::pcr_27mhz(std::size_t index) const {
  const Packet& p = packets_.at(index);
  if (!has_pcr(index)) throw std::logic_error(fmt::format("packet {} has no PCR", index));
  const std::uint64_t base = (std::uint64_t{p[6]} << 25) | (std::uint64_t{p[7]} << 17) |
                             (std::uint64_t{p[8]} << 9) | (std::uint64_t{p[9]} << 1) | (p[10] >> 7);
  return base * 300 + (((p[10] & 1u) << 8) | p[11]);
}

std::optional<std::uint8_t> TsStream::section_table_id(std::size_t index) const {
  if (!pusi(index)) return std::nullopt;
  const Packet& p = packets_[index];
  const std::size_t at = payload_offset(p);
  if (at >= 188) return std::nullopt;
  const std::size_t start = at + 1 + p[at];
  if (start >= 188 || p[start] == 0xFF) return std::nullopt;
  return p[start];
}

std::vector<std::size_t> TsStream::find(std::uint16_t wanted, std::int64_t from_ns,
                                        std::int64_t to_ns) const {
  std::vector<std::size_t> found;
  for (std::size_t i = index_at(from_ns); i < packets_.size() && time_ns(i) < to_ns; ++i) {
    if (pid(i) == wanted) found.push_back(i);
  }
  return found;
}

std::vector<std::size_t> TsStream::find_pcrs(std::int64_t from_ns, std::int64_t to_ns) const {
  std::vector<std::size_t> found;
  for (std::size_t i : find(kVideoPid, from_ns, to_ns)) {
    if (has_pcr(i)) found.push_back(i);
  }
  return found;
}

std::vector<std::size_t> TsStream::find_section_starts(std::uint16_t wanted, std::uint8_t table_id,
                                                       std::int64_t from_ns,
                                                       std::int64_t to_ns) const {
  std::vector<std::size_t> found;
  for (std::size_t i : find(wanted, from_ns, to_ns)) {
    if (section_table_id(i) == table_id) found.push_back(i);
  }
  return found;
}

std::vector<std::size_t> TsStream::find_plain_video(std::int64_t from_ns,
                                                    std::int64_t to_ns) const {
  std::vector<std::size_t> found;
  for (std::size_t i : find(kVideoPid, from_ns, to_ns)) {
    if (!pusi(i) && !has_pcr(i)) found.push_back(i);
  }
  return found;
}

std::size_t TsStream::find_null_run(std::size_t length, std::int64_t from_ns) const {
  std::size_t run = 0;
  for (std::size_t i = index_at(from_ns); i < packets_.size(); ++i) {
    run = pid(i) == kNullPid ? run + 1 : 0;
    if (run == length) return i + 1 - length;
  }
  throw std::logic_error(fmt::format("no run of {} null packets after {} ns", length, from_ns));
}

void TsStream::nullify(std::size_t index) {
  mux::write_null_packet(span_of(packets_.at(index)));
}

void TsStream::duplicate(std::size_t index, std::size_t copies) {
  for (std::size_t i = index + 1; i <= index + copies; ++i) {
    if (pid(i) != kNullPid) {
      throw std::logic_error(
          fmt::format("duplicate of packet {}: packet {} is not null", index, i));
    }
    packets_[i] = packets_[index];
  }
}

void TsStream::set_tei(std::size_t index) {
  packets_.at(index)[1] |= 0x80;
}
void TsStream::corrupt_sync(std::size_t index, std::uint8_t value) {
  packets_.at(index)[0] = value;
}
void TsStream::set_cc(std::size_t index, std::uint8_t value) {
  Packet& p = packets_.at(index);
  p[3] = static_cast<std::uint8_t>((p[3] & 0xF0) | (value & 0x0F));
}
void TsStream::set_scrambling(std::size_t index, std::uint8_t bits) {
  Packet& p = packets_.at(index);
  p[3] = static_cast<std::uint8_t>((p[3] & 0x3F) | ((bits & 0x3) << 6));
}

void TsStream::set_discontinuity(std::size_t index) {
  Packet& p = packets_.at(index);
  if ((p[3] & 0x20) == 0 || p[4] == 0) {
    throw std::logic_error(fmt::format("packet {} has no adaptation field flags", index));
  }
  p[5] |= 0x80;
}

void TsStream::shift_pcr(std::size_t index, std::int64_t ns) {
  const std::int64_t ticks = (ns * 27 + (ns >= 0 ? 500 : -500)) / 1000;  // rounded
  const std::uint64_t value =
      (pcr_27mhz(index) + mux::kPcrModulus27MHz + static_cast<std::uint64_t>(ticks)) %
      mux::kPcrModulus27MHz;
  const mux::Pcr pcr = mux::Pcr::from_27mhz(value);
  Packet& p = packets_[index];
  p[6] = static_cast<std::uint8_t>(pcr.base >> 25);
  p[7] = static_cast<std::uint8_t>(pcr.base >> 17);
  p[8] = static_cast<std::uint8_t>(pcr.base >> 9);
  p[9] = static_cast<std::uint8_t>(pcr.base >> 1);
  p[10] = static_cast<std::uint8_t>(((pcr.base & 1) << 7) | 0x7E | (pcr.extension >> 8));
  p[11] = static_cast<std::uint8_t>(pcr.extension);
}

void TsStream::shift_pcrs_from(std::size_t index, std::int64_t ns) {
  for (std::size_t i = index; i < packets_.size(); ++i) {
    if (pid(i) == kVideoPid && has_pcr(i)) shift_pcr(i, ns);
  }
}

std::size_t TsStream::remove_pcrs(std::int64_t from_ns, std::int64_t to_ns) {
  const auto found = find_pcrs(from_ns, to_ns);
  for (std::size_t i : found) {
    Packet& p = packets_[i];
    p[5] &= static_cast<std::uint8_t>(~0x10);  // the field keeps its length, as stuffing
    std::fill(p.begin() + 6, p.begin() + 12, std::uint8_t{0xFF});
  }
  return found.size();
}

void TsStream::corrupt_crc(std::size_t index) {
  Packet& first = packets_.at(index);
  if (!pusi(index)) throw std::logic_error(fmt::format("packet {} starts no section", index));
  const std::size_t at = payload_offset(first);
  const std::size_t start = at + 1 + first[at];
  const std::size_t total = 3 + (((first[start + 1] & 0x0Fu) << 8) | first[start + 2]);
  std::size_t remaining = start + total - 1;  // the last CRC byte, counted from this packet
  const std::uint16_t section_pid = pid(index);
  for (std::size_t i = index; i < packets_.size(); ++i) {
    if (pid(i) != section_pid) continue;
    const std::size_t from = i == index ? 0 : payload_offset(packets_[i]);
    if (from + remaining < 188) {
      packets_[i][from + remaining] ^= 0xFF;
      return;
    }
    remaining -= 188 - from;
  }
  throw std::logic_error(fmt::format("section at packet {} runs past the end", index));
}

std::size_t TsStream::insert_section(std::uint16_t section_pid, ByteView section,
                                     std::int64_t at_ns) {
  const auto section_packets = packetize(section, section_pid);
  std::optional<std::size_t> first;
  std::size_t next = 0;
  for (std::size_t i = index_at(at_ns); i < packets_.size() && next < section_packets.size(); ++i) {
    if (pid(i) != kNullPid) continue;
    packets_[i] = section_packets[next++];
    if (!first) first = i;
  }
  if (next < section_packets.size()) throw std::logic_error("insert_section: no room left");
  restamp_cc(section_pid);
  return *first;
}

std::vector<std::size_t> TsStream::insert_packets(std::uint16_t inserted_pid, std::int64_t from_ns,
                                                  std::int64_t to_ns, std::int64_t interval_ns,
                                                  std::uint8_t fill) {
  std::vector<std::size_t> indices;
  for (std::int64_t t = from_ns; t < to_ns; t += interval_ns) {
    std::size_t i = index_at(t);
    if (!indices.empty()) i = std::max(i, indices.back() + 1);
    while (i < packets_.size() && pid(i) != kNullPid) ++i;
    if (i >= packets_.size()) break;
    mux::TsHeader header;
    header.pid = inserted_pid;
    auto payload = mux::write_ts_header_with_pcr(span_of(packets_[i]), header, false, nullptr, 184);
    std::fill(payload.begin(), payload.end(), fill);
    indices.push_back(i);
  }
  restamp_cc(inserted_pid);
  return indices;
}

void TsStream::restamp_cc(std::uint16_t wanted) {
  std::uint8_t counter = 0x0F;
  for (std::size_t i = 0; i < packets_.size(); ++i) {
    if (pid(i) != wanted) continue;
    if ((packets_[i][3] & 0x10) != 0) counter = (counter + 1) & 0x0F;
    set_cc(i, counter);
  }
}

void TsStream::drop(std::size_t index) {
  packets_.erase(packets_.begin() + static_cast<std::ptrdiff_t>(index));
}

Bytes TsStream::bytes(std::size_t packet_size) const {
  if (packet_size != 188 && packet_size != 204) {
    throw std::invalid_argument(fmt::format("packet size {}: 188 or 204", packet_size));
  }
  Bytes out;
  out.reserve(packets_.size() * packet_size);
  for (std::size_t i = 0; i < packets_.size(); ++i) {
    out.insert(out.end(), packets_[i].begin(), packets_[i].end());
    for (std::size_t k = 188; k < packet_size; ++k) {
      out.push_back(static_cast<std::uint8_t>(i * 31 + k * 7 + 0x11));  // stands for RS parity
    }
  }
  return out;
}

TsStream build_stream(const StreamConfig& config) {
  return Builder(config).run();
}

Bytes long_section(std::uint8_t table_id, std::uint16_t table_id_extension,
                   std::size_t payload_bytes) {
  mux::LongSectionHeader header;
  header.table_id = table_id;
  header.private_indicator = table_id >= 0x40;
  header.table_id_extension = table_id_extension;
  return mux::encode_long_section(header, Bytes(payload_bytes, 0x00));
}

Bytes short_section(std::uint8_t table_id, std::size_t payload_bytes) {
  return mux::encode_short_section(table_id, true, Bytes(payload_bytes, 0x00), false);
}

Bytes garbage(std::size_t count, std::uint32_t seed) {
  Bytes out = random_bytes(count, seed);
  for (std::uint8_t& b : out) {
    if (b == 0x47) b = 0x46;
  }
  return out;
}

Bytes random_bytes(std::size_t count, std::uint32_t seed) {
  std::mt19937 rng(seed);
  Bytes out(count);
  for (std::uint8_t& b : out) b = static_cast<std::uint8_t>(rng());
  return out;
}

void insert_bytes(Bytes& stream, std::size_t offset, ByteView bytes) {
  stream.insert(stream.begin() + static_cast<std::ptrdiff_t>(offset), bytes.begin(), bytes.end());
}

void truncate_last_packet(Bytes& stream, std::size_t keep_bytes, std::size_t packet_size) {
  stream.resize(stream.size() - packet_size + keep_bytes);
}

}  // namespace skyclass::tsmon::test

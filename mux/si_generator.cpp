#include "mux/si_generator.hpp"

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <stdexcept>

#include "mux/dvb_time.hpp"
#include "mux/section.hpp"
#include "mux/tables/nit.hpp"
#include "mux/tables/pat.hpp"
#include "mux/tables/pmt.hpp"
#include "mux/tables/sdt.hpp"
#include "mux/tables/tdt.hpp"
#include "mux/tables/tot.hpp"

namespace skyclass::mux {
namespace {

constexpr std::uint64_t kTicksPerSecond = 27'000'000;
constexpr std::uint64_t kTicksPerMs = kTicksPerSecond / 1000;
// EN 300 468 5.1.4 asks for 25 ms from a section's last byte to the next of its sub-table. A
// monitor at the far end of a link times packets by their arrival, and a few ms of jitter there
// would show a 25 ms gap as less (tsmon saw 22.7 ms over loopback UDP): keep 5 ms more.
constexpr std::uint64_t kMinSectionGap27mhz = 30 * kTicksPerMs;
constexpr std::uint64_t kNever = std::numeric_limits<std::uint64_t>::max();
constexpr std::uint64_t kTsPacketBits = kTsPacketBytes * 8;
constexpr std::uint8_t kRunningStatusRunning = 4;
// Largest p/f section: one event with a full short_event, content and CRID descriptor.
constexpr std::size_t kMaxPfSectionBytes = 14 + 12 + (2 + 255) + (2 + 2) + (2 + 255) + 4;

std::uint64_t ceil_div(std::uint64_t a, std::uint64_t b) {
  return (a + b - 1) / b;
}

// What a section is known by for repetition (TR 101 211): table_id, and for the long form
// table_id_extension and section_number.
std::uint32_t section_key(const Bytes& section) {
  std::uint32_t key = std::uint32_t{section[0]} << 24;
  if (section.size() >= 8 && (section[1] & 0x80) != 0) {
    key |= std::uint32_t{section[3]} << 16 | std::uint32_t{section[4]} << 8 | section[6];
  }
  return key;
}

// The first of first_27mhz + n * period_27mhz (n >= 0) at or after now_27mhz.
std::uint64_t next_place_27mhz(std::uint64_t first_27mhz, std::uint64_t period_27mhz,
                               std::uint64_t now_27mhz) {
  if (first_27mhz >= now_27mhz) return first_27mhz;
  if (first_27mhz + period_27mhz >= now_27mhz) return first_27mhz + period_27mhz;
  return first_27mhz + ceil_div(now_27mhz - first_27mhz, period_27mhz) * period_27mhz;
}

void check_period(std::int64_t period_ms, std::int64_t max_ms, const char* field) {
  if (period_ms <= 0 || period_ms > max_ms) {
    throw std::invalid_argument(
        fmt::format("SI repetition {}: {} ms is outside 1..{} ms (ETSI TR 101 211 4.4)", field,
                    period_ms, max_ms));
  }
}

DvbText text_or_throw(const std::string& utf8, TextEncoding encoding, const char* field) {
  auto text = DvbText::from_utf8(utf8, encoding);
  if (!text) throw std::invalid_argument(fmt::format("{}: {}", field, text.error()));
  return std::move(text).value();
}

std::size_t packets_of(const std::vector<Bytes>& sections) {
  std::size_t packets = 0;
  for (const Bytes& section : sections) packets += section_packet_count(section.size());
  return packets;
}

Pat make_pat(const SiConfig& c) {
  Pat pat;
  pat.transport_stream_id = c.transport_stream_id;
  pat.programs = {{0, Nit::kPid}, {c.service_id, c.pmt_pid}};
  return pat;
}

Pmt make_pmt(const SiConfig& c) {
  Pmt pmt;
  pmt.program_number = c.service_id;
  pmt.PCR_PID = c.pcr_pid;
  for (const SiElementaryStream& es : c.streams) {
    Pmt::Stream stream{es.stream_type, es.elementary_PID, {}};
    if (!es.language.empty()) {
      stream.descriptors.push_back(Iso639LanguageDescriptor{{{es.language, 0}}});
    }
    if (es.component_tag) {
      stream.descriptors.push_back(StreamIdentifierDescriptor{*es.component_tag});
    }
    pmt.streams.push_back(std::move(stream));
  }
  return pmt;
}

Sdt make_sdt(const SiConfig& c) {
  Sdt sdt;
  sdt.transport_stream_id = c.transport_stream_id;
  sdt.original_network_id = c.original_network_id;
  ServiceDescriptor service{c.service_type,
                            text_or_throw(c.provider_name, c.text_encoding, "provider_name"),
                            text_or_throw(c.service_name, c.text_encoding, "service_name")};
  sdt.services.push_back({c.service_id, true, true, kRunningStatusRunning, false, {service}});
  return sdt;
}

Nit make_nit(const SiConfig& c) {
  Nit nit;
  nit.network_id = c.network_id;
  nit.network_descriptors.push_back(
      NetworkNameDescriptor{text_or_throw(c.network_name, c.text_encoding, "network_name")});
  Nit::TransportStream ts{c.transport_stream_id, c.original_network_id, {}};
  ts.descriptors.push_back(c.delivery);
  ts.descriptors.push_back(ServiceListDescriptor{{{c.service_id, c.service_type}}});
  nit.transport_streams.push_back(std::move(ts));
  return nit;
}

// The periods against TR 101 211 4.4, and room for the schedule. Returns the packet cap of one
// schedule cycle.
std::size_t check_config(const SiConfig& config) {
  const SiRepetitionMs& r = config.repetition;
  check_period(r.pat, 100, "pat");
  check_period(r.pmt, 100, "pmt");
  check_period(r.sdt, 2000, "sdt");
  check_period(r.nit, 10'000, "nit");
  check_period(r.eit_present_following, 2000, "eit_present_following");
  check_period(r.eit_schedule, 10'000, "eit_schedule");
  check_period(r.tdt, 30'000, "tdt");
  check_period(r.tot, 30'000, "tot");
  if (config.muxrate_bps == 0) throw std::invalid_argument("SI muxrate_bps: must be above 0");
  auto max_packets =
      static_cast<std::size_t>(config.eit_schedule_max_bps *
                               static_cast<std::uint64_t>(r.eit_schedule) / 1000 / kTsPacketBits);
  // An empty 8-day schedule is 64 one-packet sections.
  if (max_packets < 2 * kSegmentsPerTable) {
    throw std::invalid_argument(fmt::format(
        "SI eit_schedule_max_bps: {} bit/s cannot carry the 64 sections of an empty schedule "
        "every {} ms",
        config.eit_schedule_max_bps, r.eit_schedule));
  }
  return max_packets;
}

}  // namespace

SiGenerator::SiGenerator(SiConfig config, std::int64_t utc_at_zero_s, std::vector<EpgEvent> events)
    : config_(std::move(config)),
      utc_at_zero_s_(utc_at_zero_s),
      epg_(EpgServiceIds{config_.service_id, config_.transport_stream_id,
                         config_.original_network_id, config_.text_encoding}),
      cycles_(kCycleCount),
      schedule_max_packets_(check_config(config_)) {
  const SiRepetitionMs& r = config_.repetition;
  const std::int64_t periods_ms[kCycleCount] = {
      r.pat, r.pmt, r.tdt,          r.tot,         r.eit_present_following,
      r.sdt, r.nit, r.eit_schedule, r.eit_schedule};
  for (int id = 0; id < kCycleCount; ++id) {
    cycles_[id].period_27mhz = static_cast<std::uint64_t>(periods_ms[id]) * kTicksPerMs;
  }
  cycles_[kSchedule50].spread = cycles_[kSchedule51].spread = true;
  for (std::size_t packets = 0; packets < transmit_by_packets_27mhz_.size(); ++packets) {
    transmit_by_packets_27mhz_[packets] =
        ceil_div(packets * kTsPacketBits * kTicksPerSecond, config_.muxrate_bps);
  }
  try {
    build_static_tables();
  } catch (const std::invalid_argument&) {
    throw;
  } catch (const std::exception& e) {
    throw std::invalid_argument(fmt::format("SI configuration: {}", e.what()));
  }
  epg_.set_events(std::move(events));
  max_bitrate_bps_ = compute_max_bitrate_bps();
}

void SiGenerator::build_static_tables() {
  cycles_[kPat].pid = Pat::kPid;
  set_sections(cycles_[kPat], make_pat(config_).encode(), 0);
  cycles_[kPmt].pid = config_.pmt_pid;
  set_sections(cycles_[kPmt], make_pmt(config_).encode(), 0);
  cycles_[kSdt].pid = Sdt::kPid;
  set_sections(cycles_[kSdt], make_sdt(config_).encode(), 0);
  cycles_[kNit].pid = Nit::kPid;
  set_sections(cycles_[kNit], make_nit(config_).encode(), 0);
  cycles_[kTdt].pid = cycles_[kTot].pid = Tdt::kPid;
  cycles_[kPf].pid = cycles_[kSchedule50].pid = cycles_[kSchedule51].pid = Eit::kPid;
  refresh_time_tables(0);
}

// Replaces a cycle's content. A section that was there before (same key) keeps its phase and
// due time; a new one gets its phase in the new layout and is due at its next place from now.
void SiGenerator::set_sections(Cycle& cycle, std::vector<Bytes> sections, std::uint64_t now_27mhz) {
  std::vector<std::pair<std::uint32_t, std::size_t>> old_keys;
  old_keys.reserve(cycle.keys.size());
  for (std::size_t i = 0; i < cycle.keys.size(); ++i) old_keys.emplace_back(cycle.keys[i], i);
  std::sort(old_keys.begin(), old_keys.end());

  const std::size_t total_packets = std::max<std::size_t>(packets_of(sections), 1);
  std::vector<std::uint32_t> keys(sections.size());
  std::vector<std::uint64_t> phases(sections.size(), 0);
  std::vector<std::uint64_t> dues(sections.size(), 0);
  std::size_t packets_before = 0;
  for (std::size_t i = 0; i < sections.size(); ++i) {
    keys[i] = section_key(sections[i]);
    const auto old = std::lower_bound(old_keys.begin(), old_keys.end(),
                                      std::pair<std::uint32_t, std::size_t>{keys[i], 0});
    if (old != old_keys.end() && old->first == keys[i]) {
      phases[i] = cycle.phases_27mhz[old->second];
      dues[i] = cycle.dues_27mhz[old->second];
    } else {
      if (cycle.spread) phases[i] = cycle.period_27mhz * packets_before / total_packets;
      dues[i] = next_place_27mhz(cycle.anchor_27mhz + phases[i], cycle.period_27mhz, now_27mhz);
    }
    packets_before += section_packet_count(sections[i].size());
  }
  cycle.sections = std::move(sections);
  cycle.keys = std::move(keys);
  cycle.phases_27mhz = std::move(phases);
  cycle.dues_27mhz = std::move(dues);
  find_next(cycle);
}

// Every section due at once from now, phases counted from now.
void SiGenerator::restart(Cycle& cycle, std::uint64_t now_27mhz) {
  cycle.anchor_27mhz = now_27mhz;
  for (std::size_t i = 0; i < cycle.sections.size(); ++i) {
    cycle.dues_27mhz[i] = now_27mhz + cycle.phases_27mhz[i];
  }
  find_next(cycle);
}

void SiGenerator::find_next(Cycle& cycle) {
  cycle.next = 0;
  for (std::size_t i = 1; i < cycle.dues_27mhz.size(); ++i) {
    if (cycle.dues_27mhz[i] < cycle.dues_27mhz[cycle.next]) cycle.next = i;
  }
}

std::int64_t SiGenerator::utc_s(std::uint64_t now_27mhz) const {
  return utc_at_zero_s_ + static_cast<std::int64_t>(now_27mhz / kTicksPerSecond);
}

std::uint64_t SiGenerator::tick_of_utc(std::int64_t utc_s) const {
  if (utc_s == kNoChangeUtcS) return kNever;
  if (utc_s <= utc_at_zero_s_) return 0;
  return static_cast<std::uint64_t>(utc_s - utc_at_zero_s_) * kTicksPerSecond;
}

void SiGenerator::refresh_time_tables(std::uint64_t now_27mhz) {
  std::int64_t now_utc_s = utc_s(now_27mhz);
  set_sections(cycles_[kTdt], Tdt{now_utc_s}.encode(), now_27mhz);
  LocalTimeOffsetDescriptor::Region region;
  region.country_code = config_.country_code;
  region.local_time_offset_polarity = config_.local_time_offset_min < 0;
  region.local_time_offset_min =
      static_cast<std::uint16_t>(std::abs(config_.local_time_offset_min));
  region.time_of_change_utc_s = utc_midnight_s(now_utc_s);  // no daylight saving: no change due
  region.next_time_offset_min = region.local_time_offset_min;
  set_sections(cycles_[kTot], Tot{now_utc_s, {LocalTimeOffsetDescriptor{{region}}}}.encode(),
               now_27mhz);
}

void SiGenerator::refresh_present_following(std::uint64_t now_27mhz) {
  std::int64_t now_utc_s = utc_s(now_27mhz);
  Cycle& pf = cycles_[kPf];
  std::vector<Bytes> sections = epg_.present_following(now_utc_s);
  if (sections != pf.sections) {
    set_sections(pf, std::move(sections), now_27mhz);
    // Send the new content at once, but restart the cycle at most once per period so that
    // max_bitrate_bps() stays a bound however often the guide is replaced.
    if (!pf_restarted_ || now_27mhz >= pf_restart_27mhz_ + pf.period_27mhz) {
      restart(pf, now_27mhz);
      pf.urgent = true;
      pf_restarted_ = true;
      pf_restart_27mhz_ = now_27mhz;
    }
  }
  pf_change_27mhz_ = tick_of_utc(next_present_following_change_utc_s(epg_.events(), now_utc_s));
}

void SiGenerator::refresh_schedule(std::uint64_t now_27mhz) {
  std::int64_t now_utc_s = utc_s(now_27mhz);
  const EpgTables::Schedule& schedule = epg_.schedule(now_utc_s, schedule_max_packets_);
  set_sections(cycles_[kSchedule50], schedule.table_0x50, now_27mhz);
  set_sections(cycles_[kSchedule51], schedule.table_0x51, now_27mhz);
  schedule_horizon_days_ = schedule.horizon_days;
  schedule_change_27mhz_ = tick_of_utc(utc_midnight_s(now_utc_s) + kSecondsPerDay);
}

void SiGenerator::apply_pending_events(std::uint64_t now_27mhz) {
  if (!pending_events_) return;
  epg_.set_events(std::move(*pending_events_));
  pending_events_.reset();
  refresh_present_following(now_27mhz);
  refresh_schedule(now_27mhz);
}

void SiGenerator::set_events(std::vector<EpgEvent> events) {
  std::lock_guard lock(mutex_);
  pending_events_ = std::move(events);
  quiet_until_27mhz_.store(0, std::memory_order_release);
}

std::uint64_t SiGenerator::transmit_27mhz(std::size_t section_bytes) const {
  const std::size_t packets = section_packet_count(section_bytes);
  if (packets < transmit_by_packets_27mhz_.size()) return transmit_by_packets_27mhz_[packets];
  return ceil_div(packets * kTsPacketBits * kTicksPerSecond, config_.muxrate_bps);
}

bool SiGenerator::eligible(CycleId id, std::uint64_t now_27mhz) const {
  const Cycle& cycle = cycles_[id];
  if (cycle.sections.empty() || now_27mhz < cycle.earliest_next_27mhz) return false;
  if (!cycle.urgent && now_27mhz < due_27mhz(cycle)) return false;
  if (id == kPf && !cycle.urgent && pf_change_27mhz_ > now_27mhz) {
    // Hold a plain repetition whose 25 ms gap would delay the switch at the event boundary.
    std::uint64_t blocked_until =
        now_27mhz + transmit_27mhz(cycle.sections[cycle.next].size()) + kMinSectionGap27mhz;
    if (blocked_until > pf_change_27mhz_) return false;
  }
  return true;
}

SectionOnPid SiGenerator::send(CycleId id, std::uint64_t now_27mhz) {
  if (id == kTdt || id == kTot) refresh_time_tables(now_27mhz);
  Cycle& cycle = cycles_[id];
  const std::size_t i = cycle.next;
  const Bytes& section = cycle.sections[i];  // stays until the next next_due call replaces it
  cycle.earliest_next_27mhz = now_27mhz + transmit_27mhz(section.size()) + kMinSectionGap27mhz;
  last_sent_ = id;
  cycle.urgent = false;
  // Due again at its next place after now: one period on, or (far behind, no slots for a whole
  // period) the next place still ahead rather than a burst to catch up.
  cycle.dues_27mhz[i] = next_place_27mhz(cycle.dues_27mhz[i], cycle.period_27mhz, now_27mhz + 1);
  find_next(cycle);
  return SectionOnPid{cycle.pid, section};
}

// The earliest time the next section of `id` can be eligible (see eligible()): the later of
// its due time (unless urgent) and the 25 ms gap; for a p/f repetition held back at that time
// for the switch, the switch (the hold only grows until then). kNever when it has none.
inline std::uint64_t SiGenerator::ready_27mhz(CycleId id) const {
  const Cycle& cycle = cycles_[id];
  if (cycle.sections.empty()) return kNever;
  std::uint64_t from = cycle.earliest_next_27mhz;
  if (!cycle.urgent) from = std::max(from, due_27mhz(cycle));
  if (id == kPf && !cycle.urgent && pf_change_27mhz_ > from &&
      from + transmit_27mhz(cycle.sections[cycle.next].size()) + kMinSectionGap27mhz >
          pf_change_27mhz_) {
    from = pf_change_27mhz_;
  }
  return from;
}

void SiGenerator::section_sent(std::uint64_t end_27mhz) {
  std::lock_guard lock(mutex_);
  if (!last_sent_) return;
  Cycle& cycle = cycles_[*last_sent_];
  cycle.earliest_next_27mhz = std::max(cycle.earliest_next_27mhz, end_27mhz + kMinSectionGap27mhz);
  last_sent_.reset();
}

std::optional<SectionOnPid> SiGenerator::next_due(std::uint64_t now_27mhz) {
  std::lock_guard lock(mutex_);
  if (!started_) {
    started_ = true;
    for (Cycle& cycle : cycles_) restart(cycle, now_27mhz);
    refresh_present_following(now_27mhz);
    refresh_schedule(now_27mhz);
  }
  apply_pending_events(now_27mhz);
  if (now_27mhz >= pf_change_27mhz_) refresh_present_following(now_27mhz);
  if (now_27mhz >= schedule_change_27mhz_) refresh_schedule(now_27mhz);

  // One pass: each cycle's earliest time, the most urgent eligible section, and (after it is
  // sent) the time before which nothing can be due.
  std::array<std::uint64_t, kCycleCount> ready;
  std::optional<CycleId> best;
  for (int i = 0; i < kCycleCount; ++i) {
    auto id = static_cast<CycleId>(i);
    ready[i] = ready_27mhz(id);
    // From its ready time on, a section is eligible, but for the p/f hold (see eligible()).
    if (now_27mhz < ready[i] || (id == kPf && !eligible(id, now_27mhz))) continue;
    auto key = [&](CycleId c) { return cycles_[c].urgent ? 0 : due_27mhz(cycles_[c]); };
    if (!best || key(id) < key(*best)) best = id;
  }
  std::optional<SectionOnPid> due;
  if (best) {
    due = send(*best, now_27mhz);
    ready[*best] = ready_27mhz(*best);  // sending changes no other cycle's time
  }
  std::uint64_t quiet = std::min(pf_change_27mhz_, schedule_change_27mhz_);
  for (std::uint64_t t : ready) quiet = std::min(quiet, t);
  quiet_until_27mhz_.store(pending_events_ ? 0 : quiet, std::memory_order_release);
  return due;
}

int SiGenerator::schedule_horizon_days() const {
  std::lock_guard lock(mutex_);
  return schedule_horizon_days_;
}

std::size_t SiGenerator::rejected_events() const {
  std::lock_guard lock(mutex_);
  return epg_.rejected_events();
}

std::uint64_t SiGenerator::compute_max_bitrate_bps() const {
  // Bits per cycle over the cycle's period, rounded up, for each table.
  auto rate_bps = [](std::uint64_t packets, std::uint64_t period_27mhz) {
    return ceil_div(packets * kTsPacketBits * kTicksPerSecond, period_27mhz);
  };
  std::uint64_t total_bps = 0;
  for (CycleId id : {kPat, kPmt, kSdt, kNit, kTdt, kTot}) {
    total_bps += rate_bps(packets_of(cycles_[id].sections), cycles_[id].period_27mhz);
  }
  // p/f: two sections at their largest, counted twice for a restart at an event boundary.
  std::uint64_t pf_packets = 2 * section_packet_count(kMaxPfSectionBytes);
  total_bps += rate_bps(2 * pf_packets, cycles_[kPf].period_27mhz);
  total_bps += rate_bps(schedule_max_packets_, cycles_[kSchedule50].period_27mhz);
  return total_bps;
}

}  // namespace skyclass::mux

#include "tools/tsmon/analyzer.hpp"

#include <algorithm>
#include <cstring>
#include <chrono>
#include <cmath>
#include <set>
#include <unordered_map>
#include <deque>
#include <map>
#include <utility>

#include <fmt/format.h>

#include "mux/crc32.hpp"
#include "mux/descriptors.hpp"
#include "mux/tables/eit.hpp"
#include "mux/tables/nit.hpp"
#include "mux/tables/pat.hpp"
#include "mux/tables/pmt.hpp"
#include "mux/tables/sdt.hpp"
#include "mux/tables/tdt.hpp"
#include "mux/tables/tot.hpp"

namespace skyclass::tsmon {

namespace {

struct IndicatorInfo {
  std::string_view id, name;
  int priority;
};
constexpr std::array<IndicatorInfo, kIndicatorCount> kIndicators{{
    {"1.1", "TS_sync_loss", 1},
    {"1.2", "Sync_byte_error", 1},
    {"1.3", "PAT_error", 1},
    {"1.3a", "PAT_error_2", 1},
    {"1.4", "Continuity_count_error", 1},
    {"1.5", "PMT_error", 1},
    {"1.5a", "PMT_error_2", 1},
    {"1.6", "PID_error", 1},
    {"2.1", "Transport_error", 2},
    {"2.2", "CRC_error", 2},
    {"2.3", "PCR_error", 2},
    {"2.3a", "PCR_repetition_error", 2},
    {"2.3b", "PCR_discontinuity_indicator_error", 2},
    {"2.4", "PCR_accuracy_error", 2},
    {"2.5", "PTS_error", 2},
    {"2.6", "CAT_error", 2},
    {"3.1", "NIT_error", 3},
    {"3.2", "SI_repetition_error", 3},
    {"3.4", "Unreferenced_PID", 3},
    {"3.5", "SDT_error", 3},
    {"3.6", "EIT_error", 3},
    {"3.7", "RST_error", 3},
    {"3.8", "TDT_error", 3},
}};

constexpr std::size_t kPacket = 188;
constexpr std::size_t kRsPacket = 204;
constexpr int kSyncPacketsToLock = 5;  // TR 101 290 1.1: sync acquired after 5 sync bytes
constexpr int kBadSyncsToLose = 2;     // ... and lost after 2 or more corrupted ones
constexpr std::uint64_t kNone = ~std::uint64_t{0};
constexpr std::int64_t kNs = 1'000'000'000;
constexpr std::int64_t kNsPerMs = 1'000'000;
constexpr std::int64_t kTicksPerSecond = 27'000'000;
constexpr std::int64_t kTicksPerMs = 27'000;
constexpr std::int64_t kPcrModulus = (std::int64_t{1} << 33) * 300;
// File mode: beyond this many packets without a reference PCR, time is extrapolated.
constexpr std::uint64_t kMaxUnresolvedPackets = 1u << 20;
// A forward PCR jump beyond this is a new timebase, not an outage (file time).
constexpr std::int64_t kMaxOutageTicks = 60 * kTicksPerSecond;
// Rate estimation (2.4): an interval agrees with the rate when within 100 ppm (dropped packets
// are far outside: one packet is 600 ppm of a 30 ms interval at 2.5 Mbit/s).
constexpr double kRateTolerance = 1e-4;
constexpr int kIntervalsToRebase = 8;
constexpr std::size_t kMaxSectionBytes = 4096;
constexpr std::size_t kSearchWindow = 64 * 1024;

std::int64_t ticks_to_ns(std::int64_t ticks) {
  return static_cast<std::int64_t>(static_cast<__int128>(ticks) * 1000 / 27);
}

enum class Role : std::uint8_t { none, pat, cat, nit, sdt, eit, rst, tdt, pmt, es, null, other_si };

bool carries_sections(Role role) {
  switch (role) {
    case Role::pat: case Role::cat: case Role::nit: case Role::sdt: case Role::eit:
    case Role::rst: case Role::tdt: case Role::pmt:
      return true;
    default:
      return false;
  }
}

std::string_view role_name(Role role, std::optional<std::uint8_t> stream_type) {
  switch (role) {
    case Role::pat: return "PAT";
    case Role::cat: return "CAT";
    case Role::nit: return "NIT";
    case Role::sdt: return "SDT/BAT";
    case Role::eit: return "EIT";
    case Role::rst: return "RST";
    case Role::tdt: return "TDT/TOT";
    case Role::pmt: return "PMT";
    case Role::null: return "null";
    case Role::other_si: return "SI (reserved)";
    case Role::es:
      if (!stream_type) return "elementary stream";
      switch (*stream_type) {
        case 0x01: case 0x02: case 0x1B: case 0x24: case 0x10: return "video";
        case 0x03: case 0x04: case 0x0F: case 0x11: case 0x81: return "audio";
        case 0x05: case 0x06: return "private data";
        default: return "elementary stream";
      }
    case Role::none: break;
  }
  return "unreferenced";
}

// Something that must occur at least every `limit_ns`: one event per absence (see the guide).
// Packet-level hits arrive before their time is known, so they are gathered per interval
// (first, last, largest gap in packets) and judged when the interval is resolved.
struct Watcher {
  Indicator indicator;
  std::uint16_t pid;
  std::int64_t limit_ns;
  std::string what;
  bool active = true;
  bool started = false;      // `last_ns` holds a time (the last hit or the start of watching)
  bool ever_hit = false;
  bool alarmed = false;      // absent for longer than the limit now (counted when it ends)
  std::int64_t last_ns = 0;
  std::uint64_t first_n = kNone, last_n = kNone, max_gap_n = 0;

  void hit(std::uint64_t n) {
    if (first_n == kNone) {
      first_n = n;
    } else if (n - last_n > max_gap_n) {
      max_gap_n = n - last_n;
    }
    last_n = n;
  }
};

// Per-section timing record, judged when its packets' times are known.
struct SectionRecord {
  std::uint16_t pid;
  std::uint8_t table_id;
  std::uint16_t extension;  // table_id_extension (program_number, service_id, ...)
  std::uint8_t section_number;
  std::uint8_t version;
  std::uint64_t start_n, end_n;
};

struct SectionAssembly {
  std::vector<std::uint8_t> bytes;
  bool active = false;
  std::uint64_t start_n = 0;
};

struct PidState {
  // Hot: touched by every packet of the PID.
  std::uint64_t packets = 0;
  std::uint32_t interval_packets = 0;
  std::uint8_t last_cc = 0;
  bool cc_valid = false;
  bool duplicate_seen = false;
  Role role = Role::none;
  bool referenced = false;
  Watcher* presence = nullptr;  // 1.3 (PID 0), 1.6 (PIDs of a PMT)
  // The previous payload, to tell a duplicate packet (same counter, same payload) from an error.
  const std::uint8_t* last_payload = nullptr;
  std::uint8_t last_payload_size = 0;
  bool touched = false;  // last_payload points into the caller's chunk
  Watcher* pts = nullptr;       // 2.5
  // Cold.
  bool seen = false;
  bool cat_error_counted = false;
  bool unreferenced_reported = false;
  std::uint64_t unreferenced_since_n = kNone;
  std::optional<std::int64_t> unreferenced_since_ns;  // once that packet has a time
  std::uint64_t adaptation_only = 0, scrambled = 0, cc_errors = 0, tei = 0, pcrs = 0;
  std::optional<std::uint8_t> stream_type, pes_stream_id;
  std::optional<std::uint16_t> service_id;
  std::uint64_t rate_min = ~std::uint64_t{0}, rate_max = 0, rate_intervals = 0;
  std::uint64_t interval_bits_sum = 0;  // over whole intervals
  std::unique_ptr<SectionAssembly> sections;
  std::unique_ptr<std::array<std::uint8_t, 184>> saved_payload;
};

struct PcrTrack {
  std::uint64_t count = 0;
  std::uint64_t last_n = 0;
  std::uint64_t last_offset = 0;  // input byte offset of the previous PCR's packet
  std::int64_t last_pcr = 0;
  double interval_min_ms = 1e300, interval_max_ms = 0, interval_sum_ms = 0;
  std::uint64_t intervals = 0;
  double acc_min_ns = 1e300, acc_max_ns = -1e300, acc_sq_sum = 0;
  std::uint64_t acc_count = 0;
};

// The stream's constant rate from PCR intervals that agree with it (2.4). An interval that lost
// packets reads low, so the rate is taken only from kIntervalsToAgree successive intervals that
// agree with each other (two damaged ones in a row can agree by chance), and a rate that
// kIntervalsToRebase intervals in a row disagree with is measured again the same way.
class RateEstimator {
 public:
  bool known() const { return ticks_ > 0; }
  // 27 MHz ticks that `packets` take at the measured rate.
  double ticks_for(std::uint64_t packets) const {
    return static_cast<double>(packets) * static_cast<double>(ticks_) / static_cast<double>(packets_);
  }
  std::uint64_t rate_bps() const {
    if (!known()) return 0;
    return static_cast<std::uint64_t>(static_cast<__int128>(packets_) * kPacket * 8 * kTicksPerSecond / ticks_);
  }
  // Returns false when the interval is left out of the rate.
  bool add(std::uint64_t packets, std::int64_t ticks) {
    if (packets == 0 || ticks <= 0) return false;
    if (!known()) {
      if (candidate_count_ > 0 && agrees(packets, ticks, candidate_packets_, candidate_ticks_)) {
        candidate_packets_ += packets;
        candidate_ticks_ += ticks;
        if (++candidate_count_ >= kIntervalsToAgree) {
          packets_ = candidate_packets_;
          ticks_ = candidate_ticks_;
          return true;
        }
        return false;
      }
      candidate_packets_ = packets;
      candidate_ticks_ = ticks;
      candidate_count_ = 1;
      return false;
    }
    if (agrees(packets, ticks, packets_, ticks_)) {
      packets_ += packets;
      ticks_ += ticks;
      disagreeing_ = 0;
      return true;
    }
    if (++disagreeing_ >= kIntervalsToRebase) {  // the rate really changed: measure it again
      packets_ = 0;
      ticks_ = 0;
      disagreeing_ = 0;
      candidate_packets_ = packets;
      candidate_ticks_ = ticks;
      candidate_count_ = 1;
    }
    return false;
  }

 private:
  static constexpr int kIntervalsToAgree = 3;
  static bool agrees(std::uint64_t packets, std::int64_t ticks, std::uint64_t ref_packets,
                     std::int64_t ref_ticks) {
    const double expected = static_cast<double>(packets) * static_cast<double>(ref_ticks) /
                            static_cast<double>(ref_packets);
    return std::abs(static_cast<double>(ticks) - expected) <= kRateTolerance * expected;
  }

  std::uint64_t packets_ = 0;
  std::int64_t ticks_ = 0;
  std::uint64_t candidate_packets_ = 0;
  std::int64_t candidate_ticks_ = 0;
  int candidate_count_ = 0;
  int disagreeing_ = 0;
};

struct SubTable {
  std::optional<std::uint8_t> version;
  std::map<std::uint8_t, Watcher*> sections;  // 3.2 per section_number
  std::optional<std::int64_t> last_end_ns;    // the previous section's last byte
};

struct MinGap {
  std::optional<std::int64_t> last_end_ns;
};

bool valid_table_on(Role role, std::uint8_t table_id) {
  switch (role) {
    case Role::pat: return table_id == 0x00;
    case Role::cat: return table_id == 0x01;
    case Role::nit: return table_id == 0x40 || table_id == 0x41 || table_id == 0x72;
    case Role::sdt: return table_id == 0x42 || table_id == 0x46 || table_id == 0x4A || table_id == 0x72;
    case Role::eit: return (table_id >= 0x4E && table_id <= 0x6F) || table_id == 0x72;
    case Role::rst: return table_id == 0x71 || table_id == 0x72;
    case Role::tdt: return table_id == 0x70 || table_id == 0x72 || table_id == 0x73;
    default: return true;
  }
}

// The TR 101 211 period of an SI section (3.2), or 0 when it is not watched.
std::int64_t si_period_ms(std::uint8_t table_id, const Thresholds& t) {
  if (table_id == 0x40) return t.nit_interval_ms;
  if (table_id == 0x42) return t.sdt_interval_ms;
  if (table_id == 0x4E) return t.eit_pf_interval_ms;
  if (table_id >= 0x50 && table_id <= 0x5F) return t.eit_schedule_interval_ms;
  if (table_id == 0x70) return t.tdt_interval_ms;
  if (table_id == 0x73) return t.tot_interval_ms;
  return 0;
}

std::string_view table_name(std::uint8_t table_id) {
  switch (table_id) {
    case 0x00: return "PAT";
    case 0x01: return "CAT";
    case 0x02: return "PMT";
    case 0x40: return "NIT actual";
    case 0x41: return "NIT other";
    case 0x42: return "SDT actual";
    case 0x46: return "SDT other";
    case 0x4A: return "BAT";
    case 0x4E: return "EIT p/f actual";
    case 0x4F: return "EIT p/f other";
    case 0x70: return "TDT";
    case 0x71: return "RST";
    case 0x72: return "ST";
    case 0x73: return "TOT";
    default: break;
  }
  if (table_id >= 0x50 && table_id <= 0x5F) return "EIT schedule actual";
  if (table_id >= 0x60 && table_id <= 0x6F) return "EIT schedule other";
  return "table";
}

std::string ms_text(std::int64_t ns) { return fmt::format("{:.1f} ms", static_cast<double>(ns) / 1e6); }

}  // namespace

std::string_view indicator_id(Indicator indicator) {
  return kIndicators[static_cast<std::size_t>(indicator)].id;
}
std::string_view indicator_name(Indicator indicator) {
  return kIndicators[static_cast<std::size_t>(indicator)].name;
}
int indicator_priority(Indicator indicator) {
  return kIndicators[static_cast<std::size_t>(indicator)].priority;
}
std::optional<Indicator> indicator_from_id(std::string_view id) {
  for (std::size_t i = 0; i < kIndicatorCount; ++i) {
    if (kIndicators[i].id == id) return static_cast<Indicator>(i);
  }
  return std::nullopt;
}

struct Analyzer::State {
  explicit State(AnalyzerOptions o) : options(std::move(o)), pids(0x2000) { init_roles(); }

  AnalyzerOptions options;
  IndicatorCounts counts{};
  IndicatorCounts interval_counts{};
  std::vector<Event> events;
  std::uint64_t events_dropped = 0;
  std::function<void(const IntervalReport&)> interval_handler;
  InputFindings findings;

  // --- Sync and framing -------------------------------------------------------------------
  bool in_sync = false;
  std::size_t packet_size = 0;
  int bad_syncs = 0;
  std::vector<std::uint8_t> carry;   // a partial packet (in sync) or the search window
  std::uint64_t carry_offset = 0;    // input offset of carry[0]
  std::uint64_t input_offset = 0;    // bytes fed so far
  bool ever_synced = false;
  bool finished = false;

  // --- Packets and PIDs ---------------------------------------------------------------------
  std::uint64_t n = 0;  // index of the next analysed packet
  std::vector<PidState> pids;
  std::vector<std::uint16_t> seen_pids;
  std::uint64_t null_packets = 0;
  std::vector<std::unique_ptr<Watcher>> watchers;

  // --- Time ---------------------------------------------------------------------------------
  bool live = false;
  std::optional<std::int64_t> first_arrival_ns;
  std::int64_t chunk_time_ns = 0;     // stream time of the chunk's first packet
  std::uint64_t chunk_first_n = 0;
  std::int64_t live_end_ns = 0;       // just after the previous chunk's last packet
  // Resolution points (packet index, stream time); packets before `resolved_n` have a time.
  std::deque<std::pair<std::uint64_t, std::int64_t>> points;
  std::uint64_t resolved_n = 0;
  bool time_known = false;
  std::optional<std::uint16_t> reference_pid;
  std::optional<std::pair<std::uint64_t, std::int64_t>> first_reference_pcr;  // (n, pcr ticks)
  std::uint64_t ref_last_n = 0;
  std::int64_t ref_last_pcr = 0;
  std::int64_t ref_last_ns = 0;
  bool timing_abandoned = false;
  std::int64_t watch_origin_ns = 0;
  RateEstimator rate;
  std::map<std::uint16_t, PcrTrack> pcr_tracks;

  // Records and events waiting for their packets' times.
  std::vector<SectionRecord> pending_sections;
  std::vector<std::size_t> pending_events;  // indexes into `events` without time yet
  std::vector<std::uint64_t> pending_event_n;

  // --- Tables -------------------------------------------------------------------------------
  std::unordered_map<std::uint64_t, std::vector<std::uint8_t>> known_sections;
  bool cat_seen = false;
  std::map<std::uint8_t, std::vector<mux::Pat::Program>> pat_sections;
  std::optional<std::uint8_t> pat_version;
  std::uint16_t transport_stream_id = 0;
  std::map<std::uint16_t, std::uint16_t> program_pmt_pid;  // program_number -> PMT PID
  std::map<std::uint16_t, mux::Pmt> pmts;                  // program_number -> PMT
  std::map<std::uint16_t, Watcher*> pmt_program_watchers;  // 1.5
  std::map<std::uint16_t, Watcher*> pmt_pid_watchers;      // 1.5a
  std::map<std::uint16_t, ServiceFigures> sdt_services;
  std::map<std::uint16_t, std::pair<std::optional<EventSummary>, std::optional<EventSummary>>> pf;
  std::map<std::uint16_t, std::set<std::uint16_t>> schedule_events;
  std::string network_name;
  ClockFigures clock;
  Watcher* pat_section_watcher = nullptr;  // 1.3a
  Watcher* nit_watcher = nullptr;          // 3.1
  Watcher* sdt_watcher = nullptr;          // 3.5
  Watcher* eit_watcher = nullptr;          // 3.6
  Watcher* tdt_watcher = nullptr;          // 3.8
  std::map<std::uint64_t, SubTable> sub_tables;  // key: pid, table_id, extension
  std::map<std::uint32_t, MinGap> min_gaps;      // key: indicator, table_id, extension

  // --- Intervals ----------------------------------------------------------------------------
  std::int64_t interval_start_ns = 0;
  std::uint64_t interval_start_n = 0;
  std::int64_t last_time_ns = 0;

  // ================================ setup =====================================================
  void init_roles() {
    pids[0x0000].role = Role::pat;
    pids[0x0001].role = Role::cat;
    pids[0x0010].role = Role::nit;
    pids[0x0011].role = Role::sdt;
    pids[0x0012].role = Role::eit;
    pids[0x0013].role = Role::rst;
    pids[0x0014].role = Role::tdt;
    for (std::uint16_t pid = 0; pid <= 0x1F; ++pid) {
      if (pids[pid].role == Role::none) pids[pid].role = Role::other_si;
      pids[pid].referenced = true;
    }
    pids[0x1FFF].role = Role::null;
    pids[0x1FFF].referenced = true;
    const Thresholds& t = options.thresholds;
    pids[0].presence = add_watcher(Indicator::pat_error, 0, t.pat_interval_ms, "PAT packet");
    pat_section_watcher = add_watcher(Indicator::pat_error_2, 0, t.pat_interval_ms, "PAT section");
    nit_watcher = add_watcher(Indicator::nit_error, 0x10, t.nit_interval_ms, "NIT actual section");
    sdt_watcher = add_watcher(Indicator::sdt_error, 0x11, t.sdt_interval_ms, "SDT actual section");
    eit_watcher = add_watcher(Indicator::eit_error, 0x12, t.eit_pf_interval_ms,
                              "EIT p/f actual section 0");
    tdt_watcher = add_watcher(Indicator::tdt_error, 0x14, t.tdt_interval_ms, "TDT");
  }

  Watcher* add_watcher(Indicator indicator, std::uint16_t pid, std::int64_t limit_ms,
                       std::string what) {
    auto w = std::make_unique<Watcher>(Watcher{indicator, pid, limit_ms * kNsPerMs, std::move(what)});
    if (time_known) {
      w->started = true;
      w->last_ns = last_time_ns;
    }
    watchers.push_back(std::move(w));
    return watchers.back().get();
  }

  // ================================ events ====================================================
  void count(Indicator indicator, std::uint16_t pid, std::uint64_t at_n, std::uint64_t byte_offset,
             std::optional<std::int64_t> time_ns, std::string_view detail_format_done) {
    ++counts[static_cast<std::size_t>(indicator)];
    ++interval_counts[static_cast<std::size_t>(indicator)];
    if (events.size() >= options.max_events_kept) {
      ++events_dropped;
      return;
    }
    events.push_back(Event{indicator, byte_offset, time_ns, pid, std::string(detail_format_done)});
    if (!time_ns && !timing_abandoned) {
      pending_events.push_back(events.size() - 1);
      pending_event_n.push_back(at_n);
    }
  }
  // An event at packet `at_n` (its time may not be known yet).
  template <class... Args>
  void report(Indicator indicator, std::uint16_t pid, std::uint64_t at_n, std::uint64_t byte_offset,
              fmt::format_string<Args...> format, Args&&... args) {
    if (events.size() >= options.max_events_kept) {
      ++counts[static_cast<std::size_t>(indicator)];
      ++interval_counts[static_cast<std::size_t>(indicator)];
      ++events_dropped;
      return;
    }
    std::optional<std::int64_t> time;
    if (at_n < resolved_n) time = time_of(at_n);
    count(indicator, pid, at_n, byte_offset, time,
          fmt::format(format, std::forward<Args>(args)...));
  }

  // ================================ framing ===================================================
  void feed(std::span<const std::uint8_t> bytes, std::optional<std::int64_t> arrival_ns) {
    if (arrival_ns) {
      live = true;
      if (!first_arrival_ns) first_arrival_ns = *arrival_ns;
      // A chunk holds packets that left the sender one after the other (a datagram of 7, or
      // several datagrams read at once): they are spread at the stream's rate from its arrival,
      // never before the end of the previous chunk.
      chunk_time_ns = std::max(*arrival_ns - *first_arrival_ns, live_end_ns);
      chunk_first_n = n;
    }
    findings.bytes += bytes.size();
    std::size_t pos = 0;
    while (pos < bytes.size()) {
      if (!in_sync) {
        pos += search(bytes.subspan(pos), input_offset + pos);
        continue;
      }
      if (!carry.empty()) {  // complete a partial packet
        const std::size_t need = packet_size - carry.size();
        const std::size_t take = std::min(need, bytes.size() - pos);
        carry.insert(carry.end(), bytes.begin() + pos, bytes.begin() + pos + take);
        pos += take;
        if (carry.size() < packet_size) break;
        std::vector<std::uint8_t> packet;
        packet.swap(carry);
        const std::uint64_t offset = carry_offset;
        framed_packet(packet.data(), offset);
        persist_payloads();
        carry.swap(packet);
        carry.clear();
        continue;
      }
      const std::size_t whole = (bytes.size() - pos) / packet_size;
      const std::uint8_t* p = bytes.data() + pos;
      std::size_t i = 0;
      for (; i < whole && in_sync; ++i, p += packet_size) {
        framed_packet(p, input_offset + pos + i * packet_size);
      }
      pos += i * packet_size;
      if (!in_sync) continue;
      if (pos < bytes.size()) {  // keep the partial packet
        carry_offset = input_offset + pos;
        carry.assign(bytes.begin() + pos, bytes.end());
        pos = bytes.size();
      }
    }
    persist_payloads();
    input_offset += bytes.size();
    if (live && !timing_abandoned) resolve_live();
  }

  // Looks for five sync bytes at 188- or 204-byte spacing in carry + bytes. Returns the bytes
  // of `bytes` consumed into the search window (all of them unless sync was found).
  std::size_t search(std::span<const std::uint8_t> bytes, std::uint64_t offset) {
    if (carry.empty()) carry_offset = offset;
    const std::size_t take = std::min(bytes.size(), kSearchWindow);
    carry.insert(carry.end(), bytes.begin(), bytes.begin() + take);
    if (search_held()) return take;
    // Not found: keep the last bytes that could still start a sync run.
    const std::size_t keep = (kSyncPacketsToLock - 1) * kRsPacket + 1;
    if (carry.size() > keep) {
      const std::size_t drop = carry.size() - keep;
      findings.skipped_bytes += drop;
      carry.erase(carry.begin(), carry.begin() + static_cast<std::ptrdiff_t>(drop));
      carry_offset += drop;
    }
    return take;
  }

  void lock(std::size_t skipped, std::size_t size) {
    findings.skipped_bytes += skipped;
    if (ever_synced) ++findings.resyncs;
    if (!ever_synced || findings.packet_size == 0) findings.packet_size = size;
    ever_synced = true;
    in_sync = true;
    packet_size = size;
    bad_syncs = 0;
  }

  // Bytes that were in the search window, now in sync: frame them like fresh input. The
  // caller's input_offset still points at the start of the current feed() chunk, so offsets
  // come from `offset`.
  void replay(std::span<const std::uint8_t> bytes, std::uint64_t offset) {
    std::size_t pos = 0;
    while (pos + packet_size <= bytes.size() && in_sync) {
      framed_packet(bytes.data() + pos, offset + pos);
      pos += packet_size;
    }
    persist_payloads();  // the window goes when the search returns
    if (pos < bytes.size()) {
      if (in_sync) {
        carry.assign(bytes.begin() + pos, bytes.end());
        carry_offset = offset + pos;
      } else {
        // Lost sync again inside the window: search the rest.
        std::vector<std::uint8_t> rest(bytes.begin() + pos, bytes.end());
        carry.clear();
        carry_offset = offset + pos;
        search_from_window(std::move(rest));
      }
    }
  }

  void search_from_window(std::vector<std::uint8_t> rest) {
    carry = std::move(rest);
    (void)search_held();  // on what is held; new bytes join it in search()
  }

  // Looks for the sync run in what the search window holds; on finding it, frames the window
  // from there (replay) and returns true.
  bool search_held() {
    for (std::size_t o = 0; o < carry.size(); ++o) {
      if (carry[o] != 0x47) continue;
      for (std::size_t size : {kPacket, kRsPacket}) {
        if (o + (kSyncPacketsToLock - 1) * size >= carry.size()) continue;
        bool ok = true;
        for (int k = 1; k < kSyncPacketsToLock && ok; ++k) ok = carry[o + k * size] == 0x47;
        if (!ok) continue;
        lock(o, size);
        std::vector<std::uint8_t> window;
        window.swap(carry);
        const std::uint64_t window_offset = carry_offset;
        carry.clear();
        replay(std::span<const std::uint8_t>(window).subspan(o), window_offset + o);
        return true;
      }
    }
    return false;
  }

  void framed_packet(const std::uint8_t* p, std::uint64_t byte_offset) {
    ++findings.packets;
    if ((n & 0xFFFF) == 0 && n > 0 && !live) check_unresolved();
    if (p[0] != 0x47) {
      report(Indicator::sync_byte_error, kNoPid, n, byte_offset,
             "sync byte 0x{:02X}, expected 0x47", p[0]);
      ++n;
      if (++bad_syncs >= kBadSyncsToLose) {
        report(Indicator::ts_sync_loss, kNoPid, n - 1, byte_offset,
               "{} consecutive packets without the sync byte", bad_syncs);
        in_sync = false;
        bad_syncs = 0;
      }
      return;
    }
    bad_syncs = 0;
    packet(p, byte_offset);
    ++n;
  }

  // ================================ packets ===================================================
  void packet(const std::uint8_t* p, std::uint64_t byte_offset) {
    const std::uint8_t b1 = p[1];
    const std::uint16_t pid = static_cast<std::uint16_t>(((b1 & 0x1F) << 8) | p[2]);
    const std::uint8_t b3 = p[3];
    PidState& ps = pids[pid];
    ++ps.packets;
    ++ps.interval_packets;
    if (ps.presence) ps.presence->hit(n);
    if (!ps.seen) first_packet_of(pid, ps);
    const bool tei = b1 & 0x80;
    if (pid == 0x1FFF) {
      ++null_packets;
      if (tei) {
        ++ps.tei;
        report(Indicator::transport_error, pid, n, byte_offset, "transport_error_indicator set");
      }
      return;
    }
    const bool pusi = b1 & 0x40;
    const std::uint8_t scrambling = b3 >> 6;
    const std::uint8_t afc = (b3 >> 4) & 3;
    const std::uint8_t cc = b3 & 0x0F;
    if (tei) {
      ++ps.tei;
      if (ps.sections) ps.sections->active = false;  // its payload is not used: the section is lost
      report(Indicator::transport_error, pid, n, byte_offset, "transport_error_indicator set");
    }
    if (afc == 0) return;  // reserved: a decoder discards the packet (13818-1 2.4.3.3)
    const bool has_payload = afc & 1;
    std::size_t payload_at = 4;
    bool discontinuity = false;
    if (afc & 2) {
      const std::uint8_t af_length = p[4];
      payload_at = 5 + af_length;
      const bool af_ok = has_payload ? af_length <= 182 : af_length == 183;
      if (af_ok && af_length > 0) {
        const std::uint8_t flags = p[5];
        discontinuity = flags & 0x80;
        if ((flags & 0x10) && af_length >= 7 && !tei) pcr(pid, ps, p, discontinuity, byte_offset);
      }
    }
    continuity(pid, ps, cc, has_payload, discontinuity, byte_offset,
               payload_at < kPacket ? p + payload_at : nullptr, kPacket - std::min(payload_at, kPacket));
    if (scrambling != 0) scrambled(pid, ps, byte_offset);
    if (tei || !has_payload || payload_at >= kPacket) return;
    const std::uint8_t* payload = p + payload_at;
    const std::size_t size = kPacket - payload_at;
    if (ps.sections) {
      sections(pid, ps, pusi, payload, size);
    } else if (pusi && ps.role == Role::es && scrambling == 0) {
      pes_start(ps, payload, size);
    }
  }

  void first_packet_of(std::uint16_t pid, PidState& ps) {
    ps.seen = true;
    seen_pids.push_back(pid);
    if (carries_sections(ps.role) && !ps.sections) ps.sections = std::make_unique<SectionAssembly>();
    if (!ps.referenced) mark_unreferenced(ps);
  }

  void continuity(std::uint16_t pid, PidState& ps, std::uint8_t cc, bool has_payload,
                  bool discontinuity, std::uint64_t byte_offset, const std::uint8_t* payload,
                  std::size_t payload_size) {
    if (!has_payload) ++ps.adaptation_only;
    if (ps.cc_valid && !discontinuity) {
      bool ok;
      if (has_payload) {
        if (cc == ps.last_cc) {
          // A duplicate (13818-1 2.4.3.3): once, with the payload of the packet it repeats.
          ok = !ps.duplicate_seen && ps.last_payload && payload &&
               ps.last_payload_size == payload_size &&
               std::memcmp(ps.last_payload, payload, payload_size) == 0;
          ps.duplicate_seen = ok;
        } else {
          ok = cc == ((ps.last_cc + 1) & 0x0F);
          ps.duplicate_seen = false;
        }
      } else {
        ok = cc == ps.last_cc;
      }
      if (!ok) {
        ++ps.cc_errors;
        if (ps.sections) ps.sections->active = false;  // the partial section is lost
        report(Indicator::continuity_count_error, pid, n, byte_offset,
               "continuity_counter {}, expected {}{}", cc,
               has_payload ? (ps.last_cc + 1) & 0x0F : ps.last_cc,
               has_payload ? "" : " (adaptation field only: the counter repeats)");
      }
    } else {
      ps.duplicate_seen = false;
    }
    ps.last_cc = cc;
    ps.cc_valid = true;
    if (has_payload) {
      ps.last_payload = payload;
      ps.last_payload_size = static_cast<std::uint8_t>(payload ? payload_size : 0);
      if (!ps.touched) {
        ps.touched = true;
        touched_pids.push_back(pid);
      }
    } else {
      ps.last_payload = nullptr;  // an adaptation-only packet: nothing to duplicate
    }
  }

  // The chunk the last payloads point into is about to go: keep a copy of each.
  void persist_payloads() {
    for (std::uint16_t pid : touched_pids) {
      PidState& ps = pids[pid];
      ps.touched = false;
      if (!ps.last_payload) continue;
      if (!ps.saved_payload) ps.saved_payload = std::make_unique<std::array<std::uint8_t, 184>>();
      std::memcpy(ps.saved_payload->data(), ps.last_payload, ps.last_payload_size);
      ps.last_payload = ps.saved_payload->data();
    }
    touched_pids.clear();
  }
  std::vector<std::uint16_t> touched_pids;

  void scrambled(std::uint16_t pid, PidState& ps, std::uint64_t byte_offset) {
    ++ps.scrambled;
    if (ps.role == Role::pat) {
      report(Indicator::pat_error, pid, n, byte_offset, "PAT packet scrambled");
      report(Indicator::pat_error_2, pid, n, byte_offset, "PAT packet scrambled");
    } else if (ps.role == Role::pmt) {
      report(Indicator::pmt_error, pid, n, byte_offset, "PMT packet scrambled");
      report(Indicator::pmt_error_2, pid, n, byte_offset, "PMT packet scrambled");
    }
    if (!cat_seen && !ps.cat_error_counted) {
      ps.cat_error_counted = true;
      report(Indicator::cat_error, pid, n, byte_offset,
             "scrambled packets on PID 0x{:04X} but no CAT", pid);
    }
  }

  void pes_start(PidState& ps, const std::uint8_t* p, std::size_t size) {
    if (size < 9 || p[0] != 0 || p[1] != 0 || p[2] != 1) return;
    ps.pes_stream_id = p[3];
    const std::uint8_t id = p[3];
    // Stream ids without the optional PES header (13818-1 2.4.3.7).
    if (id == 0xBC || id == 0xBE || id == 0xBF || id == 0xF0 || id == 0xF1 || id == 0xFF ||
        id == 0xF2 || id == 0xF8) {
      return;
    }
    if ((p[6] & 0xC0) != 0x80) return;
    if ((p[7] & 0x80) == 0) return;  // no PTS
    if (!ps.pts) {
      const std::uint16_t pid = static_cast<std::uint16_t>(&ps - pids.data());
      ps.pts = add_watcher(Indicator::pts_error, pid, options.thresholds.pts_interval_ms,
                           fmt::format("PTS on PID 0x{:04X}", pid));
    }
    ps.pts->hit(n);
  }

  // ================================ PCR =======================================================
  void pcr(std::uint16_t pid, PidState& ps, const std::uint8_t* p, bool discontinuity,
           std::uint64_t byte_offset) {
    const std::int64_t base = (static_cast<std::int64_t>(p[6]) << 25) | (p[7] << 17) |
                              (p[8] << 9) | (p[9] << 1) | (p[10] >> 7);
    const std::int64_t ext = ((p[10] & 1) << 8) | p[11];
    const std::int64_t value = base * 300 + ext;
    ++ps.pcrs;
    PcrTrack& track = pcr_tracks[pid];
    const bool is_reference = reference_pid ? *reference_pid == pid : (reference_pid = pid, true);
    if (track.count++ == 0) {
      track.last_n = n;
      track.last_offset = byte_offset;
      track.last_pcr = value;
      if (is_reference) first_reference(value);
      return;
    }
    // The bytes between the two PCRs as 188-byte packets carry them (garbage in between counts
    // as the bytes it took; Reed-Solomon parity does not).
    const std::uint64_t units = (byte_offset - track.last_offset) / packet_size;
    std::int64_t delta = value - track.last_pcr;  // modulo the 33-bit base (wrap at 26.5 h)
    if (delta < -kPcrModulus / 2) delta += kPcrModulus;
    if (delta > kPcrModulus / 2) delta -= kPcrModulus;
    const Thresholds& t = options.thresholds;
    const bool jump = !discontinuity && (delta < 0 || delta > t.pcr_jump_ms * kTicksPerMs);
    // The interval as the stream's constant rate carries it (on a damaged stream, its bytes).
    const double interval_ticks = rate.known() ? rate.ticks_for(units) : static_cast<double>(delta);
    const double interval_ms = interval_ticks / kTicksPerMs;
    const bool repetition = interval_ms > static_cast<double>(t.pcr_interval_ms);
    if (repetition) {
      report(Indicator::pcr_repetition_error, pid, n, byte_offset,
             "PCR interval {:.1f} ms (limit {} ms)", interval_ms, t.pcr_interval_ms);
    }
    if (jump) {
      report(Indicator::pcr_discontinuity_indicator_error, pid, n, byte_offset,
             "PCR moved {:.1f} ms without discontinuity_indicator (allowed 0..{} ms)",
             static_cast<double>(delta) / kTicksPerMs, t.pcr_jump_ms);
    }
    if (repetition || jump) {
      report(Indicator::pcr_error, pid, n, byte_offset, "{}", repetition && jump
                                                                  ? "PCR interval and jump"
                                                                  : repetition ? "PCR interval"
                                                                               : "PCR jump");
    }
    if (!discontinuity && !jump) {
      if (rate.known()) {
        const double error_ns = (static_cast<double>(delta) - interval_ticks) * 1000.0 / 27.0;
        track.acc_min_ns = std::min(track.acc_min_ns, error_ns);
        track.acc_max_ns = std::max(track.acc_max_ns, error_ns);
        track.acc_sq_sum += error_ns * error_ns;
        ++track.acc_count;
        if (std::abs(error_ns) > static_cast<double>(t.pcr_accuracy_ns)) {
          report(Indicator::pcr_accuracy_error, pid, n, byte_offset,
                 "PCR off by {:+.0f} ns against the measured rate (limit ±{} ns)", error_ns,
                 t.pcr_accuracy_ns);
        }
      }
      if (is_reference) rate.add(units, delta);
      track.interval_min_ms = std::min(track.interval_min_ms, interval_ms);
      track.interval_max_ms = std::max(track.interval_max_ms, interval_ms);
      track.interval_sum_ms += interval_ms;
      ++track.intervals;
    }
    track.last_n = n;
    track.last_offset = byte_offset;
    track.last_pcr = value;
    if (is_reference && !live) reference_pcr(value, delta, discontinuity, units);
  }

  void first_reference(std::int64_t value) {
    first_reference_pcr = std::make_pair(n, value);
    ref_last_n = n;
    ref_last_pcr = value;
  }

  // File time: the reference PCRs, interpolated by packet position between them.
  void reference_pcr(std::int64_t value, std::int64_t delta, bool broken, std::uint64_t packets) {
    std::int64_t step_ticks = delta;
    // A forward jump within kMaxOutageTicks is an outage in a recording: the time really passed.
    // A new timebase (discontinuity_indicator), a step back or a bigger jump carries on by the
    // bytes at the measured rate.
    if (broken || delta < 0 || delta > kMaxOutageTicks) {
      step_ticks = rate.known() ? static_cast<std::int64_t>(rate.ticks_for(packets)) : 0;
    }
    if (!time_known) {
      // The first interval also times the packets before the first PCR, from packet 0.
      const std::uint64_t first_n = first_reference_pcr->first;
      const std::uint64_t span = n - first_n;
      if (span == 0 || step_ticks <= 0) {
        ref_last_n = n;
        ref_last_pcr = value;
        return;
      }
      const std::int64_t first_ns = static_cast<std::int64_t>(
          static_cast<__int128>(ticks_to_ns(step_ticks)) * first_n / span);
      points.emplace_back(0, 0);
      if (first_n > 0) points.emplace_back(first_n, first_ns);
      ref_last_ns = first_ns;
      time_known = true;
      start_watching(0);
    }
    ref_last_ns += ticks_to_ns(step_ticks);
    ref_last_n = n;
    ref_last_pcr = value;
    resolve(n, ref_last_ns);
  }

  // ================================ time ======================================================
  // A file whose reference PCR stops (or never comes) must not hold records forever.
  void check_unresolved() {
    if (timing_abandoned || n - resolved_n < kMaxUnresolvedPackets) return;
    if (!time_known) {
      timing_abandoned = true;
      pending_events.clear();
      pending_event_n.clear();
      pending_sections.clear();
      return;
    }
    const std::int64_t per_packet_ns =
        rate.known() ? ticks_to_ns(static_cast<std::int64_t>(rate.ticks_for(1000000))) / 1000000 : 0;
    ref_last_ns += static_cast<std::int64_t>(n - ref_last_n) * per_packet_ns;
    ref_last_n = n;
    resolve(n, ref_last_ns);
  }

  void start_watching(std::int64_t at_ns) {
    watch_origin_ns = at_ns;
    for (auto& w : watchers) {
      if (!w->started) {
        w->started = true;
        w->last_ns = at_ns;
      }
    }
  }

  std::int64_t time_of(std::uint64_t at) const {
    if (points.size() >= 2 && at >= points[points.size() - 2].first) {  // the usual case
      const auto& a = points[points.size() - 2];
      const auto& b = points.back();
      if (at >= b.first) return b.second;
      return a.second + static_cast<std::int64_t>(static_cast<double>(at - a.first) /
                                                  static_cast<double>(b.first - a.first) *
                                                  static_cast<double>(b.second - a.second));
    }
    // Points are increasing in packet index; find the last point <= at.
    auto it = std::upper_bound(points.begin(), points.end(), at,
                               [](std::uint64_t v, const auto& point) { return v < point.first; });
    if (it == points.begin()) return points.front().second;
    auto prev = std::prev(it);
    if (it == points.end()) return prev->second;
    const double fraction = static_cast<double>(at - prev->first) /
                            static_cast<double>(it->first - prev->first);
    return prev->second + static_cast<std::int64_t>(fraction * static_cast<double>(it->second - prev->second));
  }

  void resolve_live() {
    if (n == chunk_first_n) return;
    if (!time_known) {
      time_known = true;
      start_watching(chunk_time_ns);
    }
    const std::int64_t packet_ns =
        rate.known() ? ticks_to_ns(static_cast<std::int64_t>(rate.ticks_for(1000))) / 1000 : 0;
    live_end_ns = chunk_time_ns + static_cast<std::int64_t>(n - chunk_first_n) * packet_ns;
    points.emplace_back(chunk_first_n, chunk_time_ns);
    points.emplace_back(n, live_end_ns);
    resolve(n, live_end_ns);
  }

  // A live input with nothing to read: time goes on, so absences show as alarms and intervals
  // close (with nothing in them).
  void idle(std::int64_t arrival_ns) {
    if (!live || !time_known || !first_arrival_ns || timing_abandoned) return;
    const std::int64_t now_ns = arrival_ns - *first_arrival_ns;
    if (now_ns <= live_end_ns) return;
    live_end_ns = now_ns;
    points.emplace_back(n, now_ns);
    resolve(n, now_ns);
  }

  // Packets before `until` now have a time; `until_ns` is the time of packet `until`.
  void resolve(std::uint64_t until, std::int64_t until_ns) {
    if (!live && (points.empty() || points.back().first != until)) points.emplace_back(until, until_ns);
    const std::uint64_t from = resolved_n;
    resolved_n = until;
    last_time_ns = until_ns;
    stamp_events();
    judge_sections();
    for (auto& w : watchers) judge(*w, from, until, until_ns);
    judge_unreferenced(until_ns);
    close_intervals(until_ns);
    while (points.size() > 256 && points[1].first < earliest_needed()) points.pop_front();
  }

  std::uint64_t earliest_needed() const {
    std::uint64_t needed = resolved_n;
    for (const SectionRecord& r : pending_sections) needed = std::min(needed, r.start_n);
    // A section being assembled may end later but started earlier.
    return needed > 8192 ? needed - 8192 : 0;
  }

  void stamp_events() {
    std::size_t kept = 0;
    for (std::size_t i = 0; i < pending_events.size(); ++i) {
      if (pending_event_n[i] < resolved_n) {
        events[pending_events[i]].time_ns = time_of(pending_event_n[i]);
      } else {
        pending_events[kept] = pending_events[i];
        pending_event_n[kept] = pending_event_n[i];
        ++kept;
      }
    }
    pending_events.resize(kept);
    pending_event_n.resize(kept);
  }

  // One interval of a watcher: the gap before its first hit, the largest gap between hits
  // (from packet positions at the interval's slope), or the time run out with no hit.
  void judge(Watcher& w, std::uint64_t from, std::uint64_t until, std::int64_t until_ns) {
    if (!w.active || !w.started) {
      w.first_n = w.last_n = kNone;
      w.max_gap_n = 0;
      return;
    }
    if (w.first_n != kNone && w.first_n < until) {
      const std::int64_t first_ns = time_of(w.first_n);
      if (first_ns - w.last_ns > w.limit_ns) absence(w, w.first_n, first_ns - w.last_ns);
      w.alarmed = false;
      if (w.max_gap_n > 0 && until > from) {
        const std::int64_t from_ns = time_of(from);
        const double slope = static_cast<double>(until_ns - from_ns) / static_cast<double>(until - from);
        const auto gap_ns = static_cast<std::int64_t>(slope * static_cast<double>(w.max_gap_n));
        if (gap_ns > w.limit_ns) absence(w, w.last_n, gap_ns);
      }
      w.last_ns = time_of(w.last_n);
      w.ever_hit = true;
      w.first_n = w.last_n = kNone;
      w.max_gap_n = 0;
    } else if (until_ns - w.last_ns > w.limit_ns) {
      w.alarmed = true;  // shown as an active alarm; counted when it ends
    }
  }

  // A section-level hit with a known time.
  void hit_at(Watcher& w, std::int64_t at_ns, std::uint64_t at_n) {
    if (!w.active) return;
    if (!w.started) {
      w.started = true;
      w.last_ns = at_ns;
    }
    if (at_ns - w.last_ns > w.limit_ns) absence(w, at_n, at_ns - w.last_ns);
    w.alarmed = false;
    w.last_ns = at_ns;
    w.ever_hit = true;
  }

  // An absence that has ended: `at_n` is the packet that ended it.
  void absence(Watcher& w, std::uint64_t at_n, std::int64_t gap_ns) {
    count(w.indicator, w.pid, at_n, byte_offset_of(at_n), time_of(std::min(at_n, resolved_n)),
          fmt::format("no {} for {} (limit {} ms)", w.what, ms_text(gap_ns), w.limit_ns / kNsPerMs));
  }

  std::vector<std::string> active_alarms() const {
    std::vector<std::string> out;
    for (const auto& w : watchers) {
      if (!w->active || !w->alarmed) continue;
      out.push_back(fmt::format("{} {}: no {} for {}", indicator_id(w->indicator),
                                indicator_name(w->indicator), w->what,
                                ms_text(last_time_ns - w->last_ns)));
    }
    return out;
  }

  // Packets map to bytes one to one while in sync; after garbage the offset is approximate.
  std::uint64_t byte_offset_of(std::uint64_t at_n) const {
    const std::size_t size = packet_size ? packet_size : kPacket;
    return findings.skipped_bytes + at_n * size;
  }

  void mark_unreferenced(PidState& ps) {
    ps.unreferenced_since_n = n;
    ps.unreferenced_since_ns.reset();
  }

  void judge_unreferenced(std::int64_t now_ns) {
    for (std::uint16_t pid : seen_pids) {
      PidState& ps = pids[pid];
      if (ps.referenced || ps.unreferenced_reported || ps.unreferenced_since_n == kNone) continue;
      if (ps.unreferenced_since_n >= resolved_n) continue;
      if (!ps.unreferenced_since_ns) ps.unreferenced_since_ns = time_of(ps.unreferenced_since_n);
      const std::int64_t since_ns = std::max(*ps.unreferenced_since_ns, watch_origin_ns);
      if (now_ns - since_ns > options.thresholds.unreferenced_pid_ms * kNsPerMs) {
        ps.unreferenced_reported = true;
        count(Indicator::unreferenced_pid, pid, ps.unreferenced_since_n,
              byte_offset_of(ps.unreferenced_since_n), since_ns,
              fmt::format("PID 0x{:04X} not referred to by any PMT within {} ms", pid,
                          options.thresholds.unreferenced_pid_ms));
      }
    }
  }

  // ================================ sections ==================================================
  void sections(std::uint16_t pid, PidState& ps, bool pusi, const std::uint8_t* data,
                std::size_t size) {
    SectionAssembly& a = *ps.sections;
    std::size_t pos = 0;
    if (pusi) {
      const std::size_t pointer = data[0];
      pos = 1;
      if (pos + pointer > size) {
        a.active = false;
        return;
      }
      if (a.active) append(pid, a, data + pos, pointer);
      a.active = false;
      pos += pointer;
      while (pos < size && data[pos] != 0xFF) {
        a.active = true;
        a.start_n = n;
        a.bytes.clear();
        pos += append(pid, a, data + pos, size - pos);
        if (a.active) break;  // continues in the next packet
      }
    } else if (a.active) {
      append(pid, a, data, size);
    }
  }

  // Appends up to `size` bytes to the section being assembled; returns the bytes it took.
  std::size_t append(std::uint16_t pid, SectionAssembly& a, const std::uint8_t* data,
                     std::size_t size) {
    std::size_t taken = 0;
    if (a.bytes.size() < 3) {
      const std::size_t want = std::min(size, 3 - a.bytes.size());
      a.bytes.insert(a.bytes.end(), data, data + want);
      taken = want;
      if (a.bytes.size() < 3) return taken;
    }
    const std::size_t total = 3 + (((a.bytes[1] & 0x0F) << 8) | a.bytes[2]);
    if (total > kMaxSectionBytes) {
      a.active = false;
      return size;
    }
    const std::size_t want = std::min(size - taken, total - a.bytes.size());
    a.bytes.insert(a.bytes.end(), data + taken, data + taken + want);
    taken += want;
    if (a.bytes.size() == total) {
      a.active = false;
      section(pid, a.start_n, n, a.bytes);
    }
    return taken;
  }

  void section(std::uint16_t pid, std::uint64_t start_n, std::uint64_t end_n,
               const std::vector<std::uint8_t>& s) {
    PidState& ps = pids[pid];
    const std::uint8_t table_id = s[0];
    const bool long_syntax = s[1] & 0x80;
    const bool has_crc = long_syntax || table_id == 0x73;
    const std::uint64_t offset = byte_offset_of(start_n);
    // A repetition of a section already checked and decoded costs a compare (SI repeats the
    // same bytes over and over).
    const std::uint64_t key = (std::uint64_t{pid} << 40) | (std::uint64_t{table_id} << 32) |
                              (s.size() >= 8 ? (std::uint64_t{s[3]} << 16 | std::uint64_t{s[4]} << 8 | s[6]) : 0);
    auto known = known_sections.find(key);
    const bool repeat = known != known_sections.end() && known->second == s;
    if (!repeat && has_crc && s.size() >= 4 && mux::crc32_mpeg2(s) != 0) {
      report(Indicator::crc_error, pid, start_n, offset, "{} section on PID 0x{:04X}: CRC_32 mismatch",
             table_name(table_id), pid);
      return;
    }
    if (!valid_table_on(ps.role, table_id)) {
      wrong_table(pid, ps.role, table_id, start_n, offset);
      return;
    }
    std::uint16_t extension = 0;
    std::uint8_t section_number = 0, version = 0;
    if (long_syntax && s.size() >= 8) {
      extension = static_cast<std::uint16_t>((s[3] << 8) | s[4]);
      version = (s[5] >> 1) & 0x1F;
      section_number = s[6];
    }
    if (!repeat) {
      decode(pid, ps.role, table_id, s);
      if (known != known_sections.end()) known->second = s;
      else if (known_sections.size() < 4096) known_sections.emplace(key, s);
    }
    if (timing_abandoned) return;
    pending_sections.push_back(
        SectionRecord{pid, table_id, extension, section_number, version, start_n, end_n});
    if (end_n < resolved_n) judge_sections();
  }

  void wrong_table(std::uint16_t pid, Role role, std::uint8_t table_id, std::uint64_t at_n,
                   std::uint64_t offset) {
    auto say = [&](Indicator indicator, std::string_view expected) {
      report(indicator, pid, at_n, offset, "table_id 0x{:02X} on PID 0x{:04X}, expected {}",
             table_id, pid, expected);
    };
    switch (role) {
      case Role::pat:
        say(Indicator::pat_error, "0x00");
        say(Indicator::pat_error_2, "0x00");
        break;
      case Role::cat: say(Indicator::cat_error, "0x01"); break;
      case Role::nit: say(Indicator::nit_error, "0x40, 0x41 or 0x72"); break;
      case Role::sdt: say(Indicator::sdt_error, "0x42, 0x46, 0x4A or 0x72"); break;
      case Role::eit: say(Indicator::eit_error, "0x4E-0x6F or 0x72"); break;
      case Role::rst: say(Indicator::rst_error, "0x71 or 0x72"); break;
      case Role::tdt: say(Indicator::tdt_error, "0x70, 0x72 or 0x73"); break;
      default: break;
    }
  }

  // Section records whose packets now have times, in order.
  void judge_sections() {
    std::size_t done = 0;
    for (; done < pending_sections.size(); ++done) {
      const SectionRecord& r = pending_sections[done];
      if (r.end_n >= resolved_n) break;
      judge_section(r);
    }
    pending_sections.erase(pending_sections.begin(),
                           pending_sections.begin() + static_cast<std::ptrdiff_t>(done));
  }

  void judge_section(const SectionRecord& r) {
    const std::int64_t start_ns = time_of(r.start_n);
    // The section's last byte arrives with the end of its last packet.
    const std::int64_t end_ns = time_of(std::min(r.end_n + 1, resolved_n));
    const Thresholds& t = options.thresholds;
    switch (r.table_id) {
      case 0x00: hit_at(*pat_section_watcher, start_ns, r.start_n); break;
      case 0x02: {
        if (auto it = pmt_program_watchers.find(r.extension); it != pmt_program_watchers.end()) {
          hit_at(*it->second, start_ns, r.start_n);
        }
        if (auto it = pmt_pid_watchers.find(r.pid); it != pmt_pid_watchers.end()) {
          hit_at(*it->second, start_ns, r.start_n);
        }
        break;
      }
      case 0x40:
        hit_at(*nit_watcher, start_ns, r.start_n);
        min_gap(Indicator::nit_error, r, 0, start_ns, end_ns);
        break;
      case 0x42:
        hit_at(*sdt_watcher, start_ns, r.start_n);
        min_gap(Indicator::sdt_error, r, 0, start_ns, end_ns);
        break;
      case 0x4E:
        if (r.section_number == 0) hit_at(*eit_watcher, start_ns, r.start_n);
        min_gap(Indicator::eit_error, r, r.extension, start_ns, end_ns);
        break;
      case 0x70:
        hit_at(*tdt_watcher, start_ns, r.start_n);
        min_gap(Indicator::tdt_error, r, 0, start_ns, end_ns);
        break;
      case 0x71: min_gap(Indicator::rst_error, r, 0, start_ns, end_ns); break;
      default: break;
    }
    const std::int64_t period_ms = si_period_ms(r.table_id, t);
    if (period_ms == 0) return;
    // 3.2: every section of NIT/SDT actual, EIT p/f and schedule actual, TDT and TOT.
    const std::uint64_t key = (std::uint64_t{r.pid} << 24) | (std::uint64_t{r.table_id} << 16) | r.extension;
    SubTable& sub = sub_tables[key];
    if (sub.version != r.version) {  // a new version may have fewer sections
      for (auto& [number, watcher] : sub.sections) watcher->active = false;
      sub.sections.clear();
      sub.version = r.version;
    }
    if (sub.last_end_ns && gaps_measurable()) {
      const std::int64_t gap_ns = start_ns - *sub.last_end_ns;
      if (gap_ns < t.si_min_gap_ms * kNsPerMs) {
        count(Indicator::si_repetition_error, r.pid, r.start_n, byte_offset_of(r.start_n), start_ns,
              fmt::format("{} sections of 0x{:04X} {} apart (minimum {} ms)", table_name(r.table_id),
                          r.extension, ms_text(gap_ns), t.si_min_gap_ms));
      }
    }
    sub.last_end_ns = end_ns;
    Watcher*& w = sub.sections[r.section_number];
    if (!w) {
      w = add_watcher(Indicator::si_repetition_error, r.pid, period_ms,
                      fmt::format("{} section {} of 0x{:04X}", table_name(r.table_id),
                                  r.section_number, r.extension));
      w->started = true;
      w->last_ns = start_ns;
    }
    hit_at(*w, start_ns, r.start_n);
  }

  // On a live input the packets of a chunk (a bunch of datagrams handed over together) are only
  // spread in time once the stream's rate is known; before that, a gap between two sections in
  // one chunk would read as 0.
  bool gaps_measurable() const { return !live || rate.known(); }

  // Two consecutive sections of one table less than 25 ms apart (3.1, 3.5, 3.6, 3.7, 3.8).
  void min_gap(Indicator indicator, const SectionRecord& r, std::uint16_t extension,
               std::int64_t start_ns, std::int64_t end_ns) {
    const std::uint32_t key = (static_cast<std::uint32_t>(indicator) << 24) |
                              (std::uint32_t{r.table_id} << 16) | extension;
    MinGap& g = min_gaps[key];
    if (g.last_end_ns && gaps_measurable()) {
      const std::int64_t gap_ns = start_ns - *g.last_end_ns;
      const std::int64_t limit = options.thresholds.si_min_gap_ms;
      if (gap_ns < limit * kNsPerMs) {
        count(indicator, r.pid, r.start_n, byte_offset_of(r.start_n), start_ns,
              fmt::format("two {} sections {} apart (minimum {} ms)", table_name(r.table_id),
                          ms_text(gap_ns), limit));
      }
    }
    g.last_end_ns = end_ns;
  }

  // ================================ table content =============================================
  void decode(std::uint16_t pid, Role role, std::uint8_t table_id, const std::vector<std::uint8_t>& s) {
    const mux::ByteView view(s.data(), s.size());
    switch (table_id) {
      case 0x00: if (role == Role::pat) on_pat(view); break;
      case 0x01: cat_seen = true; break;
      case 0x02: if (role == Role::pmt) on_pmt(pid, view); break;
      case 0x40: on_nit(view); break;
      case 0x42: on_sdt(view); break;
      case 0x4E: on_eit_pf(view); break;
      case 0x70: on_tdt(view); break;
      case 0x73: on_tot(view); break;
      default:
        if (table_id >= 0x50 && table_id <= 0x5F) on_eit_schedule(view);
        break;
    }
  }

  void on_pat(mux::ByteView view) {
    auto pat = mux::Pat::decode(view);
    if (!pat) return;
    transport_stream_id = pat->transport_stream_id;
    if (pat_version != pat->version_number) {
      pat_version = pat->version_number;
      pat_sections.clear();
    }
    auto& programs = pat_sections[pat->section_number];
    if (programs == pat->programs) return;
    programs = pat->programs;
    std::map<std::uint16_t, std::uint16_t> now;
    for (const auto& [number, list] : pat_sections) {
      for (const auto& program : list) now[program.program_number] = program.program_map_PID;
    }
    if (now == program_pmt_pid) return;
    for (const auto& [program, pmt_pid] : program_pmt_pid) {  // dropped programs
      if (auto it = now.find(program); it == now.end() || it->second != pmt_pid) {
        if (auto w = pmt_program_watchers.find(program); w != pmt_program_watchers.end()) {
          w->second->active = false;
          pmt_program_watchers.erase(w);
        }
        pmts.erase(program);
      }
    }
    std::map<std::uint16_t, bool> pmt_pids;
    for (const auto& [program, pmt_pid] : now) pmt_pids[pmt_pid] = program != 0;
    for (const auto& [program, pmt_pid] : program_pmt_pid) {
      if (!pmt_pids.count(pmt_pid) && pmt_pid > 0x1F && pmt_pid != 0x1FFF) {
        pids[pmt_pid].role = Role::none;
        pids[pmt_pid].referenced = false;
        pids[pmt_pid].sections.reset();
        if (pids[pmt_pid].seen) mark_unreferenced(pids[pmt_pid]);
      }
    }
    for (auto& [pmt_pid, w] : pmt_pid_watchers) {
      if (!pmt_pids.count(pmt_pid)) w->active = false;
    }
    std::erase_if(pmt_pid_watchers, [&](const auto& e) { return !pmt_pids.count(e.first); });
    const Thresholds& t = options.thresholds;
    for (const auto& [program, pmt_pid] : now) {
      PidState& ps = pids[pmt_pid];
      if (program == 0) {  // the network PID
        reference(pmt_pid);
        continue;
      }
      if (pmt_pid <= 0x1F || pmt_pid == 0x1FFF) continue;
      ps.role = Role::pmt;
      ps.service_id = program;
      reference(pmt_pid);
      if (!ps.sections) ps.sections = std::make_unique<SectionAssembly>();
      if (!pmt_program_watchers.count(program)) {
        pmt_program_watchers[program] = add_watcher(
            Indicator::pmt_error, pmt_pid, t.pmt_interval_ms, fmt::format("PMT of program {}", program));
      }
      if (!pmt_pid_watchers.count(pmt_pid)) {
        pmt_pid_watchers[pmt_pid] = add_watcher(Indicator::pmt_error_2, pmt_pid, t.pmt_interval_ms,
                                                fmt::format("PMT section on PID 0x{:04X}", pmt_pid));
      }
    }
    program_pmt_pid = std::move(now);
    refresh_references();
  }

  void reference(std::uint16_t pid) {
    PidState& ps = pids[pid];
    ps.referenced = true;
    ps.unreferenced_reported = false;
    ps.unreferenced_since_n = kNone;
    ps.unreferenced_since_ns.reset();
  }

  void on_pmt(std::uint16_t pid, mux::ByteView view) {
    auto pmt = mux::Pmt::decode(view);
    if (!pmt) return;
    auto it = program_pmt_pid.find(pmt->program_number);
    if (it == program_pmt_pid.end() || it->second != pid) return;
    auto& slot = pmts[pmt->program_number];
    if (slot == *pmt) return;
    slot = *pmt;
    refresh_references();
  }

  // The PIDs the PAT and PMTs refer to, and the 1.6 watchers on elementary PIDs.
  void refresh_references() {
    std::map<std::uint16_t, std::pair<std::uint16_t, std::optional<std::uint8_t>>> es;  // pid -> program, type
    for (const auto& [program, pmt] : pmts) {
      for (const auto& stream : pmt.streams) es[stream.elementary_PID] = {program, stream.stream_type};
      if (pmt.PCR_PID != 0x1FFF && !es.count(pmt.PCR_PID)) es[pmt.PCR_PID] = {program, std::nullopt};
    }
    for (std::uint16_t pid = 0x20; pid < 0x1FFF; ++pid) {
      PidState& ps = pids[pid];
      auto found = es.find(pid);
      if (ps.role == Role::pmt) continue;
      if (found == es.end()) {
        if (ps.role == Role::es) {
          ps.role = Role::none;
          ps.referenced = false;
          if (ps.presence) ps.presence->active = false;
          ps.presence = nullptr;
          if (ps.seen) mark_unreferenced(ps);
        }
        continue;
      }
      ps.role = Role::es;
      ps.service_id = found->second.first;
      if (found->second.second) ps.stream_type = found->second.second;
      reference(pid);
      if (!ps.presence) {
        ps.presence = add_watcher(Indicator::pid_error, pid, options.thresholds.pid_timeout_ms,
                                  fmt::format("packet on PID 0x{:04X}", pid));
      } else {
        ps.presence->active = true;
      }
    }
  }

  void on_nit(mux::ByteView view) {
    auto nit = mux::Nit::decode(view);
    if (!nit) return;
    if (auto* name = mux::find_descriptor<mux::NetworkNameDescriptor>(nit->network_descriptors)) {
      network_name = name->network_name.utf8();
    }
  }

  void on_sdt(mux::ByteView view) {
    auto sdt = mux::Sdt::decode(view);
    if (!sdt) return;
    for (const auto& service : sdt->services) {
      ServiceFigures& f = sdt_services[service.service_id];
      f.service_id = service.service_id;
      if (auto* d = mux::find_descriptor<mux::ServiceDescriptor>(service.descriptors)) {
        f.name = d->service_name.utf8();
        f.provider = d->service_provider_name.utf8();
        f.service_type = d->service_type;
      }
    }
  }

  static std::optional<EventSummary> summary_of(const mux::Eit::Event& e) {
    EventSummary s{e.event_id, e.start_time_utc_s, e.duration_s, {}, e.running_status};
    if (auto* d = mux::find_descriptor<mux::ShortEventDescriptor>(e.descriptors)) {
      s.title = d->event_name.utf8();
    }
    return s;
  }

  void on_eit_pf(mux::ByteView view) {
    auto eit = mux::Eit::decode(view);
    if (!eit) return;
    auto& slot = pf[eit->service_id];
    std::optional<EventSummary> event;
    if (!eit->events.empty()) event = summary_of(eit->events.front());
    (eit->section_number == 0 ? slot.first : slot.second) = event;
  }

  void on_eit_schedule(mux::ByteView view) {
    auto eit = mux::Eit::decode(view);
    if (!eit) return;
    auto& ids = schedule_events[eit->service_id];
    for (const auto& event : eit->events) ids.insert(event.event_id);
  }

  void on_tdt(mux::ByteView view) {
    auto tdt = mux::Tdt::decode(view);
    if (!tdt) return;
    clock.tdt_utc_s = tdt->UTC_time_s;
    if (live) {
      const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                              std::chrono::system_clock::now().time_since_epoch())
                              .count();
      clock.tdt_minus_local_clock_ms = tdt->UTC_time_s * 1000 - now_ms;
    }
  }

  void on_tot(mux::ByteView view) {
    auto tot = mux::Tot::decode(view);
    if (!tot) return;
    clock.tot_utc_s = tot->UTC_time_s;
    if (auto* d = mux::find_descriptor<mux::LocalTimeOffsetDescriptor>(tot->descriptors)) {
      if (!d->regions.empty()) {
        const auto& r = d->regions.front();
        const int minutes = r.local_time_offset_min;
        clock.local_offset_minutes = r.local_time_offset_polarity ? -minutes : minutes;
        clock.country = r.country_code;
      }
    }
  }

  // ================================ intervals =================================================
  void close_intervals(std::int64_t now_ns) {
    const std::int64_t length = options.interval_ms * kNsPerMs;
    if (length <= 0 || now_ns - interval_start_ns < length) return;
    const std::int64_t duration = now_ns - interval_start_ns;
    IntervalReport report;
    report.start_ns = interval_start_ns;
    report.end_ns = now_ns;
    std::uint64_t packets = 0;
    for (std::uint16_t pid : seen_pids) {
      PidState& ps = pids[pid];
      const std::uint64_t bits = std::uint64_t{ps.interval_packets} * kPacket * 8;
      const auto bps = static_cast<std::uint64_t>(static_cast<__int128>(bits) * kNs / duration);
      packets += ps.interval_packets;
      ps.rate_min = std::min(ps.rate_min, bps);
      ps.rate_max = std::max(ps.rate_max, bps);
      ps.interval_bits_sum += bits;
      ++ps.rate_intervals;
      report.pid_bitrates_bps.emplace_back(pid, bps);
      ps.interval_packets = 0;
    }
    report.bitrate_bps = static_cast<std::uint64_t>(
        static_cast<__int128>(packets) * kPacket * 8 * kNs / duration);
    report.active_alarms = active_alarms();
    report.counts = interval_counts;
    report.totals = counts;
    interval_counts = {};
    interval_start_ns = now_ns;
    interval_ns_sum += duration;
    if (interval_handler) interval_handler(report);
  }
  std::int64_t interval_ns_sum = 0;

  // ================================ finish ====================================================
  void finish(bool input_ended) {
    if (finished) return;
    finished = true;
    if (in_sync && !carry.empty() && input_ended) {
      findings.truncated_tail_bytes = carry.size();
      findings.statements.push_back(fmt::format(
          "the last packet is cut short: {} of {} bytes at offset {}", carry.size(), packet_size,
          carry_offset));
    } else if (!in_sync && !carry.empty()) {
      findings.skipped_bytes += carry.size();
    }
    carry.clear();
    if (!live && time_known && n > resolved_n) {
      // Extrapolate the last packets with the measured rate (or the last interval's slope).
      const std::int64_t per_packet_ns =
          rate.known() ? ticks_to_ns(static_cast<std::int64_t>(rate.ticks_for(1000000))) / 1000000 : 0;
      resolve(n, ref_last_ns + static_cast<std::int64_t>(n - ref_last_n) * per_packet_ns);
    } else if (live && time_known) {
      resolve(n, last_time_ns);
    }
    // Whatever is still waiting has no time.
    pending_events.clear();
    pending_event_n.clear();
    if (time_known && resolved_n >= n) {
      for (const SectionRecord& r : pending_sections) judge_section(r);
    }
    pending_sections.clear();
    findings.timing_from_pcr = !live && time_known;
    for (const std::string& alarm : active_alarms()) {
      findings.statements.push_back(
          fmt::format("at the end of the input (not counted: an absence counts when it ends): {}", alarm));
    }
    statements();
  }

  void statements() {
    auto& s = findings.statements;
    if (!ever_synced) {
      s.insert(s.begin(), fmt::format("no transport stream: no run of {} sync bytes at 188- or "
                                      "204-byte spacing in {} bytes",
                                      kSyncPacketsToLock, findings.bytes));
      return;
    }
    if (findings.packet_size == kRsPacket) {
      s.push_back("204-byte packets: 16 bytes of Reed-Solomon parity after each packet are ignored");
    }
    if (findings.skipped_bytes > 0) {
      s.push_back(fmt::format("{} bytes outside packets were skipped; sync was regained {} times",
                              findings.skipped_bytes, findings.resyncs));
    }
    if (!live && !time_known) {
      s.push_back("no usable PCR: packets have no stream time, so no time-based check (1.3, "
                  "1.5, 1.6, 2.5, 3.x repetition) was made");
    }
  }

  // ================================ figures ===================================================
  Figures figures() const {
    Figures f;
    f.input = findings;
    if (time_known) f.duration_ns = last_time_ns;
    const std::uint64_t packets = findings.packets;
    if (f.duration_ns && *f.duration_ns > 0) {
      f.bitrate_bps = static_cast<std::uint64_t>(static_cast<__int128>(packets) * kPacket * 8 *
                                                 kNs / *f.duration_ns);
    }
    if (rate.known() && !live) f.bitrate_bps = rate.rate_bps();
    f.null_share = packets ? static_cast<double>(null_packets) / static_cast<double>(packets) : 0;
    std::vector<std::uint16_t> sorted = seen_pids;
    std::sort(sorted.begin(), sorted.end());
    for (std::uint16_t pid : sorted) {
      const PidState& ps = pids[pid];
      PidFigures p;
      p.pid = pid;
      p.kind = std::string(role_name(ps.role, ps.stream_type));
      p.service_id = ps.service_id;
      p.stream_type = ps.stream_type;
      p.pes_stream_id = ps.pes_stream_id;
      p.packets = ps.packets;
      p.adaptation_only_packets = ps.adaptation_only;
      p.scrambled_packets = ps.scrambled;
      p.continuity_errors = ps.cc_errors;
      p.transport_errors = ps.tei;
      p.pcr_count = ps.pcrs;
      if (ps.rate_intervals > 0) {
        p.bitrate_min_bps = ps.rate_min;
        p.bitrate_max_bps = ps.rate_max;
        p.bitrate_mean_bps = interval_ns_sum > 0
                                 ? static_cast<std::uint64_t>(static_cast<__int128>(ps.interval_bits_sum) *
                                                              kNs / interval_ns_sum)
                                 : 0;
      } else if (f.duration_ns && *f.duration_ns > 0) {
        p.bitrate_mean_bps = static_cast<std::uint64_t>(
            static_cast<__int128>(ps.packets) * kPacket * 8 * kNs / *f.duration_ns);
        p.bitrate_min_bps = p.bitrate_max_bps = p.bitrate_mean_bps;
      }
      f.pids.push_back(std::move(p));
    }
    for (const auto& [pid, t] : pcr_tracks) {
      PcrFigures p;
      p.pid = pid;
      p.count = t.count;
      if (t.intervals) {
        p.interval_min_ms = t.interval_min_ms;
        p.interval_max_ms = t.interval_max_ms;
        p.interval_mean_ms = t.interval_sum_ms / static_cast<double>(t.intervals);
      }
      if (t.acc_count) {
        p.accuracy_min_ns = t.acc_min_ns;
        p.accuracy_max_ns = t.acc_max_ns;
        p.accuracy_rms_ns = std::sqrt(t.acc_sq_sum / static_cast<double>(t.acc_count));
      }
      p.measured_rate_bps = rate.rate_bps();
      f.pcrs.push_back(p);
    }
    for (const auto& [program, pmt_pid] : program_pmt_pid) {
      if (program == 0) continue;
      ServiceFigures s;
      if (auto it = sdt_services.find(program); it != sdt_services.end()) s = it->second;
      s.service_id = program;
      s.pmt_pid = pmt_pid;
      if (auto it = pmts.find(program); it != pmts.end()) {
        s.pcr_pid = it->second.PCR_PID;
        for (const auto& stream : it->second.streams) s.es_pids.push_back(stream.elementary_PID);
      }
      if (auto it = schedule_events.find(program); it != schedule_events.end()) {
        s.eit_schedule_events = it->second.size();
      }
      if (auto it = pf.find(program); it != pf.end()) {
        s.present = it->second.first;
        s.following = it->second.second;
      }
      f.services.push_back(std::move(s));
    }
    for (const auto& [id, service] : sdt_services) {  // in the SDT but not in the PAT
      if (!program_pmt_pid.count(id)) f.services.push_back(service);
    }
    f.transport_stream_id = transport_stream_id;
    f.network_name = network_name;
    f.clock = clock;
    return f;
  }
};

Analyzer::Analyzer(AnalyzerOptions options) : state_(std::make_unique<State>(std::move(options))) {}
Analyzer::~Analyzer() = default;

void Analyzer::feed(std::span<const std::uint8_t> bytes, std::optional<std::int64_t> arrival_ns) {
  state_->feed(bytes, arrival_ns);
}
void Analyzer::finish(bool input_ended) { state_->finish(input_ended); }
void Analyzer::idle(std::int64_t arrival_ns) { state_->idle(arrival_ns); }
std::optional<std::int64_t> Analyzer::stream_time_ns() const {
  if (!state_->time_known) return std::nullopt;
  return state_->last_time_ns;
}
const IndicatorCounts& Analyzer::counts() const { return state_->counts; }
bool Analyzer::fired(int priority) const {
  for (std::size_t i = 0; i < kIndicatorCount; ++i) {
    if (kIndicators[i].priority == priority && state_->counts[i] > 0) return true;
  }
  return false;
}
const std::vector<Event>& Analyzer::events() const { return state_->events; }
std::uint64_t Analyzer::events_dropped() const { return state_->events_dropped; }
Figures Analyzer::figures() const { return state_->figures(); }
void Analyzer::on_interval(std::function<void(const IntervalReport&)> handler) {
  state_->interval_handler = std::move(handler);
}

}  // namespace skyclass::tsmon

#pragma once
// The transport stream analyser behind skyclass-tsmon: every indicator of ETSI TR 101 290
// (V1.4.1, 5.2.1 first, 5.2.2 second and 5.2.3 third priority) that applies to a DVB stream
// without a CA system or RST, plus the figures an engineer reads beside them (bitrates per PID,
// PCR statistics, services, EIT now/next, TDT/TOT).
//
// Time. A live input passes the arrival time of each chunk; its packets are spread from there at
// the stream's measured rate (a datagram's 7 packets left the sender one after the other).
// A file has no arrival times, so each packet's time comes from the PCRs of the reference PID
// (the first PCR PID seen) interpolated by byte position: a packet between two PCRs gets its time
// once the second one arrives, so checks that need time are resolved one PCR late. The first PCR
// interval also times the packets before the first PCR (the first packet is at 0 s); a file with
// fewer than two PCRs has no time and no time-based check.
//
// Absences ("X at least every T") count once each, when X comes back; one still open at the end
// of the input is not counted (see docs/monitoring-guide.md, which has every counting rule).
//
// Cost. The steady path (a packet of an ES PID) is a header decode, a table lookup and a few
// counters: no allocation, no virtual call. Sections and PES headers are only decoded at their
// start.
#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace skyclass::tsmon {

// The indicators, in the order of TR 101 290 table 5.2.
enum class Indicator : std::uint8_t {
  ts_sync_loss,                       // 1.1
  sync_byte_error,                    // 1.2
  pat_error,                          // 1.3
  pat_error_2,                        // 1.3a
  continuity_count_error,             // 1.4
  pmt_error,                          // 1.5
  pmt_error_2,                        // 1.5a
  pid_error,                          // 1.6
  transport_error,                    // 2.1
  crc_error,                          // 2.2
  pcr_error,                          // 2.3
  pcr_repetition_error,               // 2.3a
  pcr_discontinuity_indicator_error,  // 2.3b
  pcr_accuracy_error,                 // 2.4
  pts_error,                          // 2.5
  cat_error,                          // 2.6
  nit_error,                          // 3.1
  si_repetition_error,                // 3.2
  unreferenced_pid,                   // 3.4
  sdt_error,                          // 3.5
  eit_error,                          // 3.6
  rst_error,                          // 3.7
  tdt_error,                          // 3.8
};
inline constexpr std::size_t kIndicatorCount = 23;

std::string_view indicator_id(Indicator indicator);    // "1.3a"
std::string_view indicator_name(Indicator indicator);  // "PAT_error_2"
int indicator_priority(Indicator indicator);           // 1, 2 or 3
// The indicator whose id is `id`, if there is one.
std::optional<Indicator> indicator_from_id(std::string_view id);

using IndicatorCounts = std::array<std::uint64_t, kIndicatorCount>;
inline std::uint64_t count_of(const IndicatorCounts& counts, Indicator indicator) {
  return counts[static_cast<std::size_t>(indicator)];
}

inline constexpr std::uint16_t kNoPid = 0xFFFF;

// One occurrence of an indicator. `byte_offset` is the offset in the input of the first byte of
// the packet that showed it (for an absence: the packet that ended it).
struct Event {
  Indicator indicator = Indicator::ts_sync_loss;
  std::uint64_t byte_offset = 0;
  std::optional<std::int64_t> time_ns;  // stream time (see the file comment); none when unknown
  std::uint16_t pid = kNoPid;
  std::string detail;  // what was seen against what was expected
};

// TR 101 290 thresholds, and the TR 101 211 rates of the DVB profile (DESIGN.md).
struct Thresholds {
  std::int64_t pat_interval_ms = 500;        // 1.3, 1.3a
  std::int64_t pmt_interval_ms = 500;        // 1.5, 1.5a
  std::int64_t pid_timeout_ms = 5000;        // 1.6 ("user specified period")
  std::int64_t pcr_interval_ms = 40;         // 2.3a
  std::int64_t pcr_jump_ms = 100;            // 2.3b
  std::int64_t pcr_accuracy_ns = 500;        // 2.4
  std::int64_t pts_interval_ms = 700;        // 2.5
  std::int64_t nit_interval_ms = 10000;      // 3.1, 3.2
  std::int64_t sdt_interval_ms = 2000;       // 3.5, 3.2
  std::int64_t eit_pf_interval_ms = 2000;    // 3.6, 3.2
  std::int64_t eit_schedule_interval_ms = 10000;  // 3.2 (first 8 days)
  std::int64_t tdt_interval_ms = 30000;      // 3.8, 3.2
  std::int64_t tot_interval_ms = 30000;      // 3.2
  std::int64_t si_min_gap_ms = 25;           // 3.1, 3.2, 3.5, 3.6, 3.7, 3.8
  std::int64_t unreferenced_pid_ms = 500;    // 3.4
};

struct AnalyzerOptions {
  Thresholds thresholds;
  std::size_t max_events_kept = 10000;  // events beyond this are counted but not kept
  std::int64_t interval_ms = 1000;      // figure interval (per-PID min/max bitrate, json-lines)
};

// What the input looked like before any TR 101 290 check: packet size, garbage, truncation.
struct InputFindings {
  std::size_t packet_size = 0;  // 188, 204 (Reed-Solomon), or 0 when no sync was ever found
  std::uint64_t bytes = 0;
  std::uint64_t packets = 0;
  std::uint64_t resyncs = 0;           // times sync was regained after a loss
  std::uint64_t skipped_bytes = 0;     // bytes outside any packet (garbage, lost sync)
  std::uint64_t truncated_tail_bytes = 0;  // a last packet cut short
  bool timing_from_pcr = false;        // file time came from PCR (false: no usable PCR)
  // Plain sentences for the engineer ("no sync byte found in 1048576 bytes: not a transport stream").
  std::vector<std::string> statements;
};

struct PidFigures {
  std::uint16_t pid = 0;
  std::string kind;  // "PAT", "PMT", "NIT", "SDT/BAT", "EIT", "TDT/TOT", "video", "audio", "null", ...
  std::optional<std::uint16_t> service_id;
  std::optional<std::uint8_t> stream_type;   // from the PMT
  std::optional<std::uint8_t> pes_stream_id;  // from the last PES header
  std::uint64_t packets = 0;
  std::uint64_t adaptation_only_packets = 0;  // no payload: the counter legally repeats
  std::uint64_t scrambled_packets = 0;
  std::uint64_t continuity_errors = 0;
  std::uint64_t transport_errors = 0;
  std::uint64_t pcr_count = 0;
  // Over whole intervals of AnalyzerOptions::interval_ms (0 until one interval is complete).
  std::uint64_t bitrate_min_bps = 0, bitrate_mean_bps = 0, bitrate_max_bps = 0;
};

struct PcrFigures {
  std::uint16_t pid = 0;
  std::uint64_t count = 0;
  double interval_min_ms = 0, interval_mean_ms = 0, interval_max_ms = 0;
  // Accuracy: the PCR against the previous one moved on by the bytes between them at the
  // stream's measured constant rate.
  double accuracy_min_ns = 0, accuracy_max_ns = 0, accuracy_rms_ns = 0;
  std::uint64_t measured_rate_bps = 0;
};

struct EventSummary {
  std::uint16_t event_id = 0;
  std::int64_t start_utc_s = 0;
  std::int64_t duration_s = 0;
  std::string title;
  std::uint8_t running_status = 0;
};

struct ServiceFigures {
  std::uint16_t service_id = 0;
  std::uint16_t pmt_pid = 0;
  std::uint16_t pcr_pid = 0x1FFF;
  std::string name, provider;
  std::uint8_t service_type = 0;
  std::vector<std::uint16_t> es_pids;
  std::optional<EventSummary> present, following;
  std::uint64_t eit_schedule_events = 0;
};

struct ClockFigures {
  std::optional<std::int64_t> tdt_utc_s, tot_utc_s;
  std::optional<int> local_offset_minutes;  // from the TOT's local time offset descriptor
  std::string country;                      // of that descriptor
  // TDT time against this machine's clock when it was received (live inputs only).
  std::optional<std::int64_t> tdt_minus_local_clock_ms;
};

struct Figures {
  InputFindings input;
  std::optional<std::int64_t> duration_ns;  // stream time covered
  std::uint64_t bitrate_bps = 0;            // total, over the stream time
  double null_share = 0;                    // null packets / all packets
  std::vector<PidFigures> pids;             // by PID
  std::vector<PcrFigures> pcrs;             // by PID
  std::vector<ServiceFigures> services;     // by service_id
  std::uint16_t transport_stream_id = 0;
  std::string network_name;
  ClockFigures clock;
};

// One interval of figures, for the live view and --json-lines.
struct IntervalReport {
  std::int64_t start_ns = 0, end_ns = 0;  // stream time
  std::uint64_t bitrate_bps = 0;
  IndicatorCounts counts{};  // in this interval
  IndicatorCounts totals{};  // since the start
  std::vector<std::pair<std::uint16_t, std::uint64_t>> pid_bitrates_bps;
  // Absences going on now (longer than their limit): counted when they end.
  std::vector<std::string> active_alarms;
};

class Analyzer {
 public:
  explicit Analyzer(AnalyzerOptions options = {});
  ~Analyzer();
  Analyzer(const Analyzer&) = delete;
  Analyzer& operator=(const Analyzer&) = delete;

  // Any chunking of the input. `arrival_ns`: the monotonic arrival time of this chunk on a live
  // input; leave it empty for a file.
  void feed(std::span<const std::uint8_t> bytes, std::optional<std::int64_t> arrival_ns = {});
  // The end of the input (or of --duration: `input_ended` false, so a packet cut by the stop is
  // not reported as a truncated file): resolves the last packets' times and states what the
  // input looked like. Call once.
  void finish(bool input_ended = true);
  // A live input had nothing to read until `arrival_ns`: time goes on without packets, so
  // absences show as active alarms and intervals close.
  void idle(std::int64_t arrival_ns);
  // Stream time reached so far (see the file comment), once known.
  std::optional<std::int64_t> stream_time_ns() const;

  const IndicatorCounts& counts() const;
  bool fired(int priority) const;  // any indicator of this priority counted
  // Events kept so far (at most max_events_kept), oldest first.
  const std::vector<Event>& events() const;
  std::uint64_t events_dropped() const;  // counted but not kept
  Figures figures() const;

  // Called at the end of every interval of stream time, from inside feed().
  void on_interval(std::function<void(const IntervalReport&)> handler);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace skyclass::tsmon

#pragma once
// skyclass-tsdamage: damages a clean MPEG-TS the way a satellite link does, deterministically from
// a seed, and accounts exactly for what it did, so that skyclass-tsmon (TR 101 290) and the
// receiver can be checked against the counts injected.
//
// Choice. Every complete 188-byte unit of the input, in order, takes four 64-bit draws from
// std::mt19937_64(seed) (whose output the standard fixes): TEI, drop, flip, and the bit to flip.
// They are taken always, whatever the options and whether the unit is removed, so adding or
// changing one kind of damage, or an outage, never changes which units the others choose. A unit
// is chosen at PCT percent when its draw is below floor(PCT / 100 * 2^64) (100 %: always); the bit
// is floor(draw * bits / 2^64). No std::uniform_*_distribution: those differ between libraries.
//
// What each damage touches, in this order of precedence:
// - outage: every unit whose stream time (below) lies in [start, start + length) is removed,
//   whatever it is (a link outage loses everything). A unit in several windows belongs to the
//   first given. Not counted as dropped, TEI or flipped.
// - drop: a chosen synced packet (of any PID, the null PID included) is removed.
// - TEI: a chosen synced packet that is sent gets transport_error_indicator set, nothing else
//   changed. Chosen among all PIDs, the null PID included: a link does not look at PIDs, and
//   TR 101 290 2.1 counts every PID. A packet that already had TEI is not counted as set.
// - flip: one bit of a chosen packet that is sent is inverted, inside the ES data of a PES
//   packet: never the TS header, the adaptation field, the PES header, a PID 0x0000-0x001F, a PID
//   the PAT (seen so far in the input) lists as PMT or network PID, the null PID, a scrambled
//   packet, or a PES whose stream_id is not video (0xE0-0xEF), audio (0xC0-0xDF),
//   private_stream_1 (0xBD) or extended (0xFD). So it damages pictures and sound, not the TS or
//   PES layers. A chosen packet with no such bytes is left alone (counted as
//   flip_chosen_not_eligible). Eligibility follows the input alone.
// Unsynced units (no 0x47 where a packet starts, after a synced first packet) are passed through
// unchanged unless an outage covers them; a short tail (the input is not a multiple of 188 bytes)
// is always copied unchanged.
//
// Stream time (outages). The PCRs of the first PID that carries one, interpolated linearly by the
// byte position of each PCR's byte 10 (13818-1 2.4.2.2), exact rational arithmetic floored to
// 27 MHz ticks. Before the first PCR the rate of the first two is extrapolated, after the last the
// rate of the last two. A unit's time is the time of its first byte minus the time of byte 0. A
// PCR with discontinuity_indicator, equal to the previous, or behind it, starts a new run of
// time: the gap is bridged at the previous run's last rate (else the next run's first rate), so
// stream time never steps back. It needs two PCRs one after the other on that PID. A window edge
// within one tick of a packet start may go either way.
//
// Continuity (what a monitor must count, TR 101 290 1.4, ISO/IEC 13818-1 2.4.3.3). Checked on
// the packets as sent, per PID, the null PID, unsynced units and packets that do not parse
// excluded, each packet against the previous packet of its PID that was sent:
// - the first packet of a PID, and a packet whose adaptation field sets discontinuity_indicator,
//   are never errors;
// - a packet with payload is correct if its counter is the previous one + 1 mod 16, or if it is a
//   duplicate: the same counter as the previous packet, which had a payload, was not itself a
//   duplicate, and whose payload bytes are identical (so a packet occurring a third time is an
//   error);
// - an adaptation-only packet is correct if it repeats the previous counter;
// - every other packet is one error, and the next is checked against it (the checker resyncs).
// TEI packets are checked like the others (the payload is compared, not the header, so TEI on
// one of a duplicate pair keeps it a duplicate). What this gives on a clean input, per PID,
// between two packets A and B that are sent with removed packets between them, k being the
// number of counter steps those carried (payload packets, not adaptation-only ones, and one
// packet of a duplicate pair counting once):
// - k = 0 mod 16 (adaptation-only packets, one of a duplicate pair, 16 payload packets...): no
//   error;
// - k = 15 mod 16 and B has payload: B repeats A's counter. If A had payload too and B's payload
//   equals A's (a PSI packet repeated with the same section, every 100 ms), B passes as a
//   duplicate: no error, exactly as a monitor that compares duplicates sees it. Otherwise one
//   error, also counted in repeated_counter_errors (a checker that takes any single repeat of a
//   counter for a duplicate misses those);
// - any other k: one error, at B (an adaptation-only B must repeat the counter of the last
//   payload packet, which was removed: one error, and the packet after B is then correct);
// - B with discontinuity_indicator: no error.
// A flip in one of a duplicate pair makes the pair one repeated-counter error. The report counts
// this check on the output (continuity_errors) and on the input (input_continuity_errors, 0 for
// a clean stream), per PID as well.
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "mux/bytes.hpp"
#include "mux/ts_packet.hpp"

namespace skyclass::tsdamage {

// A bad option value; main exits with 2. The message names the option and what was expected.
class UsageError : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};
// Unreadable or unwritable file, or an input that is not a 188-byte TS; main exits with 1.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// PCT percent, exactly: parts per 10^9 of all units (at most 7 decimals of a percent).
struct Percentage {
  static constexpr std::uint32_t kWhole = 1'000'000'000;
  std::uint32_t parts_per_billion = 0;

  bool chosen(std::uint64_t draw) const;
  double percent() const { return parts_per_billion / 1e7; }
};
// "0.5", "2", "100", "1%". Throws UsageError naming `option`.
Percentage parse_percentage(std::string_view text, std::string_view option);
// A decimal unsigned 64-bit integer. Throws UsageError.
std::uint64_t parse_seed(std::string_view text);

// A window of stream time, in 27 MHz ticks from the first packet.
struct Outage {
  std::uint64_t start_27mhz = 0;
  std::uint64_t length_27mhz = 0;
};
// "START+LEN", each a decimal number with an optional unit h, min, s (default), ms or us:
// "30s+3s", "30+3", "1.5s+500ms". LEN must be positive. Throws UsageError.
Outage parse_outage(std::string_view text);

struct DamageOptions {
  std::uint64_t seed = 0;
  Percentage tei, drop, flip;
  std::vector<Outage> outages;
};

// The continuity check described above, for one stream.
class ContinuityChecker {
 public:
  enum class Verdict : std::uint8_t { not_checked, ok, duplicate, error, repeated_counter_error };
  // `view` must be the parse of `packet` (try_parse_ts_packet returned ok).
  Verdict check(const mux::TsPacketView& view);

 private:
  struct PidState {
    bool seen = false;
    bool previous_had_payload = false;
    bool previous_was_duplicate = false;
    std::uint8_t counter = 0;
    std::uint8_t payload_size = 0;
    std::array<std::uint8_t, mux::kTsMaxPayloadSize> payload{};
  };
  std::vector<PidState> pids_ = std::vector<PidState>(mux::kMaxPid + 1);
};
inline bool is_error(ContinuityChecker::Verdict verdict) {
  return verdict == ContinuityChecker::Verdict::error ||
         verdict == ContinuityChecker::Verdict::repeated_counter_error;
}

// Stream time of every unit (see the file comment). Built by a first pass over the input.
class Timeline {
 public:
  // Pass 1: every unit of the input in order (a short tail may be passed too; it is ignored).
  void push(std::span<const std::uint8_t> unit);
  // Ends pass 1. Throws InputError (naming `input_name`) without two successive PCRs on a PID.
  void finish(std::string_view input_name);

  std::optional<std::uint16_t> pcr_pid() const { return pcr_pid_; }
  std::size_t pcr_count() const { return anchors_.size(); }
  // Time of the byte at `byte_offset` from the time of byte 0; floor, in 27 MHz ticks. Cheapest
  // when called with increasing offsets.
  std::int64_t time_27mhz(std::uint64_t byte_offset);

 private:
  struct Anchor {
    std::uint64_t byte = 0;
    std::int64_t time = 0;  // 27 MHz ticks, on a clock that only runs forward
  };
  struct Run {              // PCRs without a discontinuity between them
    std::size_t first = 0;  // index in anchors_
    std::size_t count = 0;
  };
  std::int64_t interpolate(std::size_t segment, std::uint64_t byte) const;

  std::uint64_t next_byte_ = 0;
  std::optional<std::uint16_t> pcr_pid_;
  std::optional<std::uint64_t> last_pcr_27mhz_;  // wrapped
  std::vector<Anchor> anchors_;                  // times relative to their run until finish()
  std::vector<Run> runs_;
  std::int64_t origin_ = 0;  // time of byte 0, after finish()
  std::size_t cursor_ = 0;   // segment of the last lookup
};

struct PidDamage {
  std::uint64_t packets_in = 0, packets_out = 0;
  std::uint64_t tei = 0, dropped = 0, flipped = 0, outage_removed = 0;
  std::uint64_t continuity_errors = 0, repeated_counter_errors = 0, input_continuity_errors = 0;
  std::uint64_t transport_error_packets_out = 0;  // TEI set in the output, set here or before
};

struct OutageDamage {
  Outage outage;
  std::optional<std::uint64_t> first_packet;  // index in the input of the first unit removed
  std::uint64_t packets = 0;
};

struct DamageReport {
  DamageOptions options;
  std::uint64_t packets_in = 0, packets_out = 0;  // 188-byte units
  std::uint64_t unsynced_packets = 0;   // units without a sync byte, passed on unless in an outage
  std::uint64_t malformed_packets = 0;  // synced but not parseable (reserved AF control, AF length)
  std::uint64_t trailing_bytes = 0;     // a short last unit
  std::uint64_t tei_packets = 0, dropped_packets = 0, flipped_packets = 0;
  std::uint64_t flip_chosen_not_eligible = 0;
  std::uint64_t transport_error_packets_out = 0;
  std::uint64_t continuity_errors = 0, repeated_counter_errors = 0, input_continuity_errors = 0;
  std::optional<std::uint16_t> pcr_pid;  // of the stream time, when outages were asked for
  std::vector<OutageDamage> outages;
  std::map<std::uint16_t, PidDamage> per_pid;  // every PID of the input
};

// The damage pass over units in input order. Outages need the finished Timeline of the same input.
class Damager {
 public:
  // Throws std::invalid_argument if options has outages and `timeline` is null.
  Damager(const DamageOptions& options, Timeline* timeline);
  ~Damager();
  Damager(const Damager&) = delete;
  Damager& operator=(const Damager&) = delete;

  // One unit: 188 bytes, or the input's short tail. Appends what is sent to `out`.
  void push(std::span<const std::uint8_t> unit, mux::Bytes& out);
  const DamageReport& report() const;

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// Refuses an input whose first packet is not synced, or where fewer than half of its first 16
// packets are: "not a 188-byte transport stream". `head` is the start of the input.
void check_transport_stream(mux::ByteView head, std::string_view input_name);

struct DamageResult {
  mux::Bytes output;
  DamageReport report;
};
// Both passes over an input in memory. Throws InputError.
DamageResult damage_bytes(mux::ByteView input, const DamageOptions& options,
                          std::string_view input_name = "input");
// IN and OUT are paths, or "-" for stdin/stdout (IN only without outages, which need two
// passes). A partly written OUT file is removed on error. Throws InputError or UsageError.
DamageReport damage_file(const std::string& in, const std::string& out,
                         const DamageOptions& options);

nlohmann::json to_json(const DamageReport& report);
// One line for stderr: "seed 7: 100000 packets in, 97000 out; TEI 1000, ...".
std::string summary_line(const DamageReport& report);

}  // namespace skyclass::tsdamage

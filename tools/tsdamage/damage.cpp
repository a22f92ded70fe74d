#include "tools/tsdamage/damage.hpp"

#include "tools/decimal_text.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <limits>
#include <memory>
#include <random>
#include <system_error>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mux/section.hpp"
#include "mux/tables/pat.hpp"

namespace skyclass::tsdamage {
namespace {

using tools::text::Decimal;
using tools::text::is_digit;
using tools::text::parse_decimal;
using tools::text::pow10;
using tools::text::scale_draw;

using mux::kTsPacketSize;
using Int128 = __int128;
using UInt128 = unsigned __int128;

constexpr std::uint64_t kTicksPerSecond = mux::kSystemClockHz;
constexpr std::size_t kPesFixedHeaderSize = 9;  // start code .. PES_header_data_length

// floor(a / b) for b > 0.
Int128 floor_div(Int128 a, Int128 b) {
  Int128 q = a / b;
  if ((a % b != 0) && (a < 0)) --q;
  return q;
}

// "1.5s", "500ms", "30" (seconds) in 27 MHz ticks, floored. nullopt when malformed.
std::optional<std::uint64_t> parse_duration_27mhz(std::string_view text) {
  struct Unit {
    std::string_view suffix;
    std::uint64_t ticks;
  };
  static constexpr Unit kUnits[] = {{"min", 60 * kTicksPerSecond},
                                    {"ms", kTicksPerSecond / 1000},
                                    {"us", kTicksPerSecond / 1'000'000},
                                    {"h", 3600 * kTicksPerSecond},
                                    {"s", kTicksPerSecond}};
  std::uint64_t unit_ticks = kTicksPerSecond;
  for (const Unit& unit : kUnits) {
    if (text.size() > unit.suffix.size() && text.ends_with(unit.suffix)) {
      text.remove_suffix(unit.suffix.size());
      unit_ticks = unit.ticks;
      break;
    }
  }
  Decimal value;
  if (!parse_decimal(text, 9, 9, value)) return std::nullopt;
  const std::uint64_t scale = pow10(value.fraction_digits);
  const UInt128 numerator = (UInt128{value.integer} * scale + value.fraction) * unit_ticks;
  const UInt128 ticks = numerator / scale;
  if (ticks > std::numeric_limits<std::int64_t>::max() / 4) return std::nullopt;
  return static_cast<std::uint64_t>(ticks);
}

double seconds(std::uint64_t ticks_27mhz) {
  return static_cast<double>(ticks_27mhz) / static_cast<double>(kTicksPerSecond);
}

// stream_ids whose PES carries pictures or sound and the optional PES header (Table 2-22).
bool carries_media(std::uint8_t stream_id) {
  return (stream_id >= 0xC0 && stream_id <= 0xEF) || stream_id == 0xBD || stream_id == 0xFD;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Options

bool Percentage::chosen(std::uint64_t draw) const {
  if (parts_per_billion >= kWhole) return true;
  const UInt128 threshold = (UInt128{parts_per_billion} << 64) / kWhole;
  return draw < threshold;
}

Percentage parse_percentage(std::string_view text, std::string_view option) {
  std::string_view number = text;
  if (number.ends_with('%')) number.remove_suffix(1);
  Decimal value;
  const bool parsed = parse_decimal(number, 3, 7, value);
  const std::uint64_t parts =
      value.integer * 10'000'000 + value.fraction * pow10(7 - value.fraction_digits);
  if (!parsed || parts > Percentage::kWhole) {
    throw UsageError(fmt::format(
        "{}: expected a percentage of all packets from 0 to 100 with at most 7 decimals "
        "(e.g. 0.5), got '{}'",
        option, text));
  }
  return Percentage{static_cast<std::uint32_t>(parts)};
}

std::uint64_t parse_seed(std::string_view text) {
  std::uint64_t value = 0;
  bool ok = !text.empty() && text.size() <= 20;
  for (char c : text) {
    if (!ok) break;
    const auto digit = static_cast<std::uint64_t>(c - '0');
    ok = is_digit(c) && value <= (std::numeric_limits<std::uint64_t>::max() - digit) / 10;
    value = value * 10 + digit;
  }
  if (!ok) {
    throw UsageError(
        fmt::format("--seed: expected an unsigned decimal integer from 0 to {}, got '{}'",
                    std::numeric_limits<std::uint64_t>::max(), text));
  }
  return value;
}

Outage parse_outage(std::string_view text) {
  constexpr std::string_view kExpected =
      "expected START+LEN, each a number with an optional unit h, min, s (the default), ms or us "
      "(e.g. 30s+3s, 30+3, 1.5s+500ms)";
  const std::size_t plus = text.find('+');
  if (plus == std::string_view::npos) {
    throw UsageError(fmt::format("--outage: {}, got '{}': no +LEN", kExpected, text));
  }
  const std::optional<std::uint64_t> start = parse_duration_27mhz(text.substr(0, plus));
  if (!start) {
    throw UsageError(fmt::format("--outage: {}, got '{}': START '{}' is not a duration", kExpected,
                                 text, text.substr(0, plus)));
  }
  const std::optional<std::uint64_t> length = parse_duration_27mhz(text.substr(plus + 1));
  if (!length) {
    throw UsageError(fmt::format("--outage: {}, got '{}': LEN '{}' is not a duration", kExpected,
                                 text, text.substr(plus + 1)));
  }
  if (*length == 0) {
    throw UsageError(fmt::format("--outage: {}, got '{}': LEN must be positive", kExpected, text));
  }
  return Outage{*start, *length};
}

// ---------------------------------------------------------------------------------------------
// Continuity

ContinuityChecker::Verdict ContinuityChecker::check(const mux::TsPacketView& view) {
  const std::uint16_t pid = view.header.pid;
  if (pid == mux::kNullPid) return Verdict::not_checked;
  PidState& state = pids_[pid];
  const std::uint8_t counter = view.header.continuity_counter;
  const bool discontinuity =
      view.adaptation_field && view.adaptation_field->discontinuity_indicator;
  Verdict verdict = Verdict::ok;
  if (state.seen && !discontinuity) {
    if (!view.has_payload) {
      verdict = counter == state.counter ? Verdict::ok : Verdict::error;
    } else if (counter == ((state.counter + 1) & 0x0F)) {
      verdict = Verdict::ok;
    } else if (counter != state.counter || state.previous_was_duplicate) {
      verdict = Verdict::error;
    } else if (state.previous_had_payload && view.payload.size() == state.payload_size &&
               std::equal(view.payload.begin(), view.payload.end(), state.payload.begin())) {
      verdict = Verdict::duplicate;
    } else {
      verdict = Verdict::repeated_counter_error;
    }
  }
  state.seen = true;
  state.counter = counter;
  state.previous_had_payload = view.has_payload;
  state.previous_was_duplicate = verdict == Verdict::duplicate;
  if (view.has_payload && verdict != Verdict::duplicate) {
    state.payload_size = static_cast<std::uint8_t>(view.payload.size());
    std::copy(view.payload.begin(), view.payload.end(), state.payload.begin());
  }
  return verdict;
}

// ---------------------------------------------------------------------------------------------
// Stream time

void Timeline::push(std::span<const std::uint8_t> unit) {
  const std::uint64_t offset = next_byte_;
  next_byte_ += unit.size();
  if (unit.size() != kTsPacketSize || unit[0] != mux::kTsSyncByte) return;
  mux::TsPacketView view;
  if (mux::try_parse_ts_packet(unit, view) != mux::TsParseStatus::ok) return;
  if (!view.adaptation_field || !view.adaptation_field->pcr) return;
  if (!pcr_pid_) pcr_pid_ = view.header.pid;
  if (view.header.pid != *pcr_pid_) return;

  const std::uint64_t pcr = view.adaptation_field->pcr->to_27mhz();
  const std::uint64_t byte = offset + mux::kPcrBaseLastByteOffset;
  if (!last_pcr_27mhz_) {
    runs_.push_back(Run{anchors_.size(), 1});
    anchors_.push_back(Anchor{byte, 0});
  } else {
    const std::uint64_t distance = mux::pcr_distance_27mhz(*last_pcr_27mhz_, pcr);
    if (distance == 0) return;  // nothing to learn from a repeated PCR
    const bool behind = distance >= mux::kPcrModulus27MHz / 2;
    if (view.adaptation_field->discontinuity_indicator || behind) {
      runs_.push_back(Run{anchors_.size(), 1});
      anchors_.push_back(Anchor{byte, 0});
    } else {
      anchors_.push_back(Anchor{byte, anchors_.back().time + static_cast<std::int64_t>(distance)});
      ++runs_.back().count;
    }
  }
  last_pcr_27mhz_ = pcr;
}

void Timeline::finish(std::string_view input_name) {
  // A run's rate is that of its first or last segment, as a fraction ticks / bytes.
  struct Rate {
    std::int64_t ticks = 0;
    std::uint64_t bytes = 0;
  };
  auto first_rate = [&](const Run& run) -> std::optional<Rate> {
    if (run.count < 2) return std::nullopt;
    const Anchor& a = anchors_[run.first];
    const Anchor& b = anchors_[run.first + 1];
    return Rate{b.time - a.time, b.byte - a.byte};
  };
  auto last_rate = [&](const Run& run) -> std::optional<Rate> {
    if (run.count < 2) return std::nullopt;
    const Anchor& a = anchors_[run.first + run.count - 2];
    const Anchor& b = anchors_[run.first + run.count - 1];
    return Rate{b.time - a.time, b.byte - a.byte};
  };
  const auto any_rate =
      std::find_if(runs_.begin(), runs_.end(), [](const Run& run) { return run.count >= 2; });
  if (any_rate == runs_.end()) {
    throw InputError(fmt::format(
        "{}: --outage needs the stream time, from two successive PCRs on one PID; {}", input_name,
        pcr_pid_ ? fmt::format("PID 0x{:04X} carries {} usable PCR(s) and no two in a row",
                               *pcr_pid_, anchors_.size())
                 : std::string("no packet carries a PCR")));
  }
  // Bridge each run to the one before it.
  for (std::size_t r = 1; r < runs_.size(); ++r) {
    std::optional<Rate> rate = last_rate(runs_[r - 1]);
    if (!rate) rate = first_rate(runs_[r]);
    for (std::size_t back = r; !rate && back-- > 0;) rate = last_rate(runs_[back]);
    for (std::size_t next = r + 1; !rate && next < runs_.size(); ++next)
      rate = first_rate(runs_[next]);
    const Anchor& previous = anchors_[runs_[r].first - 1];
    const Anchor& first = anchors_[runs_[r].first];
    const auto shift = static_cast<std::int64_t>(
        previous.time - first.time +
        floor_div(Int128{rate->ticks} * static_cast<Int128>(first.byte - previous.byte),
                  static_cast<Int128>(rate->bytes)));
    for (std::size_t i = runs_[r].first; i < runs_[r].first + runs_[r].count; ++i) {
      anchors_[i].time += shift;
    }
  }
  // Segments are anchor pairs; one anchor alone (a single run of one PCR) cannot happen here.
  origin_ = interpolate(0, 0);
  cursor_ = 0;
}

std::int64_t Timeline::interpolate(std::size_t segment, std::uint64_t byte) const {
  const Anchor& a = anchors_[segment];
  const Anchor& b = anchors_[segment + 1];
  const Int128 offset = static_cast<Int128>(byte) - static_cast<Int128>(a.byte);
  return static_cast<std::int64_t>(
      a.time + floor_div(offset * (b.time - a.time), static_cast<Int128>(b.byte - a.byte)));
}

std::int64_t Timeline::time_27mhz(std::uint64_t byte_offset) {
  const std::size_t segments = anchors_.size() - 1;
  if (cursor_ >= segments || byte_offset < anchors_[cursor_].byte) cursor_ = 0;
  while (cursor_ + 1 < segments && byte_offset >= anchors_[cursor_ + 1].byte) ++cursor_;
  return interpolate(cursor_, byte_offset) - origin_;
}

// ---------------------------------------------------------------------------------------------
// Damage

struct Damager::State {
  // Where a PID's PES data (after the PES header) continues.
  struct Pes {
    bool in_media_data = false;
    std::size_t header_left = 0;               // PES header bytes still to come in the next packets
    std::size_t last_first = 0, last_end = 0;  // the range of the last packet (for duplicates)
  };
  struct Range {
    std::size_t first = 0, end = 0;  // bytes of the unit
    bool empty() const { return first >= end; }
  };

  State(const DamageOptions& options, Timeline* timeline)
      : timeline(timeline), engine(options.seed) {
    report.options = options;
    for (const Outage& outage : options.outages)
      report.outages.push_back(OutageDamage{outage, {}, 0});
  }

  Range track_input(std::span<const std::uint8_t> unit, const mux::TsPacketView& view,
                    ContinuityChecker::Verdict verdict);
  void learn_pat(const mux::TsPacketView& view, bool continuity_ok);
  std::optional<std::size_t> outage_of(std::uint64_t byte_offset);
  void send(std::span<const std::uint8_t> unit, const Range& flip_range, std::uint64_t tei_draw,
            std::uint64_t flip_draw, std::uint64_t bit_draw, mux::Bytes& out);

  Timeline* timeline;
  std::mt19937_64 engine;
  DamageReport report;
  ContinuityChecker input_checker, output_checker;
  mux::SectionAssembler pat_sections{mux::kMaxPsiSectionBytes};
  std::vector<bool> listed_in_pat = std::vector<bool>(mux::kMaxPid + 1);  // PMT, network PIDs
  std::vector<Pes> pes = std::vector<Pes>(mux::kMaxPid + 1);
  std::uint64_t byte_offset = 0;
  std::uint64_t packet_index = 0;
};

void Damager::State::learn_pat(const mux::TsPacketView& view, bool continuity_ok) {
  if (!view.has_payload || view.header.transport_scrambling_control != 0) return;
  pat_sections.push(view.header.payload_unit_start_indicator, continuity_ok, view.payload);
  for (const mux::Bytes& section : pat_sections.take_sections()) {
    const mux::Result<mux::Pat> pat = mux::Pat::decode(section);
    if (!pat) continue;
    for (const mux::Pat::Program& program : pat->programs) {
      listed_in_pat[program.program_map_PID & mux::kMaxPid] = true;
    }
  }
}

Damager::State::Range Damager::State::track_input(std::span<const std::uint8_t> unit,
                                                  const mux::TsPacketView& view,
                                                  ContinuityChecker::Verdict verdict) {
  const std::uint16_t pid = view.header.pid;
  if (pid == 0) learn_pat(view, !is_error(verdict));
  if (!view.has_payload || pid < 0x20 || pid == mux::kNullPid) return {};
  Pes& state = pes[pid];
  if (verdict == ContinuityChecker::Verdict::duplicate) return {state.last_first, state.last_end};
  const std::span<const std::uint8_t> payload = view.payload;
  if (view.header.transport_scrambling_control != 0 || listed_in_pat[pid]) {
    state.in_media_data = false;
  } else if (view.header.payload_unit_start_indicator) {
    // 2.4.3.6: packet_start_code_prefix, stream_id, PES_packet_length, '10' flags, ...,
    // PES_header_data_length.
    state.in_media_data = payload.size() >= kPesFixedHeaderSize && payload[0] == 0 &&
                          payload[1] == 0 && payload[2] == 1 && carries_media(payload[3]) &&
                          (payload[6] & 0xC0) == 0x80;
    state.header_left = state.in_media_data ? kPesFixedHeaderSize + payload[8] : 0;
  } else if (is_error(verdict)) {
    state.in_media_data = false;  // lost packets: where the data stands is not known
  }
  Range range;
  if (state.in_media_data) {
    const std::size_t skip = std::min(state.header_left, payload.size());
    state.header_left -= skip;
    const auto payload_first = static_cast<std::size_t>(payload.data() - unit.data());
    range = Range{payload_first + skip, payload_first + payload.size()};
  }
  state.last_first = range.first;
  state.last_end = range.end;
  return range;
}

std::optional<std::size_t> Damager::State::outage_of(std::uint64_t offset) {
  if (report.outages.empty()) return std::nullopt;
  const std::int64_t time = timeline->time_27mhz(offset);
  if (time < 0) return std::nullopt;
  const auto t = static_cast<std::uint64_t>(time);
  for (std::size_t i = 0; i < report.outages.size(); ++i) {
    const Outage& outage = report.outages[i].outage;
    if (t >= outage.start_27mhz && t - outage.start_27mhz < outage.length_27mhz) return i;
  }
  return std::nullopt;
}

void Damager::State::send(std::span<const std::uint8_t> unit, const Range& flip_range,
                          std::uint64_t tei_draw, std::uint64_t flip_draw, std::uint64_t bit_draw,
                          mux::Bytes& out) {
  const std::size_t at = out.size();
  out.insert(out.end(), unit.begin(), unit.end());
  ++report.packets_out;
  if (unit[0] != mux::kTsSyncByte) return;  // unsynced: passed on as it came

  std::uint8_t* packet = out.data() + at;
  const auto pid = static_cast<std::uint16_t>(((packet[1] & 0x1F) << 8) | packet[2]);
  PidDamage& stats = report.per_pid[pid];
  ++stats.packets_out;
  if (report.options.tei.chosen(tei_draw) && (packet[1] & 0x80) == 0) {
    packet[1] |= 0x80;
    ++report.tei_packets;
    ++stats.tei;
  }
  if (report.options.flip.chosen(flip_draw)) {
    if (flip_range.empty()) {
      ++report.flip_chosen_not_eligible;
    } else {
      const std::uint64_t bit = scale_draw(bit_draw, (flip_range.end - flip_range.first) * 8);
      packet[flip_range.first + bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
      ++report.flipped_packets;
      ++stats.flipped;
    }
  }
  if (packet[1] & 0x80) {
    ++report.transport_error_packets_out;
    ++stats.transport_error_packets_out;
  }
  mux::TsPacketView view;
  if (mux::try_parse_ts_packet(std::span<const std::uint8_t>(packet, kTsPacketSize), view) !=
      mux::TsParseStatus::ok) {
    return;
  }
  const ContinuityChecker::Verdict verdict = output_checker.check(view);
  if (is_error(verdict)) {
    ++report.continuity_errors;
    ++stats.continuity_errors;
  }
  if (verdict == ContinuityChecker::Verdict::repeated_counter_error) {
    ++report.repeated_counter_errors;
    ++stats.repeated_counter_errors;
  }
}

Damager::Damager(const DamageOptions& options, Timeline* timeline)
    : state_(std::make_unique<State>(options, timeline)) {
  if (!options.outages.empty() && timeline == nullptr) {
    throw std::invalid_argument("Damager: outages need the stream's Timeline");
  }
}

Damager::~Damager() = default;

const DamageReport& Damager::report() const {
  return state_->report;
}

void Damager::push(std::span<const std::uint8_t> unit, mux::Bytes& out) {
  State& s = *state_;
  DamageReport& report = s.report;
  const std::uint64_t offset = s.byte_offset;
  s.byte_offset += unit.size();
  if (unit.size() != kTsPacketSize) {
    report.trailing_bytes += unit.size();
    out.insert(out.end(), unit.begin(), unit.end());
    return;
  }
  const std::uint64_t index = s.packet_index++;
  ++report.packets_in;
  // Always four draws, in this order (see damage.hpp).
  const std::uint64_t tei_draw = s.engine();
  const std::uint64_t drop_draw = s.engine();
  const std::uint64_t flip_draw = s.engine();
  const std::uint64_t bit_draw = s.engine();

  const bool synced = unit[0] == mux::kTsSyncByte;
  mux::TsPacketView view;
  const bool parsed = synced && mux::try_parse_ts_packet(unit, view) == mux::TsParseStatus::ok;
  PidDamage* stats = nullptr;
  State::Range flip_range;
  if (!synced) {
    ++report.unsynced_packets;
  } else {
    stats = &report.per_pid[static_cast<std::uint16_t>(((unit[1] & 0x1F) << 8) | unit[2])];
    ++stats->packets_in;
    if (!parsed) ++report.malformed_packets;
  }
  if (parsed) {
    const ContinuityChecker::Verdict verdict = s.input_checker.check(view);
    if (is_error(verdict)) {
      ++report.input_continuity_errors;
      ++stats->input_continuity_errors;
    }
    flip_range = s.track_input(unit, view, verdict);
  }

  if (const std::optional<std::size_t> outage = s.outage_of(offset)) {
    OutageDamage& window = report.outages[*outage];
    if (!window.first_packet) window.first_packet = index;
    ++window.packets;
    if (stats) ++stats->outage_removed;
    return;
  }
  if (synced && report.options.drop.chosen(drop_draw)) {
    ++report.dropped_packets;
    ++stats->dropped;
    return;
  }
  s.send(unit, flip_range, tei_draw, flip_draw, bit_draw, out);
}

// ---------------------------------------------------------------------------------------------
// Inputs

void check_transport_stream(mux::ByteView head, std::string_view input_name) {
  if (head.empty()) {
    throw InputError(
        fmt::format("{}: empty input: expected a 188-byte MPEG transport stream", input_name));
  }
  if (head.size() < kTsPacketSize) {
    throw InputError(
        fmt::format("{}: only {} bytes: shorter than one 188-byte transport stream packet",
                    input_name, head.size()));
  }
  if (head[0] != mux::kTsSyncByte) {
    throw InputError(fmt::format(
        "{}: not a 188-byte transport stream: byte 0 is 0x{:02X} where the sync byte 0x47 "
        "was expected",
        input_name, head[0]));
  }
  const std::size_t packets = std::min<std::size_t>(16, head.size() / kTsPacketSize);
  std::size_t synced = 0;
  for (std::size_t i = 0; i < packets; ++i) synced += head[i * kTsPacketSize] == mux::kTsSyncByte;
  if (synced * 2 < packets) {
    const bool looks_204 =
        head.size() >= 3 * 204 && head[204] == mux::kTsSyncByte && head[408] == mux::kTsSyncByte;
    throw InputError(fmt::format(
        "{}: not a 188-byte transport stream: only {} of the first {} packets start with the "
        "sync byte 0x47{}",
        input_name, synced, packets,
        looks_204 ? " (204-byte packets with Reed-Solomon bytes? strip them to 188 first)" : ""));
  }
}

DamageResult damage_bytes(mux::ByteView input, const DamageOptions& options,
                          std::string_view input_name) {
  check_transport_stream(input, input_name);
  auto units = [&](auto&& each) {
    for (std::size_t at = 0; at < input.size(); at += kTsPacketSize) {
      each(input.subspan(at, std::min(kTsPacketSize, input.size() - at)));
    }
  };
  Timeline timeline;
  if (!options.outages.empty()) {
    units([&](mux::ByteView unit) { timeline.push(unit); });
    timeline.finish(input_name);
  }
  Damager damager(options, options.outages.empty() ? nullptr : &timeline);
  DamageResult result;
  result.output.reserve(input.size());
  units([&](mux::ByteView unit) { damager.push(unit, result.output); });
  result.report = damager.report();
  result.report.pcr_pid = options.outages.empty() ? std::nullopt : timeline.pcr_pid();
  return result;
}

namespace {

struct FileCloser {
  void operator()(std::FILE* file) const {
    if (file != stdin && file != stdout) std::fclose(file);
  }
};
using File = std::unique_ptr<std::FILE, FileCloser>;

constexpr std::size_t kChunkPackets = 4096;

// Reads up to `buffer.size()` bytes; fewer only at the end of the input.
std::size_t read_chunk(std::FILE* file, std::span<std::uint8_t> buffer, const std::string& name) {
  const std::size_t got = std::fread(buffer.data(), 1, buffer.size(), file);
  if (got < buffer.size() && std::ferror(file)) {
    throw InputError(fmt::format("{}: read error: {}", name, std::strerror(errno)));
  }
  return got;
}

// Removes OUT unless disarmed: a half-written file must not pass for a damaged stream.
struct PartialOutput {
  std::string path;
  bool armed = true;
  ~PartialOutput() {
    if (armed && !path.empty()) {
      std::error_code ignored;
      std::filesystem::remove(path, ignored);
    }
  }
};

}  // namespace

DamageReport damage_file(const std::string& in, const std::string& out,
                         const DamageOptions& options) {
  if (in == "-" && !options.outages.empty()) {
    throw UsageError(
        "--outage: IN must be a file, not '-': the stream time takes a first pass over the input");
  }
  std::error_code ec;
  if (in != "-" && out != "-" && std::filesystem::equivalent(in, out, ec)) {
    throw UsageError(fmt::format("OUT '{}' is the input file: it would be overwritten", out));
  }
  const std::string in_name = in == "-" ? "stdin" : in;
  const std::string out_name = out == "-" ? "stdout" : out;
  File input(in == "-" ? stdin : std::fopen(in.c_str(), "rb"));
  if (!input) throw InputError(fmt::format("{}: cannot open: {}", in_name, std::strerror(errno)));

  std::vector<std::uint8_t> buffer(kChunkPackets * kTsPacketSize);
  std::size_t size = read_chunk(input.get(), buffer, in_name);
  check_transport_stream(std::span(buffer.data(), size), in_name);

  Timeline timeline;
  if (!options.outages.empty()) {
    while (size > 0) {
      for (std::size_t at = 0; at < size; at += kTsPacketSize) {
        timeline.push(std::span(buffer.data() + at, std::min(kTsPacketSize, size - at)));
      }
      size = read_chunk(input.get(), buffer, in_name);
    }
    timeline.finish(in_name);
    if (std::fseek(input.get(), 0, SEEK_SET) != 0) {
      throw InputError(
          fmt::format("{}: cannot go back for the second pass: {}", in_name, std::strerror(errno)));
    }
    size = read_chunk(input.get(), buffer, in_name);
  }

  PartialOutput partial{out == "-" ? std::string() : out};
  File output(out == "-" ? stdout : std::fopen(out.c_str(), "wb"));
  if (!output) {
    partial.armed = false;
    throw InputError(fmt::format("{}: cannot create: {}", out_name, std::strerror(errno)));
  }
  Damager damager(options, options.outages.empty() ? nullptr : &timeline);
  mux::Bytes sent;
  sent.reserve(buffer.size());
  while (size > 0) {
    sent.clear();
    for (std::size_t at = 0; at < size; at += kTsPacketSize) {
      damager.push(std::span(buffer.data() + at, std::min(kTsPacketSize, size - at)), sent);
    }
    if (std::fwrite(sent.data(), 1, sent.size(), output.get()) != sent.size()) {
      throw InputError(fmt::format("{}: write error: {}", out_name, std::strerror(errno)));
    }
    size = read_chunk(input.get(), buffer, in_name);
  }
  if (std::fflush(output.get()) != 0) {
    throw InputError(fmt::format("{}: write error: {}", out_name, std::strerror(errno)));
  }
  if (out != "-" && std::fclose(output.release()) != 0) {
    throw InputError(fmt::format("{}: write error on close: {}", out_name, std::strerror(errno)));
  }
  partial.armed = false;
  DamageReport report = damager.report();
  report.pcr_pid = options.outages.empty() ? std::nullopt : timeline.pcr_pid();
  return report;
}

// ---------------------------------------------------------------------------------------------
// Report

nlohmann::json to_json(const DamageReport& report) {
  using nlohmann::json;
  json outages = json::array();
  std::uint64_t outage_packets = 0;
  for (const OutageDamage& window : report.outages) {
    outages.push_back({{"start_s", seconds(window.outage.start_27mhz)},
                       {"length_s", seconds(window.outage.length_27mhz)},
                       {"first_packet", window.first_packet ? json(*window.first_packet) : json()},
                       {"packets", window.packets}});
    outage_packets += window.packets;
  }
  json per_pid = json::object();
  json tei_by_pid = json::object();
  for (const auto& [pid, d] : report.per_pid) {
    per_pid[std::to_string(pid)] = {{"packets_in", d.packets_in},
                                    {"packets_out", d.packets_out},
                                    {"tei", d.tei},
                                    {"dropped", d.dropped},
                                    {"flipped", d.flipped},
                                    {"outage_removed", d.outage_removed},
                                    {"continuity_errors", d.continuity_errors},
                                    {"repeated_counter_errors", d.repeated_counter_errors},
                                    {"input_continuity_errors", d.input_continuity_errors},
                                    {"transport_error_packets_out", d.transport_error_packets_out}};
    if (d.tei != 0) tei_by_pid[std::to_string(pid)] = d.tei;
  }
  const DamageOptions& o = report.options;
  return json{{"seed", o.seed},
              {"options",
               {{"tei_percent", o.tei.percent()},
                {"drop_percent", o.drop.percent()},
                {"flip_percent", o.flip.percent()}}},
              {"packets_in", report.packets_in},
              {"packets_out", report.packets_out},
              {"unsynced_packets", report.unsynced_packets},
              {"malformed_packets", report.malformed_packets},
              {"trailing_bytes", report.trailing_bytes},
              {"tei_packets", report.tei_packets},
              {"dropped_packets", report.dropped_packets},
              {"flipped_packets", report.flipped_packets},
              {"flip_chosen_not_eligible", report.flip_chosen_not_eligible},
              {"outage_packets", outage_packets},
              {"transport_error_packets_out", report.transport_error_packets_out},
              {"continuity_errors", report.continuity_errors},
              {"repeated_counter_errors", report.repeated_counter_errors},
              {"input_continuity_errors", report.input_continuity_errors},
              {"pcr_pid", report.pcr_pid ? json(*report.pcr_pid) : json()},
              {"outages", outages},
              {"per_pid", per_pid},
              {"tei_packets_by_pid", tei_by_pid}};
}

std::string summary_line(const DamageReport& report) {
  std::uint64_t outage_packets = 0;
  for (const OutageDamage& window : report.outages) outage_packets += window.packets;
  std::string line = fmt::format(
      "seed {}: {} packets in, {} out; TEI {}, dropped {}, flipped {}, outages {} ({} packets); "
      "continuity errors {} (repeated counter {}), transport errors out {}",
      report.options.seed, report.packets_in, report.packets_out, report.tei_packets,
      report.dropped_packets, report.flipped_packets, report.outages.size(), outage_packets,
      report.continuity_errors, report.repeated_counter_errors, report.transport_error_packets_out);
  if (report.input_continuity_errors != 0) {
    line += fmt::format("; input already had {} continuity errors", report.input_continuity_errors);
  }
  if (report.unsynced_packets != 0) {
    line += fmt::format("; {} unsynced packets passed on as they came", report.unsynced_packets);
  }
  if (report.malformed_packets != 0) {
    line += fmt::format("; {} malformed packets (not checked, never flipped)",
                        report.malformed_packets);
  }
  if (report.trailing_bytes != 0) {
    line += fmt::format("; {} trailing bytes copied", report.trailing_bytes);
  }
  return line;
}

}  // namespace skyclass::tsdamage

#pragma once
// Reads a transport stream back with the project's own decoders (mux/ts_packet.hpp packet reader,
// SectionAssembler, the table types) and measures what the DVB profile promises: continuity,
// every PSI/SI section with the packets it occupied, and every PCR with its packet. Shared by the
// headend unit tests and the remux integration test.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <deque>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "mux/pcr.hpp"
#include "mux/section.hpp"
#include "mux/tables/eit.hpp"
#include "mux/tables/nit.hpp"
#include "mux/tables/pat.hpp"
#include "mux/tables/pmt.hpp"
#include "mux/tables/sdt.hpp"
#include "mux/tables/tdt.hpp"
#include "mux/tables/tot.hpp"
#include "mux/ts_packet.hpp"

namespace skyclass::headend::test {

using mux::Bytes;

inline Bytes read_file_bytes(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  return Bytes(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

struct SectionRecord {
  std::uint16_t pid = 0;
  std::uint64_t first_packet = 0;  // packet holding the section's first byte
  std::uint64_t last_packet = 0;   // packet holding its last byte
  Bytes bytes;

  std::uint8_t table_id() const { return bytes.at(0); }
  bool long_syntax() const { return (bytes.at(1) & 0x80) != 0; }
  // Sub-table key of EN 300 468 5.1.4: table_id_extension of long sections, 0 for short ones.
  std::uint16_t table_id_extension() const {
    return long_syntax() ? static_cast<std::uint16_t>(bytes.at(3) << 8 | bytes.at(4)) : 0;
  }
  std::uint8_t section_number() const { return long_syntax() ? bytes.at(6) : 0; }
};

struct PcrRecord {
  std::uint64_t packet = 0;
  std::uint64_t pcr_27mhz = 0;  // as carried (wrapped)
};

struct TsProbe {
  std::uint64_t packets = 0;
  std::map<std::uint16_t, std::uint64_t> packets_per_pid;
  std::map<std::uint16_t, std::uint64_t> pusi_per_pid;
  std::vector<SectionRecord> sections;  // on the given PSI/SI PIDs, in order of completion
  std::vector<PcrRecord> pcrs;          // on the PCR PID
  std::vector<std::string> errors;      // parse, continuity, pointer_field, dropped sections
};

// `si_pids`: the PIDs whose payload is sections. Each section must start a packet
// (pointer_field 0), which is how the mux writes them; anything else is reported as an error so
// that the first/last packet bookkeeping stays exact.
inline TsProbe probe_ts(std::span<const std::uint8_t> ts, const std::set<std::uint16_t>& si_pids,
                        std::uint16_t pcr_pid) {
  TsProbe probe;
  if (ts.size() % mux::kTsPacketSize != 0) probe.errors.push_back("size is not a multiple of 188");
  std::map<std::uint16_t, int> last_cc;
  std::map<std::uint16_t, mux::SectionAssembler> assemblers;
  std::map<std::uint16_t, std::deque<std::uint64_t>> starts;
  for (std::uint64_t k = 0; (k + 1) * mux::kTsPacketSize <= ts.size(); ++k) {
    mux::TsPacketView p;
    const auto status =
        mux::try_parse_ts_packet(ts.subspan(k * mux::kTsPacketSize, mux::kTsPacketSize), p);
    if (status != mux::TsParseStatus::ok) {
      probe.errors.push_back(fmt::format("packet {}: {}", k, mux::to_string(status)));
      continue;
    }
    ++probe.packets;
    const std::uint16_t pid = p.header.pid;
    ++probe.packets_per_pid[pid];
    if (p.header.payload_unit_start_indicator) ++probe.pusi_per_pid[pid];
    if (p.adaptation_field && p.adaptation_field->discontinuity_indicator) {
      probe.errors.push_back(
          fmt::format("packet {} PID 0x{:04X}: discontinuity_indicator", k, pid));
    }
    if (pid == pcr_pid && p.adaptation_field && p.adaptation_field->pcr) {
      probe.pcrs.push_back({k, p.adaptation_field->pcr->to_27mhz()});
    }
    if (pid == mux::kNullPid) continue;
    bool continuity_ok = true;
    if (auto it = last_cc.find(pid); it != last_cc.end()) {
      const int expected = p.has_payload ? (it->second + 1) & 0xF : it->second;
      if (p.header.continuity_counter != expected) {
        continuity_ok = false;
        probe.errors.push_back(fmt::format("packet {} PID 0x{:04X}: continuity_counter {} after {}",
                                           k, pid, p.header.continuity_counter, it->second));
      }
    }
    last_cc[pid] = p.header.continuity_counter;
    if (!si_pids.count(pid) || !p.has_payload) continue;
    if (p.header.payload_unit_start_indicator) {
      if (p.payload.empty() || p.payload[0] != 0) {
        probe.errors.push_back(
            fmt::format("packet {} PID 0x{:04X}: pointer_field is not 0", k, pid));
      }
      starts[pid].push_back(k);
    }
    auto& assembler = assemblers[pid];
    assembler.push(p.header.payload_unit_start_indicator, continuity_ok, p.payload);
    for (Bytes& section : assembler.take_sections()) {
      if (starts[pid].empty()) {
        probe.errors.push_back(
            fmt::format("packet {} PID 0x{:04X}: section without a start", k, pid));
        continue;
      }
      probe.sections.push_back({pid, starts[pid].front(), k, std::move(section)});
      starts[pid].pop_front();
    }
  }
  for (const auto& [pid, assembler] : assemblers) {
    if (assembler.dropped_sections() > 0) {
      probe.errors.push_back(
          fmt::format("PID 0x{:04X}: {} sections dropped", pid, assembler.dropped_sections()));
    }
  }
  return probe;
}

// Seconds from the start of the multiplex to the first byte of packet `k` at `muxrate_bps`.
inline double packet_time_s(std::uint64_t k, std::uint64_t muxrate_bps) {
  return static_cast<double>(k) * 188.0 * 8.0 / static_cast<double>(muxrate_bps);
}

// The sections of one table, selected by PID and table_id.
inline std::vector<const SectionRecord*> sections_of(const TsProbe& probe, std::uint16_t pid,
                                                     std::uint8_t table_id) {
  std::vector<const SectionRecord*> out;
  for (const auto& s : probe.sections)
    if (s.pid == pid && s.table_id() == table_id) out.push_back(&s);
  return out;
}

struct RepetitionFigures {
  std::size_t sections = 0;
  double first_s = 0;         // when the last section to appear for the first time started
  double max_interval_s = 0;  // longest start-to-start between repetitions of one section
  double min_gap_s = 1e9;     // shortest last-byte-to-first-byte between sections of one sub-table
  // Version changes: the longest time from the first section of a new version to the first copy
  // of every section number it has, and the longest gap of one section number across a change
  // (old copy to new copy; a receiver keeps the old copy until it sees the new version).
  int version_changes = 0;
  double max_version_completion_s = 0;
  double max_cross_version_gap_s = 0;
};

// Repetition of one table. A section is identified by table_id_extension, section_number and
// version_number (short sections: by table alone): its repetition interval runs from one first
// byte to the next, and its first appearance counts from the start of the stream. The 25 ms rule
// of EN 300 468 5.1.4 is measured between consecutive sections of the same sub-table (table_id
// and table_id_extension), from the last byte of one to the first byte of the next.
inline RepetitionFigures repetition_of(const std::vector<const SectionRecord*>& sections,
                                       std::uint64_t muxrate_bps) {
  RepetitionFigures f;
  f.sections = sections.size();
  using Number = std::pair<std::uint16_t, std::uint8_t>;  // table_id_extension, section_number
  std::map<std::pair<Number, int>, double> last_start;    // by number and version
  std::map<Number, std::pair<int, double>> last_any;      // number -> version, start
  std::map<int, std::pair<double, double>> version_span;  // version -> first start, last new
  std::map<std::uint16_t, double> last_end;
  int first_version = -1;
  for (const SectionRecord* s : sections) {
    const double start = packet_time_s(s->first_packet, muxrate_bps);
    const double end = packet_time_s(s->last_packet + 1, muxrate_bps);
    const int version = s->long_syntax() ? (s->bytes.at(5) >> 1) & 0x1F : 0;
    const Number number{s->table_id_extension(), s->section_number()};
    if (first_version < 0) first_version = version;
    if (auto it = last_start.find({number, version}); it != last_start.end()) {
      f.max_interval_s = std::max(f.max_interval_s, start - it->second);
    } else {
      if (version == first_version) {
        f.first_s = std::max(f.first_s, start);
        f.max_interval_s = std::max(f.max_interval_s, start);
      }
      auto [span, fresh] = version_span.try_emplace(version, start, start);
      span->second.second = start;
      if (auto old = last_any.find(number); old != last_any.end() && old->second.first != version) {
        f.max_cross_version_gap_s = std::max(f.max_cross_version_gap_s, start - old->second.second);
      }
    }
    last_start[{number, version}] = start;
    last_any[number] = {version, start};
    if (auto it = last_end.find(s->table_id_extension()); it != last_end.end()) {
      f.min_gap_s = std::min(f.min_gap_s, start - it->second);
    }
    last_end[s->table_id_extension()] = end;
  }
  for (const auto& [version, span] : version_span) {
    if (version == first_version) continue;
    ++f.version_changes;
    f.max_version_completion_s = std::max(f.max_version_completion_s, span.second - span.first);
  }
  return f;
}

struct PcrFigures {
  std::size_t count = 0;
  double max_interval_ms = 0;
  double max_deviation_ns = 0;  // from the least-squares line through (byte, PCR)
  double rate_bps = 0;          // 188 x 8 x packets / span from the first to the last PCR
};

// PCR interval (by PCR value), accuracy against a straight line through (byte position of the
// PCR base's last byte, PCR), and the overall rate those PCRs imply.
inline PcrFigures pcr_figures(const std::vector<PcrRecord>& pcrs) {
  PcrFigures f;
  f.count = pcrs.size();
  if (pcrs.size() < 2) return f;
  std::vector<long double> x, y;
  std::uint64_t unwrapped = pcrs[0].pcr_27mhz;
  for (std::size_t i = 0; i < pcrs.size(); ++i) {
    if (i > 0) {
      const std::uint64_t step = mux::pcr_distance_27mhz(pcrs[i - 1].pcr_27mhz, pcrs[i].pcr_27mhz);
      f.max_interval_ms = std::max(f.max_interval_ms, static_cast<double>(step) / 27'000.0);
      unwrapped += step;
    }
    x.push_back(static_cast<long double>(pcrs[i].packet * mux::kTsPacketSize +
                                         mux::kPcrBaseLastByteOffset));
    y.push_back(static_cast<long double>(unwrapped));
  }
  const long double n = static_cast<long double>(x.size());
  long double mx = 0, my = 0;
  for (std::size_t i = 0; i < x.size(); ++i) mx += x[i], my += y[i];
  mx /= n;
  my /= n;
  long double sxy = 0, sxx = 0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) * (x[i] - mx);
  }
  const long double slope = sxy / sxx;  // 27 MHz ticks per byte
  for (std::size_t i = 0; i < x.size(); ++i) {
    const long double residual = y[i] - (my + slope * (x[i] - mx));
    f.max_deviation_ns =
        std::max(f.max_deviation_ns, static_cast<double>(std::fabs(residual) * 1e9L / 27e6L));
  }
  const long double packets = static_cast<long double>(pcrs.back().packet - pcrs.front().packet);
  const long double span_s = (y.back() - y.front()) / 27e6L;
  f.rate_bps = static_cast<double>(188.0L * 8.0L * packets / span_s);
  return f;
}

}  // namespace skyclass::headend::test

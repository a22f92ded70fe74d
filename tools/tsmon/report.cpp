#include "tools/tsmon/report.hpp"

#include <ctime>

#include <fmt/format.h>

namespace skyclass::tsmon {

namespace {

using nlohmann::json;

json event_summary_json(const EventSummary& e, std::optional<int> offset_minutes) {
  json j{{"event_id", e.event_id},
         {"start_utc", format_utc(e.start_utc_s)},
         {"duration_s", e.duration_s},
         {"title", e.title},
         {"running_status", e.running_status}};
  if (offset_minutes) j["start_local"] = format_utc(e.start_utc_s, *offset_minutes);
  return j;
}

std::string mbps(std::uint64_t bps) { return fmt::format("{:.3f}", static_cast<double>(bps) / 1e6); }

}  // namespace

std::string format_utc(std::int64_t utc_s, int offset_minutes) {
  const std::time_t t = static_cast<std::time_t>(utc_s + std::int64_t{offset_minutes} * 60);
  std::tm tm{};
  gmtime_r(&t, &tm);
  return fmt::format("{:04}-{:02}-{:02} {:02}:{:02}:{:02}", tm.tm_year + 1900, tm.tm_mon + 1,
                     tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

json counts_json(const IndicatorCounts& counts) {
  json j = json::object();
  for (std::size_t i = 0; i < kIndicatorCount; ++i) {
    j[std::string(indicator_id(static_cast<Indicator>(i)))] = counts[i];
  }
  return j;
}

json link_json(const LinkStats& link) {
  return json{{"connected", link.connected},
              {"peer", link.peer},
              {"rtt_ms", link.rtt_ms},
              {"receive_rate_mbps", link.receive_rate_mbps},
              {"packets_received", link.packets_received},
              {"packets_lost", link.packets_lost},
              {"packets_retransmitted", link.packets_retransmitted},
              {"packets_dropped", link.packets_dropped},
              {"receive_buffer_ms", link.receive_buffer_ms},
              {"receive_buffer_bytes", link.receive_buffer_bytes}};
}

json event_json(const Event& e) {
  json j{{"id", indicator_id(e.indicator)},
         {"name", indicator_name(e.indicator)},
         {"offset", e.byte_offset},
         {"detail", e.detail}};
  j["time_s"] = e.time_ns ? json(static_cast<double>(*e.time_ns) / 1e9) : json(nullptr);
  j["pid"] = e.pid == kNoPid ? json(nullptr) : json(e.pid);
  return j;
}

json summary_json(const Analyzer& analyzer, const ReportContext& context) {
  const Figures f = analyzer.figures();
  json j;
  j["input"] = {{"spec", context.input},
                {"live", context.live},
                {"packet_size", f.input.packet_size},
                {"bytes", f.input.bytes},
                {"packets", f.input.packets},
                {"resyncs", f.input.resyncs},
                {"skipped_bytes", f.input.skipped_bytes},
                {"truncated_tail_bytes", f.input.truncated_tail_bytes},
                {"timing", context.live ? "arrival" : f.input.timing_from_pcr ? "pcr" : "none"},
                {"statements", f.input.statements}};
  j["duration_s"] = f.duration_ns ? json(static_cast<double>(*f.duration_ns) / 1e9) : json(nullptr);
  j["bitrate_bps"] = f.bitrate_bps;
  j["null_share"] = f.null_share;
  j["tr101290"] = counts_json(analyzer.counts());
  j["priorities"] = {{"1", analyzer.fired(1)}, {"2", analyzer.fired(2)}, {"3", analyzer.fired(3)}};
  json pids = json::array();
  for (const PidFigures& p : f.pids) {
    json e{{"pid", p.pid},
           {"kind", p.kind},
           {"packets", p.packets},
           {"bitrate_bps", {{"min", p.bitrate_min_bps}, {"mean", p.bitrate_mean_bps}, {"max", p.bitrate_max_bps}}},
           {"continuity_errors", p.continuity_errors},
           {"transport_errors", p.transport_errors},
           {"scrambled_packets", p.scrambled_packets},
           {"adaptation_only_packets", p.adaptation_only_packets},
           {"pcrs", p.pcr_count}};
    e["service_id"] = p.service_id ? json(*p.service_id) : json(nullptr);
    e["stream_type"] = p.stream_type ? json(*p.stream_type) : json(nullptr);
    e["pes_stream_id"] = p.pes_stream_id ? json(*p.pes_stream_id) : json(nullptr);
    pids.push_back(std::move(e));
  }
  j["pids"] = std::move(pids);
  json pcr = json::array();
  for (const PcrFigures& p : f.pcrs) {
    pcr.push_back({{"pid", p.pid},
                   {"count", p.count},
                   {"interval_ms", {{"min", p.interval_min_ms}, {"mean", p.interval_mean_ms}, {"max", p.interval_max_ms}}},
                   {"accuracy_ns", {{"min", p.accuracy_min_ns}, {"max", p.accuracy_max_ns}, {"rms", p.accuracy_rms_ns}}},
                   {"measured_rate_bps", p.measured_rate_bps}});
  }
  j["pcr"] = std::move(pcr);
  json services = json::array();
  for (const ServiceFigures& s : f.services) {
    json e{{"service_id", s.service_id},
           {"name", s.name},
           {"provider", s.provider},
           {"type", s.service_type},
           {"pmt_pid", s.pmt_pid},
           {"pcr_pid", s.pcr_pid},
           {"es_pids", s.es_pids},
           {"eit_schedule_events", s.eit_schedule_events}};
    e["present"] = s.present ? event_summary_json(*s.present, f.clock.local_offset_minutes) : json(nullptr);
    e["following"] = s.following ? event_summary_json(*s.following, f.clock.local_offset_minutes) : json(nullptr);
    services.push_back(std::move(e));
  }
  j["services"] = std::move(services);
  j["network"] = {{"name", f.network_name}, {"transport_stream_id", f.transport_stream_id}};
  json clock = json::object();
  clock["tdt_utc"] = f.clock.tdt_utc_s ? json(format_utc(*f.clock.tdt_utc_s)) : json(nullptr);
  clock["tot_utc"] = f.clock.tot_utc_s ? json(format_utc(*f.clock.tot_utc_s)) : json(nullptr);
  clock["local_offset_minutes"] = f.clock.local_offset_minutes ? json(*f.clock.local_offset_minutes) : json(nullptr);
  clock["country"] = f.clock.country;
  clock["tdt_minus_local_clock_ms"] =
      f.clock.tdt_minus_local_clock_ms ? json(*f.clock.tdt_minus_local_clock_ms) : json(nullptr);
  j["clock"] = std::move(clock);
  if (context.link) j["link"] = link_json(*context.link);
  json events = json::array();
  for (const Event& e : analyzer.events()) events.push_back(event_json(e));
  j["events"] = std::move(events);
  j["events_dropped"] = analyzer.events_dropped();
  return j;
}

json interval_json(const IntervalReport& interval, const ReportContext& context) {
  json j{{"start_s", static_cast<double>(interval.start_ns) / 1e9},
         {"end_s", static_cast<double>(interval.end_ns) / 1e9},
         {"bitrate_bps", interval.bitrate_bps},
         {"tr101290", counts_json(interval.counts)},
         {"totals", counts_json(interval.totals)}};
  json pids = json::object();
  for (const auto& [pid, bps] : interval.pid_bitrates_bps) pids[std::to_string(pid)] = bps;
  j["pid_bitrate_bps"] = std::move(pids);
  j["active_alarms"] = interval.active_alarms;
  if (context.link) j["link"] = link_json(*context.link);
  return j;
}

std::string text_summary(const Analyzer& analyzer, const ReportContext& context) {
  const Figures f = analyzer.figures();
  std::string out;
  auto line = [&out](std::string_view text) {
    out += text;
    out += '\n';
  };
  line(fmt::format("input      {}  ({} bytes, {} packets of {} bytes)", context.input, f.input.bytes,
                   f.input.packets, f.input.packet_size));
  for (const std::string& s : f.input.statements) line(fmt::format("           {}", s));
  if (f.duration_ns) {
    line(fmt::format("stream     {:.3f} s at {} Mbit/s, null packets {:.1f} %",
                     static_cast<double>(*f.duration_ns) / 1e9, mbps(f.bitrate_bps), f.null_share * 100));
  }
  line("");
  line("TR 101 290");
  const IndicatorCounts& counts = analyzer.counts();
  for (std::size_t i = 0; i < kIndicatorCount; ++i) {
    const auto indicator = static_cast<Indicator>(i);
    line(fmt::format("  {:<5} {:<34} {:>10}", indicator_id(indicator), indicator_name(indicator), counts[i]));
  }
  line("");
  line("  PID     kind               service  Mbit/s mean (min-max)       packets  CC err  TEI");
  for (const PidFigures& p : f.pids) {
    line(fmt::format("  0x{:04X}  {:<18} {:>7}  {:>7} ({}-{})  {:>12}  {:>6}  {:>4}", p.pid, p.kind,
                     p.service_id ? fmt::format("{}", *p.service_id) : "-", mbps(p.bitrate_mean_bps),
                     mbps(p.bitrate_min_bps), mbps(p.bitrate_max_bps), p.packets, p.continuity_errors,
                     p.transport_errors));
  }
  for (const PcrFigures& p : f.pcrs) {
    line(fmt::format("  PCR 0x{:04X}: {} PCRs, interval {:.1f}/{:.1f}/{:.1f} ms (min/mean/max), "
                     "accuracy {:+.0f}..{:+.0f} ns (rms {:.0f}), measured rate {} bit/s",
                     p.pid, p.count, p.interval_min_ms, p.interval_mean_ms, p.interval_max_ms,
                     p.accuracy_min_ns, p.accuracy_max_ns, p.accuracy_rms_ns, p.measured_rate_bps));
  }
  line("");
  if (!f.network_name.empty()) line(fmt::format("network    {} (transport_stream_id {})", f.network_name, f.transport_stream_id));
  const int offset = f.clock.local_offset_minutes.value_or(0);
  for (const ServiceFigures& s : f.services) {
    line(fmt::format("service    {} \"{}\" ({}), PMT 0x{:04X}, PCR 0x{:04X}", s.service_id, s.name,
                     s.provider, s.pmt_pid, s.pcr_pid));
    if (s.present) line(fmt::format("  now      {} {}", format_utc(s.present->start_utc_s, offset), s.present->title));
    if (s.following) line(fmt::format("  next     {} {}", format_utc(s.following->start_utc_s, offset), s.following->title));
  }
  if (f.clock.tdt_utc_s) line(fmt::format("TDT        {} UTC", format_utc(*f.clock.tdt_utc_s)));
  if (f.clock.tot_utc_s) {
    line(fmt::format("TOT        {} UTC, local offset {:+} min ({})", format_utc(*f.clock.tot_utc_s),
                     f.clock.local_offset_minutes.value_or(0), f.clock.country));
  }
  if (context.link) {
    const LinkStats& l = *context.link;
    line(fmt::format("SRT link   {}, RTT {:.1f} ms, {:.2f} Mbit/s, lost {}, retransmitted {}, dropped {}, "
                     "buffer {} ms", l.connected ? "connected" : "down", l.rtt_ms, l.receive_rate_mbps,
                     l.packets_lost, l.packets_retransmitted, l.packets_dropped, l.receive_buffer_ms));
  }
  return out;
}

std::string LiveView::render(const Analyzer& analyzer, const ReportContext& context) const {
  const Figures f = analyzer.figures();
  const char* red = colour_ ? "\x1b[1;31m" : "";
  const char* yellow = colour_ ? "\x1b[33m" : "";
  const char* green = colour_ ? "\x1b[32m" : "";
  const char* bold = colour_ ? "\x1b[1m" : "";
  const char* reset = colour_ ? "\x1b[0m" : "";
  std::string out = "\x1b[H\x1b[2J";  // home, clear: redraw in place
  out += fmt::format("{}skyclass-tsmon{}  {}  stream {:.1f} s  {} Mbit/s  null {:.1f} %\n", bold, reset,
                     context.input, f.duration_ns ? static_cast<double>(*f.duration_ns) / 1e9 : 0.0,
                     mbps(last_ ? last_->bitrate_bps : f.bitrate_bps), f.null_share * 100);
  const IndicatorCounts& totals = analyzer.counts();
  for (int priority = 1; priority <= 3; ++priority) {
    out += fmt::format("{}P{}{} ", bold, priority, reset);
    for (std::size_t i = 0; i < kIndicatorCount; ++i) {
      const auto indicator = static_cast<Indicator>(i);
      if (indicator_priority(indicator) != priority) continue;
      const bool now = last_ && last_->counts[i] > 0;
      const char* colour = now ? red : totals[i] > 0 ? yellow : green;
      out += fmt::format(" {}{} {}{}", colour, indicator_id(indicator), totals[i], reset);
    }
    out += '\n';
  }
  if (last_) {
    for (const std::string& alarm : last_->active_alarms) out += fmt::format("{}ALARM {}{}\n", red, alarm, reset);
  }
  out += fmt::format("\n{}  PID    kind               svc   Mbit/s  min-max         CC err  TEI{}\n", bold, reset);
  for (const PidFigures& p : f.pids) {
    std::uint64_t now_bps = p.bitrate_mean_bps;
    if (last_) {
      for (const auto& [pid, bps] : last_->pid_bitrates_bps) {
        if (pid == p.pid) now_bps = bps;
      }
    }
    const char* colour = p.continuity_errors || p.transport_errors ? yellow : "";
    out += fmt::format("{}  0x{:04X} {:<18} {:>5} {:>7}  {}-{}  {:>6} {:>4}{}\n", colour, p.pid, p.kind,
                       p.service_id ? fmt::format("{}", *p.service_id) : "-", mbps(now_bps),
                       mbps(p.bitrate_min_bps), mbps(p.bitrate_max_bps), p.continuity_errors,
                       p.transport_errors, colour[0] ? reset : "");
  }
  const int offset = f.clock.local_offset_minutes.value_or(0);
  out += '\n';
  for (const ServiceFigures& s : f.services) {
    out += fmt::format("{}{} {}{} ({})\n", bold, s.service_id, s.name, reset, s.provider);
    if (s.present) out += fmt::format("  now  {}  {}\n", format_utc(s.present->start_utc_s, offset).substr(11, 5), s.present->title);
    if (s.following) out += fmt::format("  next {}  {}\n", format_utc(s.following->start_utc_s, offset).substr(11, 5), s.following->title);
  }
  if (f.clock.tdt_utc_s) {
    out += fmt::format("TDT {} UTC", format_utc(*f.clock.tdt_utc_s));
    if (f.clock.tdt_minus_local_clock_ms) out += fmt::format(" ({:+} ms against this machine)", *f.clock.tdt_minus_local_clock_ms);
    out += '\n';
  }
  if (f.clock.tot_utc_s) {
    out += fmt::format("TOT {} UTC, local {} ({:+} min, {})\n", format_utc(*f.clock.tot_utc_s),
                       format_utc(*f.clock.tot_utc_s, offset), offset, f.clock.country);
  }
  if (context.link) {
    const LinkStats& l = *context.link;
    out += fmt::format("SRT {} {}  RTT {:.1f} ms  {:.2f} Mbit/s  lost {}  retrans {}  dropped {}  buffer {} ms\n",
                       l.connected ? "connected" : "DOWN", l.peer, l.rtt_ms, l.receive_rate_mbps,
                       l.packets_lost, l.packets_retransmitted, l.packets_dropped, l.receive_buffer_ms);
  }
  return out;
}

}  // namespace skyclass::tsmon

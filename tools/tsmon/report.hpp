#pragma once
// What skyclass-tsmon prints: the JSON summary (--json), one JSON object per interval
// (--json-lines), a plain-text summary, and the live terminal view.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "tools/tsmon/analyzer.hpp"
#include "tools/tsmon/input.hpp"

namespace skyclass::tsmon {

struct ReportContext {
  std::string input;  // the input as described (no secrets)
  bool live = false;
  std::optional<LinkStats> link;
};

nlohmann::json counts_json(const IndicatorCounts& counts);
nlohmann::json link_json(const LinkStats& link);
nlohmann::json event_json(const Event& event);
// The whole summary: tr101290, pids, services, pcr, bitrate_bps, input, clock, events.
nlohmann::json summary_json(const Analyzer& analyzer, const ReportContext& context);
// One interval for --json-lines.
nlohmann::json interval_json(const IntervalReport& interval, const ReportContext& context);

std::string text_summary(const Analyzer& analyzer, const ReportContext& context);

// The live view: one screen, redrawn in place (ANSI), with alarms in colour.
class LiveView {
 public:
  explicit LiveView(bool colour) : colour_(colour) {}
  // Remembers the indicators that fired in the last interval, to highlight them.
  void interval(const IntervalReport& interval) { last_ = interval; }
  std::string render(const Analyzer& analyzer, const ReportContext& context) const;

 private:
  bool colour_;
  std::optional<IntervalReport> last_;
};

// "2026-02-17 08:00:00" in UTC shifted by `offset_minutes`.
std::string format_utc(std::int64_t utc_s, int offset_minutes = 0);

}  // namespace skyclass::tsmon

#include "headend/asrun.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "scheduler/civil_time.hpp"

namespace skyclass::headend {

std::string_view to_string(Outcome outcome) {
  switch (outcome) {
    case Outcome::played: return "played";
    case Outcome::cut: return "cut";
    case Outcome::slate: return "slate";
    case Outcome::live: return "live";
    case Outcome::fallback: return "fallback";
  }
  return "played";
}

void to_json(nlohmann::json& j, const AsRunEntry& e) {
  j = nlohmann::json{{"scheduled_utc", scheduler::format_iso_utc(e.scheduled_utc_ms)},
                     {"actual_utc", scheduler::format_iso_utc(e.actual_utc_ms)},
                     {"duration_ms", e.duration_ms},
                     {"kind", e.kind},
                     {"title", e.title},
                     {"media", e.media},
                     {"event_id", e.event_id},
                     {"outcome", to_string(e.outcome)},
                     {"reason", e.reason},
                     {"hard_start", e.hard_start},
                     {"first_pts_90k", e.first_pts_90k},
                     {"media_in_ms", e.media_in_ms},
                     {"frames", e.frames}};
}

AsRunLog::AsRunLog(const std::filesystem::path& file) : file_(file) {
  if (file.empty()) return;
  out_ = std::fopen(file.c_str(), "a");
  if (!out_) {
    throw std::runtime_error(
        fmt::format("{}: cannot open the as-run log: {}", file.string(), std::strerror(errno)));
  }
}

AsRunLog::~AsRunLog() {
  if (out_) std::fclose(out_);
}

void AsRunLog::write(const AsRunEntry& entry) {
  if (!out_) return;
  const std::string line = nlohmann::json(entry).dump(-1, ' ', false,
                                                      nlohmann::json::error_handler_t::replace) +
                           "\n";
  std::fputs(line.c_str(), out_);
  std::fflush(out_);
}

}  // namespace skyclass::headend

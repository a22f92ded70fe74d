#include "tools/samples/lesson_clips.hpp"

#include <map>
#include <set>

#include "tools/samples/catalog.hpp"
#include "tools/samples/fnv.hpp"

namespace skyclass::tools {

std::int64_t lesson_length_ms(const scheduler::TimetableRow& row) {
  constexpr std::int64_t kDefaultSlotMs = 20 * 60'000;
  std::int64_t slot_ms = row.end_s ? (*row.end_s - row.start_s) * 1000 : kDefaultSlotMs;
  std::int64_t shortfall_ms = 5'000 + std::int64_t(fnv1a64(row.media) % 40) * 1000;
  return std::max<std::int64_t>(slot_ms - shortfall_ms, slot_ms / 2);
}

std::vector<ClipSpec> library_clips(const scheduler::Timetable& timetable, double duration_scale) {
  std::vector<ClipSpec> clips = builtin_clips(duration_scale);
  std::map<std::string, std::size_t> builtin_index;
  for (std::size_t i = 0; i < clips.size(); ++i) builtin_index[clips[i].relative_path] = i;
  std::set<std::string> seen;
  for (const auto& row : timetable.rows) {
    if (row.is_live() || !seen.insert(row.media).second) continue;
    std::int64_t length_ms = scaled_duration_ms(lesson_length_ms(row), duration_scale);
    if (auto it = builtin_index.find(row.media); it != builtin_index.end()) {
      ClipSpec& builtin = clips[it->second];
      if (builtin.damage == ClipSpec::Damage::none) builtin.duration_ms = length_ms;
      continue;
    }
    ClipSpec spec;
    spec.relative_path = row.media;
    spec.kind = "lesson";
    spec.title = row.title;
    spec.grade = row.grade;
    spec.subject = row.subject;
    spec.duration_ms = length_ms;
    spec.container = container_for(row.media);
    clips.push_back(std::move(spec));
  }
  return clips;
}

}  // namespace skyclass::tools

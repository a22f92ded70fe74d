// Arbitrary bytes as a timetable: the CSV reader, row validation, override expansion and the
// overlap check must report problems, never crash, hang or read out of bounds.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "scheduler/timetable.hpp"

using namespace skyclass::scheduler;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  Diagnostics diagnostics;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Timetable timetable = parse_timetable(text, "fuzz.csv", diagnostics);
  Date week_of = *parse_date("2020-02-17");
  check_overlaps(timetable, week_of, diagnostics);
  auto occurrences = occurrences_between(timetable, week_of, week_of, week_of + std::chrono::days{8});
  for (const auto& d : diagnostics.all()) (void)d.to_string();
  return occurrences.size() > 1'000'000 ? -1 : 0;
}

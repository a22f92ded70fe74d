#pragma once
#include <string_view>

namespace skyclass::tools {

// The sample week (samples/week-2020-02-17.csv) as it was at build time.
std::string_view embedded_sample_timetable();

}  // namespace skyclass::tools

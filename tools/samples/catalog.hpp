#pragma once
// The media library's non-lesson clips (fillers, ident, slate) and the awkward inputs that test
// the headend's normaliser and its fallback to the slate. Lessons come from the timetable.
#include <cstdint>
#include <vector>

#include "tools/samples/clip.hpp"

namespace skyclass::tools {

// `duration_ms` times `duration_scale`, rounded, never below one second. Throws
// std::invalid_argument unless the scale is finite and positive.
std::int64_t scaled_duration_ms(std::int64_t duration_ms, double duration_scale);

// The built-in clips, durations already scaled (scale 1 = realistic broadcast lengths).
// Relative paths are fixed; the list is in catalog.cpp.
std::vector<ClipSpec> builtin_clips(double duration_scale);

}  // namespace skyclass::tools

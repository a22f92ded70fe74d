#pragma once
// The lesson half of the sample library: one clip per media path the weekly timetable names,
// with the row's title, grade and subject burnt in and a length that fits its slot.
#include <vector>

#include "scheduler/timetable.hpp"
#include "tools/samples/clip.hpp"

namespace skyclass::tools {

// A clip's length at scale 1: its slot (end - start, or 20 min without an end) less a
// deterministic 5..44 s, so that lessons end a little early as real recordings do and the
// scheduler has gaps to fill.
std::int64_t lesson_length_ms(const scheduler::TimetableRow& row);

// Clips for every timetable media path (live sources excluded), first row wins. Paths that are
// also built-in clips (special/…) take the built-in spec, lengthened to the slot unless damaged.
std::vector<ClipSpec> library_clips(const scheduler::Timetable& timetable, double duration_scale);

}  // namespace skyclass::tools

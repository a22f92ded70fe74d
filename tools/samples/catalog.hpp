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

// The house picture size every clip is drawn for; --size scales from it.
inline constexpr int kHouseWidth = 720, kHouseHeight = 576;

// The clip for a library drawn at width x height instead of 720x576 (skyclass-samples --size):
// each side scales by width/720 and height/576, so house-size clips become exactly width x
// height and the special clips stay larger or smaller than the house size. Sides are rounded to
// even and kept within write_clip's 64x64..4096x2304. The SAR is recomputed so every clip keeps
// its display aspect: at 128x72 the 16:9 house clips get SAR 1:1, the 4:3 clip 3:4, the 720p
// clip becomes 228x90 at 40:57. Frame rate, sound and length are unchanged.
ClipSpec scaled_picture(const ClipSpec& spec, int width, int height);

// Every clip through scaled_picture(). Throws std::invalid_argument saying why width x height
// cannot be a library size: a side odd or outside 64x64..4096x2304, or a clip (named) too small
// for the frame-code strip that tests read back from decoded pictures (picture.hpp: 22 cells of
// max(4, height/36) px plus margins: below 216 px of height a clip needs 94 px of width, which
// the 640x360 special clip reaches at --size 106 wide).
std::vector<ClipSpec> scaled_library(std::vector<ClipSpec> clips, int width, int height);

// The built-in clips, durations already scaled (scale 1 = realistic broadcast lengths).
// Relative paths are fixed; the list is in catalog.cpp.
std::vector<ClipSpec> builtin_clips(double duration_scale);

}  // namespace skyclass::tools

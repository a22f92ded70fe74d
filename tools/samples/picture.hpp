#pragma once
// The picture of a sample clip, rendered by a libavfilter graph: a background coloured by kind or
// subject, grade and subject above a large title, the channel bug, a sliding block, the clip's own
// media time as "HH:MM:SS.ff" and, beside it, the same frame index as a machine-readable strip of
// blocks, so a test can read playout offsets back from decoded pictures without OCR.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "tools/samples/clip.hpp"
#include "tools/samples/filter_chain.hpp"

struct AVFrame;

namespace skyclass::tools {

// The frame-index strip in the bottom band: `bits + 2` square cells of `cell` pixels starting at
// (x, y). Cell 0 and cell bits+1 are always white (markers); cell 1+k is white when bit k of the
// frame index is set (LSB first), black otherwise. The frame index comes from the frame's PTS:
// index = round(t * fps).
struct FrameCodeLayout {
  int x = 0, y = 0, cell = 0;
  int bits = 20;  // 2^20 frames: 11.6 hours at 25 fps
  int cell_center_x(int i) const { return x + i * cell + cell / 2; }
  int center_y() const { return y + cell / 2; }
};
FrameCodeLayout frame_code_layout(int width, int height);

// Reads the strip back from a decoded 8-bit YUV picture of the clip's own size. nullopt if the
// markers are not there (not a SkyClass sample picture, or a damaged one).
std::optional<std::int64_t> read_frame_code(const AVFrame& picture, const FrameCodeLayout& layout);

// The background colour as libavfilter spells it ("0xRRGGBB"): by subject for lessons and
// special clips, by kind otherwise.
std::string background_colour(const ClipSpec& spec);

// The picture graph: yuv420p frames at the spec's size, one per frame period, PTS = frame index
// in 1/fps. The sink never runs dry; the caller pulls as many frames as the clip needs.
FilterOutput build_picture_graph(const ClipSpec& spec, const std::filesystem::path& file);

}  // namespace skyclass::tools

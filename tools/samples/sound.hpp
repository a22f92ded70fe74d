#pragma once
// The sound of a sample clip, from an aevalsrc expression: a voice-like pattern for lessons and
// special clips (a gliding pitch with harmonics, shaped into syllables and phrases), a short
// repeating melody for fillers, idents and the slate. Never silent, so loudness can be measured.
#include <filesystem>
#include <string>

extern "C" {
#include <libavutil/samplefmt.h>
}

#include "tools/samples/clip.hpp"
#include "tools/samples/filter_chain.hpp"

namespace skyclass::tools {

// The aevalsrc expression (mono, `t` in seconds) for this clip.
std::string sound_expression(const ClipSpec& spec);

// The sound graph: frames of the spec's rate and channel count in `sample_format`. The
// expression is evaluated at a third of the rate where that divides evenly (everything in it
// is below 3 kHz) and resampled up, which makes it three times cheaper. The sink never runs dry.
FilterOutput build_sound_graph(const ClipSpec& spec, AVSampleFormat sample_format,
                               const std::filesystem::path& file);

}  // namespace skyclass::tools

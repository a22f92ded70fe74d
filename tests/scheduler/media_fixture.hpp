#pragma once
// A small real media library for scheduler tests, written once per build by the sample clip
// engine (the same code as skyclass-samples) and reused while up to date.
#include <filesystem>
#include <string>

#include "scheduler/channel_config.hpp"
#include "scheduler/diagnostics.hpp"
#include "scheduler/timetable.hpp"

namespace skyclass::testing {

// lessons/short-8s.mp4 (8 s), lessons/long-30s.mp4 (30 s), lessons/rerun-6s.mp4 (6 s),
// fillers/a-2s.mp4, fillers/b-3s.mp4, fillers/loop-4s.mp4, ident/ident-1s.mp4,
// slate/slate-1s.mp4, broken/corrupt.mp4 (unplayable).
const std::filesystem::path& test_library();

// A channel using that library: fillers a, b (in rotation), ident before lessons, the slate.
scheduler::ChannelConfig test_channel(bool with_ident = true);

// Parses CSV text that must be valid; fails the test otherwise.
scheduler::Timetable timetable_from(const std::string& csv_text, scheduler::Diagnostics& d);

}  // namespace skyclass::testing

#pragma once
// The duty editor's view of a day: an aligned table of the playlist.
#include <string>
#include <string_view>

#include "scheduler/playlist.hpp"

namespace skyclass::scheduler {

// Terminal columns taken by UTF-8 text (CJK ideographs and full-width forms take two).
int display_width(std::string_view utf8);

// Columns: time (local, with frames), kind, grade, subject, title, duration, warnings; then a
// summary line (items per kind, lessons, warnings).
std::string format_rundown(const Playlist& playlist);

}  // namespace skyclass::scheduler

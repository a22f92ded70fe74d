#pragma once
// Deliberate damage for the awkward sample inputs (see write_clip in clip.hpp for the contract).
#include <cstdint>
#include <filesystem>
#include <vector>

namespace skyclass::tools {

struct ByteRange {
  std::uint64_t offset = 0, size = 0;
};

// Where truncation cuts a file of `file_size` bytes whose top-level MP4 box boundaries are
// `box_boundaries`: 60 %, moved 97 bytes on while it sits on a box or 188-byte TS packet boundary.
std::uint64_t truncation_offset(std::uint64_t file_size,
                                const std::vector<std::uint64_t>& box_boundaries);

// Offsets at which top-level ISO-BMFF boxes start or end (empty if the file is not one).
std::vector<std::uint64_t> mp4_box_boundaries(const std::filesystem::path& file);

// The byte ranges corruption overwrites in a file of `file_size` bytes, clipped to the file.
std::vector<ByteRange> corruption_ranges(std::uint64_t file_size);

void truncate_file(const std::filesystem::path& file);
void corrupt_file(const std::filesystem::path& file);

}  // namespace skyclass::tools

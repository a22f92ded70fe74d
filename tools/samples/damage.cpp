#include "tools/samples/damage.hpp"

#include <algorithm>
#include <fstream>
#include <random>
#include <stdexcept>

#include <fmt/format.h>

namespace skyclass::tools {
namespace {

constexpr std::uint64_t kTruncatePercent = 60;
constexpr std::uint64_t kBoundaryNudgeBytes = 97;
constexpr std::uint64_t kTsPacketBytes = 188;
constexpr ByteRange kHeaderGarbage{8, 64};
constexpr std::uint64_t kMiddleRangeBytes = 2048;
constexpr std::uint32_t kGarbageSeed = 20200217;

std::uint64_t read_be(const unsigned char* bytes, int count) {
  std::uint64_t value = 0;
  for (int i = 0; i < count; ++i) value = value << 8 | bytes[i];
  return value;
}

std::ifstream open_for_reading(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot open for reading", file.string()));
  return in;
}

}  // namespace

std::vector<std::uint64_t> mp4_box_boundaries(const std::filesystem::path& file) {
  const std::uint64_t file_size = std::filesystem::file_size(file);
  std::ifstream in = open_for_reading(file);
  std::vector<std::uint64_t> boundaries{0};
  std::uint64_t offset = 0;
  while (offset + 8 <= file_size) {
    unsigned char header[16] = {};
    in.seekg(static_cast<std::streamoff>(offset));
    in.read(reinterpret_cast<char*>(header), sizeof header);
    std::uint64_t size = read_be(header, 4);
    if (size == 1)
      size = read_be(header + 8, 8);  // 64-bit largesize
    else if (size == 0)
      size = file_size - offset;                           // box runs to the end of the file
    if (size < 8 || offset + size > file_size) return {};  // not ISO-BMFF after all
    offset += size;
    boundaries.push_back(offset);
  }
  return offset == file_size ? boundaries : std::vector<std::uint64_t>{};
}

std::uint64_t truncation_offset(std::uint64_t file_size,
                                const std::vector<std::uint64_t>& box_boundaries) {
  std::uint64_t cut = file_size * kTruncatePercent / 100;
  auto on_boundary = [&](std::uint64_t at) {
    return at % kTsPacketBytes == 0 ||
           std::find(box_boundaries.begin(), box_boundaries.end(), at) != box_boundaries.end();
  };
  while (on_boundary(cut) && cut + kBoundaryNudgeBytes < file_size) cut += kBoundaryNudgeBytes;
  return cut;
}

std::vector<ByteRange> corruption_ranges(std::uint64_t file_size) {
  std::vector<ByteRange> ranges{kHeaderGarbage};
  for (std::uint64_t percent = 30; percent <= 65; percent += 5)
    ranges.push_back({file_size * percent / 100, kMiddleRangeBytes});
  for (ByteRange& range : ranges)
    range.size = range.offset >= file_size ? 0 : std::min(range.size, file_size - range.offset);
  return ranges;
}

void truncate_file(const std::filesystem::path& file) {
  const std::uint64_t size = std::filesystem::file_size(file);
  std::filesystem::resize_file(file, truncation_offset(size, mp4_box_boundaries(file)));
}

void corrupt_file(const std::filesystem::path& file) {
  std::fstream io(file, std::ios::binary | std::ios::in | std::ios::out);
  if (!io) throw std::runtime_error(fmt::format("{}: cannot open to corrupt it", file.string()));
  std::mt19937 garbage(kGarbageSeed);
  for (const ByteRange& range : corruption_ranges(std::filesystem::file_size(file))) {
    std::vector<char> bytes(range.size);
    for (char& byte : bytes) byte = static_cast<char>(garbage() & 0xFF);
    io.seekp(static_cast<std::streamoff>(range.offset));
    io.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  if (!io.flush())
    throw std::runtime_error(fmt::format("{}: cannot write the damage", file.string()));
}

}  // namespace skyclass::tools

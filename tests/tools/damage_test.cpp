#include "tools/samples/damage.hpp"

#include <gtest/gtest.h>

#include "tests/tools/media_check.hpp"
#include "tools/samples/clip.hpp"

namespace skyclass::tools {
namespace {

namespace fs = std::filesystem;

TEST(Damage, TruncationCutsAtSixtyPercentAwayFromBoundaries) {
  EXPECT_EQ(truncation_offset(1001, {}), 600u);
  EXPECT_EQ(truncation_offset(1001, {0, 32, 600, 1001}), 697u);  // 600 is a box boundary
  EXPECT_EQ(truncation_offset(1567, {}), 940u + 97u);            // 940 = 5 TS packets
}

TEST(Damage, CorruptionRangesAreFixedAndClipped) {
  std::vector<ByteRange> ranges = corruption_ranges(100'000);
  ASSERT_EQ(ranges.size(), 9u);
  EXPECT_EQ(ranges[0].offset, 8u);
  EXPECT_EQ(ranges[0].size, 64u);
  EXPECT_EQ(ranges[1].offset, 30'000u);
  EXPECT_EQ(ranges[8].offset, 65'000u);
  EXPECT_EQ(ranges[8].size, 2048u);
  std::vector<ByteRange> tiny = corruption_ranges(40);
  EXPECT_EQ(tiny[0].size, 32u);
  for (const ByteRange& r : tiny) EXPECT_LE(r.offset + r.size, 40u);
}

class DamagedClip : public ::testing::Test {
 protected:
  static ClipSpec spec(ClipSpec::Damage damage) {
    ClipSpec s;
    s.kind = "special";
    s.title = "损坏的课例";
    s.duration_ms = 2000;
    s.damage = damage;
    return s;
  }
  testing::TempDir dir_{"damage"};
};

TEST_F(DamagedClip, TruncatedFileOpensButStopsEarly) {
  const fs::path clean = dir_.path() / "clean.mp4", cut = dir_.path() / "cut.mp4";
  write_clip(spec(ClipSpec::Damage::none), clean);
  write_clip(spec(ClipSpec::Damage::truncated), cut);
  EXPECT_EQ(fs::file_size(cut), truncation_offset(fs::file_size(clean), mp4_box_boundaries(clean)));
  EXPECT_EQ(testing::read_bytes(cut), testing::read_bytes(clean).substr(0, fs::file_size(cut)));

  testing::MediaInfo info = testing::probe(cut);
  ASSERT_EQ(info.open_error, "") << "the index is first, so the file still opens";
  EXPECT_NEAR(info.duration_s, 2.0, 0.05) << "and it still claims the full length";
  testing::DecodeResult decoded = testing::decode_all(cut);
  EXPECT_LT(decoded.video_frames, 50 * 7 / 10);
  EXPECT_GT(decoded.video_frames, 0);
}

TEST_F(DamagedClip, CorruptFileDiffersOnlyInTheDocumentedRangesAndFailsToOpen) {
  const fs::path clean = dir_.path() / "clean.mp4", bad = dir_.path() / "bad.mp4";
  write_clip(spec(ClipSpec::Damage::none), clean);
  write_clip(spec(ClipSpec::Damage::corrupt), bad);
  const std::string a = testing::read_bytes(clean), b = testing::read_bytes(bad);
  ASSERT_EQ(a.size(), b.size());
  std::vector<bool> allowed(a.size(), false);
  for (const ByteRange& r : corruption_ranges(a.size()))
    for (std::uint64_t i = r.offset; i < r.offset + r.size; ++i) allowed[i] = true;
  std::size_t changed = 0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i] == b[i]) continue;
    ++changed;
    ASSERT_TRUE(allowed[i]) << "byte " << i << " changed outside the documented ranges";
  }
  EXPECT_GT(changed, 8000u);
  testing::DecodeResult decoded = testing::decode_all(bad);
  EXPECT_NE(decoded.open_error, "") << "decoded " << decoded.video_frames << " pictures";
}

}  // namespace
}  // namespace skyclass::tools

#include "tools/samples/catalog.hpp"

#include <gtest/gtest.h>

#include <map>
#include <memory>

#include "tests/tools/media_check.hpp"
#include "tools/samples/generate.hpp"

namespace skyclass::tools {
namespace {

namespace fs = std::filesystem;

const ClipSpec& find(const std::vector<ClipSpec>& clips, const std::string& path) {
  for (const ClipSpec& c : clips)
    if (c.relative_path == path) return c;
  throw std::runtime_error("no clip " + path);
}

TEST(Catalog, ListsTheFixedPathsWithRealisticDurations) {
  const std::map<std::string, std::int64_t> expected_ms = {
      {"fillers/tips-handwash.mp4", 60'000},
      {"fillers/tips-mask.mp4", 60'000},
      {"fillers/tips-ventilate.mp4", 45'000},
      {"fillers/eye-exercises.mp4", 300'000},
      {"fillers/break-exercises.mp4", 180'000},
      {"ident/cetv4-ident.mp4", 10'000},
      {"slate/slate.mp4", 30'000},
      {"special/hd-720p30-aac.mp4", 120'000},
      {"special/sd-640x360-mono44k.mp4", 120'000},
      {"special/4x3-lesson.mp4", 120'000},
      {"special/no-audio.mp4", 120'000},
      {"special/truncated.mp4", 120'000},
      {"special/corrupt.mp4", 120'000}};
  std::vector<ClipSpec> clips = builtin_clips(1.0);
  std::map<std::string, std::int64_t> actual_ms;
  for (const ClipSpec& c : clips) {
    actual_ms[c.relative_path] = c.duration_ms;
    EXPECT_NO_THROW(validate_clip(c, c.relative_path)) << c.relative_path;
    EXPECT_EQ(c.container, "mp4") << c.relative_path;
  }
  EXPECT_EQ(actual_ms, expected_ms);
  EXPECT_EQ(clips.size(), expected_ms.size()) << "a path is listed twice";
  EXPECT_EQ(find(clips, "fillers/tips-handwash.mp4").title, "防疫小贴士：勤洗手");
  EXPECT_EQ(find(clips, "ident/cetv4-ident.mp4").kind, "ident");
  EXPECT_EQ(find(clips, "slate/slate.mp4").title, "节目即将恢复 · Programme resumes soon");
}

TEST(Catalog, ScalesDurationsWithAOneSecondFloor) {
  EXPECT_EQ(find(builtin_clips(0.5), "fillers/eye-exercises.mp4").duration_ms, 150'000);
  for (const ClipSpec& c : builtin_clips(0.001)) EXPECT_EQ(c.duration_ms, 1000) << c.relative_path;
  EXPECT_EQ(scaled_duration_ms(1'200'000, 1.0 / 600), 2000);
  EXPECT_THROW(scaled_duration_ms(1000, 0), std::invalid_argument);
  EXPECT_THROW(scaled_duration_ms(1000, -1), std::invalid_argument);
}

TEST(Catalog, ScaledLibraryKeepsEachClipsDisplayAspect) {
  const std::vector<ClipSpec> originals = builtin_clips(1.0);
  const std::vector<ClipSpec> clips = scaled_library(originals, 128, 72);
  ASSERT_EQ(clips.size(), originals.size());
  struct Expected {
    int width, height, sar_num, sar_den;
  };
  const std::map<std::string, Expected> expected = {
      {"fillers/tips-handwash.mp4", {128, 72, 1, 1}},            // 720x576 16:9
      {"special/4x3-lesson.mp4", {128, 72, 3, 4}},               // 720x576 4:3
      {"special/hd-720p30-aac.mp4", {228, 90, 40, 57}},          // 1280x720 1:1
      {"special/sd-640x360-mono44k.mp4", {114, 64, 512, 513}}};  // 640x360, height floored to 64
  for (const auto& [path, e] : expected) {
    SCOPED_TRACE(path);
    const ClipSpec& c = find(clips, path);
    EXPECT_EQ(c.width, e.width);
    EXPECT_EQ(c.height, e.height);
    EXPECT_EQ(c.sar_num, e.sar_num);
    EXPECT_EQ(c.sar_den, e.sar_den);
  }
  for (const ClipSpec& c : clips) {
    SCOPED_TRACE(c.relative_path);
    const ClipSpec& original = find(originals, c.relative_path);
    EXPECT_EQ(c.duration_ms, original.duration_ms);
    EXPECT_EQ(c.fps_num, original.fps_num);
    EXPECT_NO_THROW(validate_clip(c, c.relative_path));
    EXPECT_NE(spec_hash(c), spec_hash(original)) << "the manifest would keep the 720x576 file";
    // Display aspect (width x SAR / height) within rounding of the SAR to 16-bit terms.
    EXPECT_NEAR(
        double(c.width) * c.sar_num / (double(c.height) * c.sar_den),
        double(original.width) * original.sar_num / (double(original.height) * original.sar_den),
        1e-4);
  }
  // The house size itself changes nothing.
  const std::vector<ClipSpec> same = scaled_library(originals, 720, 576);
  for (std::size_t i = 0; i < same.size(); ++i)
    EXPECT_EQ(spec_hash(same[i]), spec_hash(originals[i])) << same[i].relative_path;
}

TEST(Catalog, ScaledLibraryRefusesSizesTheFrameCodeCannotFit) {
  EXPECT_NO_THROW(scaled_library(builtin_clips(1.0), 106, 64));
  // 104 wide makes the 640x360 clip 92 px wide: one cell short.
  EXPECT_THROW(scaled_library(builtin_clips(1.0), 104, 64), std::invalid_argument);
  EXPECT_THROW(scaled_library(builtin_clips(1.0), 127, 72), std::invalid_argument);  // odd
  EXPECT_THROW(scaled_library(builtin_clips(1.0), 128, 62), std::invalid_argument);  // < 64
  try {
    scaled_library(builtin_clips(1.0), 104, 64);
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("special/sd-640x360-mono44k.mp4 92x64"), std::string::npos)
        << e.what();
  }
}

// The whole built-in library at 1/150 scale (every clip 1-2 s), written once per test process.
class BuiltinLibrary : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    clips_ = builtin_clips(1.0 / 150);
    dir_ = std::make_unique<testing::TempDir>("builtin");
    report_ = generate_all(clips_, dir_->path(), 2);
  }
  static void TearDownTestSuite() { dir_.reset(); }
  static fs::path file(const ClipSpec& c) { return dir_->path() / c.relative_path; }

  static inline std::vector<ClipSpec> clips_;
  static inline std::unique_ptr<testing::TempDir> dir_;
  static inline GenerateReport report_;
};

void expect_streams_as_specified(const ClipSpec& c, const testing::MediaInfo& info) {
  const double frame_s = double(c.fps_den) / c.fps_num + 0.001;
  EXPECT_NEAR(info.duration_s, c.duration_ms / 1000.0, frame_s);
  ASSERT_TRUE(info.video);
  EXPECT_EQ(info.video->codec, "h264");
  EXPECT_EQ(info.video->width, c.width);
  EXPECT_EQ(info.video->height, c.height);
  EXPECT_EQ(av_cmp_q(info.video->fps, AVRational{c.fps_num, c.fps_den}), 0);
  EXPECT_EQ(av_cmp_q(info.video->sar, AVRational{c.sar_num, c.sar_den}), 0);
  EXPECT_NEAR(info.video->duration_s, c.duration_ms / 1000.0, frame_s);
  if (c.audio_codec.empty()) {
    EXPECT_FALSE(info.audio) << "an audio stream in a clip without sound";
    EXPECT_EQ(info.streams, 1);
    return;
  }
  ASSERT_TRUE(info.audio);
  if (c.audio_codec == "mp2")
    EXPECT_EQ(info.audio->mpeg_layer, 2);
  else
    EXPECT_EQ(info.audio->codec, c.audio_codec);
  EXPECT_EQ(info.audio->sample_rate, c.sample_rate);
  EXPECT_EQ(info.audio->channels, c.channels);
  EXPECT_NEAR(info.audio->duration_s, c.duration_ms / 1000.0, frame_s);
}

TEST_F(BuiltinLibrary, EveryCleanClipProbesAndDecodesAsSpecified) {
  EXPECT_EQ(report_.made(), static_cast<int>(clips_.size()));
  EXPECT_EQ(report_.failed(), 0);
  for (const ClipSpec& c : clips_) {
    if (c.damage != ClipSpec::Damage::none) continue;
    SCOPED_TRACE(c.relative_path);
    EXPECT_GE(c.duration_ms, 1000);
    EXPECT_LE(c.duration_ms, 2000);
    expect_streams_as_specified(c, testing::probe(file(c)));
    testing::DecodeResult decoded = testing::decode_all(file(c));
    EXPECT_EQ(decoded.errors, 0);
    EXPECT_EQ(decoded.video_frames, c.duration_ms * c.fps_num / (1000 * c.fps_den));
    EXPECT_EQ(decoded.frame_codes, decoded.frame_indices);
    if (!c.audio_codec.empty()) {
      EXPECT_GT(decoded.min_rms_100ms, 0.02);
    }
  }
}

TEST_F(BuiltinLibrary, DamagedClipsDoNotDecodeFully) {
  for (const char* path : {"special/truncated.mp4", "special/corrupt.mp4"}) {
    SCOPED_TRACE(path);
    const ClipSpec& c = find(clips_, path);
    testing::DecodeResult decoded = testing::decode_all(file(c));
    const int expected_frames = static_cast<int>(c.duration_ms * c.fps_num / (1000 * c.fps_den));
    bool incomplete = !decoded.open_error.empty() || decoded.errors > 0 ||
                      decoded.video_frames < expected_frames * 7 / 10;
    EXPECT_TRUE(incomplete) << decoded.video_frames << " of " << expected_frames << " pictures";
  }
  EXPECT_NE(testing::decode_all(file(find(clips_, "special/corrupt.mp4"))).open_error, "");
}

}  // namespace
}  // namespace skyclass::tools

#include "tools/samples/generate.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include <nlohmann/json.hpp>

#include "tests/tools/media_check.hpp"
#include "tools/samples/catalog.hpp"

namespace skyclass::tools {
namespace {

namespace fs = std::filesystem;

ClipSpec tiny(std::string path, std::string title) {
  ClipSpec spec;
  spec.relative_path = std::move(path);
  spec.kind = "filler";
  spec.title = std::move(title);
  spec.subject = "健康教育";
  spec.duration_ms = 1000;
  spec.width = 320, spec.height = 180, spec.sar_num = 1, spec.sar_den = 1;
  return spec;
}

ClipOutcome::Status status_of(const GenerateReport& report, const std::string& path) {
  for (const ClipOutcome& c : report.clips)
    if (c.relative_path == path) return c.status;
  throw std::runtime_error("not reported: " + path);
}

bool has_stray_files(const fs::path& dir) {
  for (const auto& entry : fs::recursive_directory_iterator(dir)) {
    std::string name = entry.path().filename().string();
    if (name.ends_with(".partial") || name.ends_with(".tmp")) return true;
  }
  return false;
}

TEST(GenerateAll, SkipsUpToDateClipsAndRemakesChangedOnes) {
  testing::TempDir dir("generate-skip");
  std::vector<ClipSpec> clips = {tiny("fillers/a.mp4", "勤洗手"), tiny("fillers/b.mp4", "戴口罩")};

  GenerateReport first = generate_all(clips, dir.path(), 2);
  EXPECT_EQ(first.made(), 2);
  EXPECT_EQ(first.jobs, 2);
  const auto written_at = fs::last_write_time(dir.path() / "fillers/a.mp4");
  nlohmann::json manifest = nlohmann::json::parse(std::ifstream(dir.path() / kSamplesManifestName));
  EXPECT_EQ(manifest["clips"]["fillers/a.mp4"]["spec_hash"], spec_hash(clips[0]));

  GenerateReport second = generate_all(clips, dir.path(), 2);
  EXPECT_EQ(second.skipped(), 2);
  EXPECT_EQ(fs::last_write_time(dir.path() / "fillers/a.mp4"), written_at);

  clips[1].title = "多通风";
  GenerateReport changed = generate_all(clips, dir.path(), 1);
  EXPECT_EQ(status_of(changed, "fillers/a.mp4"), ClipOutcome::Status::skipped);
  EXPECT_EQ(status_of(changed, "fillers/b.mp4"), ClipOutcome::Status::made);

  fs::remove(dir.path() / "fillers/a.mp4");
  std::ofstream(dir.path() / "fillers/b.mp4", std::ios::app) << "x";  // size no longer matches
  GenerateReport repaired = generate_all(clips, dir.path(), 2);
  EXPECT_EQ(repaired.made(), 2);
  EXPECT_FALSE(has_stray_files(dir.path()));
}

TEST(GenerateAll, UnreadableManifestMeansRewriteEverything) {
  testing::TempDir dir("generate-bad-manifest");
  std::vector<ClipSpec> clips = {tiny("a.mp4", "勤洗手")};
  generate_all(clips, dir.path(), 1);
  std::ofstream(dir.path() / kSamplesManifestName, std::ios::trunc) << "{not json";
  EXPECT_EQ(generate_all(clips, dir.path(), 1).made(), 1);
  EXPECT_EQ(generate_all(clips, dir.path(), 1).skipped(), 1);
}

TEST(GenerateAll, ReportsAFailedClipAndWritesTheOthers) {
  testing::TempDir dir("generate-failure");
  ClipSpec bad = tiny("special/bad.mp4", "坏");
  bad.width = 321;
  GenerateReport report = generate_all({bad, tiny("good.mp4", "好")}, dir.path(), 2);
  EXPECT_EQ(report.made(), 1);
  ASSERT_EQ(report.failed(), 1);
  EXPECT_NE(report.clips[0].error.find("special/bad.mp4"), std::string::npos)
      << report.clips[0].error;
  EXPECT_NE(report.clips[0].error.find("321x180"), std::string::npos) << report.clips[0].error;
  EXPECT_FALSE(fs::exists(dir.path() / "special/bad.mp4"));
  EXPECT_GT(report.clips[1].bytes, 0u);
}

// skyclass-samples --size 128x72: the soak test's library. A size change rewrites the clips, and
// the frame-code strip still reads back at the smallest sizes (the 640x360 clip becomes 114x64).
TEST(GenerateAll, TinyPictureSizeIsWrittenAndReplacesTheHouseSize) {
  testing::TempDir dir("generate-tiny");
  std::vector<ClipSpec> clips = builtin_clips(0.001);
  std::erase_if(clips, [](const ClipSpec& c) {
    return c.relative_path != "fillers/tips-mask.mp4" &&
           c.relative_path != "special/sd-640x360-mono44k.mp4";
  });
  ASSERT_EQ(clips.size(), 2u);
  EXPECT_EQ(generate_all(clips, dir.path(), 2).made(), 2);

  const std::vector<ClipSpec> tiny_clips = scaled_library(clips, 128, 72);
  GenerateReport report = generate_all(tiny_clips, dir.path(), 2);
  EXPECT_EQ(report.made(), 2) << "clips of the old size were kept";
  for (const ClipSpec& c : tiny_clips) {
    SCOPED_TRACE(c.relative_path);
    const testing::MediaInfo info = testing::probe(dir.path() / c.relative_path);
    ASSERT_EQ(info.open_error, "");
    ASSERT_TRUE(info.video);
    EXPECT_EQ(info.video->width, c.width);
    EXPECT_EQ(info.video->height, c.height);
    EXPECT_EQ(av_cmp_q(info.video->sar, AVRational{c.sar_num, c.sar_den}), 0);
    const testing::DecodeResult decoded = testing::decode_all(dir.path() / c.relative_path);
    EXPECT_EQ(decoded.errors, 0);
    EXPECT_EQ(decoded.video_frames, 25);
    EXPECT_EQ(decoded.frame_codes, decoded.frame_indices) << "the frame-code strip is unreadable";
  }
  const ClipSpec& mask =
      tiny_clips[0].relative_path == "fillers/tips-mask.mp4" ? tiny_clips[0] : tiny_clips[1];
  EXPECT_EQ(mask.width, 128);
  EXPECT_EQ(mask.height, 72);
  EXPECT_EQ(generate_all(tiny_clips, dir.path(), 2).skipped(), 2);
}

TEST(GenerateAll, RejectsDuplicateAndEscapingPaths) {
  testing::TempDir dir("generate-paths");
  EXPECT_THROW(generate_all({tiny("a.mp4", "一"), tiny("./a.mp4", "二")}, dir.path(), 1),
               std::invalid_argument);
  EXPECT_THROW(generate_all({tiny("../a.mp4", "一")}, dir.path(), 1), std::invalid_argument);
  EXPECT_THROW(generate_all({tiny("/tmp/a.mp4", "一")}, dir.path(), 1), std::invalid_argument);
  EXPECT_TRUE(fs::is_empty(dir.path()));
}

}  // namespace
}  // namespace skyclass::tools

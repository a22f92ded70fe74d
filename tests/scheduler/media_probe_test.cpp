#include "scheduler/media_probe.hpp"

#include <fstream>

#include <gtest/gtest.h>

#include "tests/scheduler/media_fixture.hpp"

namespace skyclass::scheduler {
namespace {

using skyclass::testing::test_library;

TEST(MediaProbe, ReadsRealStreamFacts) {
  MediaFacts f = probe_media_file(test_library() / "lessons/short-8s.mp4");
  ASSERT_TRUE(f.readable) << f.error;
  EXPECT_EQ(f.duration_ms, 8000);
  ASSERT_TRUE(f.video);
  EXPECT_EQ(f.video->codec, "h264");
  EXPECT_EQ(f.video->width, 320);
  EXPECT_EQ(f.video->height, 240);
  EXPECT_EQ(f.video->fps_num, 25);
  EXPECT_EQ(f.video->fps_den, 1);
  ASSERT_TRUE(f.audio);
  EXPECT_EQ(f.audio->codec, "mp2");
  EXPECT_EQ(f.audio->sample_rate, 48000);
  EXPECT_EQ(f.audio->channels, 2);
}

TEST(MediaProbe, CorruptAndMissingFilesAreNotReadable) {
  MediaFacts corrupt = probe_media_file(test_library() / "broken/corrupt.mp4");
  EXPECT_FALSE(corrupt.readable);
  EXPECT_FALSE(corrupt.error.empty());
  MediaProbe probe(test_library(), "");
  MediaFacts missing = probe.probe("lessons/absent.mp4");
  EXPECT_FALSE(missing.readable);
  EXPECT_EQ(missing.error.rfind("missing: ", 0), 0u) << missing.error;
}

TEST(MediaProbe, CacheSkipsUnchangedFilesAndReprobesChangedOnes) {
  auto dir = std::filesystem::path(SKYCLASS_TEST_DATA_DIR) / "probe-cache";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  for (const char* name : {"short-8s.mp4", "rerun-6s.mp4"})
    std::filesystem::copy_file(test_library() / "lessons" / name, dir / name);
  auto cache = dir / "cache.json";
  {
    MediaProbe probe(dir, cache);
    EXPECT_TRUE(probe.probe("short-8s.mp4").readable);
    EXPECT_TRUE(probe.probe("rerun-6s.mp4").readable);
    EXPECT_TRUE(probe.probe("short-8s.mp4").readable);  // same run: remembered
    EXPECT_EQ(probe.probes_run(), 2);
    probe.save();
  }
  {
    MediaProbe probe(dir, cache);
    EXPECT_EQ(probe.probe("short-8s.mp4").duration_ms, 8000);
    EXPECT_EQ(probe.probe("rerun-6s.mp4").duration_ms, 6000);
    EXPECT_EQ(probe.probes_run(), 0);
    EXPECT_EQ(probe.cache_hits(), 2);
  }
  // Replace one file with different content: size and mtime change, so it is probed again.
  std::filesystem::copy_file(test_library() / "lessons/long-30s.mp4", dir / "rerun-6s.mp4",
                             std::filesystem::copy_options::overwrite_existing);
  {
    MediaProbe probe(dir, cache);
    EXPECT_EQ(probe.probe("rerun-6s.mp4").duration_ms, 30'000);
    EXPECT_EQ(probe.probe("short-8s.mp4").duration_ms, 8000);
    EXPECT_EQ(probe.probes_run(), 1);
    EXPECT_EQ(probe.cache_hits(), 1);
  }
  // A damaged cache is ignored, never fatal.
  std::ofstream(cache) << "{ not json";
  MediaProbe probe(dir, cache);
  EXPECT_TRUE(probe.probe("short-8s.mp4").readable);
  EXPECT_EQ(probe.probes_run(), 1);
}

}  // namespace
}  // namespace skyclass::scheduler

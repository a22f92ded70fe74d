#include "tools/samples/clip.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <numeric>

#include "tests/tools/media_check.hpp"

namespace skyclass::tools {
namespace {

namespace fs = std::filesystem;
using testing::decode_all;
using testing::probe;
using testing::TempDir;

ClipSpec lesson(std::int64_t duration_ms = 1000) {
  ClipSpec spec;
  spec.relative_path = "lessons/g1-shuxue-0217.mp4";
  spec.kind = "lesson";
  spec.title = "认识图形：长方形和正方形";
  spec.grade = "一年级";
  spec.subject = "数学";
  spec.duration_ms = duration_ms;
  return spec;
}

// |a - b| within one frame period (plus a millisecond of container rounding).
void expect_within_one_frame(double seconds, const ClipSpec& spec, const char* what) {
  double frame_s = double(spec.fps_den) / spec.fps_num;
  EXPECT_NEAR(seconds, spec.duration_ms / 1000.0, frame_s + 0.001) << what;
}

TEST(WriteClip, WritesH264AndMp2InMp4AsSpecified) {
  TempDir dir("clip-default");
  const ClipSpec spec = lesson(1200);
  const fs::path file = dir.path() / spec.relative_path;
  write_clip(spec, file);

  testing::MediaInfo info = probe(file);
  ASSERT_EQ(info.open_error, "");
  EXPECT_EQ(info.streams, 2);
  expect_within_one_frame(info.duration_s, spec, "container duration");
  ASSERT_TRUE(info.video);
  EXPECT_EQ(info.video->codec, "h264");
  EXPECT_EQ(info.video->width, 720);
  EXPECT_EQ(info.video->height, 576);
  EXPECT_EQ(av_cmp_q(info.video->fps, AVRational{25, 1}), 0);
  EXPECT_EQ(av_cmp_q(info.video->sar, AVRational{64, 45}), 0);
  expect_within_one_frame(info.video->duration_s, spec, "video duration");
  ASSERT_TRUE(info.audio);
  // MP4 has one object type for MPEG-1 audio; FFmpeg's demuxer calls it mp3. The frames say II.
  EXPECT_EQ(info.audio->mpeg_layer, 2);
  EXPECT_EQ(info.audio->sample_rate, 48000);
  EXPECT_EQ(info.audio->channels, 2);
  expect_within_one_frame(info.audio->duration_s, spec, "audio duration");
}

TEST(WriteClip, SameSpecGivesByteIdenticalFiles) {
  TempDir dir("clip-determinism");
  const ClipSpec spec = lesson();
  write_clip(spec, dir.path() / "a" / "clip.mp4");
  write_clip(spec, dir.path() / "b" / "clip.mp4");
  const std::string a = testing::read_bytes(dir.path() / "a" / "clip.mp4");
  const std::string b = testing::read_bytes(dir.path() / "b" / "clip.mp4");
  ASSERT_GT(a.size(), 1000u);
  EXPECT_TRUE(a == b) << "the two writes differ";
  EXPECT_EQ(spec_hash(spec), spec_hash(lesson()));
  ClipSpec other = spec;
  other.title = "认识钟表";
  EXPECT_NE(spec_hash(spec), spec_hash(other));
}

TEST(WriteClip, BurntFrameCodeAndSoundFollowTheMediaTime) {
  TempDir dir("clip-frame-code");
  const ClipSpec spec = lesson(1000);
  const fs::path file = dir.path() / "clip.mp4";
  write_clip(spec, file);
  testing::DecodeResult decoded = decode_all(file);
  ASSERT_EQ(decoded.open_error, "");
  EXPECT_EQ(decoded.errors, 0);
  ASSERT_EQ(decoded.video_frames, 25);
  std::vector<std::int64_t> expected(25);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(decoded.frame_indices, expected);
  EXPECT_EQ(decoded.frame_codes, expected);
  EXPECT_NEAR(decoded.audio_samples, 48000, 1152);
  EXPECT_GT(decoded.min_rms_100ms, 0.02) << "a 100 ms window is (nearly) silent";
}

TEST(WriteClip, WritesInterlacedMpeg2InTransportStream) {
  TempDir dir("clip-mpeg2");
  ClipSpec spec = lesson(1000);
  spec.video_codec = "mpeg2video";
  spec.interlaced = true;
  spec.sar_num = 16, spec.sar_den = 15;
  const fs::path file = dir.path() / "clip.ts";
  write_clip(spec, file);

  testing::MediaInfo info = probe(file);
  ASSERT_EQ(info.open_error, "");
  EXPECT_EQ(info.format, "mpegts");
  ASSERT_TRUE(info.video);
  EXPECT_EQ(info.video->codec, "mpeg2video");
  EXPECT_TRUE(info.video->interlaced_tff);
  EXPECT_EQ(av_cmp_q(info.video->sar, AVRational{16, 15}), 0);
  ASSERT_TRUE(info.audio);
  EXPECT_EQ(info.audio->mpeg_layer, 2);
  testing::DecodeResult decoded = decode_all(file);
  EXPECT_EQ(decoded.errors, 0);
  EXPECT_EQ(decoded.video_frames, 25);
  EXPECT_EQ(decoded.frame_codes.back(), 24);
}

TEST(WriteClip, WritesMatroskaWithMonoAac) {
  TempDir dir("clip-mkv");
  ClipSpec spec = lesson(1000);
  spec.width = 640, spec.height = 360, spec.sar_num = 1, spec.sar_den = 1;
  spec.audio_codec = "aac", spec.sample_rate = 44100, spec.channels = 1;
  const fs::path file = dir.path() / "clip.mkv";
  write_clip(spec, file);

  testing::MediaInfo info = probe(file);
  ASSERT_EQ(info.open_error, "");
  EXPECT_EQ(info.format, "matroska,webm");
  expect_within_one_frame(info.duration_s, spec, "container duration");
  ASSERT_TRUE(info.audio);
  EXPECT_EQ(info.audio->codec, "aac");
  EXPECT_EQ(info.audio->sample_rate, 44100);
  EXPECT_EQ(info.audio->channels, 1);
  EXPECT_EQ(decode_all(file).errors, 0);
}

// Writes `spec` and expects a runtime_error naming the file, and nothing left in the folder.
void expect_rejected(const ClipSpec& spec, const std::string& file_name, const std::string& why) {
  TempDir dir("clip-rejected");
  const fs::path file = dir.path() / file_name;
  try {
    write_clip(spec, file);
    ADD_FAILURE() << "no error for " << why;
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find(why), std::string::npos) << e.what();
  }
  EXPECT_TRUE(fs::is_empty(dir.path())) << "left a file behind";
}

TEST(WriteClip, RejectsBadSpecsWithTheFileAndField) {
  ClipSpec odd = lesson();
  odd.width = 719;
  expect_rejected(odd, "a.mp4", "width x height 719x576");
  ClipSpec codec = lesson();
  codec.video_codec = "vp9";
  expect_rejected(codec, "a.mp4", "video_codec 'vp9'");
  ClipSpec kind = lesson();
  kind.kind = "advert";
  expect_rejected(kind, "a.mp4", "kind 'advert'");
  expect_rejected(lesson(), "a.avi", "extension '.avi'");
  ClipSpec rate = lesson();
  rate.audio_codec = "mp2", rate.sample_rate = 44000;
  expect_rejected(rate, "a.mp4", "sample_rate 44000");
  ClipSpec duration = lesson(0);
  expect_rejected(duration, "a.mp4", "duration_ms 0");
}

TEST(WriteClip, RemovesTempFilesOfKilledWritersOnly) {
  TempDir dir("clip-stale");
  const fs::path stale = dir.path() / ".clip.mp4.999999999-0.partial";  // above any pid_max
  const fs::path live = dir.path() / ".clip.mp4.1-0.partial";           // pid 1 always runs
  std::ofstream(stale) << "half a file";
  std::ofstream(live) << "someone else's file";
  write_clip(lesson(), dir.path() / "clip.mp4");
  EXPECT_FALSE(fs::exists(stale));
  EXPECT_TRUE(fs::exists(live));
  EXPECT_TRUE(fs::exists(dir.path() / "clip.mp4"));
}

// Kills a writer half-way: the clip must not appear, and the next write cleans up after it.
TEST(WriteClip, KilledWriterLeavesNoClip) {
  TempDir dir("clip-killed");
  const fs::path file = dir.path() / "clip.mp4";
  pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {  // never return into the test runner from the child
    try {
      write_clip(lesson(120'000), file);
    } catch (...) {
      ::_exit(1);
    }
    ::_exit(0);
  }
  auto partial_exists = [&] {
    for (const auto& entry : fs::directory_iterator(dir.path()))
      if (entry.path().extension() == ".partial" && fs::file_size(entry.path()) > 0) return true;
    return false;
  };
  for (int i = 0; i < 500 && !partial_exists(); ++i) ::usleep(10'000);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  EXPECT_FALSE(fs::exists(file));
  EXPECT_TRUE(partial_exists());
  write_clip(lesson(), file);
  EXPECT_TRUE(fs::exists(file));
  EXPECT_FALSE(partial_exists());
}

TEST(WriteClip, EncoderFailureLeavesNoPartialFile) {
  ClipSpec spec = lesson();
  spec.video_codec = "mpeg2video";
  spec.fps_num = 7;  // not an MPEG-2 frame rate: the encoder refuses to open
  expect_rejected(spec, "a.mp4", "mpeg2video encoder");
}

}  // namespace
}  // namespace skyclass::tools

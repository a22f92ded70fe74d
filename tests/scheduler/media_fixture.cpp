#include "tests/scheduler/media_fixture.hpp"

#include <gtest/gtest.h>

#include "tools/samples/generate.hpp"

namespace skyclass::testing {
namespace {

tools::ClipSpec small_clip(std::string path, std::string title, std::int64_t ms) {
  tools::ClipSpec spec;
  spec.relative_path = std::move(path);
  spec.kind = "lesson";
  spec.title = std::move(title);
  spec.duration_ms = ms;
  spec.width = 320;
  spec.height = 240;
  spec.sar_num = spec.sar_den = 1;
  spec.container = "mp4";
  return spec;
}

}  // namespace

const std::filesystem::path& test_library() {
  static const std::filesystem::path dir = [] {
    std::filesystem::path d = std::filesystem::path(SKYCLASS_TEST_DATA_DIR) / "scheduler-library";
    std::vector<tools::ClipSpec> clips = {
        small_clip("lessons/short-8s.mp4", "八秒课", 8000),
        small_clip("lessons/long-30s.mp4", "三十秒课", 30000),
        small_clip("lessons/rerun-6s.mp4", "重播课", 6000),
        small_clip("fillers/a-2s.mp4", "垫片甲", 2000),
        small_clip("fillers/b-3s.mp4", "垫片乙", 3000),
        small_clip("fillers/loop-4s.mp4", "循环垫片", 4000),
        small_clip("ident/ident-1s.mp4", "台标", 1000),
        small_clip("slate/slate-1s.mp4", "节目即将恢复", 1000),
        small_clip("broken/corrupt.mp4", "坏文件", 4000),
    };
    clips.back().damage = tools::ClipSpec::Damage::corrupt;
    auto report = tools::generate_all(clips, d, 2);
    if (report.failed() != 0) throw std::runtime_error("could not write the scheduler test library");
    return d;
  }();
  return dir;
}

scheduler::ChannelConfig test_channel(bool with_ident) {
  scheduler::ChannelConfig c = scheduler::default_channel_config();
  c.file = "test-channel.ini";
  c.fillers = {"fillers/a-2s.mp4|垫片甲", "fillers/b-3s.mp4|垫片乙"};
  if (with_ident) c.ident = "ident/ident-1s.mp4|台标";
  c.slate = "slate/slate-1s.mp4|节目即将恢复";
  return c;
}

scheduler::Timetable timetable_from(const std::string& csv_text, scheduler::Diagnostics& d) {
  auto t = scheduler::parse_timetable(csv_text, "test.csv", d);
  EXPECT_FALSE(d.has_errors()) << d.to_string();
  return t;
}

}  // namespace skyclass::testing

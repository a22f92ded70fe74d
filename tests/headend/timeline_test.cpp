// The playout timeline (headend/timeline.hpp), the as-run log and the file sink, on playlists and
// files written by the tests.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <set>
#include <fstream>
#include <string>
#include <thread>
#include <unistd.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "headend/asrun.hpp"
#include "headend/sink.hpp"
#include "headend/timeline.hpp"
#include "scheduler/civil_time.hpp"

namespace skyclass::headend {
namespace {

namespace fs = std::filesystem;

constexpr std::int64_t kDayStart = 1'581'890'400'000;  // 2020-02-16T22:00:00Z = 06:00 +08:00
constexpr std::int64_t kDayMs = 24 * 3600 * 1000LL;

// Under the build's test-data directory (not /tmp), so nothing is left outside the build.
fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::path(SKYCLASS_TEST_DATA_DIR) / "timeline" / name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

scheduler::PlaylistItem item(std::int64_t start, std::int64_t duration, std::uint16_t id,
                             const std::string& title) {
  scheduler::PlaylistItem i;
  i.start_utc_ms = start;
  i.duration_ms = duration;
  i.kind = scheduler::ItemKind::lesson;
  i.title = title;
  i.media = "lessons/" + title + ".mp4";
  i.out_ms = duration;
  i.event_id = id;
  return i;
}

// A broadcast day from kDayStart + day * 24 h: a 1-hour lesson, then a filler to the day's end.
scheduler::Playlist day(int index) {
  scheduler::Playlist p;
  p.channel = "CETV-4";
  p.service_id = 404;
  p.date = *scheduler::parse_date(index == 0 ? "2020-02-17" : "2020-02-18");
  p.utc_offset_min = 480;
  p.start_utc_ms = kDayStart + index * kDayMs;
  p.duration_ms = kDayMs;
  p.items.push_back(item(p.start_utc_ms, 3600'000, static_cast<std::uint16_t>(100 + index), "lesson"));
  p.items.push_back(item(p.start_utc_ms + 3600'000, kDayMs - 3600'000,
                         static_cast<std::uint16_t>(200 + index), "filler"));
  p.items.back().kind = scheduler::ItemKind::filler;
  return p;
}

TEST(Timeline, FindsTheItemOnAirAcrossDays) {
  const fs::path dir = fresh_dir("days");
  scheduler::write_playlist(day(0), dir);
  scheduler::write_playlist(day(1), dir);
  Timeline t(dir, scheduler::default_channel_config());
  EXPECT_EQ(t.at(kDayStart).item.event_id, 100);
  EXPECT_EQ(t.at(kDayStart + 3599'960).item.event_id, 100);
  EXPECT_EQ(t.at(kDayStart + 3600'000).item.event_id, 200);
  EXPECT_EQ(t.at(kDayStart + kDayMs - 40).item.event_id, 200);
  EXPECT_EQ(t.at(kDayStart + kDayMs).item.event_id, 101);  // the next day's playlist
  EXPECT_FALSE(t.at(kDayStart + kDayMs).runout);
}

TEST(Timeline, RunsOutIntoTheSlateWithItsEpgTitle) {
  const fs::path dir = fresh_dir("runout");
  scheduler::write_playlist(day(0), dir);
  scheduler::ChannelConfig channel = scheduler::default_channel_config();
  channel.slate = "slate/slate.mp4|节目即将恢复";
  Timeline t(dir, channel);
  // Before the first playlist and after the last: slates that meet the playlist exactly.
  const TimelineItem before = t.at(kDayStart - 1);
  EXPECT_TRUE(before.runout);
  EXPECT_EQ(before.item.end_utc_ms(), kDayStart);
  EXPECT_EQ(before.item.media, "slate/slate.mp4");
  EXPECT_EQ(before.item.title, channel.slate_title);
  EXPECT_TRUE(before.item.loop);
  const TimelineItem after = t.at(kDayStart + kDayMs);
  EXPECT_TRUE(after.runout);
  EXPECT_EQ(after.item.start_utc_ms, kDayStart + kDayMs);
  EXPECT_GE(after.item.event_id, kRunoutEventIdBase);
  // Far beyond: a chunk that contains the time, and the same chunk however it is asked for.
  const std::int64_t later = kDayStart + 5 * kDayMs + 1234;
  const TimelineItem far = t.at(later);
  EXPECT_LE(far.item.start_utc_ms, later);
  EXPECT_GT(far.item.end_utc_ms(), later);
  EXPECT_EQ(t.at(far.item.start_utc_ms).item.start_utc_ms, far.item.start_utc_ms);
  EXPECT_EQ(t.at(far.item.end_utc_ms() - 1).item.event_id, far.item.event_id);
}

TEST(Timeline, EitEventsCoverThePlaylistsAndTheRunOut) {
  const fs::path dir = fresh_dir("eit");
  scheduler::write_playlist(day(0), dir);
  Timeline t(dir, scheduler::default_channel_config());
  const auto events = t.eit_events(kDayStart);
  ASSERT_GE(events.size(), 3u);
  EXPECT_EQ(events[0].event_id, 100);
  EXPECT_EQ(events[0].start_utc_s, kDayStart / 1000);
  EXPECT_EQ(events[1].event_id, 200);
  // After the playlist: run-out events back to back to the end of the 8-day window.
  std::int64_t t_s = events[1].end_utc_s();
  for (std::size_t i = 2; i < events.size(); ++i) {
    EXPECT_EQ(events[i].start_utc_s, t_s);
    EXPECT_EQ(events[i].title, scheduler::default_channel_config().slate_title);
    t_s = events[i].end_utc_s();
  }
  EXPECT_GE(t_s, kDayStart / 1000 + 8 * 86400);
  // Ids are unique.
  std::set<std::uint16_t> ids;
  for (const auto& e : events) EXPECT_TRUE(ids.insert(e.event_id).second) << e.event_id;
}

TEST(Timeline, ReloadPicksUpANewDayAndKeepsAGoodOneOverABrokenFile) {
  const fs::path dir = fresh_dir("reload");
  scheduler::write_playlist(day(0), dir);
  Timeline t(dir, scheduler::default_channel_config());
  std::vector<std::string> problems;
  EXPECT_FALSE(t.reload(problems));
  EXPECT_TRUE(t.at(kDayStart + kDayMs).runout);
  scheduler::write_playlist(day(1), dir);
  EXPECT_TRUE(t.reload(problems));
  EXPECT_EQ(t.at(kDayStart + kDayMs).item.event_id, 101);
  // A damaged rewrite of day 0: the version read before stays, and the problem is reported.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  std::ofstream(dir / "2020-02-17.json", std::ios::trunc) << "{ not json";
  EXPECT_TRUE(t.reload(problems));
  ASSERT_EQ(problems.size(), 1u);
  EXPECT_NE(problems[0].find("2020-02-17.json"), std::string::npos) << problems[0];
  EXPECT_EQ(t.at(kDayStart).item.event_id, 100);
}

TEST(Timeline, AMissingFolderIsAnErrorNamingIt) {
  try {
    Timeline t("/nonexistent/playlists", scheduler::default_channel_config());
    FAIL() << "no error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/playlists"), std::string::npos);
  }
}

TEST(AsRunLog, AppendsOneJsonLinePerEntryWithTheRequiredKeys) {
  const fs::path dir = fresh_dir("asrun");
  {
    AsRunLog log(dir / "asrun.jsonl");
    AsRunEntry e;
    e.scheduled_utc_ms = kDayStart;
    e.actual_utc_ms = kDayStart + 40;
    e.duration_ms = 1000;
    e.kind = "lesson";
    e.title = "《春夏秋冬》";
    e.media = "lessons/a.mp4";
    e.event_id = 7;
    e.outcome = Outcome::fallback;
    e.reason = "media ended 760 ms before the item's end";
    log.write(e);
  }
  { AsRunLog(dir / "asrun.jsonl").write(AsRunEntry{}); }  // a restart appends
  std::ifstream in(dir / "asrun.jsonl");
  std::string first, second, third;
  ASSERT_TRUE(std::getline(in, first));
  ASSERT_TRUE(std::getline(in, second));
  EXPECT_FALSE(std::getline(in, third));
  const auto j = nlohmann::json::parse(first);
  for (const char* key : {"scheduled_utc", "actual_utc", "duration_ms", "kind", "title", "media",
                          "event_id", "outcome", "reason"})
    EXPECT_TRUE(j.contains(key)) << key;
  EXPECT_EQ(j["scheduled_utc"], "2020-02-16T22:00:00.000Z");
  EXPECT_EQ(j["actual_utc"], "2020-02-16T22:00:00.040Z");
  EXPECT_EQ(j["outcome"], "fallback");
  EXPECT_EQ(j["title"], "《春夏秋冬》");
}

TEST(FileSink, WritesWholePacketsAndRefusesBadSpecs) {
  const fs::path dir = fresh_dir("sink");
  auto sink = open_sink("file:" + (dir / "out.ts").string());
  std::vector<std::uint8_t> packets(188 * 3, 0x47);
  sink->write(packets);
  EXPECT_THROW(sink->write(std::span(packets).first(100)), std::invalid_argument);
  sink->close();
  EXPECT_EQ(fs::file_size(dir / "out.ts"), 188u * 3);
  EXPECT_EQ(sink->state().bytes, 188u * 3);
  EXPECT_EQ(sink->state().state, "closed");
  try {
    open_sink("rtp://239.1.1.1:5000");
    FAIL() << "no error";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("rtp"), std::string::npos) << e.what();
  }
  EXPECT_THROW(open_sink("file:"), std::invalid_argument);
  EXPECT_THROW(open_sink("file:/nonexistent/dir/out.ts"), std::runtime_error);
}

}  // namespace
}  // namespace skyclass::headend

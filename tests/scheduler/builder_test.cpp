#include "scheduler/builder.hpp"

#include <gtest/gtest.h>

#include "scheduler/epg.hpp"
#include "tests/scheduler/media_fixture.hpp"

namespace skyclass::scheduler {
namespace {

using skyclass::testing::test_channel;
using skyclass::testing::test_library;
using skyclass::testing::timetable_from;

constexpr const char* kHeader = "day,start,end,grade,subject,title,media,description\n";
const Date kMonday = *parse_date("2020-02-17");

struct Built {
  Timetable timetable;
  ChannelConfig config;
  std::unique_ptr<MediaProbe> probe;
  std::unique_ptr<ScheduleBuilder> builder;
  Diagnostics parse_diagnostics;
};

std::unique_ptr<Built> make(const std::string& rows, ChannelConfig config = test_channel()) {
  auto b = std::make_unique<Built>();
  b->timetable = timetable_from(std::string(kHeader) + rows, b->parse_diagnostics);
  b->config = std::move(config);
  if (b->config.fillers.size() == 2) b->config.fillers.push_back("fillers/loop-4s.mp4|循环垫片|loop");
  b->config.max_loop_ms = 600'000;
  b->probe = std::make_unique<MediaProbe>(test_library(), "");
  b->builder = std::make_unique<ScheduleBuilder>(b->timetable, b->config, *b->probe, kMonday);
  return b;
}

std::int64_t utc(const char* iso_local) { return *parse_iso_to_utc_ms(iso_local); }

const PlaylistItem& item_at(const Playlist& p, const char* iso_local) {
  std::int64_t t = utc(iso_local);
  for (const auto& item : p.items)
    if (item.start_utc_ms == t) return item;
  throw std::runtime_error(std::string("no item starts at ") + iso_local);
}

std::size_t index_at(const Playlist& p, const char* iso_local) {
  return static_cast<std::size_t>(&item_at(p, iso_local) - p.items.data());
}

TEST(Builder, DayTilesTwentyFourHoursFromDayStart) {
  auto b = make("Mon,08:00:00,08:00:20,一年级,语文,八秒课,lessons/short-8s.mp4\n");
  Playlist day = b->builder->day(kMonday);
  EXPECT_EQ(check_tiling(day, 40), std::vector<std::string>{});
  EXPECT_EQ(day.start_utc_ms, utc("2020-02-17T06:00:00+08:00"));
  EXPECT_EQ(day.duration_ms, kMsPerDay);
  EXPECT_EQ(day.items.front().start_utc_ms, day.start_utc_ms);
}

TEST(Builder, LessonStartsOnTimeAndShortMediaIsFollowedByFillerAndIdent) {
  auto b = make("Mon,08:00:00,08:00:20,一年级,语文,八秒课,lessons/short-8s.mp4,第一课\n"
                "Mon,08:00:20,08:00:40,二年级,数学,重播课,lessons/rerun-6s.mp4\n");
  Playlist day = b->builder->day(kMonday);
  std::size_t i = index_at(day, "2020-02-17T08:00:00+08:00");
  const PlaylistItem& lesson = day.items[i];
  EXPECT_EQ(lesson.kind, ItemKind::lesson);
  EXPECT_TRUE(lesson.hard_start);
  EXPECT_EQ(lesson.duration_ms, 8000);
  EXPECT_EQ(lesson.in_ms, 0);
  EXPECT_EQ(lesson.out_ms, 8000);
  EXPECT_EQ(lesson.title, "八秒课");
  EXPECT_EQ(lesson.grade, "一年级");
  EXPECT_EQ(lesson.timetable_line, 2);
  ASSERT_TRUE(lesson.media_facts);
  EXPECT_EQ(lesson.media_facts->duration_ms, 8000);
  EXPECT_TRUE(lesson.warnings.empty());
  // 12 s gap: fillers, then the 1 s ident ending exactly on the next lesson's start.
  const PlaylistItem& ident = item_at(day, "2020-02-17T08:00:19+08:00");
  EXPECT_EQ(ident.kind, ItemKind::ident);
  EXPECT_EQ(ident.duration_ms, 1000);
  std::int64_t filler_ms = 0;
  for (std::size_t k = i + 1; day.items[k].kind == ItemKind::filler; ++k) filler_ms += day.items[k].duration_ms;
  EXPECT_EQ(filler_ms, 11'000);
  EXPECT_EQ(item_at(day, "2020-02-17T08:00:20+08:00").title, "重播课");
}

// Fillers follow the rotation; a clip is skipped only when it is longer than what is left of the
// gap, and only the last piece of a gap (or a looping clip) is shorter than its media.
TEST(Builder, FillersFollowTheRotation) {
  auto b = make("Mon,08:00:00,,g,s,a,lessons/short-8s.mp4\n"
                "Mon,08:00:21,,g,s,b,lessons/short-8s.mp4\n"
                "Mon,08:00:40,,g,s,c,lessons/rerun-6s.mp4\n"
                "Mon,08:01:37,,g,s,d,lessons/short-8s.mp4\n",
                test_channel(false));
  Playlist day = b->builder->day(kMonday);
  const std::vector<std::string> rotation = {"fillers/a-2s.mp4", "fillers/b-3s.mp4",
                                             "fillers/loop-4s.mp4"};
  const std::vector<std::int64_t> media_ms = {2000, 3000, 4000};
  auto index_of = [&](const std::string& m) {
    return std::size_t(std::find(rotation.begin(), rotation.end(), m) - rotation.begin());
  };
  std::optional<std::size_t> expected_next;
  int fillers = 0;
  for (std::size_t i = 0; i < day.items.size(); ++i) {
    const auto& item = day.items[i];
    if (item.kind != ItemKind::filler) continue;
    ++fillers;
    std::int64_t gap_left = 0;
    for (std::size_t k = i; k < day.items.size() && day.items[k].kind == ItemKind::filler; ++k)
      gap_left += day.items[k].duration_ms;
    std::size_t got = index_of(item.media);
    ASSERT_LT(got, rotation.size()) << item.media;
    if (expected_next) {
      for (std::size_t k = *expected_next; k != got; k = (k + 1) % rotation.size())
        EXPECT_GT(media_ms[k], gap_left) << "skipped " << rotation[k] << " although it fit";
    }
    bool last_in_gap = i + 1 == day.items.size() || day.items[i + 1].kind != ItemKind::filler;
    if (!last_in_gap && got != 2) {
      EXPECT_EQ(item.duration_ms, media_ms[got]) << "only the last piece is trimmed";
    }
    EXPECT_EQ(item.loop, item.duration_ms > media_ms[got]);
    expected_next = (got + 1) % rotation.size();
  }
  EXPECT_GT(fillers, 10);
  EXPECT_EQ(check_tiling(day, 40), std::vector<std::string>{});
}

TEST(Builder, OverrunIsCutAtTheNextHardStartWithWarnings) {
  auto b = make("Mon,09:00:00,09:00:10,g,s,三十秒课,lessons/long-30s.mp4\n"
                "Mon,09:00:25,,g,s,八秒课,lessons/short-8s.mp4\n");
  Playlist day = b->builder->day(kMonday);
  const PlaylistItem& cut = item_at(day, "2020-02-17T09:00:00+08:00");
  EXPECT_EQ(cut.duration_ms, 25'000);
  EXPECT_EQ(cut.out_ms, 25'000);
  ASSERT_EQ(cut.warnings.size(), 2u);
  EXPECT_EQ(cut.warnings[0], "media runs 00:30, 00:20 past the end of its 00:10 slot");
  EXPECT_EQ(cut.warnings[1], "cut at the next lesson at 09:00:25 (00:05 not aired)");
  EXPECT_EQ(day.items[index_at(day, "2020-02-17T09:00:00+08:00") + 1].title, "八秒课");
  ASSERT_EQ(b->builder->diagnostics().all().size(), 2u);
  EXPECT_EQ(b->builder->diagnostics().all()[0].to_string(),
            "test.csv:2: media: warning: 2020-02-17 三十秒课: media runs 00:30, 00:20 past the end "
            "of its 00:10 slot");
}

TEST(Builder, OverrunWithRoomRunsToTheEndOfItsMedia) {
  auto b = make("Mon,10:00:00,10:00:10,g,s,三十秒课,lessons/long-30s.mp4\n"
                "Mon,10:01:00,,g,s,八秒课,lessons/short-8s.mp4\n");
  Playlist day = b->builder->day(kMonday);
  const PlaylistItem& lesson = item_at(day, "2020-02-17T10:00:00+08:00");
  EXPECT_EQ(lesson.duration_ms, 30'000);
  EXPECT_EQ(lesson.warnings.size(), 1u);
  EXPECT_EQ(day.items[index_at(day, "2020-02-17T10:00:00+08:00") + 1].kind, ItemKind::filler);
}

TEST(Builder, MissingAndCorruptMediaBecomeTheSlateWithTheLessonsEpgData) {
  auto b = make("Mon,11:00:00,11:00:20,三年级,语文,不存在,lessons/nope.mp4,描述\n"
                "Mon,11:01:00,,四年级,数学,坏的,broken/corrupt.mp4\n");
  Playlist day = b->builder->day(kMonday);
  const PlaylistItem& missing = item_at(day, "2020-02-17T11:00:00+08:00");
  EXPECT_EQ(missing.kind, ItemKind::slate);
  EXPECT_EQ(missing.title, "不存在");
  EXPECT_EQ(missing.grade, "三年级");
  EXPECT_EQ(missing.description, "描述");
  EXPECT_EQ(missing.media, "slate/slate-1s.mp4");
  EXPECT_TRUE(missing.loop);
  EXPECT_TRUE(missing.hard_start);
  EXPECT_EQ(missing.duration_ms, 20'000) << "the slate fills the lesson's slot";
  ASSERT_EQ(missing.warnings.size(), 1u);
  EXPECT_NE(missing.warnings[0].find("media 'lessons/nope.mp4' cannot be played (missing:"), std::string::npos)
      << missing.warnings[0];
  const PlaylistItem& corrupt = item_at(day, "2020-02-17T11:01:00+08:00");
  EXPECT_EQ(corrupt.kind, ItemKind::slate);
  EXPECT_EQ(corrupt.duration_ms, b->config.missing_slot_ms) << "no end time: the configured slot";
  EXPECT_NE(corrupt.warnings[0].find("broken/corrupt.mp4"), std::string::npos);
  EXPECT_EQ(check_tiling(day, 40), std::vector<std::string>{});
}

TEST(Builder, LessonOverCalendarMidnightStaysOneItem) {
  auto b = make("Mon,23:59:50,24:00:20,g,s,三十秒课,lessons/long-30s.mp4\n");
  Playlist day = b->builder->day(kMonday);
  const PlaylistItem& lesson = item_at(day, "2020-02-17T23:59:50+08:00");
  EXPECT_EQ(lesson.duration_ms, 30'000);
  EXPECT_EQ(lesson.end_utc_ms(), utc("2020-02-18T00:00:20+08:00"));
  EXPECT_TRUE(lesson.warnings.empty());
}

TEST(Builder, LessonOverTheDayBoundaryIsSplitWithOneEventId) {
  auto b = make("Tue,05:59:50,06:00:20,g,s,三十秒课,lessons/long-30s.mp4\n");
  Playlist monday = b->builder->day(kMonday);
  Playlist tuesday = b->builder->day(kMonday + std::chrono::days{1});
  const PlaylistItem& head = monday.items.back();
  const PlaylistItem& tail = tuesday.items.front();
  EXPECT_EQ(head.start_utc_ms, utc("2020-02-18T05:59:50+08:00"));
  EXPECT_EQ(head.duration_ms, 10'000);
  EXPECT_EQ(head.in_ms, 0);
  EXPECT_EQ(tail.start_utc_ms, utc("2020-02-18T06:00:00+08:00"));
  EXPECT_EQ(tail.duration_ms, 20'000);
  EXPECT_EQ(tail.in_ms, 10'000);
  EXPECT_EQ(tail.out_ms, 30'000);
  EXPECT_EQ(head.event_id, tail.event_id);
  EXPECT_TRUE(continues_previous_day(tuesday));
  auto events = epg_events({monday, tuesday});
  auto it = std::find_if(events.begin(), events.end(), [&](const EpgEvent& e) { return e.event_id == head.event_id; });
  ASSERT_NE(it, events.end());
  EXPECT_EQ(it->duration_ms, 30'000) << "one EIT event over the boundary";
  std::vector<EventIdUse> uses;
  collect_event_ids(monday, uses);
  collect_event_ids(tuesday, uses);
  Diagnostics d;
  check_event_ids(uses, "test.csv", d);
  EXPECT_FALSE(d.has_errors()) << d.to_string();
  // Building Tuesday alone (no Monday built first) gives the same id.
  auto alone = make("Tue,05:59:50,06:00:20,g,s,三十秒课,lessons/long-30s.mp4\n");
  EXPECT_EQ(alone->builder->day(kMonday + std::chrono::days{1}).items.front().event_id, tail.event_id);
}

TEST(Builder, ReBroadcastsShareContentIdButNotEventId) {
  auto b = make("Mon,08:00:00,08:00:20,一年级,语文,八秒课,lessons/short-8s.mp4\n"
                "Mon,20:30:00,20:30:20,一年级,语文,八秒课,lessons/short-8s.mp4\n"
                "Mon,21:00:00,21:00:20,二年级,语文,别的课,lessons/rerun-6s.mp4\n");
  Playlist day = b->builder->day(kMonday);
  const auto& first = item_at(day, "2020-02-17T08:00:00+08:00");
  const auto& rerun = item_at(day, "2020-02-17T20:30:00+08:00");
  const auto& other = item_at(day, "2020-02-17T21:00:00+08:00");
  EXPECT_EQ(first.content_id, rerun.content_id);
  EXPECT_EQ(first.content_id.rfind("crid://cetv.cn/", 0), 0u);
  EXPECT_NE(first.event_id, rerun.event_id);
  EXPECT_NE(first.content_id, other.content_id);
}

TEST(Builder, EventIdsAreStableAndUniqueOverTheEitWindow) {
  auto b = make("Mon,08:00:00,08:00:20,g,s,a,lessons/short-8s.mp4\n"
                "Tue,08:00:00,08:00:20,g,s,b,lessons/short-8s.mp4\n");
  std::vector<EventIdUse> uses;
  std::vector<Playlist> days = b->builder->days(kMonday, 12);
  for (const auto& d : days) collect_event_ids(d, uses);
  Diagnostics d;
  check_event_ids(uses, "test.csv", d);
  EXPECT_FALSE(d.has_errors()) << d.to_string();
  auto again = make("Mon,08:00:00,08:00:20,g,s,a,lessons/short-8s.mp4\n"
                    "Tue,08:00:00,08:00:20,g,s,b,lessons/short-8s.mp4\n");
  Playlist rebuilt = again->builder->day(kMonday + std::chrono::days{3});
  ASSERT_EQ(rebuilt.items.size(), days[3].items.size());
  for (std::size_t i = 0; i < rebuilt.items.size(); ++i)
    EXPECT_EQ(rebuilt.items[i].event_id, days[3].items[i].event_id);
}

TEST(Builder, DuplicateEventIdsAreReportedAgainstTheLaterLine) {
  const std::int64_t monday_local = date_to_ms(kMonday);
  std::vector<EventIdUse> uses = {
      {kMonday, 7, 12, monday_local + 8 * 3600'000, "a"},
      {kMonday + std::chrono::days{3}, 7, 40, monday_local + 3 * kMsPerDay + 9 * 3600'000, "b"},
      {kMonday + std::chrono::days{20}, 7, 41, monday_local + 20 * kMsPerDay, "far away"},
  };
  Diagnostics d;
  check_event_ids(uses, "week.csv", d);
  ASSERT_EQ(d.all().size(), 1u) << d.to_string();
  EXPECT_EQ(d.all()[0].to_string(),
            "week.csv:40: event_id: event id 7 of 2020-02-20 09:00:00 b is also used by "
            "2020-02-17 08:00:00 a");
}

TEST(Builder, TooManyItemsForUniqueIdsIsAnError) {
  ChannelConfig config = test_channel(false);
  config.fillers = {"fillers/a-2s.mp4|a", "fillers/b-3s.mp4|b", "fillers/a-2s.mp4|again"};
  auto b = make("", config);
  Playlist day = b->builder->day(kMonday);
  EXPECT_GT(day.items.size(), std::size_t(kMaxItemsPerDay));
  ASSERT_TRUE(b->builder->diagnostics().has_errors());
  EXPECT_NE(b->builder->diagnostics().to_string().find("more than 2048 items"), std::string::npos);
}

TEST(Builder, LiveLessonKeepsItsSlot) {
  auto b = make("Mon,11:00:00,11:00:30,高三,数学,直播课,live:srt://127.0.0.1:9000?mode=caller\n");
  Playlist day = b->builder->day(kMonday);
  const auto& live = item_at(day, "2020-02-17T11:00:00+08:00");
  EXPECT_EQ(live.kind, ItemKind::live);
  EXPECT_EQ(live.duration_ms, 30'000);
  EXPECT_EQ(live.media, "live:srt://127.0.0.1:9000?mode=caller");
  EXPECT_FALSE(live.media_facts);
}

TEST(Builder, NoUsableFillersMeansTheSlateFillsGaps) {
  ChannelConfig config = test_channel(false);
  config.fillers = {"fillers/missing.mp4|gone"};
  auto b = make("Mon,08:00:00,08:00:20,g,s,a,lessons/short-8s.mp4\n", config);
  Playlist day = b->builder->day(kMonday);
  EXPECT_EQ(day.items.size(), 3u);
  EXPECT_EQ(day.items[0].kind, ItemKind::slate);
  EXPECT_EQ(day.items[0].title, config.slate_title);
  EXPECT_EQ(day.items[2].kind, ItemKind::slate);
  EXPECT_NE(b->builder->diagnostics().to_string().find("schedule.filler: warning: 'fillers/missing.mp4' is left out"),
            std::string::npos)
      << b->builder->diagnostics().to_string();
}

TEST(Builder, PlaylistJsonRoundTrips) {
  auto b = make("Mon,08:00:00,08:00:10,一年级,语文,\"带\"\"引号\"\"的课\",lessons/long-30s.mp4,\"多行\n描述\"\n");
  Playlist day = b->builder->day(kMonday);
  auto dir = std::filesystem::path(SKYCLASS_TEST_DATA_DIR) / "roundtrip";
  auto file = write_playlist(day, dir);
  EXPECT_EQ(file.filename(), "2020-02-17.json");
  Playlist back = read_playlist(file);
  ASSERT_EQ(back.items.size(), day.items.size());
  EXPECT_EQ(back.start_utc_ms, day.start_utc_ms);
  EXPECT_EQ(back.utc_offset_min, 480);
  for (std::size_t i = 0; i < day.items.size(); ++i) {
    EXPECT_EQ(back.items[i].start_utc_ms, day.items[i].start_utc_ms);
    EXPECT_EQ(back.items[i].title, day.items[i].title);
    EXPECT_EQ(back.items[i].description, day.items[i].description);
    EXPECT_EQ(back.items[i].event_id, day.items[i].event_id);
    EXPECT_EQ(back.items[i].warnings, day.items[i].warnings);
    EXPECT_EQ(back.items[i].media_facts.has_value(), day.items[i].media_facts.has_value());
  }
  EXPECT_EQ(item_at(back, "2020-02-17T08:00:00+08:00").title, "带\"引号\"的课");
}

TEST(Builder, StagedPlaylistsLeaveNothingBehindWithoutCommit) {
  auto b = make("Mon,08:00:00,08:00:10,g,s,a,lessons/short-8s.mp4\n");
  auto dir = std::filesystem::path(SKYCLASS_TEST_DATA_DIR) / "staged";
  std::filesystem::remove_all(dir);
  {
    StagedPlaylists staged(dir);
    staged.stage(b->builder->day(kMonday));
  }
  EXPECT_TRUE(std::filesystem::is_empty(dir));
}

}  // namespace
}  // namespace skyclass::scheduler

// The sample week end to end: skyclass-samples' library, skyclass-scheduler build/check/show,
// and the XMLTV checked by the xmltv project's own validator.
#include <fstream>
#include <map>
#include <set>

#include <gtest/gtest.h>
#include <pugixml.hpp>

#include "scheduler/playlist.hpp"
#include "scheduler/timetable.hpp"
#include "tests/integration/process.hpp"

namespace skyclass::scheduler {
namespace {

namespace fs = std::filesystem;
using skyclass::testing::run;
using skyclass::testing::sh_quote;

const fs::path kBin = SKYCLASS_BIN_DIR;
const fs::path kSource = SKYCLASS_SOURCE_DIR;
const fs::path kMedia = SKYCLASS_SAMPLES_SMALL;
const fs::path kOut = fs::path(SKYCLASS_TEST_DATA_DIR) / "scheduler-week";
const fs::path kTimetable = kSource / "samples/week-2020-02-17.csv";
const Date kWeekOf = *parse_date("2020-02-17");

class SampleWeek : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fs::remove_all(kOut);
    build_ = run(fmt_command("build") + " --out-dir " + sh_quote((kOut / "playlists").string()) +
                 " --xmltv " + sh_quote((kOut / "epg.xml").string()));
    for (int i = 0; i < 8; ++i) {
      fs::path file = kOut / "playlists" / (format_date(kWeekOf + std::chrono::days{i}) + ".json");
      if (fs::exists(file)) days_.push_back(read_playlist(file));
    }
  }
  static std::string fmt_command(const std::string& command) {
    return (kBin / "skyclass-scheduler").string() + " " + command + " --timetable " +
           sh_quote(kTimetable.string()) + " --week-of 2020-02-17 --days 8 --config " +
           sh_quote((kSource / "samples/channel.ini").string()) + " --media " +
           sh_quote(kMedia.string());
  }
  static inline skyclass::testing::ProcessResult build_;
  static inline std::vector<Playlist> days_;
};

TEST_F(SampleWeek, BuildsEightDays) {
  ASSERT_EQ(build_.exit_code, 0) << build_.err;
  ASSERT_EQ(days_.size(), 8u);
  EXPECT_EQ(build_.err, "") << "the sample week builds without warnings";
}

TEST_F(SampleWeek, EveryDayTilesTwentyFourHoursExactly) {
  ASSERT_EQ(days_.size(), 8u);
  for (const auto& day : days_) {
    EXPECT_EQ(check_tiling(day, 40), std::vector<std::string>{}) << format_date(day.date);
    EXPECT_EQ(day.duration_ms, kMsPerDay);
    EXPECT_EQ(day.to_local_ms(day.start_utc_ms) - date_to_ms(day.date), 6 * 3600'000);
    if (&day != &days_.front()) {
      EXPECT_EQ(day.start_utc_ms, (&day - 1)->end_utc_ms()) << "days follow each other";
    }
  }
}

TEST_F(SampleWeek, SeventyFiveLessonsOnTheFirstFiveWeekdays) {
  ASSERT_EQ(days_.size(), 8u);
  std::set<std::string> lessons;
  for (int i = 0; i < 5; ++i)
    for (const auto& item : days_[i].items)
      if (item.kind == ItemKind::lesson) lessons.insert(item.content_id);
  EXPECT_EQ(lessons.size(), 75u);
}

TEST_F(SampleWeek, EveryLessonStartsExactlyAtItsTimetableTime) {
  ASSERT_EQ(days_.size(), 8u);
  Diagnostics d;
  Timetable timetable = load_timetable(kTimetable, d);
  ASSERT_FALSE(d.has_errors());
  std::map<std::int64_t, const PlaylistItem*> hard_starts;  // local start -> item
  for (const auto& day : days_)
    for (const auto& item : day.items)
      if (item.hard_start && item.in_ms == 0) hard_starts[day.to_local_ms(item.start_utc_ms)] = &item;
  const std::int64_t first = days_.front().to_local_ms(days_.front().start_utc_ms);
  const std::int64_t last = days_.back().to_local_ms(days_.back().end_utc_ms());
  int checked = 0;
  for (const auto& o : occurrences_between(timetable, kWeekOf, kWeekOf - std::chrono::days{1},
                                           kWeekOf + std::chrono::days{9})) {
    if (o.start_local_ms < first || o.start_local_ms >= last) continue;
    auto it = hard_starts.find(o.start_local_ms);
    ASSERT_NE(it, hard_starts.end()) << "line " << o.row->line << " " << o.row->title;
    EXPECT_EQ(it->second->timetable_line, o.row->line);
    EXPECT_EQ(it->second->title, o.row->title);
    ++checked;
  }
  EXPECT_GT(checked, 200);
  EXPECT_EQ(checked, int(hard_starts.size())) << "no hard start that the timetable does not have";
}

TEST_F(SampleWeek, ReBroadcastsShareOneContentIdAndEventIdsAreUnique) {
  ASSERT_EQ(days_.size(), 8u);
  std::map<std::string, std::set<std::string>> airings;  // content_id -> start times
  std::set<std::uint16_t> ids;
  int items = 0;
  for (const auto& day : days_) {
    for (std::size_t i = 0; i < day.items.size(); ++i) {
      const auto& item = day.items[i];
      if (item.kind == ItemKind::lesson) airings[item.content_id].insert(format_iso_utc(item.start_utc_ms));
      if (i == 0 && item.in_ms > 0) continue;  // the rest of yesterday's lesson: same event
      ids.insert(item.event_id);
      ++items;
    }
  }
  EXPECT_EQ(int(ids.size()), items);
  int rebroadcast = 0;
  for (const auto& [id, starts] : airings) rebroadcast += starts.size() > 1;
  EXPECT_GT(rebroadcast, 70) << "evening and weekend reruns reuse the lesson's identity";
}

TEST_F(SampleWeek, XmltvValidatesAndHasOneProgrammePerItem) {
  ASSERT_EQ(days_.size(), 8u);
  auto result = run("XMLTV_SUPPLEMENT=/usr/share/xmltv tv_validate_file " + sh_quote((kOut / "epg.xml").string()));
  EXPECT_EQ(result.exit_code, 0) << result.out << result.err;
  EXPECT_NE(result.out.find("Validated ok"), std::string::npos) << result.out;
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_file((kOut / "epg.xml").c_str()));
  std::size_t programmes = 0, items = 0;
  for (auto p : doc.child("tv").children("programme")) programmes += !p.empty();
  for (const auto& day : days_) items += day.items.size();
  EXPECT_EQ(programmes, items);
}

TEST_F(SampleWeek, CheckPassesOnTheSampleWeek) {
  auto result = run(fmt_command("check"));
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("OK"), std::string::npos);
}

TEST_F(SampleWeek, ShowPrintsTheRundown) {
  ASSERT_EQ(days_.size(), 8u);
  auto result = run((kBin / "skyclass-scheduler").string() + " show " +
                    sh_quote((kOut / "playlists/2020-02-17.json").string()));
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_NE(result.out.find("08:00:00.00 lesson 一年级     语文     《春夏秋冬》"), std::string::npos)
      << result.out.substr(0, 2000);
}

TEST_F(SampleWeek, BadTimetableWritesNothingAndListsEveryProblem) {
  fs::path dir = kOut / "bad";
  fs::create_directories(dir);
  std::ofstream(dir / "bad.csv") << "day,start,end,grade,subject,title,media\n"
                                    "Mon,08:00,08:20,一年级,语文,好的,lessons/0217/g1-yuwen.mp4\n"
                                    "Mox,08:00,08:20,一年级,语文,坏的,x.mp4\n"
                                    "Tue,09:00,08:00,一年级,语文,坏的,x.mp4\n";
  auto result = run((kBin / "skyclass-scheduler").string() + " build --timetable " +
                    sh_quote((dir / "bad.csv").string()) + " --week-of 2020-02-17 --media " +
                    sh_quote(kMedia.string()) + " --out-dir " + sh_quote((dir / "out").string()));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("bad.csv:3: day: 'Mox'"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("bad.csv:4: end: 08:00 is not after the start 09:00"), std::string::npos) << result.err;
  EXPECT_FALSE(fs::exists(dir / "out" / "2020-02-17.json"));
  // And the same with a missing media file: check fails on it, naming the line.
  std::ofstream(dir / "missing.csv") << "day,start,end,grade,subject,title,media\n"
                                        "Mon,08:00,08:20,一年级,语文,没有文件,lessons/none.mp4\n";
  result = run((kBin / "skyclass-scheduler").string() + " check --timetable " +
               sh_quote((dir / "missing.csv").string()) + " --week-of 2020-02-17 --media " + sh_quote(kMedia.string()));
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("missing.csv:2: media: 'lessons/none.mp4' cannot be played: missing"), std::string::npos)
      << result.err;
}

}  // namespace
}  // namespace skyclass::scheduler

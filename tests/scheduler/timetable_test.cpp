#include "scheduler/timetable.hpp"

#include <gtest/gtest.h>

namespace skyclass::scheduler {
namespace {

constexpr const char* kHeader = "day,start,end,grade,subject,title,media,description\n";

Diagnostics parse_with_errors(const std::string& body) {
  Diagnostics d;
  parse_timetable(std::string(kHeader) + body, "week.csv", d);
  return d;
}

// The one diagnostic `body` should produce, as the operator sees it.
std::string only_problem(const std::string& body) {
  Diagnostics d = parse_with_errors(body);
  EXPECT_EQ(d.all().size(), 1u) << d.to_string();
  return d.all().empty() ? "" : d.all()[0].to_string();
}

TEST(Timetable, ParsesWeeklyAndOverrideRows) {
  Diagnostics d;
  auto t = parse_timetable(std::string(kHeader) +
                               "Mon,08:00,08:20,一年级,语文,《春夏秋冬》,lessons/a.mp4,第一课\n"
                               "2020-02-19,09:00:30,,全年级,专题,防疫,lessons/b.mp4\n",
                           "week.csv", d);
  ASSERT_FALSE(d.has_errors()) << d.to_string();
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(t.rows[0].weekday, 0);
  EXPECT_EQ(t.rows[0].start_s, 8 * 3600);
  EXPECT_EQ(t.rows[0].end_s, 8 * 3600 + 20 * 60);
  EXPECT_EQ(t.rows[0].line, 2);
  EXPECT_EQ(t.rows[0].description, "第一课");
  EXPECT_EQ(t.rows[1].date, parse_date("2020-02-19"));
  EXPECT_EQ(t.rows[1].start_s, 9 * 3600 + 30);
  EXPECT_FALSE(t.rows[1].end_s);
}

TEST(Timetable, DescriptionColumnIsOptional) {
  Diagnostics d;
  auto t = parse_timetable("day,start,end,grade,subject,title,media\nTue,08:00,,g,s,t,m.mp4\n",
                           "w.csv", d);
  EXPECT_FALSE(d.has_errors()) << d.to_string();
  EXPECT_EQ(t.rows.size(), 1u);
}

TEST(Timetable, UnknownColumn) {
  Diagnostics d;
  parse_timetable("day,start,end,grade,subject,title,media,teacher\n", "w.csv", d);
  ASSERT_EQ(d.all().size(), 1u);
  EXPECT_EQ(d.all()[0].to_string().rfind("w.csv:1: teacher: unknown column 'teacher'", 0), 0u)
      << d.all()[0].to_string();
}

TEST(Timetable, MissingColumn) {
  Diagnostics d;
  parse_timetable("day,start,end,grade,subject,title\n", "w.csv", d);
  ASSERT_EQ(d.all().size(), 1u);
  EXPECT_EQ(d.all()[0].to_string(), "w.csv:1: media: required column is missing from the header row");
}

TEST(Timetable, UnknownWeekday) {
  EXPECT_EQ(only_problem("Mon,08:00,08:20,g,s,t,a.mp4\nMonday,09:00,09:20,g,s,t,a.mp4\nFunday,08:00,08:20,g,s,t,a.mp4\n"),
            "week.csv:4: day: 'Funday' is neither a weekday (Mon..Sun) nor a date (YYYY-MM-DD)");
}

TEST(Timetable, BadTime) {
  EXPECT_EQ(only_problem("Mon,8h00,08:20,g,s,t,a.mp4\n"),
            "week.csv:2: start: '8h00' is not a time of day HH:MM or HH:MM:SS");
  EXPECT_EQ(only_problem("Mon,08:00,08:75,g,s,t,a.mp4\n").rfind("week.csv:2: end: '08:75' is not a time", 0), 0u);
}

TEST(Timetable, EndBeforeStart) {
  EXPECT_EQ(only_problem("Tue,08:00,07:40,g,s,t,a.mp4\n").rfind(
                "week.csv:2: end: 07:40 is not after the start 08:00", 0),
            0u);
}

TEST(Timetable, LessonPastMidnightIsWrittenAs24h) {
  Diagnostics d;
  auto t = parse_timetable(std::string(kHeader) + "Sun,23:40,24:20,g,s,t,a.mp4\n", "w.csv", d);
  ASSERT_FALSE(d.has_errors());
  EXPECT_EQ(*t.rows[0].end_s, 24 * 3600 + 20 * 60);
}

TEST(Timetable, EmptyTitle) {
  EXPECT_EQ(only_problem("Mon,08:00,08:20,g,s,,a.mp4\n"),
            "week.csv:2: title: is empty; every lesson needs a title for the EPG");
}

TEST(Timetable, NonUtf8Bytes) {
  // "语文" in GB2312: a file saved in the wrong encoding.
  EXPECT_EQ(only_problem("Mon,08:00,08:20,g,\xD3\xEF\xCE\xC4,t,a.mp4\n"),
            "week.csv:2: subject: byte 0xD3 at offset 0 is not UTF-8; save the file as UTF-8");
}

TEST(Timetable, WrongFieldCount) {
  EXPECT_EQ(only_problem("Mon,08:00,08:20,g,s,t\n"), "week.csv:2: has 6 fields, the header has 8");
}

TEST(Timetable, LiveLessonNeedsAnEndAndAKnownScheme) {
  EXPECT_EQ(only_problem("Mon,08:00,,g,s,t,live:srt://10.0.0.1:9000\n"),
            "week.csv:2: end: a live lesson needs an end time: it has no media duration");
  EXPECT_EQ(only_problem("Mon,08:00,08:20,g,s,t,live:rtmp://x\n"),
            "week.csv:2: media: live source 'rtmp://x' must be live:srt://… or live:udp://…");
}

TEST(Timetable, MediaMustStayInsideTheLibrary) {
  EXPECT_EQ(only_problem("Mon,08:00,08:20,g,s,t,../etc/passwd\n").rfind("week.csv:2: media: ", 0), 0u);
}

TEST(Timetable, ReportsEveryProblemNotJustTheFirst) {
  Diagnostics d = parse_with_errors(
      "Mon,08:00,08:20,g,s,t,a.mp4\n"
      "Xyz,08:00,08:20,g,s,t,a.mp4\n"
      "Tue,99:00,08:20,g,s,t,a.mp4\n"
      "Wed,08:00,08:20,g,s,,a.mp4\n");
  ASSERT_EQ(d.all().size(), 3u) << d.to_string();
  EXPECT_EQ(d.all()[0].line, 3);
  EXPECT_EQ(d.all()[1].line, 4);
  EXPECT_EQ(d.all()[2].line, 5);
}

TEST(Timetable, OverlapsAreReportedOnTheLaterRow) {
  Diagnostics d;
  auto t = parse_timetable(std::string(kHeader) +
                               "Mon,08:00,08:30,g,s,first,a.mp4\n"
                               "Mon,08:20,08:40,g,s,second,a.mp4\n"
                               "Tue,08:00,08:20,g,s,fine,a.mp4\n"
                               "Sun,23:50,24:30,g,s,late,a.mp4\n"
                               "Mon,00:10,00:20,g,s,early,a.mp4\n",
                           "week.csv", d);
  ASSERT_FALSE(d.has_errors());
  check_overlaps(t, *parse_date("2020-02-17"), d);
  ASSERT_EQ(d.all().size(), 2u) << d.to_string();
  EXPECT_EQ(d.all()[0].to_string(),
            "week.csv:3: start: overlaps the lesson on line 2 (2020-02-17 08:00:00 first)");
  EXPECT_EQ(d.all()[1].line, 6) << "Sunday 23:50-00:30 runs into Monday 00:10";
}

TEST(Timetable, OverrideReplacesTheWeeklyRowAtTheSameStart) {
  Diagnostics d;
  auto t = parse_timetable(std::string(kHeader) +
                               "Wed,09:00,09:20,三年级,语文,《荷花》,a.mp4\n"
                               "Wed,10:00,10:20,四年级,数学,x,a.mp4\n"
                               "2020-02-19,09:00,09:20,全年级,专题,防疫,b.mp4\n",
                           "week.csv", d);
  Date wed = *parse_date("2020-02-19");
  auto on_wed = occurrences_between(t, *parse_date("2020-02-17"), wed, wed);
  ASSERT_EQ(on_wed.size(), 2u);
  EXPECT_EQ(on_wed[0].row->title, "防疫");
  EXPECT_EQ(on_wed[1].row->title, "x");
  // A week later the weekly row is back.
  auto next_wed = occurrences_between(t, *parse_date("2020-02-17"), wed + std::chrono::days{7},
                                      wed + std::chrono::days{7});
  ASSERT_EQ(next_wed.size(), 2u);
  EXPECT_EQ(next_wed[0].row->title, "《荷花》");
  // An override that overlaps a different weekly row is an error.
  auto bad = parse_timetable(std::string(kHeader) + "Wed,09:00,09:20,g,s,a,a.mp4\n"
                                                    "2020-02-19,09:10,09:30,g,s,b,b.mp4\n",
                             "week.csv", d);
  check_overlaps(bad, *parse_date("2020-02-17"), d);
  ASSERT_TRUE(d.has_errors());
  EXPECT_EQ(d.all().back().line, 3);
}

TEST(Timetable, WeeklyRowsStartAtWeekOf) {
  Diagnostics d;
  auto t = parse_timetable(std::string(kHeader) + "Mon,08:00,08:20,g,s,t,a.mp4\n", "w.csv", d);
  Date week_of = *parse_date("2020-02-17");
  EXPECT_TRUE(occurrences_between(t, week_of, week_of - std::chrono::days{7}, week_of - std::chrono::days{1}).empty());
  EXPECT_EQ(occurrences_between(t, week_of, week_of, week_of + std::chrono::days{13}).size(), 2u);
}

}  // namespace
}  // namespace skyclass::scheduler

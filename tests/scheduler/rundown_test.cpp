#include "scheduler/rundown.hpp"

#include <sstream>

#include <gtest/gtest.h>

namespace skyclass::scheduler {
namespace {

TEST(Rundown, CountsCjkAsTwoColumns) {
  EXPECT_EQ(display_width("abc"), 3);
  EXPECT_EQ(display_width("一年级"), 6);
  EXPECT_EQ(display_width("《春夏秋冬》"), 12);
  EXPECT_EQ(display_width("Unit 1：A"), 9);  // full-width colon
}

TEST(Rundown, ColumnsLineUpWhateverTheScript) {
  Playlist p;
  p.channel = "CETV-4 空中课堂";
  p.date = *parse_date("2020-02-17");
  p.utc_offset_min = 480;
  p.start_utc_ms = *parse_iso_to_utc_ms("2020-02-17T06:00:00+08:00");
  p.duration_ms = kMsPerDay;
  PlaylistItem a;
  a.start_utc_ms = p.start_utc_ms;
  a.duration_ms = 20 * 60'000;
  a.kind = ItemKind::lesson;
  a.grade = "一年级";
  a.subject = "语文";
  a.title = "《春夏秋冬》";
  PlaylistItem b = a;
  b.start_utc_ms += a.duration_ms;
  b.kind = ItemKind::filler;
  b.grade = b.subject = "";
  b.title = "Unit 1 Welcome back to school! A very long English title that must be cut";
  b.warnings = {"cut at the next lesson"};
  p.items = {a, b};
  std::istringstream lines(format_rundown(p));
  std::string line;
  std::getline(lines, line);  // heading
  std::vector<std::string> rows;
  while (std::getline(lines, line)) rows.push_back(line);
  ASSERT_EQ(rows.size(), 4u);
  auto warnings_column = [](const std::string& row) {
    std::size_t dur = row.rfind("20:00");
    return display_width(row.substr(0, dur));
  };
  EXPECT_EQ(warnings_column(rows[1]), warnings_column(rows[2]));
  EXPECT_EQ(rows[1].rfind("06:00:00.00 lesson 一年级", 0), 0u) << rows[1];
  EXPECT_NE(rows[2].find("…"), std::string::npos) << "long titles are cut with an ellipsis";
  EXPECT_NE(rows[2].find("cut at the next lesson"), std::string::npos);
  EXPECT_EQ(rows[3], "-- 1 filler, 1 lesson; 1 warning(s)");
}

}  // namespace
}  // namespace skyclass::scheduler

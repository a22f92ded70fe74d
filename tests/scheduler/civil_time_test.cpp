#include "scheduler/civil_time.hpp"

#include <gtest/gtest.h>

namespace skyclass::scheduler {
namespace {

TEST(CivilTime, ParsesDatesAndRejectsImpossibleOnes) {
  ASSERT_TRUE(parse_date("2020-02-17"));
  EXPECT_EQ(format_date(*parse_date("2020-02-29")), "2020-02-29");
  EXPECT_FALSE(parse_date("2019-02-29"));
  EXPECT_FALSE(parse_date("2020-13-01"));
  EXPECT_FALSE(parse_date("2020-2-17"));
  EXPECT_FALSE(parse_date("20200217"));
}

TEST(CivilTime, ParsesClockTimes) {
  EXPECT_EQ(parse_clock_s("08:00"), 8 * 3600);
  EXPECT_EQ(parse_clock_s("23:59:59"), 86399);
  EXPECT_FALSE(parse_clock_s("24:00"));
  EXPECT_EQ(parse_clock_s("24:20", 47), 24 * 3600 + 20 * 60);
  EXPECT_FALSE(parse_clock_s("8:00"));
  EXPECT_FALSE(parse_clock_s("08:60"));
  EXPECT_FALSE(parse_clock_s("08:00:61"));
  EXPECT_FALSE(parse_clock_s("ab:cd"));
}

TEST(CivilTime, WeekdaysFollowIso8601) {
  EXPECT_EQ(iso_weekday_index(*parse_date("2020-02-17")), 0);  // a Monday
  EXPECT_EQ(iso_weekday_index(*parse_date("2020-02-23")), 6);
  EXPECT_EQ(parse_weekday("mon"), 0);
  EXPECT_EQ(parse_weekday("Sunday"), 6);
  EXPECT_FALSE(parse_weekday("Mo"));
}

TEST(CivilTime, IsoTimesRoundTripWithOffsets) {
  std::int64_t utc = date_to_ms(*parse_date("2020-02-17"));  // 00:00 UTC = 08:00 +08:00
  EXPECT_EQ(format_iso_utc(utc), "2020-02-17T00:00:00.000Z");
  EXPECT_EQ(format_iso_local(utc + 480 * 60'000, 480), "2020-02-17T08:00:00.000+08:00");
  EXPECT_EQ(parse_iso_to_utc_ms("2020-02-17T08:00:00.000+08:00"), utc);
  EXPECT_EQ(parse_iso_to_utc_ms("2020-02-17T00:00:00Z"), utc);
  EXPECT_EQ(parse_iso_to_utc_ms("2020-02-16T19:00:00-05:00"), utc);
  EXPECT_FALSE(parse_iso_to_utc_ms("2020-02-17 08:00:00"));
  EXPECT_EQ(parse_utc_offset_min("-05:30"), -330);
  EXPECT_EQ(format_utc_offset(-330), "-05:30");
}

TEST(CivilTime, FormatsDurationsWithFrames) {
  EXPECT_EQ(format_duration(20 * 60'000), "20:00");
  EXPECT_EQ(format_duration(3600'000 + 40), "1:00:00.01");
  EXPECT_EQ(format_clock(8 * 3600'000 + 480, true), "08:00:00.12");
}

}  // namespace
}  // namespace skyclass::scheduler

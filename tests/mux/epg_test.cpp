#include "mux/epg.hpp"

#include <gtest/gtest.h>

#include <map>

#include "mux/dvb_time.hpp"
#include "mux/section.hpp"

namespace skyclass::mux {
namespace {

constexpr std::int64_t kMonday = 1581897600;  // 2020-02-17 00:00:00 UTC
constexpr std::int64_t kHour = 3600;
constexpr std::int64_t kDay = 86400;

const EpgServiceIds kIds{404, 4, 0x20CB, TextEncoding::utf8};

EpgEvent lesson(std::uint16_t id, std::int64_t start_utc_s, std::int64_t duration_s,
                std::string title = "数学") {
  EpgEvent e;
  e.event_id = id;
  e.start_utc_s = start_utc_s;
  e.duration_s = duration_s;
  e.title = std::move(title);
  e.text = "小学三年级";
  return e;
}

std::vector<Eit> decode_all(const std::vector<Bytes>& sections) {
  std::vector<Eit> out;
  for (const Bytes& section : sections) {
    auto eit = Eit::decode(section);
    EXPECT_TRUE(eit.ok()) << eit.error();
    if (eit.ok()) out.push_back(eit.value());
  }
  return out;
}

std::string title_of(const Eit::Event& event) {
  const auto* short_event = find_descriptor<ShortEventDescriptor>(event.descriptors);
  return short_event ? short_event->event_name.utf8() : "";
}

// 08:00-08:45, 08:45-09:30, gap, 10:00-10:45.
std::vector<EpgEvent> morning() {
  return {lesson(1, kMonday + 8 * kHour, 45 * 60, "语文"),
          lesson(2, kMonday + 8 * kHour + 45 * 60, 45 * 60, "数学"),
          lesson(3, kMonday + 10 * kHour, 45 * 60, "英语")};
}

TEST(EpgPresentFollowing, SwitchesExactlyAtTheBoundary) {
  auto events = morning();
  std::int64_t boundary = kMonday + 8 * kHour + 45 * 60;
  PresentFollowing before = find_present_following(events, boundary - 1);
  ASSERT_TRUE(before.present && before.following);
  EXPECT_EQ(before.present->event_id, 1);
  EXPECT_EQ(before.following->event_id, 2);
  PresentFollowing at = find_present_following(events, boundary);
  ASSERT_TRUE(at.present && at.following);
  EXPECT_EQ(at.present->event_id, 2);
  EXPECT_EQ(at.following->event_id, 3);
}

TEST(EpgPresentFollowing, GapsAndTheEnd) {
  auto events = morning();
  PresentFollowing gap = find_present_following(events, kMonday + 9 * kHour + 40 * 60);
  EXPECT_EQ(gap.present, nullptr);
  ASSERT_NE(gap.following, nullptr);
  EXPECT_EQ(gap.following->event_id, 3);
  PresentFollowing after = find_present_following(events, kMonday + 11 * kHour);
  EXPECT_EQ(after.present, nullptr);
  EXPECT_EQ(after.following, nullptr);
}

TEST(EpgPresentFollowing, NextChangeIsTheNextStartOrEnd) {
  auto events = morning();
  EXPECT_EQ(next_present_following_change_utc_s(events, kMonday), kMonday + 8 * kHour);
  EXPECT_EQ(next_present_following_change_utc_s(events, kMonday + 8 * kHour),
            kMonday + 8 * kHour + 45 * 60);
  EXPECT_EQ(next_present_following_change_utc_s(events, kMonday + 9 * kHour + 30 * 60),
            kMonday + 10 * kHour);
  EXPECT_EQ(next_present_following_change_utc_s(events, kMonday + 11 * kHour), kNoChangeUtcS);
}

TEST(EpgPresentFollowing, SectionsCarryPresentAndFollowing) {
  auto sections = build_present_following(kIds, morning(), kMonday + 8 * kHour + 50 * 60, 7);
  ASSERT_EQ(sections.size(), 2u);
  auto decoded = decode_all({sections[0].encode_section(), sections[1].encode_section()});
  ASSERT_EQ(decoded.size(), 2u);
  for (std::uint8_t n = 0; n < 2; ++n) {
    EXPECT_EQ(decoded[n].table_id, 0x4E);
    EXPECT_EQ(decoded[n].service_id, 404);
    EXPECT_EQ(decoded[n].version_number, 7);
    EXPECT_EQ(decoded[n].section_number, n);
    EXPECT_EQ(decoded[n].last_section_number, 1);
    EXPECT_EQ(decoded[n].segment_last_section_number, 1);
    EXPECT_EQ(decoded[n].last_table_id, 0x4E);
    EXPECT_EQ(decoded[n].transport_stream_id, 4);
    EXPECT_EQ(decoded[n].original_network_id, 0x20CB);
    ASSERT_EQ(decoded[n].events.size(), 1u);
  }
  EXPECT_EQ(decoded[0].events[0].event_id, 2);
  EXPECT_EQ(decoded[0].events[0].running_status, 4);
  EXPECT_EQ(title_of(decoded[0].events[0]), "数学");
  EXPECT_EQ(decoded[1].events[0].event_id, 3);
  EXPECT_EQ(decoded[1].events[0].running_status, 1);
}

TEST(EpgPresentFollowing, EmptySectionsWhenNothingIsScheduled) {
  auto sections = build_present_following(kIds, {}, kMonday, 0);
  auto decoded = decode_all({sections[0].encode_section(), sections[1].encode_section()});
  ASSERT_EQ(decoded.size(), 2u);
  EXPECT_TRUE(decoded[0].events.empty());
  EXPECT_TRUE(decoded[1].events.empty());
}

TEST(EpgEventDescriptors, ShortEventContentAndCrid) {
  EpgEvent event = lesson(9, kMonday, 2700, "小学数学：分数的初步认识");
  event.crid = "crid://cetv.cn/2020-02-17/9";
  Eit::Event eit_event = make_eit_event(event, TextEncoding::gb2312, 4);
  EXPECT_EQ(eit_event.event_id, 9);
  EXPECT_EQ(eit_event.start_time_utc_s, kMonday);
  EXPECT_EQ(eit_event.duration_s, 2700);
  const auto* short_event = find_descriptor<ShortEventDescriptor>(eit_event.descriptors);
  ASSERT_NE(short_event, nullptr);
  EXPECT_EQ(short_event->ISO_639_language_code, "chi");
  EXPECT_EQ(short_event->event_name.bytes.front(), 0x13) << "GB2312 selector";
  EXPECT_EQ(short_event->event_name.utf8(), "小学数学：分数的初步认识");
  EXPECT_EQ(short_event->text.utf8(), "小学三年级");
  const auto* content = find_descriptor<ContentDescriptor>(eit_event.descriptors);
  ASSERT_NE(content, nullptr);
  EXPECT_EQ(content->contents[0].content_nibble_level_1, 0x5);
  EXPECT_EQ(content->contents[0].content_nibble_level_2, 0x4);
  const auto* crid = find_descriptor<ContentIdentifierDescriptor>(eit_event.descriptors);
  ASSERT_NE(crid, nullptr);
  EXPECT_EQ(crid->crids[0].crid_location, 0);
  EXPECT_EQ(crid->crids[0].crid, event.crid);
  EXPECT_EQ(find_descriptor<ContentIdentifierDescriptor>(
                make_eit_event(lesson(1, kMonday, 60), TextEncoding::utf8, 0).descriptors),
            nullptr)
      << "no CRID, no descriptor";
}

TEST(EpgEventDescriptors, LongTextIsTruncatedToFitTheDescriptor) {
  std::string long_title, long_text;
  for (int i = 0; i < 100; ++i) long_title += "长";
  for (int i = 0; i < 200; ++i) long_text += "文";
  EpgEvent event = lesson(1, kMonday, 60, long_title);
  event.text = long_text;
  for (TextEncoding encoding : {TextEncoding::utf8, TextEncoding::gb2312}) {
    Eit::Event eit_event = make_eit_event(event, encoding, 0);
    const auto* short_event = find_descriptor<ShortEventDescriptor>(eit_event.descriptors);
    ASSERT_NE(short_event, nullptr);
    EXPECT_LE(short_event->event_name.size() + short_event->text.size(), 250u);
    Bytes bytes = encode_descriptors(eit_event.descriptors);  // must not throw
    std::string title = short_event->event_name.utf8();
    EXPECT_EQ(long_title.rfind(title, 0), 0u) << "a prefix, cut on a character boundary";
    EXPECT_FALSE(title.empty());
  }
}

TEST(EpgEventDescriptors, CharacterOutsideGb2312FallsBackToQuestionMark) {
  Eit::Event eit_event = make_eit_event(lesson(1, kMonday, 60, "國语課"), TextEncoding::gb2312, 0);
  EXPECT_EQ(title_of(eit_event), "?语?");
}

// --- schedule ----------------------------------------------------------------------------------

TEST(EpgSchedule, EmptyGuideHasOneSectionPerSegment) {
  for (std::uint8_t table_id : {0x50, 0x51}) {
    auto sections = build_schedule_table(kIds, {}, kMonday + 10 * kHour, table_id, 3, 8);
    ASSERT_EQ(sections.size(), 32u);
    for (std::size_t s = 0; s < 32; ++s) {
      EXPECT_EQ(sections[s].table_id, table_id);
      EXPECT_EQ(sections[s].section_number, s * 8);
      EXPECT_EQ(sections[s].segment_last_section_number, s * 8);
      EXPECT_EQ(sections[s].last_section_number, 248);
      EXPECT_EQ(sections[s].last_table_id, 0x51);
      EXPECT_EQ(sections[s].version_number, 3);
      EXPECT_TRUE(sections[s].events.empty());
    }
  }
}

// Segment index of each event id across both tables: 32 * (table - 0x50) + segment.
std::map<std::uint16_t, int> segments_of(const std::vector<Eit>& t50, const std::vector<Eit>& t51) {
  std::map<std::uint16_t, int> where;
  for (const auto* table : {&t50, &t51}) {
    for (const Eit& section : *table) {
      for (const Eit::Event& event : section.events) {
        where[event.event_id] = (section.table_id - 0x50) * 32 + section.section_number / 8;
      }
    }
  }
  return where;
}

std::vector<EpgEvent> week_events() {
  return {
      lesson(1, kMonday - kHour, 1800),                  // yesterday 23:00: not in schedule
      lesson(2, kMonday + 1 * kHour, 1800),              // today 01:00: day 0 segment 0
      lesson(3, kMonday + 23 * kHour + 30 * 60, 3600),   // today 23:30: segment 7, across midnight
      lesson(4, kMonday + kDay + 30 * 60, 1800),         // Tue 00:30: segment 8
      lesson(5, kMonday + 4 * kDay + 3 * kHour, 1800),   // Fri 03:00: table 0x51 segment 1
      lesson(6, kMonday + 7 * kDay + 23 * kHour, 1800),  // day 7 21:00-24:00: 0x51 segment 31
      lesson(7, kMonday + 8 * kDay, 1800)};              // day 8: beyond the 8 days
}

TEST(EpgSchedule, EventsLandInTheSegmentOfTheirStart) {
  auto events = week_events();
  std::int64_t now = kMonday + 22 * kHour;
  auto t50 = build_schedule_table(kIds, events, now, 0x50, 0, 8);
  auto t51 = build_schedule_table(kIds, events, now, 0x51, 0, 8);
  auto where = segments_of(t50, t51);
  EXPECT_EQ(where.count(1), 0u);
  EXPECT_EQ(where.at(2), 0);
  EXPECT_EQ(where.at(3), 7);
  EXPECT_EQ(where.at(4), 8);
  EXPECT_EQ(where.at(5), 32 + 1);
  EXPECT_EQ(where.at(6), 32 + 31);
  EXPECT_EQ(where.count(7), 0u);
}

TEST(EpgSchedule, WindowMovesAtMidnightUtc) {
  auto events = week_events();
  std::int64_t tuesday = kMonday + kDay + 30 * 60;  // Tue 00:30
  auto t50 = build_schedule_table(kIds, events, tuesday, 0x50, 0, 8);
  auto t51 = build_schedule_table(kIds, events, tuesday, 0x51, 0, 8);
  auto where = segments_of(t50, t51);
  EXPECT_EQ(where.count(2), 0u) << "Monday has left the window";
  EXPECT_EQ(where.count(3), 0u) << "Monday 23:30 belongs to Monday even though it runs on";
  EXPECT_EQ(where.at(4), 0) << "Tuesday is day 0 now";
  EXPECT_EQ(where.at(5), 25) << "Friday 03:00 is day 3 segment 1, table 0x50";
  EXPECT_EQ(where.at(6), 32 + 23);
  EXPECT_EQ(where.at(7), 32 + 24) << "day 8 of Monday is day 7 of Tuesday";
}

TEST(EpgSchedule, FullSegmentSplitsIntoSeveralSections) {
  std::vector<EpgEvent> events;
  std::string text;
  for (int i = 0; i < 80; ++i) text += "练";
  for (std::uint16_t i = 0; i < 40; ++i) {
    EpgEvent e = lesson(i, kMonday + 21 * kHour + i * 60, 60, "第" + std::to_string(i) + "课");
    e.text = text;
    events.push_back(e);
  }
  std::vector<Eit> t50 = build_schedule_table(kIds, events, kMonday, 0x50, 0, 8);
  // Segment 7 (21:00-24:00) holds all 40 events; about 270 bytes each.
  std::vector<Eit> segment7;
  for (const Eit& s : t50) {
    if (s.section_number / 8 == 7) segment7.push_back(s);
  }
  ASSERT_EQ(segment7.size(), 3u);
  std::size_t events_seen = 0;
  for (std::size_t n = 0; n < segment7.size(); ++n) {
    EXPECT_EQ(segment7[n].section_number, 56 + n);
    EXPECT_EQ(segment7[n].segment_last_section_number, 58);
    EXPECT_LE(segment7[n].encode_section().size(), kMaxSiSectionBytes);
    events_seen += segment7[n].events.size();
  }
  EXPECT_EQ(events_seen, 40u);
  EXPECT_EQ(segment7[0].events.front().event_id, 0) << "in start order";
  EXPECT_EQ(t50.size(), 32u + 2);
  EXPECT_EQ(t50.back().last_section_number, 248);
}

TEST(EpgSchedule, LastSegmentSplitRaisesLastSectionNumber) {
  std::vector<EpgEvent> events;
  std::string text(240, 'x');
  for (std::uint16_t i = 0; i < 30; ++i) {
    EpgEvent e = lesson(i, kMonday + 7 * kDay + 22 * kHour + i * 60, 60, "t");
    e.text = text;
    events.push_back(e);
  }
  auto t51 = build_schedule_table(kIds, events, kMonday, 0x51, 0, 8);
  ASSERT_EQ(t51.size(), 33u);
  for (const Eit& s : t51) EXPECT_EQ(s.last_section_number, 249);
  EXPECT_EQ(t51[31].section_number, 248);
  EXPECT_EQ(t51[32].section_number, 249);
  EXPECT_EQ(t51[32].segment_last_section_number, 249);
}

TEST(EpgSchedule, MoreThanEightSectionsInASegmentDropsTheRest) {
  std::vector<EpgEvent> events;
  std::string text(240, 'x');
  for (std::uint16_t i = 0; i < 200; ++i) {
    EpgEvent e = lesson(i, kMonday + (i % 180) * 60, 60, std::string(8, 't'));
    e.text = text;
    events.push_back(e);
  }
  std::size_t dropped = 0;
  auto t50 = build_schedule_table(kIds, events, kMonday, 0x50, 0, 8, &dropped);
  std::size_t carried = 0;
  for (const Eit& s : t50) {
    if (s.section_number < 8) carried += s.events.size();
  }
  EXPECT_EQ(t50[7].section_number, 7);
  EXPECT_EQ(t50[8].section_number, 8) << "segment 1 starts at section 8";
  EXPECT_EQ(carried + dropped, 200u);
  EXPECT_GT(dropped, 0u);
}

TEST(EpgTables, VersionsChangeOnlyWithContent) {
  EpgTables tables(kIds);
  tables.set_events(morning());
  std::int64_t t = kMonday + 8 * kHour + 10 * 60;
  auto v = [](const std::vector<Bytes>& sections) { return (sections[0][5] >> 1) & 0x1F; };
  std::vector<Bytes> first = tables.present_following(t);
  EXPECT_EQ(v(first), 0);
  EXPECT_EQ(tables.present_following(t + 60), first) << "same events, same bytes";
  std::vector<Bytes> switched = tables.present_following(kMonday + 8 * kHour + 45 * 60);
  EXPECT_EQ(v(switched), 1);
  tables.set_events(morning());
  EXPECT_EQ(v(tables.present_following(kMonday + 8 * kHour + 46 * 60)), 1);

  const auto& schedule = tables.schedule(t);
  EXPECT_EQ(v(schedule.table_0x50), 0);
  EXPECT_EQ(v(schedule.table_0x51), 0);
  auto changed = morning();
  changed[2].title = "英语（改）";
  tables.set_events(changed);
  const auto& after = tables.schedule(t);
  EXPECT_EQ(v(after.table_0x50), 1) << "table 0x50 holds the changed event";
  EXPECT_EQ(v(after.table_0x51), 0) << "table 0x51 did not change";
  EXPECT_EQ(v(tables.schedule(t + kDay).table_0x50), 2) << "a new day is new content";
}

TEST(EpgTables, VersionWrapsAt32) {
  EpgTables tables(kIds);
  std::vector<EpgEvent> events;
  for (std::uint16_t i = 0; i < 40; ++i) events.push_back(lesson(i, kMonday + i * kHour, kHour));
  tables.set_events(events);
  std::uint8_t last = 0;
  for (int i = 0; i < 34; ++i)
    last = (tables.present_following(kMonday + i * kHour)[0][5] >> 1) & 0x1F;
  EXPECT_EQ(last, 33 % 32);
}

TEST(EpgTables, InvalidEventsAreRejectedAndCounted) {
  EpgTables tables(kIds);
  auto events = morning();
  events.push_back(lesson(10, kMonday, 0));            // no duration
  events.push_back(lesson(11, kMonday, 100 * kHour));  // above 99:59:59
  events.push_back(lesson(12, 2155593599 - 10, 60));   // ends after MJD 65535
  tables.set_events(events);
  EXPECT_EQ(tables.rejected_events(), 3u);
  EXPECT_EQ(tables.events().size(), 3u);
}

TEST(EpgTables, SetEventsSortsByStart) {
  EpgTables tables(kIds);
  auto events = morning();
  std::swap(events[0], events[2]);
  tables.set_events(events);
  EXPECT_EQ(tables.events()[0].event_id, 1);
  EXPECT_EQ(tables.events()[2].event_id, 3);
}

TEST(EpgTables, PacketCapDropsFarthestDays) {
  std::vector<EpgEvent> events;
  std::string text(240, 'x');
  for (std::uint16_t i = 0; i < 8 * 24; ++i) {
    EpgEvent e = lesson(i, kMonday + i * kHour, kHour, std::string(8, 't'));
    e.text = text;
    events.push_back(e);
  }
  EpgTables tables(kIds);
  tables.set_events(events);
  EXPECT_EQ(tables.schedule(kMonday).horizon_days, 8);
  const auto& capped = tables.schedule(kMonday, 200);
  EXPECT_LT(capped.horizon_days, 8);
  std::size_t packets = 0;
  for (const auto* table : {&capped.table_0x50, &capped.table_0x51}) {
    for (const Bytes& s : *table) packets += (s.size() + 1 + 183) / 184;
  }
  EXPECT_LE(packets, 200u);
  EXPECT_EQ(capped.table_0x51.size(), 32u) << "empty segments stay";
  const auto& minimal = tables.schedule(kMonday, 64);
  EXPECT_EQ(minimal.horizon_days, 0) << "64 packets only hold the empty segments";
  EXPECT_EQ(minimal.table_0x50.size() + minimal.table_0x51.size(), 64u);
}

// A whole schedule table has gaps between its segments (0, 8, 16, ...); decoding the set must
// accept it, and refuse one with a missing segment or a missing section inside a segment.
TEST(EpgSchedule, WholeSegmentedTableDecodesAsOneSet) {
  std::vector<EpgEvent> events;
  for (int i = 0; i < 40; ++i) events.push_back(lesson(std::uint16_t(100 + i), kMonday + i * 2 * kHour, kHour));
  auto table = build_schedule_table(kIds, events, kMonday, 0x50, 3, 8);
  std::vector<Bytes> sections;
  for (const Eit& eit : table) sections.push_back(eit.encode_section());
  ASSERT_GT(sections.size(), 8u);
  auto merged = Eit::decode(sections);
  ASSERT_TRUE(merged.ok()) << merged.error();
  std::size_t in_days = 0;
  for (const auto& e : events) in_days += e.start_utc_s < kMonday + 4 * kDay;  // 0x50 covers days 0-3
  EXPECT_EQ(merged.value().events.size(), in_days);

  std::vector<Bytes> without_segment_one;
  for (const Bytes& b : sections) {
    auto one = Eit::decode(b);
    if (one.value().section_number / 8 != 1) without_segment_one.push_back(b);
  }
  auto missing = Eit::decode(without_segment_one);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().find("segment starting at section 8 is missing"), std::string::npos) << missing.error();
}

TEST(EpgSchedule, SectionMissingInsideASegmentIsRefused) {
  std::vector<EpgEvent> events;
  // Enough long titles on day 0 that its first segment needs several sections.
  for (int i = 0; i < 60; ++i)
    events.push_back(lesson(std::uint16_t(i + 1), kMonday + i * 120, 120, std::string(200, 'x')));
  auto table = build_schedule_table(kIds, events, kMonday, 0x50, 0, 8);
  std::vector<Bytes> sections;
  for (const Eit& eit : table) sections.push_back(eit.encode_section());
  ASSERT_TRUE(Eit::decode(sections).ok());
  std::vector<Bytes> holed;
  for (const Bytes& b : sections)
    if (Eit::decode(b).value().section_number != 1) holed.push_back(b);
  ASSERT_EQ(holed.size() + 1, sections.size()) << "the first segment has a section 1";
  auto result = Eit::decode(holed);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().find("section 1 of the segment 0..") , std::string::npos) << result.error();
}

}  // namespace
}  // namespace skyclass::mux

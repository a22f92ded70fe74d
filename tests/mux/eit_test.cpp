#include "mux/tables/eit.hpp"

#include <gtest/gtest.h>

#include "mux/dvb_time.hpp"
#include "mux/section.hpp"

namespace skyclass::mux {
namespace {

constexpr std::int64_t k1993_10_13_124500 = 750516300;

// EN 300 468 5.2.4 by hand: EIT p/f actual (0x4E), service 404, version 0, section 0 of 1,
// transport_stream_id 4, original_network_id 0x20CB, segment_last_section_number 1,
// last_table_id 0x4E; event 1 at 1993-10-13 12:45:00 for 00:45:00, running, with
// short_event ("chi", "Maths", "") and content (0x5, 0x4). CRC from a bitwise CRC.
const Bytes kEitPresent = {0x4E, 0xF0, 0x2C, 0x01, 0x94, 0xC1, 0x00, 0x01, 0x00, 0x04, 0x20, 0xCB,
                           0x01, 0x4E, 0x00, 0x01, 0xC0, 0x79, 0x12, 0x45, 0x00, 0x00, 0x45, 0x00,
                           0x80, 0x11, 0x4D, 0x0B, 'c',  'h',  'i',  0x06, 0x15, 'M',  'a',  't',
                           'h',  's',  0x00, 0x54, 0x02, 0x54, 0x00, 0xC3, 0x92, 0x05, 0x11};

Eit::Event maths_event() {
  Eit::Event event;
  event.event_id = 1;
  event.start_time_utc_s = k1993_10_13_124500;
  event.duration_s = 45 * 60;
  event.running_status = 4;
  event.descriptors = {
      ShortEventDescriptor{"chi", DvbText::from_utf8("Maths", TextEncoding::utf8).value(), {}},
      ContentDescriptor{{{0x5, 0x4, 0}}}};
  return event;
}

Eit present_section() {
  Eit eit;
  eit.table_id = Eit::kTableIdPfActual;
  eit.service_id = 404;
  eit.section_number = 0;
  eit.last_section_number = 1;
  eit.transport_stream_id = 4;
  eit.original_network_id = 0x20CB;
  eit.segment_last_section_number = 1;
  eit.last_table_id = 0x4E;
  eit.events = {maths_event()};
  return eit;
}

TEST(Eit, EncodesSectionByteExact) {
  EXPECT_EQ(present_section().encode_section(), kEitPresent);
}

TEST(Eit, DecodesByteExactVector) {
  auto eit = Eit::decode(kEitPresent);
  ASSERT_TRUE(eit.ok()) << eit.error();
  EXPECT_EQ(eit.value(), present_section());
}

TEST(Eit, ChineseEventRoundTripsInBothEncodings) {
  for (TextEncoding encoding : {TextEncoding::utf8, TextEncoding::gb2312}) {
    Eit eit = present_section();
    eit.table_id = 0x51;
    eit.last_table_id = 0x51;
    eit.version_number = 9;
    Eit::Event event = maths_event();
    event.descriptors = {
        ShortEventDescriptor{"chi", DvbText::from_utf8("小学数学：分数", encoding).value(),
                             DvbText::from_utf8("第三课 认识分数\n练习", encoding).value()},
        ContentIdentifierDescriptor{{{0x01, 0, "cetv.cn/lesson/2020-02-17/3", 0}}}};
    eit.events.push_back(event);
    auto decoded = Eit::decode(eit.encode_section());
    ASSERT_TRUE(decoded.ok()) << decoded.error();
    EXPECT_EQ(decoded.value(), eit);
    const auto* short_event = find_descriptor<ShortEventDescriptor>(decoded->events[1].descriptors);
    ASSERT_NE(short_event, nullptr);
    EXPECT_EQ(short_event->event_name.utf8(), "小学数学：分数");
    EXPECT_EQ(short_event->text.utf8(), "第三课 认识分数\n练习");
  }
}

TEST(Eit, UndefinedStartTimeRoundTrips) {
  Eit eit = present_section();
  eit.events[0].start_time_utc_s = kUndefinedUtcS;
  auto decoded = Eit::decode(eit.encode_section());
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded->events[0].start_time_utc_s, kUndefinedUtcS);
}

TEST(Eit, EncodeSplitsEventsOverSections) {
  Eit eit = present_section();
  eit.table_id = 0x50;
  eit.events.clear();
  for (std::uint16_t id = 0; id < 40; ++id) {
    Eit::Event event = maths_event();
    event.event_id = id;
    event.start_time_utc_s += id * 3600;
    event.descriptors = {ShortEventDescriptor{"chi", DvbText{Bytes(100, 'a')},
                                              DvbText{Bytes(140, 'b')}}};  // 259 bytes per event
    eit.events.push_back(event);
  }
  auto sections = eit.encode();
  ASSERT_EQ(sections.size(), 3u);  // 15 events fit the 4078-byte event loop
  for (std::size_t i = 0; i < sections.size(); ++i) {
    EXPECT_LE(sections[i].size(), kMaxSiSectionBytes);
    auto one = Eit::decode(sections[i]);
    ASSERT_TRUE(one.ok()) << one.error();
    EXPECT_EQ(one->section_number, i);
    EXPECT_EQ(one->last_section_number, 2);
    EXPECT_EQ(one->segment_last_section_number, 2);
  }
  auto merged = Eit::decode(sections);
  ASSERT_TRUE(merged.ok()) << merged.error();
  EXPECT_EQ(merged->events, eit.events);
}

TEST(Eit, EncodeSectionRefusesOverflow) {
  Eit eit = present_section();
  eit.events.assign(20, maths_event());
  eit.events[0].descriptors.push_back(UnknownDescriptor{0x80, Bytes(255, 0)});
  for (auto& event : eit.events)
    event.descriptors.push_back(UnknownDescriptor{0x80, Bytes(200, 0)});
  EXPECT_THROW(eit.encode_section(), std::length_error);
}

TEST(Eit, RejectsBadTimesAndOverrunningLoops) {
  Bytes payload(kEitPresent.begin() + 8, kEitPresent.end() - 4);
  Bytes bad_time = payload;
  bad_time[10] = 0x7A;  // minutes nibble A
  auto e1 = Eit::decode(encode_long_section({0x4E, true, 404, 0, true, 0, 1}, bad_time));
  ASSERT_FALSE(e1.ok());
  EXPECT_NE(e1.error().find("EIT start_time"), std::string::npos) << e1.error();

  Bytes bad_duration = payload;
  bad_duration[14] = 0x99;  // 00:99:00 is no duration
  EXPECT_FALSE(
      Eit::decode(encode_long_section({0x4E, true, 404, 0, true, 0, 1}, bad_duration)).ok());

  Bytes overrun = payload;
  overrun[17] = 0x30;
  auto e2 = Eit::decode(encode_long_section({0x4E, true, 404, 0, true, 0, 1}, overrun));
  ASSERT_FALSE(e2.ok());
  EXPECT_NE(e2.error().find("EIT event 1: descriptors_loop_length 48"), std::string::npos)
      << e2.error();

  Bytes short_event_header = payload;
  short_event_header.resize(6 + 7);
  EXPECT_FALSE(
      Eit::decode(encode_long_section({0x4E, true, 404, 0, true, 0, 1}, short_event_header)).ok());
}

TEST(Eit, RejectsTruncatedBadCrcTableIdAndSectionNumber) {
  for (std::size_t size = 0; size < kEitPresent.size(); ++size) {
    ASSERT_FALSE(Eit::decode(ByteView(kEitPresent).first(size)).ok()) << size;
  }
  Bytes bad_crc = kEitPresent;
  bad_crc[40] ^= 0x04;
  EXPECT_FALSE(Eit::decode(bad_crc).ok());
  Bytes payload(kEitPresent.begin() + 8, kEitPresent.end() - 4);
  EXPECT_FALSE(Eit::decode(encode_long_section({0x70, true, 404}, payload)).ok());
  auto e = Eit::decode(encode_long_section({0x4E, true, 404, 0, true, 2, 1}, payload));
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().find("EIT: section_number 2 is above last_section_number 1"),
            std::string::npos)
      << e.error();
}

}  // namespace
}  // namespace skyclass::mux

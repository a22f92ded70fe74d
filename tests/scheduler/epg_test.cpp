#include "scheduler/epg.hpp"

#include <gtest/gtest.h>
#include <pugixml.hpp>

#include "scheduler/builder.hpp"
#include "tests/scheduler/media_fixture.hpp"

namespace skyclass::scheduler {
namespace {

Playlist sample_day() {
  Diagnostics d;
  static Timetable t = skyclass::testing::timetable_from(
      "day,start,end,grade,subject,title,media,description\n"
      "Mon,08:00:00,08:00:20,一年级,语文,《春夏秋冬》,lessons/short-8s.mp4,认识四季\n",
      d);
  static ChannelConfig c = [] {
    auto config = skyclass::testing::test_channel();
    config.fillers.push_back("fillers/loop-4s.mp4|循环|loop");
    return config;
  }();
  static MediaProbe probe(skyclass::testing::test_library(), "");
  ScheduleBuilder builder(t, c, probe, *parse_date("2020-02-17"));
  return builder.day(*parse_date("2020-02-17"));
}

TEST(Epg, EventsCarryTitleTextGenreAndCrid) {
  Playlist day = sample_day();
  auto events = epg_events({day});
  ASSERT_EQ(events.size(), day.items.size());
  auto lesson = std::find_if(events.begin(), events.end(), [](const EpgEvent& e) { return e.kind == ItemKind::lesson; });
  ASSERT_NE(lesson, events.end());
  EXPECT_EQ(lesson->title, "《春夏秋冬》");
  EXPECT_EQ(lesson->text, "一年级 · 语文：认识四季");
  EXPECT_EQ(lesson->content_nibbles, 0x54);
  EXPECT_EQ(lesson->duration_ms, 8000);
  EXPECT_EQ(lesson->crid.rfind("crid://cetv.cn/", 0), 0u);
}

TEST(Epg, XmltvHasOneProgrammePerItemInLocalTime) {
  Playlist day = sample_day();
  ChannelConfig config = skyclass::testing::test_channel();
  std::string xml = xmltv_document({day}, config);
  pugi::xml_document doc;
  ASSERT_TRUE(doc.load_string(xml.c_str()));
  auto tv = doc.child("tv");
  EXPECT_STREQ(tv.child("channel").child("display-name").text().get(), "CETV-4 空中课堂");
  std::size_t programmes = 0;
  pugi::xml_node lesson;
  for (auto p : tv.children("programme")) {
    ++programmes;
    if (std::string(p.attribute("start").value()) == "20200217080000 +0800") lesson = p;
  }
  EXPECT_EQ(programmes, day.items.size());
  ASSERT_TRUE(lesson);
  EXPECT_STREQ(lesson.attribute("stop").value(), "20200217080008 +0800");
  EXPECT_STREQ(lesson.child("title").text().get(), "《春夏秋冬》");
  EXPECT_STREQ(lesson.child("title").attribute("lang").value(), "zh");
  EXPECT_STREQ(lesson.child("sub-title").text().get(), "一年级 · 语文");
  EXPECT_STREQ(lesson.child("desc").text().get(), "认识四季");
  EXPECT_STREQ(lesson.child("category").text().get(), "教育");
  EXPECT_STREQ(tv.first_child().name(), "channel") << "the DTD wants channels before programmes";
}

}  // namespace
}  // namespace skyclass::scheduler

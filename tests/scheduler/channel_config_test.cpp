#include "scheduler/channel_config.hpp"

#include <fstream>

#include <gtest/gtest.h>

namespace skyclass::scheduler {
namespace {

std::filesystem::path write_ini(const std::string& name, const std::string& text) {
  auto path = std::filesystem::path(SKYCLASS_TEST_DATA_DIR) / name;
  std::ofstream(path) << text;
  return path;
}

std::string load_error(const std::filesystem::path& path) {
  try {
    load_channel_config(path);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "no error";
}

TEST(ChannelConfig, LoadsTheSampleChannel) {
  auto c = load_channel_config(std::filesystem::path(SKYCLASS_SOURCE_DIR) / "samples/channel.ini");
  EXPECT_EQ(c.name, "CETV-4 空中课堂");
  EXPECT_EQ(c.provider, "CETV");
  EXPECT_EQ(c.service_id, 404);
  EXPECT_EQ(c.pmt_pid, 0x100);
  EXPECT_EQ(c.utc_offset_min, 480);
  EXPECT_EQ(c.day_start_s, 6 * 3600);
  EXPECT_EQ(c.fillers.size(), 5u);
  EXPECT_EQ(c.video.bitrate_bps, 1'800'000u);
  EXPECT_EQ(c.muxrate_bps, 2'500'000u);
  EXPECT_EQ(c.delivery.system, "dvb-s2");
  EXPECT_EQ(c.frame_ms(), 40);
}

TEST(ChannelConfig, BadValueNamesFileLineAndKey) {
  auto path = write_ini("bad-pid.ini", "[channel]\nname = x\n\nvideo_pid = 0x2000\n");
  EXPECT_EQ(load_error(path), path.string() + ":4: channel.video_pid: expected a whole number "
                                              "0..8190 (decimal or 0x hex), got '0x2000'");
}

TEST(ChannelConfig, UnknownKeyNamesItsLine) {
  auto path = write_ini("unknown.ini", "[channel]\nname = x\n[schedule]\nday_strat = 06:00\n");
  std::string error = load_error(path);
  EXPECT_EQ(error.rfind(path.string() + ":4: schedule.day_strat: ", 0), 0u) << error;
}

TEST(ChannelConfig, HeadendSectionIsLeftToTheHeadend) {
  auto path = write_ini("headend.ini", "[channel]\nname = x\n[headend]\nplaylists = out/pl\n"
                                       "output = file:a.ts\noutput = file:b.ts\n");
  EXPECT_EQ(load_channel_config(path).name, "x");
  // Only [headend] is let through: an unknown key elsewhere is still an error.
  path = write_ini("headend-bad.ini", "[headend]\nplaylists = x\n[mux]\nmuxrate = 1\n");
  EXPECT_EQ(load_error(path), path.string() + ":4: mux.muxrate: unknown key");
}

TEST(ChannelConfig, RejectsOutOfRangeChoices) {
  auto path = write_ini("enc.ini", "[channel]\ntext_encoding = latin1\n");
  EXPECT_EQ(load_error(path), path.string() + ":2: channel.text_encoding: expected one of "
                                              "utf-8|gb2312, got 'latin1'");
  path = write_ini("tz.ini", "[channel]\ntimezone = Asia/Shanghai\n");
  EXPECT_NE(load_error(path).find(":2: channel.timezone: expected a UTC offset"), std::string::npos);
  path = write_ini("pcr.ini", "[mux]\npcr_interval_ms = 100\n");
  EXPECT_NE(load_error(path).find("mux.pcr_interval_ms: must be 20..40 ms"), std::string::npos);
}

TEST(ChannelConfig, MissingFileIsAClearError) {
  EXPECT_EQ(load_error("/nonexistent/channel.ini"), "/nonexistent/channel.ini: cannot open the channel config");
}

TEST(ChannelConfig, EveryKeyIsDocumentedInTheDeclaration) {
  ChannelConfig c;
  auto options = channel_config_options(c);
  for (const auto& option : options.options()) {
    EXPECT_FALSE(option->description().empty()) << option->long_name();
    EXPECT_NE(option->long_name().find('.'), std::string::npos) << "keys live in a [section]";
  }
  EXPECT_GE(options.options().size(), 40u);
}

}  // namespace
}  // namespace skyclass::scheduler

namespace skyclass::scheduler {
namespace {

// docs/channel-config.md embeds `skyclass-scheduler config`; a key added to the declaration must
// reach the docs in the same change.
TEST(ChannelConfig, DocsListEveryKey) {
  std::ifstream in(std::filesystem::path(SKYCLASS_SOURCE_DIR) / "docs/channel-config.md");
  ASSERT_TRUE(in);
  std::string docs((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  ChannelConfig c;
  auto declaration = channel_config_options(c);  // keep it alive while iterating its options
  for (const auto& option : declaration.options())
    EXPECT_NE(docs.find("--" + option->long_name() + " "), std::string::npos)
        << option->long_name() << " is missing from docs/channel-config.md";
}

}  // namespace
}  // namespace skyclass::scheduler

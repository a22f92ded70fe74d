// Issue 3 end to end: a 72 s 720x576 25p H.264 + MP2 clip remuxed by `skyclass-headend remux`
// at 2.5 Mbit/s with the sample channel.ini and the EIT of a day playlist from
// `skyclass-scheduler build`, then checked with real tools (ffprobe, mediainfo) and with the
// project's own decoders: every table, TR 101 211 repetition rates, the 25 ms section gap, the
// now/next switch, PCR interval and accuracy, and the CBR rate. The measured figures are printed
// ("measured:" lines) for docs/mux.md.
//
// The playlist is built against an empty media folder, so every lesson is a slate that keeps the
// lesson's title and slot: real 20-minute events without needing the sample library. The stream
// starts at 07:59:30 Beijing time, 30 s before 《春夏秋冬》, so the EIT present/following switches
// in the middle of it.
#include <gtest/gtest.h>

#include <cstdint>
#include <filesystem>
#include <iostream>
#include <map>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "headend/channel_si.hpp"
#include "mux/descriptors.hpp"
#include "scheduler/epg.hpp"
#include "scheduler/playlist.hpp"
#include "tests/headend/ts_probe.hpp"
#include "tests/integration/process.hpp"
#include "tools/samples/clip.hpp"

namespace skyclass::headend {
namespace {

namespace fs = std::filesystem;
using skyclass::testing::run;
using skyclass::testing::sh_quote;
using test::sections_of;

const fs::path kBin = SKYCLASS_BIN_DIR;
const fs::path kSource = SKYCLASS_SOURCE_DIR;
const fs::path kOut = fs::path(SKYCLASS_TEST_DATA_DIR) / "mux-remux";
const fs::path kClip = kOut / "lesson-72s.mp4";
const fs::path kTs = kOut / "lesson-72s.ts";
const fs::path kDay = kOut / "playlists" / "2020-02-17.json";
constexpr std::uint64_t kMuxrate = 2'500'000;
constexpr std::int64_t kStartUtcS = 1'581'897'570;   // 2020-02-16T23:59:30Z = 07:59:30 +08:00
constexpr std::int64_t kLessonUtcS = 1'581'897'600;  // 《春夏秋冬》 at 08:00 +08:00
constexpr std::uint16_t kPmtPid = 0x0100, kVideoPid = 0x0101, kAudioPid = 0x0102;
const std::set<std::uint16_t> kSiPids = {0x0000, 0x0010, 0x0011, 0x0012, 0x0014, kPmtPid};

void measured(const std::string& line) {
  std::cout << "measured: " << line << std::endl;
}

// Whole seconds since the start of the multiplex at the first byte of packet k (exact).
std::int64_t packet_second(std::uint64_t k) {
  return static_cast<std::int64_t>(k * 188 * 8 / kMuxrate);
}

class MuxRemux : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fs::remove_all(kOut);
    fs::create_directories(kOut / "empty-media");
    tools::ClipSpec spec;
    spec.relative_path = "lessons/0217/g1-yuwen.mp4";
    spec.kind = "lesson";
    spec.title = "《春夏秋冬》";
    spec.grade = "一年级";
    spec.subject = "语文";
    spec.duration_ms = 72'000;
    tools::write_clip(spec, kClip);

    scheduler_ = run((kBin / "skyclass-scheduler").string() + " build --timetable " +
                     sh_quote((kSource / "samples/week-2020-02-17.csv").string()) +
                     " --week-of 2020-02-17 --days 1 --config " +
                     sh_quote((kSource / "samples/channel.ini").string()) + " --media " +
                     sh_quote((kOut / "empty-media").string()) + " --out-dir " +
                     sh_quote((kOut / "playlists").string()));
    if (scheduler_.exit_code != 0) return;
    remux_ = run((kBin / "skyclass-headend").string() + " remux " + sh_quote(kClip.string()) + " " +
                 sh_quote(kTs.string()) + " --config " +
                 sh_quote((kSource / "samples/channel.ini").string()) + " --muxrate " +
                 std::to_string(kMuxrate) + " --events " + sh_quote(kDay.string()) +
                 " --start-utc 2020-02-16T23:59:30Z");
    if (remux_.exit_code != 0) return;
    ts_ = test::read_file_bytes(kTs.string());
    probe_ = test::probe_ts(ts_, kSiPids, kVideoPid);
    events_ = eit_events(scheduler::epg_events({scheduler::read_playlist(kDay)}), "chi");
  }

  static const mux::EpgEvent* event_at(std::int64_t utc_s) {
    for (const auto& e : events_)
      if (e.start_utc_s <= utc_s && utc_s < e.end_utc_s()) return &e;
    return nullptr;
  }
  static void require_output() {
    ASSERT_EQ(scheduler_.exit_code, 0) << scheduler_.err;
    ASSERT_EQ(remux_.exit_code, 0) << remux_.err;
    ASSERT_FALSE(ts_.empty());
  }

  static inline skyclass::testing::ProcessResult scheduler_, remux_;
  static inline test::Bytes ts_;
  static inline test::TsProbe probe_;
  static inline std::vector<mux::EpgEvent> events_;
};

TEST_F(MuxRemux, HeadendRemuxWritesTheWholeStream) {
  require_output();
  EXPECT_EQ(remux_.err, "");
  EXPECT_NE(remux_.out.find(fmt::format("{}: {} packets", kTs.string(), ts_.size() / 188)),
            std::string::npos)
      << remux_.out;
  EXPECT_EQ(ts_.size() % 188, 0u);
  EXPECT_EQ(probe_.errors, std::vector<std::string>{});
  const double seconds = static_cast<double>(ts_.size()) * 8 / kMuxrate;
  measured(fmt::format("{} packets = {:.3f} s at {} bit/s from a {} byte MP4", ts_.size() / 188,
                       seconds, kMuxrate, fs::file_size(kClip)));
  EXPECT_GT(seconds, 72.0);
  EXPECT_LT(seconds, 74.0);
}

TEST_F(MuxRemux, FfprobeSeesTheServiceAndBothStreamsWithoutWarnings) {
  require_output();
  const auto r = run("ffprobe -v warning -count_packets -show_programs -show_streams " +
                     sh_quote(kTs.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("TAG:service_name=CETV-4 空中课堂"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("TAG:service_provider=CETV"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("codec_name=h264"), std::string::npos);
  EXPECT_NE(r.out.find("codec_name=mp2"), std::string::npos);
  EXPECT_NE(r.out.find("nb_read_packets=1800"), std::string::npos) << "72 s x 25 fps, all read";
  EXPECT_NE(r.out.find("nb_read_packets=3000"), std::string::npos) << "72 s of 24 ms frames";
  for (const char* bad : {"Packet corrupt", "corrupt", "continuity", "discontinuity"}) {
    EXPECT_EQ(r.err.find(bad), std::string::npos) << bad << " in:\n" << r.err;
  }
  measured(fmt::format("ffprobe -v warning stderr: {} bytes", r.err.size()));
}

TEST_F(MuxRemux, FfmpegDecodesEveryPictureAndAudioFrameWithoutErrors) {
  require_output();
  const auto r =
      run("ffmpeg -nostdin -v error -i " + sh_quote(kTs.string()) + " -map 0:v -map 0:a -f null -");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err, "");
}

// mediainfo 23.04 (Debian 12) skips the Annex A selector byte and reads the rest as ISO 8859-1,
// so 0x15 UTF-8 text comes out as one Latin-1 character per byte. Mapping each code point back
// to a byte undoes that exactly; a mediainfo that decodes UTF-8 properly passes through.
std::string undo_latin1(const std::string& shown) {
  std::string bytes;
  for (std::size_t i = 0; i < shown.size();) {
    const auto c = static_cast<unsigned char>(shown[i]);
    if (c < 0x80) {
      bytes += shown[i++];
    } else if ((c & 0xE0) == 0xC0 && i + 1 < shown.size()) {
      bytes += static_cast<char>(((c & 0x1F) << 6) | (shown[i + 1] & 0x3F));
      i += 2;
    } else {
      return shown;  // code points above U+00FF: already real text
    }
  }
  return bytes;
}

TEST_F(MuxRemux, MediainfoListsThePresentAndFollowingEventsInChinese) {
  require_output();
  const auto r = run("mediainfo --Output=JSON " + sh_quote(kTs.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const auto json = nlohmann::json::parse(r.out);
  const nlohmann::json* menu = nullptr;
  for (const auto& track : json.at("media").at("track"))
    if (track.at("@type") == "Menu") menu = &track;
  ASSERT_NE(menu, nullptr) << r.out.substr(0, 2000);
  EXPECT_EQ(undo_latin1(menu->at("ServiceName").get<std::string>()), "CETV-4 空中课堂");
  EXPECT_EQ(menu->at("ServiceProvider"), "CETV");
  // Events are "extra" fields keyed by start time: "zh:TITLE / zh:TEXT / genre /  / HH:MM:SS /
  // status".
  std::map<std::string, std::string> by_start;
  for (const auto& [key, value] : menu->at("extra").items())
    if (key.ends_with("_UTC")) by_start[key] = undo_latin1(value.get<std::string>());
  const mux::EpgEvent* present = event_at(kStartUtcS);
  const mux::EpgEvent* following = event_at(kLessonUtcS);
  ASSERT_NE(present, nullptr);
  ASSERT_NE(following, nullptr);
  EXPECT_EQ(following->title, "《春夏秋冬》");
  EXPECT_EQ(present->title, "节目即将恢复");
  auto key_of = [](std::int64_t utc_s) {
    const std::string iso = scheduler::format_iso_utc(utc_s * 1000);  // 2020-02-17T00:00:00.000Z
    return fmt::format("_{}{}{}_{}_{}_{}_UTC", iso.substr(0, 4), iso.substr(5, 2), iso.substr(8, 2),
                       iso.substr(11, 2), iso.substr(14, 2), iso.substr(17, 2));
  };
  for (const mux::EpgEvent* e : {present, following}) {
    auto it = by_start.find(key_of(e->start_utc_s));
    ASSERT_NE(it, by_start.end()) << key_of(e->start_utc_s) << " missing from\n"
                                  << menu->at("extra").dump(1);
    EXPECT_EQ(it->second.rfind("zh:" + e->title + " / ", 0), 0u) << it->second;
    measured(fmt::format("mediainfo EIT {} = {}", it->first, it->second));
  }
  EXPECT_NE(by_start.at(key_of(following->start_utc_s))
                .find("informational/educational/school programmes"),
            std::string::npos);
  EXPECT_NE(by_start.at(key_of(following->start_utc_s)).find("00:20:00"), std::string::npos)
      << "the lesson's 20-minute slot";
  bool running = false;
  for (const mux::EpgEvent* e : {present, following})
    running |= by_start.at(key_of(e->start_utc_s)).ends_with("/ Running");
  EXPECT_TRUE(running) << "the present event is marked running (EIT p/f)";
}

// What the table type of a section says about it: "" when it decodes.
template <class Table>
std::string decode_error_as(const test::Bytes& bytes) {
  const auto table = Table::decode(bytes);
  return table.ok() ? std::string() : table.error();
}

std::string decode_error(const test::SectionRecord& s) {
  switch (s.table_id()) {
    case 0x00:
      return decode_error_as<mux::Pat>(s.bytes);
    case 0x02:
      return decode_error_as<mux::Pmt>(s.bytes);
    case 0x40:
      return decode_error_as<mux::Nit>(s.bytes);
    case 0x42:
      return decode_error_as<mux::Sdt>(s.bytes);
    case 0x4E:
    case 0x50:
    case 0x51:
      return decode_error_as<mux::Eit>(s.bytes);
    case 0x70:
      return decode_error_as<mux::Tdt>(s.bytes);
    case 0x73:
      return decode_error_as<mux::Tot>(s.bytes);
  }
  return fmt::format("unexpected table_id 0x{:02X} on PID 0x{:04X}", s.table_id(), s.pid);
}

TEST_F(MuxRemux, OwnDecodersReadBackEveryTable) {
  require_output();
  const auto pat = mux::Pat::decode(sections_of(probe_, 0x0000, 0x00).at(0)->bytes);
  ASSERT_TRUE(pat) << pat.error();
  EXPECT_EQ(pat->programs, (std::vector<mux::Pat::Program>{{0, 0x0010}, {404, kPmtPid}}));
  const auto pmt = mux::Pmt::decode(sections_of(probe_, kPmtPid, 0x02).at(0)->bytes);
  ASSERT_TRUE(pmt) << pmt.error();
  EXPECT_EQ(pmt->PCR_PID, kVideoPid);
  ASSERT_EQ(pmt->streams.size(), 2u);
  EXPECT_EQ(pmt->streams[0].stream_type, 0x1B);
  EXPECT_EQ(pmt->streams[1].stream_type, 0x03);
  const auto sdt = mux::Sdt::decode(sections_of(probe_, 0x0011, 0x42).at(0)->bytes);
  ASSERT_TRUE(sdt) << sdt.error();
  const auto* service =
      mux::find_descriptor<mux::ServiceDescriptor>(sdt->services.at(0).descriptors);
  ASSERT_NE(service, nullptr);
  EXPECT_EQ(service->service_name.utf8(), "CETV-4 空中课堂");
  const auto nit = mux::Nit::decode(sections_of(probe_, 0x0010, 0x40).at(0)->bytes);
  ASSERT_TRUE(nit) << nit.error();
  EXPECT_NE(mux::find_descriptor<mux::SatelliteDeliverySystemDescriptor>(
                nit->transport_streams.at(0).descriptors),
            nullptr);

  // Every section of every table decodes.
  std::map<std::uint8_t, std::size_t> decoded;
  for (const auto& s : probe_.sections) {
    EXPECT_EQ(decode_error(s), "");
    ++decoded[s.table_id()];
  }
  for (std::uint8_t table : {0x00, 0x02, 0x40, 0x42, 0x4E, 0x50, 0x51, 0x70, 0x73}) {
    EXPECT_GT(decoded[table], 0u) << fmt::format("table 0x{:02X}", table);
  }
  measured(
      fmt::format("sections decoded: PAT {} PMT {} NIT {} SDT {} EIT p/f {} EIT 0x50 {} "
                  "EIT 0x51 {} TDT {} TOT {}",
                  decoded[0x00], decoded[0x02], decoded[0x40], decoded[0x42], decoded[0x4E],
                  decoded[0x50], decoded[0x51], decoded[0x70], decoded[0x73]));

  // TDT and TOT carry the UTC second of the slot they are sent in.
  for (const auto* s : sections_of(probe_, 0x0014, 0x70)) {
    EXPECT_EQ(mux::Tdt::decode(s->bytes)->UTC_time_s, kStartUtcS + packet_second(s->first_packet));
  }
  for (const auto* s : sections_of(probe_, 0x0014, 0x73)) {
    const auto tot = mux::Tot::decode(s->bytes);
    EXPECT_EQ(tot->UTC_time_s, kStartUtcS + packet_second(s->first_packet));
    const auto* lto = mux::find_descriptor<mux::LocalTimeOffsetDescriptor>(tot->descriptors);
    ASSERT_NE(lto, nullptr);
    EXPECT_EQ(lto->regions.at(0).country_code, "CHN");
    EXPECT_EQ(lto->regions.at(0).local_time_offset_min, 480);
  }
}

// EIT schedule segments (EN 300 468 5.2.4, TS 101 211 4.1.4): segment s of a table holds
// sections 8s .. segment_last_section_number; the table is complete when every segment is.
TEST_F(MuxRemux, EitScheduleTablesAreCompleteAndCarryTheDay) {
  require_output();
  int complete_tables = 0;
  std::set<std::uint16_t> scheduled;
  for (std::uint8_t table_id : {0x50, 0x51}) {
    std::map<std::uint8_t, std::map<std::uint8_t, mux::Eit>> by_version;  // version -> section
    for (const auto* s : sections_of(probe_, 0x0012, table_id)) {
      auto eit = mux::Eit::decode(s->bytes);
      ASSERT_TRUE(eit) << eit.error();
      by_version[eit->version_number][eit->section_number] = *eit;
    }
    for (const auto& [version, sections] : by_version) {
      const std::uint8_t last = sections.begin()->second.last_section_number;
      bool complete = true;
      for (int segment = 0; segment * 8 <= last; ++segment) {
        auto first = sections.find(static_cast<std::uint8_t>(segment * 8));
        if (first == sections.end()) {
          complete = false;
          break;
        }
        for (int n = segment * 8; n <= first->second.segment_last_section_number; ++n)
          complete &= sections.count(static_cast<std::uint8_t>(n)) == 1;
      }
      if (!complete) continue;
      ++complete_tables;
      for (const auto& [number, eit] : sections)
        for (const auto& e : eit.events) scheduled.insert(e.event_id);
    }
  }
  EXPECT_GE(complete_tables, 2) << "0x50 and 0x51 each complete at least once";
  const mux::EpgEvent* lesson = event_at(kLessonUtcS);
  ASSERT_NE(lesson, nullptr);
  EXPECT_TRUE(scheduled.count(lesson->event_id));
  std::size_t day_events = 0;
  for (const auto& e : events_) day_events += scheduled.count(e.event_id);
  EXPECT_EQ(day_events, events_.size()) << "every event of the playlist is in the schedule";
  measured(fmt::format("EIT schedule: {} complete tables, {} of {} playlist events",
                       complete_tables, day_events, events_.size()));
}

TEST_F(MuxRemux, RepetitionIntervalsMeetTr101211AndSectionsKeep25ms) {
  require_output();
  struct Limit {
    const char* name;
    std::uint16_t pid;
    std::uint8_t table_id;
    double max_s;
  };
  const Limit limits[] = {{"PAT", 0x0000, 0x00, 0.1},
                          {"PMT", kPmtPid, 0x02, 0.1},
                          {"SDT", 0x0011, 0x42, 2.0},
                          {"EIT p/f", 0x0012, 0x4E, 2.0},
                          {"NIT", 0x0010, 0x40, 10.0},
                          {"EIT sched 0x50", 0x0012, 0x50, 10.0},
                          {"EIT sched 0x51", 0x0012, 0x51, 10.0},
                          {"TDT", 0x0014, 0x70, 30.0},
                          {"TOT", 0x0014, 0x73, 30.0}};
  for (const Limit& l : limits) {
    const auto sections = sections_of(probe_, l.pid, l.table_id);
    const test::RepetitionFigures f = test::repetition_of(sections, kMuxrate);
    measured(
        fmt::format("{:<15} {:5} sections, max repetition {:7.3f} s (limit {:g} s), "
                    "min gap between sections of the sub-table {:7.1f} ms",
                    l.name, f.sections, f.max_interval_s, l.max_s, f.min_gap_s * 1000));
    if (f.version_changes > 0) {
      measured(fmt::format(
          "{:<15} {} version change(s): new version complete {:.3f} s after its "
          "first section; longest gap of one section number across the change "
          "{:.3f} s",
          l.name, f.version_changes, f.max_version_completion_s, f.max_cross_version_gap_s));
    }
    EXPECT_GT(f.sections, 0u) << l.name;
    EXPECT_LE(f.max_interval_s, l.max_s) << l.name;
    EXPECT_LE(f.max_version_completion_s, l.max_s) << l.name;
    EXPECT_GE(f.min_gap_s, 0.025) << l.name;
  }
}

TEST_F(MuxRemux, PresentFollowingMatchesThePlaylistAndSwitchesAtTheBoundary) {
  require_output();
  double switch_delay_ms = -1;
  int checked = 0;
  for (const auto* s : sections_of(probe_, 0x0012, 0x4E)) {
    const auto eit = mux::Eit::decode(s->bytes);
    ASSERT_TRUE(eit) << eit.error();
    const std::int64_t now_s = kStartUtcS + packet_second(s->first_packet);
    const mux::EpgEvent* expected =
        eit->section_number == 0 ? event_at(now_s) : event_at(event_at(now_s)->end_utc_s());
    ASSERT_EQ(eit->events.size(), 1u);
    EXPECT_EQ(eit->events[0].event_id, expected->event_id)
        << "section " << int(eit->section_number) << " at " << now_s;
    EXPECT_EQ(eit->events[0].running_status, eit->section_number == 0 ? 4 : 1);
    const auto* title = mux::find_descriptor<mux::ShortEventDescriptor>(eit->events[0].descriptors);
    ASSERT_NE(title, nullptr);
    EXPECT_EQ(title->event_name.utf8(), expected->title);
    if (switch_delay_ms < 0 && eit->section_number == 0 && now_s >= kLessonUtcS) {
      switch_delay_ms =
          (test::packet_time_s(s->first_packet, kMuxrate) - double(kLessonUtcS - kStartUtcS)) *
          1000;
      EXPECT_EQ(title->event_name.utf8(), "《春夏秋冬》");
    }
    ++checked;
  }
  measured(
      fmt::format("EIT p/f: {} sections checked against the playlist; present switched to "
                  "《春夏秋冬》 {:.1f} ms after its start",
                  checked, switch_delay_ms));
  EXPECT_GE(switch_delay_ms, 0.0);
  EXPECT_LT(switch_delay_ms, 100.0);
}

TEST_F(MuxRemux, PcrIntervalAccuracyAndRate) {
  require_output();
  const test::PcrFigures f = test::pcr_figures(probe_.pcrs);
  const double rate_error = (f.rate_bps - double(kMuxrate)) / double(kMuxrate);
  measured(
      fmt::format("PCR: {} values on PID 0x{:04X}, max interval {:.3f} ms, max deviation from "
                  "the fitted line {:.1f} ns, rate {:.3f} bit/s ({:+.6f} % of {})",
                  f.count, kVideoPid, f.max_interval_ms, f.max_deviation_ns, f.rate_bps,
                  rate_error * 100, kMuxrate));
  EXPECT_GT(f.count, 1800u);
  EXPECT_LE(f.max_interval_ms, 40.0);
  EXPECT_LT(f.max_deviation_ns, 50.0);
  EXPECT_LT(std::abs(rate_error), 1e-4);
}

}  // namespace
}  // namespace skyclass::headend

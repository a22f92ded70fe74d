// Issue 4 end to end: `skyclass-headend play` on real playlists and generated media, the stream
// checked with the project's decoders (tests/integration/stream_check.hpp), libavcodec and
// ffprobe, the as-run log checked against the playlists.
//
//  - PlayoutDay: the sample week's Monday from the scheduler, in virtual time, from the broadcast
//    day's start across midnight and on into Tuesday's playlist, on a library at 128x72 so that
//    a whole day fits in CI. Streamed through a pipe (a day at the muxrate is gigabytes).
//  - PlayoutBadInput: a hand-written day of the generator's special clips (corrupt, missing,
//    truncated, no audio, mono 44.1 kHz, 4:3, 720p30 AAC) at the real 720x576 house format.
//  - PlayoutRestart: a run killed (SIGKILL) in the middle of a lesson and started again at the
//    time it reached: the second run joins the lesson at its offset, proven by the frame code
//    burnt into the lesson's pictures.
//  - PlayoutSignal: the real clock, SIGTERM: the as-run is complete and the file ends on a packet.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "headend/av_raii.hpp"
#include "scheduler/civil_time.hpp"
#include "scheduler/playlist.hpp"
#include "tests/integration/process.hpp"
#include "tests/integration/stream_check.hpp"
#include "tools/samples/picture.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
}

namespace skyclass::headend {
namespace {

namespace fs = std::filesystem;
using nlohmann::json;
using skyclass::testing::run;
using skyclass::testing::sh_quote;

const fs::path kBin = SKYCLASS_BIN_DIR;
const fs::path kSource = SKYCLASS_SOURCE_DIR;
const fs::path kOut = fs::path(SKYCLASS_TEST_DATA_DIR) / "playout";
const fs::path kSmallLibrary = SKYCLASS_SAMPLES_SMALL;  // 720x576, clips at 1/100
const fs::path kTinyLibrary = SKYCLASS_SAMPLES_TINY;    // 128x72, clips at 1/100

void measured(const std::string& line) { std::cout << "measured: " << line << std::endl; }

std::vector<json> read_json_lines(const fs::path& file) {
  std::vector<json> lines;
  std::ifstream in(file);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) lines.push_back(json::parse(line));
  }
  return lines;
}

std::int64_t utc_ms(const std::string& iso) {
  auto ms = scheduler::parse_iso_to_utc_ms(iso);
  if (!ms) throw std::runtime_error("not a time: " + iso);
  return *ms;
}

// samples/channel.ini with some keys set ("section.key" -> value): replaced where the file has
// them, added at the end of their section where it does not.
fs::path channel_ini(const fs::path& file, const std::map<std::string, std::string>& changes) {
  std::ifstream in(kSource / "samples/channel.ini");
  std::ofstream out(file);
  std::map<std::string, std::string> left = changes;
  std::string line, section;
  auto add_missing = [&] {
    for (auto it = left.begin(); it != left.end();) {
      if (it->first.starts_with(section + ".")) {
        out << it->first.substr(section.size() + 1) << " = " << it->second << "\n";
        it = left.erase(it);
      } else {
        ++it;
      }
    }
  };
  while (std::getline(in, line)) {
    if (line.starts_with("[")) {
      add_missing();
      section = line.substr(1, line.find(']') - 1);
    }
    const auto eq = line.find('=');
    if (eq != std::string::npos && !line.starts_with("#")) {
      std::string key = line.substr(0, eq);
      key.erase(key.find_last_not_of(" \t") + 1);
      auto it = left.find(section + "." + key);
      if (it != left.end()) {
        line = key + " = " + it->second;
        left.erase(it);
      }
    }
    out << line << "\n";
  }
  add_missing();
  return file;
}

// Runs `command`, reading its stdout (the transport stream) into `check` as it comes.
int stream_into(const std::string& command, testing::StreamCheck& check) {
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("cannot run " + command);
  std::vector<std::uint8_t> buffer(188 * 2048);
  std::size_t filled = 0;
  for (;;) {
    const std::size_t n = std::fread(buffer.data() + filled, 1, buffer.size() - filled, pipe);
    if (n == 0) break;
    filled += n;
    const std::size_t whole = filled / 188 * 188;
    check.feed(buffer.data(), whole);
    std::copy(buffer.begin() + whole, buffer.begin() + filled, buffer.begin());
    filled -= whole;
  }
  if (filled != 0) check.fail(fmt::format("the stream ends with {} bytes of a packet", filled));
  check.finish();
  const int status = ::pclose(pipe);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string headend() { return sh_quote((kBin / "skyclass-headend").string()); }

// ---- the sample day ------------------------------------------------------------------------

class PlayoutDay : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fs::remove_all(kOut / "day");
    fs::create_directories(kOut / "day");
    config_ = channel_ini(kOut / "day/channel.ini",
                          {{"video.width", "128"}, {"video.height", "72"},
                           {"video.bitrate_bps", "100000"}, {"video.preset", "ultrafast"},
                           {"video.threads", "1"}, {"audio.bitrate_bps", "96000"},
                           {"mux.muxrate_bps", "700000"}});
    const auto built = run(
        (kBin / "skyclass-scheduler").string() + " build --timetable " +
        sh_quote((kSource / "samples/week-2020-02-17.csv").string()) +
        " --week-of 2020-02-17 --days 2 --config " + sh_quote(config_.string()) + " --media " +
        sh_quote(kTinyLibrary.string()) + " --out-dir " + sh_quote((kOut / "day/playlists").string()));
    ASSERT_EQ(built.exit_code, 0) << built.err;
    for (const char* day : {"2020-02-17", "2020-02-18"}) {
      days_.push_back(scheduler::read_playlist(kOut / "day/playlists" / (std::string(day) + ".json")));
    }
    check_ = new testing::StreamCheck(testing::StreamCheckConfig{700'000, 0x0101, 0x0102, 0x0101,
                                                                 3600, 2160, 288});
    // ffprobe reads the whole day too, from a second output (a FIFO), as a peer check.
    const fs::path fifo = kOut / "day/probe.fifo";
    ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
    std::thread probe([fifo] {
      probe_ = run("ffprobe -v warning -count_packets -show_entries stream=codec_name,nb_read_packets "
                   "-show_entries program_tags=service_name -of compact -f mpegts -i " +
                   sh_quote(fifo.string()));
    });
    // ... and so does the project's TR 101 290 monitor, from a third output.
    const fs::path monitor_fifo = kOut / "day/tsmon.fifo";
    ASSERT_EQ(::mkfifo(monitor_fifo.c_str(), 0600), 0);
    std::thread monitor([monitor_fifo] {
      tsmon_ = run(sh_quote((kBin / "skyclass-tsmon").string()) + " " +
                   sh_quote(monitor_fifo.string()) + " --json");
    });
    const auto start = std::chrono::steady_clock::now();
    exit_code_ = stream_into(
        headend() + " play --config " + sh_quote(config_.string()) + " --playlists " +
            sh_quote((kOut / "day/playlists").string()) + " --media " +
            sh_quote(kTinyLibrary.string()) + " --clock virtual --start " +
            std::string(kStart) + " --duration " + std::string(kDuration) + " --asrun " +
            sh_quote((kOut / "day/asrun.jsonl").string()) + " --status " +
            sh_quote((kOut / "day/status.json").string()) + " --output file:/dev/stdout" +
            " --output file:" + sh_quote(fifo.string()) +
            " --output file:" + sh_quote(monitor_fifo.string()),
        *check_);
    probe.join();
    monitor.join();
    wall_s_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    asrun_ = read_json_lines(kOut / "day/asrun.jsonl");
  }
  static void TearDownTestSuite() { delete check_; }

  static constexpr const char* kStart = "2020-02-17T06:00:00+08:00";
  static constexpr const char* kDuration = "24h10m";
  static constexpr std::int64_t kDurationMs = (24 * 60 + 10) * 60'000LL;
  static inline fs::path config_;
  static inline std::vector<scheduler::Playlist> days_;
  static inline testing::StreamCheck* check_ = nullptr;
  static inline int exit_code_ = -1;
  static inline double wall_s_ = 0;
  static inline std::vector<json> asrun_;
  static inline testing::ProcessResult probe_;
  static inline testing::ProcessResult tsmon_;

  // Every playlist item that starts inside the run, in order.
  static std::vector<const scheduler::PlaylistItem*> items_in_run() {
    const std::int64_t start = utc_ms(kStart), end = start + kDurationMs;
    std::vector<const scheduler::PlaylistItem*> items;
    for (const auto& day : days_)
      for (const auto& item : day.items)
        if (item.start_utc_ms >= start && item.start_utc_ms < end) items.push_back(&item);
    return items;
  }
};

TEST_F(PlayoutDay, RunsTheWholeDayIntoTheNextPlaylist) {
  ASSERT_EQ(exit_code_, 0);
  measured(fmt::format("playout day: {:.0f} s wall for {} ms of virtual time ({:.0f}x real time), "
                       "{} packets, {} video frames",
                       wall_s_, kDurationMs, kDurationMs / 1000.0 / wall_s_, check_->packets,
                       check_->video_frames()));
  EXPECT_EQ(check_->video_frames(), kDurationMs / 40);
  EXPECT_EQ(check_->error_count, 0u) << fmt::format("{}", fmt::join(check_->errors, "\n"));
}

TEST_F(PlayoutDay, FfprobeReadsTheWholeDayCleanly) {
  EXPECT_EQ(probe_.exit_code, 0) << probe_.err;
  // ffprobe says once that it has no decoder for the EIT's data stream (AV_CODEC_ID_EPG); any
  // other line (packet corrupt, continuity, timestamps) is a finding.
  const std::string warnings =
      std::regex_replace(probe_.err, std::regex("Unsupported codec with id 98306 for input stream [0-9]+\n"), "");
  EXPECT_EQ(warnings, "") << "ffprobe warnings";
  EXPECT_NE(probe_.out.find("service_name=CETV-4 空中课堂"), std::string::npos) << probe_.out;
  EXPECT_NE(probe_.out.find(fmt::format("codec_name=h264|nb_read_packets={}", kDurationMs / 40)),
            std::string::npos)
      << probe_.out;
  EXPECT_NE(probe_.out.find("codec_name=mp2|nb_read_packets="), std::string::npos) << probe_.out;
  measured("playout day: ffprobe: " + probe_.out);
}

TEST_F(PlayoutDay, EveryTr101290IndicatorIsZeroAllDay) {
  ASSERT_EQ(tsmon_.exit_code, 0) << tsmon_.err;
  const json summary = json::parse(tsmon_.out);
  ASSERT_EQ(summary["tr101290"].size(), 23u);
  for (const auto& [id, count] : summary["tr101290"].items()) EXPECT_EQ(count, 0) << id;
  EXPECT_EQ(summary["input"]["packets"].get<std::uint64_t>(), check_->packets);
  EXPECT_EQ(summary["input"]["timing"], "pcr");
  measured("playout day: tsmon " + summary["input"]["packets"].dump() + " packets, " +
           summary["duration_s"].dump() + " s, all 23 TR 101 290 indicators 0");
}

TEST_F(PlayoutDay, PcrIsExactlyNominalAndFrequent) {
  EXPECT_GT(check_->pcrs, kDurationMs / 40);
  EXPECT_EQ(check_->pcr_off_nominal, 0u);
  EXPECT_LE(check_->max_pcr_gap_packets * 188 * 8 * 1000 / 700'000, 40u);
  measured(fmt::format("playout day: {} PCRs, all on the nominal rate; longest PCR gap {} packets",
                       check_->pcrs, check_->max_pcr_gap_packets));
}

TEST_F(PlayoutDay, AudioAndVideoStayInSync) {
  ASSERT_TRUE(check_->first_audio_pts && check_->video_pts_base);
  const std::int64_t av = *check_->first_audio_pts - *check_->video_pts_base;
  EXPECT_LE(std::abs(av), 2160) << "audio starts " << av << " ticks from video";
  // Audio frames cover exactly the video's time, within one frame.
  const std::int64_t video_90k = check_->video_frames() * 3600;
  const std::int64_t audio_90k = check_->audio_frames * 2160;
  EXPECT_LE(std::abs(video_90k - audio_90k), 2160 * 2);
  const json status = json::parse(std::ifstream(kOut / "day/status.json"));
  EXPECT_EQ(status["encoder"]["av_offset_samples"], 0);
  measured(fmt::format("playout day: first audio PTS {} ticks from first video PTS; {} audio frames "
                       "for {} video frames ({} ticks apart at the end)",
                       av, check_->audio_frames, check_->video_frames(), video_90k - audio_90k));
}

TEST_F(PlayoutDay, NoVideoGapLongerThanAFrame) {
  // One frame at 700 kbit/s: 18.6 packets.
  EXPECT_LE(check_->max_video_gap_packets, 18u);
}

TEST_F(PlayoutDay, AsRunListsEveryItemInOrderOnItsFrame) {
  const auto items = items_in_run();
  ASSERT_EQ(asrun_.size(), items.size());
  const std::int64_t origin = utc_ms(kStart);
  std::size_t hard = 0;
  for (std::size_t i = 0; i < items.size(); ++i) {
    const json& line = asrun_[i];
    const auto& item = *items[i];
    SCOPED_TRACE(fmt::format("item {}: {} {}", i, item.title, line.dump()));
    EXPECT_EQ(utc_ms(line["scheduled_utc"]), item.start_utc_ms);
    EXPECT_EQ(utc_ms(line["actual_utc"]), item.start_utc_ms);
    EXPECT_EQ(line["event_id"], item.event_id);
    EXPECT_EQ(line["media"], item.media);
    EXPECT_EQ(line["outcome"], item.media_facts && !item.loop &&
                                       item.media_facts->duration_ms > item.out_ms
                                   ? "cut"
                                   : "played");
    const std::int64_t end = std::min(item.end_utc_ms(), origin + kDurationMs);
    EXPECT_EQ(line["duration_ms"], end - item.start_utc_ms);
    hard += item.hard_start;
  }
  measured(fmt::format("playout day: {} items in the as-run, {} hard starts, all on their frame",
                       asrun_.size(), hard));
}

TEST_F(PlayoutDay, EveryItemStartsWithAnIdrOnItsScheduledFrame) {
  const std::set<std::int64_t> key_frames(check_->key_frame_pts.begin(), check_->key_frame_pts.end());
  const std::int64_t base = *check_->video_pts_base;
  const std::int64_t origin = utc_ms(kStart);
  for (const json& line : asrun_) {
    const std::int64_t pts = line["first_pts_90k"];
    const std::int64_t scheduled = utc_ms(line["scheduled_utc"]);
    EXPECT_TRUE(key_frames.contains(pts)) << line.dump();
    // The IDR's place in the stream is the scheduled time, to the frame.
    EXPECT_EQ(pts - base, (scheduled - origin) * 90) << line.dump();
  }
}

TEST_F(PlayoutDay, EitPresentIsTheItemOnAirAtEveryBoundary) {
  // At each item's first frame (its PTS, on the PCR's clock), the EIT p/f present event is that
  // item, or becomes it within 2 s (one p/f repetition, 1.5 s). EIT times are whole seconds, so
  // an item that starts at x.440 s may switch up to 440 ms early.
  const std::uint64_t origin_27mhz = *check_->first_pcr_27mhz;
  const std::uint64_t two_seconds = 2 * 700'000 / 8 / 188;
  const auto& changes = check_->present;
  std::size_t checked = 0, j = 0;
  for (const json& line : asrun_) {
    if (line["duration_ms"].get<std::int64_t>() < 2000) continue;  // may be skipped by p/f
    const std::uint64_t at_27mhz = line["first_pts_90k"].get<std::uint64_t>() * 300 - origin_27mhz;
    const std::uint64_t packet = at_27mhz * 700'000 / 8 / 188 / 27'000'000;
    while (j + 1 < changes.size() && changes[j + 1].packet <= packet) ++j;
    const bool now = changes[j].event_id == line["event_id"];
    const bool soon = j + 1 < changes.size() && changes[j + 1].packet <= packet + two_seconds &&
                      changes[j + 1].event_id == line["event_id"];
    EXPECT_TRUE(now || soon) << line.dump() << " present at the boundary: " << changes[j].event_id;
    ++checked;
  }
  EXPECT_GT(checked, 100u);
  measured(fmt::format("playout day: EIT present checked at {} item boundaries ({} changes)",
                       checked, changes.size()));
}

// ---- bad input -----------------------------------------------------------------------------

scheduler::PlaylistItem clip_item(std::int64_t start, std::int64_t duration_ms,
                                  scheduler::ItemKind kind, std::string title, std::string media,
                                  std::uint16_t event_id) {
  scheduler::PlaylistItem item;
  item.start_utc_ms = start;
  item.duration_ms = duration_ms;
  item.kind = kind;
  item.title = std::move(title);
  item.media = std::move(media);
  item.out_ms = duration_ms;
  item.event_id = event_id;
  item.hard_start = kind == scheduler::ItemKind::lesson;
  return item;
}

// One broadcast day whose first items are `items` (from the day's start), then the slate.
scheduler::Playlist hand_day(std::int64_t day_start_utc_ms,
                             std::vector<std::pair<std::string, std::int64_t>> clips) {
  scheduler::Playlist day;
  day.channel = "CETV-4";
  day.service_id = 404;
  day.date = *scheduler::parse_date("2020-02-17");
  day.utc_offset_min = 480;
  day.start_utc_ms = day_start_utc_ms;
  day.duration_ms = 24 * 3600 * 1000LL;
  std::int64_t t = day_start_utc_ms;
  std::uint16_t id = 1;
  for (auto& [media, ms] : clips) {
    day.items.push_back(clip_item(t, ms, scheduler::ItemKind::lesson,
                                  fmt::format("第{}课 {}", id, fs::path(media).stem().string()),
                                  media, id));
    t += ms;
    ++id;
  }
  day.items.push_back(clip_item(t, day.end_utc_ms() - t, scheduler::ItemKind::slate, "节目即将恢复",
                                "slate/slate.mp4", id));
  day.items.back().loop = true;
  return day;
}

TEST(PlayoutBadInput, EveryBrokenClipBecomesTheSlateAndTheStreamGoesOn) {
  const fs::path dir = kOut / "bad";
  fs::remove_all(dir);
  fs::create_directories(dir / "playlists");
  std::ofstream(dir / "not-media.mp4", std::ios::trunc) << "this is not a media file\n";
  const std::int64_t day_start = utc_ms("2020-02-16T22:00:00Z");
  scheduler::Playlist day = hand_day(
      day_start, {{"special/corrupt.mp4", 3000},
                  {"lessons/missing.mp4", 2000},
                  {"special/no-audio.mp4", 1200},  // the whole clip
                  {"special/sd-640x360-mono44k.mp4", 3000},
                  {"special/truncated.mp4", 1200},  // what its header claims
                  {"special/4x3-lesson.mp4", 2000},
                  {"special/hd-720p30-aac.mp4", 2000},
                  {(dir / "not-media.mp4").string(), 2000}});
  scheduler::write_playlist(day, dir / "playlists");
  const fs::path ts = dir / "bad.ts", asrun = dir / "asrun.jsonl";
  const auto r = run(headend() + " play --config " + sh_quote((kSource / "samples/channel.ini").string()) +
                     " --playlists " + sh_quote((dir / "playlists").string()) + " --media " +
                     sh_quote(kSmallLibrary.string()) +
                     " --clock virtual --start 2020-02-17T06:00:00+08:00 --duration 19s --asrun " +
                     sh_quote(asrun.string()) + " --output file:" + sh_quote(ts.string()));
  ASSERT_EQ(r.exit_code, 0) << r.err;

  const auto lines = read_json_lines(asrun);
  ASSERT_EQ(lines.size(), 9u);
  std::map<std::string, json> by_media;
  for (const json& l : lines) by_media[l["media"]] = l;
  auto outcome = [&](const std::string& media) { return by_media.at(media)["outcome"].get<std::string>(); };
  auto reason = [&](const std::string& media) { return by_media.at(media)["reason"].get<std::string>(); };
  EXPECT_EQ(outcome("special/corrupt.mp4"), "slate") << reason("special/corrupt.mp4");
  EXPECT_NE(reason("special/corrupt.mp4").find("corrupt.mp4"), std::string::npos);
  EXPECT_EQ(outcome("lessons/missing.mp4"), "slate");
  EXPECT_NE(reason("lessons/missing.mp4").find("missing.mp4"), std::string::npos);
  EXPECT_EQ(outcome("special/no-audio.mp4"), "played") << reason("special/no-audio.mp4");
  EXPECT_EQ(outcome("special/sd-640x360-mono44k.mp4"), "played");
  EXPECT_EQ(outcome("special/truncated.mp4"), "fallback") << reason("special/truncated.mp4");
  EXPECT_NE(reason("special/truncated.mp4").find("truncated.mp4"), std::string::npos);
  EXPECT_EQ(outcome("special/4x3-lesson.mp4"), "played");
  EXPECT_EQ(outcome("special/hd-720p30-aac.mp4"), "played");
  EXPECT_EQ(outcome((dir / "not-media.mp4").string()), "slate");
  for (const json& l : lines) {
    std::cout << "as-run: " << l.dump() << "\n";
    EXPECT_EQ(utc_ms(l["actual_utc"]), utc_ms(l["scheduled_utc"]));
  }

  // The stream never breaks: continuity, PCR, one picture per frame, audio continuous.
  testing::StreamCheck check(testing::StreamCheckConfig{});
  {
    std::ifstream in(ts, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    check.feed(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size());
    EXPECT_EQ(bytes.size() % 188, 0u);
  }
  check.finish();
  EXPECT_EQ(check.error_count, 0u) << fmt::format("{}", fmt::join(check.errors, "\n"));
  EXPECT_EQ(check.video_frames(), 19'000 / 40);
  EXPECT_EQ(check.pcr_off_nominal, 0u);

  // ffprobe reads it cleanly.
  const auto probe = run("ffprobe -v warning -show_entries stream=codec_name -of csv " + sh_quote(ts.string()));
  EXPECT_EQ(probe.exit_code, 0);
  EXPECT_NE(probe.out.find("h264"), std::string::npos);
  EXPECT_NE(probe.out.find("mp2"), std::string::npos);
  EXPECT_EQ(probe.err.find("corrupt"), std::string::npos) << probe.err;
  EXPECT_EQ(probe.err.find("discontinuity"), std::string::npos) << probe.err;
}

// ---- restart -------------------------------------------------------------------------------

// The source frame code of the first picture of a transport stream (decoded with libavcodec).
std::optional<std::int64_t> first_frame_code(const fs::path& ts) {
  AVFormatContext* raw = nullptr;
  if (avformat_open_input(&raw, ts.c_str(), nullptr, nullptr) < 0) return std::nullopt;
  av::InputFormatPtr input(raw);
  if (avformat_find_stream_info(input.get(), nullptr) < 0) return std::nullopt;
  const int index = av_find_best_stream(input.get(), AVMEDIA_TYPE_VIDEO, -1, -1, nullptr, 0);
  if (index < 0) return std::nullopt;
  const AVCodec* codec = avcodec_find_decoder(input->streams[index]->codecpar->codec_id);
  av::CodecContextPtr decoder(avcodec_alloc_context3(codec));
  avcodec_parameters_to_context(decoder.get(), input->streams[index]->codecpar);
  if (avcodec_open2(decoder.get(), codec, nullptr) < 0) return std::nullopt;
  av::PacketPtr packet = av::make_packet();
  av::FramePtr frame(av_frame_alloc());
  while (av_read_frame(input.get(), packet.get()) >= 0) {
    if (packet->stream_index == index && avcodec_send_packet(decoder.get(), packet.get()) >= 0 &&
        avcodec_receive_frame(decoder.get(), frame.get()) >= 0) {
      return tools::read_frame_code(*frame, tools::frame_code_layout(frame->width, frame->height));
    }
    av_packet_unref(packet.get());
  }
  return std::nullopt;
}

TEST(PlayoutRestart, ResumesAtTheRightItemAndOffset) {
  const fs::path dir = kOut / "restart";
  fs::remove_all(dir);
  fs::create_directories(dir / "playlists");
  // Run 1 is on the real clock (its status then follows wall time, so the test can stop it
  // inside the lesson however busy the machine is): the day starts now.
  const std::int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                                  std::chrono::system_clock::now().time_since_epoch())
                                  .count();
  const std::int64_t day_start = now_ms / 40 * 40;
  // An 11 s lesson (its clip is 11.68 s) after 4 s of ident.
  scheduler::Playlist day = hand_day(day_start, {{"ident/cetv4-ident.mp4", 4000}});
  const fs::path lesson = *std::find_if(fs::recursive_directory_iterator(kSmallLibrary / "lessons"),
                                        fs::recursive_directory_iterator(), [](const auto& e) {
                                          return e.path().extension() == ".mp4";
                                        });
  day.items.insert(day.items.end() - 1,
                   clip_item(day_start + 4000, 11'000, scheduler::ItemKind::lesson, "春夏秋冬",
                             fs::relative(lesson, kSmallLibrary).string(), 7));
  day.items.back().start_utc_ms = day_start + 15'000;
  day.items.back().duration_ms = day.end_utc_ms() - day.items.back().start_utc_ms;
  scheduler::write_playlist(day, dir / "playlists");
  const std::string common = headend() + " play --config " +
                             sh_quote((kSource / "samples/channel.ini").string()) + " --playlists " +
                             sh_quote((dir / "playlists").string()) + " --media " +
                             sh_quote(kSmallLibrary.string()) + " --asrun " +
                             sh_quote((dir / "asrun.jsonl").string());

  // Run 1: open-ended; killed with SIGKILL once its status shows it inside the lesson.
  const fs::path status = dir / "status.json";
  const std::string first = common + " --clock real --status " +
                            sh_quote(status.string()) + " --output file:" +
                            sh_quote((dir / "run1.ts").string());
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", ("exec " + first + " 2>/dev/null").c_str(), nullptr);
    ::_exit(127);
  }
  std::int64_t reached = 0;
  for (int i = 0; i < 1200 && reached == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    try {
      const json s = json::parse(std::ifstream(status));
      const std::int64_t t = utc_ms(s["stream_utc"]);
      if (t >= day_start + 7000 && t < day_start + 13'000) reached = t;
    } catch (const std::exception&) {
    }
  }
  ::kill(pid, SIGKILL);
  int wstatus = 0;
  ::waitpid(pid, &wstatus, 0);
  ASSERT_NE(reached, 0) << "run 1 never reported a time inside the lesson";
  const auto size1 = fs::file_size(dir / "run1.ts");
  EXPECT_EQ(size1 % 188, 0u) << "a killed run leaves whole packets";

  // Run 2: starts at the time run 1 reached.
  const auto second = run(common + " --clock virtual --start " + sh_quote(scheduler::format_iso_utc(reached)) +
                          " --duration 4s --output file:" + sh_quote((dir / "run2.ts").string()));
  ASSERT_EQ(second.exit_code, 0) << second.err;
  const auto lines = read_json_lines(dir / "asrun.jsonl");
  ASSERT_FALSE(lines.empty());
  // Run 2's line for the item it joined (run 1 was killed: its item on air has no line).
  const auto found = std::find_if(lines.begin(), lines.end(), [&](const json& l) {
    return utc_ms(l["actual_utc"]) == reached;
  });
  ASSERT_NE(found, lines.end());
  const json& joined = *found;
  EXPECT_EQ(joined["media"], fs::relative(lesson, kSmallLibrary).string()) << joined.dump();
  EXPECT_EQ(utc_ms(joined["scheduled_utc"]), day_start + 4000);
  EXPECT_EQ(utc_ms(joined["actual_utc"]), reached);
  EXPECT_EQ(joined["media_in_ms"], reached - (day_start + 4000));
  EXPECT_NE(joined["reason"].get<std::string>().find("joined"), std::string::npos);
  // The picture proves it: the first frame of run 2 is the lesson's frame at that offset.
  const auto code = first_frame_code(dir / "run2.ts");
  ASSERT_TRUE(code.has_value());
  EXPECT_EQ(*code, (reached - (day_start + 4000)) / 40);
  measured(fmt::format("restart: killed at {} ({} bytes written), rejoined the lesson at {} ms, "
                       "first picture is source frame {}",
                       scheduler::format_iso_utc(reached), size1, reached - day_start - 4000, *code));
}

// ---- shutdown ------------------------------------------------------------------------------

TEST(PlayoutSignal, SigtermCompletesTheAsRunAndEndsOnAPacket) {
  const fs::path dir = kOut / "signal";
  fs::remove_all(dir);
  fs::create_directories(dir / "playlists");  // empty: the real clock plays the run-out slate
  const fs::path ts = dir / "real.ts", asrun = dir / "asrun.jsonl";
  const std::string command = headend() + " play --config " +
                              sh_quote((kSource / "samples/channel.ini").string()) +
                              " --playlists " + sh_quote((dir / "playlists").string()) +
                              " --media " + sh_quote(kSmallLibrary.string()) +
                              " --clock real --asrun " + sh_quote(asrun.string()) +
                              " --output file:" + sh_quote(ts.string());
  const pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", ("exec " + command + " 2>/dev/null").c_str(), nullptr);
    ::_exit(127);
  }
  const auto start = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::seconds(4));
  ::kill(pid, SIGTERM);
  int wstatus = 0;
  ::waitpid(pid, &wstatus, 0);
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  ASSERT_TRUE(WIFEXITED(wstatus));
  EXPECT_EQ(WEXITSTATUS(wstatus), 0);
  const auto size = fs::file_size(ts);
  EXPECT_EQ(size % 188, 0u);
  // Paced: no more than the muxrate allows for the time it ran (plus the mux delay).
  EXPECT_LE(size, static_cast<std::uintmax_t>((elapsed + 2.0) * 2'500'000 / 8));
  EXPECT_GT(size, 0u);
  const auto lines = read_json_lines(asrun);
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0]["kind"], "slate");
  EXPECT_NE(lines[0]["reason"].get<std::string>().find("run-out"), std::string::npos);
  EXPECT_NE(lines[0]["reason"].get<std::string>().find("signal"), std::string::npos);
  measured(fmt::format("real clock: {} bytes in {:.2f} s ({:.0f} bit/s against 2500000)", size,
                       elapsed, size * 8 / elapsed));
}

}  // namespace
}  // namespace skyclass::headend

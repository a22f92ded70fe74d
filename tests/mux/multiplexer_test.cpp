#include "mux/multiplexer.hpp"

#include <cstdint>
#include <numeric>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "tests/mux/multiplexer_test_support.hpp"

namespace skyclass::mux {
namespace {

using namespace skyclass::mux::test;

constexpr std::uint64_t kMuxrate = 2'500'000;
constexpr std::int64_t kDelay90k = 90 * 900;
constexpr std::int64_t kMs27 = 27'000;
constexpr std::int64_t kInputStart90k = 1'000'000;  // the caller's own timeline

MultiplexerConfig profile_config(StreamKind audio_kind = StreamKind::mpeg_audio) {
  MultiplexerConfig c;
  c.muxrate_bps = kMuxrate;
  c.pcr_pid = kVideoPid;
  c.mux_delay_90k = kDelay90k;
  c.streams = {{kVideoPid, StreamKind::h264, 0xE0, 1'800'000},
               {kAudioPid, audio_kind, 0xC0, 192'000}};
  return c;
}

std::vector<TestAu> profile_content(int seconds, std::int64_t first_dts = kInputStart90k) {
  return interleave({make_video(25 * seconds, first_dts, 1'800'000, 7),
                     make_mp2(seconds * 1000 / 24, first_dts, 11)});
}

::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "\"" << part << "\" not in: " << text;
}

std::vector<TestAu> only_pid(const std::vector<TestAu>& aus, std::uint16_t pid) {
  std::vector<TestAu> out;
  for (const auto& au : aus) {
    if (au.pid == pid) out.push_back(au);
  }
  return out;
}

std::uint64_t wrap33(std::int64_t ts) {
  const std::int64_t m = std::int64_t{1} << 33;
  return static_cast<std::uint64_t>(((ts % m) + m) % m);
}

// Video: one PES per AU with the AU's bytes, PTS, DTS (only when different) and RAI on key frames.
void expect_video_reassembled(const TsAnalysis& a, const std::vector<TestAu>& video,
                              std::int64_t offset_90k) {
  const auto it = a.pes.find(kVideoPid);
  ASSERT_NE(it, a.pes.end());
  const auto& pes = it->second;
  ASSERT_EQ(pes.size(), video.size());
  for (std::size_t i = 0; i < video.size(); ++i) {
    const PesPacketView v = pes[i].view();
    ASSERT_EQ(v.header.stream_id, 0xE0);
    ASSERT_TRUE(
        std::equal(v.payload.begin(), v.payload.end(), video[i].data.begin(), video[i].data.end()))
        << "video AU " << i;
    ASSERT_EQ(*v.header.pts_90k, wrap33(video[i].pts_90k + offset_90k)) << i;
    if (video[i].pts_90k == video[i].dts_90k) {
      ASSERT_FALSE(v.header.dts_90k.has_value()) << i;
    } else {
      ASSERT_EQ(v.header.dts_90k.value_or(~0ull), wrap33(video[i].dts_90k + offset_90k)) << i;
    }
    ASSERT_EQ(pes[i].random_access, video[i].key_frame) << i;
    if (video[i].key_frame) {
      ASSERT_TRUE(pes[i].pcr_in_first_packet) << i;
    }
  }
}

// Audio: several frames per PES; the concatenated payloads are the frames, and each PES's PTS is
// the PTS of the frame it starts with. Returns the number of PES packets.
std::size_t expect_audio_reassembled(const TsAnalysis& a, const std::vector<TestAu>& audio,
                                     std::int64_t offset_90k, std::size_t max_frames_per_pes) {
  const auto it = a.pes.find(kAudioPid);
  EXPECT_NE(it, a.pes.end());
  if (it == a.pes.end()) return 0;
  std::size_t frame = 0, at = 0;  // next frame, and bytes of it already matched
  for (const auto& rec : it->second) {
    const PesPacketView v = rec.view();
    EXPECT_EQ(at, 0u) << "PES does not start on a frame";
    EXPECT_LT(frame, audio.size());
    if (frame >= audio.size()) return 0;
    EXPECT_EQ(*v.header.pts_90k, wrap33(audio[frame].pts_90k + offset_90k)) << "frame " << frame;
    EXPECT_FALSE(v.header.dts_90k.has_value());
    std::size_t frames_here = 0;
    for (std::uint8_t byte : v.payload) {
      if (frame >= audio.size() || byte != audio[frame].data[at]) {
        ADD_FAILURE() << "audio byte mismatch in frame " << frame << " at " << at;
        return 0;
      }
      if (++at == audio[frame].data.size()) ++frame, at = 0, ++frames_here;
    }
    EXPECT_LE(frames_here, max_frames_per_pes);
  }
  EXPECT_EQ(frame, audio.size());
  return it->second.size();
}

std::vector<AuExpectation> expectations(const std::vector<TestAu>& aus, std::int64_t offset_90k,
                                        std::int64_t start_90k) {
  std::vector<AuExpectation> units;
  for (const auto& au : aus) {
    units.push_back({au.dts_90k + offset_90k - start_90k, au.data.size()});
  }
  return units;
}

void expect_pcrs_exact_and_frequent(const TsAnalysis& a, std::uint64_t origin_27mhz,
                                    std::int64_t max_interval_27mhz) {
  ASSERT_FALSE(a.pcrs.empty());
  EXPECT_EQ(a.pcrs.front().packet, 0u);
  for (std::size_t i = 0; i < a.pcrs.size(); ++i) {
    const PcrRecord& r = a.pcrs[i];
    // 2.5 Mbit/s: byte i arrives at i * 86.4 ticks; PCR is the time of byte 10 of the packet.
    const std::uint64_t expected =
        (origin_27mhz + (r.packet * 188 + 10) * 864 / 10) % kPcrModulus27MHz;
    ASSERT_EQ(r.pcr.to_27mhz(), expected) << "PCR in packet " << r.packet;
    ASSERT_EQ(r.pid, kVideoPid);
    if (i > 0) {
      const std::uint64_t gap = pcr_distance_27mhz(a.pcrs[i - 1].pcr.to_27mhz(), r.pcr.to_27mhz());
      ASSERT_LE(gap, static_cast<std::uint64_t>(max_interval_27mhz))
          << "before packet " << r.packet;
    }
  }
}

TEST(Multiplexer, SixtySecondsOfTheDvbProfile) {
  FakePatSource pat;
  Multiplexer mux(profile_config(), &pat);
  const std::vector<TestAu> content = profile_content(60);
  const Bytes ts = run(mux, content);

  ASSERT_EQ(ts.size() % 188, 0u);
  const TsAnalysis a = analyse(ts, {kVideoPid, kAudioPid});
  EXPECT_TRUE(a.errors.empty()) << a.errors.front();
  EXPECT_EQ(a.packets, mux.packets_written());
  EXPECT_GT(a.packets_per_pid.at(kNullPid), 0u);  // CBR padding
  // The whole run lasts a little longer than the content: 60 s + the mux delay at most.
  const double seconds = static_cast<double>(ts.size()) * 8 / kMuxrate;
  EXPECT_GT(seconds, 59.96);
  EXPECT_LT(seconds, 60.0 + 0.9);

  expect_pcrs_exact_and_frequent(a, 0, 30 * kMs27);

  // Output timeline: the first DTS (video, input 1 000 000) is the mux delay after packet 0.
  const std::int64_t offset = kDelay90k - kInputStart90k;
  EXPECT_EQ(mux.timestamp_offset_90k(kVideoPid), offset);
  const auto video = only_pid(content, kVideoPid);
  const auto audio = only_pid(content, kAudioPid);
  expect_video_reassembled(a, video, offset);
  const std::size_t audio_pes = expect_audio_reassembled(a, audio, offset, 3);
  EXPECT_LT(audio_pes, audio.size() / 2);  // frames are grouped (60 ms: 3 frames of 24 ms)

  const TstdReplay v =
      replay_tstd(ts, kVideoPid, kMuxrate, tstd_params_h264(30), expectations(video, offset, 0));
  EXPECT_TRUE(v.violations.empty()) << v.violations.front();
  EXPECT_LE(v.max_tb_bytes, 512u);
  EXPECT_GE(v.min_slack_90k, 0);
  const TstdReplay s = replay_tstd(ts, kAudioPid, kMuxrate, tstd_params_mpeg_audio(),
                                   expectations(audio, offset, 0));
  EXPECT_TRUE(s.violations.empty()) << s.violations.front();
  EXPECT_LE(s.max_b_bytes, 3584u);
  EXPECT_GT(s.max_b_bytes, 1000u);  // the buffer is really used, and bounded by the model
  EXPECT_LE(mux.tstd(kAudioPid).peak_b_level_bytes(), 3584u);
  EXPECT_LE(mux.tstd(kVideoPid).peak_tb_level_bytes(), 512u);

  // PAT: every 100 ms of multiplex time, whole sections, byte-identical.
  const auto& pat_starts = a.section_starts.at(0x0000);
  EXPECT_EQ(static_cast<int>(pat_starts.size()), pat.sections_given);
  for (std::size_t i = 0; i < pat_starts.size(); ++i) {
    const Bytes packet(ts.begin() + pat_starts[i] * 188, ts.begin() + pat_starts[i] * 188 + 188);
    const TsPacketView p = parse_ts_packet(packet);
    ASSERT_EQ(p.payload[0], 0x00);  // pointer_field
    ASSERT_TRUE(std::equal(pat.section().begin(), pat.section().end(), p.payload.begin() + 1));
    ASSERT_TRUE(std::all_of(p.payload.begin() + 1 + pat.section().size(), p.payload.end(),
                            [](std::uint8_t b) { return b == 0xFF; }));
    if (i > 0) {
      const double gap_ms =
          static_cast<double>(pat_starts[i] - pat_starts[i - 1]) * 188 * 8 / kMuxrate * 1000;
      ASSERT_LE(gap_ms, 100.0 + 0.61);  // one packet of scheduling jitter
    }
  }
}

TEST(Multiplexer, OutputDoesNotDependOnHowInputIsChunked) {
  // Slots are decided only when no later push can change them: pulling after every push gives
  // the same bytes as pushing everything first.
  const auto content = profile_content(6);
  FakePatSource pat_a, pat_b;
  Multiplexer a(profile_config(), &pat_a);
  const Bytes incremental = run(a, content);
  Multiplexer b(profile_config(), &pat_b);
  for (const auto& au : content) b.push(au.view());
  Bytes batch;
  b.flush();
  while (!b.finished()) drain(b, batch, 7);
  EXPECT_EQ(incremental, batch);
}

TEST(Multiplexer, WaitsForEveryDeclaredStream) {
  FakePatSource pat;
  Multiplexer mux(profile_config(), &pat);
  Bytes ts;
  for (const auto& au : make_video(50, 0, 1'800'000, 3)) mux.push(au.view());
  drain(mux, ts);
  EXPECT_TRUE(ts.empty());  // audio has not started: its first frame could come first
  for (const auto& au : make_mp2(40, 0, 5)) mux.push(au.view());
  drain(mux, ts);
  EXPECT_FALSE(ts.empty());
  // Decided: the slots before the open audio PES could be sent. Its first frame (input DTS
  // 39 x 2160 = 84 240) may still be joined until 84 240 + 5400, output 89 640 + 81 000 (the
  // 0.9 s delay), and audio is sent at most 0.5 s (45 000) ahead: from 125 640 x 300 ticks.
  // Slots start every 16 243.2 ticks, so slots 0..2320 are decided.
  EXPECT_EQ(ts.size() / 188, 2321u);
  EXPECT_EQ(mux.packets_written(), 2321u);
}

TEST(Multiplexer, TimestampsStayContinuousAcrossThe33BitWrap) {
  MultiplexerConfig config = profile_config();
  const std::int64_t start_90k = (std::int64_t{1} << 33) - 90'000 * 5;  // 5 s before the wrap
  config.start_pcr_27mhz = static_cast<std::uint64_t>(start_90k) * 300;
  FakePatSource pat;
  Multiplexer mux(config, &pat);
  const auto content = profile_content(12);
  const Bytes ts = run(mux, content);
  const TsAnalysis a = analyse(ts, {kVideoPid, kAudioPid});
  EXPECT_TRUE(a.errors.empty()) << a.errors.front();
  expect_pcrs_exact_and_frequent(a, config.start_pcr_27mhz, 30 * kMs27);
  EXPECT_LT(a.pcrs.back().pcr.to_27mhz(), a.pcrs.front().pcr.to_27mhz());  // it did wrap

  const std::int64_t offset = start_90k + kDelay90k - kInputStart90k;
  const auto video = only_pid(content, kVideoPid);
  const auto audio = only_pid(content, kAudioPid);
  expect_video_reassembled(a, video, offset);
  expect_audio_reassembled(a, audio, offset, 3);
  const auto& pes = a.pes.at(kVideoPid);
  EXPECT_GT(*pes.front().view().header.pts_90k, *pes.back().view().header.pts_90k);
  const TstdReplay v = replay_tstd(ts, kVideoPid, kMuxrate, tstd_params_h264(30),
                                   expectations(video, offset, start_90k));
  EXPECT_TRUE(v.violations.empty()) << v.violations.front();
  const TstdReplay s = replay_tstd(ts, kAudioPid, kMuxrate, tstd_params_mpeg_audio(),
                                   expectations(audio, offset, start_90k));
  EXPECT_TRUE(s.violations.empty()) << s.violations.front();
}

TEST(Multiplexer, UpstreamDiscontinuityIsRemappedContinuously) {
  // Two items whose input timelines jump back from ~5 s to 0: the output keeps counting.
  auto first = profile_content(4);
  auto second = profile_content(4, 0);
  const auto first_video = only_pid(first, kVideoPid);
  for (auto& au : second) {
    if (au.dts_90k == 0) au.discontinuity = true;  // the first AU of each PID in the new item
  }
  std::vector<TestAu> content = first;
  content.insert(content.end(), second.begin(), second.end());
  FakePatSource pat;
  Multiplexer mux(profile_config(), &pat);
  const Bytes ts = run(mux, content);
  const TsAnalysis a = analyse(ts, {kVideoPid, kAudioPid});
  EXPECT_TRUE(a.errors.empty()) << a.errors.front();
  expect_pcrs_exact_and_frequent(a, 0, 30 * kMs27);

  // Video DTS (PTS for B frames) advances by exactly one frame everywhere, across the jump too.
  const auto& video_pes = a.pes.at(kVideoPid);
  ASSERT_EQ(video_pes.size(), 200u);
  std::vector<std::uint64_t> dts;
  for (const auto& rec : video_pes) {
    const PesPacketView v = rec.view();
    dts.push_back(v.header.dts_90k.value_or(*v.header.pts_90k));
  }
  for (std::size_t i = 1; i < dts.size(); ++i) ASSERT_EQ(dts[i] - dts[i - 1], 3600u) << i;
  // The second item keeps its own A/V alignment: its first audio frame has the PTS of its
  // first video DTS (both were 0 on input).
  const std::uint64_t second_item_start = dts[100];
  bool found = false;
  std::uint64_t previous_audio_pts = 0;
  for (const auto& rec : a.pes.at(kAudioPid)) {
    const std::uint64_t pts = *rec.view().header.pts_90k;
    ASSERT_GT(pts, previous_audio_pts);
    previous_audio_pts = pts;
    found = found || pts == second_item_start;
  }
  EXPECT_TRUE(found);
  const std::int64_t first_offset = kDelay90k - kInputStart90k;
  EXPECT_EQ(second_item_start,
            static_cast<std::uint64_t>(first_video.back().dts_90k + first_offset + kFrame90k));
  EXPECT_EQ(mux.timestamp_offset_90k(kVideoPid), static_cast<std::int64_t>(second_item_start));
  EXPECT_EQ(mux.timestamp_offset_90k(kAudioPid), static_cast<std::int64_t>(second_item_start));
}

TEST(Multiplexer, RejectsBadAccessUnitsAndStaysValid) {
  FakePatSource pat;
  Multiplexer mux(profile_config(), &pat);
  const auto content = profile_content(3);
  Bytes ts;
  auto expect_rejected = [&](const TestAu& au, const std::string& what) {
    try {
      mux.push(au.view());
      ADD_FAILURE() << "accepted: " << what;
    } catch (const MuxError& e) {
      EXPECT_TRUE(Contains(e.what(), fmt::format("PID 0x{:04X}", au.pid))) << what;
      EXPECT_TRUE(Contains(e.what(), fmt::format("DTS {}", au.dts_90k))) << what;
      EXPECT_TRUE(Contains(e.what(), fmt::format("PTS {}", au.pts_90k))) << what;
    }
  };
  std::size_t pushed = 0;
  for (const auto& au : content) {
    mux.push(au.view());
    ++pushed;
    drain(mux, ts);
    if (pushed != 40) continue;
    TestAu bad = au;
    bad.data.clear();
    expect_rejected(bad, "empty");
    bad = au;
    bad.dts_90k -= 90'000;
    bad.pts_90k -= 90'000;
    expect_rejected(bad, "DTS backwards");
    bad = au;
    bad.pts_90k = bad.dts_90k - 1;
    expect_rejected(bad, "PTS before DTS");
    bad = au;
    bad.pid = 0x0200;
    expect_rejected(bad, "undeclared PID");
    bad = au;
    bad.dts_90k += 1;
    bad.pts_90k += 1;
    bad.data[0] = 0x12;  // neither a start code nor a syncword
    expect_rejected(bad, "malformed");
  }
  const Bytes tail = [&] {
    Bytes rest;
    mux.flush();
    while (!mux.finished()) drain(mux, rest);
    return rest;
  }();
  ts.insert(ts.end(), tail.begin(), tail.end());
  const TsAnalysis a = analyse(ts, {kVideoPid, kAudioPid});
  EXPECT_TRUE(a.errors.empty()) << a.errors.front();
  const std::int64_t offset = kDelay90k - kInputStart90k;
  const auto video = only_pid(content, kVideoPid);
  const auto audio = only_pid(content, kAudioPid);
  expect_video_reassembled(a, video, offset);
  expect_audio_reassembled(a, audio, offset, 3);
  const TstdReplay s = replay_tstd(ts, kAudioPid, kMuxrate, tstd_params_mpeg_audio(),
                                   expectations(audio, offset, 0));
  EXPECT_TRUE(s.violations.empty()) << s.violations.front();
}

TEST(Multiplexer, TooLowMuxrateSaysHowManyBitsPerSecondAreMissing) {
  // Worked by hand from the documented formula:
  //   video 1 800 000 x 188/184 -> 1 839 131, + 60 PES/s x (19 + 6 + 188) x 8 = 102 240
  //   audio   192 000 x 188/184 ->   196 174, + 42 PES/s x (14 + 188) x 8     =  67 872
  //   PCR one packet per 30 ms: 188 x 8 x 27e6 / 810 000 -> 50 134; PAT 15 040
  //   total 2 270 591 bit/s.
  FakePatSource pat;
  MultiplexerConfig config = profile_config();
  EXPECT_EQ(Multiplexer::required_bitrate_bps(config, &pat), 2'270'591u);
  config.muxrate_bps = 2'000'000;
  try {
    Multiplexer mux(config, &pat);
    ADD_FAILURE() << "2 Mbit/s accepted";
  } catch (const MuxError& e) {
    EXPECT_TRUE(Contains(e.what(), "270591 bit/s missing"));
    EXPECT_TRUE(Contains(e.what(), "2270591"));
  }
  config.muxrate_bps = 2'270'590;
  EXPECT_THROW(
      {
        try {
          Multiplexer mux(config, &pat);
        } catch (const MuxError& e) {
          EXPECT_TRUE(Contains(e.what(), " 1 bit/s missing"));
          throw;
        }
      },
      MuxError);
  config.muxrate_bps = 2'270'591;
  EXPECT_NO_THROW(Multiplexer(config, &pat));
}

TEST(Multiplexer, AccessUnitThatCannotMakeItsDtsIsAnError) {
  // A 290 000-byte picture needs 0.95 s at 2.5 Mbit/s but has 0.9 s between release and DTS.
  FakePatSource pat;
  Multiplexer mux(profile_config(), &pat);
  auto video = make_video(20, 0, 1'800'000, 3);
  Filler filler(9);
  video[10].data = make_h264_au('P', 290'000, filler);
  const auto content = interleave({video, make_mp2(40, 0, 5)});
  Bytes ts;
  try {
    for (const auto& au : content) {
      mux.push(au.view());
      drain(mux, ts);
    }
    mux.flush();
    while (!mux.finished()) drain(mux, ts);
    ADD_FAILURE() << "the late access unit went through";
  } catch (const MuxError& e) {
    EXPECT_TRUE(Contains(e.what(), "PID 0x0100"));
    EXPECT_TRUE(Contains(e.what(), "cannot be delivered by its DTS"));
    EXPECT_TRUE(Contains(e.what(), fmt::format("input DTS {}", video[10].dts_90k)));
  }
  EXPECT_THROW(drain(mux, ts), MuxError);  // the multiplexer stays stopped
  EXPECT_THROW(mux.push(video[19].view()), MuxError);
}

TEST(Multiplexer, AccessUnitTooCloseToItsDtsIsRejectedUpFront) {
  FakePatSource pat;
  Multiplexer mux(profile_config(), &pat);
  Filler filler(1);
  TestAu huge{kVideoPid, make_h264_au('I', 300'000, filler), 0, 0, true, false};
  EXPECT_THROW(mux.push(huge.view()), MuxError);  // 0.96 s of data, 0.9 s of delay
  const auto content = profile_content(2);
  const Bytes ts = run(mux, content);  // and the multiplexer is still fine
  EXPECT_TRUE(analyse(ts, {kVideoPid, kAudioPid}).errors.empty());
}

TEST(Multiplexer, InsertsAnAccessUnitDelimiterWhenMissing) {
  FakePatSource pat;
  Multiplexer mux(profile_config(), &pat);
  const auto video = make_video(30, 0, 1'800'000, 4, 20, /*with_aud=*/false);
  const Bytes ts = run(mux, interleave({video, make_mp2(50, 0, 5)}));
  const TsAnalysis a = analyse(ts, {kVideoPid, kAudioPid});
  EXPECT_TRUE(a.errors.empty()) << a.errors.front();
  const auto& pes = a.pes.at(kVideoPid);
  ASSERT_EQ(pes.size(), video.size());
  for (std::size_t i = 0; i < video.size(); ++i) {
    Bytes expected(kAccessUnitDelimiter.begin(), kAccessUnitDelimiter.end());
    expected.insert(expected.end(), video[i].data.begin(), video[i].data.end());
    const PesPacketView v = pes[i].view();
    ASSERT_EQ(Bytes(v.payload.begin(), v.payload.end()), expected) << i;
  }
}

TEST(Multiplexer, PcrOnItsOwnPidUsesAdaptationOnlyPackets) {
  MultiplexerConfig config = profile_config();
  config.pcr_pid = 0x01FF;
  config.pcr_interval_27mhz = 40 * kMs27;
  FakePatSource pat;
  Multiplexer mux(config, &pat);
  const Bytes ts = run(mux, profile_content(3));
  const TsAnalysis a = analyse(ts, {kVideoPid, kAudioPid});
  EXPECT_TRUE(a.errors.empty()) << a.errors.front();
  ASSERT_GT(a.pcrs.size(), 70u);
  for (std::size_t i = 0; i < a.pcrs.size(); ++i) {
    ASSERT_EQ(a.pcrs[i].pid, 0x01FF);
    const TsPacketView p = parse_ts_packet(std::span(ts).subspan(a.pcrs[i].packet * 188, 188));
    ASSERT_FALSE(p.has_payload);
    ASSERT_EQ(p.header.continuity_counter, 15);  // never incremented without payload
    if (i > 0) {
      ASSERT_LE(pcr_distance_27mhz(a.pcrs[i - 1].pcr.to_27mhz(), a.pcrs[i].pcr.to_27mhz()),
                40u * kMs27);
    }
  }
  EXPECT_EQ(a.packets_per_pid.at(0x01FF), a.pcrs.size());
}

TEST(Multiplexer, AacAdtsStream) {
  FakePatSource pat;
  Multiplexer mux(profile_config(StreamKind::aac_adts), &pat);
  const auto video = make_video(100, 0, 1'800'000, 2);
  const auto audio = make_adts(200, 0, 8);
  const Bytes ts = run(mux, interleave({video, audio}));
  const TsAnalysis a = analyse(ts, {kVideoPid, kAudioPid});
  EXPECT_TRUE(a.errors.empty()) << a.errors.front();
  const std::int64_t offset = kDelay90k;
  expect_video_reassembled(a, video, offset);
  expect_audio_reassembled(a, audio, offset, 4);
  const TstdReplay s =
      replay_tstd(ts, kAudioPid, kMuxrate, tstd_params_aac_adts(2), expectations(audio, offset, 0));
  EXPECT_TRUE(s.violations.empty()) << s.violations.front();
}

TEST(Multiplexer, RejectsInvalidConfigs) {
  FakePatSource pat;
  auto expect_invalid = [&](MultiplexerConfig c, const char* what) {
    EXPECT_THROW(Multiplexer(c, &pat), MuxError) << what;
  };
  MultiplexerConfig c = profile_config();
  c.pcr_interval_27mhz = 41 * kMs27;
  expect_invalid(c, "PCR interval above 40 ms");
  c = profile_config();
  c.pcr_interval_27mhz = 19 * kMs27;
  expect_invalid(c, "PCR interval below 20 ms");
  c = profile_config();
  c.mux_delay_90k = 90'001;
  expect_invalid(c, "delay above 1 s");
  c = profile_config();
  c.streams[1].pid = kVideoPid;
  expect_invalid(c, "duplicate PID");
  c = profile_config();
  c.streams[0].stream_id = 0xC0;
  expect_invalid(c, "audio stream_id for video");
  c = profile_config();
  c.streams[0].h264_level_idc = 33;
  expect_invalid(c, "unknown level");
  c = profile_config();
  c.streams.clear();
  expect_invalid(c, "no streams");
}

TEST(Multiplexer, RejectsSiSectionsOnElementaryStreamPids) {
  class WrongPidSource : public SiSource {
   public:
    std::optional<SectionOnPid> next_due(std::uint64_t) override {
      return SectionOnPid{kVideoPid, section_};
    }
    std::uint64_t max_bitrate_bps() const override { return 15'040; }

   private:
    Bytes section_ = make_pat_section();
  } wrong;
  Multiplexer mux(profile_config(), &wrong);
  for (const auto& au : profile_content(2)) mux.push(au.view());
  Bytes ts;
  try {
    drain(mux, ts);
    ADD_FAILURE() << "section on the video PID accepted";
  } catch (const MuxError& e) {
    EXPECT_TRUE(Contains(e.what(), "PID 0x0100"));
  }
}

TEST(Multiplexer, PushAfterFlushIsRejected) {
  FakePatSource pat;
  Multiplexer mux(profile_config(), &pat);
  const auto content = profile_content(1);
  for (const auto& au : content) mux.push(au.view());
  mux.flush();
  EXPECT_THROW(mux.push(content.back().view()), MuxError);
  Bytes ts;
  while (!mux.finished()) drain(mux, ts);
  EXPECT_EQ(analyse(ts, {kVideoPid, kAudioPid}).pes.at(kVideoPid).size(), 25u);
}

TEST(Multiplexer, PullBufferMustHoldWholePackets) {
  FakePatSource pat;
  Multiplexer mux(profile_config(), &pat);
  Bytes odd(188 * 2 + 1);
  EXPECT_THROW(mux.pull(odd), MuxError);
}

}  // namespace
}  // namespace skyclass::mux

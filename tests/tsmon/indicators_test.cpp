// Every TR 101 290 indicator of skyclass-tsmon on crafted streams: one known fault, the exact
// count docs/monitoring-guide.md ("How each indicator is counted") gives for it, and zero for
// every other indicator. Also the events' offsets and times, chunking, live arrival times, and
// what the input looks like (204-byte packets, garbage, truncation).
#include <algorithm>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <gtest/gtest.h>

#include "tests/tsmon/stream_builder.hpp"
#include "tools/tsmon/analyzer.hpp"

namespace skyclass::tsmon::test {
namespace {

using enum Indicator;

struct Analysis {
  IndicatorCounts counts{};
  std::vector<Event> events;
  Figures figures;
};

Analysis finish(Analyzer& analyzer) {
  analyzer.finish();
  return {analyzer.counts(), analyzer.events(), analyzer.figures()};
}

// A file, in chunks whose sizes `next_size` gives.
Analysis analyse_chunked(ByteView bytes, const std::function<std::size_t()>& next_size,
                         AnalyzerOptions options = {}) {
  Analyzer analyzer(options);
  for (std::size_t at = 0; at < bytes.size();) {
    const std::size_t size = std::min(next_size(), bytes.size() - at);
    analyzer.feed(bytes.subspan(at, size));
    at += size;
  }
  return finish(analyzer);
}

Analysis analyse(ByteView bytes, AnalyzerOptions options = {}) {
  return analyse_chunked(
      bytes, [] { return std::size_t{65536}; }, options);
}

// A live input: chunks of `packets_per_chunk` packets, each stamped with the arrival time of its
// last byte at the muxrate (on a monotonic clock that reads 5000 s at the first byte).
Analysis analyse_live(ByteView bytes, std::uint64_t muxrate_bps, std::size_t packets_per_chunk) {
  constexpr std::int64_t kClockAtStartNs = 5000 * kSecond;
  Analyzer analyzer;
  const std::size_t chunk = packets_per_chunk * 188;
  for (std::size_t at = 0; at < bytes.size(); at += chunk) {
    const std::size_t size = std::min(chunk, bytes.size() - at);
    const auto end_ns = static_cast<std::int64_t>(static_cast<unsigned __int128>(at + size) * 8 *
                                                  kSecond / muxrate_bps);
    analyzer.feed(bytes.subspan(at, size), kClockAtStartNs + end_ns);
  }
  return finish(analyzer);
}

std::string describe(const IndicatorCounts& counts) {
  std::string text;
  for (std::size_t i = 0; i < kIndicatorCount; ++i) {
    if (counts[i] == 0) continue;
    const auto indicator = static_cast<Indicator>(i);
    text += fmt::format("{} {}={} ", indicator_id(indicator), indicator_name(indicator), counts[i]);
  }
  return text.empty() ? "all zero" : text;
}

// Exactly these counts, and 0 for every other indicator but the `unjudged` ones.
void expect_only(const Analysis& run,
                 std::initializer_list<std::pair<Indicator, std::uint64_t>> expected,
                 std::initializer_list<Indicator> unjudged = {}) {
  for (std::size_t i = 0; i < kIndicatorCount; ++i) {
    const auto indicator = static_cast<Indicator>(i);
    if (std::find(unjudged.begin(), unjudged.end(), indicator) != unjudged.end()) continue;
    std::uint64_t want = 0;
    for (const auto& [which, count] : expected) {
      if (which == indicator) want = count;
    }
    EXPECT_EQ(count_of(run.counts, indicator), want)
        << indicator_id(indicator) << " " << indicator_name(indicator)
        << "; counts: " << describe(run.counts);
  }
}

std::vector<Event> events_of(const Analysis& run, Indicator indicator) {
  std::vector<Event> found;
  for (const Event& e : run.events) {
    if (e.indicator == indicator) found.push_back(e);
  }
  return found;
}

StreamConfig config_of(std::int64_t duration_ns) {
  StreamConfig config;
  config.duration_ns = duration_ns;
  return config;
}

double max_gap_ms(const TsStream& stream, const std::vector<std::size_t>& indices) {
  std::int64_t gap = 0;
  for (std::size_t i = 1; i < indices.size(); ++i) {
    gap = std::max(gap, stream.time_ns(indices[i]) - stream.time_ns(indices[i - 1]));
  }
  return static_cast<double>(gap) / kMs;
}

// A plain video packet (no PUSI, no PCR) followed by `nulls` null packets, after from_ns.
std::size_t plain_video_before_nulls(const TsStream& stream, std::int64_t from_ns,
                                     std::size_t nulls) {
  for (std::size_t i : stream.find_plain_video(from_ns)) {
    bool ok = i + nulls < stream.size();
    for (std::size_t k = 1; ok && k <= nulls; ++k) ok = stream.pid(i + k) == kNullPid;
    if (ok) return i;
  }
  throw std::logic_error("no plain video packet followed by null packets");
}

std::size_t next_of_pid(const TsStream& stream, std::size_t index) {
  for (std::size_t i = index + 1; i < stream.size(); ++i) {
    if (stream.pid(i) == stream.pid(index)) return i;
  }
  throw std::logic_error("no next packet on the PID");
}

// ---------------------------------------------------------------------------------------------
// The clean crafted stream.

TEST(IndicatorClean, CraftedStreamHasNoIndicatorAndPlainFigures) {
  const TsStream stream = build_stream();
  const Bytes bytes = stream.bytes();
  const Analysis run = analyse(bytes);
  expect_only(run, {});
  EXPECT_TRUE(run.events.empty());
  const InputFindings& input = run.figures.input;
  EXPECT_EQ(input.packet_size, 188u);
  EXPECT_EQ(input.bytes, bytes.size());
  EXPECT_EQ(input.packets, stream.size());
  EXPECT_EQ(input.resyncs, 0u);
  EXPECT_EQ(input.skipped_bytes, 0u);
  EXPECT_EQ(input.truncated_tail_bytes, 0u);
  EXPECT_TRUE(input.timing_from_pcr);
  ASSERT_EQ(run.figures.pcrs.size(), 1u);
  EXPECT_EQ(run.figures.pcrs[0].pid, kVideoPid);
  EXPECT_EQ(run.figures.pcrs[0].count, stream.find_pcrs().size());
  ASSERT_TRUE(run.figures.duration_ns.has_value());
  EXPECT_NEAR(static_cast<double>(*run.figures.duration_ns) / kMs, 12000.0, 2.0);
}

TEST(IndicatorClean, NoPriorityFires) {
  Analyzer analyzer;
  analyzer.feed(build_stream(config_of(3 * kSecond)).bytes());
  analyzer.finish();
  EXPECT_FALSE(analyzer.fired(1));
  EXPECT_FALSE(analyzer.fired(2));
  EXPECT_FALSE(analyzer.fired(3));
}

TEST(IndicatorClean, TwoProgramsOnOnePmtPidAreClean) {
  StreamConfig config = config_of(4 * kSecond);
  config.second_program = true;
  expect_only(analyse(build_stream(config).bytes()), {});
}

// ---------------------------------------------------------------------------------------------
// First priority.

TEST(IndicatorP1, TsSyncLoss_1_1_TwoConsecutiveBadSyncBytes) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  const std::size_t k = stream.find_null_run(10, 1 * kSecond);
  stream.corrupt_sync(k);
  stream.corrupt_sync(k + 1);
  const Analysis run = analyse(stream.bytes());
  // Both bad packets are read while in sync (the second one loses it): two 1.2, one 1.1.
  expect_only(run, {{ts_sync_loss, 1}, {sync_byte_error, 2}});
  EXPECT_EQ(run.figures.input.resyncs, 1u);
  const auto sync_errors = events_of(run, sync_byte_error);
  ASSERT_FALSE(sync_errors.empty());
  EXPECT_EQ(sync_errors[0].byte_offset, TsStream::byte_offset(k));
}

TEST(IndicatorP1, TsSyncLoss_1_1_TwoSeparateLossesCountTwo) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  for (std::int64_t at : {1 * kSecond, 2 * kSecond}) {
    const std::size_t k = stream.find_null_run(10, at);
    stream.corrupt_sync(k);
    stream.corrupt_sync(k + 1);
  }
  const Analysis run = analyse(stream.bytes());
  expect_only(run, {{ts_sync_loss, 2}, {sync_byte_error, 4}});
  EXPECT_EQ(run.figures.input.resyncs, 2u);
}

TEST(IndicatorP1, SyncByteError_1_2_SingleBadSyncBytesKeepSync) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  std::vector<std::size_t> damaged;
  for (std::int64_t at : {500 * kMs, 1500 * kMs, 2500 * kMs}) {
    damaged.push_back(stream.find_null_run(3, at) + 1);  // a null packet between two nulls
    stream.corrupt_sync(damaged.back(), 0x48);
  }
  const Analysis run = analyse(stream.bytes());
  expect_only(run, {{sync_byte_error, 3}});
  EXPECT_EQ(run.figures.input.resyncs, 0u);
  const auto events = events_of(run, sync_byte_error);
  ASSERT_EQ(events.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(events[i].byte_offset, TsStream::byte_offset(damaged[i]));
    ASSERT_TRUE(events[i].time_ns.has_value());
    EXPECT_NEAR(static_cast<double>(*events[i].time_ns), stream.time_ns(damaged[i]), 0.1 * kMs);
  }
}

TEST(IndicatorP1, PatError_1_3_GapOf520msCountsOne) {
  StreamConfig config = config_of(4 * kSecond);
  config.pat.outages = {{1000 * kMs + 1, 1520 * kMs}};
  const TsStream stream = build_stream(config);
  ASSERT_NEAR(max_gap_ms(stream, stream.find(kPatPid)), 520.0, 2.0);
  expect_only(analyse(stream.bytes()), {{pat_error, 1}, {pat_error_2, 1}});
}

TEST(IndicatorP1, PatError_1_3_GapOf480msCountsNothing) {
  StreamConfig config = config_of(4 * kSecond);
  config.pat.outages = {{1000 * kMs + 1, 1480 * kMs}};
  const TsStream stream = build_stream(config);
  ASSERT_NEAR(max_gap_ms(stream, stream.find(kPatPid)), 480.0, 2.0);
  expect_only(analyse(stream.bytes()), {});
}

TEST(IndicatorP1, PatError_1_3_ThreeSecondOutageCountsOne) {
  StreamConfig config = config_of(6 * kSecond);
  config.pat.outages = {{1000 * kMs + 1, 4000 * kMs}};
  expect_only(analyse(build_stream(config).bytes()), {{pat_error, 1}, {pat_error_2, 1}});
}

TEST(IndicatorP1, PatError_1_3_WrongTableIdOnPid0) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  const std::size_t at = stream.insert_section(kPatPid, long_section(0x02, 1), 1500 * kMs);
  const Analysis run = analyse(stream.bytes());
  expect_only(run, {{pat_error, 1}, {pat_error_2, 1}});
  const auto events = events_of(run, pat_error);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].byte_offset, TsStream::byte_offset(at));
  EXPECT_EQ(events[0].pid, kPatPid);
}

TEST(IndicatorP1, PatError_1_3_ScrambledPatPacket) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  const std::size_t k = stream.find(kPatPid, 1500 * kMs).front();
  stream.set_scrambling(k);
  const Analysis run = analyse(stream.bytes());
  // A scrambled packet without any CAT is also 2.6, once for PID 0.
  expect_only(run, {{pat_error, 1}, {pat_error_2, 1}, {cat_error, 1}});
  const auto events = events_of(run, pat_error);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].byte_offset, TsStream::byte_offset(k));
}

TEST(IndicatorP1, PatError2_1_3a_Pid0WithoutPatSectionCountsOnly1_3a) {
  StreamConfig config = config_of(4 * kSecond);
  config.pat.outages = {{1000 * kMs + 1, 2000 * kMs}};
  TsStream stream = build_stream(config);
  // PID 0 keeps coming every 100 ms, but with 0xFF stuffing only: no table_id 0x00 section.
  stream.insert_packets(kPatPid, 1050 * kMs, 1950 * kMs, 100 * kMs, 0xFF);
  ASSERT_LT(max_gap_ms(stream, stream.find(kPatPid)), 200.0);
  expect_only(analyse(stream.bytes()), {{pat_error_2, 1}});
}

TEST(IndicatorP1, ContinuityCountError_1_4_LostPacketCountsOne) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  const std::size_t lost = stream.find_plain_video(1 * kSecond).front();
  const std::size_t next = next_of_pid(stream, lost);
  stream.nullify(lost);  // lost, and the CBR timing kept
  const Analysis run = analyse(stream.bytes());
  expect_only(run, {{continuity_count_error, 1}});
  const auto events = events_of(run, continuity_count_error);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].byte_offset, TsStream::byte_offset(next));
  EXPECT_EQ(events[0].pid, kVideoPid);
  ASSERT_TRUE(events[0].time_ns.has_value());
  EXPECT_NEAR(static_cast<double>(*events[0].time_ns), stream.time_ns(next), 0.1 * kMs);
}

TEST(IndicatorP1, ContinuityCountError_1_4_WrongCounterCountsItAndTheNextPacket) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  const std::size_t k = stream.find_plain_video(1 * kSecond).front();
  stream.set_cc(k, static_cast<std::uint8_t>(stream.cc(k) + 5));
  // k is not previous + 1; the next one is not k + 1 (nor a repeat of k).
  expect_only(analyse(stream.bytes()), {{continuity_count_error, 2}});
}

TEST(IndicatorP1, ContinuityCountError_1_4_OneDuplicateIsAllowed) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  stream.duplicate(plain_video_before_nulls(stream, 1 * kSecond, 1), 1);
  expect_only(analyse(stream.bytes()), {});
}

TEST(IndicatorP1, ContinuityCountError_1_4_RepeatWithOtherBytesCountsOne) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  const std::size_t k = plain_video_before_nulls(stream, 1 * kSecond, 1);
  stream.duplicate(k, 1);
  stream.packets()[k + 1][100] ^= 0xFF;  // same counter, other payload: not a duplicate
  const Analysis run = analyse(stream.bytes());
  expect_only(run, {{continuity_count_error, 1}});
  const auto events = events_of(run, continuity_count_error);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].byte_offset, TsStream::byte_offset(k + 1));
}

TEST(IndicatorP1, ContinuityCountError_1_4_SecondDuplicateCountsOne) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  const std::size_t k = plain_video_before_nulls(stream, 1 * kSecond, 2);
  stream.duplicate(k, 2);
  const Analysis run = analyse(stream.bytes());
  expect_only(run, {{continuity_count_error, 1}});
  const auto events = events_of(run, continuity_count_error);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].byte_offset, TsStream::byte_offset(k + 2));
}

// A counter jump from packet `from` on, as after a splice.
void jump_video_counters(TsStream& stream, std::size_t from) {
  for (std::size_t i : stream.find(kVideoPid, stream.time_ns(from))) {
    stream.set_cc(i, static_cast<std::uint8_t>(stream.cc(i) + 5));
  }
}

TEST(IndicatorP1, ContinuityCountError_1_4_JumpWithoutDiscontinuityIndicatorCountsOne) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  jump_video_counters(stream, stream.find_pcrs(1 * kSecond).front());
  expect_only(analyse(stream.bytes()), {{continuity_count_error, 1}});
}

TEST(IndicatorP1, ContinuityCountError_1_4_DiscontinuityIndicatorAllowsTheJump) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  const std::size_t k = stream.find_pcrs(1 * kSecond).front();
  jump_video_counters(stream, k);
  stream.set_discontinuity(k);
  expect_only(analyse(stream.bytes()), {});
}

TEST(IndicatorP1, ContinuityCountError_1_4_PacketWithTeiIsCheckedToo) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  const auto plain = stream.find_plain_video(1 * kSecond);
  // Lose plain[0]; the packet after it is both out of sequence and marked with TEI.
  const std::size_t next = next_of_pid(stream, plain[0]);
  stream.nullify(plain[0]);
  stream.set_tei(next);
  const Analysis run = analyse(stream.bytes());
  expect_only(run, {{continuity_count_error, 1}, {transport_error, 1}});
  const auto events = events_of(run, continuity_count_error);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].byte_offset, TsStream::byte_offset(next));
}

// The measured rate needs three PCR intervals that agree: two in a row that each lost a packet
// agree with each other, but must not set a wrong rate that makes every later PCR "inaccurate".
TEST(IndicatorP2, PcrAccuracy_2_4_TwoDamagedFirstIntervalsDoNotSetTheRate) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  const auto pcrs = stream.find_pcrs();
  ASSERT_GT(pcrs.size(), 6u);
  // A null packet lost in each of the first two PCR intervals: no continuity error, but both
  // intervals read 188 bytes short, alike.
  const auto in_first = stream.find(0x1FFF, stream.time_ns(pcrs[0]), stream.time_ns(pcrs[1]));
  const auto in_second = stream.find(0x1FFF, stream.time_ns(pcrs[1]), stream.time_ns(pcrs[2]));
  ASSERT_FALSE(in_first.empty());
  ASSERT_FALSE(in_second.empty());
  stream.drop(in_second.front());  // the later one first: indices before it stay valid
  stream.drop(in_first.front());
  // Judged only once the rate is known: neither damaged interval is judged, and nothing after
  // them reads as inaccurate.
  expect_only(analyse(stream.bytes()), {});
}

TEST(IndicatorP1, ContinuityCountError_1_4_DroppedPacketAlsoMovesTheNextPcr) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  const std::size_t lost = stream.find_plain_video(1 * kSecond).front();
  stream.drop(lost);  // 188 bytes fewer: the next PCR is 752 us off the bytes before it
  expect_only(analyse(stream.bytes()), {{continuity_count_error, 1}, {pcr_accuracy_error, 1}});
}

TEST(IndicatorP1, PmtError_1_5_GapOf520msCountsOne) {
  StreamConfig config = config_of(4 * kSecond);
  config.pmt.outages = {{1001 * kMs + 1, 1521 * kMs}};
  const TsStream stream = build_stream(config);
  ASSERT_NEAR(max_gap_ms(stream, stream.find(kPmtPid)), 520.0, 6.0);
  ASSERT_GT(max_gap_ms(stream, stream.find(kPmtPid)), 505.0);
  expect_only(analyse(stream.bytes()), {{pmt_error, 1}, {pmt_error_2, 1}});
}

TEST(IndicatorP1, PmtError_1_5_GapOf480msCountsNothing) {
  StreamConfig config = config_of(4 * kSecond);
  config.pmt.outages = {{1001 * kMs + 1, 1481 * kMs}};
  const TsStream stream = build_stream(config);
  ASSERT_LT(max_gap_ms(stream, stream.find(kPmtPid)), 495.0);
  expect_only(analyse(stream.bytes()), {});
}

TEST(IndicatorP1, PmtError_1_5_ScrambledPmtPacket) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  stream.set_scrambling(stream.find(kPmtPid, 1500 * kMs).front(), 0x3);
  expect_only(analyse(stream.bytes()), {{pmt_error, 1}, {pmt_error_2, 1}, {cat_error, 1}});
}

TEST(IndicatorP1, PmtError_1_5_MissingProgramOnSharedPidIsNot1_5a) {
  StreamConfig config = config_of(4 * kSecond);
  config.second_program = true;
  config.pmt2.outages = {{1050 * kMs + 1, 2050 * kMs}};  // program 2's PMT gone for 1 s
  // The PID still carries program 1's PMT every 100 ms: 1.5 for program 2, no 1.5a.
  expect_only(analyse(build_stream(config).bytes()), {{pmt_error, 1}});
}

TEST(IndicatorP1, PidError_1_6_AudioGoneFor6sCountsOne) {
  StreamConfig config = config_of(11 * kSecond);
  config.audio.outages = {{3 * kSecond, 9 * kSecond}};
  const TsStream stream = build_stream(config);
  ASSERT_GT(max_gap_ms(stream, stream.find(kAudioPid)), 5900.0);
  // The audio PTS is gone as long: 2.5 counts once too.
  const Analysis run = analyse(stream.bytes());
  expect_only(run, {{pid_error, 1}, {pts_error, 1}});
  const auto events = events_of(run, pid_error);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].pid, kAudioPid);
  // Counted when the absence ends: at the audio packet that came back.
  const std::size_t back = stream.find(kAudioPid, 3 * kSecond).front();
  EXPECT_EQ(events[0].byte_offset, TsStream::byte_offset(back));
  ASSERT_TRUE(events[0].time_ns.has_value());
  EXPECT_NEAR(static_cast<double>(*events[0].time_ns), stream.time_ns(back), 0.1 * kMs);
}

TEST(IndicatorP1, PidError_1_6_AudioGoneFor4_5sCountsNothing) {
  StreamConfig config = config_of(11 * kSecond);
  config.audio.outages = {{3 * kSecond, 7500 * kMs}};
  expect_only(analyse(build_stream(config).bytes()), {{pts_error, 1}});
}

// ---------------------------------------------------------------------------------------------
// Second priority.

TEST(IndicatorP2, TransportError_2_1_EachTeiPacketCounts) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  const auto plain = stream.find_plain_video(1 * kSecond);
  const std::vector<std::size_t> marked{plain[0], plain[10], plain[20]};
  for (std::size_t i : marked) stream.set_tei(i);
  const Analysis run = analyse(stream.bytes());
  expect_only(run, {{transport_error, 3}});
  const auto events = events_of(run, transport_error);
  ASSERT_EQ(events.size(), 3u);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(events[i].byte_offset, TsStream::byte_offset(marked[i]));
  }
}

TEST(IndicatorP2, CrcError_2_2_BadPatCrc) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  const std::size_t k = stream.find_section_starts(kPatPid, 0x00, 1500 * kMs).front();
  stream.corrupt_crc(k);
  const Analysis run = analyse(stream.bytes());
  expect_only(run, {{crc_error, 1}});
  const auto events = events_of(run, crc_error);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].byte_offset, TsStream::byte_offset(k));
  EXPECT_EQ(events[0].pid, kPatPid);
}

TEST(IndicatorP2, CrcError_2_2_EveryTableWithCrc) {
  // The last emission of each table is damaged, so no repetition limit is reached because a
  // section was dropped.
  const StreamConfig config = config_of(11500 * kMs);
  TsStream stream = build_stream(config);
  const std::vector<std::pair<std::uint16_t, std::uint8_t>> tables{
      {kPatPid, 0x00}, {kPmtPid, 0x02}, {kNitPid, 0x40}, {kSdtPid, 0x42},
      {kEitPid, 0x4E}, {kEitPid, 0x50}, {kTdtPid, 0x73}};
  for (const auto& [pid, table_id] : tables) {
    const auto starts = stream.find_section_starts(pid, table_id);
    ASSERT_FALSE(starts.empty()) << pid << " " << int{table_id};
    std::size_t last = starts.back();
    if (table_id == 0x4E) last = starts[starts.size() - 2];  // section 0 of the last pair
    stream.corrupt_crc(last);
  }
  expect_only(analyse(stream.bytes()), {{crc_error, 7}});
}

TEST(IndicatorP2, PcrRepetition_2_3a_Interval39msCountsNothing) {
  StreamConfig config = config_of(3 * kSecond);
  config.pcr_interval_ns = 39 * kMs;
  const TsStream stream = build_stream(config);
  ASSERT_LT(max_gap_ms(stream, stream.find_pcrs()), 39.9);
  expect_only(analyse(stream.bytes()), {});
}

TEST(IndicatorP2, PcrRepetition_2_3a_Interval41msCountsEveryPcr) {
  StreamConfig config = config_of(3 * kSecond);
  config.pcr_interval_ns = 41 * kMs;
  const TsStream stream = build_stream(config);
  const auto pcrs = stream.find_pcrs();
  for (std::size_t i = 1; i < pcrs.size(); ++i) {
    ASSERT_GT(stream.time_ns(pcrs[i]) - stream.time_ns(pcrs[i - 1]), 40 * kMs);
  }
  const std::uint64_t late = pcrs.size() - 1;  // every PCR after the first
  expect_only(analyse(stream.bytes()), {{pcr_error, late}, {pcr_repetition_error, late}});
}

TEST(IndicatorP2, PcrRepetition_2_3a_OneMissingPcrCountsOne) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  const auto pcrs = stream.find_pcrs(1 * kSecond);
  ASSERT_EQ(stream.remove_pcrs(stream.time_ns(pcrs[1]), stream.time_ns(pcrs[1]) + 1), 1u);
  const Analysis run = analyse(stream.bytes());
  expect_only(run, {{pcr_error, 1}, {pcr_repetition_error, 1}});  // a 60 ms gap
  const auto events = events_of(run, pcr_repetition_error);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].byte_offset, TsStream::byte_offset(pcrs[2]));
  EXPECT_EQ(events[0].pid, kVideoPid);
}

TEST(IndicatorP2, PcrDiscontinuity_2_3b_120msGapRaisesBothButCountsOne2_3) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  const auto pcrs = stream.find_pcrs(1 * kSecond);
  ASSERT_EQ(stream.remove_pcrs(stream.time_ns(pcrs[1]), stream.time_ns(pcrs[3]) + 1), 3u);
  ASSERT_GT(stream.time_ns(pcrs[4]) - stream.time_ns(pcrs[0]), 100 * kMs);
  // 2.4 is not judged on a PCR that raised 2.3b.
  expect_only(analyse(stream.bytes()),
              {{pcr_error, 1}, {pcr_repetition_error, 1}, {pcr_discontinuity_indicator_error, 1}});
}

TEST(IndicatorP2, PcrDiscontinuity_2_3b_StepOf150msWithoutIndicator) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  const std::size_t k = stream.find_pcrs(1500 * kMs).front();
  stream.shift_pcrs_from(k, 150 * kMs);
  const Analysis run = analyse(stream.bytes());
  // 180 ms from the previous PCR; the bytes between them are still 30 ms: no 2.3a, no 2.4.
  expect_only(run, {{pcr_error, 1}, {pcr_discontinuity_indicator_error, 1}});
  const auto events = events_of(run, pcr_discontinuity_indicator_error);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].byte_offset, TsStream::byte_offset(k));
}

TEST(IndicatorP2, PcrDiscontinuity_2_3b_StepBackWithoutIndicator) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  stream.shift_pcrs_from(stream.find_pcrs(2500 * kMs).front(), -50 * kMs);  // -20 ms difference
  expect_only(analyse(stream.bytes()), {{pcr_error, 1}, {pcr_discontinuity_indicator_error, 1}});
}

TEST(IndicatorP2, PcrDiscontinuity_2_3b_StepWithIndicatorCountsNothing) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  const std::size_t k = stream.find_pcrs(1500 * kMs).front();
  stream.shift_pcrs_from(k, 150 * kMs);
  stream.set_discontinuity(k);
  expect_only(analyse(stream.bytes()), {});
}

TEST(IndicatorP2, PcrDiscontinuity_2_3b_SpikeCountsTwo) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  stream.shift_pcr(stream.find_pcrs(1500 * kMs).front(), 200 * kMs);
  // +230 ms into the spike and -170 ms out of it.
  expect_only(analyse(stream.bytes()), {{pcr_error, 2}, {pcr_discontinuity_indicator_error, 2}});
}

TEST(IndicatorP2, PcrAccuracy_2_4_Step400nsCountsNothing) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  stream.shift_pcrs_from(stream.find_pcrs(1500 * kMs).front(), 400);
  expect_only(analyse(stream.bytes()), {});
}

TEST(IndicatorP2, PcrAccuracy_2_4_Step600nsCountsOne) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  const std::size_t k = stream.find_pcrs(1500 * kMs).front();
  stream.shift_pcrs_from(k, 600);
  const Analysis run = analyse(stream.bytes());
  expect_only(run, {{pcr_accuracy_error, 1}});
  const auto events = events_of(run, pcr_accuracy_error);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].byte_offset, TsStream::byte_offset(k));
}

TEST(IndicatorP2, PcrAccuracy_2_4_Step600nsBackCountsOne) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  stream.shift_pcrs_from(stream.find_pcrs(1500 * kMs).front(), -600);
  expect_only(analyse(stream.bytes()), {{pcr_accuracy_error, 1}});
}

TEST(IndicatorP2, PcrAccuracy_2_4_OnePcrOff600nsCountsItAndTheNext) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  stream.shift_pcr(stream.find_pcrs(1500 * kMs).front(), 600);
  // Each PCR is judged against the previous PCR as received.
  expect_only(analyse(stream.bytes()), {{pcr_accuracy_error, 2}});
}

TEST(IndicatorP2, PtsError_2_5_VideoWithoutPtsFor800msCountsOne) {
  StreamConfig config = config_of(4 * kSecond);
  config.video_without_pts = {{2000 * kMs + 1, 2800 * kMs}};
  const Analysis run = analyse(build_stream(config).bytes());
  expect_only(run, {{pts_error, 1}});
  const auto events = events_of(run, pts_error);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].pid, kVideoPid);
}

TEST(IndicatorP2, PtsError_2_5_VideoWithoutPtsFor600msCountsNothing) {
  StreamConfig config = config_of(4 * kSecond);
  config.video_without_pts = {{2000 * kMs + 1, 2600 * kMs}};
  expect_only(analyse(build_stream(config).bytes()), {});
}

TEST(IndicatorP2, PtsError_2_5_AudioGoneFor1sCountsOne) {
  StreamConfig config = config_of(4 * kSecond);
  config.audio.outages = {{1 * kSecond, 2 * kSecond}};
  expect_only(analyse(build_stream(config).bytes()), {{pts_error, 1}});
}

TEST(IndicatorP2, CatError_2_6_ScrambledPidWithoutCatCountsOncePerPid) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  for (std::size_t i : stream.find_plain_video(1 * kSecond, 2 * kSecond)) stream.set_scrambling(i);
  for (std::size_t i : stream.find(kAudioPid, 1 * kSecond, 1200 * kMs)) stream.set_scrambling(i);
  expect_only(analyse(stream.bytes()), {{cat_error, 2}});
}

TEST(IndicatorP2, CatError_2_6_WrongTableIdOnPid1) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  const std::size_t at = stream.insert_section(kCatPid, long_section(0x02, 1), 1500 * kMs);
  const Analysis run = analyse(stream.bytes());
  expect_only(run, {{cat_error, 1}});
  ASSERT_EQ(events_of(run, cat_error).size(), 1u);
  EXPECT_EQ(events_of(run, cat_error)[0].byte_offset, TsStream::byte_offset(at));
}

// ---------------------------------------------------------------------------------------------
// Third priority.

TEST(IndicatorP3, NitError_3_1_GapOf11sCountsOne) {
  StreamConfig config = config_of(13 * kSecond);
  config.nit.interval_ns = 11 * kSecond;
  expect_only(analyse(build_stream(config).bytes()), {{nit_error, 1}, {si_repetition_error, 1}});
}

TEST(IndicatorP3, NitError_3_1_WrongTableIdOnPid0x10) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  stream.insert_section(kNitPid, long_section(0x42, kTransportStreamId), 1500 * kMs);
  expect_only(analyse(stream.bytes()), {{nit_error, 1}});
}

TEST(IndicatorP3, NitError_3_1_NitOtherAndStuffingAreAllowed) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  stream.insert_section(kNitPid, long_section(0x41, 0x0002), 1000 * kMs);
  stream.insert_section(kNitPid, short_section(0x72), 2000 * kMs);
  expect_only(analyse(stream.bytes()), {});
}

TEST(IndicatorP3, NitError_3_1_TwoSections20msApart) {
  StreamConfig config = config_of(3 * kSecond);
  config.nit.offset_ns = 1000 * kMs;
  config.nit.extra_ns = {1020 * kMs};
  expect_only(analyse(build_stream(config).bytes()), {{nit_error, 1}, {si_repetition_error, 1}});
}

TEST(IndicatorP3, SiRepetition_3_2_EitScheduleGoneFor10_5s) {
  StreamConfig config = config_of(12 * kSecond);
  config.eit_schedule.outages = {{150 * kMs + 1, 10650 * kMs}};  // back after 10.5 s
  const Analysis run = analyse(build_stream(config).bytes());
  expect_only(run, {{si_repetition_error, 1}});
  const auto events = events_of(run, si_repetition_error);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].pid, kEitPid);
}

TEST(IndicatorP3, SiRepetition_3_2_TotGoneFor30_5s) {
  StreamConfig config = config_of(32 * kSecond);
  config.tot.outages = {{300 * kMs + 1, 30800 * kMs}};  // back after 30.5 s
  expect_only(analyse(build_stream(config).bytes()), {{si_repetition_error, 1}});
}

TEST(IndicatorP3, SiRepetition_3_2_EverySectionNumberCounts) {
  StreamConfig config = config_of(6 * kSecond);
  config.eit_pf.outages = {{1060 * kMs + 1, 3560 * kMs}};  // sections 0 and 1 gone for 2.5 s
  expect_only(analyse(build_stream(config).bytes()), {{eit_error, 1}, {si_repetition_error, 2}});
}

TEST(IndicatorP3, UnreferencedPid_3_4_PresentFor2sCountsOne) {
  TsStream stream = build_stream(config_of(4 * kSecond));
  stream.insert_packets(0x0200, 1 * kSecond, 3 * kSecond, 100 * kMs);
  const Analysis run = analyse(stream.bytes());
  expect_only(run, {{unreferenced_pid, 1}});
  const auto events = events_of(run, unreferenced_pid);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].pid, 0x0200);
}

TEST(IndicatorP3, UnreferencedPid_3_4_TwoPidsCountTwo) {
  TsStream stream = build_stream(config_of(4 * kSecond));
  stream.insert_packets(0x0200, 1 * kSecond, 3 * kSecond, 100 * kMs);
  stream.insert_packets(0x1000, 1 * kSecond, 3 * kSecond, 50 * kMs);
  expect_only(analyse(stream.bytes()), {{unreferenced_pid, 2}});
}

TEST(IndicatorP3, UnreferencedPid_3_4_BurstOf300msCountsOne) {
  // TR 101 290: "not referred to by a PMT within 0,5 s"; the PID going away does not refer it.
  TsStream stream = build_stream(config_of(4 * kSecond));
  ASSERT_EQ(stream.insert_packets(0x0200, 1 * kSecond, 1301 * kMs, 100 * kMs).size(), 4u);
  expect_only(analyse(stream.bytes()), {{unreferenced_pid, 1}});
}

TEST(IndicatorP3, UnreferencedPid_3_4_PmtWithin400msRefersTheEsPidsInTime) {
  StreamConfig config = config_of(3 * kSecond);
  config.pmt.offset_ns = 400 * kMs;  // video and audio run from the start
  expect_only(analyse(build_stream(config).bytes()), {});
}

TEST(IndicatorP3, UnreferencedPid_3_4_PmtAfter600msCountsEachEsPid) {
  StreamConfig config = config_of(3 * kSecond);
  config.pmt.offset_ns = 600 * kMs;
  // Video and audio unreferenced for 0.6 s, and no PMT for 0.6 s from the start.
  expect_only(analyse(build_stream(config).bytes()),
              {{unreferenced_pid, 2}, {pmt_error, 1}, {pmt_error_2, 1}});
}

TEST(IndicatorP3, UnreferencedPid_3_4_ReservedPidsAreNotCounted) {
  TsStream stream = build_stream(config_of(4 * kSecond));
  stream.insert_packets(0x001E, 1 * kSecond, 3 * kSecond, 100 * kMs);
  expect_only(analyse(stream.bytes()), {});
}

TEST(IndicatorP3, SdtError_3_5_GapOf2100msCountsOne) {
  StreamConfig config = config_of(6 * kSecond);
  config.sdt.outages = {{1020 * kMs + 1, 3120 * kMs}};
  const TsStream stream = build_stream(config);
  ASSERT_NEAR(max_gap_ms(stream, stream.find(kSdtPid)), 2100.0, 2.0);
  expect_only(analyse(stream.bytes()), {{sdt_error, 1}, {si_repetition_error, 1}});
}

TEST(IndicatorP3, SdtError_3_5_GapOf1900msCountsNothing) {
  StreamConfig config = config_of(6 * kSecond);
  config.sdt.outages = {{1020 * kMs + 1, 2920 * kMs}};
  const TsStream stream = build_stream(config);
  ASSERT_NEAR(max_gap_ms(stream, stream.find(kSdtPid)), 1900.0, 2.0);
  expect_only(analyse(stream.bytes()), {});
}

TEST(IndicatorP3, SdtError_3_5_TwoSections20msApart) {
  StreamConfig config = config_of(3 * kSecond);
  config.sdt.extra_ns = {1040 * kMs};  // 20 ms after the one due at 1020 ms
  const TsStream stream = build_stream(config);
  const auto sdt = stream.find(kSdtPid, 1 * kSecond, 1100 * kMs);
  ASSERT_EQ(sdt.size(), 2u);
  ASSERT_LT(stream.time_ns(sdt[1]) - stream.time_ns(sdt[0] + 1), 25 * kMs);
  // The pair breaks both the SDT rule (3.5) and the sub-table rule (3.2).
  const Analysis run = analyse(stream.bytes());
  expect_only(run, {{sdt_error, 1}, {si_repetition_error, 1}});
  const auto events = events_of(run, sdt_error);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].byte_offset, TsStream::byte_offset(sdt[1]));
}

TEST(IndicatorP3, SdtError_3_5_WrongTableIdOnPid0x11) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  stream.insert_section(kSdtPid, long_section(0x40, kNetworkId), 1500 * kMs);
  expect_only(analyse(stream.bytes()), {{sdt_error, 1}});
}

TEST(IndicatorP3, SdtError_3_5_SdtOtherAndBatAreAllowed) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  stream.insert_section(kSdtPid, long_section(0x46, 0x0002), 1000 * kMs);
  stream.insert_section(kSdtPid, long_section(0x4A, 0x0003), 2000 * kMs);
  expect_only(analyse(stream.bytes()), {});
}

TEST(IndicatorP3, EitError_3_6_PresentFollowingGoneFor2500ms) {
  StreamConfig config = config_of(6 * kSecond);
  config.eit_pf.outages = {{1060 * kMs + 1, 3560 * kMs}};
  expect_only(analyse(build_stream(config).bytes()), {{eit_error, 1}, {si_repetition_error, 2}});
}

TEST(IndicatorP3, EitError_3_6_PresentAndFollowing20msApartEveryCycle) {
  StreamConfig config = config_of(4 * kSecond);
  config.eit_pf.offset_ns = 500 * kMs;  // cycles at 0.5, 1.5, 2.5 and 3.5 s
  config.eit_pf_section_gap_ns = 20 * kMs;
  const TsStream stream = build_stream(config);
  const std::uint64_t cycles = stream.find_section_starts(kEitPid, 0x4E).size() / 2;
  ASSERT_EQ(cycles, 4u);
  expect_only(analyse(stream.bytes()), {{eit_error, cycles}, {si_repetition_error, cycles}});
}

TEST(IndicatorP3, EitError_3_6_WrongTableIdOnPid0x12) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  stream.insert_section(kEitPid, long_section(0x42, kTransportStreamId), 1500 * kMs);
  expect_only(analyse(stream.bytes()), {{eit_error, 1}});
}

TEST(IndicatorP3, EitError_3_6_OtherEitTablesAreAllowed) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  stream.insert_section(kEitPid, long_section(0x4F, 7), 1000 * kMs);
  stream.insert_section(kEitPid, long_section(0x60, 7), 2000 * kMs);
  expect_only(analyse(stream.bytes()), {});
}

TEST(IndicatorP3, RstError_3_7_WrongTableIdOnPid0x13) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  stream.insert_section(kRstPid, short_section(0x70, 5), 1500 * kMs);
  expect_only(analyse(stream.bytes()), {{rst_error, 1}});
}

TEST(IndicatorP3, RstError_3_7_TwoRstSections10msApart) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  stream.insert_section(kRstPid, short_section(0x71), 1000 * kMs);
  const std::size_t second = stream.insert_section(kRstPid, short_section(0x71), 1010 * kMs);
  const Analysis run = analyse(stream.bytes());
  expect_only(run, {{rst_error, 1}});
  ASSERT_EQ(events_of(run, rst_error).size(), 1u);
  EXPECT_EQ(events_of(run, rst_error)[0].byte_offset, TsStream::byte_offset(second));
}

TEST(IndicatorP3, RstError_3_7_RstSections1sApartAreAllowed) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  stream.insert_section(kRstPid, short_section(0x71), 1000 * kMs);
  stream.insert_section(kRstPid, short_section(0x71), 2000 * kMs);
  expect_only(analyse(stream.bytes()), {});
}

TEST(IndicatorP3, TdtError_3_8_TdtGoneFor30_5s) {
  StreamConfig config = config_of(32 * kSecond);
  config.tdt.outages = {{250 * kMs + 1, 30750 * kMs}};  // back after 30.5 s
  const TsStream stream = build_stream(config);
  const Analysis run = analyse(stream.bytes());
  expect_only(run, {{tdt_error, 1}, {si_repetition_error, 1}});
  const auto events = events_of(run, tdt_error);
  ASSERT_EQ(events.size(), 1u);
  const std::size_t back = stream.find_section_starts(kTdtPid, 0x70)[1];
  EXPECT_EQ(events[0].byte_offset, TsStream::byte_offset(back));
  ASSERT_TRUE(events[0].time_ns.has_value());
  EXPECT_NEAR(static_cast<double>(*events[0].time_ns) / kMs, 30750.0, 1.0);
}

TEST(IndicatorP3, TdtError_3_8_FirstTdtAfter31s) {
  StreamConfig config = config_of(32 * kSecond);
  config.tdt.offset_ns = 31 * kSecond;
  const Analysis run = analyse(build_stream(config).bytes());
  // The first absence is timed from the first packet whose time is known. Whether 3.2 also
  // counts a sub-table before its first section is not settled by the guide ("each
  // section_number" of a table not yet seen): unjudged.
  expect_only(run, {{tdt_error, 1}}, {si_repetition_error});
}

TEST(IndicatorP3, TdtError_3_8_TdtNeverPresentIsNotCounted) {
  StreamConfig config = config_of(32 * kSecond);
  config.tdt.enabled = false;
  expect_only(analyse(build_stream(config).bytes()), {});  // open at the end: a statement
}

TEST(IndicatorP3, TdtError_3_8_WrongTableIdOnPid0x14) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  stream.insert_section(kTdtPid, long_section(0x42, kTransportStreamId), 1500 * kMs);
  expect_only(analyse(stream.bytes()), {{tdt_error, 1}});
}

TEST(IndicatorP3, TdtError_3_8_TwoTdtSections10msApart) {
  StreamConfig config = config_of(7 * kSecond);
  config.tdt.extra_ns = {5260 * kMs};  // 10 ms after the one due at 5250 ms
  expect_only(analyse(build_stream(config).bytes()), {{tdt_error, 1}, {si_repetition_error, 1}});
}

// ---------------------------------------------------------------------------------------------
// Events: where and when.

TEST(IndicatorEvents, AbsenceIsStampedAtThePacketThatEndsIt) {
  StreamConfig config = config_of(4 * kSecond);
  config.pat.outages = {{1100 * kMs + 1, 1800 * kMs}};
  const TsStream stream = build_stream(config);
  const std::size_t back = stream.find(kPatPid, 1200 * kMs).front();
  ASSERT_NEAR(static_cast<double>(stream.time_ns(back)) / kMs, 1800.0, 3.0);
  const Analysis run = analyse(stream.bytes());
  for (Indicator indicator : {pat_error, pat_error_2}) {
    const auto events = events_of(run, indicator);
    ASSERT_EQ(events.size(), 1u) << indicator_id(indicator);
    EXPECT_EQ(events[0].byte_offset, TsStream::byte_offset(back));
    ASSERT_TRUE(events[0].time_ns.has_value());
    EXPECT_NEAR(static_cast<double>(*events[0].time_ns), stream.time_ns(back), 0.1 * kMs);
    EXPECT_EQ(events[0].pid, kPatPid);
    EXPECT_FALSE(events[0].detail.empty());  // gives the gap
  }
}

TEST(IndicatorEvents, AbsenceOpenAtTheEndIsAStatementNotACount) {
  StreamConfig config = config_of(4 * kSecond);
  config.pat.outages = {{1000 * kMs + 1, kEndOfTime}};  // no PAT for the last 3 s
  const Analysis run = analyse(build_stream(config).bytes());
  expect_only(run, {});
  const auto& statements = run.figures.input.statements;
  EXPECT_TRUE(std::any_of(statements.begin(), statements.end(), [](const std::string& s) {
    return s.find("PAT") != std::string::npos;
  })) << fmt::format("statements: {}", fmt::join(statements, " | "));
}

TEST(IndicatorEvents, OngoingAbsenceIsAnActiveAlarmInTheIntervalReports) {
  StreamConfig config = config_of(5 * kSecond);
  config.pat.outages = {{1000 * kMs + 1, 3000 * kMs}};
  const Bytes bytes = build_stream(config).bytes();
  Analyzer analyzer;
  std::vector<IntervalReport> reports;
  analyzer.on_interval([&](const IntervalReport& report) { reports.push_back(report); });
  analyzer.feed(bytes);
  analyzer.finish();
  ASSERT_GE(reports.size(), 4u);
  // The report of 1..2 s ends 1 s after the last PAT: the absence is on, not yet counted.
  const auto during = std::find_if(reports.begin(), reports.end(), [](const IntervalReport& r) {
    return r.end_ns > 1600 * kMs && r.end_ns < 2900 * kMs;
  });
  ASSERT_NE(during, reports.end());
  EXPECT_FALSE(during->active_alarms.empty());
  EXPECT_EQ(count_of(during->totals, pat_error), 0u);
  EXPECT_TRUE(reports.back().active_alarms.empty())
      << fmt::format("{}", fmt::join(reports.back().active_alarms, " | "));
  EXPECT_EQ(count_of(analyzer.counts(), pat_error), 1u);
}

TEST(IndicatorEvents, EventsBeyondTheLimitAreCountedNotKept) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  const auto plain = stream.find_plain_video(1 * kSecond);
  for (std::size_t i = 0; i < 20; ++i) stream.set_tei(plain[i]);
  AnalyzerOptions options;
  options.max_events_kept = 5;
  Analyzer analyzer(options);
  analyzer.feed(stream.bytes());
  analyzer.finish();
  EXPECT_EQ(count_of(analyzer.counts(), transport_error), 20u);
  EXPECT_EQ(analyzer.events().size(), 5u);
  EXPECT_EQ(analyzer.events_dropped(), 15u);
  EXPECT_EQ(analyzer.events()[0].byte_offset, TsStream::byte_offset(plain[0]));
}

// ---------------------------------------------------------------------------------------------
// The same stream in any chunking gives the same counts and events; live gives the same counts.

// Faults that stay clear of every threshold, spread over 4 s.
TsStream damaged_stream() {
  StreamConfig config = config_of(4 * kSecond);
  config.pat.outages = {{1000 * kMs + 1, 1700 * kMs}};
  config.sdt.outages = {{20 * kMs + 1, 2520 * kMs}};
  TsStream stream = build_stream(config);
  const auto plain = stream.find_plain_video(500 * kMs);
  stream.nullify(plain[0]);
  stream.set_tei(plain[30]);
  stream.corrupt_crc(stream.find_section_starts(kPmtPid, 0x02, 2 * kSecond).front());
  const auto pcrs = stream.find_pcrs(3 * kSecond);
  stream.remove_pcrs(stream.time_ns(pcrs[1]), stream.time_ns(pcrs[1]) + 1);
  stream.shift_pcrs_from(stream.find_pcrs(3500 * kMs).front(), 150 * kMs);
  stream.insert_packets(0x0200, 1 * kSecond, 2 * kSecond, 100 * kMs);
  stream.insert_section(kEitPid, long_section(0x42, 1), 2200 * kMs);
  const std::size_t k = stream.find_null_run(3, 2700 * kMs) + 1;
  stream.corrupt_sync(k);
  return stream;
}

void expect_same_events(const Analysis& a, const Analysis& b) {
  ASSERT_EQ(a.events.size(), b.events.size());
  for (std::size_t i = 0; i < a.events.size(); ++i) {
    EXPECT_EQ(a.events[i].indicator, b.events[i].indicator) << i;
    EXPECT_EQ(a.events[i].byte_offset, b.events[i].byte_offset) << i;
    EXPECT_EQ(a.events[i].pid, b.events[i].pid) << i;
    EXPECT_EQ(a.events[i].time_ns, b.events[i].time_ns) << i;
  }
}

TEST(IndicatorChunking, DamagedStreamCountsAsDocumented) {
  expect_only(analyse(damaged_stream().bytes()), {{sync_byte_error, 1},
                                                  {pat_error, 1},
                                                  {pat_error_2, 1},
                                                  {continuity_count_error, 1},
                                                  {transport_error, 1},
                                                  {crc_error, 1},
                                                  {pcr_error, 2},
                                                  {pcr_repetition_error, 1},
                                                  {pcr_discontinuity_indicator_error, 1},
                                                  {si_repetition_error, 1},
                                                  {unreferenced_pid, 1},
                                                  {sdt_error, 1},
                                                  {eit_error, 1}});
}

TEST(IndicatorChunking, AnyChunkSizeGivesTheSameCountsAndEvents) {
  const Bytes bytes = damaged_stream().bytes();
  const Analysis whole = analyse_chunked(bytes, [&] { return bytes.size(); });
  ASSERT_GT(whole.events.size(), 5u);
  for (std::size_t size : {std::size_t{1}, std::size_t{187}, std::size_t{188}, std::size_t{4096}}) {
    SCOPED_TRACE(fmt::format("chunks of {} bytes", size));
    const Analysis run = analyse_chunked(bytes, [size] { return size; });
    EXPECT_EQ(run.counts, whole.counts) << describe(run.counts) << " vs " << describe(whole.counts);
    expect_same_events(run, whole);
  }
  std::mt19937 rng(290);
  std::uniform_int_distribution<std::size_t> sizes(1, 3000);
  SCOPED_TRACE("random chunks");
  const Analysis run = analyse_chunked(bytes, [&] { return sizes(rng); });
  EXPECT_EQ(run.counts, whole.counts) << describe(run.counts) << " vs " << describe(whole.counts);
  expect_same_events(run, whole);
}

TEST(IndicatorLive, ArrivalTimesGiveTheSameCountsAsTheFile) {
  const TsStream stream = damaged_stream();
  const Bytes bytes = stream.bytes();
  const Analysis file = analyse(bytes);
  const Analysis live = analyse_live(bytes, stream.muxrate_bps(), 7);
  EXPECT_EQ(live.counts, file.counts) << describe(live.counts) << " vs " << describe(file.counts);
  // Live events carry the arrival time.
  for (const Event& e : live.events) {
    EXPECT_TRUE(e.time_ns.has_value()) << indicator_id(e.indicator);
  }
}

TEST(IndicatorLive, PcrInterval41msPacketByPacket) {
  StreamConfig config = config_of(3 * kSecond);
  config.pcr_interval_ns = 41 * kMs;
  const TsStream stream = build_stream(config);
  const Bytes bytes = stream.bytes();
  const Analysis file = analyse(bytes);
  const Analysis live = analyse_live(bytes, stream.muxrate_bps(), 1);
  EXPECT_EQ(live.counts, file.counts) << describe(live.counts) << " vs " << describe(file.counts);
  EXPECT_EQ(count_of(live.counts, pcr_repetition_error), stream.find_pcrs().size() - 1);
}

TEST(IndicatorLive, AbsencesAndGapsAsInTheFile) {
  StreamConfig config = config_of(8 * kSecond);
  config.pmt.outages = {{1001 * kMs + 1, 1701 * kMs}};
  config.audio.outages = {{1 * kSecond, 7 * kSecond}};
  config.eit_pf_section_gap_ns = 15 * kMs;
  // Live, gaps between sections are judged once the rate is known (four PCRs, about 90 ms):
  // the first p/f pair comes after that.
  config.eit_pf.offset_ns = 200 * kMs;
  const TsStream stream = build_stream(config);
  const Bytes bytes = stream.bytes();
  const Analysis file = analyse(bytes);
  const Analysis live = analyse_live(bytes, stream.muxrate_bps(), 7);
  EXPECT_EQ(live.counts, file.counts) << describe(live.counts) << " vs " << describe(file.counts);
  const std::uint64_t cycles = stream.find_section_starts(kEitPid, 0x4E).size() / 2;
  expect_only(live, {{pmt_error, 1},
                     {pmt_error_2, 1},
                     {pid_error, 1},
                     {pts_error, 1},
                     {eit_error, cycles},
                     {si_repetition_error, cycles}});
}

// ---------------------------------------------------------------------------------------------
// The input: packet size, garbage, truncation.

TEST(IndicatorInput, Rs204PacketsAreRecognisedWithoutErrors) {
  const TsStream stream = build_stream(config_of(4 * kSecond));
  const Bytes bytes = stream.bytes(204);
  const Analysis run = analyse(bytes);
  EXPECT_EQ(run.figures.input.packet_size, 204u);
  EXPECT_EQ(run.figures.input.packets, stream.size());
  EXPECT_EQ(run.figures.input.skipped_bytes, 0u);
  expect_only(run, {});
}

TEST(IndicatorInput, Rs204PacketsCountFaultsLike188) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  const std::size_t lost = stream.find_plain_video(1 * kSecond).front();
  const std::size_t next = next_of_pid(stream, lost);
  stream.nullify(lost);
  stream.corrupt_crc(stream.find_section_starts(kSdtPid, 0x42).back());
  const Analysis run = analyse(stream.bytes(204));
  expect_only(run, {{continuity_count_error, 1}, {crc_error, 1}});
  const auto events = events_of(run, continuity_count_error);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].byte_offset, next * 204);
}

TEST(IndicatorInput, GarbageAtTheStartIsSkipped) {
  const TsStream stream = build_stream(config_of(3 * kSecond));
  Bytes bytes = stream.bytes();
  insert_bytes(bytes, 0, garbage(1000, 1));
  const Analysis run = analyse(bytes);
  EXPECT_EQ(run.figures.input.packet_size, 188u);
  EXPECT_EQ(run.figures.input.skipped_bytes, 1000u);
  EXPECT_EQ(run.figures.input.packets, stream.size());
  EXPECT_EQ(run.figures.input.resyncs, 0u);  // sync was never lost, only found late
  expect_only(run, {});
}

TEST(IndicatorInput, EventOffsetsCountTheGarbageBeforeThem) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  const std::size_t lost = stream.find_plain_video(1 * kSecond).front();
  const std::size_t next = next_of_pid(stream, lost);
  stream.nullify(lost);
  Bytes bytes = stream.bytes();
  insert_bytes(bytes, 0, garbage(1000, 3));
  const Analysis run = analyse(bytes);
  expect_only(run, {{continuity_count_error, 1}});
  const auto events = events_of(run, continuity_count_error);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(events[0].byte_offset, 1000 + TsStream::byte_offset(next));
}

TEST(IndicatorInput, GarbageInTheMiddleLosesSyncAndResyncs) {
  TsStream stream = build_stream(config_of(3 * kSecond));
  const std::size_t k = stream.find_null_run(12, 1 * kSecond);
  Bytes bytes = stream.bytes();
  const Bytes junk = garbage(3 * 188, 7);  // over three null packets: the timing stays
  std::copy(junk.begin(), junk.end(), bytes.begin() + static_cast<std::ptrdiff_t>(k * 188));
  const Analysis run = analyse(bytes);
  // The bytes between the PCRs around the garbage are as many as before: no 2.4.
  expect_only(run, {{ts_sync_loss, 1}, {sync_byte_error, 2}});
  EXPECT_EQ(run.figures.input.resyncs, 1u);
  EXPECT_GE(run.figures.input.skipped_bytes, 188u);
  EXPECT_LE(run.figures.input.skipped_bytes, 3u * 188);
  EXPECT_EQ(run.figures.input.packet_size, 188u);
}

TEST(IndicatorInput, RandomBytesAreNotATransportStream) {
  const Bytes bytes = random_bytes(1 << 20, 101290);
  std::mt19937 rng(5);
  std::uniform_int_distribution<std::size_t> sizes(1, 5000);
  const Analysis run = analyse_chunked(bytes, [&] { return sizes(rng); });
  EXPECT_EQ(run.figures.input.packet_size, 0u);
  EXPECT_EQ(run.figures.input.packets, 0u);
  EXPECT_EQ(run.figures.input.bytes, bytes.size());
  EXPECT_FALSE(run.figures.input.statements.empty());
  expect_only(run, {});
}

TEST(IndicatorInput, TruncatedLastPacketIsReported) {
  const TsStream stream = build_stream(config_of(3 * kSecond));
  Bytes bytes = stream.bytes();
  truncate_last_packet(bytes, 100);
  const Analysis run = analyse(bytes);
  EXPECT_EQ(run.figures.input.truncated_tail_bytes, 100u);
  EXPECT_EQ(run.figures.input.packets, stream.size() - 1);
  EXPECT_EQ(run.figures.input.packet_size, 188u);
  expect_only(run, {});
}

TEST(IndicatorInput, EmptyInputNeverCrashes) {
  const Analysis run = analyse(Bytes{});
  EXPECT_EQ(run.figures.input.packet_size, 0u);
  expect_only(run, {});
}

}  // namespace
}  // namespace skyclass::tsmon::test

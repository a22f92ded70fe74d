// skyclass-tsdamage on streams built here with the mux helpers: determinism, rates, an
// independent re-check of every count in the report against the output, outages against
// PCR-derived times, the continuity rule on crafted removals, and bad input.
#include "tools/tsdamage/damage.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "mux/pcr.hpp"
#include "mux/section.hpp"
#include "mux/tables/pat.hpp"
#include "mux/tables/pmt.hpp"
#include "mux/ts_packet.hpp"

namespace skyclass::tsdamage {
namespace {

namespace fs = std::filesystem;
using mux::Bytes;
using mux::kTsPacketSize;

// 188 * 8 * 27e6 / 2'256'000 = 18000 ticks a packet: packet k starts at exactly k / 1500 s.
constexpr std::uint64_t kMuxrate = 2'256'000;
constexpr std::uint64_t kTicksPerPacket = 18'000;
constexpr std::uint16_t kPmtPid = 0x1000;
constexpr std::uint16_t kVideoPid = 0x100;
constexpr std::uint16_t kAudioPid = 0x101;

// ---------------------------------------------------------------------------------------------
// A CBR test stream: PAT and PMT, video with a PCR every 30 packets and some adaptation-only PCR
// packets, audio with duplicates, discontinuity_indicator and PES headers that span packets, and
// null packets. `truth` records where each packet's ES data lies (after the PES header).

struct Truth {
  std::uint16_t pid = 0;
  std::size_t es_first = 0, es_end = 0;  // byte range in the packet; empty: no ES data
};

struct Stream {
  Bytes bytes;
  std::vector<Truth> truth;
  std::size_t packets() const { return truth.size(); }
  std::span<const std::uint8_t> packet(std::size_t k) const {
    return std::span(bytes).subspan(k * kTsPacketSize, kTsPacketSize);
  }
};

struct StreamSpec {
  std::size_t packets = 6000;
  std::uint64_t origin_27mhz = 0;
  std::size_t pcr_period = 30;
  bool full = true;              // PSI, audio, null and adaptation-only packets; else video only
  bool adaptation_only = false;  // video only: an adaptation-only packet at k % 10 == 7
  std::optional<std::size_t> pcr_jump_at =
      std::nullopt;  // from here the PCR runs 5 s behind, with DI
};

// Writes the PES byte stream of one PID: pending header bytes first, then data.
struct PesWriter {
  std::uint8_t stream_id = 0;
  Bytes header;
  std::size_t header_at = 0;
  std::uint32_t data = 1;

  void start(std::uint8_t header_data_length) {
    header = {0x00, 0x00, 0x01, stream_id, 0x00, 0x00, 0x80, 0x80, header_data_length,
              0x21, 0x00, 0x01, 0x00,      0x01};  // PTS_DTS_flags '10', a PTS
    header.resize(9 + header_data_length, 0xFF);   // stuffing beyond the PTS
    header_at = 0;
  }
  // Fills `payload`; returns the bytes of header it took.
  std::size_t fill(std::span<std::uint8_t> payload) {
    const std::size_t take = std::min(payload.size(), header.size() - header_at);
    std::copy_n(header.begin() + static_cast<std::ptrdiff_t>(header_at), take, payload.begin());
    header_at += take;
    for (std::size_t i = take; i < payload.size(); ++i) {
      data = data * 1103515245u + 12345u;
      payload[i] = static_cast<std::uint8_t>(data >> 16);
    }
    return take;
  }
};

Stream make_stream(const StreamSpec& spec) {
  Stream stream;
  stream.bytes.resize(spec.packets * kTsPacketSize);
  stream.truth.resize(spec.packets);

  mux::Pat pat;
  pat.transport_stream_id = 1;
  pat.programs = {{1, kPmtPid}};
  const Bytes pat_section = pat.encode().at(0);
  mux::Pmt pmt;
  pmt.program_number = 1;
  pmt.PCR_PID = kVideoPid;
  pmt.streams = {{mux::kStreamTypeH264, kVideoPid, {}},
                 {mux::kStreamTypeMpeg1Audio, kAudioPid, {}}};
  const Bytes pmt_section = pmt.encode().at(0);

  std::uint8_t pat_cc = 0, pmt_cc = 0, video_cc = 15, audio_cc = 15;
  PesWriter video, audio;
  video.stream_id = 0xE0;
  audio.stream_id = 0xC0;
  std::size_t video_payloads = 0, audio_packets = 0, audio_pes = 0;
  std::size_t last_audio = 0;
  bool jumped = false;

  for (std::size_t k = 0; k < spec.packets; ++k) {
    std::span<std::uint8_t, kTsPacketSize> p(stream.bytes.data() + k * kTsPacketSize,
                                             kTsPacketSize);
    Truth& truth = stream.truth[k];
    const bool pcr_slot = k % spec.pcr_period == 2;
    const bool af_only = spec.full ? k % 97 == 50 : spec.adaptation_only && k % 10 == 7;
    if (spec.full && k % 150 == 0) {
      pat_cc = mux::packetize_section(pat_section, 0, pat_cc, p).next_continuity_counter;
    } else if (spec.full && k % 150 == 1) {
      pmt_cc = mux::packetize_section(pmt_section, kPmtPid, pmt_cc, p).next_continuity_counter;
      truth.pid = kPmtPid;
    } else if (spec.full && !pcr_slot && !af_only && k % 5 == 3) {
      truth.pid = kAudioPid;
      if (audio_packets % 400 == 399) {  // a duplicate of the previous audio packet
        std::copy_n(stream.packet(last_audio).begin(), kTsPacketSize, p.begin());
        truth = stream.truth[last_audio];
      } else {
        const bool start = audio_packets % 8 == 0;
        mux::AdaptationField af;
        af.discontinuity_indicator = audio_packets % 1000 == 500;
        audio_cc =
            static_cast<std::uint8_t>((audio_cc + (af.discontinuity_indicator ? 6 : 1)) & 15);
        const mux::TsHeader header{false, start, false, kAudioPid, 0, audio_cc};
        const std::size_t payload_size = af.discontinuity_indicator ? 182 : 184;
        std::span<std::uint8_t> payload = mux::write_ts_header(p, header, af, payload_size);
        if (start) audio.start(audio_pes++ % 5 == 4 ? 250 : 5);  // 259 bytes: spans packets
        const std::size_t header_bytes = audio.fill(payload);
        truth.es_first = kTsPacketSize - payload_size + header_bytes;
        truth.es_end = kTsPacketSize;
      }
      last_audio = k;
      ++audio_packets;
    } else if (spec.full && !pcr_slot && !af_only && k % 7 == 6) {
      mux::write_null_packet(p);
      truth.pid = mux::kNullPid;
    } else {
      truth.pid = kVideoPid;
      mux::AdaptationField af;
      std::uint64_t origin = spec.origin_27mhz;
      if (spec.pcr_jump_at && k >= *spec.pcr_jump_at) {
        origin = (origin + mux::kPcrModulus27MHz - 5 * mux::kSystemClockHz) % mux::kPcrModulus27MHz;
      }
      if (pcr_slot || af_only) {
        af.pcr = mux::pcr_for_packet(k, kMuxrate, origin);
        if (spec.pcr_jump_at && k >= *spec.pcr_jump_at && !jumped) {
          af.discontinuity_indicator = true;
          jumped = true;
        }
      }
      if (af_only) {
        mux::write_ts_header(p, {false, false, false, kVideoPid, 0, video_cc}, af, 0);
        continue;
      }
      const bool start = video_payloads++ % 40 == 0;
      af.random_access_indicator = start && !af.empty();
      video_cc = static_cast<std::uint8_t>((video_cc + 1) & 15);
      const std::size_t payload_size = af.empty() ? 184 : 184 - af.encoded_size();
      std::span<std::uint8_t> payload =
          mux::write_ts_header(p, {false, start, false, kVideoPid, 0, video_cc}, af, payload_size);
      if (start) video.start(5);
      const std::size_t header_bytes = video.fill(payload);
      truth.es_first = kTsPacketSize - payload_size + header_bytes;
      truth.es_end = kTsPacketSize;
    }
  }
  return stream;
}

const Stream& standard_stream() {
  static const Stream stream = make_stream(StreamSpec{.packets = 100'000});
  return stream;
}

// ---------------------------------------------------------------------------------------------
// Independent re-checks of an output.

// Which input packet each output packet is, by walking both: the tool neither adds nor reorders,
// and a kept packet differs from its input at most in the TEI bit and one payload bit.
struct Fate {
  std::optional<std::size_t> out;  // index in the output; none: removed
  bool tei_set = false;
  std::optional<std::size_t> flipped_byte;
};

int bits_different(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  int bits = 0;
  for (std::size_t i = 4; i < kTsPacketSize; ++i)
    bits += std::popcount(static_cast<unsigned>(a[i] ^ b[i]));
  return bits;
}

bool same_packet(std::span<const std::uint8_t> in, std::span<const std::uint8_t> out) {
  return in[0] == out[0] && (in[1] & 0x7F) == (out[1] & 0x7F) && in[2] == out[2] &&
         in[3] == out[3] && bits_different(in, out) <= 1;
}

std::vector<Fate> align(const Stream& input, const Bytes& output) {
  std::vector<Fate> fates(input.packets());
  std::size_t j = 0;
  const std::size_t out_packets = output.size() / kTsPacketSize;
  for (std::size_t i = 0; i < input.packets(); ++i) {
    if (j >= out_packets) break;
    const auto in = input.packet(i);
    const auto out = std::span(output).subspan(j * kTsPacketSize, kTsPacketSize);
    if (!same_packet(in, out)) continue;
    Fate& fate = fates[i];
    fate.out = j++;
    fate.tei_set = (out[1] & 0x80) && !(in[1] & 0x80);
    for (std::size_t b = 4; b < kTsPacketSize; ++b) {
      if (in[b] != out[b]) fate.flipped_byte = b;
    }
  }
  EXPECT_EQ(j, out_packets) << "output packets that match no input packet";
  return fates;
}

// The continuity rule of damage.hpp, written again: per PID, against the previous packet.
std::map<std::uint16_t, std::uint64_t> count_continuity_errors(const Bytes& ts) {
  struct Previous {
    int cc = -1;
    bool payload = false, duplicate = false;
    std::vector<std::uint8_t> last_payload;
  };
  std::map<std::uint16_t, Previous> previous;
  std::map<std::uint16_t, std::uint64_t> errors;
  for (std::size_t at = 0; at + kTsPacketSize <= ts.size(); at += kTsPacketSize) {
    const std::uint8_t* p = ts.data() + at;
    const auto pid = static_cast<std::uint16_t>(((p[1] & 0x1F) << 8) | p[2]);
    if (p[0] != 0x47 || pid == 0x1FFF) continue;
    const int cc = p[3] & 0x0F;
    const int control = (p[3] >> 4) & 3;
    const bool payload = control & 1;
    const bool discontinuity = (control & 2) && p[4] > 0 && (p[5] & 0x80);
    const std::vector<std::uint8_t> bytes(p + ((control & 2) ? 5 + p[4] : 4), p + kTsPacketSize);
    Previous& prev = previous[pid];
    bool error = false, duplicate = false;
    if (prev.cc >= 0 && !discontinuity) {
      if (!payload) {
        error = cc != prev.cc;
      } else if (cc == prev.cc) {
        duplicate = prev.payload && !prev.duplicate && bytes == prev.last_payload;
        error = !duplicate;
      } else {
        error = cc != (prev.cc + 1) % 16;
      }
    }
    errors[pid] += error;
    prev.cc = cc;
    prev.payload = payload;
    prev.duplicate = duplicate;
    if (payload) prev.last_payload = bytes;
  }
  return errors;
}

// Every count of the report against the output and the input, found again without the tool.
void expect_report_matches(const Stream& input, const DamageResult& result) {
  const DamageReport& report = result.report;
  const Bytes& output = result.output;
  ASSERT_EQ(output.size() % kTsPacketSize, 0u);
  EXPECT_EQ(report.packets_in, input.packets());
  EXPECT_EQ(report.packets_out, output.size() / kTsPacketSize);
  EXPECT_EQ(report.input_continuity_errors, 0u) << "the test stream is clean";

  const std::vector<Fate> fates = align(input, output);
  std::map<std::uint16_t, PidDamage> found;
  for (std::size_t i = 0; i < fates.size(); ++i) {
    const Truth& truth = input.truth[i];
    PidDamage& pid = found[truth.pid];
    if (!fates[i].out) {
      ++pid.dropped;  // drops and outages together
      continue;
    }
    pid.tei += fates[i].tei_set;
    if (const auto byte = fates[i].flipped_byte) {
      ++pid.flipped;
      EXPECT_GE(*byte, truth.es_first) << "flip outside the ES data of packet " << i;
      EXPECT_LT(*byte, truth.es_end) << "flip outside the ES data of packet " << i;
    }
  }
  std::map<std::uint16_t, std::uint64_t> tei_scan;
  for (std::size_t at = 0; at < output.size(); at += kTsPacketSize) {
    if (output[at + 1] & 0x80)
      ++tei_scan[static_cast<std::uint16_t>(((output[at + 1] & 0x1F) << 8) | output[at + 2])];
  }
  const std::map<std::uint16_t, std::uint64_t> cc_errors = count_continuity_errors(output);

  std::uint64_t tei = 0, removed = 0, flipped = 0, continuity = 0;
  for (const auto& [pid, expected] : found) {
    SCOPED_TRACE(fmt::format("PID 0x{:04X}", pid));
    const PidDamage& reported = report.per_pid.at(pid);
    EXPECT_EQ(reported.tei, expected.tei);
    EXPECT_EQ(reported.tei, tei_scan.contains(pid) ? tei_scan.at(pid) : 0u);
    EXPECT_EQ(reported.transport_error_packets_out, reported.tei);
    EXPECT_EQ(reported.dropped + reported.outage_removed, expected.dropped);
    EXPECT_EQ(reported.flipped, expected.flipped);
    EXPECT_EQ(reported.continuity_errors, cc_errors.contains(pid) ? cc_errors.at(pid) : 0u);
    tei += expected.tei;
    removed += expected.dropped;
    flipped += expected.flipped;
    continuity += reported.continuity_errors;
  }
  EXPECT_EQ(report.tei_packets, tei);
  EXPECT_EQ(report.transport_error_packets_out, tei);
  std::uint64_t outage_packets = 0;
  for (const OutageDamage& window : report.outages) outage_packets += window.packets;
  EXPECT_EQ(report.dropped_packets + outage_packets, removed);
  EXPECT_EQ(report.flipped_packets, flipped);
  EXPECT_EQ(report.continuity_errors, continuity);
  std::uint64_t all_cc_errors = 0;
  for (const auto& [pid, n] : cc_errors) all_cc_errors += n;
  EXPECT_EQ(report.continuity_errors, all_cc_errors);
}

DamageOptions options(std::uint64_t seed, std::string_view tei, std::string_view drop,
                      std::string_view flip, std::vector<std::string_view> outages = {}) {
  DamageOptions o;
  o.seed = seed;
  o.tei = parse_percentage(tei, "--tei");
  o.drop = parse_percentage(drop, "--drop");
  o.flip = parse_percentage(flip, "--flip");
  for (std::string_view outage : outages) o.outages.push_back(parse_outage(outage));
  return o;
}

// The input without the packets [first, first + count).
Bytes without(const Stream& stream, std::size_t first, std::size_t count) {
  Bytes bytes = stream.bytes;
  bytes.erase(bytes.begin() + static_cast<std::ptrdiff_t>(first * kTsPacketSize),
              bytes.begin() + static_cast<std::ptrdiff_t>((first + count) * kTsPacketSize));
  return bytes;
}

// ---------------------------------------------------------------------------------------------

TEST(TsDamage, TestStreamIsCleanAndTimedByItsPcrs) {
  const Stream& stream = standard_stream();
  for (const auto& [pid, errors] : count_continuity_errors(stream.bytes)) {
    EXPECT_EQ(errors, 0u) << "PID " << pid;
  }
  const DamageResult result = damage_bytes(stream.bytes, options(1, "0", "0", "0", {"1000s+1s"}));
  EXPECT_EQ(result.output, stream.bytes) << "no damage asked: output identical";
  EXPECT_EQ(result.report.input_continuity_errors, 0u);
  EXPECT_EQ(result.report.continuity_errors, 0u);
  EXPECT_EQ(result.report.pcr_pid, kVideoPid);
  EXPECT_FALSE(result.report.outages.at(0).first_packet);

  Timeline timeline;
  for (std::size_t k = 0; k < stream.packets(); ++k) timeline.push(stream.packet(k));
  timeline.finish("test");
  for (std::size_t k : {0u, 1u, 2u, 3u, 1499u, 1500u, 33333u, 99'999u}) {
    EXPECT_NEAR(timeline.time_27mhz(k * kTsPacketSize), static_cast<double>(k * kTicksPerPacket),
                2.0)
        << "packet " << k;
  }
}

TEST(TsDamage, SameSeedSameBytesOtherSeedOtherBytes) {
  const Stream& stream = standard_stream();
  const DamageOptions a = options(42, "1", "1", "1", {"10s+2s"});
  const DamageResult first = damage_bytes(stream.bytes, a);
  const DamageResult again = damage_bytes(stream.bytes, a);
  EXPECT_EQ(first.output, again.output);
  EXPECT_EQ(to_json(first.report).dump(), to_json(again.report).dump());

  DamageOptions b = a;
  b.seed = 43;
  const DamageResult other = damage_bytes(stream.bytes, b);
  EXPECT_NE(first.output, other.output);
  EXPECT_NE(first.report.dropped_packets + first.report.tei_packets * 1000,
            other.report.dropped_packets + other.report.tei_packets * 1000);
}

TEST(TsDamage, RatesAreWithinTolerance) {
  const Stream& stream = standard_stream();  // 100000 packets
  const DamageResult result = damage_bytes(stream.bytes, options(7, "1", "2", "5"));
  const DamageReport& r = result.report;
  // Binomial: about 5 standard deviations each side.
  auto expect_near = [](std::uint64_t count, double mean, const char* what) {
    const double sd = std::sqrt(mean * (1 - mean / 100'000));
    EXPECT_NEAR(static_cast<double>(count), mean, 5 * sd) << what;
  };
  expect_near(r.dropped_packets, 2000, "drops");
  // TEI and flip choose among the packets that are sent (98 %).
  expect_near(r.tei_packets, 0.01 * 98'000, "TEI");
  expect_near(r.flipped_packets + r.flip_chosen_not_eligible, 0.05 * 98'000, "flip choices");
  EXPECT_GT(r.flipped_packets, 0.05 * 98'000 * 0.5) << "most packets carry ES data";
  EXPECT_EQ(r.packets_out, r.packets_in - r.dropped_packets);
  EXPECT_GT(r.continuity_errors, 0u);
  expect_report_matches(stream, result);
}

TEST(TsDamage, ReportMatchesAnIndependentRecheckUnderHeavyDamage) {
  const Stream& stream = standard_stream();
  for (std::uint64_t seed : {1u, 2u, 3u}) {
    SCOPED_TRACE(fmt::format("seed {}", seed));
    const DamageResult result =
        damage_bytes(stream.bytes, options(seed, "3", "10", "20", {"5s+1s", "30.2s+0.3s"}));
    expect_report_matches(stream, result);
    EXPECT_GT(result.report.continuity_errors, 100u);
  }
}

TEST(TsDamage, FlipsOnlyElementaryStreamData) {
  const Stream& stream = standard_stream();
  const DamageResult result = damage_bytes(stream.bytes, options(5, "0", "0", "100"));
  std::uint64_t eligible = 0;
  for (const Truth& truth : stream.truth) eligible += truth.es_first < truth.es_end;
  EXPECT_EQ(result.report.flipped_packets, eligible) << "100 %: every packet with ES data";
  EXPECT_EQ(result.report.flip_chosen_not_eligible, stream.packets() - eligible);
  // An audio duplicate and its original mostly get different bits flipped: they are no longer
  // duplicates (unless the same bit was drawn for both, or the packet is all PES header).
  std::uint64_t duplicates = 0, broken = 0;
  for (std::size_t k = 1; k < stream.packets(); ++k) {
    for (std::size_t j = k; j-- > 0 && j + 20 > k;) {
      if (stream.truth[j].pid != kAudioPid || stream.truth[k].pid != kAudioPid) continue;
      if (std::equal(stream.packet(j).begin(), stream.packet(j).end(), stream.packet(k).begin())) {
        ++duplicates;
        const auto a = std::span(result.output).subspan(j * kTsPacketSize, kTsPacketSize);
        const auto b = std::span(result.output).subspan(k * kTsPacketSize, kTsPacketSize);
        broken += !std::equal(a.begin(), a.end(), b.begin());
      }
      break;
    }
  }
  EXPECT_GT(duplicates, 10u);
  EXPECT_GT(broken, duplicates - 5);
  EXPECT_EQ(result.report.continuity_errors, broken);
  EXPECT_EQ(result.report.repeated_counter_errors, broken);
  for (std::size_t k = 0; k < stream.packets(); ++k) {
    const auto in = stream.packet(k);
    const auto out = std::span(result.output).subspan(k * kTsPacketSize, kTsPacketSize);
    const Truth& truth = stream.truth[k];
    ASSERT_TRUE(std::equal(
        in.begin(), in.begin() + static_cast<std::ptrdiff_t>(truth.es_first ? truth.es_first : 188),
        out.begin()))
        << "header, adaptation field, PES header or PSI changed in packet " << k;
    ASSERT_EQ(bits_different(in, out), truth.es_first < truth.es_end ? 1 : 0) << "packet " << k;
  }
  expect_report_matches(stream, result);
}

TEST(TsDamage, TeiOnEveryPacketTouchesOnlyTheBit) {
  const Stream stream = make_stream(StreamSpec{.packets = 3000});
  const DamageResult result = damage_bytes(stream.bytes, options(5, "100", "0", "0"));
  ASSERT_EQ(result.output.size(), stream.bytes.size());
  for (std::size_t at = 0; at < stream.bytes.size(); ++at) {
    const std::uint8_t expected =
        at % kTsPacketSize == 1 ? stream.bytes[at] | 0x80 : stream.bytes[at];
    ASSERT_EQ(result.output[at], expected) << "byte " << at;
  }
  EXPECT_EQ(result.report.tei_packets, 3000u);
  EXPECT_EQ(result.report.per_pid.at(mux::kNullPid).tei,
            result.report.per_pid.at(mux::kNullPid).packets_in)
      << "null packets are chosen too";
  EXPECT_EQ(to_json(result.report)["tei_packets_by_pid"]["8191"],
            result.report.per_pid.at(mux::kNullPid).tei);
  expect_report_matches(stream, result);
}

TEST(TsDamage, OutageRemovesExactlyThePacketsOfItsWindow) {
  const Stream stream = make_stream(StreamSpec{.packets = 6000});
  // Packet k starts at k / 1500 s: [2.0003 s, 2.5003 s) holds packets 3001..3750.
  for (std::string_view text : {"2.0003s+0.5s", "2000.3ms+500ms", "2.0003+0.5"}) {
    const DamageResult result = damage_bytes(stream.bytes, options(9, "0", "0", "0", {text}));
    EXPECT_EQ(result.output, without(stream, 3001, 750)) << text;
    ASSERT_EQ(result.report.outages.size(), 1u);
    EXPECT_EQ(result.report.outages[0].first_packet, 3001u);
    EXPECT_EQ(result.report.outages[0].packets, 750u);
    EXPECT_EQ(result.report.dropped_packets, 0u);
    expect_report_matches(stream, result);
  }
  // Before the first PCR (packet 2) the time is extrapolated: [0, 10.1 ms) is packets 0..15.
  const DamageResult head = damage_bytes(stream.bytes, options(9, "0", "0", "0", {"0+10.1ms"}));
  EXPECT_EQ(head.output, without(stream, 0, 16));
  // After the last PCR (packet 5972) too: [3.99 s, end) is packets 5985..5999.
  const DamageResult tail = damage_bytes(stream.bytes, options(9, "0", "0", "0", {"3.9899s+1h"}));
  EXPECT_EQ(tail.output, without(stream, 5985, 15));
}

TEST(TsDamage, OutageTimesComeFromThePcrsAcrossWrapAndDiscontinuity) {
  const std::uint64_t near_wrap = mux::kPcrModulus27MHz - mux::kSystemClockHz;  // wraps after 1 s
  const Stream wrapping = make_stream(StreamSpec{.packets = 6000, .origin_27mhz = near_wrap});
  const DamageResult a = damage_bytes(wrapping.bytes, options(9, "0", "0", "0", {"2.0003s+0.5s"}));
  EXPECT_EQ(a.output, without(wrapping, 3001, 750));

  // The PCR steps 5 s back at packet 2000 with discontinuity_indicator: stream time goes on.
  const Stream jumping = make_stream(StreamSpec{.packets = 6000, .pcr_jump_at = 2000});
  const DamageResult b = damage_bytes(jumping.bytes, options(9, "0", "0", "0", {"2.0003s+0.5s"}));
  EXPECT_EQ(b.output, without(jumping, 3001, 750));
}

TEST(TsDamage, OutageDoesNotChangeWhichOtherPacketsAreChosen) {
  const Stream& stream = standard_stream();
  const DamageResult plain = damage_bytes(stream.bytes, options(11, "2", "2", "10"));
  const DamageResult cut = damage_bytes(stream.bytes, options(11, "2", "2", "10", {"20.0003s+3s"}));
  // [20.0003 s, 23.0003 s) holds packets 30001..34500.
  ASSERT_EQ(cut.report.outages[0].packets, 4500u);
  EXPECT_EQ(cut.report.outages[0].first_packet, 30001u);
  const std::vector<Fate> fates = align(stream, plain.output);
  Bytes expected;
  for (std::size_t i = 0; i < fates.size(); ++i) {
    if (!fates[i].out || (i >= 30001 && i < 34501)) continue;
    const auto out = std::span(plain.output).subspan(*fates[i].out * kTsPacketSize, kTsPacketSize);
    expected.insert(expected.end(), out.begin(), out.end());
  }
  EXPECT_EQ(cut.output, expected);
  EXPECT_LT(cut.report.dropped_packets, plain.report.dropped_packets);
  expect_report_matches(stream, cut);
}

// A video-only stream with payload in every packet (a PCR every 10): an outage removes exactly
// the packets we want, so each case of the continuity rule can be set up.
TEST(TsDamage, ContinuityCountsFollowTheRule) {
  const Stream stream = make_stream(StreamSpec{.packets = 3000, .pcr_period = 10, .full = false});
  auto remove = [&](std::size_t first, std::size_t count) {
    // Window from the middle of packet first - 1 to the middle of packet first + count - 1.
    const std::string text =
        fmt::format("{:.3f}us+{:.3f}us", (first * 2 - 1) * 1000 / 3.0, count * 2000 / 3.0);
    DamageResult result = damage_bytes(stream.bytes, options(1, "0", "0", "0", {text}));
    EXPECT_EQ(result.output, without(stream, first, count)) << text;
    expect_report_matches(stream, result);
    return result.report;
  };
  EXPECT_EQ(remove(1000, 1).continuity_errors, 1u);
  EXPECT_EQ(remove(1000, 16).continuity_errors, 0u) << "16 steps: the counter comes round";
  EXPECT_EQ(remove(1000, 32).continuity_errors, 0u);
  const DamageReport fifteen = remove(1000, 15);
  EXPECT_EQ(fifteen.continuity_errors, 1u) << "the counter repeats with another payload";
  EXPECT_EQ(fifteen.repeated_counter_errors, 1u);
  EXPECT_EQ(remove(1000, 17).continuity_errors, 1u);
  EXPECT_EQ(remove(1000, 17).repeated_counter_errors, 0u);

  // Adaptation-only packets (k % 10 == 7) do not step the counter: removing one never shows.
  const Stream with_af = make_stream(
      StreamSpec{.packets = 3000, .pcr_period = 10, .full = false, .adaptation_only = true});
  const std::string one = fmt::format("{:.3f}us+{:.3f}us", (1007 * 2 - 1) * 1000 / 3.0, 2000 / 3.0);
  const DamageResult af_gone = damage_bytes(with_af.bytes, options(1, "0", "0", "0", {one}));
  EXPECT_EQ(af_gone.output, without(with_af, 1007, 1));
  EXPECT_EQ(af_gone.report.continuity_errors, 0u);
  // 17 packets with one adaptation-only among them: 16 steps, no error either.
  const std::string seventeen =
      fmt::format("{:.3f}us+{:.3f}us", (1000 * 2 - 1) * 1000 / 3.0, 17 * 2000 / 3.0);
  const DamageResult steps16 = damage_bytes(with_af.bytes, options(1, "0", "0", "0", {seventeen}));
  EXPECT_EQ(steps16.report.outages[0].packets, 17u);
  EXPECT_EQ(steps16.report.continuity_errors, 0u);
}

// PAT and PMT packets repeat the same section every 150 packets: removing 15 of them leaves
// the next one an exact duplicate of the last one sent (same counter, same payload), which a
// monitor accepts. 14 or 17 removed: an error; 16: none.
TEST(TsDamage, RemovingFifteenIdenticalPsiPacketsLeavesAnExactDuplicate) {
  const Stream stream = make_stream(StreamSpec{.packets = 6000});
  auto remove_psi = [&](std::size_t repeats) {
    // From the middle of packet 1649 to the middle of packet 1650 + 150 * (repeats - 1).
    const std::size_t count = 150 * (repeats - 1) + 1;
    const std::string text =
        fmt::format("{:.3f}us+{:.3f}us", (1650 * 2 - 1) * 1000 / 3.0, count * 2000 / 3.0);
    DamageResult result = damage_bytes(stream.bytes, options(1, "0", "0", "0", {text}));
    EXPECT_EQ(result.output, without(stream, 1650, count)) << text;
    EXPECT_EQ(result.report.per_pid.at(0).outage_removed, repeats);
    EXPECT_EQ(result.report.per_pid.at(kPmtPid).outage_removed, repeats - 1);
    expect_report_matches(stream, result);
    return result.report;
  };
  const DamageReport fifteen = remove_psi(15);
  EXPECT_EQ(fifteen.per_pid.at(0).continuity_errors, 0u);
  EXPECT_EQ(fifteen.per_pid.at(0).repeated_counter_errors, 0u);
  EXPECT_EQ(fifteen.per_pid.at(kVideoPid).continuity_errors, 1u);
  EXPECT_EQ(fifteen.per_pid.at(kPmtPid).continuity_errors, 1u) << "14 PMT packets removed";
  EXPECT_EQ(remove_psi(14).per_pid.at(0).continuity_errors, 1u);
  const DamageReport sixteen = remove_psi(16);
  EXPECT_EQ(sixteen.per_pid.at(0).continuity_errors, 0u);
  EXPECT_EQ(sixteen.per_pid.at(kPmtPid).continuity_errors, 0u) << "15 PMT packets: a duplicate";
  EXPECT_EQ(remove_psi(17).per_pid.at(0).continuity_errors, 1u);
}

mux::TsPacketView view_of(const std::array<std::uint8_t, kTsPacketSize>& packet) {
  mux::TsPacketView view;
  EXPECT_EQ(mux::try_parse_ts_packet(packet, view), mux::TsParseStatus::ok);
  return view;
}

std::array<std::uint8_t, kTsPacketSize> packet(std::uint8_t cc, std::uint8_t fill,
                                               bool payload = true, bool discontinuity = false) {
  std::array<std::uint8_t, kTsPacketSize> p{};
  mux::AdaptationField af;
  af.discontinuity_indicator = discontinuity;
  const std::size_t size = !payload ? 0 : discontinuity ? 182 : 184;
  std::span<std::uint8_t> data =
      mux::write_ts_header(p, {false, false, false, 0x44, 0, cc}, af, size);
  std::fill(data.begin(), data.end(), fill);
  return p;
}

TEST(TsDamage, ContinuityCheckerVerdicts) {
  using V = ContinuityChecker::Verdict;
  ContinuityChecker checker;
  EXPECT_EQ(checker.check(view_of(packet(3, 1))), V::ok) << "first packet";
  EXPECT_EQ(checker.check(view_of(packet(4, 2))), V::ok);
  EXPECT_EQ(checker.check(view_of(packet(4, 2))), V::duplicate);
  EXPECT_EQ(checker.check(view_of(packet(4, 2))), V::error) << "a third time";
  EXPECT_EQ(checker.check(view_of(packet(5, 3))), V::ok);
  EXPECT_EQ(checker.check(view_of(packet(5, 9))), V::repeated_counter_error) << "other payload";
  EXPECT_EQ(checker.check(view_of(packet(5, 0, false))), V::ok) << "adaptation-only repeats";
  EXPECT_EQ(checker.check(view_of(packet(6, 0, false))), V::error);
  EXPECT_EQ(checker.check(view_of(packet(7, 4))), V::ok);
  EXPECT_EQ(checker.check(view_of(packet(12, 5, true, true))), V::ok) << "discontinuity_indicator";
  EXPECT_EQ(checker.check(view_of(packet(13, 6))), V::ok);
  std::array<std::uint8_t, kTsPacketSize> null{};
  mux::write_null_packet(null);
  EXPECT_EQ(checker.check(view_of(null)), V::not_checked);
}

TEST(TsDamage, GarbageLaterIsPassedOnAndCounted) {
  Stream stream = make_stream(StreamSpec{.packets = 1000});
  std::fill_n(stream.bytes.begin() + 500 * kTsPacketSize, kTsPacketSize, 0x00);  // one lost sync
  const Bytes tail(100, 0xAB);
  Bytes input = stream.bytes;
  input.insert(input.end(), tail.begin(), tail.end());
  const DamageResult result = damage_bytes(input, options(3, "50", "100", "50"));
  EXPECT_EQ(result.report.unsynced_packets, 1u);
  EXPECT_EQ(result.report.trailing_bytes, 100u);
  EXPECT_EQ(result.report.dropped_packets, 999u);
  Bytes expected(kTsPacketSize, 0x00);
  expected.insert(expected.end(), tail.begin(), tail.end());
  EXPECT_EQ(result.output, expected) << "only the unsynced unit and the tail remain, unchanged";
}

TEST(TsDamage, RefusesWhatIsNotATransportStream) {
  auto message = [](const Bytes& bytes) -> std::string {
    try {
      (void)damage_bytes(bytes, options(1, "1", "0", "0"), "in.ts");
    } catch (const InputError& error) {
      return error.what();
    }
    return "accepted";
  };
  Bytes garbage(188 * 20);
  std::uint32_t x = 7;
  for (std::uint8_t& b : garbage)
    b = static_cast<std::uint8_t>((x = x * 1664525u + 1013904223u) >> 24);
  garbage[0] = 0x12;
  EXPECT_EQ(message(garbage),
            "in.ts: not a 188-byte transport stream: byte 0 is 0x12 where the sync byte 0x47 was "
            "expected");
  garbage[0] = 0x47;
  EXPECT_NE(message(garbage).find("only 1 of the first 16 packets start with the sync byte"),
            std::string::npos);
  EXPECT_EQ(message({}), "in.ts: empty input: expected a 188-byte MPEG transport stream");
  EXPECT_NE(message(Bytes(100, 0x47)).find("shorter than one 188-byte"), std::string::npos);
  Bytes rs(204 * 20, 0x00);
  for (std::size_t at = 0; at < rs.size(); at += 204) rs[at] = 0x47;
  EXPECT_NE(message(rs).find("204-byte packets"), std::string::npos);

  // --outage needs PCRs.
  Bytes nulls(188 * 10);
  for (std::size_t at = 0; at < nulls.size(); at += 188) {
    mux::write_null_packet(
        std::span<std::uint8_t, kTsPacketSize>(nulls.data() + at, kTsPacketSize));
  }
  try {
    (void)damage_bytes(nulls, options(1, "0", "0", "0", {"1+1"}), "nulls.ts");
    ADD_FAILURE() << "accepted";
  } catch (const InputError& error) {
    EXPECT_EQ(std::string(error.what()),
              "nulls.ts: --outage needs the stream time, from two successive PCRs on one PID; no "
              "packet carries a PCR");
  }
}

TEST(TsDamage, OptionValues) {
  EXPECT_EQ(parse_percentage("0.5", "--tei").parts_per_billion, 5'000'000u);
  EXPECT_EQ(parse_percentage("100", "--tei").parts_per_billion, 1'000'000'000u);
  EXPECT_EQ(parse_percentage("1%", "--drop").parts_per_billion, 10'000'000u);
  EXPECT_EQ(parse_percentage(".0000001", "--drop").parts_per_billion, 1u);
  for (std::string_view bad : {"120", "", "abc", "-1", "1.00000001", "100.1", "1e3", "."}) {
    try {
      (void)parse_percentage(bad, "--tei");
      ADD_FAILURE() << "accepted '" << bad << "'";
    } catch (const UsageError& error) {
      EXPECT_EQ(
          std::string(error.what()),
          fmt::format("--tei: expected a percentage of all packets from 0 to 100 with at most "
                      "7 decimals (e.g. 0.5), got '{}'",
                      bad));
    }
  }
  EXPECT_TRUE(Percentage{Percentage::kWhole}.chosen(~std::uint64_t{0}));
  EXPECT_FALSE(Percentage{0}.chosen(0));
  EXPECT_TRUE(Percentage{500'000'000}.chosen((std::uint64_t{1} << 63) - 1));
  EXPECT_FALSE(Percentage{500'000'000}.chosen(std::uint64_t{1} << 63));

  EXPECT_EQ(parse_seed("18446744073709551615"), ~std::uint64_t{0});
  for (std::string_view bad : {"18446744073709551616", "-1", "", "12a", "0x10"}) {
    EXPECT_THROW((void)parse_seed(bad), UsageError) << bad;
  }

  const Outage a = parse_outage("30s+3s");
  EXPECT_EQ(a.start_27mhz, 810'000'000u);
  EXPECT_EQ(a.length_27mhz, 81'000'000u);
  const Outage b = parse_outage("30+3");
  EXPECT_EQ(b.start_27mhz, a.start_27mhz);
  EXPECT_EQ(b.length_27mhz, a.length_27mhz);
  const Outage c = parse_outage("1.5s+500ms");
  EXPECT_EQ(c.start_27mhz, 40'500'000u);
  EXPECT_EQ(c.length_27mhz, 13'500'000u);
  const Outage d = parse_outage("2min+1h");
  EXPECT_EQ(d.start_27mhz, 120 * 27'000'000u);
  EXPECT_EQ(d.length_27mhz, 3600 * std::uint64_t{27'000'000});
  EXPECT_EQ(parse_outage("0+1us").length_27mhz, 27u);
  try {
    (void)parse_outage("3s");
    ADD_FAILURE() << "accepted";
  } catch (const UsageError& error) {
    EXPECT_NE(std::string(error.what()).find("--outage: expected START+LEN"), std::string::npos);
    EXPECT_NE(std::string(error.what()).find("got '3s': no +LEN"), std::string::npos);
  }
  for (std::string_view bad : {"1+0", "1+0s", "x+1", "1+", "+1", "1s+2x", "-1+2", "1+2+3"}) {
    EXPECT_THROW((void)parse_outage(bad), UsageError) << bad;
  }
}

TEST(TsDamage, FilesGiveTheSameBytesAsMemory) {
  const Stream stream = make_stream(StreamSpec{.packets = 20'000});
  const fs::path dir = fs::path(SKYCLASS_TEST_DATA_DIR) / "tsdamage";
  fs::create_directories(dir);
  const fs::path in = dir / "in.ts", out = dir / "out.ts";
  std::ofstream(in, std::ios::binary)
      .write(reinterpret_cast<const char*>(stream.bytes.data()),
             static_cast<std::streamsize>(stream.bytes.size()));
  const DamageOptions o = options(77, "1", "1", "1", {"3s+1s", "10.0003s+100ms"});
  const DamageReport report = damage_file(in.string(), out.string(), o);
  std::ifstream file(out, std::ios::binary);
  const Bytes written((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  const DamageResult memory = damage_bytes(stream.bytes, o);
  EXPECT_EQ(written, memory.output);
  EXPECT_EQ(to_json(report).dump(), to_json(memory.report).dump());
  EXPECT_EQ(to_json(report)["outages"][1]["packets"], 150);  // 100 ms at 1500 packets/s

  EXPECT_THROW((void)damage_file("-", out.string(), o), UsageError) << "outage from stdin";
  EXPECT_THROW((void)damage_file(in.string(), in.string(), options(1, "1", "0", "0")), UsageError);
  try {
    (void)damage_file((dir / "missing.ts").string(), out.string(), o);
    ADD_FAILURE() << "accepted";
  } catch (const InputError& error) {
    EXPECT_NE(std::string(error.what()).find("missing.ts: cannot open: No such file"),
              std::string::npos);
  }
  // A file that is not a TS leaves no OUT behind.
  const fs::path text = dir / "text.ts", text_out = dir / "text-out.ts";
  std::ofstream(text) << std::string(1000, 'x');
  EXPECT_THROW((void)damage_file(text.string(), text_out.string(), o), InputError);
  EXPECT_FALSE(fs::exists(text_out));
}

TEST(TsDamage, ReportJsonHasTheDocumentedFields) {
  const Stream stream = make_stream(StreamSpec{.packets = 6000});
  const DamageResult result = damage_bytes(stream.bytes, options(3, "1", "1", "1", {"1.0003s+1s"}));
  const nlohmann::json json = to_json(result.report);
  for (const char* key :
       {"seed", "packets_in", "packets_out", "tei_packets", "dropped_packets", "flipped_packets",
        "outages", "continuity_errors", "per_pid", "tei_packets_by_pid", "unsynced_packets",
        "repeated_counter_errors", "input_continuity_errors", "transport_error_packets_out"}) {
    EXPECT_TRUE(json.contains(key)) << key;
  }
  EXPECT_EQ(json["seed"], 3);
  EXPECT_DOUBLE_EQ(json["outages"][0]["start_s"].get<double>(), 1.0003);
  EXPECT_DOUBLE_EQ(json["outages"][0]["length_s"].get<double>(), 1.0);
  EXPECT_EQ(json["outages"][0]["first_packet"], 1501);
  EXPECT_EQ(json["outages"][0]["packets"], 1500);
  for (const char* key : {"tei", "dropped", "flipped", "continuity_errors"}) {
    EXPECT_TRUE(json["per_pid"]["256"].contains(key)) << key;
  }
  EXPECT_NE(summary_line(result.report).find("seed 3: 6000 packets in"), std::string::npos);
}

}  // namespace
}  // namespace skyclass::tsdamage

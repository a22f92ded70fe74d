#include "headend/es_input.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <random>
#include <stdexcept>

namespace skyclass::headend {
namespace {

constexpr std::int64_t kLead90k = 81'000;  // the mux delay, 0.9 s

// The bound itself, by brute force: the largest bits(i..j) / (DTS_j - DTS_i + lead).
double exact_rate_bps(const std::vector<SizedAccessUnit>& units, std::int64_t lead_90k) {
  double worst = 0;
  for (std::size_t i = 0; i < units.size(); ++i) {
    double bits = 0;
    for (std::size_t j = i; j < units.size(); ++j) {
      bits += static_cast<double>(units[j].bytes) * 8;
      const double seconds =
          static_cast<double>(units[j].dts_90k - units[i].dts_90k + lead_90k) / 90'000;
      worst = std::max(worst, bits / seconds);
    }
  }
  return worst;
}

TEST(NeededRate, ConstantRateNeedsItsOwnRateOverALongRun) {
  std::vector<SizedAccessUnit> mp2;
  for (int n = 0; n < 5000; ++n) mp2.push_back({n * 2160LL, 576});  // 192 kbit/s, 120 s
  const std::uint64_t rate = needed_rate_bps(mp2, kLead90k);
  EXPECT_GE(static_cast<double>(rate), exact_rate_bps(mp2, kLead90k));
  EXPECT_LT(static_cast<double>(rate), exact_rate_bps(mp2, kLead90k) + 2000);
  EXPECT_LE(rate, 192'000u) << "192 kbit/s x 120 s, spread over 120.9 s";
}

TEST(NeededRate, ABurstCountsAgainstTheMuxDelay) {
  // One second: a 100 000-byte IDR and 24 frames of 5 000 bytes, then nothing.
  std::vector<SizedAccessUnit> gop{{0, 100'000}};
  for (int n = 1; n < 25; ++n) gop.push_back({n * 3600LL, 5'000});
  const double exact = exact_rate_bps(gop, kLead90k);
  EXPECT_NEAR(exact, 220'000 * 8 / (24 * 0.04 + 0.9), 1.0)
      << "the whole GOP, from 0.9 s before the IDR to the last frame's DTS";
  EXPECT_LT(exact, 220'000 * 8 / 1.0)
      << "below the GOP's own 1-s rate: the delay absorbs the burst";
  const std::uint64_t rate = needed_rate_bps(gop, kLead90k);
  EXPECT_GE(static_cast<double>(rate), exact);
  EXPECT_LT(static_cast<double>(rate), exact + 2000);
}

TEST(NeededRate, MatchesTheBruteForceBoundOnRandomStreams) {
  std::mt19937 random(20200217);
  for (int trial = 0; trial < 20; ++trial) {
    std::vector<SizedAccessUnit> units;
    std::int64_t dts = -7200;
    for (int n = 0; n < 300; ++n) {
      const bool idr = n % 25 == 0;
      units.push_back({dts, idr ? 20'000 + random() % 80'000 : 500 + random() % 12'000});
      dts += 3600;
    }
    const double exact = exact_rate_bps(units, kLead90k);
    const std::uint64_t rate = needed_rate_bps(units, kLead90k);
    EXPECT_GE(static_cast<double>(rate), exact) << trial;
    EXPECT_LT(static_cast<double>(rate), exact + 2000) << trial;
  }
}

TEST(NeededRate, RefusesAnEmptyStream) {
  EXPECT_THROW((void)needed_rate_bps({}, kLead90k), std::invalid_argument);
}


// EsConverter converts avcC H.264 itself, by the rules of libavcodec's h264_mp4toannexb; this
// checks it against that filter (AnnexBConverter) followed by access_unit_with_delimiter, byte
// for byte and error for error, on random streams: parameter sets in and out of band, IDR after
// IDR, AUDs anywhere, empty NAL units, fake start codes in payloads, lengths that overrun.
struct AvccStream {
  AVFormatContext* format = avformat_alloc_context();
  AVStream* stream = nullptr;
  explicit AvccStream(const Bytes& extradata) {
    stream = avformat_new_stream(format, nullptr);
    stream->time_base = AVRational{1, 90'000};
    AVCodecParameters* p = stream->codecpar;
    p->codec_type = AVMEDIA_TYPE_VIDEO;
    p->codec_id = AV_CODEC_ID_H264;
    p->extradata =
        static_cast<std::uint8_t*>(av_mallocz(extradata.size() + AV_INPUT_BUFFER_PADDING_SIZE));
    std::memcpy(p->extradata, extradata.data(), extradata.size());
    p->extradata_size = static_cast<int>(extradata.size());
  }
  ~AvccStream() { avformat_free_context(format); }
};

Bytes avcc_of(const std::vector<Bytes>& sps, const std::vector<Bytes>& pps, int length_size) {
  Bytes e = {0x01, 0x4D, 0x40, 0x1E, static_cast<std::uint8_t>(0xFC | (length_size - 1)),
             static_cast<std::uint8_t>(0xE0 | sps.size())};
  auto put = [&](const Bytes& unit) {
    e.push_back(static_cast<std::uint8_t>(unit.size() >> 8));
    e.push_back(static_cast<std::uint8_t>(unit.size()));
    e.insert(e.end(), unit.begin(), unit.end());
  };
  for (const Bytes& u : sps) put(u);
  e.push_back(static_cast<std::uint8_t>(pps.size()));
  for (const Bytes& u : pps) put(u);
  return e;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

TEST(EsConverter, ConvertsAvccLikeTheFilterThenTheDelimiter) {
  const Bytes sps = {0x67, 0x4D, 0x40, 0x1E, 0x95, 0xA0, 0x5A, 0x09};
  const Bytes sps2 = {0x67, 0x64, 0x00, 0x28, 0xAC};
  const Bytes pps = {0x68, 0xEE, 0x3C, 0x80};
  struct Case {
    std::vector<Bytes> sps, pps;
    int length_size;
  };
  const std::vector<Case> cases = {{{sps}, {pps}, 4}, {{sps, sps2}, {pps}, 2},
                                   {{}, {pps}, 4},    {{sps}, {}, 4},
                                   {{}, {}, 4},       {{sps}, {pps, pps}, 1}};
  std::mt19937 rng(20200217);
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
  std::size_t packets = 0, inserted = 0, errors = 0;
  for (const Case& c : cases) {
    SCOPED_TRACE(testing::Message() << "length_size " << c.length_size << ", " << c.sps.size()
                                    << " SPS, " << c.pps.size() << " PPS");
    AvccStream s(avcc_of(c.sps, c.pps, c.length_size));
    const InputStream selected{0, mux::StreamKind::h264, 0x1B, "h264", "t.mp4: stream #0 (h264)"};
    EsConverter converter(*s.stream, selected);
    AnnexBConverter reference(*s.stream->codecpar, s.stream->time_base, selected.where);
    ASSERT_TRUE(reference.filtering());
    Bytes scratch;
    for (int n = 0; n < 3000; ++n) {
      Bytes data;
      const int nals = 1 + pick(4);
      for (int k = 0; k < nals; ++k) {
        static constexpr std::uint8_t kTypes[] = {1, 1, 1, 5, 5, 6, 7, 8, 9, 12};
        Bytes nal;
        const int size = pick(12) == 0 ? 0 : 1 + pick(c.length_size == 1 ? 200 : 600);
        for (int i = 0; i < size; ++i) {
          nal.push_back(static_cast<std::uint8_t>(pick(8) == 0 ? pick(2) : pick(256)));
        }
        if (!nal.empty()) nal[0] = static_cast<std::uint8_t>(0x60 | kTypes[pick(10)]);
        if (nal.size() > 1 && pick(2) == 0) nal[1] |= 0x80;  // first_mb_in_slice 0
        std::uint32_t length = static_cast<std::uint32_t>(nal.size());
        if (pick(400) == 0) length += 1 + pick(3);  // overruns the packet
        for (int i = c.length_size - 1; i >= 0; --i) data.push_back(length >> (8 * i) & 0xFF);
        data.insert(data.end(), nal.begin(), nal.end());
      }
      if (pick(500) == 0) data.resize(data.size() - 1);  // a cut packet
      av::PacketPtr packet = av::make_packet();
      ASSERT_EQ(av_new_packet(packet.get(), static_cast<int>(data.size())), 0);
      std::memcpy(packet->data, data.data(), data.size());
      packet->dts = packet->pts = n * 3600LL;
      Bytes expected, got;
      bool expected_aud = false, got_aud = false;
      const std::string expected_error = error_of([&] {
        const ByteView annex_b = reference.convert(*packet);
        const ByteView au = access_unit_with_delimiter(annex_b, scratch);
        expected.assign(au.begin(), au.end());
        expected_aud = au.data() != annex_b.data();
      });
      const std::string got_error = error_of([&] {
        const ConvertedAccessUnit au = converter.convert(*packet, converter.timestamps(*packet));
        got.assign(au.data.begin(), au.data.end());
        got_aud = au.inserted_aud;
      });
      ASSERT_EQ(got_error, expected_error) << "packet " << n;
      if (got != expected) {
        const auto diff = std::mismatch(got.begin(), got.end(), expected.begin(), expected.end());
        FAIL() << "packet " << n << ": " << got.size() << " bytes, the filter's "
               << expected.size() << ", first difference at byte " << (diff.first - got.begin())
               << "; input " << testing::PrintToString(data);
      }
      ASSERT_EQ(got_aud, expected_aud) << "packet " << n;
      ++packets;
      inserted += got_aud;
      errors += !got_error.empty();
    }
  }
  EXPECT_GT(inserted, packets / 2);
  EXPECT_GT(errors, 0u);
  EXPECT_LT(errors, packets / 10);
}

}  // namespace
}  // namespace skyclass::headend

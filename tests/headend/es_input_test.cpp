#include "headend/es_input.hpp"

#include <gtest/gtest.h>

#include <random>

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

}  // namespace
}  // namespace skyclass::headend

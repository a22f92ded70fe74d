#include "mux/dvb_time.hpp"

#include <gtest/gtest.h>

namespace skyclass::mux {
namespace {

constexpr std::int64_t k1993_10_13_124500 = 750516300;  // date -u -d '1993-10-13 12:45:00' +%s
constexpr std::int64_t k1982_09_06 = 400118400;
constexpr std::int64_t k2038_04_22_235959 = 2155593599;  // last second of MJD 65535

TEST(DvbTime, AnnexCExampleEncodes) {
  // EN 300 468 Annex C: 93/10/13 12:45:00 is coded as 0xC079124500.
  EXPECT_EQ(encode_mjd_utc(k1993_10_13_124500), 0xC079124500ull);
}

TEST(DvbTime, AnnexCExampleDecodes) {
  auto utc = decode_mjd_utc(0xC079124500ull, "test");
  ASSERT_TRUE(utc.ok()) << utc.error();
  EXPECT_EQ(utc.value(), k1993_10_13_124500);
}

TEST(DvbTime, MjdOfKnownDates) {
  EXPECT_EQ(encode_mjd_utc(0), 0x9E8B000000ull);         // MJD 40587 = 1970-01-01
  EXPECT_EQ(encode_mjd_utc(k1982_09_06) >> 24, 45218u);  // Annex C: 1982-09-06
  EXPECT_EQ(encode_mjd_utc(k2038_04_22_235959), 0xFFFF235959ull);
}

TEST(DvbTime, RangeOutsideSixteenBitMjdThrows) {
  EXPECT_THROW(encode_mjd_utc(k2038_04_22_235959 + 1), std::out_of_range);
  EXPECT_THROW(encode_mjd_utc(-40588LL * 86400), std::out_of_range);
}

TEST(DvbTime, UndefinedTimeIsAllOnes) {
  EXPECT_EQ(encode_mjd_utc(kUndefinedUtcS), 0xFFFFFFFFFFull);
  auto utc = decode_mjd_utc(0xFFFFFFFFFFull, "test");
  ASSERT_TRUE(utc.ok());
  EXPECT_EQ(utc.value(), kUndefinedUtcS);
}

TEST(DvbTime, InvalidBcdTimeIsAnErrorNamingTheField) {
  auto bad_nibble = decode_mjd_utc(0xC0791A4500ull, "EIT start_time");
  ASSERT_FALSE(bad_nibble.ok());
  EXPECT_NE(bad_nibble.error().find("EIT start_time"), std::string::npos) << bad_nibble.error();
  EXPECT_FALSE(decode_mjd_utc(0xC079246000ull, "x").ok()) << "24:60:00 is not a time of day";
}

TEST(DvbTime, DurationsAreBcdHhmmss) {
  EXPECT_EQ(encode_bcd_duration(1 * 3600 + 45 * 60 + 30), 0x014530u);
  EXPECT_EQ(encode_bcd_duration(0), 0u);
  EXPECT_EQ(encode_bcd_duration(99 * 3600 + 59 * 60 + 59), 0x995959u);
  EXPECT_THROW(encode_bcd_duration(100 * 3600), std::out_of_range);
  EXPECT_THROW(encode_bcd_duration(-1), std::out_of_range);
  auto decoded = decode_bcd_duration(0x014530, "d");
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded.value(), 6330);
  EXPECT_FALSE(decode_bcd_duration(0x0160FF, "d").ok());
}

TEST(DvbTime, BcdHelpers) {
  EXPECT_EQ(to_bcd(1202000, 8, "f"), 0x01202000u);
  EXPECT_THROW(to_bcd(123, 2, "field"), std::out_of_range);
  EXPECT_EQ(from_bcd(0x0275000, 7), 275000u);
  EXPECT_FALSE(from_bcd(0x0A, 2).has_value());
}

TEST(DvbTime, MidnightFloorsAlsoBeforeTheEpoch) {
  EXPECT_EQ(utc_midnight_s(k1993_10_13_124500), k1993_10_13_124500 - (12 * 3600 + 45 * 60));
  EXPECT_EQ(utc_midnight_s(-1), -86400);
  EXPECT_EQ(utc_midnight_s(86400), 86400);
}

}  // namespace
}  // namespace skyclass::mux

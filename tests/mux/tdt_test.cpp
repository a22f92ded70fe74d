#include "mux/tables/tdt.hpp"

#include <gtest/gtest.h>

namespace skyclass::mux {
namespace {

constexpr std::int64_t k1993_10_13_124500 = 750516300;

// EN 300 468 5.2.5 by hand: table_id 0x70, '0' '1' '11', section_length 5, UTC_time (Annex C
// example 93/10/13 12:45:00). No CRC.
const Bytes kTdt = {0x70, 0x70, 0x05, 0xC0, 0x79, 0x12, 0x45, 0x00};

TEST(Tdt, EncodesByteExact) {
  auto sections = Tdt{k1993_10_13_124500}.encode();
  ASSERT_EQ(sections.size(), 1u);
  EXPECT_EQ(sections[0], kTdt);
}

TEST(Tdt, DecodesByteExactVector) {
  auto tdt = Tdt::decode(kTdt);
  ASSERT_TRUE(tdt.ok()) << tdt.error();
  EXPECT_EQ(tdt->UTC_time_s, k1993_10_13_124500);
}

TEST(Tdt, RoundTripsToday) {
  Tdt tdt{1581897600 + 6 * 3600 + 59};  // 2020-02-17 06:00:59
  auto decoded = Tdt::decode(tdt.encode()[0]);
  ASSERT_TRUE(decoded.ok());
  EXPECT_EQ(decoded.value(), tdt);
}

TEST(Tdt, RejectsMalformedSections) {
  EXPECT_FALSE(Tdt::decode(ByteView(kTdt).first(7)).ok());
  Bytes wrong_length = {0x70, 0x70, 0x04, 0xC0, 0x79, 0x12, 0x45};
  auto e = Tdt::decode(wrong_length);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().find("TDT: section_length 4, expected 5"), std::string::npos) << e.error();
  Bytes wrong_table = kTdt;
  wrong_table[0] = 0x73;
  EXPECT_FALSE(Tdt::decode(wrong_table).ok());
  Bytes long_syntax = kTdt;
  long_syntax[1] = 0xF0;
  EXPECT_FALSE(Tdt::decode(long_syntax).ok());
  Bytes bad_bcd = kTdt;
  bad_bcd[7] = 0x60;
  EXPECT_FALSE(Tdt::decode(bad_bcd).ok());
}

}  // namespace
}  // namespace skyclass::mux

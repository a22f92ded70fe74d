#include "mux/tables/tot.hpp"

#include <gtest/gtest.h>

#include "mux/section.hpp"

namespace skyclass::mux {
namespace {

constexpr std::int64_t k1993_10_13_124500 = 750516300;

// EN 300 468 5.2.6 by hand: table_id 0x73, '0' '1' '11', section_length 26, UTC_time,
// descriptors_loop_length 15 with a local_time_offset_descriptor (CHN, region 0, +08:00,
// time_of_change = the same time, next offset +08:00), CRC from a bitwise CRC.
const Bytes kTot = {0x73, 0x70, 0x1A, 0xC0, 0x79, 0x12, 0x45, 0x00, 0xF0, 0x0F,
                    0x58, 0x0D, 'C',  'H',  'N',  0x02, 0x08, 0x00, 0xC0, 0x79,
                    0x12, 0x45, 0x00, 0x08, 0x00, 0x11, 0xC5, 0x77, 0x62};

Tot sample_tot() {
  LocalTimeOffsetDescriptor lto;
  lto.regions.push_back({"CHN", 0, false, 480, k1993_10_13_124500, 480});
  return Tot{k1993_10_13_124500, {lto}};
}

TEST(Tot, EncodesByteExact) {
  auto sections = sample_tot().encode();
  ASSERT_EQ(sections.size(), 1u);
  EXPECT_EQ(sections[0], kTot);
}

TEST(Tot, DecodesByteExactVector) {
  auto tot = Tot::decode(kTot);
  ASSERT_TRUE(tot.ok()) << tot.error();
  EXPECT_EQ(tot.value(), sample_tot());
}

TEST(Tot, RejectsBadCrcTruncationAndOverrun) {
  Bytes bad_crc = kTot;
  bad_crc[16] = 0x09;
  auto e = Tot::decode(bad_crc);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.error().find("TOT: CRC_32 mismatch"), std::string::npos) << e.error();
  EXPECT_FALSE(Tot::decode(ByteView(kTot).first(kTot.size() - 1)).ok());
  Bytes payload(kTot.begin() + 3, kTot.end() - 4);
  payload[6] = 0x20;  // descriptors_loop_length 32 > 15
  auto overrun = Tot::decode(encode_short_section(0x73, true, payload, true));
  ASSERT_FALSE(overrun.ok());
  EXPECT_NE(overrun.error().find("TOT descriptors"), std::string::npos) << overrun.error();
  EXPECT_FALSE(Tot::decode(encode_short_section(0x73, true, Bytes{0xC0, 0x79}, true)).ok());
}

}  // namespace
}  // namespace skyclass::mux

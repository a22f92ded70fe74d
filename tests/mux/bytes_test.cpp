#include "mux/bytes.hpp"

#include <gtest/gtest.h>

namespace skyclass::mux {
namespace {

TEST(ByteReader, ReadsBigEndianFields) {
  const Bytes data = {0x12, 0x34, 0x56, 0x78, 0x9A, 0xBC, 0xDE, 0xF0,
                      0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};
  ByteReader r(data);
  EXPECT_EQ(r.u8(), 0x12);
  EXPECT_EQ(r.u16(), 0x3456);
  EXPECT_EQ(r.u24(), 0x789ABCu);
  EXPECT_EQ(r.u32(), 0xDEF01122u);
  EXPECT_EQ(r.u40(), 0x3344556677u);
  EXPECT_TRUE(r.at_end());
  EXPECT_FALSE(r.failed());
}

TEST(ByteReader, ReadingPastTheEndGivesZeroAndLatchesFailure) {
  const Bytes data = {0xAB, 0xCD, 0xEF};
  ByteReader r(data);
  EXPECT_EQ(r.u16(), 0xABCD);
  EXPECT_EQ(r.u16(), 0) << "only one byte left: nothing is read";
  EXPECT_TRUE(r.failed());
  EXPECT_EQ(r.remaining(), 1u) << "a failed read consumes nothing";
  EXPECT_EQ(r.u8(), 0) << "failure is sticky";
}

TEST(ByteReader, BytesViewIsBoundsChecked) {
  const Bytes data = {1, 2, 3, 4};
  ByteReader r(data);
  ByteView first = r.bytes(3);
  ASSERT_EQ(first.size(), 3u);
  EXPECT_EQ(first[2], 3);
  EXPECT_TRUE(r.bytes(2).empty());
  EXPECT_TRUE(r.failed());
}

TEST(ByteWriter, WritesBigEndianAndPatches) {
  Bytes out;
  ByteWriter w(out);
  w.u8(0x01);
  w.u16(0);
  w.u24(0x020304);
  w.u32(0x05060708);
  w.u40(0x090A0B0C0Dull);
  w.patch_u16(1, 0xBEEF);
  EXPECT_EQ(out, (Bytes{0x01, 0xBE, 0xEF, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A,
                        0x0B, 0x0C, 0x0D}));
  EXPECT_THROW(w.patch_u16(out.size() - 1, 0), std::out_of_range);
}

}  // namespace
}  // namespace skyclass::mux

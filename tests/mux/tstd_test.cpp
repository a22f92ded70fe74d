#include "mux/tstd.hpp"

#include <gtest/gtest.h>

namespace skyclass::mux {
namespace {

constexpr std::int64_t kMs = 27'000;  // 27 MHz ticks per millisecond
// 188 bytes at 2 Mbit/s: 752 us = 20 304 ticks.
constexpr std::int64_t kPacketAt2Mbps = 20'304;

TEST(TstdParams, H264Level30FromTheSpecTables) {
  // H.264 Table A-1 level 3.0: MaxBR 10 000, MaxCPB 10 000 (x1200 for the NAL HRD).
  const TstdParams p = tstd_params_h264(30);
  EXPECT_EQ(p.tb_size_bytes, 512u);
  EXPECT_EQ(p.rx_bps, 14'400'000u);  // 1.2 x 12 Mbit/s
  // EBS 12 000 000 bits + BSmux 48 000 + BSoh 16 000 = 12 064 000 bits.
  EXPECT_EQ(p.b_size_bytes, 1'508'000u);
  EXPECT_EQ(p.transfer_margin_27mhz, 9216);  // 512 bytes at 12 Mbit/s
  EXPECT_EQ(tstd_params_h264(31).rx_bps, 20'160'000u);
  EXPECT_THROW(tstd_params_h264(35), std::invalid_argument);
  ASSERT_TRUE(h264_level_limits(40).has_value());
  EXPECT_EQ(h264_level_limits(40)->max_cpb, 25000u);
}

TEST(TstdParams, AudioBuffers) {
  EXPECT_EQ(tstd_params_mpeg_audio().rx_bps, 2'000'000u);
  EXPECT_EQ(tstd_params_mpeg_audio().b_size_bytes, 3584u);
  EXPECT_EQ(tstd_params_aac_adts(2).b_size_bytes, 3584u);
  EXPECT_EQ(tstd_params_aac_adts(6).rx_bps, 5'529'600u);
  EXPECT_EQ(tstd_params_aac_adts(6).b_size_bytes, 8976u);
  EXPECT_THROW(tstd_params_aac_adts(0), std::invalid_argument);
}

TEST(Tstd, TransportBufferDrainsExactlyAtRx) {
  TstdModel m(tstd_params_mpeg_audio());
  m.add_access_unit(100 * kMs, 10'000);
  EXPECT_EQ(m.enter(0, 0, 188, 184), TstdResult::ok);
  EXPECT_EQ(m.tb_level_bytes(), 188u);
  EXPECT_EQ(m.tb_empty_27mhz(), kPacketAt2Mbps);
  m.advance_to(kPacketAt2Mbps - 1);
  EXPECT_EQ(m.tb_level_bytes(), 1u);  // 1/216e6 of a byte... rounded up
  m.advance_to(kPacketAt2Mbps);
  EXPECT_EQ(m.tb_level_bytes(), 0u);
}

TEST(Tstd, TransportBufferOverflow) {
  TstdModel m(tstd_params_mpeg_audio());
  m.add_access_unit(100 * kMs, 10'000);
  EXPECT_TRUE(m.may_enter(0, 0, 188, 184));
  EXPECT_EQ(m.enter(0, 0, 188, 184), TstdResult::ok);
  EXPECT_EQ(m.enter(0, 0, 188, 184), TstdResult::ok);  // 376 bytes
  EXPECT_FALSE(m.may_enter(0, 0, 188, 184));           // 564 > 512
  // 52 bytes must drain first: 52 * 8 / 2e6 s = 5616 ticks.
  EXPECT_FALSE(m.may_enter(5615, 5615, 188, 184));
  EXPECT_TRUE(m.may_enter(5616, 5616, 188, 184));
  EXPECT_EQ(m.enter(10, 10, 188, 184), TstdResult::tb_overflow);
  ASSERT_TRUE(m.first_violation().has_value());
  EXPECT_EQ(m.first_violation()->what, TstdResult::tb_overflow);
}

TEST(Tstd, MainBufferOverflowAndRemovalAtDts) {
  TstdModel m(tstd_params_mpeg_audio());  // B_n 3584 bytes
  for (int i = 0; i < 8; ++i) m.add_access_unit((100 + 24 * i) * kMs, 576);
  std::int64_t t = 0;
  std::uint64_t entered = 0;
  while (m.may_enter(t, t, 188, 184)) {
    ASSERT_EQ(m.enter(t, t, 188, 184), TstdResult::ok);
    entered += 184;
    t += kPacketAt2Mbps;
  }
  EXPECT_EQ(entered, 19u * 184u);  // 3496 bytes; 3680 would not fit
  EXPECT_EQ(m.b_level_bytes(), 3496u);
  EXPECT_FALSE(m.may_enter(100 * kMs - 1, 100 * kMs - 1, 188, 184));
  EXPECT_TRUE(m.may_enter(100 * kMs, 100 * kMs, 188, 184));  // the first frame leaves at its DTS
  EXPECT_EQ(m.advance_to(100 * kMs), TstdResult::ok);
  EXPECT_EQ(m.b_level_bytes(), 3496u - 576u);
  EXPECT_EQ(m.pending_access_units(), 7u);
  EXPECT_EQ(m.peak_b_level_bytes(), 3496u);
}

TEST(Tstd, MainBufferCountsFromTheFirstByteOfThePacket) {
  // A frame leaves at DTS 1000 while a packet arrives over [900, 1100]: its bytes may reach the
  // main buffer before 1000, so the frame still counts for this packet.
  TstdModel m(tstd_params_mpeg_audio());
  m.add_access_unit(1000, 3420);
  m.add_access_unit(1'000'000, 1000);
  for (int i = 0; i < 18; ++i) ASSERT_EQ(m.enter(0, 0, 0, 190), TstdResult::ok);
  EXPECT_EQ(m.b_level_bytes(), 3420u);
  EXPECT_FALSE(m.may_enter(900, 1100, 188, 184));  // 3420 + 184 > 3584
  EXPECT_TRUE(m.may_enter(1000, 1200, 188, 184));  // the frame is gone by the first byte
  EXPECT_EQ(m.enter(900, 1100, 188, 184), TstdResult::b_overflow);
}

TEST(Tstd, UnderflowWhenTheLastByteLeavesTbAfterDts) {
  // One 184-byte access unit in one packet entering at t: complete when TB has drained the
  // packet, t + 20304 ticks at 2 Mbit/s. DTS exactly then is fine, one tick earlier is not.
  {
    TstdModel m(tstd_params_mpeg_audio());
    m.add_access_unit(1000 + kPacketAt2Mbps, 184);
    EXPECT_EQ(m.enter(1000, 1000, 188, 184), TstdResult::ok);
    EXPECT_EQ(m.advance_to(1000 + kPacketAt2Mbps), TstdResult::ok);
  }
  {
    TstdModel m(tstd_params_mpeg_audio());
    m.add_access_unit(1000 + kPacketAt2Mbps - 1, 184);
    EXPECT_EQ(m.enter(1000, 1000, 188, 184), TstdResult::underflow);
    EXPECT_EQ(m.first_violation()->complete_27mhz, 1000 + kPacketAt2Mbps);
  }
}

TEST(Tstd, UnderflowWhenDataNeverArrives) {
  TstdModel m(tstd_params_mpeg_audio());
  m.add_access_unit(10 * kMs, 300);
  EXPECT_EQ(m.enter(0, 0, 188, 184), TstdResult::ok);
  EXPECT_EQ(m.advance_to(10 * kMs - 1), TstdResult::ok);
  EXPECT_EQ(m.advance_to(10 * kMs), TstdResult::underflow);
  EXPECT_EQ(m.first_violation()->dts_27mhz, 10 * kMs);
  EXPECT_EQ(m.first_violation()->complete_27mhz, -1);
  EXPECT_EQ(m.b_level_bytes(), 0u);  // what had arrived left with it
}

TEST(Tstd, VideoMarginForTheMultiplexBuffer) {
  const TstdParams p = tstd_params_h264(30);
  // 188 bytes at 14.4 Mbit/s = 2820 ticks, plus the 9216-tick MB margin.
  TstdModel ok(p);
  ok.add_access_unit(2820 + 9216, 100);
  EXPECT_EQ(ok.enter(0, 0, 188, 100), TstdResult::ok);
  TstdModel late(p);
  late.add_access_unit(2820 + 9215, 100);
  EXPECT_EQ(late.enter(0, 0, 188, 100), TstdResult::underflow);
}

TEST(Tstd, BytesOfAnUndeclaredAccessUnitAreALogicError) {
  TstdModel m(tstd_params_mpeg_audio());
  m.add_access_unit(1000, 100);
  EXPECT_THROW(m.enter(0, 0, 188, 184), std::logic_error);
  EXPECT_THROW(m.add_access_unit(999, 10), std::logic_error);  // DTS order
}

}  // namespace
}  // namespace skyclass::mux

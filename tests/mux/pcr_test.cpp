#include "mux/pcr.hpp"

#include <cstdint>
#include <stdexcept>

#include <gtest/gtest.h>

namespace skyclass::mux {
namespace {

constexpr std::uint64_t kMuxrate = 2'500'000;  // 8 * 27e6 / 2.5e6 = 86.4 ticks per byte

// Independent form for 2.5 Mbit/s: (n*188 + 10) * 86.4 = n*16243.2 + 864, floored.
std::uint64_t expected_pcr_at_2_5mbps(std::uint64_t n) {
  return n * 16243 + n / 5 + 864;
}

TEST(Pcr, FirstPacketIsTheTimeOfByteTen) {
  EXPECT_EQ(packet_pcr_27mhz(0, kMuxrate), 864u);
  EXPECT_EQ(packet_pcr_27mhz(1, kMuxrate), 17107u);  // 198 bytes * 86.4 = 17107.2
  EXPECT_EQ(packet_pcr_27mhz(0, kMuxrate, 1000), 1864u);
}

TEST(Pcr, ExactAtOneBillionPackets) {
  // (1e9 * 188 + 10) * 86.4 = 16 243 200 000 864 ticks, worked by hand; modulo 2^33 * 300
  // = 2 576 980 377 600 that is 781 317 735 264 = base 2 604 392 450, extension 264.
  const std::uint64_t n = 1'000'000'000;
  EXPECT_EQ(packet_pcr_27mhz(n, kMuxrate), 16'243'200'000'864u);
  const Pcr pcr = pcr_for_packet(n, kMuxrate);
  EXPECT_EQ(pcr.base, 2'604'392'450u);
  EXPECT_EQ(pcr.extension, 264);
  EXPECT_EQ(pcr.to_27mhz(), 781'317'735'264u);
}

TEST(Pcr, NoDriftOverOneBillionPackets) {
  // Every PCR equals the closed form, so the clock cannot accumulate error; neighbouring packets
  // are 16243 or 16244 ticks apart (188 bytes = 16243.2 ticks), never anything else.
  for (std::uint64_t n : {0ull, 1ull, 4ull, 5ull, 999'999ull, 123'456'789ull, 999'999'999ull,
                          1'000'000'000ull, 7'777'777'777ull}) {
    EXPECT_EQ(packet_pcr_27mhz(n, kMuxrate), expected_pcr_at_2_5mbps(n)) << "packet " << n;
  }
  for (std::uint64_t n = 1'000'000'000 - 5000; n < 1'000'000'000 + 5000; ++n) {
    const std::uint64_t step = packet_pcr_27mhz(n + 1, kMuxrate) - packet_pcr_27mhz(n, kMuxrate);
    ASSERT_TRUE(step == 16243 || step == 16244) << "packet " << n << " step " << step;
  }
  // The sum of 10^9 steps is the closed form: 10^9 * 16243.2 ticks exactly.
  EXPECT_EQ(packet_pcr_27mhz(1'000'000'000, kMuxrate) - packet_pcr_27mhz(0, kMuxrate),
            16'243'200'000'000u);
}

TEST(Pcr, FloorOfTheExactRationalForAnAwkwardRate) {
  // 2 500 001 bit/s does not divide 8 * 27e6: check pcr <= exact < pcr + 1 with 128-bit math.
  const std::uint64_t muxrate = 2'500'001;
  for (std::uint64_t n : {0ull, 3ull, 1'000'000'000ull, 1'000'000'001ull, 99'999'999'999ull}) {
    const std::uint64_t pcr = packet_pcr_27mhz(n, muxrate);
    const unsigned __int128 exact_num =
        static_cast<unsigned __int128>(n * 188 + 10) * 8 * 27'000'000;
    EXPECT_LE(static_cast<unsigned __int128>(pcr) * muxrate, exact_num) << n;
    EXPECT_GT(static_cast<unsigned __int128>(pcr + 1) * muxrate, exact_num) << n;
  }
}

TEST(Pcr, WrapsAtTwoToThe33Times300) {
  EXPECT_EQ(kPcrModulus27MHz, 2'576'980'377'600u);
  const Pcr last = Pcr::from_27mhz(kPcrModulus27MHz - 1);
  EXPECT_EQ(last.base, (1ull << 33) - 1);
  EXPECT_EQ(last.extension, 299);
  EXPECT_EQ(Pcr::from_27mhz(kPcrModulus27MHz), (Pcr{0, 0}));
  EXPECT_EQ(Pcr::from_27mhz(kPcrModulus27MHz + 301), (Pcr{1, 1}));
  // Starting just before the wrap, the PCR of a later packet wraps to a small value.
  const std::uint64_t origin = kPcrModulus27MHz - 1000;
  EXPECT_EQ(pcr_for_packet(0, kMuxrate, origin).to_27mhz(), kPcrModulus27MHz - 136);
  EXPECT_EQ(pcr_for_packet(1, kMuxrate, origin).to_27mhz(), 16107u);
}

TEST(Pcr, DistanceAcrossTheWrap) {
  EXPECT_EQ(pcr_distance_27mhz(100, 250), 150u);
  EXPECT_EQ(pcr_distance_27mhz(kPcrModulus27MHz - 100, 50), 150u);
}

TEST(Pcr, ByteTimeRejectsZeroRate) {
  EXPECT_THROW(byte_time_27mhz(1, 0), std::invalid_argument);
}

TEST(PacketClock, SteppingEqualsTheClosedFormExactly) {
  // Muxrates that divide 188 * 8 * 27e6 and ones that leave every kind of remainder, started at
  // 0 and far out (where k * 188 * 8 * 27e6 needs more than 64 bits).
  for (std::uint64_t muxrate : {2'500'000ull, 2'499'999ull, 1ull, 7ull, 38'000'000ull, 1'504'000ull,
                                123'456'789ull, 4'611'686'018'427'387'904ull}) {
    for (std::uint64_t first : {0ull, 1ull, 999'999'999ull, 400'000'000'000'000ull}) {
      const unsigned __int128 last_ticks =
          static_cast<unsigned __int128>(first + 20'001) * 188 * 8 * 27'000'000 / muxrate;
      if (last_ticks > ~std::uint64_t{0}) continue;  // beyond 2^64 ticks: byte_time_27mhz throws
      PacketClock clock(muxrate, first);
      for (std::uint64_t k = first; k < first + 20'000; ++k) {
        ASSERT_EQ(clock.packet_index(), k);
        ASSERT_EQ(clock.start_27mhz(), byte_time_27mhz(k * 188, muxrate)) << muxrate << " " << k;
        ASSERT_EQ(clock.end_27mhz(), byte_time_27mhz((k + 1) * 188, muxrate)) << k;
        ASSERT_EQ(clock.pcr_27mhz(), packet_pcr_27mhz(k, muxrate)) << k;
        ASSERT_EQ(clock.next_pcr_27mhz(), packet_pcr_27mhz(k + 1, muxrate)) << k;
        clock.advance();
      }
    }
  }
  EXPECT_THROW(PacketClock(0), std::invalid_argument);
  EXPECT_THROW(PacketClock((std::uint64_t{1} << 62) + 1), std::invalid_argument);
}

TEST(PacketClock, AdvanceWhileStopsWhereSteppingWouldAndLandsOnTheSameValues) {
  for (std::uint64_t muxrate : {2'500'000ull, 2'499'999ull, 7ull, 38'000'000ull, 1'504'000ull}) {
    for (std::uint64_t origin : {0ull, 123'456'789ull}) {
      PacketClock fast(muxrate, 17, origin);
      PacketClock slow(muxrate, 17, origin);
      std::uint64_t seed = muxrate;
      for (int round = 0; round < 2000; ++round) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        const std::uint64_t span = 1 + (seed >> 33) % (40 * 188 * 8 * 27'000'000ull / muxrate + 1);
        const std::uint64_t start_limit = slow.start_27mhz() + span;
        const std::uint64_t end_limit = slow.end_27mhz() + span / 2 + (seed >> 60);
        const std::uint64_t pcr_limit = slow.pcr_27mhz() + span / 3 + (seed >> 58);
        const std::uint64_t max_packets = (seed >> 20) % 64;
        std::uint64_t expected = 0;
        while (expected < max_packets && slow.start_27mhz() < start_limit &&
               slow.end_27mhz() < end_limit && slow.next_pcr_27mhz() <= pcr_limit) {
          slow.advance();
          ++expected;
        }
        ASSERT_EQ(fast.advance_while(start_limit, end_limit, pcr_limit, max_packets), expected);
        ASSERT_EQ(fast.packet_index(), slow.packet_index());
        ASSERT_EQ(fast.start_27mhz(), slow.start_27mhz());
        ASSERT_EQ(fast.end_27mhz(), slow.end_27mhz());
        ASSERT_EQ(fast.pcr_27mhz(), slow.pcr_27mhz());
        ASSERT_EQ(fast.next_pcr_27mhz(), slow.next_pcr_27mhz());
        fast.advance();  // the two go on in step
        slow.advance();
        ASSERT_EQ(fast.next_pcr_27mhz(), slow.next_pcr_27mhz());
        ASSERT_EQ(fast.next_pcr_27mhz(),
                  packet_pcr_27mhz(fast.packet_index() + 1, muxrate, origin));
      }
    }
  }
}

}  // namespace
}  // namespace skyclass::mux

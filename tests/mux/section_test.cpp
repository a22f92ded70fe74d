#include "mux/section.hpp"

#include <gtest/gtest.h>

#include <numeric>

#include "mux/crc32.hpp"

namespace skyclass::mux {
namespace {

// PAT of transport_stream_id 4: program 0 -> NIT PID 0x0010, program 404 -> PMT PID 0x0100.
// CRC computed independently (bitwise, outside this code base).
const Bytes kPatSection = {0x00, 0xB0, 0x11, 0x00, 0x04, 0xC1, 0x00, 0x00, 0x00, 0x00,
                           0xE0, 0x10, 0x01, 0x94, 0xE1, 0x00, 0xAD, 0x80, 0x04, 0x54};
const Bytes kPatPayload = {0x00, 0x00, 0xE0, 0x10, 0x01, 0x94, 0xE1, 0x00};

// A long section of `total_bytes` with a valid CRC, for reassembly tests.
Bytes long_section(std::uint8_t table_id, std::size_t total_bytes, std::uint8_t fill) {
  Bytes payload(total_bytes - kLongHeaderBytes - kCrcBytes, fill);
  return encode_long_section({table_id, true, 0x1234, 3, true, 0, 0}, payload);
}

TEST(Section, EncodesLongSectionByteExact) {
  Bytes section = encode_long_section({0x00, false, 4, 0, true, 0, 0}, kPatPayload);
  EXPECT_EQ(section, kPatSection);
}

TEST(Section, DecodesLongSectionHeader) {
  auto decoded = decode_long_section(kPatSection, "PAT", kMaxPsiSectionBytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded->header, (LongSectionHeader{0x00, false, 4, 0, true, 0, 0}));
  EXPECT_EQ(Bytes(decoded->payload.begin(), decoded->payload.end()), kPatPayload);
}

TEST(Section, DvbSiSetsReservedFutureUseBit) {
  Bytes section = encode_long_section({0x42, true, 1, 31, false, 2, 3}, Bytes{0xAA});
  EXPECT_EQ(section[1] & 0xF0, 0xF0);
  EXPECT_EQ(section[5], 0xC0 | 31 << 1 | 0);
  auto decoded = decode_long_section(section, "SDT", kMaxSiSectionBytes);
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded->header, (LongSectionHeader{0x42, true, 1, 31, false, 2, 3}));
}

TEST(Section, TrailingBytesAfterTheSectionAreIgnored) {
  Bytes padded = kPatSection;
  padded.insert(padded.end(), 10, 0xFF);
  EXPECT_TRUE(decode_long_section(padded, "PAT", kMaxPsiSectionBytes).ok());
}

TEST(Section, RejectsTruncatedSection) {
  for (std::size_t size = 0; size < kPatSection.size(); ++size) {
    Bytes cut(kPatSection.begin(), kPatSection.begin() + static_cast<std::ptrdiff_t>(size));
    auto decoded = decode_long_section(cut, "PAT", kMaxPsiSectionBytes);
    EXPECT_FALSE(decoded.ok()) << size;
    EXPECT_NE(decoded.error().find("PAT"), std::string::npos) << decoded.error();
  }
}

TEST(Section, RejectsOverrunningSectionLength) {
  Bytes section = kPatSection;
  section[2] = 0x40;  // section_length 64 > 17 available
  auto decoded = decode_long_section(section, "PAT", kMaxPsiSectionBytes);
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().find("section_length 64 overruns"), std::string::npos)
      << decoded.error();
}

TEST(Section, RejectsSectionAboveTheTableMaximum) {
  Bytes big = long_section(0x02, 1100, 0x55);
  EXPECT_FALSE(decode_long_section(big, "PMT", kMaxPsiSectionBytes).ok());
  EXPECT_TRUE(decode_long_section(big, "SDT", kMaxSiSectionBytes).ok());
}

TEST(Section, RejectsBadCrc) {
  Bytes section = kPatSection;
  section[12] ^= 0x01;
  auto decoded = decode_long_section(section, "PAT", kMaxPsiSectionBytes);
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().find("CRC_32 mismatch"), std::string::npos) << decoded.error();
}

TEST(Section, RejectsSectionNumberAboveLast) {
  Bytes section = encode_long_section({0x00, false, 4, 0, true, 2, 1}, kPatPayload);
  auto decoded = decode_long_section(section, "PAT", kMaxPsiSectionBytes);
  ASSERT_FALSE(decoded.ok());
  EXPECT_NE(decoded.error().find("section_number 2 is above last_section_number 1"),
            std::string::npos)
      << decoded.error();
}

TEST(Section, RejectsWrongSyntaxIndicatorAndTooShortLength) {
  Bytes tdt = encode_short_section(0x70, true, Bytes(5, 0), false);
  EXPECT_FALSE(decode_long_section(tdt, "PAT", kMaxSiSectionBytes).ok());
  Bytes tiny = {0x00, 0xB0, 0x04, 0x00, 0x00, 0x00, 0x00};
  EXPECT_FALSE(decode_long_section(tiny, "PAT", kMaxSiSectionBytes).ok());
}

TEST(Section, ShortSectionWithAndWithoutCrc) {
  Bytes tdt = encode_short_section(0x70, true, Bytes{1, 2, 3, 4, 5}, false);
  EXPECT_EQ(tdt, (Bytes{0x70, 0x70, 0x05, 1, 2, 3, 4, 5}));
  auto decoded = decode_short_section(tdt, "TDT", false);
  ASSERT_TRUE(decoded.ok()) << decoded.error();
  EXPECT_EQ(decoded->payload.size(), 5u);

  Bytes tot = encode_short_section(0x73, true, Bytes{9, 9}, true);
  EXPECT_EQ(tot.size(), 3u + 2 + 4);
  EXPECT_EQ(crc32_mpeg2(tot), 0u);
  EXPECT_TRUE(decode_short_section(tot, "TOT", true).ok());
  tot[3] = 8;
  EXPECT_FALSE(decode_short_section(tot, "TOT", true).ok());
}

TEST(Section, EncoderRefusesMoreThan4096Bytes) {
  EXPECT_NO_THROW(encode_long_section({0x50, true}, Bytes(4096 - 12, 0)));
  EXPECT_THROW(encode_long_section({0x50, true}, Bytes(4096 - 11, 0)), std::length_error);
}

// --- packetisation ---------------------------------------------------------------------------

TEST(Packetize, SmallSectionFitsOnePacketWithPointerAndStuffing) {
  std::vector<std::uint8_t> out(188, 0);
  PacketizedSection result = packetize_section(kPatSection, 0x0000, 7, out);
  EXPECT_EQ(result.packet_count, 1u);
  EXPECT_EQ(result.next_continuity_counter, 8);
  EXPECT_EQ(out[0], 0x47);
  EXPECT_EQ(out[1], 0x40) << "payload_unit_start_indicator, PID high bits 0";
  EXPECT_EQ(out[2], 0x00);
  EXPECT_EQ(out[3], 0x17) << "payload only, continuity_counter 7";
  EXPECT_EQ(out[4], 0x00) << "pointer_field";
  EXPECT_TRUE(std::equal(kPatSection.begin(), kPatSection.end(), out.begin() + 5));
  for (std::size_t i = 5 + kPatSection.size(); i < 188; ++i) ASSERT_EQ(out[i], 0xFF) << i;
}

TEST(Packetize, LongSectionSpansPacketsAndCounterWraps) {
  Bytes section = long_section(0x50, 500, 0x33);
  ASSERT_EQ(section_packet_count(section.size()), 3u);  // 501 bytes with pointer_field
  std::vector<std::uint8_t> out(3 * 188);
  PacketizedSection result = packetize_section(section, 0x0012, 15, out);
  EXPECT_EQ(result.packet_count, 3u);
  EXPECT_EQ(result.next_continuity_counter, 2);
  EXPECT_EQ(out[1], 0x40);
  EXPECT_EQ(out[2], 0x12);
  EXPECT_EQ(out[3] & 0x0F, 15);
  EXPECT_EQ(out[188 + 1], 0x00) << "continuation packets have no payload_unit_start_indicator";
  EXPECT_EQ(out[188 + 3] & 0x0F, 0);
  EXPECT_EQ(out[376 + 3] & 0x0F, 1);
  EXPECT_EQ(out[188 + 4], section[183]) << "second packet continues right after 183 bytes";
}

TEST(Packetize, ExactFitAndBoundaries) {
  EXPECT_EQ(section_packet_count(183), 1u);
  EXPECT_EQ(section_packet_count(184), 2u);
  EXPECT_EQ(section_packet_count(4096), 23u);
}

TEST(Packetize, RefusesTooSmallBuffer) {
  Bytes section = long_section(0x50, 500, 0);
  std::vector<std::uint8_t> out(2 * 188);
  EXPECT_THROW(packetize_section(section, 0x12, 0, out), std::length_error);
}

// --- reassembly ----------------------------------------------------------------------------

// Packet payload (184 bytes) from pieces, padded with 0xFF.
Bytes payload_of(std::initializer_list<ByteView> pieces) {
  Bytes payload;
  for (ByteView piece : pieces) payload.insert(payload.end(), piece.begin(), piece.end());
  payload.resize(kTsPayloadBytes, 0xFF);
  return payload;
}

TEST(SectionAssembler, OneSectionInOnePacket) {
  SectionAssembler assembler;
  const Bytes pointer = {0x00};
  assembler.push(true, true, payload_of({pointer, kPatSection}));
  auto sections = assembler.take_sections();
  ASSERT_EQ(sections.size(), 1u);
  EXPECT_EQ(sections[0], kPatSection);
  EXPECT_TRUE(assembler.take_sections().empty());
}

TEST(SectionAssembler, SeveralSectionsInOnePacket) {
  Bytes a = long_section(0x4E, 40, 0x01);
  Bytes b = long_section(0x4E, 60, 0x02);
  Bytes c = long_section(0x4E, 30, 0x03);
  SectionAssembler assembler;
  const Bytes pointer = {0x00};
  assembler.push(true, true, payload_of({pointer, a, b, c}));
  auto sections = assembler.take_sections();
  ASSERT_EQ(sections.size(), 3u);
  EXPECT_EQ(sections[0], a);
  EXPECT_EQ(sections[1], b);
  EXPECT_EQ(sections[2], c);
}

TEST(SectionAssembler, SectionSpanningPacketsFromPacketizer) {
  Bytes section = long_section(0x50, 1000, 0x77);
  std::vector<std::uint8_t> packets(section_packet_count(section.size()) * 188);
  auto result = packetize_section(section, 0x12, 0, packets);
  SectionAssembler assembler;
  for (std::size_t i = 0; i < result.packet_count; ++i) {
    ByteView packet(packets.data() + i * 188, 188);
    assembler.push(packet[1] & 0x40, true, packet.subspan(4));
    if (i + 1 < result.packet_count) {
      EXPECT_TRUE(assembler.take_sections().empty());
    }
  }
  auto sections = assembler.take_sections();
  ASSERT_EQ(sections.size(), 1u);
  EXPECT_EQ(sections[0], section);
}

TEST(SectionAssembler, PointerFieldCompletesPreviousAndStartsNext) {
  Bytes first = long_section(0x42, 250, 0x11);  // 183 in packet 1, 67 in packet 2
  Bytes second = long_section(0x42, 50, 0x22);
  SectionAssembler assembler;
  const Bytes zero_pointer = {0x00};
  assembler.push(true, true, payload_of({zero_pointer, ByteView(first).first(183)}));
  const Bytes pointer = {67};
  assembler.push(true, true, payload_of({pointer, ByteView(first).subspan(183), second}));
  auto sections = assembler.take_sections();
  ASSERT_EQ(sections.size(), 2u);
  EXPECT_EQ(sections[0], first);
  EXPECT_EQ(sections[1], second);
}

TEST(SectionAssembler, ContinuityGapDiscardsThePartialSection) {
  Bytes first = long_section(0x42, 300, 0x11);
  SectionAssembler assembler;
  const Bytes zero_pointer = {0x00};
  assembler.push(true, true, payload_of({zero_pointer, ByteView(first).first(183)}));
  assembler.push(false, false, payload_of({ByteView(first).subspan(183)}));
  EXPECT_TRUE(assembler.take_sections().empty());
  EXPECT_EQ(assembler.dropped_sections(), 1u);
  // The next unit start recovers.
  assembler.push(true, true, payload_of({zero_pointer, kPatSection}));
  auto sections = assembler.take_sections();
  ASSERT_EQ(sections.size(), 1u);
  EXPECT_EQ(sections[0], kPatSection);
}

TEST(SectionAssembler, StartingMidStreamSkipsTheTailBeforeThePointer) {
  SectionAssembler assembler;
  assembler.push(false, true, payload_of({Bytes(50, 0x99)}));  // no section under way: ignored
  const Bytes pointer = {20};
  assembler.push(true, true, payload_of({pointer, Bytes(20, 0x99), kPatSection}));
  auto sections = assembler.take_sections();
  ASSERT_EQ(sections.size(), 1u);
  EXPECT_EQ(sections[0], kPatSection);
  EXPECT_EQ(assembler.dropped_sections(), 0u);
}

TEST(SectionAssembler, IncompleteSectionAtNextUnitStartIsDropped) {
  Bytes first = long_section(0x42, 300, 0x11);
  SectionAssembler assembler;
  const Bytes zero_pointer = {0x00};
  assembler.push(true, true, payload_of({zero_pointer, ByteView(first).first(183)}));
  assembler.push(true, true, payload_of({zero_pointer, kPatSection}));
  auto sections = assembler.take_sections();
  ASSERT_EQ(sections.size(), 1u);
  EXPECT_EQ(sections[0], kPatSection);
  EXPECT_EQ(assembler.dropped_sections(), 1u);
}

TEST(SectionAssembler, BadPointerAndOversizedLengthAreDropped) {
  SectionAssembler assembler(kMaxPsiSectionBytes);
  assembler.push(true, true, Bytes{0xB7, 1, 2});  // pointer_field beyond the payload
  const Bytes zero_pointer = {0x00};
  const Bytes oversized = {0x02, 0xB7, 0xFF};  // section_length 2047 > 1024
  assembler.push(true, true, payload_of({zero_pointer, oversized}));
  assembler.push(false, true, payload_of({Bytes(100, 0)}));
  assembler.push(true, true, Bytes{});
  EXPECT_TRUE(assembler.take_sections().empty());
  EXPECT_EQ(assembler.dropped_sections(), 1u);
  assembler.push(true, true, payload_of({zero_pointer, kPatSection}));
  EXPECT_EQ(assembler.take_sections().size(), 1u) << "recovers at the next unit start";
}

TEST(SectionAssembler, HeaderSplitAcrossPackets) {
  Bytes section = long_section(0x42, 40, 0x5A);
  SectionAssembler assembler;
  Bytes first(kTsPayloadBytes, 0);
  first[0] = 181;  // 181 bytes of an older section's tail, then 2 bytes of ours
  std::copy_n(section.begin(), 2, first.end() - 2);
  assembler.push(true, true, first);
  assembler.push(false, true, payload_of({ByteView(section).subspan(2)}));
  auto sections = assembler.take_sections();
  ASSERT_EQ(sections.size(), 1u);
  EXPECT_EQ(sections[0], section);
}

}  // namespace
}  // namespace skyclass::mux

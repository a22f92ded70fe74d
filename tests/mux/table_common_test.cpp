#include "mux/tables/table_common.hpp"

#include <gtest/gtest.h>

#include <random>

#include "mux/crc32.hpp"
#include "mux/tables/eit.hpp"
#include "mux/tables/nit.hpp"
#include "mux/tables/pat.hpp"
#include "mux/tables/pmt.hpp"
#include "mux/tables/sdt.hpp"
#include "mux/tables/tdt.hpp"
#include "mux/tables/tot.hpp"

namespace skyclass::mux {
namespace {

TEST(TableCommon, PackEntriesFillsGroupsGreedily) {
  std::vector<Bytes> entries = {Bytes(4, 1), Bytes(4, 2), Bytes(3, 3), Bytes(6, 4)};
  auto groups = detail::pack_entries(entries, 8, "T");
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0].size(), 8u);
  EXPECT_EQ(groups[1].size(), 3u);
  EXPECT_EQ(groups[2].size(), 6u);
  EXPECT_EQ(detail::pack_entries({}, 8, "T").size(), 1u) << "an empty table still has a section";
  EXPECT_THROW(detail::pack_entries({Bytes(9, 0)}, 8, "T"), std::length_error);
}

TEST(TableCommon, NumberSectionsSetsNumbersAndRefusesMoreThan256) {
  auto sections = detail::number_sections({0x42, true, 7, 3}, {Bytes{1}, Bytes{2}, Bytes{3}}, "T");
  ASSERT_EQ(sections.size(), 3u);
  EXPECT_EQ(sections[2][6], 2);
  EXPECT_EQ(sections[2][7], 2);
  EXPECT_THROW(detail::number_sections({0x42, true}, std::vector<Bytes>(257), "T"),
               std::length_error);
}

TEST(TableCommon, SectionSetMustShareVersion) {
  Pat pat;
  for (std::uint16_t i = 1; i <= 300; ++i) pat.programs.push_back({i, 0x100});
  auto v0 = pat.encode();
  pat.version_number = 1;
  auto v1 = pat.encode();
  auto mixed = Pat::decode(std::vector<Bytes>{v0[0], v1[1]});
  ASSERT_FALSE(mixed.ok());
  EXPECT_NE(mixed.error().find("PAT: section 1"), std::string::npos) << mixed.error();
}

// Sections of every table type to mutate.
std::vector<Bytes> seed_sections() {
  std::vector<Bytes> seeds;
  Pat pat;
  pat.programs = {{0, 0x10}, {1, 0x100}};
  seeds.push_back(pat.encode()[0]);
  Pmt pmt;
  pmt.streams = {{0x1B, 0x101, {StreamIdentifierDescriptor{1}}},
                 {0x03, 0x102, {Iso639LanguageDescriptor{{{"chi", 0}}}}}};
  seeds.push_back(pmt.encode()[0]);
  Sdt sdt;
  sdt.services.push_back(
      {1, true, true, 4, false, {ServiceDescriptor{0x16, DvbText{{0x15, 'a'}}, DvbText{{'b'}}}}});
  seeds.push_back(sdt.encode()[0]);
  Nit nit;
  nit.network_descriptors = {NetworkNameDescriptor{DvbText{{'n'}}}};
  nit.transport_streams.push_back(
      {1, 2, {SatelliteDeliverySystemDescriptor{}, ServiceListDescriptor{{{1, 0x16}}}}});
  seeds.push_back(nit.encode()[0]);
  Eit eit;
  Eit::Event event;
  event.start_time_utc_s = 1581897600;
  event.duration_s = 2700;
  event.descriptors = {ShortEventDescriptor{"chi", DvbText{{'t'}}, DvbText{{'x'}}},
                       ContentDescriptor{{{5, 4, 0}}},
                       ContentIdentifierDescriptor{{{1, 0, "crid", 0}}}};
  eit.events = {event, event};
  seeds.push_back(eit.encode_section());
  seeds.push_back(Tdt{1581897600}.encode()[0]);
  LocalTimeOffsetDescriptor lto;
  lto.regions.push_back({"CHN", 0, false, 480, 1581897600, 480});
  seeds.push_back(Tot{1581897600, {lto}}.encode()[0]);
  return seeds;
}

void fix_crc(Bytes& section) {
  if (section.size() < 8) return;
  std::uint32_t crc = crc32_mpeg2(ByteView(section).first(section.size() - 4));
  for (int i = 0; i < 4; ++i)
    section[section.size() - 4 + i] = static_cast<std::uint8_t>(crc >> (24 - 8 * i));
}

void decode_with_every_decoder(const Bytes& bytes) {
  (void)Pat::decode(bytes);
  (void)Pmt::decode(bytes);
  (void)Sdt::decode(bytes);
  (void)Nit::decode(bytes);
  (void)Eit::decode(bytes);
  (void)Tdt::decode(bytes);
  (void)Tot::decode(bytes);
}

TEST(TableDecoders, SurviveEveryTruncation) {
  for (const Bytes& seed : seed_sections()) {
    for (std::size_t size = 0; size <= seed.size(); ++size) {
      Bytes cut(seed.begin(), seed.begin() + static_cast<std::ptrdiff_t>(size));
      ASSERT_NO_THROW(decode_with_every_decoder(cut));
    }
  }
}

TEST(TableDecoders, SurviveRandomCorruptionWithValidCrc) {
  std::mt19937 rng(2020);
  std::size_t decoded_ok = 0;
  for (const Bytes& seed : seed_sections()) {
    for (int round = 0; round < 3000; ++round) {
      Bytes bytes = seed;
      int flips = 1 + static_cast<int>(rng() % 4);
      for (int i = 0; i < flips; ++i)
        bytes[rng() % bytes.size()] = static_cast<std::uint8_t>(rng());
      if (round % 3 == 0) bytes.resize(rng() % (bytes.size() + 1));
      if (round % 2 == 0) fix_crc(bytes);  // reach the body parsers, not just the CRC check
      ASSERT_NO_THROW(decode_with_every_decoder(bytes));
      decoded_ok += Eit::decode(bytes).ok() + Sdt::decode(bytes).ok() + Nit::decode(bytes).ok();
    }
  }
  EXPECT_GT(decoded_ok, 0u) << "some mutations stay valid, so the body parsers did run";
}

TEST(TableDecoders, RandomNoiseIsRejected) {
  std::mt19937 rng(7);
  for (int round = 0; round < 20000; ++round) {
    Bytes bytes(rng() % 64);
    for (auto& b : bytes) b = static_cast<std::uint8_t>(rng());
    ASSERT_NO_THROW(decode_with_every_decoder(bytes));
  }
}

}  // namespace
}  // namespace skyclass::mux

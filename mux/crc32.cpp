#include "mux/crc32.hpp"

#include <array>

namespace skyclass::mux {
namespace {

// Slice-by-8 tables: table[0] is the classic byte table; table[k][b] is the CRC of byte b
// followed by k zero bytes, so eight input bytes are folded per step.
using CrcTables = std::array<std::array<std::uint32_t, 256>, 8>;

constexpr CrcTables make_tables() {
  CrcTables tables{};
  for (std::uint32_t byte = 0; byte < 256; ++byte) {
    std::uint32_t crc = byte << 24;
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x80000000u) ? (crc << 1) ^ 0x04C11DB7u : crc << 1;
    }
    tables[0][byte] = crc;
  }
  for (std::size_t k = 1; k < 8; ++k) {
    for (std::size_t byte = 0; byte < 256; ++byte) {
      std::uint32_t previous = tables[k - 1][byte];
      tables[k][byte] = (previous << 8) ^ tables[0][previous >> 24];
    }
  }
  return tables;
}

constexpr CrcTables kTables = make_tables();

std::uint32_t update_byte(std::uint32_t crc, std::uint8_t byte) {
  return (crc << 8) ^ kTables[0][(crc >> 24) ^ byte];
}

std::uint32_t update_block8(std::uint32_t crc, const std::uint8_t* p) {
  std::uint32_t high = crc ^ (std::uint32_t{p[0]} << 24 | std::uint32_t{p[1]} << 16 |
                              std::uint32_t{p[2]} << 8 | std::uint32_t{p[3]});
  return kTables[7][high >> 24] ^ kTables[6][(high >> 16) & 0xFF] ^ kTables[5][(high >> 8) & 0xFF] ^
         kTables[4][high & 0xFF] ^ kTables[3][p[4]] ^ kTables[2][p[5]] ^ kTables[1][p[6]] ^
         kTables[0][p[7]];
}

}  // namespace

std::uint32_t crc32_mpeg2_update(std::uint32_t crc, std::span<const std::uint8_t> data) {
  const std::uint8_t* p = data.data();
  std::size_t left = data.size();
  for (; left >= 8; left -= 8, p += 8) crc = update_block8(crc, p);
  for (; left > 0; --left, ++p) crc = update_byte(crc, *p);
  return crc;
}

}  // namespace skyclass::mux

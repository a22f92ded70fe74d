#pragma once
// CRC-32/MPEG-2 of ISO/IEC 13818-1 Annex A: polynomial 0x04C11DB7, initial value 0xFFFFFFFF,
// no reflection, no final XOR. Running it over a whole section including its CRC_32 gives 0.
#include <cstdint>
#include <span>

namespace skyclass::mux {

inline constexpr std::uint32_t kCrc32Mpeg2Init = 0xFFFFFFFF;

// Continues a CRC over more bytes; start from kCrc32Mpeg2Init.
std::uint32_t crc32_mpeg2_update(std::uint32_t crc, std::span<const std::uint8_t> data);

inline std::uint32_t crc32_mpeg2(std::span<const std::uint8_t> data) {
  return crc32_mpeg2_update(kCrc32Mpeg2Init, data);
}

}  // namespace skyclass::mux

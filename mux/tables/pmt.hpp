#pragma once
// Program map table: ISO/IEC 13818-1 2.4.4.8. A PMT is always a single section (section_number
// 0), so encode throws std::length_error if the program does not fit 1024 bytes.
#include <cstdint>
#include <vector>

#include "mux/bytes.hpp"
#include "mux/descriptors.hpp"
#include "mux/result.hpp"

namespace skyclass::mux {

// stream_type values of 13818-1 Table 2-34 used by SkyClass.
inline constexpr std::uint8_t kStreamTypeMpeg1Audio = 0x03;
inline constexpr std::uint8_t kStreamTypeMpeg2Audio = 0x04;
inline constexpr std::uint8_t kStreamTypeAacAdts = 0x0F;
inline constexpr std::uint8_t kStreamTypeH264 = 0x1B;

struct Pmt {
  static constexpr std::uint8_t kTableId = 0x02;

  struct Stream {
    std::uint8_t stream_type = 0;
    std::uint16_t elementary_PID = 0;
    DescriptorList descriptors;  // ES_info
    bool operator==(const Stream&) const = default;
  };

  std::uint16_t program_number = 0;
  std::uint8_t version_number = 0;
  bool current_next_indicator = true;
  std::uint16_t PCR_PID = 0x1FFF;
  DescriptorList program_info;
  std::vector<Stream> streams;

  std::vector<Bytes> encode() const;
  static Result<Pmt> decode(ByteView section);
  bool operator==(const Pmt&) const = default;
};

}  // namespace skyclass::mux

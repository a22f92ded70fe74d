#pragma once
// Time offset table: ETSI EN 300 468 5.2.6. A short section with CRC_32.
#include <cstdint>
#include <vector>

#include "mux/bytes.hpp"
#include "mux/descriptors.hpp"
#include "mux/result.hpp"

namespace skyclass::mux {

struct Tot {
  static constexpr std::uint8_t kTableId = 0x73;
  static constexpr std::uint16_t kPid = 0x0014;

  std::int64_t UTC_time_s = 0;
  DescriptorList descriptors;  // local_time_offset_descriptor

  std::vector<Bytes> encode() const;
  static Result<Tot> decode(ByteView section);
  bool operator==(const Tot&) const = default;
};

}  // namespace skyclass::mux

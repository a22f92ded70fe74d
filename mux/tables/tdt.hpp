#pragma once
// Time and date table: ETSI EN 300 468 5.2.5. A short section without CRC.
#include <cstdint>
#include <vector>

#include "mux/bytes.hpp"
#include "mux/result.hpp"

namespace skyclass::mux {

struct Tdt {
  static constexpr std::uint8_t kTableId = 0x70;
  static constexpr std::uint16_t kPid = 0x0014;

  std::int64_t UTC_time_s = 0;  // whole seconds since 1970-01-01 UTC

  std::vector<Bytes> encode() const;
  static Result<Tdt> decode(ByteView section);
  bool operator==(const Tdt&) const = default;
};

}  // namespace skyclass::mux

#pragma once
// Program association table: ISO/IEC 13818-1 2.4.4.3.
#include <cstdint>
#include <vector>

#include "mux/bytes.hpp"
#include "mux/result.hpp"

namespace skyclass::mux {

struct Pat {
  static constexpr std::uint8_t kTableId = 0x00;
  static constexpr std::uint16_t kPid = 0x0000;

  struct Program {
    std::uint16_t program_number = 0;  // 0: the PID is the network_PID (NIT)
    std::uint16_t program_map_PID = 0;
    bool operator==(const Program&) const = default;
  };

  std::uint16_t transport_stream_id = 0;
  std::uint8_t version_number = 0;
  bool current_next_indicator = true;
  // Set by decode (of one section, or 0 and the last of a set); encode numbers its own sections.
  std::uint8_t section_number = 0;
  std::uint8_t last_section_number = 0;
  std::vector<Program> programs;

  // One section per 253 programs (1024-byte PSI sections).
  std::vector<Bytes> encode() const;
  static Result<Pat> decode(ByteView section);
  static Result<Pat> decode(const std::vector<Bytes>& sections);
  bool operator==(const Pat&) const = default;
};

}  // namespace skyclass::mux

#pragma once
// Service description table: ETSI EN 300 468 5.2.3.
#include <cstdint>
#include <vector>

#include "mux/bytes.hpp"
#include "mux/descriptors.hpp"
#include "mux/result.hpp"

namespace skyclass::mux {

struct Sdt {
  static constexpr std::uint8_t kTableIdActual = 0x42;
  static constexpr std::uint8_t kTableIdOther = 0x46;
  static constexpr std::uint16_t kPid = 0x0011;

  struct Service {
    std::uint16_t service_id = 0;
    bool EIT_schedule_flag = false;
    bool EIT_present_following_flag = false;
    std::uint8_t running_status = 0;  // 4: running
    bool free_CA_mode = false;
    DescriptorList descriptors;
    bool operator==(const Service&) const = default;
  };

  std::uint8_t table_id = kTableIdActual;
  std::uint16_t transport_stream_id = 0;
  std::uint8_t version_number = 0;
  bool current_next_indicator = true;
  std::uint8_t section_number = 0;  // set by decode
  std::uint8_t last_section_number = 0;
  std::uint16_t original_network_id = 0;
  std::vector<Service> services;

  // Splits the service loop over as many 4096-byte sections as it needs.
  std::vector<Bytes> encode() const;
  static Result<Sdt> decode(ByteView section);
  static Result<Sdt> decode(const std::vector<Bytes>& sections);
  bool operator==(const Sdt&) const = default;
};

}  // namespace skyclass::mux

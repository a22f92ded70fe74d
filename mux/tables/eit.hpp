#pragma once
// Event information table: ETSI EN 300 468 5.2.4 (present/following 0x4E/0x4F, schedule
// 0x50..0x5F actual and 0x60..0x6F other).
#include <cstdint>
#include <vector>

#include "mux/bytes.hpp"
#include "mux/descriptors.hpp"
#include "mux/result.hpp"

namespace skyclass::mux {

struct Eit {
  static constexpr std::uint8_t kTableIdPfActual = 0x4E;
  static constexpr std::uint8_t kTableIdPfOther = 0x4F;
  static constexpr std::uint8_t kTableIdScheduleActualFirst = 0x50;
  static constexpr std::uint8_t kTableIdScheduleActualLast = 0x5F;
  static constexpr std::uint8_t kTableIdScheduleOtherLast = 0x6F;
  static constexpr std::uint16_t kPid = 0x0012;

  struct Event {
    std::uint16_t event_id = 0;
    std::int64_t start_time_utc_s = 0;  // kUndefinedUtcS when all bits are 1 (NVOD)
    std::int64_t duration_s = 0;
    std::uint8_t running_status = 0;  // 0 undefined, 1 not running, 4 running
    bool free_CA_mode = false;
    DescriptorList descriptors;
    bool operator==(const Event&) const = default;
  };

  std::uint8_t table_id = kTableIdPfActual;
  std::uint16_t service_id = 0;
  std::uint8_t version_number = 0;
  bool current_next_indicator = true;
  std::uint8_t section_number = 0;
  std::uint8_t last_section_number = 0;
  std::uint16_t transport_stream_id = 0;
  std::uint16_t original_network_id = 0;
  std::uint8_t segment_last_section_number = 0;
  std::uint8_t last_table_id = kTableIdPfActual;
  std::vector<Event> events;

  // Packs the events in order over sections 0..n-1 as one segment, setting section_number,
  // last_section_number and segment_last_section_number. (The EPG numbers schedule segments and
  // the present/following pair itself with encode_section.)
  std::vector<Bytes> encode() const;
  // Exactly one section with the numbers as they are set. Throws std::length_error if the events
  // exceed 4096 bytes.
  Bytes encode_section() const;
  static Result<Eit> decode(ByteView section);
  static Result<Eit> decode(const std::vector<Bytes>& sections);
  bool operator==(const Eit&) const = default;

  // Bytes `event` takes in the event loop, and the loop room of one section.
  static std::size_t event_bytes(const Event& event);
  static constexpr std::size_t kEventLoopCapacity = 4096 - 8 - 4 - 6;
};

}  // namespace skyclass::mux

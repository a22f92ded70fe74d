#pragma once
// Network information table: ETSI EN 300 468 5.2.1.
#include <cstdint>
#include <vector>

#include "mux/bytes.hpp"
#include "mux/descriptors.hpp"
#include "mux/result.hpp"

namespace skyclass::mux {

struct Nit {
  static constexpr std::uint8_t kTableIdActual = 0x40;
  static constexpr std::uint8_t kTableIdOther = 0x41;
  static constexpr std::uint16_t kPid = 0x0010;

  struct TransportStream {
    std::uint16_t transport_stream_id = 0;
    std::uint16_t original_network_id = 0;
    DescriptorList descriptors;  // transport_descriptors
    bool operator==(const TransportStream&) const = default;
  };

  std::uint8_t table_id = kTableIdActual;
  std::uint16_t network_id = 0;
  std::uint8_t version_number = 0;
  bool current_next_indicator = true;
  std::uint8_t section_number = 0;  // set by decode
  std::uint8_t last_section_number = 0;
  DescriptorList network_descriptors;
  std::vector<TransportStream> transport_streams;

  // The network descriptors go in the first section; the transport stream loop is split over as
  // many 4096-byte sections as it needs. Decoding a set concatenates both loops.
  std::vector<Bytes> encode() const;
  static Result<Nit> decode(ByteView section);
  static Result<Nit> decode(const std::vector<Bytes>& sections);
  bool operator==(const Nit&) const = default;
};

}  // namespace skyclass::mux

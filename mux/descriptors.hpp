#pragma once
// Descriptors: one type each, encoded and decoded by the same type. `encode` writes tag, length
// and body, and throws std::length_error / std::invalid_argument for a value the syntax cannot
// carry (a body over 255 bytes, a language code that is not 3 letters, a BCD overflow): those are
// configuration errors. `decode` reads the body (after tag and length) and never throws. A loop
// decodes a known tag whose body is malformed as an UnknownDescriptor, so no byte is lost.
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "mux/bytes.hpp"
#include "mux/result.hpp"
#include "mux/text.hpp"

namespace skyclass::mux {

// ISO/IEC 13818-1 2.6.18
struct Iso639LanguageDescriptor {
  static constexpr std::uint8_t kTag = 0x0A;
  struct Language {
    std::string ISO_639_language_code;  // 3 letters, e.g. "chi"
    std::uint8_t audio_type = 0;        // 0 undefined, 1 clean effects, 2 hearing impaired, ...
    bool operator==(const Language&) const = default;
  };
  std::vector<Language> languages;

  void encode(ByteWriter& w) const;
  static Result<Iso639LanguageDescriptor> decode(ByteView body);
  bool operator==(const Iso639LanguageDescriptor&) const = default;
};

// ETSI EN 300 468 6.2.27
struct NetworkNameDescriptor {
  static constexpr std::uint8_t kTag = 0x40;
  DvbText network_name;

  void encode(ByteWriter& w) const;
  static Result<NetworkNameDescriptor> decode(ByteView body);
  bool operator==(const NetworkNameDescriptor&) const = default;
};

// ETSI EN 300 468 6.2.35
struct ServiceListDescriptor {
  static constexpr std::uint8_t kTag = 0x41;
  struct Service {
    std::uint16_t service_id = 0;
    std::uint8_t service_type = 0;
    bool operator==(const Service&) const = default;
  };
  std::vector<Service> services;

  void encode(ByteWriter& w) const;
  static Result<ServiceListDescriptor> decode(ByteView body);
  bool operator==(const ServiceListDescriptor&) const = default;
};

// ETSI EN 300 468 6.2.13.2. BCD fields are held as plain numbers with their unit in the name.
struct SatelliteDeliverySystemDescriptor {
  static constexpr std::uint8_t kTag = 0x43;
  std::uint32_t frequency_10khz = 0;          // 8 digits: 12.02000 GHz is 1202000
  std::uint16_t orbital_position_0_1deg = 0;  // 4 digits: 115.5 degrees is 1155
  bool west_east_flag = true;                 // true: east
  std::uint8_t polarization = 0;     // 0 linear horizontal, 1 linear vertical, 2 left, 3 right
  std::uint8_t roll_off = 0;         // 0: 0.35, 1: 0.25, 2: 0.20 (coded '00' for DVB-S)
  bool modulation_system = true;     // true: DVB-S2
  std::uint8_t modulation_type = 1;  // 0 auto, 1 QPSK, 2 8PSK, 3 16-QAM
  std::uint32_t symbol_rate_100sym_s = 0;  // 7 digits: 27.5 Msymbol/s is 275000
  std::uint8_t FEC_inner = 0;  // 1 1/2, 2 2/3, 3 3/4, 4 5/6, 5 7/8, 6 8/9, 7 3/5, 8 4/5, 9 9/10

  void encode(ByteWriter& w) const;
  static Result<SatelliteDeliverySystemDescriptor> decode(ByteView body);
  bool operator==(const SatelliteDeliverySystemDescriptor&) const = default;
};

// ETSI EN 300 468 6.2.33
struct ServiceDescriptor {
  static constexpr std::uint8_t kTag = 0x48;
  std::uint8_t service_type = 0;  // 0x16: H.264 SD digital television
  DvbText service_provider_name;
  DvbText service_name;

  void encode(ByteWriter& w) const;
  static Result<ServiceDescriptor> decode(ByteView body);
  bool operator==(const ServiceDescriptor&) const = default;
};

// ETSI EN 300 468 6.2.37
struct ShortEventDescriptor {
  static constexpr std::uint8_t kTag = 0x4D;
  std::string ISO_639_language_code;
  DvbText event_name;
  DvbText text;

  void encode(ByteWriter& w) const;
  static Result<ShortEventDescriptor> decode(ByteView body);
  bool operator==(const ShortEventDescriptor&) const = default;
};

// ETSI EN 300 468 6.2.39
struct StreamIdentifierDescriptor {
  static constexpr std::uint8_t kTag = 0x52;
  std::uint8_t component_tag = 0;

  void encode(ByteWriter& w) const;
  static Result<StreamIdentifierDescriptor> decode(ByteView body);
  bool operator==(const StreamIdentifierDescriptor&) const = default;
};

// ETSI EN 300 468 6.2.9
struct ContentDescriptor {
  static constexpr std::uint8_t kTag = 0x54;
  struct Content {
    std::uint8_t content_nibble_level_1 = 0;  // 0x5: children's/youth programmes
    std::uint8_t content_nibble_level_2 = 0;  // 0x4: informational/educational/school
    std::uint8_t user_byte = 0;
    bool operator==(const Content&) const = default;
  };
  std::vector<Content> contents;

  void encode(ByteWriter& w) const;
  static Result<ContentDescriptor> decode(ByteView body);
  bool operator==(const ContentDescriptor&) const = default;
};

// ETSI EN 300 468 6.2.20
struct LocalTimeOffsetDescriptor {
  static constexpr std::uint8_t kTag = 0x58;
  struct Region {
    std::string country_code;  // ISO 3166 alpha-3, e.g. "CHN"
    std::uint8_t country_region_id = 0;
    bool local_time_offset_polarity = false;  // false: local time is ahead of UTC (east)
    std::uint16_t local_time_offset_min = 0;  // BCD hhmm on the wire
    std::int64_t time_of_change_utc_s = 0;
    std::uint16_t next_time_offset_min = 0;
    bool operator==(const Region&) const = default;
  };
  std::vector<Region> regions;

  void encode(ByteWriter& w) const;
  static Result<LocalTimeOffsetDescriptor> decode(ByteView body);
  bool operator==(const LocalTimeOffsetDescriptor&) const = default;
};

// ETSI TS 102 323 12.1 (tag from EN 300 468 Table 12)
struct ContentIdentifierDescriptor {
  static constexpr std::uint8_t kTag = 0x76;
  struct Crid {
    std::uint8_t crid_type = 0x01;   // 6 bits; 0x01: the item this event is an instance of
    std::uint8_t crid_location = 0;  // 0: CRID carried here, 1: reference to a CIT
    std::string crid;                // location 0
    std::uint16_t crid_ref = 0;      // location 1
    bool operator==(const Crid&) const = default;
  };
  std::vector<Crid> crids;

  void encode(ByteWriter& w) const;
  static Result<ContentIdentifierDescriptor> decode(ByteView body);
  bool operator==(const ContentIdentifierDescriptor&) const = default;
};

// Any other tag, or a known tag whose body did not decode: kept byte for byte.
struct UnknownDescriptor {
  std::uint8_t tag = 0;
  Bytes body;

  void encode(ByteWriter& w) const;
  bool operator==(const UnknownDescriptor&) const = default;
};

using Descriptor =
    std::variant<Iso639LanguageDescriptor, NetworkNameDescriptor, ServiceListDescriptor,
                 SatelliteDeliverySystemDescriptor, ServiceDescriptor, ShortEventDescriptor,
                 StreamIdentifierDescriptor, ContentDescriptor, LocalTimeOffsetDescriptor,
                 ContentIdentifierDescriptor, UnknownDescriptor>;
using DescriptorList = std::vector<Descriptor>;

void encode_descriptors(const DescriptorList& descriptors, ByteWriter& w);
Bytes encode_descriptors(const DescriptorList& descriptors);
// Decodes a whole descriptor loop; fails (naming `where`) only if a length overruns the loop.
Result<DescriptorList> decode_descriptors(ByteView loop, std::string_view where);

template <class T>
const T* find_descriptor(const DescriptorList& descriptors) {
  for (const Descriptor& d : descriptors) {
    if (const T* found = std::get_if<T>(&d)) return found;
  }
  return nullptr;
}

}  // namespace skyclass::mux

#include "mux/descriptors.hpp"

#include <stdexcept>

#include "mux/dvb_time.hpp"

namespace skyclass::mux {
namespace {

constexpr std::size_t kMaxDescriptorBody = 255;

void put_descriptor(ByteWriter& w, std::uint8_t tag, const Bytes& body) {
  if (body.size() > kMaxDescriptorBody) {
    throw std::length_error(
        fmt::format("descriptor 0x{:02X}: body of {} bytes exceeds 255", tag, body.size()));
  }
  w.u8(tag);
  w.u8(static_cast<std::uint8_t>(body.size()));
  w.bytes(body);
}

void put_code3(ByteWriter& w, const std::string& code, std::string_view field) {
  if (code.size() != 3) {
    throw std::invalid_argument(fmt::format("{}: '{}' is not a 3-character code", field, code));
  }
  w.bytes(ByteView(reinterpret_cast<const std::uint8_t*>(code.data()), 3));
}

std::string get_code3(ByteReader& r) {
  ByteView code = r.bytes(3);
  return std::string(code.begin(), code.end());
}

// An 8-bit length followed by that many bytes of text.
void put_text8(ByteWriter& w, const DvbText& text, std::string_view field) {
  if (text.size() > kMaxDescriptorBody) {
    throw std::length_error(fmt::format("{}: {} bytes exceed 255", field, text.size()));
  }
  w.u8(static_cast<std::uint8_t>(text.size()));
  w.bytes(text.bytes);
}

DvbText get_text8(ByteReader& r) {
  ByteView text = r.bytes(r.u8());
  return DvbText{Bytes(text.begin(), text.end())};
}

template <class T>
Result<T> finish(const ByteReader& r, T value, std::string_view name) {
  if (r.failed()) return make_error("{}: body truncated", name);
  if (!r.at_end()) return make_error("{}: {} unexpected bytes after the body", name, r.remaining());
  return value;
}

}  // namespace

// --- ISO_639_language_descriptor ---------------------------------------------------------------

void Iso639LanguageDescriptor::encode(ByteWriter& w) const {
  Bytes body;
  ByteWriter b(body);
  for (const Language& language : languages) {
    put_code3(b, language.ISO_639_language_code, "ISO_639_language_descriptor");
    b.u8(language.audio_type);
  }
  put_descriptor(w, kTag, body);
}

Result<Iso639LanguageDescriptor> Iso639LanguageDescriptor::decode(ByteView body) {
  ByteReader r(body);
  Iso639LanguageDescriptor d;
  while (r.remaining() >= 4) {
    Language language;
    language.ISO_639_language_code = get_code3(r);
    language.audio_type = r.u8();
    d.languages.push_back(std::move(language));
  }
  return finish(r, std::move(d), "ISO_639_language_descriptor");
}

// --- network_name_descriptor -------------------------------------------------------------------

void NetworkNameDescriptor::encode(ByteWriter& w) const {
  put_descriptor(w, kTag, network_name.bytes);
}

Result<NetworkNameDescriptor> NetworkNameDescriptor::decode(ByteView body) {
  return NetworkNameDescriptor{DvbText{Bytes(body.begin(), body.end())}};
}

// --- service_list_descriptor -------------------------------------------------------------------

void ServiceListDescriptor::encode(ByteWriter& w) const {
  Bytes body;
  ByteWriter b(body);
  for (const Service& service : services) {
    b.u16(service.service_id);
    b.u8(service.service_type);
  }
  put_descriptor(w, kTag, body);
}

Result<ServiceListDescriptor> ServiceListDescriptor::decode(ByteView body) {
  ByteReader r(body);
  ServiceListDescriptor d;
  while (r.remaining() >= 3) {
    Service service;
    service.service_id = r.u16();
    service.service_type = r.u8();
    d.services.push_back(service);
  }
  return finish(r, std::move(d), "service_list_descriptor");
}

// --- satellite_delivery_system_descriptor ------------------------------------------------------

void SatelliteDeliverySystemDescriptor::encode(ByteWriter& w) const {
  constexpr std::string_view kName = "satellite_delivery_system_descriptor";
  Bytes body;
  ByteWriter b(body);
  b.u32(to_bcd(frequency_10khz, 8, fmt::format("{} frequency", kName)));
  b.u16(static_cast<std::uint16_t>(
      to_bcd(orbital_position_0_1deg, 4, fmt::format("{} orbital_position", kName))));
  std::uint8_t roll_off_bits = modulation_system ? (roll_off & 0x03) : 0;
  b.u8(static_cast<std::uint8_t>((west_east_flag ? 0x80 : 0) | (polarization & 0x03) << 5 |
                                 roll_off_bits << 3 | (modulation_system ? 0x04 : 0) |
                                 (modulation_type & 0x03)));
  std::uint32_t symbol_rate = to_bcd(symbol_rate_100sym_s, 7, fmt::format("{} symbol_rate", kName));
  b.u32(symbol_rate << 4 | (FEC_inner & 0x0F));
  put_descriptor(w, kTag, body);
}

Result<SatelliteDeliverySystemDescriptor> SatelliteDeliverySystemDescriptor::decode(ByteView body) {
  constexpr std::string_view kName = "satellite_delivery_system_descriptor";
  if (body.size() != 11) return make_error("{}: body is {} bytes, expected 11", kName, body.size());
  ByteReader r(body);
  SatelliteDeliverySystemDescriptor d;
  auto frequency = from_bcd(r.u32(), 8);
  auto orbital_position = from_bcd(r.u16(), 4);
  std::uint8_t flags = r.u8();
  std::uint32_t rate_fec = r.u32();
  auto symbol_rate = from_bcd(rate_fec >> 4, 7);
  if (!frequency) return make_error("{}: frequency is not BCD", kName);
  if (!orbital_position) return make_error("{}: orbital_position is not BCD", kName);
  if (!symbol_rate) return make_error("{}: symbol_rate is not BCD", kName);
  d.frequency_10khz = *frequency;
  d.orbital_position_0_1deg = static_cast<std::uint16_t>(*orbital_position);
  d.west_east_flag = flags & 0x80;
  d.polarization = (flags >> 5) & 0x03;
  d.roll_off = (flags >> 3) & 0x03;
  d.modulation_system = flags & 0x04;
  d.modulation_type = flags & 0x03;
  d.symbol_rate_100sym_s = *symbol_rate;
  d.FEC_inner = rate_fec & 0x0F;
  return d;
}

// --- service_descriptor ------------------------------------------------------------------------

void ServiceDescriptor::encode(ByteWriter& w) const {
  Bytes body;
  ByteWriter b(body);
  b.u8(service_type);
  put_text8(b, service_provider_name, "service_descriptor service_provider_name");
  put_text8(b, service_name, "service_descriptor service_name");
  put_descriptor(w, kTag, body);
}

Result<ServiceDescriptor> ServiceDescriptor::decode(ByteView body) {
  ByteReader r(body);
  ServiceDescriptor d;
  d.service_type = r.u8();
  d.service_provider_name = get_text8(r);
  d.service_name = get_text8(r);
  return finish(r, std::move(d), "service_descriptor");
}

// --- short_event_descriptor --------------------------------------------------------------------

void ShortEventDescriptor::encode(ByteWriter& w) const {
  Bytes body;
  ByteWriter b(body);
  put_code3(b, ISO_639_language_code, "short_event_descriptor ISO_639_language_code");
  put_text8(b, event_name, "short_event_descriptor event_name");
  put_text8(b, text, "short_event_descriptor text");
  put_descriptor(w, kTag, body);
}

Result<ShortEventDescriptor> ShortEventDescriptor::decode(ByteView body) {
  ByteReader r(body);
  ShortEventDescriptor d;
  d.ISO_639_language_code = get_code3(r);
  d.event_name = get_text8(r);
  d.text = get_text8(r);
  return finish(r, std::move(d), "short_event_descriptor");
}

// --- stream_identifier_descriptor --------------------------------------------------------------

void StreamIdentifierDescriptor::encode(ByteWriter& w) const {
  put_descriptor(w, kTag, Bytes{component_tag});
}

Result<StreamIdentifierDescriptor> StreamIdentifierDescriptor::decode(ByteView body) {
  ByteReader r(body);
  StreamIdentifierDescriptor d{r.u8()};
  return finish(r, d, "stream_identifier_descriptor");
}

// --- content_descriptor ------------------------------------------------------------------------

void ContentDescriptor::encode(ByteWriter& w) const {
  Bytes body;
  ByteWriter b(body);
  for (const Content& content : contents) {
    b.u8(static_cast<std::uint8_t>((content.content_nibble_level_1 & 0x0F) << 4 |
                                   (content.content_nibble_level_2 & 0x0F)));
    b.u8(content.user_byte);
  }
  put_descriptor(w, kTag, body);
}

Result<ContentDescriptor> ContentDescriptor::decode(ByteView body) {
  ByteReader r(body);
  ContentDescriptor d;
  while (r.remaining() >= 2) {
    std::uint8_t nibbles = r.u8();
    d.contents.push_back({static_cast<std::uint8_t>(nibbles >> 4),
                          static_cast<std::uint8_t>(nibbles & 0x0F), r.u8()});
  }
  return finish(r, std::move(d), "content_descriptor");
}

// --- local_time_offset_descriptor --------------------------------------------------------------

namespace {

std::uint16_t offset_bcd(std::uint16_t offset_min, std::string_view field) {
  if (offset_min >= 24 * 60) {
    throw std::out_of_range(fmt::format("{}: {} min is not below 24 h", field, offset_min));
  }
  return static_cast<std::uint16_t>(to_bcd(offset_min / 60, 2, field) << 8 |
                                    to_bcd(offset_min % 60, 2, field));
}

std::optional<std::uint16_t> offset_min(std::uint16_t bcd_hhmm) {
  auto hours = from_bcd(bcd_hhmm >> 8, 2);
  auto minutes = from_bcd(bcd_hhmm & 0xFF, 2);
  if (!hours || !minutes || *minutes > 59) return std::nullopt;
  return static_cast<std::uint16_t>(*hours * 60 + *minutes);
}

}  // namespace

void LocalTimeOffsetDescriptor::encode(ByteWriter& w) const {
  Bytes body;
  ByteWriter b(body);
  for (const Region& region : regions) {
    put_code3(b, region.country_code, "local_time_offset_descriptor country_code");
    b.u8(static_cast<std::uint8_t>((region.country_region_id & 0x3F) << 2 | 0x02 |
                                   (region.local_time_offset_polarity ? 1 : 0)));
    b.u16(offset_bcd(region.local_time_offset_min, "local_time_offset"));
    b.u40(encode_mjd_utc(region.time_of_change_utc_s));
    b.u16(offset_bcd(region.next_time_offset_min, "next_time_offset"));
  }
  put_descriptor(w, kTag, body);
}

Result<LocalTimeOffsetDescriptor> LocalTimeOffsetDescriptor::decode(ByteView body) {
  constexpr std::string_view kName = "local_time_offset_descriptor";
  if (body.size() % 13 != 0) {
    return make_error("{}: body of {} bytes is not a multiple of 13", kName, body.size());
  }
  ByteReader r(body);
  LocalTimeOffsetDescriptor d;
  while (!r.at_end()) {
    Region region;
    region.country_code = get_code3(r);
    std::uint8_t flags = r.u8();
    region.country_region_id = flags >> 2;
    region.local_time_offset_polarity = flags & 0x01;
    auto offset = offset_min(r.u16());
    auto change = decode_mjd_utc(r.u40(), "local_time_offset_descriptor time_of_change");
    auto next = offset_min(r.u16());
    if (!offset) return make_error("{}: local_time_offset is not BCD hhmm", kName);
    if (!change) return change.take_error();
    if (!next) return make_error("{}: next_time_offset is not BCD hhmm", kName);
    region.local_time_offset_min = *offset;
    region.time_of_change_utc_s = change.value();
    region.next_time_offset_min = *next;
    d.regions.push_back(std::move(region));
  }
  return d;
}

// --- content_identifier_descriptor -------------------------------------------------------------

void ContentIdentifierDescriptor::encode(ByteWriter& w) const {
  Bytes body;
  ByteWriter b(body);
  for (const Crid& entry : crids) {
    b.u8(static_cast<std::uint8_t>((entry.crid_type & 0x3F) << 2 | (entry.crid_location & 0x03)));
    if (entry.crid_location == 0) {
      if (entry.crid.size() > kMaxDescriptorBody) {
        throw std::length_error(
            fmt::format("content_identifier_descriptor: CRID '{}' exceeds 255", entry.crid));
      }
      b.u8(static_cast<std::uint8_t>(entry.crid.size()));
      b.bytes(
          ByteView(reinterpret_cast<const std::uint8_t*>(entry.crid.data()), entry.crid.size()));
    } else if (entry.crid_location == 1) {
      b.u16(entry.crid_ref);
    } else {
      throw std::invalid_argument(fmt::format(
          "content_identifier_descriptor: crid_location {} is reserved", entry.crid_location));
    }
  }
  put_descriptor(w, kTag, body);
}

Result<ContentIdentifierDescriptor> ContentIdentifierDescriptor::decode(ByteView body) {
  constexpr std::string_view kName = "content_identifier_descriptor";
  ByteReader r(body);
  ContentIdentifierDescriptor d;
  while (!r.at_end() && !r.failed()) {
    std::uint8_t type_location = r.u8();
    Crid entry;
    entry.crid_type = type_location >> 2;
    entry.crid_location = type_location & 0x03;
    if (entry.crid_location == 0) {
      ByteView crid = r.bytes(r.u8());
      entry.crid.assign(crid.begin(), crid.end());
    } else if (entry.crid_location == 1) {
      entry.crid_ref = r.u16();
    } else {
      return make_error("{}: crid_location {} is reserved", kName, entry.crid_location);
    }
    d.crids.push_back(std::move(entry));
  }
  return finish(r, std::move(d), kName);
}

// --- unknown, and loops ------------------------------------------------------------------------

void UnknownDescriptor::encode(ByteWriter& w) const {
  put_descriptor(w, tag, body);
}

void encode_descriptors(const DescriptorList& descriptors, ByteWriter& w) {
  for (const Descriptor& descriptor : descriptors) {
    std::visit([&w](const auto& d) { d.encode(w); }, descriptor);
  }
}

Bytes encode_descriptors(const DescriptorList& descriptors) {
  Bytes out;
  ByteWriter w(out);
  encode_descriptors(descriptors, w);
  return out;
}

namespace {

template <class T>
bool try_decode(std::uint8_t tag, ByteView body, Descriptor& out) {
  if (tag != T::kTag) return false;
  auto decoded = T::decode(body);
  if (!decoded) return false;
  out = std::move(decoded).value();
  return true;
}

Descriptor decode_one(std::uint8_t tag, ByteView body) {
  Descriptor d = UnknownDescriptor{tag, Bytes(body.begin(), body.end())};
  try_decode<Iso639LanguageDescriptor>(tag, body, d) ||
      try_decode<NetworkNameDescriptor>(tag, body, d) ||
      try_decode<ServiceListDescriptor>(tag, body, d) ||
      try_decode<SatelliteDeliverySystemDescriptor>(tag, body, d) ||
      try_decode<ServiceDescriptor>(tag, body, d) ||
      try_decode<ShortEventDescriptor>(tag, body, d) ||
      try_decode<StreamIdentifierDescriptor>(tag, body, d) ||
      try_decode<ContentDescriptor>(tag, body, d) ||
      try_decode<LocalTimeOffsetDescriptor>(tag, body, d) ||
      try_decode<ContentIdentifierDescriptor>(tag, body, d);
  return d;
}

}  // namespace

Result<DescriptorList> decode_descriptors(ByteView loop, std::string_view where) {
  DescriptorList out;
  ByteReader r(loop);
  while (!r.at_end()) {
    std::size_t offset = r.position();
    std::uint8_t tag = r.u8();
    std::uint8_t length = r.u8();
    ByteView body = r.bytes(length);
    if (r.failed()) {
      return make_error("{}: descriptor 0x{:02X} at offset {} overruns the descriptor loop", where,
                        tag, offset);
    }
    out.push_back(decode_one(tag, body));
  }
  return out;
}

}  // namespace skyclass::mux

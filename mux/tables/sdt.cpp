#include "mux/tables/sdt.hpp"

#include <stdexcept>

#include "mux/section.hpp"
#include "mux/tables/table_common.hpp"

namespace skyclass::mux {
namespace {

constexpr std::size_t kSdtFixedBytes = 3;  // original_network_id, reserved_future_use

Bytes encode_service(const Sdt::Service& service) {
  Bytes entry;
  ByteWriter w(entry);
  w.u16(service.service_id);
  w.u8(static_cast<std::uint8_t>(0xFC | (service.EIT_schedule_flag ? 0x02 : 0) |
                                 (service.EIT_present_following_flag ? 0x01 : 0)));
  Bytes loop = encode_descriptors(service.descriptors);
  if (loop.size() > 0x0FFF) {
    throw std::length_error(fmt::format("SDT service {}: descriptor loop of {} bytes exceeds 4095",
                                        service.service_id, loop.size()));
  }
  w.u16(static_cast<std::uint16_t>((service.running_status & 0x07) << 13 |
                                   (service.free_CA_mode ? 0x1000 : 0) | loop.size()));
  w.bytes(loop);
  return entry;
}

Result<Sdt::Service> decode_service(ByteReader& r) {
  Sdt::Service service;
  if (r.remaining() < 5)
    return make_error("SDT: {} bytes left, too few for a service", r.remaining());
  service.service_id = r.u16();
  std::uint8_t flags = r.u8();
  service.EIT_schedule_flag = flags & 0x02;
  service.EIT_present_following_flag = flags & 0x01;
  std::uint16_t status_length = r.u16();
  service.running_status = static_cast<std::uint8_t>(status_length >> 13);
  service.free_CA_mode = status_length & 0x1000;
  std::size_t length = status_length & 0x0FFF;
  if (length > r.remaining()) {
    return make_error("SDT service {}: descriptors_loop_length {} overruns the {} bytes left",
                      service.service_id, length, r.remaining());
  }
  auto descriptors = decode_descriptors(r.bytes(length), "SDT service descriptors");
  if (!descriptors) return descriptors.take_error();
  service.descriptors = std::move(descriptors).value();
  return service;
}

}  // namespace

std::vector<Bytes> Sdt::encode() const {
  std::vector<Bytes> entries;
  for (const Service& service : services) entries.push_back(encode_service(service));
  constexpr std::size_t kCapacity =
      kMaxSiSectionBytes - kLongHeaderBytes - kCrcBytes - kSdtFixedBytes;
  std::vector<Bytes> payloads;
  for (const Bytes& group : detail::pack_entries(entries, kCapacity, "SDT")) {
    Bytes payload;
    ByteWriter w(payload);
    w.u16(original_network_id);
    w.u8(0xFF);
    w.bytes(group);
    payloads.push_back(std::move(payload));
  }
  LongSectionHeader header{table_id, true, transport_stream_id, version_number,
                           current_next_indicator};
  return detail::number_sections(header, payloads, "SDT");
}

Result<Sdt> Sdt::decode(ByteView bytes) {
  auto section = decode_long_section(bytes, "SDT", kMaxSiSectionBytes);
  if (!section) return section.take_error();
  const LongSectionHeader& h = section->header;
  if (h.table_id != kTableIdActual && h.table_id != kTableIdOther) {
    return make_error("SDT: table_id 0x{:02X}, expected 0x42 or 0x46", h.table_id);
  }
  Sdt sdt;
  sdt.table_id = h.table_id;
  sdt.transport_stream_id = h.table_id_extension;
  sdt.version_number = h.version_number;
  sdt.current_next_indicator = h.current_next_indicator;
  sdt.section_number = h.section_number;
  sdt.last_section_number = h.last_section_number;
  ByteReader r(section->payload);
  if (r.remaining() < kSdtFixedBytes) return make_error("SDT: original_network_id missing");
  sdt.original_network_id = r.u16();
  r.skip(1);
  while (!r.at_end()) {
    auto service = decode_service(r);
    if (!service) return service.take_error();
    sdt.services.push_back(std::move(service).value());
  }
  return sdt;
}

Result<Sdt> Sdt::decode(const std::vector<Bytes>& sections) {
  auto set = detail::decode_section_set<Sdt>(sections, "SDT");
  if (!set) return set.take_error();
  Sdt sdt = set->front();
  sdt.services.clear();
  for (const Sdt& part : set.value()) {
    sdt.services.insert(sdt.services.end(), part.services.begin(), part.services.end());
  }
  sdt.last_section_number = set->back().last_section_number;
  return sdt;
}

}  // namespace skyclass::mux

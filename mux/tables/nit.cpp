#include "mux/tables/nit.hpp"

#include <stdexcept>

#include "mux/section.hpp"
#include "mux/tables/table_common.hpp"

namespace skyclass::mux {
namespace {

constexpr std::size_t kLoopLengthBytes = 2;

Bytes encode_transport_stream(const Nit::TransportStream& ts) {
  Bytes entry;
  ByteWriter w(entry);
  w.u16(ts.transport_stream_id);
  w.u16(ts.original_network_id);
  detail::put_descriptor_loop(w, ts.descriptors, "NIT transport_descriptors");
  return entry;
}

Result<Nit::TransportStream> decode_transport_stream(ByteReader& r) {
  if (r.remaining() < 6) {
    return make_error("NIT: {} bytes left, too few for a transport stream entry", r.remaining());
  }
  Nit::TransportStream ts;
  ts.transport_stream_id = r.u16();
  ts.original_network_id = r.u16();
  auto descriptors = detail::get_descriptor_loop(r, "NIT transport_descriptors");
  if (!descriptors) return descriptors.take_error();
  ts.descriptors = std::move(descriptors).value();
  return ts;
}

Bytes section_payload(const Bytes& network_loop, const Bytes& ts_group) {
  Bytes payload;
  ByteWriter w(payload);
  w.u16(static_cast<std::uint16_t>(0xF000 | network_loop.size()));
  w.bytes(network_loop);
  w.u16(static_cast<std::uint16_t>(0xF000 | ts_group.size()));
  w.bytes(ts_group);
  return payload;
}

}  // namespace

std::vector<Bytes> Nit::encode() const {
  constexpr std::size_t kCapacity =
      kMaxSiSectionBytes - kLongHeaderBytes - kCrcBytes - 2 * kLoopLengthBytes;
  Bytes network_loop = encode_descriptors(network_descriptors);
  if (network_loop.size() > kCapacity) {
    throw std::length_error(
        fmt::format("NIT: network descriptors of {} bytes exceed a section", network_loop.size()));
  }
  std::vector<Bytes> entries;
  for (const TransportStream& ts : transport_streams)
    entries.push_back(encode_transport_stream(ts));
  // The first section also carries the network descriptors: reserve their room by a dummy entry.
  std::vector<Bytes> with_room{Bytes(network_loop.size())};
  with_room.insert(with_room.end(), entries.begin(), entries.end());
  std::vector<Bytes> groups = detail::pack_entries(with_room, kCapacity, "NIT");
  groups.front().erase(groups.front().begin(),
                       groups.front().begin() + static_cast<std::ptrdiff_t>(network_loop.size()));
  std::vector<Bytes> payloads;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    payloads.push_back(section_payload(i == 0 ? network_loop : Bytes{}, groups[i]));
  }
  LongSectionHeader header{table_id, true, network_id, version_number, current_next_indicator};
  return detail::number_sections(header, payloads, "NIT");
}

Result<Nit> Nit::decode(ByteView bytes) {
  auto section = decode_long_section(bytes, "NIT", kMaxSiSectionBytes);
  if (!section) return section.take_error();
  const LongSectionHeader& h = section->header;
  if (h.table_id != kTableIdActual && h.table_id != kTableIdOther) {
    return make_error("NIT: table_id 0x{:02X}, expected 0x40 or 0x41", h.table_id);
  }
  Nit nit;
  nit.table_id = h.table_id;
  nit.network_id = h.table_id_extension;
  nit.version_number = h.version_number;
  nit.current_next_indicator = h.current_next_indicator;
  nit.section_number = h.section_number;
  nit.last_section_number = h.last_section_number;
  ByteReader r(section->payload);
  auto network = detail::get_descriptor_loop(r, "NIT network_descriptors");
  if (!network) return network.take_error();
  nit.network_descriptors = std::move(network).value();
  if (r.remaining() < kLoopLengthBytes)
    return make_error("NIT: transport_stream_loop_length missing");
  std::size_t loop_length = r.u16() & 0x0FFF;
  if (loop_length != r.remaining()) {
    return make_error("NIT: transport_stream_loop_length {} does not match the {} bytes left",
                      loop_length, r.remaining());
  }
  while (!r.at_end()) {
    auto ts = decode_transport_stream(r);
    if (!ts) return ts.take_error();
    nit.transport_streams.push_back(std::move(ts).value());
  }
  return nit;
}

Result<Nit> Nit::decode(const std::vector<Bytes>& sections) {
  auto set = detail::decode_section_set<Nit>(sections, "NIT");
  if (!set) return set.take_error();
  Nit nit = set->front();
  nit.network_descriptors.clear();
  nit.transport_streams.clear();
  for (const Nit& part : set.value()) {
    nit.network_descriptors.insert(nit.network_descriptors.end(), part.network_descriptors.begin(),
                                   part.network_descriptors.end());
    nit.transport_streams.insert(nit.transport_streams.end(), part.transport_streams.begin(),
                                 part.transport_streams.end());
  }
  nit.last_section_number = set->back().last_section_number;
  return nit;
}

}  // namespace skyclass::mux

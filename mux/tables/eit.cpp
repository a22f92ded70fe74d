#include "mux/tables/eit.hpp"

#include <algorithm>

#include <stdexcept>

#include "mux/dvb_time.hpp"
#include "mux/section.hpp"
#include "mux/tables/table_common.hpp"

namespace skyclass::mux {
namespace {

constexpr std::size_t kEitFixedBytes = 6;  // transport_stream_id .. last_table_id
constexpr std::size_t kEventHeaderBytes = 12;
static_assert(Eit::kEventLoopCapacity ==
              kMaxSiSectionBytes - kLongHeaderBytes - kCrcBytes - kEitFixedBytes);

Bytes encode_event(const Eit::Event& event) {
  Bytes entry;
  ByteWriter w(entry);
  w.u16(event.event_id);
  w.u40(encode_mjd_utc(event.start_time_utc_s));
  w.u24(encode_bcd_duration(event.duration_s));
  Bytes loop = encode_descriptors(event.descriptors);
  if (loop.size() > 0x0FFF) {
    throw std::length_error(fmt::format("EIT event {}: descriptor loop of {} bytes exceeds 4095",
                                        event.event_id, loop.size()));
  }
  w.u16(static_cast<std::uint16_t>((event.running_status & 0x07) << 13 |
                                   (event.free_CA_mode ? 0x1000 : 0) | loop.size()));
  w.bytes(loop);
  return entry;
}

Result<Eit::Event> decode_event(ByteReader& r) {
  if (r.remaining() < kEventHeaderBytes) {
    return make_error("EIT: {} bytes left, too few for an event", r.remaining());
  }
  Eit::Event event;
  event.event_id = r.u16();
  auto start = decode_mjd_utc(r.u40(), "EIT start_time");
  auto duration = decode_bcd_duration(r.u24(), "EIT duration");
  if (!start) return start.take_error();
  if (!duration) return duration.take_error();
  event.start_time_utc_s = start.value();
  event.duration_s = duration.value();
  std::uint16_t status_length = r.u16();
  event.running_status = static_cast<std::uint8_t>(status_length >> 13);
  event.free_CA_mode = status_length & 0x1000;
  std::size_t length = status_length & 0x0FFF;
  if (length > r.remaining()) {
    return make_error("EIT event {}: descriptors_loop_length {} overruns the {} bytes left",
                      event.event_id, length, r.remaining());
  }
  auto descriptors = decode_descriptors(r.bytes(length), "EIT event descriptors");
  if (!descriptors) return descriptors.take_error();
  event.descriptors = std::move(descriptors).value();
  return event;
}

}  // namespace

std::size_t Eit::event_bytes(const Event& event) {
  return kEventHeaderBytes + encode_descriptors(event.descriptors).size();
}

namespace {

// transport_stream_id .. last_table_id, followed by the already encoded events.
Bytes eit_payload(const Eit& eit, std::uint8_t segment_last_section_number, ByteView events) {
  Bytes payload;
  ByteWriter w(payload);
  w.u16(eit.transport_stream_id);
  w.u16(eit.original_network_id);
  w.u8(segment_last_section_number);
  w.u8(eit.last_table_id);
  w.bytes(events);
  return payload;
}

}  // namespace

Bytes Eit::encode_section() const {
  Bytes events_bytes;
  for (const Event& event : events) {
    Bytes entry = encode_event(event);
    events_bytes.insert(events_bytes.end(), entry.begin(), entry.end());
  }
  LongSectionHeader header{
      table_id,           true, service_id, version_number, current_next_indicator, section_number,
      last_section_number};
  return encode_long_section(header, eit_payload(*this, segment_last_section_number, events_bytes));
}

std::vector<Bytes> Eit::encode() const {
  std::vector<Bytes> entries;
  for (const Event& event : events) entries.push_back(encode_event(event));
  std::vector<Bytes> groups = detail::pack_entries(entries, kEventLoopCapacity, "EIT");
  if (groups.size() > 256) {
    throw std::length_error(fmt::format("EIT: needs {} sections, at most 256", groups.size()));
  }
  auto last = static_cast<std::uint8_t>(groups.size() - 1);
  std::vector<Bytes> payloads;
  for (const Bytes& group : groups) payloads.push_back(eit_payload(*this, last, group));
  LongSectionHeader header{table_id, true, service_id, version_number, current_next_indicator};
  return detail::number_sections(header, payloads, "EIT");
}

Result<Eit> Eit::decode(ByteView bytes) {
  auto section = decode_long_section(bytes, "EIT", kMaxSiSectionBytes);
  if (!section) return section.take_error();
  const LongSectionHeader& h = section->header;
  if (h.table_id < kTableIdPfActual || h.table_id > kTableIdScheduleOtherLast) {
    return make_error("EIT: table_id 0x{:02X}, expected 0x4E..0x6F", h.table_id);
  }
  Eit eit;
  eit.table_id = h.table_id;
  eit.service_id = h.table_id_extension;
  eit.version_number = h.version_number;
  eit.current_next_indicator = h.current_next_indicator;
  eit.section_number = h.section_number;
  eit.last_section_number = h.last_section_number;
  ByteReader r(section->payload);
  if (r.remaining() < kEitFixedBytes)
    return make_error("EIT: transport_stream_id..last_table_id missing");
  eit.transport_stream_id = r.u16();
  eit.original_network_id = r.u16();
  eit.segment_last_section_number = r.u8();
  eit.last_table_id = r.u8();
  while (!r.at_end()) {
    auto event = decode_event(r);
    if (!event) return event.take_error();
    eit.events.push_back(std::move(event).value());
  }
  return eit;
}

// EIT sections come in segments of eight (EN 300 468 5.2.4, TS 101 211 4.1.4): segment k holds
// sections 8k..segment_last_section_number, and every segment up to last_section_number is sent,
// so a complete table has gaps between segments but none inside one.
Result<Eit> Eit::decode(const std::vector<Bytes>& sections) {
  std::vector<Eit> parts;
  for (const Bytes& section : sections) {
    auto one = Eit::decode(section);
    if (!one) return one.take_error();
    parts.push_back(std::move(one).value());
  }
  if (parts.empty()) return make_error("EIT: no sections");
  std::sort(parts.begin(), parts.end(),
            [](const Eit& a, const Eit& b) { return a.section_number < b.section_number; });
  const Eit& first = parts.front();
  std::size_t next = 0;  // index into parts
  for (unsigned segment_start = 0; segment_start <= first.last_section_number; segment_start += 8) {
    if (next >= parts.size() || parts[next].section_number != segment_start)
      return make_error("EIT table 0x{:02X}: segment starting at section {} is missing",
                        first.table_id, segment_start);
    unsigned segment_last = parts[next].segment_last_section_number;
    if (segment_last < segment_start || segment_last > segment_start + 7)
      return make_error("EIT table 0x{:02X}: section {} has segment_last_section_number {} outside its segment",
                        first.table_id, segment_start, segment_last);
    for (unsigned number = segment_start; number <= segment_last; ++number, ++next) {
      if (next >= parts.size() || parts[next].section_number != number)
        return make_error("EIT table 0x{:02X}: section {} of the segment {}..{} is missing",
                          first.table_id, number, segment_start, segment_last);
      const Eit& part = parts[next];
      if (part.table_id != first.table_id || part.version_number != first.version_number ||
          part.last_section_number != first.last_section_number || part.service_id != first.service_id)
        return make_error("EIT table 0x{:02X}: section {} (version {}, last {}) does not belong "
                          "with section 0 (version {}, last {})",
                          first.table_id, number, part.version_number, part.last_section_number,
                          first.version_number, first.last_section_number);
    }
  }
  if (next != parts.size())
    return make_error("EIT table 0x{:02X}: section {} is past last_section_number {} or repeated",
                      first.table_id, parts[next].section_number, first.last_section_number);
  Eit eit = first;
  eit.events.clear();
  for (const Eit& part : parts) eit.events.insert(eit.events.end(), part.events.begin(), part.events.end());
  eit.segment_last_section_number = parts.back().segment_last_section_number;
  return eit;
}

}  // namespace skyclass::mux

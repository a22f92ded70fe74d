#include "mux/tables/table_common.hpp"

#include <stdexcept>

namespace skyclass::mux::detail {

std::vector<Bytes> pack_entries(const std::vector<Bytes>& entries, std::size_t capacity_bytes,
                                std::string_view table) {
  std::vector<Bytes> groups(1);
  for (const Bytes& entry : entries) {
    if (entry.size() > capacity_bytes) {
      throw std::length_error(
          fmt::format("{}: one loop entry of {} bytes exceeds the {} bytes a "
                      "section can carry",
                      table, entry.size(), capacity_bytes));
    }
    if (groups.back().size() + entry.size() > capacity_bytes) groups.emplace_back();
    groups.back().insert(groups.back().end(), entry.begin(), entry.end());
  }
  return groups;
}

std::vector<Bytes> number_sections(LongSectionHeader header, const std::vector<Bytes>& payloads,
                                   std::string_view table) {
  if (payloads.size() > 256) {
    throw std::length_error(
        fmt::format("{}: needs {} sections, at most 256 are possible", table, payloads.size()));
  }
  std::vector<Bytes> sections;
  header.last_section_number = static_cast<std::uint8_t>(payloads.size() - 1);
  for (std::size_t i = 0; i < payloads.size(); ++i) {
    header.section_number = static_cast<std::uint8_t>(i);
    sections.push_back(encode_long_section(header, payloads[i]));
  }
  return sections;
}

void put_descriptor_loop(ByteWriter& w, const DescriptorList& descriptors, std::string_view field) {
  Bytes loop = encode_descriptors(descriptors);
  if (loop.size() > 0x0FFF) {
    throw std::length_error(
        fmt::format("{}: descriptor loop of {} bytes exceeds 4095", field, loop.size()));
  }
  w.u16(static_cast<std::uint16_t>(0xF000 | loop.size()));
  w.bytes(loop);
}

Result<DescriptorList> get_descriptor_loop(ByteReader& r, std::string_view field) {
  if (r.remaining() < 2) return make_error("{}: descriptor loop length missing", field);
  std::size_t length = r.u16() & 0x0FFF;
  if (length > r.remaining()) {
    return make_error("{}: descriptor loop length {} overruns the {} bytes left", field, length,
                      r.remaining());
  }
  return decode_descriptors(r.bytes(length), field);
}

}  // namespace skyclass::mux::detail

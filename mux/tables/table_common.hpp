#pragma once
// What the table types share: packing loop entries into sections, numbering sections, descriptor
// loops with a 12-bit length, and checking that a set of sections forms one complete table.
#include <algorithm>
#include <string_view>
#include <vector>

#include "mux/bytes.hpp"
#include "mux/descriptors.hpp"
#include "mux/result.hpp"
#include "mux/section.hpp"

namespace skyclass::mux::detail {

// Greedily packs encoded loop entries into groups of at most `capacity_bytes`. Always returns at
// least one (maybe empty) group. Throws std::length_error if one entry alone does not fit.
std::vector<Bytes> pack_entries(const std::vector<Bytes>& entries, std::size_t capacity_bytes,
                                std::string_view table);

// Long sections numbered 0..n-1 from `header` and one payload per section. Throws
// std::length_error beyond 256 sections.
std::vector<Bytes> number_sections(LongSectionHeader header, const std::vector<Bytes>& payloads,
                                   std::string_view table);

// reserved (4 bits) + descriptors_length (12 bits) + descriptors. Throws std::length_error if
// the loop exceeds 4095 bytes.
void put_descriptor_loop(ByteWriter& w, const DescriptorList& descriptors, std::string_view field);
// Reads a loop written by put_descriptor_loop, checking its length against the section.
Result<DescriptorList> get_descriptor_loop(ByteReader& r, std::string_view field);

// Decodes every section with T::decode and checks they form one table: same table_id, version
// and section count, every section_number from 0 to last_section_number exactly once.
template <class T>
Result<std::vector<T>> decode_section_set(const std::vector<Bytes>& sections,
                                          std::string_view table) {
  std::vector<T> decoded;
  for (const Bytes& section : sections) {
    auto one = T::decode(section);
    if (!one) return one.take_error();
    decoded.push_back(std::move(one).value());
  }
  if (decoded.empty()) return make_error("{}: no sections", table);
  std::sort(decoded.begin(), decoded.end(),
            [](const T& a, const T& b) { return a.section_number < b.section_number; });
  for (std::size_t i = 0; i < decoded.size(); ++i) {
    const T& s = decoded[i];
    if (s.section_number != i || s.last_section_number + 1u != decoded.size() ||
        s.version_number != decoded[0].version_number) {
      return make_error("{}: section {} (last {}, version {}) does not complete sections 0..{}",
                        table, s.section_number, s.last_section_number, s.version_number,
                        decoded.size() - 1);
    }
  }
  return decoded;
}

}  // namespace skyclass::mux::detail

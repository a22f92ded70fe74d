#include "mux/tables/pat.hpp"

#include "mux/section.hpp"
#include "mux/tables/table_common.hpp"

namespace skyclass::mux {

std::vector<Bytes> Pat::encode() const {
  std::vector<Bytes> entries;
  for (const Program& program : programs) {
    Bytes entry;
    ByteWriter w(entry);
    w.u16(program.program_number);
    w.u16(static_cast<std::uint16_t>(0xE000 | (program.program_map_PID & 0x1FFF)));
    entries.push_back(std::move(entry));
  }
  constexpr std::size_t kCapacity = kMaxPsiSectionBytes - kLongHeaderBytes - kCrcBytes;
  LongSectionHeader header{kTableId, false, transport_stream_id, version_number,
                           current_next_indicator};
  return detail::number_sections(header, detail::pack_entries(entries, kCapacity, "PAT"), "PAT");
}

Result<Pat> Pat::decode(ByteView bytes) {
  auto section = decode_long_section(bytes, "PAT", kMaxPsiSectionBytes);
  if (!section) return section.take_error();
  const LongSectionHeader& h = section->header;
  if (h.table_id != kTableId)
    return make_error("PAT: table_id 0x{:02X}, expected 0x00", h.table_id);
  if (section->payload.size() % 4 != 0) {
    return make_error("PAT: program loop of {} bytes is not a multiple of 4",
                      section->payload.size());
  }
  Pat pat;
  pat.transport_stream_id = h.table_id_extension;
  pat.version_number = h.version_number;
  pat.current_next_indicator = h.current_next_indicator;
  pat.section_number = h.section_number;
  pat.last_section_number = h.last_section_number;
  ByteReader r(section->payload);
  while (!r.at_end()) {
    Program program;
    program.program_number = r.u16();
    program.program_map_PID = r.u16() & 0x1FFF;
    pat.programs.push_back(program);
  }
  return pat;
}

Result<Pat> Pat::decode(const std::vector<Bytes>& sections) {
  auto set = detail::decode_section_set<Pat>(sections, "PAT");
  if (!set) return set.take_error();
  Pat pat = set->front();
  pat.programs.clear();
  for (const Pat& part : set.value()) {
    pat.programs.insert(pat.programs.end(), part.programs.begin(), part.programs.end());
  }
  pat.last_section_number = set->back().last_section_number;
  return pat;
}

}  // namespace skyclass::mux

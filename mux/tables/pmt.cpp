#include "mux/tables/pmt.hpp"

#include <stdexcept>

#include "mux/section.hpp"
#include "mux/tables/table_common.hpp"

namespace skyclass::mux {

std::vector<Bytes> Pmt::encode() const {
  Bytes payload;
  ByteWriter w(payload);
  w.u16(static_cast<std::uint16_t>(0xE000 | (PCR_PID & 0x1FFF)));
  detail::put_descriptor_loop(w, program_info, "PMT program_info");
  for (const Stream& stream : streams) {
    w.u8(stream.stream_type);
    w.u16(static_cast<std::uint16_t>(0xE000 | (stream.elementary_PID & 0x1FFF)));
    detail::put_descriptor_loop(w, stream.descriptors, "PMT ES_info");
  }
  if (payload.size() + kLongHeaderBytes + kCrcBytes > kMaxPsiSectionBytes) {
    throw std::length_error(fmt::format("PMT program {}: {} bytes exceed one 1024-byte section",
                                        program_number,
                                        payload.size() + kLongHeaderBytes + kCrcBytes));
  }
  LongSectionHeader header{kTableId, false, program_number, version_number, current_next_indicator};
  return {encode_long_section(header, payload)};
}

Result<Pmt> Pmt::decode(ByteView bytes) {
  auto section = decode_long_section(bytes, "PMT", kMaxPsiSectionBytes);
  if (!section) return section.take_error();
  const LongSectionHeader& h = section->header;
  if (h.table_id != kTableId)
    return make_error("PMT: table_id 0x{:02X}, expected 0x02", h.table_id);
  Pmt pmt;
  pmt.program_number = h.table_id_extension;
  pmt.version_number = h.version_number;
  pmt.current_next_indicator = h.current_next_indicator;
  ByteReader r(section->payload);
  if (r.remaining() < 2) return make_error("PMT: PCR_PID missing");
  pmt.PCR_PID = r.u16() & 0x1FFF;
  auto program_info = detail::get_descriptor_loop(r, "PMT program_info");
  if (!program_info) return program_info.take_error();
  pmt.program_info = std::move(program_info).value();
  while (!r.at_end()) {
    if (r.remaining() < 5) {
      return make_error("PMT: {} bytes left, too few for an elementary stream entry",
                        r.remaining());
    }
    Stream stream;
    stream.stream_type = r.u8();
    stream.elementary_PID = r.u16() & 0x1FFF;
    auto es_info = detail::get_descriptor_loop(
        r, fmt::format("PMT ES_info of PID 0x{:04X}", stream.elementary_PID));
    if (!es_info) return es_info.take_error();
    stream.descriptors = std::move(es_info).value();
    pmt.streams.push_back(std::move(stream));
  }
  return pmt;
}

}  // namespace skyclass::mux

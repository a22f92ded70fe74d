#include "mux/tables/tdt.hpp"

#include "mux/dvb_time.hpp"
#include "mux/section.hpp"

namespace skyclass::mux {

std::vector<Bytes> Tdt::encode() const {
  Bytes payload;
  ByteWriter(payload).u40(encode_mjd_utc(UTC_time_s));
  return {encode_short_section(kTableId, true, payload, false)};
}

Result<Tdt> Tdt::decode(ByteView bytes) {
  auto section = decode_short_section(bytes, "TDT", false);
  if (!section) return section.take_error();
  if (section->table_id != kTableId) {
    return make_error("TDT: table_id 0x{:02X}, expected 0x70", section->table_id);
  }
  if (section->payload.size() != 5) {
    return make_error("TDT: section_length {}, expected 5", section->payload.size());
  }
  ByteReader r(section->payload);
  auto utc = decode_mjd_utc(r.u40(), "TDT UTC_time");
  if (!utc) return utc.take_error();
  return Tdt{utc.value()};
}

}  // namespace skyclass::mux

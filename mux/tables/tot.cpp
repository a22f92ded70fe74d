#include "mux/tables/tot.hpp"

#include "mux/dvb_time.hpp"
#include "mux/section.hpp"
#include "mux/tables/table_common.hpp"

namespace skyclass::mux {

std::vector<Bytes> Tot::encode() const {
  Bytes payload;
  ByteWriter w(payload);
  w.u40(encode_mjd_utc(UTC_time_s));
  detail::put_descriptor_loop(w, descriptors, "TOT descriptors");
  return {encode_short_section(kTableId, true, payload, true)};
}

Result<Tot> Tot::decode(ByteView bytes) {
  auto section = decode_short_section(bytes, "TOT", true);
  if (!section) return section.take_error();
  if (section->table_id != kTableId) {
    return make_error("TOT: table_id 0x{:02X}, expected 0x73", section->table_id);
  }
  ByteReader r(section->payload);
  if (r.remaining() < 5) return make_error("TOT: UTC_time missing");
  auto utc = decode_mjd_utc(r.u40(), "TOT UTC_time");
  if (!utc) return utc.take_error();
  auto descriptors = detail::get_descriptor_loop(r, "TOT descriptors");
  if (!descriptors) return descriptors.take_error();
  if (!r.at_end()) return make_error("TOT: {} bytes after the descriptor loop", r.remaining());
  return Tot{utc.value(), std::move(descriptors).value()};
}

}  // namespace skyclass::mux

// Arbitrary bytes as a transport stream: the packet reader, section reassembly per PID, and every
// PSI/SI table decoder on whatever sections come out. They must return errors, never crash, read
// out of bounds, hang or leak (ETSI TR 101 290 damage is normal input for a receiver).
#include <cstddef>
#include <cstdint>
#include <map>
#include <span>

#include "mux/section.hpp"
#include "mux/tables/eit.hpp"
#include "mux/tables/nit.hpp"
#include "mux/tables/pat.hpp"
#include "mux/tables/pmt.hpp"
#include "mux/tables/sdt.hpp"
#include "mux/tables/tdt.hpp"
#include "mux/tables/tot.hpp"
#include "mux/text.hpp"
#include "mux/ts_packet.hpp"

using namespace skyclass::mux;

namespace {

void decode_everything(const Bytes& section) {
  ByteView view(section);
  (void)Pat::decode(view);
  (void)Pmt::decode(view);
  (void)Sdt::decode(view);
  (void)Nit::decode(view);
  (void)Eit::decode(view);
  (void)Tdt::decode(view);
  (void)Tot::decode(view);
  std::vector<Bytes> one{section};
  (void)Sdt::decode(one);
  (void)Eit::decode(one);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The first bytes also go to the decoders directly, as a bare section and as DVB text.
  ByteView all(data, size);
  decode_everything(Bytes(all.begin(), all.end()));
  (void)decode_dvb_text(all.first(std::min<std::size_t>(size, 256)));

  std::map<std::uint16_t, SectionAssembler> assemblers;
  std::map<std::uint16_t, int> last_cc;
  for (std::size_t offset = 0; offset + kTsPacketSize <= size; offset += kTsPacketSize) {
    TsPacketView packet;
    if (try_parse_ts_packet(all.subspan(offset, kTsPacketSize), packet) != TsParseStatus::ok) continue;
    if (!packet.has_payload) continue;
    std::uint16_t pid = packet.header.pid;
    int cc = packet.header.continuity_counter;
    bool continuity_ok = !last_cc.count(pid) || ((last_cc[pid] + 1) & 0xF) == cc;
    last_cc[pid] = cc;
    auto& assembler = assemblers[pid];
    assembler.push(packet.header.payload_unit_start_indicator, continuity_ok, packet.payload);
    for (const Bytes& section : assembler.take_sections()) decode_everything(section);
  }
  return 0;
}

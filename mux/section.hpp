#pragma once
// PSI/SI sections: ISO/IEC 13818-1 2.4.4 (long and short syntax, CRC_32), their reassembly from
// TS packet payloads, and their split into 188-byte TS packets.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "mux/bytes.hpp"
#include "mux/result.hpp"

namespace skyclass::mux {

inline constexpr std::size_t kMaxPsiSectionBytes = 1024;  // 13818-1 2.4.4.5/2.4.4.9: PAT, PMT
inline constexpr std::size_t kMaxSiSectionBytes = 4096;   // EN 300 468 5.1.1: NIT, SDT, EIT...
inline constexpr std::size_t kLongHeaderBytes = 8;        // table_id .. last_section_number
inline constexpr std::size_t kShortHeaderBytes = 3;       // table_id, section_length
inline constexpr std::size_t kCrcBytes = 4;
inline constexpr std::size_t kTsPacketBytes = 188;
inline constexpr std::size_t kTsPayloadBytes = 184;  // no adaptation field

struct LongSectionHeader {
  std::uint8_t table_id = 0;
  // '0' in PSI (PAT, PMT); the reserved_future_use bit is '1' in DVB SI tables.
  bool private_indicator = false;
  std::uint16_t table_id_extension = 0;
  std::uint8_t version_number = 0;
  bool current_next_indicator = true;
  std::uint8_t section_number = 0;
  std::uint8_t last_section_number = 0;

  bool operator==(const LongSectionHeader&) const = default;
};

// A checked long section; `payload` lies between last_section_number and CRC_32.
struct LongSection {
  LongSectionHeader header;
  ByteView payload;
};

// A checked short section (section_syntax_indicator 0); `payload` excludes any CRC_32.
struct ShortSection {
  std::uint8_t table_id = 0;
  bool private_indicator = false;
  ByteView payload;
};

// Both encoders throw std::length_error if the section would exceed 4096 bytes.
Bytes encode_long_section(const LongSectionHeader& header, ByteView payload);
Bytes encode_short_section(std::uint8_t table_id, bool private_indicator, ByteView payload,
                           bool with_crc);

// Checks that section_length fits `bytes` (trailing bytes are ignored) and `max_section_bytes`,
// the CRC_32, and section_number <= last_section_number. `table` names the table in errors.
Result<LongSection> decode_long_section(ByteView bytes, std::string_view table,
                                        std::size_t max_section_bytes);
Result<ShortSection> decode_short_section(ByteView bytes, std::string_view table, bool with_crc);

// Reassembles sections from the payloads of the TS packets of one PID (13818-1 2.4.4.1-2).
// It follows pointer_field, several sections in one packet, sections spanning packets and 0xFF
// stuffing; a continuity gap or an impossible length drops the partial section. It does not
// check CRCs: the table decoders do.
class SectionAssembler {
 public:
  explicit SectionAssembler(std::size_t max_section_bytes = kMaxSiSectionBytes)
      : max_section_bytes_(max_section_bytes) {}

  // `payload` is the packet payload after any adaptation field; `continuity_ok` is false when
  // the continuity_counter shows lost packets before this one.
  void push(bool payload_unit_start, bool continuity_ok, ByteView payload);

  // Completed sections, oldest first, moved out.
  std::vector<Bytes> take_sections();
  // Partial sections dropped so far (continuity gaps, bad pointer_field or section_length).
  std::size_t dropped_sections() const { return dropped_sections_; }

 private:
  std::size_t feed(ByteView data);
  void drop_partial();

  std::size_t max_section_bytes_;
  Bytes partial_;
  bool in_section_ = false;
  std::vector<Bytes> completed_;
  std::size_t dropped_sections_ = 0;
};

struct PacketizedSection {
  std::size_t packet_count = 0;
  std::uint8_t next_continuity_counter = 0;
};

// Packets needed for one section that starts its own packet (pointer_field 0).
std::size_t section_packet_count(std::size_t section_bytes);

// Writes `section` as section_packet_count() TS packets on `pid` into `out`: payload only, the
// first with payload_unit_start_indicator and pointer_field 0, the last padded with 0xFF. The
// counters run from `continuity_counter`. Throws std::length_error if `out` is too small.
PacketizedSection packetize_section(ByteView section, std::uint16_t pid,
                                    std::uint8_t continuity_counter, std::span<std::uint8_t> out);

}  // namespace skyclass::mux

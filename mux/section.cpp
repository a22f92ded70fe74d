#include "mux/section.hpp"

#include <algorithm>
#include <stdexcept>

#include "mux/crc32.hpp"

namespace skyclass::mux {
namespace {

void append_crc(Bytes& section) {
  ByteWriter(section).u32(crc32_mpeg2(section));
}

// Byte 1-2 of every section: syntax indicator, private/reserved_future_use, '11', length.
// section_length counts the CRC_32 that is appended after this call.
void put_length_field(Bytes& section, std::size_t crc_bytes, bool syntax, bool private_indicator) {
  std::size_t total_bytes = section.size() + crc_bytes;
  if (total_bytes > kMaxSiSectionBytes) {
    throw std::length_error(fmt::format("table_id 0x{:02X}: section of {} bytes exceeds {}",
                                        section[0], total_bytes, kMaxSiSectionBytes));
  }
  std::size_t section_length = total_bytes - kShortHeaderBytes;
  auto field = static_cast<std::uint16_t>((syntax ? 0x8000 : 0) | (private_indicator ? 0x4000 : 0) |
                                          0x3000 | section_length);
  ByteWriter(section).patch_u16(1, field);
}

}  // namespace

Bytes encode_long_section(const LongSectionHeader& header, ByteView payload) {
  Bytes section;
  section.reserve(kLongHeaderBytes + payload.size() + kCrcBytes);
  ByteWriter w(section);
  w.u8(header.table_id);
  w.u16(0);  // patched below
  w.u16(header.table_id_extension);
  w.u8(static_cast<std::uint8_t>(0xC0 | (header.version_number & 0x1F) << 1 |
                                 (header.current_next_indicator ? 1 : 0)));
  w.u8(header.section_number);
  w.u8(header.last_section_number);
  w.bytes(payload);
  put_length_field(section, kCrcBytes, true, header.private_indicator);
  append_crc(section);
  return section;
}

Bytes encode_short_section(std::uint8_t table_id, bool private_indicator, ByteView payload,
                           bool with_crc) {
  Bytes section{table_id, 0, 0};
  ByteWriter(section).bytes(payload);
  put_length_field(section, with_crc ? kCrcBytes : 0, false, private_indicator);
  if (with_crc) append_crc(section);
  return section;
}

namespace {

// The bytes of the section that `bytes` starts with, after checking section_length.
Result<ByteView> framed_section(ByteView bytes, std::string_view table, std::size_t max_bytes,
                                bool want_syntax) {
  if (bytes.size() < kShortHeaderBytes) {
    return make_error("{}: {} bytes is shorter than a section header", table, bytes.size());
  }
  bool syntax = bytes[1] & 0x80;
  if (syntax != want_syntax) {
    return make_error("{}: section_syntax_indicator is {}, expected {}", table, int{syntax},
                      int{want_syntax});
  }
  std::size_t total = kShortHeaderBytes + (read_u16(&bytes[1]) & 0x0FFF);
  if (total > bytes.size()) {
    return make_error("{}: section_length {} overruns the {} bytes available", table,
                      total - kShortHeaderBytes, bytes.size() - kShortHeaderBytes);
  }
  if (total > max_bytes) {
    return make_error("{}: section of {} bytes exceeds the maximum of {}", table, total, max_bytes);
  }
  return bytes.first(total);
}

Result<bool> check_crc(ByteView section, std::string_view table) {
  if (crc32_mpeg2(section) != 0) {
    std::size_t n = section.size();
    std::uint32_t carried = std::uint32_t{section[n - 4]} << 24 | section[n - 3] << 16 |
                            section[n - 2] << 8 | section[n - 1];
    return make_error("{}: CRC_32 mismatch (carried 0x{:08X}, computed 0x{:08X})", table, carried,
                      crc32_mpeg2(section.first(n - 4)));
  }
  return true;
}

}  // namespace

Result<LongSection> decode_long_section(ByteView bytes, std::string_view table,
                                        std::size_t max_section_bytes) {
  auto framed = framed_section(bytes, table, max_section_bytes, true);
  if (!framed) return framed.take_error();
  ByteView section = framed.value();
  if (section.size() < kLongHeaderBytes + kCrcBytes) {
    return make_error("{}: section_length {} is below the minimum of 9 for the long syntax", table,
                      section.size() - kShortHeaderBytes);
  }
  if (auto crc = check_crc(section, table); !crc) return crc.take_error();
  LongSection out;
  out.header.table_id = section[0];
  out.header.private_indicator = section[1] & 0x40;
  out.header.table_id_extension = read_u16(&section[3]);
  out.header.version_number = (section[5] >> 1) & 0x1F;
  out.header.current_next_indicator = section[5] & 0x01;
  out.header.section_number = section[6];
  out.header.last_section_number = section[7];
  if (out.header.section_number > out.header.last_section_number) {
    return make_error("{}: section_number {} is above last_section_number {}", table,
                      out.header.section_number, out.header.last_section_number);
  }
  out.payload = section.subspan(kLongHeaderBytes, section.size() - kLongHeaderBytes - kCrcBytes);
  return out;
}

Result<ShortSection> decode_short_section(ByteView bytes, std::string_view table, bool with_crc) {
  auto framed = framed_section(bytes, table, kMaxSiSectionBytes, false);
  if (!framed) return framed.take_error();
  ByteView section = framed.value();
  std::size_t crc_bytes = with_crc ? kCrcBytes : 0;
  if (section.size() < kShortHeaderBytes + crc_bytes) {
    return make_error("{}: section_length {} is too short for its CRC_32", table,
                      section.size() - kShortHeaderBytes);
  }
  if (with_crc) {
    if (auto crc = check_crc(section, table); !crc) return crc.take_error();
  }
  ShortSection out;
  out.table_id = section[0];
  out.private_indicator = section[1] & 0x40;
  out.payload = section.subspan(kShortHeaderBytes, section.size() - kShortHeaderBytes - crc_bytes);
  return out;
}

// --- reassembly --------------------------------------------------------------------------------

void SectionAssembler::drop_partial() {
  if (in_section_) ++dropped_sections_;
  in_section_ = false;
  partial_.clear();
}

// Appends to the partial section and returns how many bytes of `data` it used.
std::size_t SectionAssembler::feed(ByteView data) {
  std::size_t used = 0;
  if (partial_.size() < kShortHeaderBytes) {
    used = std::min(kShortHeaderBytes - partial_.size(), data.size());
    partial_.insert(partial_.end(), data.begin(), data.begin() + static_cast<std::ptrdiff_t>(used));
    if (partial_.size() < kShortHeaderBytes) return used;
  }
  std::size_t total = kShortHeaderBytes + (read_u16(&partial_[1]) & 0x0FFF);
  if (total > max_section_bytes_) {
    drop_partial();
    return data.size();  // no way to find the next section in this packet
  }
  std::size_t take = std::min(total - partial_.size(), data.size() - used);
  auto from = data.begin() + static_cast<std::ptrdiff_t>(used);
  partial_.insert(partial_.end(), from, from + static_cast<std::ptrdiff_t>(take));
  used += take;
  if (partial_.size() == total) {
    completed_.push_back(std::move(partial_));
    partial_.clear();
    in_section_ = false;
  }
  return used;
}

void SectionAssembler::push(bool payload_unit_start, bool continuity_ok, ByteView payload) {
  if (!continuity_ok) drop_partial();
  if (!payload_unit_start) {
    // Only a continuation; a new section can only start in a packet with the flag set.
    if (in_section_) feed(payload);
    return;
  }
  if (payload.empty()) {
    drop_partial();
    return;
  }
  std::size_t pointer_field = payload[0];
  ByteView rest = payload.subspan(1);
  if (pointer_field > rest.size()) {
    drop_partial();
    return;
  }
  if (in_section_) {
    feed(rest.first(pointer_field));
    drop_partial();  // still incomplete: the pointer says the next section starts now
  }
  rest = rest.subspan(pointer_field);
  while (!rest.empty() && rest[0] != 0xFF) {  // 0xFF table_id: stuffing to the packet end
    in_section_ = true;
    partial_.clear();
    rest = rest.subspan(feed(rest));
  }
}

std::vector<Bytes> SectionAssembler::take_sections() {
  std::vector<Bytes> out;
  out.swap(completed_);
  return out;
}

// --- packetisation -----------------------------------------------------------------------------

std::size_t section_packet_count(std::size_t section_bytes) {
  return (section_bytes + 1 + kTsPayloadBytes - 1) / kTsPayloadBytes;  // +1: pointer_field
}

PacketizedSection packetize_section(ByteView section, std::uint16_t pid,
                                    std::uint8_t continuity_counter, std::span<std::uint8_t> out) {
  std::size_t packet_count = section_packet_count(section.size());
  if (out.size() < packet_count * kTsPacketBytes) {
    throw std::length_error(
        fmt::format("PID 0x{:04X}: section of {} bytes needs {} packets, "
                    "the buffer holds {} bytes",
                    pid, section.size(), packet_count, out.size()));
  }
  std::size_t next_byte = 0;
  std::uint8_t cc = continuity_counter & 0x0F;
  for (std::size_t i = 0; i < packet_count; ++i) {
    std::uint8_t* packet = out.data() + i * kTsPacketBytes;
    bool first = i == 0;
    packet[0] = 0x47;
    write_u16(packet + 1, static_cast<std::uint16_t>((first ? 0x4000 : 0) | (pid & 0x1FFF)));
    packet[3] = static_cast<std::uint8_t>(0x10 | cc);  // payload only
    std::size_t at = 4;
    if (first) packet[at++] = 0;  // pointer_field
    std::size_t take = std::min(kTsPacketBytes - at, section.size() - next_byte);
    std::copy_n(section.begin() + static_cast<std::ptrdiff_t>(next_byte), take, packet + at);
    std::fill(packet + at + take, packet + kTsPacketBytes, std::uint8_t{0xFF});
    next_byte += take;
    cc = (cc + 1) & 0x0F;
  }
  return {packet_count, cc};
}

}  // namespace skyclass::mux

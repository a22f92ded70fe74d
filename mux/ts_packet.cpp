#include "mux/ts_packet.hpp"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

namespace skyclass::mux {
namespace {

constexpr std::size_t kPcrFieldSize = 6;
constexpr std::size_t kMaxAdaptationFieldLength = kTsMaxPayloadSize - 1;  // 183

// program_clock_reference: 33-bit base, 6 reserved bits, 9-bit extension (2.4.3.4).
void write_pcr_field(std::uint8_t* p, const Pcr& pcr) {
  const std::uint64_t base = pcr.base % kTimestampModulus;
  p[0] = static_cast<std::uint8_t>(base >> 25);
  p[1] = static_cast<std::uint8_t>(base >> 17);
  p[2] = static_cast<std::uint8_t>(base >> 9);
  p[3] = static_cast<std::uint8_t>(base >> 1);
  p[4] = static_cast<std::uint8_t>(((base & 1) << 7) | 0x7E | ((pcr.extension >> 8) & 1));
  p[5] = static_cast<std::uint8_t>(pcr.extension);
}

Pcr read_pcr_field(const std::uint8_t* p) {
  const std::uint64_t base = (std::uint64_t{p[0]} << 25) | (std::uint64_t{p[1]} << 17) |
                             (std::uint64_t{p[2]} << 9) | (std::uint64_t{p[3]} << 1) | (p[4] >> 7);
  const auto extension = static_cast<std::uint16_t>(((p[4] & 1) << 8) | p[5]);
  return Pcr{base, extension};
}

std::uint8_t adaptation_flags(const AdaptationField& af) {
  return static_cast<std::uint8_t>(
      (af.discontinuity_indicator ? 0x80 : 0) | (af.random_access_indicator ? 0x40 : 0) |
      (af.elementary_stream_priority_indicator ? 0x20 : 0) | (af.pcr ? 0x10 : 0) |
      (af.opcr ? 0x08 : 0) | (af.splice_countdown ? 0x04 : 0) |
      (af.transport_private_data.empty() ? 0 : 0x02));
}

// Bytes of a field with these flags, length byte included (0 for no flags).
std::size_t encoded_size_with(const AdaptationField& af, std::uint8_t flags) {
  if (flags == 0) return 0;
  std::size_t size = 2;  // adaptation_field_length + flags
  if (af.pcr) size += kPcrFieldSize;
  if (af.opcr) size += kPcrFieldSize;
  if (af.splice_countdown) size += 1;
  if (!af.transport_private_data.empty()) size += 1 + af.transport_private_data.size();
  return size;
}

// Writes the adaptation field of exactly `length` bytes after its length byte, at `p` in a
// packet's 184 bytes after the header. The bytes after the field (the payload) are left as
// stuffing for the caller to overwrite.
void write_adaptation_field(std::uint8_t* p, const AdaptationField& af, std::uint8_t flags,
                            std::size_t length) {
  p[0] = static_cast<std::uint8_t>(length);
  if (length == 0) return;  // a lone length byte is one byte of stuffing (2.4.3.5)
  // Stuffing first, in one fixed-size fill (cheaper than a fill of the exact length).
  std::memset(p + 1, kStuffingByte, kMaxAdaptationFieldLength);
  std::uint8_t* q = p + 1;
  *q++ = flags;
  if (af.pcr) {
    write_pcr_field(q, *af.pcr);
    q += kPcrFieldSize;
  }
  if (af.opcr) {
    write_pcr_field(q, *af.opcr);
    q += kPcrFieldSize;
  }
  if (af.splice_countdown) *q++ = static_cast<std::uint8_t>(*af.splice_countdown);
  if (!af.transport_private_data.empty()) {
    *q++ = static_cast<std::uint8_t>(af.transport_private_data.size());
    std::memcpy(q, af.transport_private_data.data(), af.transport_private_data.size());
    q += af.transport_private_data.size();
  }
}

void check_writable(const TsHeader& header, const AdaptationField& af, std::size_t af_size,
                    std::size_t payload_size) {
  if (header.pid > kMaxPid || header.continuity_counter > 15 ||
      header.transport_scrambling_control > 3) {
    throw TsError(fmt::format("TS header out of range: PID 0x{:04X}, CC {}, scrambling {}",
                              header.pid, header.continuity_counter,
                              header.transport_scrambling_control));
  }
  if (af.transport_private_data.size() > kMaxAdaptationFieldLength - 2) {
    throw TsError(fmt::format("PID 0x{:04X}: transport_private_data of {} bytes does not fit",
                              header.pid, af.transport_private_data.size()));
  }
  if (payload_size + std::min(af_size, kTsMaxPayloadSize) > kTsMaxPayloadSize) {
    throw TsError(
        fmt::format("PID 0x{:04X}: {} payload bytes do not fit after a {}-byte adaptation field",
                    header.pid, payload_size, af_size));
  }
}

}  // namespace

bool AdaptationField::empty() const {
  return adaptation_flags(*this) == 0;
}

std::size_t AdaptationField::encoded_size() const {
  return encoded_size_with(*this, adaptation_flags(*this));
}

std::size_t ts_payload_capacity(const AdaptationField& af) {
  const std::size_t af_size = af.encoded_size();
  return af_size >= kTsMaxPayloadSize ? 0 : kTsMaxPayloadSize - af_size;
}

std::span<std::uint8_t> write_ts_header(std::span<std::uint8_t, kTsPacketSize> out,
                                        const TsHeader& header, const AdaptationField& af,
                                        std::size_t payload_size) {
  const std::uint8_t flags = adaptation_flags(af);
  check_writable(header, af, encoded_size_with(af, flags), payload_size);
  const bool with_adaptation = payload_size < kTsMaxPayloadSize || flags != 0;
  const std::uint8_t control =
      static_cast<std::uint8_t>((with_adaptation ? 0x2 : 0) | (payload_size > 0 ? 0x1 : 0));
  out[0] = kTsSyncByte;
  out[1] = static_cast<std::uint8_t>((header.transport_error_indicator ? 0x80 : 0) |
                                     (header.payload_unit_start_indicator ? 0x40 : 0) |
                                     (header.transport_priority ? 0x20 : 0) | (header.pid >> 8));
  out[2] = static_cast<std::uint8_t>(header.pid);
  out[3] = static_cast<std::uint8_t>((header.transport_scrambling_control << 6) | (control << 4) |
                                     header.continuity_counter);
  if (with_adaptation) {
    write_adaptation_field(&out[kTsHeaderSize], af, flags, kTsMaxPayloadSize - 1 - payload_size);
  }
  return out.subspan(kTsPacketSize - payload_size);
}

std::span<std::uint8_t> write_ts_header_with_pcr(std::span<std::uint8_t, kTsPacketSize> out,
                                                 const TsHeader& header, bool random_access,
                                                 const Pcr* pcr, std::size_t payload_size) {
  const std::uint8_t flags =
      static_cast<std::uint8_t>((random_access ? 0x40 : 0) | (pcr ? 0x10 : 0));
  const std::size_t af_size = flags == 0 ? 0 : 2 + (pcr ? kPcrFieldSize : 0);
  if (header.pid > kMaxPid || header.continuity_counter > 15 ||
      header.transport_scrambling_control > 3 || payload_size + af_size > kTsMaxPayloadSize) {
    AdaptationField af;
    af.random_access_indicator = random_access;
    if (pcr) af.pcr = *pcr;
    return write_ts_header(out, header, af, payload_size);  // throws naming the problem
  }
  const bool with_adaptation = payload_size < kTsMaxPayloadSize || flags != 0;
  const std::uint8_t control =
      static_cast<std::uint8_t>((with_adaptation ? 0x2 : 0) | (payload_size > 0 ? 0x1 : 0));
  out[0] = kTsSyncByte;
  out[1] = static_cast<std::uint8_t>((header.transport_error_indicator ? 0x80 : 0) |
                                     (header.payload_unit_start_indicator ? 0x40 : 0) |
                                     (header.transport_priority ? 0x20 : 0) | (header.pid >> 8));
  out[2] = static_cast<std::uint8_t>(header.pid);
  out[3] = static_cast<std::uint8_t>((header.transport_scrambling_control << 6) | (control << 4) |
                                     header.continuity_counter);
  if (with_adaptation) {
    std::uint8_t* p = &out[kTsHeaderSize];
    const std::size_t length = kTsMaxPayloadSize - 1 - payload_size;
    p[0] = static_cast<std::uint8_t>(length);
    if (length > 0) {  // as write_adaptation_field: stuffing, then the flags and the PCR
      std::memset(p + 1, kStuffingByte, kMaxAdaptationFieldLength);
      p[1] = flags;
      if (pcr) write_pcr_field(p + 2, *pcr);
    }
  }
  return out.subspan(kTsPacketSize - payload_size);
}

std::size_t write_ts_packet(std::span<std::uint8_t, kTsPacketSize> out, const TsHeader& header,
                            const AdaptationField& af, std::span<const std::uint8_t> payload) {
  const std::size_t taken = std::min(payload.size(), ts_payload_capacity(af));
  const auto area = write_ts_header(out, header, af, taken);
  std::memcpy(area.data(), payload.data(), taken);
  return taken;
}

void write_null_packet(std::span<std::uint8_t, kTsPacketSize> out) {
  out[0] = kTsSyncByte;
  out[1] = static_cast<std::uint8_t>(kNullPid >> 8);
  out[2] = static_cast<std::uint8_t>(kNullPid & 0xFF);
  out[3] = 0x10;  // payload only, CC 0
  std::fill(out.begin() + kTsHeaderSize, out.end(), kStuffingByte);
}

std::string_view to_string(TsParseStatus status) {
  switch (status) {
    case TsParseStatus::ok:
      return "ok";
    case TsParseStatus::wrong_size:
      return "packet is not 188 bytes";
    case TsParseStatus::no_sync_byte:
      return "sync byte is not 0x47";
    case TsParseStatus::reserved_adaptation_field_control:
      return "adaptation_field_control is the reserved value '00'";
    case TsParseStatus::adaptation_field_length_out_of_range:
      return "adaptation_field_length out of range (0..182 with payload, 183 without)";
    case TsParseStatus::adaptation_field_overrun:
      return "adaptation field flags announce more bytes than adaptation_field_length";
  }
  return "unknown";
}

namespace {

// Decodes the adaptation field body `body` (the bytes after adaptation_field_length).
TsParseStatus parse_adaptation_field(std::span<const std::uint8_t> body, AdaptationField& af) {
  af = AdaptationField{};
  if (body.empty()) return TsParseStatus::ok;
  const std::uint8_t flags = body[0];
  af.discontinuity_indicator = flags & 0x80;
  af.random_access_indicator = flags & 0x40;
  af.elementary_stream_priority_indicator = flags & 0x20;
  std::size_t pos = 1;
  auto take = [&](std::size_t n) { return pos + n <= body.size(); };
  if (flags & 0x10) {
    if (!take(kPcrFieldSize)) return TsParseStatus::adaptation_field_overrun;
    af.pcr = read_pcr_field(&body[pos]);
    pos += kPcrFieldSize;
  }
  if (flags & 0x08) {
    if (!take(kPcrFieldSize)) return TsParseStatus::adaptation_field_overrun;
    af.opcr = read_pcr_field(&body[pos]);
    pos += kPcrFieldSize;
  }
  if (flags & 0x04) {
    if (!take(1)) return TsParseStatus::adaptation_field_overrun;
    af.splice_countdown = static_cast<std::int8_t>(body[pos++]);
  }
  if (flags & 0x02) {
    if (!take(1) || !take(1 + std::size_t{body[pos]})) {
      return TsParseStatus::adaptation_field_overrun;
    }
    af.transport_private_data = body.subspan(pos + 1, body[pos]);
    pos += 1 + body[pos];
  }
  if (flags & 0x01) {
    if (!take(1) || !take(1 + std::size_t{body[pos]})) {
      return TsParseStatus::adaptation_field_overrun;
    }
    af.adaptation_field_extension = body.subspan(pos + 1, body[pos]);
    pos += 1 + body[pos];
  }
  af.stuffing_bytes = body.size() - pos;
  return TsParseStatus::ok;
}

}  // namespace

TsParseStatus try_parse_ts_packet(std::span<const std::uint8_t> bytes, TsPacketView& out) noexcept {
  if (bytes.size() != kTsPacketSize) return TsParseStatus::wrong_size;
  if (bytes[0] != kTsSyncByte) return TsParseStatus::no_sync_byte;
  out = TsPacketView{};
  out.header.transport_error_indicator = bytes[1] & 0x80;
  out.header.payload_unit_start_indicator = bytes[1] & 0x40;
  out.header.transport_priority = bytes[1] & 0x20;
  out.header.pid = static_cast<std::uint16_t>(((bytes[1] & 0x1F) << 8) | bytes[2]);
  out.header.transport_scrambling_control = bytes[3] >> 6;
  out.header.continuity_counter = bytes[3] & 0x0F;
  const std::uint8_t control = (bytes[3] >> 4) & 0x3;
  if (control == 0) return TsParseStatus::reserved_adaptation_field_control;
  out.has_payload = control & 0x1;
  std::size_t payload_start = kTsHeaderSize;
  if (control & 0x2) {
    const std::size_t length = bytes[kTsHeaderSize];
    const bool legal = out.has_payload ? length <= kMaxAdaptationFieldLength - 1
                                       : length == kMaxAdaptationFieldLength;
    if (!legal) return TsParseStatus::adaptation_field_length_out_of_range;
    AdaptationField af;
    const auto status = parse_adaptation_field(bytes.subspan(kTsHeaderSize + 1, length), af);
    if (status != TsParseStatus::ok) return status;
    out.adaptation_field = af;
    payload_start += 1 + length;
  }
  if (out.has_payload) out.payload = bytes.subspan(payload_start);
  return TsParseStatus::ok;
}

TsPacketView parse_ts_packet(std::span<const std::uint8_t> bytes) {
  TsPacketView view;
  const TsParseStatus status = try_parse_ts_packet(bytes, view);
  if (status == TsParseStatus::wrong_size) {
    throw TsError(fmt::format("TS packet of {} bytes: {}", bytes.size(), to_string(status)));
  }
  if (status != TsParseStatus::ok) {
    const int pid = ((bytes[1] & 0x1F) << 8) | bytes[2];
    throw TsError(fmt::format("TS packet on PID 0x{:04X}: {}", pid, to_string(status)));
  }
  return view;
}

}  // namespace skyclass::mux

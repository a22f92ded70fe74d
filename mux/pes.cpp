#include "mux/pes.hpp"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "mux/pcr.hpp"

namespace skyclass::mux {
namespace {

// PTS/DTS: 4-bit prefix, then 33 bits in 3/15/15 groups, each group followed by a marker bit.
void write_timestamp(std::uint8_t* p, std::uint8_t prefix, std::uint64_t ts_90k) {
  const std::uint64_t ts = ts_90k % kTimestampModulus;
  p[0] = static_cast<std::uint8_t>((prefix << 4) | ((ts >> 29) & 0x0E) | 1);
  p[1] = static_cast<std::uint8_t>(ts >> 22);
  p[2] = static_cast<std::uint8_t>(((ts >> 14) & 0xFE) | 1);
  p[3] = static_cast<std::uint8_t>(ts >> 7);
  p[4] = static_cast<std::uint8_t>(((ts << 1) & 0xFE) | 1);
}

std::uint64_t read_timestamp(const std::uint8_t* p) {
  return (std::uint64_t{p[0] & 0x0Eu} << 29) | (std::uint64_t{p[1]} << 22) |
         (std::uint64_t{p[2] & 0xFEu} << 14) | (std::uint64_t{p[3]} << 7) | (p[4] >> 1);
}

// Table 2-21: these stream_ids have no optional PES header.
bool has_optional_header(std::uint8_t stream_id) {
  switch (stream_id) {
    case 0xBC:
    case 0xBE:
    case 0xBF:
    case 0xF0:
    case 0xF1:
    case 0xF2:
    case 0xF8:
    case 0xFF:
      return false;
    default:
      return true;
  }
}

std::uint64_t wrap_timestamp(std::int64_t ts_90k) {
  const auto m = static_cast<std::int64_t>(kTimestampModulus);
  return static_cast<std::uint64_t>(((ts_90k % m) + m) % m);
}

std::size_t start_code_length(std::span<const std::uint8_t> d) {
  if (d.size() >= 4 && d[0] == 0 && d[1] == 0 && d[2] == 0 && d[3] == 1) return 4;
  if (d.size() >= 3 && d[0] == 0 && d[1] == 0 && d[2] == 1) return 3;
  return 0;
}

}  // namespace

std::string_view to_string(StreamKind kind) {
  switch (kind) {
    case StreamKind::h264:
      return "H.264";
    case StreamKind::mpeg_audio:
      return "MPEG audio";
    case StreamKind::aac_adts:
      return "AAC ADTS";
  }
  return "unknown";
}

bool is_audio(StreamKind kind) {
  return kind != StreamKind::h264;
}

bool stream_id_fits(StreamKind kind, std::uint8_t stream_id) {
  return is_audio(kind) ? (stream_id & 0xE0) == 0xC0 : (stream_id & 0xF0) == 0xE0;
}

std::size_t PesHeader::encoded_size() const {
  return kPesFixedHeaderSize + (pts_90k ? 5 : 0) + (dts_90k ? 5 : 0);
}

std::size_t PesHeader::encode(std::span<std::uint8_t> out) const {
  const std::size_t size = encoded_size();
  if (out.size() < size) {
    throw PesError(fmt::format("PES header of stream_id 0x{:02X} needs {} bytes, got {}", stream_id,
                               size, out.size()));
  }
  if (dts_90k && !pts_90k) {
    throw PesError(fmt::format("PES header of stream_id 0x{:02X}: DTS without PTS", stream_id));
  }
  out[0] = 0x00;
  out[1] = 0x00;
  out[2] = 0x01;
  out[3] = stream_id;
  out[4] = static_cast<std::uint8_t>(pes_packet_length >> 8);
  out[5] = static_cast<std::uint8_t>(pes_packet_length);
  out[6] = static_cast<std::uint8_t>(0x80 | (data_alignment_indicator ? 0x04 : 0));
  out[7] = static_cast<std::uint8_t>((pts_90k ? 0x80 : 0) | (dts_90k ? 0x40 : 0));
  out[8] = static_cast<std::uint8_t>(size - kPesFixedHeaderSize);
  if (pts_90k) write_timestamp(&out[9], dts_90k ? 0x3 : 0x2, *pts_90k);
  if (dts_90k) write_timestamp(&out[14], 0x1, *dts_90k);
  return size;
}

PesPacketView parse_pes_packet(std::span<const std::uint8_t> bytes) {
  if (bytes.size() < 6 || bytes[0] != 0 || bytes[1] != 0 || bytes[2] != 1) {
    throw PesError("PES packet does not start with packet_start_code_prefix 00 00 01");
  }
  PesPacketView view;
  view.header.stream_id = bytes[3];
  view.header.pes_packet_length = static_cast<std::uint16_t>((bytes[4] << 8) | bytes[5]);
  const std::size_t end = view.header.pes_packet_length == 0
                              ? bytes.size()
                              : 6 + std::size_t{view.header.pes_packet_length};
  if (end > bytes.size()) {
    throw PesError(fmt::format("PES packet of stream_id 0x{:02X} truncated: {} of {} bytes",
                               view.header.stream_id, bytes.size(), end));
  }
  view.header_size = 6;
  if (has_optional_header(view.header.stream_id)) {
    if (end < kPesFixedHeaderSize || (bytes[6] & 0xC0) != 0x80) {
      throw PesError(fmt::format("PES packet of stream_id 0x{:02X}: bad optional header",
                                 view.header.stream_id));
    }
    const unsigned pts_dts_flags = bytes[7] >> 6;
    const std::size_t needed = pts_dts_flags == 3 ? 10 : pts_dts_flags == 2 ? 5 : 0;
    view.header_size = kPesFixedHeaderSize + bytes[8];
    if (pts_dts_flags == 1 || bytes[8] < needed || view.header_size > end) {
      throw PesError(fmt::format(
          "PES packet of stream_id 0x{:02X}: PTS_DTS_flags {} with PES_header_data_length {}",
          view.header.stream_id, pts_dts_flags, bytes[8]));
    }
    view.header.data_alignment_indicator = bytes[6] & 0x04;
    if (pts_dts_flags & 2) view.header.pts_90k = read_timestamp(&bytes[9]);
    if (pts_dts_flags == 3) view.header.dts_90k = read_timestamp(&bytes[14]);
  }
  view.payload = bytes.subspan(view.header_size, end - view.header_size);
  return view;
}

AccessUnitCheck check_access_unit(StreamKind kind, std::span<const std::uint8_t> data) {
  if (data.empty()) return AccessUnitCheck::empty;
  switch (kind) {
    case StreamKind::h264: {
      const std::size_t sc = start_code_length(data);
      if (sc == 0 || data.size() <= sc) return AccessUnitCheck::not_annex_b;
      return (data[sc] & 0x1F) == 9 ? AccessUnitCheck::ok : AccessUnitCheck::ok_without_aud;
    }
    case StreamKind::mpeg_audio:  // ISO/IEC 11172-3 / 13818-3: 11-bit syncword, 4-byte header
      return data.size() >= 4 && data[0] == 0xFF && (data[1] & 0xE0) == 0xE0
                 ? AccessUnitCheck::ok
                 : AccessUnitCheck::no_audio_sync;
    case StreamKind::aac_adts:  // ISO/IEC 13818-7 adts_fixed_header: 0xFFF, layer '00', 7 bytes
      return data.size() >= 7 && data[0] == 0xFF && (data[1] & 0xF6) == 0xF0
                 ? AccessUnitCheck::ok
                 : AccessUnitCheck::no_audio_sync;
  }
  return AccessUnitCheck::empty;
}

std::string_view to_string(AccessUnitCheck check) {
  switch (check) {
    case AccessUnitCheck::ok:
      return "ok";
    case AccessUnitCheck::ok_without_aud:
      return "no access unit delimiter (one is inserted)";
    case AccessUnitCheck::empty:
      return "access unit is empty";
    case AccessUnitCheck::not_annex_b:
      return "H.264 access unit does not start with an Annex B start code";
    case AccessUnitCheck::no_audio_sync:
      return "audio frame does not start with a syncword";
  }
  return "unknown";
}

PesPacketiser::PesPacketiser(const PesStreamConfig& config) : config_(config) {
  if (!stream_id_fits(config.kind, config.stream_id)) {
    throw PesError(fmt::format("stream_id 0x{:02X} is not valid for {}", config.stream_id,
                               to_string(config.kind)));
  }
  const std::size_t audio_max = kMaxPesPacketLength - 3 - 10;
  if (is_audio(config.kind) &&
      (config.max_pes_payload_bytes == 0 || config.max_pes_payload_bytes > audio_max)) {
    throw PesError(fmt::format("max_pes_payload_bytes {} must be in 1..{}",
                               config.max_pes_payload_bytes, audio_max));
  }
  packets_.reserve(64);
}

const PesPacketInfo* PesPacketiser::open_packet() const {
  return has_open_packet() ? &packets_.back().info : nullptr;
}

bool PesPacketiser::joins_open_packet(const PesFrame& frame) const {
  if (!has_open_packet() || !is_audio(config_.kind)) return false;
  const Packet& open = packets_.back();
  return frame.dts_90k > open.info.last_dts_90k &&
         frame.dts_90k - open.info.dts_90k < config_.max_pes_duration_90k &&
         open.data_size + frame.data.size() <= config_.max_pes_payload_bytes;
}

std::size_t PesPacketiser::bytes_to_add(const PesFrame& frame) const {
  const AccessUnitCheck check = check_access_unit(config_.kind, frame.data);
  if (check != AccessUnitCheck::ok && check != AccessUnitCheck::ok_without_aud) {
    throw PesError(fmt::format("{} access unit at DTS {}: {}", to_string(config_.kind),
                               frame.dts_90k, to_string(check)));
  }
  if (is_audio(config_.kind) && frame.data.size() > config_.max_pes_payload_bytes) {
    throw PesError(fmt::format("{} frame of {} bytes at DTS {} exceeds the PES payload bound {}",
                               to_string(config_.kind), frame.data.size(), frame.dts_90k,
                               config_.max_pes_payload_bytes));
  }
  std::size_t bytes = frame.data.size();
  if (check == AccessUnitCheck::ok_without_aud) bytes += kAccessUnitDelimiter.size();
  if (!joins_open_packet(frame)) {
    bytes += kPesFixedHeaderSize + 5 + (frame.pts_90k != frame.dts_90k ? 5 : 0);
  }
  return bytes;
}

std::size_t PesPacketiser::push(const PesFrame& frame) {
  const std::size_t bytes = bytes_to_add(frame);  // validates
  if (!joins_open_packet(frame)) {
    if (has_open_packet()) close(packets_.back());
    start_packet(frame,
                 check_access_unit(config_.kind, frame.data) == AccessUnitCheck::ok_without_aud);
  }
  Packet& packet = packets_.back();
  data_.append(frame.data);
  packet.data_size += frame.data.size();
  packet.info.size += frame.data.size();
  packet.info.last_dts_90k = frame.dts_90k;
  ++packet.info.access_units;
  if (!is_audio(config_.kind)) close(packet);  // one AU per video PES
  return bytes;
}

void PesPacketiser::start_packet(const PesFrame& frame, bool insert_aud) {
  Packet packet;
  packet.info.pts_90k = frame.pts_90k;
  packet.info.dts_90k = frame.dts_90k;
  packet.info.last_dts_90k = frame.dts_90k;
  packet.info.ready_dts_90k =
      frame.dts_90k + (is_audio(config_.kind) ? config_.max_pes_duration_90k : 0);
  packet.info.header_size = kPesFixedHeaderSize + 5 + (frame.pts_90k != frame.dts_90k ? 5 : 0);
  packet.info.random_access = frame.key_frame;
  packet.info.aud_inserted = insert_aud;
  packet.info.size = packet.info.header_size + (insert_aud ? kAccessUnitDelimiter.size() : 0);
  packet.data_position = data_.end_position();
  packets_.push_back(packet);
  open_ = true;
}

void PesPacketiser::close(Packet& packet) {
  PesHeader header;
  header.stream_id = config_.stream_id;
  const std::size_t length = packet.info.size - 6;
  header.pes_packet_length = length <= kMaxPesPacketLength ? static_cast<std::uint16_t>(length) : 0;
  header.data_alignment_indicator = true;  // every PES starts with an AUD or a frame syncword
  header.pts_90k = wrap_timestamp(packet.info.pts_90k);
  if (packet.info.pts_90k != packet.info.dts_90k) {
    header.dts_90k = wrap_timestamp(packet.info.dts_90k);
  }
  header.encode(packet.header);
  packet.closed = true;
  open_ = false;  // only the last packet is ever open
}

void PesPacketiser::close_open_packet() {
  if (has_open_packet()) close(packets_.back());
}

void PesPacketiser::copy_front_parts(std::size_t offset, std::span<std::uint8_t> out) const {
  if (closed_packets() == 0 || offset + out.size() > packets_.front().info.size) {
    throw std::logic_error("PesPacketiser::copy_front outside the front packet");
  }
  const Packet& packet = packets_.front();
  const std::size_t header_size = packet.info.header_size;
  const std::size_t prefix_end =
      header_size + (packet.info.aud_inserted ? kAccessUnitDelimiter.size() : 0);
  std::size_t done = 0;
  while (done < out.size()) {
    const std::size_t at = offset + done;
    std::span<std::uint8_t> rest = out.subspan(done);
    std::size_t n = 0;
    if (at < header_size) {
      n = std::min(rest.size(), header_size - at);
      std::memcpy(rest.data(), packet.header.data() + at, n);
    } else if (at < prefix_end) {
      n = std::min(rest.size(), prefix_end - at);
      std::memcpy(rest.data(), kAccessUnitDelimiter.data() + (at - header_size), n);
    } else {
      n = rest.size();
      data_.copy(packet.data_position + (at - prefix_end), rest);
    }
    done += n;
  }
}

void PesPacketiser::pop_front() {
  if (closed_packets() == 0) throw std::logic_error("PesPacketiser::pop_front: no closed packet");
  const Packet& packet = packets_.front();
  data_.discard_until(packet.data_position + packet.data_size);
  packets_.pop_front();
}

}  // namespace skyclass::mux

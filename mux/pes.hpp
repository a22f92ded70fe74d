#pragma once
// PES packets, ISO/IEC 13818-1 2.4.3.6/2.4.3.7, and the packetiser that turns access units into
// them: one H.264 access unit per PES, or several audio frames per PES within a bounded span.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string_view>

#include "mux/multiplexer_fifo.hpp"

namespace skyclass::mux {

class PesError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class StreamKind : std::uint8_t { h264, mpeg_audio, aac_adts };
std::string_view to_string(StreamKind kind);
bool is_audio(StreamKind kind);
// Table 2-22: video streams 1110 xxxx, audio streams 110x xxxx (ADTS AAC included).
bool stream_id_fits(StreamKind kind, std::uint8_t stream_id);

inline constexpr std::uint8_t kVideoStreamId = 0xE0;
inline constexpr std::uint8_t kAudioStreamId = 0xC0;
inline constexpr std::size_t kPesFixedHeaderSize = 9;  // start code .. PES_header_data_length
inline constexpr std::size_t kMaxPesHeaderSize = kPesFixedHeaderSize + 10;  // with PTS and DTS
inline constexpr std::size_t kMaxPesPacketLength = 0xFFFF;

// The PES header fields this headend writes; the decoder also accepts (and skips) the others.
struct PesHeader {
  std::uint8_t stream_id = 0;
  std::uint16_t pes_packet_length = 0;  // 0: unbounded, allowed for video in TS only (2.4.3.7)
  bool data_alignment_indicator = false;
  std::optional<std::uint64_t> pts_90k;  // coded modulo 2^33
  std::optional<std::uint64_t> dts_90k;  // only together with pts_90k (PTS_DTS_flags '11')

  std::size_t encoded_size() const;
  // Writes encoded_size() bytes. Throws PesError if `out` is too small or DTS comes without PTS.
  std::size_t encode(std::span<std::uint8_t> out) const;
  friend bool operator==(const PesHeader&, const PesHeader&) = default;
};

struct PesPacketView {
  PesHeader header;
  std::size_t header_size = 0;            // 9 + PES_header_data_length
  std::span<const std::uint8_t> payload;  // up to PES_packet_length, or the rest when 0
};
// Decodes a PES packet; throws PesError (never reads outside `bytes`) when malformed or truncated.
PesPacketView parse_pes_packet(std::span<const std::uint8_t> bytes);

// What an access unit looks like at the PES boundary.
enum class AccessUnitCheck : std::uint8_t {
  ok,
  ok_without_aud,  // H.264 Annex B access unit whose first NAL unit is not an AUD
  empty,
  not_annex_b,    // H.264 data not starting with a 00 00 01 / 00 00 00 01 start code
  no_audio_sync,  // MPEG audio without the 11-bit syncword, ADTS without 0xFFF
};
AccessUnitCheck check_access_unit(StreamKind kind, std::span<const std::uint8_t> data);
std::string_view to_string(AccessUnitCheck check);

// 13818-1 2.14.1 requires an access unit delimiter at the start of every AVC access unit in a
// transport stream. The packetiser inserts this one (primary_pic_type 7: any slice type, which is
// always true) before access units that lack it; it never rejects them.
inline constexpr std::array<std::uint8_t, 6> kAccessUnitDelimiter{0x00, 0x00, 0x00,
                                                                  0x01, 0x09, 0xF0};

struct PesStreamConfig {
  StreamKind kind = StreamKind::h264;
  std::uint8_t stream_id = kVideoStreamId;
  // Audio: a frame joins the open PES while its DTS is less than this after the PES's first DTS.
  std::int64_t max_pes_duration_90k = 60 * 90;
  // Audio: bound on the PES payload; a frame that would exceed it starts a new PES.
  std::size_t max_pes_payload_bytes = 3000;
};

// One access unit on the output timeline (unwrapped 90 kHz ticks, >= 0).
struct PesFrame {
  std::span<const std::uint8_t> data;
  std::int64_t pts_90k = 0;
  std::int64_t dts_90k = 0;
  bool key_frame = false;
};

struct PesPacketInfo {
  std::int64_t pts_90k = 0;       // of the first access unit
  std::int64_t dts_90k = 0;       // of the first access unit
  std::int64_t last_dts_90k = 0;  // of the last access unit
  std::int64_t ready_dts_90k =
      0;                 // first DTS + max duration (video: the DTS): no frame joins after
  std::size_t size = 0;  // whole PES packet, header included
  std::size_t header_size = 0;
  std::size_t access_units = 0;
  bool random_access = false;  // the first access unit is a key frame
  bool aud_inserted = false;
};

// Access units in, PES packets out as byte ranges (no copy into a contiguous packet: the TS
// packetiser reads them with copy_front). The PES header carries PTS always and DTS when it
// differs; PES_packet_length is 0 only for a video PES longer than 65535 bytes.
class PesPacketiser {
 public:
  explicit PesPacketiser(const PesStreamConfig& config);

  const PesStreamConfig& config() const { return config_; }
  // Appends an access unit (copied). Returns the bytes it adds to the PES stream: its data, the
  // inserted AUD, and the PES header when it starts a packet. Throws PesError when malformed.
  std::size_t push(const PesFrame& frame);
  // The bytes push() would add for this frame (used to check a frame before accepting it).
  std::size_t bytes_to_add(const PesFrame& frame) const;
  // Closes the open audio PES: no further frame joins it.
  void close_open_packet();

  bool has_open_packet() const { return open_; }
  const PesPacketInfo* open_packet() const;
  std::size_t closed_packets() const { return packets_.size() - (open_ ? 1 : 0); }
  const PesPacketInfo& front() const {  // the oldest closed packet
    if (closed_packets() == 0) throw std::logic_error("PesPacketiser::front: no closed packet");
    return packets_.front().info;
  }
  // Copies out.size() bytes of the front packet starting at byte `offset`.
  void copy_front(std::size_t offset, std::span<std::uint8_t> out) const {
    if (closed_packets() != 0) {
      const Packet& packet = packets_.front();
      const std::size_t prefix_end =
          packet.info.header_size + (packet.info.aud_inserted ? kAccessUnitDelimiter.size() : 0);
      if (offset >= prefix_end && offset + out.size() <= packet.info.size) {
        data_.copy(packet.data_position + (offset - prefix_end), out);  // data only: inline
        return;
      }
    }
    copy_front_parts(offset, out);
  }
  void pop_front();

 private:
  struct Packet {
    PesPacketInfo info;
    std::array<std::uint8_t, kMaxPesHeaderSize> header{};
    std::uint64_t data_position = 0;
    std::size_t data_size = 0;
    bool closed = false;
  };

  void copy_front_parts(std::size_t offset, std::span<std::uint8_t> out) const;
  bool joins_open_packet(const PesFrame& frame) const;
  void start_packet(const PesFrame& frame, bool insert_aud);
  void close(Packet& packet);

  PesStreamConfig config_;
  detail::ByteFifo data_;
  detail::VectorQueue<Packet> packets_;
  bool open_ = false;  // the last packet is open (not closed)
};

}  // namespace skyclass::mux

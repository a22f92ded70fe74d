#pragma once
// Transport stream packets, ISO/IEC 13818-1 2.4.3.2 (header) and 2.4.3.4/2.4.3.5 (adaptation
// field). The writer composes a packet in place; the reader decodes one without reading past its
// 188 bytes.
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <stdexcept>
#include <string_view>

#include "mux/pcr.hpp"

namespace skyclass::mux {

inline constexpr std::size_t kTsPacketSize = 188;
inline constexpr std::size_t kTsHeaderSize = 4;
inline constexpr std::size_t kTsMaxPayloadSize = kTsPacketSize - kTsHeaderSize;
inline constexpr std::uint8_t kTsSyncByte = 0x47;
inline constexpr std::uint16_t kNullPid = 0x1FFF;
inline constexpr std::uint16_t kMaxPid = 0x1FFF;
inline constexpr std::uint8_t kStuffingByte = 0xFF;

class TsError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// 2.4.3.2. adaptation_field_control is not a field here: it follows from what the packet carries.
struct TsHeader {
  bool transport_error_indicator = false;
  bool payload_unit_start_indicator = false;
  bool transport_priority = false;
  std::uint16_t pid = 0;
  std::uint8_t transport_scrambling_control = 0;
  std::uint8_t continuity_counter = 0;
  friend bool operator==(const TsHeader&, const TsHeader&) = default;
};

// 2.4.3.4/2.4.3.5. The writer encodes every field here; the reader also fills the spans, the
// extension bytes (skipped, only bounds-checked) and the number of stuffing bytes.
struct AdaptationField {
  bool discontinuity_indicator = false;
  bool random_access_indicator = false;
  bool elementary_stream_priority_indicator = false;
  std::optional<Pcr> pcr;
  std::optional<Pcr> opcr;
  std::optional<std::int8_t> splice_countdown;
  std::span<const std::uint8_t> transport_private_data;  // at most 181 bytes
  // Reader only:
  std::span<const std::uint8_t> adaptation_field_extension;  // after its length byte
  std::size_t stuffing_bytes = 0;

  // True when nothing needs to be coded, so a full payload packet can omit the field.
  bool empty() const;
  // Bytes the field takes, length byte included, before any stuffing (0 when empty()).
  std::size_t encoded_size() const;
};

// Payload bytes that fit after the header and `af` (stuffing not counted).
std::size_t ts_payload_capacity(const AdaptationField& af);

// Writes header and adaptation field so that exactly `payload_size` payload bytes follow, padding
// with adaptation field stuffing (2.4.3.5). `payload_size` 0 gives an adaptation-only packet
// (adaptation_field_control '10'). Returns the payload area for the caller to fill.
// Throws TsError if the payload does not fit or a field is out of range.
std::span<std::uint8_t> write_ts_header(std::span<std::uint8_t, kTsPacketSize> out,
                                        const TsHeader& header, const AdaptationField& af,
                                        std::size_t payload_size);

// The same bytes as write_ts_header for a packet whose adaptation field carries at most
// random_access_indicator and a PCR (the multiplexer's packets), without an AdaptationField.
// Throws TsError if the payload does not fit or a field is out of range.
std::span<std::uint8_t> write_ts_header_with_pcr(std::span<std::uint8_t, kTsPacketSize> out,
                                                 const TsHeader& header, bool random_access,
                                                 const Pcr* pcr, std::size_t payload_size);

// Writes a whole packet: as much of `payload` as fits. Returns the payload bytes taken.
std::size_t write_ts_packet(std::span<std::uint8_t, kTsPacketSize> out, const TsHeader& header,
                            const AdaptationField& af, std::span<const std::uint8_t> payload);

// A null packet (PID 0x1FFF, payload of 0xFF), 2.4.3.3.
void write_null_packet(std::span<std::uint8_t, kTsPacketSize> out);

enum class TsParseStatus : std::uint8_t {
  ok,
  wrong_size,
  no_sync_byte,
  reserved_adaptation_field_control,     // '00'
  adaptation_field_length_out_of_range,  // > 182 with payload, or != 183 without
  adaptation_field_overrun,              // flagged fields do not fit in adaptation_field_length
};
std::string_view to_string(TsParseStatus status);

struct TsPacketView {
  TsHeader header;
  std::optional<AdaptationField> adaptation_field;  // present for control '10' and '11'
  std::span<const std::uint8_t> payload;            // empty for control '10'
  bool has_payload = false;
};

// Never reads outside `bytes`; on error `out` is unspecified.
TsParseStatus try_parse_ts_packet(std::span<const std::uint8_t> bytes, TsPacketView& out) noexcept;
// Throws TsError naming the PID and the problem.
TsPacketView parse_ts_packet(std::span<const std::uint8_t> bytes);

// Continuity counters for every PID (2.4.3.3): +1 mod 16 per packet with payload; a packet without
// payload repeats the counter of the previous packet of its PID.
class ContinuityCounters {
 public:
  ContinuityCounters() { last_.fill(0x0F); }
  std::uint8_t next(std::uint16_t pid, bool has_payload) {
    std::uint8_t& last = last_[pid & kMaxPid];
    if (has_payload) last = static_cast<std::uint8_t>((last + 1) & 0x0F);
    return last;
  }

 private:
  std::array<std::uint8_t, kMaxPid + 1> last_{};
};

}  // namespace skyclass::mux

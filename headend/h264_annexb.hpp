#pragma once
// H.264 byte streams for the transport stream: ITU-T H.264 Annex B framing, and the access unit
// delimiter that ISO/IEC 13818-1 2.14.1 (and the DVB profile) requires first in every access unit.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "headend/av_raii.hpp"

namespace skyclass::headend {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

inline constexpr std::uint8_t kNalTypeAud = 9;

// The access unit delimiter written before an access unit that lacks one: a 4-byte start code,
// nal_unit_type 9, primary_pic_type 7 ("any slice type", always true) and the stop bit.
inline constexpr std::uint8_t kAccessUnitDelimiter[6] = {0x00, 0x00, 0x00, 0x01, 0x09, 0xF0};

// One NAL unit of an Annex B byte stream: where its start code begins, and its bytes (header
// first) up to the next start code or the end.
struct NalUnit {
  std::size_t start_code_offset = 0;
  std::size_t start_code_size = 0;  // 3, or 4 with the zero_byte
  ByteView nal;
  std::uint8_t type() const { return nal.empty() ? 0 : nal[0] & 0x1F; }
};

// True when `data` starts with a 00 00 01 or 00 00 00 01 start code.
bool starts_with_start_code(ByteView data);

// The NAL units of an Annex B access unit, in order. Bytes before the first start code are
// ignored. A zero byte right before 00 00 01 makes a 4-byte start code; other trailing zero bytes
// stay with the NAL unit before them.
std::vector<NalUnit> split_annex_b(ByteView data);

// The access unit with an access unit delimiter as its first NAL unit: `access_unit` itself when
// it already starts with one; otherwise kAccessUnitDelimiter followed by the access unit, built in
// `scratch`, with any AUD before the first slice dropped (misplaced, and only one is allowed; after
// a slice an AUD would start the next access unit, which one packet never holds, so the slice
// data is copied without being scanned). Data without any start code is returned unchanged (the
// mux refuses it as not Annex B).
ByteView access_unit_with_delimiter(ByteView access_unit, Bytes& scratch);

// True when `extradata` is an AVCDecoderConfigurationRecord (ISO/IEC 14496-15 5.2.4.1,
// configurationVersion 1): the stream's packets carry length-prefixed NAL units.
bool is_avcc_extradata(ByteView extradata);

// Converts the packets of one H.264 stream to Annex B with libavcodec's h264_mp4toannexb
// bitstream filter when the stream is in 14496-15 (avcC) form: it turns the length prefixes into
// start codes and puts the SPS/PPS of the extradata in front of each IDR picture that lacks them.
// An Annex B stream (MPEG-TS input) passes through untouched. `where` names the input file and
// stream in errors.
class AnnexBConverter {
 public:
  AnnexBConverter(const AVCodecParameters& parameters, AVRational time_base, std::string where);

  bool filtering() const { return bsf_ != nullptr; }

  // The packet's access unit in Annex B form, valid until the next call (the packet itself is not
  // changed: the filter gets a new reference). Throws std::runtime_error naming the stream and
  // the packet's DTS when the filter fails or the result is not Annex B.
  ByteView convert(const AVPacket& packet);

 private:
  std::string where_;
  av::BsfContextPtr bsf_;
  av::PacketPtr in_;
  av::PacketPtr out_;
};

}  // namespace skyclass::headend

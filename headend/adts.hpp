#pragma once
// AAC in a transport stream travels as ADTS frames (ISO/IEC 13818-7 6.2, stream_type 0x0F). AAC
// from MP4 is raw access units with an AudioSpecificConfig (ISO/IEC 14496-3 1.6.2.1) in the
// extradata, so the remux builds the 7-byte adts_fixed_header + adts_variable_header itself: the
// header is a handful of fields of the AudioSpecificConfig, and building it here keeps the mux
// path free of a second libavformat muxer (FFmpeg's adts muxer does the same computation).
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>

namespace skyclass::headend {

inline constexpr std::size_t kAdtsHeaderBytes = 7;       // protection_absent = 1: no CRC
inline constexpr std::size_t kMaxAdtsFrameBytes = 8191;  // 13-bit aac_frame_length

// What an ADTS header repeats of the AudioSpecificConfig.
struct AdtsConfig {
  std::uint8_t profile = 1;                   // audioObjectType - 1: 0 Main, 1 LC, 2 SSR, 3 LTP
  std::uint8_t sampling_frequency_index = 3;  // 3: 48 kHz (14496-3 Table 1.18)
  std::uint8_t channel_configuration = 2;     // 1..7
  bool operator==(const AdtsConfig&) const = default;
};

// Reads an AudioSpecificConfig. With explicit SBR/PS signalling (audioObjectType 5 or 29) the
// header describes the core AAC stream, as the ADTS of HE-AAC does. Throws std::invalid_argument
// saying what ADTS cannot carry: an object type other than AAC Main/LC/SSR/LTP, an explicit
// sampling frequency (index 15), channel configuration 0 (a program_config_element), or a
// truncated config.
AdtsConfig adts_config_from_audio_specific_config(std::span<const std::uint8_t> asc);

// The ADTS header of one raw_data_block of `raw_bytes` bytes: MPEG-4 ID, no CRC, buffer fullness
// 0x7FF (variable rate), one raw data block. Throws std::invalid_argument when the frame would
// exceed kMaxAdtsFrameBytes.
std::array<std::uint8_t, kAdtsHeaderBytes> adts_header(const AdtsConfig& config,
                                                       std::size_t raw_bytes);

// True when `data` starts with an ADTS syncword and layer '00' (already framed, e.g. from a TS).
bool starts_with_adts(std::span<const std::uint8_t> data);

}  // namespace skyclass::headend

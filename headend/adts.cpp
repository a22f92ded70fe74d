#include "headend/adts.hpp"

#include <stdexcept>

#include <fmt/format.h>

namespace skyclass::headend {
namespace {

constexpr int kAotSbr = 5;
constexpr int kAotPs = 29;
constexpr int kEscapeFrequencyIndex = 15;

// MSB-first bit reader over the AudioSpecificConfig; reading past the end throws.
class BitReader {
 public:
  explicit BitReader(std::span<const std::uint8_t> data) : data_(data) {}
  unsigned read(int bits) {
    unsigned value = 0;
    for (int i = 0; i < bits; ++i) {
      if (position_ >= data_.size() * 8) {
        throw std::invalid_argument(
            fmt::format("AudioSpecificConfig of {} bytes is truncated (needs more than {} bits)",
                        data_.size(), position_));
      }
      const unsigned bit = (data_[position_ / 8] >> (7 - position_ % 8)) & 1u;
      value = (value << 1) | bit;
      ++position_;
    }
    return value;
  }

 private:
  std::span<const std::uint8_t> data_;
  std::size_t position_ = 0;
};

int read_object_type(BitReader& r) {
  const int type = static_cast<int>(r.read(5));
  return type == 31 ? 32 + static_cast<int>(r.read(6)) : type;
}

int read_frequency_index(BitReader& r) {
  const int index = static_cast<int>(r.read(4));
  if (index == kEscapeFrequencyIndex) {
    throw std::invalid_argument(fmt::format(
        "AudioSpecificConfig gives an explicit sampling frequency of {} Hz, which ADTS cannot "
        "signal (it needs one of the 13 indexed rates)",
        r.read(24)));
  }
  if (index > 12) {
    throw std::invalid_argument(
        fmt::format("AudioSpecificConfig samplingFrequencyIndex {} is reserved", index));
  }
  return index;
}

}  // namespace

AdtsConfig adts_config_from_audio_specific_config(std::span<const std::uint8_t> asc) {
  BitReader r(asc);
  int object_type = read_object_type(r);
  const int frequency_index = read_frequency_index(r);
  const int channels = static_cast<int>(r.read(4));
  if (object_type == kAotSbr || object_type == kAotPs) {
    (void)read_frequency_index(r);  // extensionSamplingFrequencyIndex: the SBR output rate
    object_type = read_object_type(r);
  }
  if (object_type < 1 || object_type > 4) {
    throw std::invalid_argument(
        fmt::format("audioObjectType {} cannot be carried in ADTS (AAC Main, LC, SSR or LTP only)",
                    object_type));
  }
  if (channels < 1 || channels > 7) {
    throw std::invalid_argument(
        fmt::format("channelConfiguration {} is not supported in ADTS (1..7; 0 needs a "
                    "program_config_element in every frame)",
                    channels));
  }
  return AdtsConfig{static_cast<std::uint8_t>(object_type - 1),
                    static_cast<std::uint8_t>(frequency_index),
                    static_cast<std::uint8_t>(channels)};
}

std::array<std::uint8_t, kAdtsHeaderBytes> adts_header(const AdtsConfig& c, std::size_t raw_bytes) {
  const std::size_t frame_bytes = raw_bytes + kAdtsHeaderBytes;
  if (frame_bytes > kMaxAdtsFrameBytes) {
    throw std::invalid_argument(
        fmt::format("AAC frame of {} bytes exceeds the {} bytes an ADTS frame can hold", raw_bytes,
                    kMaxAdtsFrameBytes - kAdtsHeaderBytes));
  }
  constexpr unsigned kBufferFullness = 0x7FF;  // variable bit rate
  const auto length = static_cast<unsigned>(frame_bytes);
  return {
      0xFF,
      0xF1,  // syncword, ID 0 (MPEG-4), layer 00, protection_absent 1
      static_cast<std::uint8_t>((c.profile << 6) | (c.sampling_frequency_index << 2) |
                                (c.channel_configuration >> 2)),
      static_cast<std::uint8_t>(((c.channel_configuration & 3u) << 6) | (length >> 11)),
      static_cast<std::uint8_t>(length >> 3),
      static_cast<std::uint8_t>(((length & 7u) << 5) | (kBufferFullness >> 6)),
      static_cast<std::uint8_t>((kBufferFullness & 0x3Fu) << 2),  // 0 raw blocks beyond the first
  };
}

bool starts_with_adts(std::span<const std::uint8_t> data) {
  return data.size() >= kAdtsHeaderBytes && data[0] == 0xFF && (data[1] & 0xF6) == 0xF0;
}

}  // namespace skyclass::headend

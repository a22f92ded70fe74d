#pragma once
// From channel.ini (scheduler::ChannelConfig) to what the mux takes: the PSI/SI configuration
// (names, ids, PIDs, delivery system, text encoding, TOT offset), the multiplexer configuration
// (muxrate, PCR PID and interval, elementary streams) and the EIT events.
#include <cstdint>
#include <string>
#include <vector>

#include "mux/descriptors.hpp"
#include "mux/epg.hpp"
#include "mux/multiplexer.hpp"
#include "mux/si_generator.hpp"
#include "scheduler/channel_config.hpp"
#include "scheduler/epg.hpp"

namespace skyclass::headend {

// [delivery] as an EN 300 468 6.2.13.2 satellite_delivery_system_descriptor: frequency in 10 kHz,
// orbital position in 0.1 degree with its E/W flag, symbol rate in 100 symbol/s, and the coded
// polarization, roll-off, modulation system and type, and FEC. 16APSK is coded '11' (the
// descriptor's 16-QAM code, which is what DVB-S2 receivers read there); 32APSK has no code and is
// signalled as '00' (auto). Throws std::runtime_error naming the config file and key.
mux::SatelliteDeliverySystemDescriptor delivery_descriptor(const scheduler::ChannelConfig& config);

// "3.0" -> 30, "3.1" -> 31, "4" -> 40 (level_idc, ITU-T H.264 A.3). Throws std::runtime_error
// naming the config file and video.level.
int h264_level_idc(const scheduler::ChannelConfig& config);

mux::TextEncoding text_encoding(const scheduler::ChannelConfig& config);

// One elementary stream of the service as the mux and the PMT see it.
struct ServiceStream {
  mux::StreamKind kind = mux::StreamKind::h264;
  std::uint8_t stream_type = 0;  // 13818-1 Table 2-34: 0x1B, 0x03, 0x04, 0x0F
  std::uint16_t pid = 0;
  std::uint64_t max_bitrate_bps = 0;  // elementary stream peak
  int h264_level_idc = 30;            // video: sizes its T-STD buffers
  int aac_channels = 2;               // AAC: sizes its T-STD buffers
  std::string language;               // audio: ISO 639-2 code for the PMT, empty for none
};

struct MuxSetup {
  mux::MultiplexerConfig mux;
  mux::SiConfig si;
};

// The service of `config` carrying `video` (also the PCR PID) and `audio`, at `muxrate_bps`.
MuxSetup make_mux_setup(const scheduler::ChannelConfig& config, std::uint64_t muxrate_bps,
                        const ServiceStream& video, const ServiceStream& audio);

// The scheduler's events (milliseconds) as EIT events (whole seconds): start and end are floored
// to the second, so back-to-back items stay back to back; an item that does not reach the next
// second boundary (shorter than 1 s) has no EIT event. `language` is the ISO 639-2 code of the
// short event descriptors.
std::vector<mux::EpgEvent> eit_events(const std::vector<scheduler::EpgEvent>& events,
                                      const std::string& language);

}  // namespace skyclass::headend

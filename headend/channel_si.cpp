#include "headend/channel_si.hpp"

#include <charconv>
#include <stdexcept>

#include <fmt/format.h>

namespace skyclass::headend {
namespace {

[[noreturn]] void bad_key(const scheduler::ChannelConfig& config, const char* key,
                          const std::string& what) {
  const std::string file =
      config.file.empty() ? std::string("channel config (defaults)") : config.file.string();
  throw std::runtime_error(fmt::format("{}: {}: {}", file, key, what));
}

// "115.5E" -> {1155, east}. One decimal at most: the descriptor counts 0.1 degrees.
std::pair<std::uint16_t, bool> parse_orbital_position(const scheduler::ChannelConfig& config) {
  const std::string& text = config.delivery.orbital_position;
  const auto fail = [&] {
    bad_key(config, "delivery.orbital_position",
            fmt::format("expected degrees with at most one decimal and E or W (e.g. 115.5E), got "
                        "'{}'",
                        text));
  };
  if (text.size() < 2) fail();
  const char side = text.back();
  if (side != 'E' && side != 'W' && side != 'e' && side != 'w') fail();
  const std::string number = text.substr(0, text.size() - 1);
  const auto dot = number.find('.');
  const std::string whole = number.substr(0, dot);
  const std::string tenths = dot == std::string::npos ? "0" : number.substr(dot + 1);
  if (whole.empty() || tenths.size() != 1) fail();
  unsigned degrees = 0, tenth = 0;
  auto [p1, e1] = std::from_chars(whole.data(), whole.data() + whole.size(), degrees);
  auto [p2, e2] = std::from_chars(tenths.data(), tenths.data() + tenths.size(), tenth);
  if (e1 != std::errc() || p1 != whole.data() + whole.size() || e2 != std::errc() ||
      p2 != tenths.data() + tenths.size() || degrees * 10 + tenth > 1800) {
    fail();
  }
  return {static_cast<std::uint16_t>(degrees * 10 + tenth), side == 'E' || side == 'e'};
}

std::uint8_t code_of(const scheduler::ChannelConfig& config, const char* key,
                     const std::string& value,
                     std::initializer_list<std::pair<const char*, std::uint8_t>> codes) {
  for (const auto& [name, code] : codes) {
    if (value == name) return code;
  }
  bad_key(config, key, fmt::format("'{}' has no code in the satellite delivery descriptor", value));
}

}  // namespace

mux::SatelliteDeliverySystemDescriptor delivery_descriptor(const scheduler::ChannelConfig& config) {
  const scheduler::SatelliteDelivery& d = config.delivery;
  mux::SatelliteDeliverySystemDescriptor s;
  if (d.frequency_khz % 10 != 0) {
    bad_key(config, "delivery.frequency_khz",
            fmt::format("{} kHz is not a whole number of 10 kHz (the descriptor's unit)",
                        d.frequency_khz));
  }
  s.frequency_10khz = d.frequency_khz / 10;
  std::tie(s.orbital_position_0_1deg, s.west_east_flag) = parse_orbital_position(config);
  s.polarization = code_of(config, "delivery.polarization", d.polarization,
                           {{"horizontal", 0}, {"vertical", 1}, {"left", 2}, {"right", 3}});
  s.modulation_system = d.system == "dvb-s2";
  // EN 300 468 6.2.13.2: roll_off is '00' for DVB-S.
  s.roll_off = s.modulation_system ? code_of(config, "delivery.roll_off", d.roll_off,
                                             {{"0.35", 0}, {"0.25", 1}, {"0.20", 2}})
                                   : 0;
  s.modulation_type = code_of(config, "delivery.modulation", d.modulation,
                              {{"qpsk", 1}, {"8psk", 2}, {"16apsk", 3}, {"32apsk", 0}});
  s.symbol_rate_100sym_s = d.symbol_rate_ksps * 10;
  s.FEC_inner = code_of(config, "delivery.fec", d.fec,
                        {{"1/2", 1},
                         {"2/3", 2},
                         {"3/4", 3},
                         {"5/6", 4},
                         {"7/8", 5},
                         {"8/9", 6},
                         {"3/5", 7},
                         {"4/5", 8},
                         {"9/10", 9}});
  return s;
}

int h264_level_idc(const scheduler::ChannelConfig& config) {
  const std::string& text = config.video.level;
  const auto dot = text.find('.');
  const std::string major = text.substr(0, dot);
  const std::string minor = dot == std::string::npos ? "0" : text.substr(dot + 1);
  int a = 0, b = 0;
  auto [p1, e1] = std::from_chars(major.data(), major.data() + major.size(), a);
  auto [p2, e2] = std::from_chars(minor.data(), minor.data() + minor.size(), b);
  if (major.empty() || minor.size() != 1 || e1 != std::errc() ||
      p1 != major.data() + major.size() || e2 != std::errc() || p2 != minor.data() + minor.size() ||
      a < 1 || a > 6) {
    bad_key(config, "video.level",
            fmt::format("expected a level such as 3.0 or 3.1, got '{}'", text));
  }
  return a * 10 + b;
}

mux::TextEncoding text_encoding(const scheduler::ChannelConfig& config) {
  auto encoding = mux::parse_text_encoding(config.text_encoding);
  if (!encoding) bad_key(config, "channel.text_encoding", encoding.error());
  return *encoding;
}

MuxSetup make_mux_setup(const scheduler::ChannelConfig& config, std::uint64_t muxrate_bps,
                        const ServiceStream& video, const ServiceStream& audio) {
  MuxSetup setup;
  mux::MultiplexerConfig& m = setup.mux;
  m.muxrate_bps = muxrate_bps;
  m.pcr_pid = video.pid;
  m.pcr_interval_27mhz = std::int64_t{config.pcr_interval_ms} * 27'000;
  for (const ServiceStream* s : {&video, &audio}) {
    mux::ElementaryStreamConfig es;
    es.pid = s->pid;
    es.kind = s->kind;
    es.stream_id = s->kind == mux::StreamKind::h264 ? mux::kVideoStreamId : mux::kAudioStreamId;
    es.max_bitrate_bps = s->max_bitrate_bps;
    es.h264_level_idc = s->h264_level_idc;
    es.aac_channels = s->aac_channels;
    m.streams.push_back(es);
  }

  mux::SiConfig& si = setup.si;
  si.network_id = config.network_id;
  si.original_network_id = config.original_network_id;
  si.transport_stream_id = config.transport_stream_id;
  si.service_id = config.service_id;
  si.pmt_pid = config.pmt_pid;
  si.pcr_pid = video.pid;
  si.streams = {{video.stream_type, video.pid, video.language, std::nullopt},
                {audio.stream_type, audio.pid, audio.language, std::nullopt}};
  si.provider_name = config.provider;
  si.service_name = config.name;
  si.network_name = config.network_name;
  si.delivery = delivery_descriptor(config);
  si.text_encoding = text_encoding(config);
  si.country_code = config.country;
  si.local_time_offset_min = config.utc_offset_min;
  si.muxrate_bps = muxrate_bps;
  return setup;
}

std::vector<mux::EpgEvent> eit_events(const std::vector<scheduler::EpgEvent>& events,
                                      const std::string& language) {
  const auto floor_s = [](std::int64_t ms) { return ms / 1000 - (ms % 1000 < 0 ? 1 : 0); };
  std::vector<mux::EpgEvent> out;
  out.reserve(events.size());
  for (const scheduler::EpgEvent& e : events) {
    const std::int64_t start_s = floor_s(e.start_utc_ms);
    const std::int64_t end_s = floor_s(e.start_utc_ms + e.duration_ms);
    if (end_s <= start_s) continue;
    mux::EpgEvent m;
    m.event_id = e.event_id;
    m.start_utc_s = start_s;
    m.duration_s = end_s - start_s;
    m.language = language;
    m.title = e.title;
    m.text = e.text;
    m.content_nibbles = e.content_nibbles;
    m.crid = e.crid;
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace skyclass::headend

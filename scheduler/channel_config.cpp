#include "scheduler/channel_config.hpp"

#include <fstream>
#include <map>
#include <stdexcept>

#include <boost/program_options.hpp>
#include <fmt/format.h>

#include "scheduler/civil_time.hpp"

namespace po = boost::program_options;

namespace skyclass::scheduler {
namespace {

// A value that failed its check; the loader adds file and line.
struct BadValue : std::runtime_error {
  BadValue(std::string key, std::string message)
      : std::runtime_error(std::move(message)), key(std::move(key)) {}
  std::string key;
};

std::uint64_t parse_uint(const std::string& key, const std::string& text, std::uint64_t max) {
  std::size_t used = 0;
  std::uint64_t value = 0;
  try {
    value = std::stoull(text, &used, 0);  // decimal, or 0x… hex as PIDs are usually written
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || text[0] == '-' || value > max)
    throw BadValue(key, fmt::format("expected a whole number 0..{} (decimal or 0x hex), got '{}'",
                                    max, text));
  return value;
}

// An option stored as text and converted by `convert` once parsing is done.
template <typename Convert>
po::typed_value<std::string>* checked(const std::string& key, std::string default_text,
                                      Convert convert) {
  return po::value<std::string>()->default_value(default_text)->notifier(
      [key, convert](const std::string& text) { convert(key, text); });
}

auto as_u16(std::uint16_t& target) {
  return [&target](const std::string& key, const std::string& text) {
    target = static_cast<std::uint16_t>(parse_uint(key, text, 0xFFFF));
  };
}

auto as_pid(std::uint16_t& target) {
  return [&target](const std::string& key, const std::string& text) {
    auto pid = parse_uint(key, text, 0x1FFE);
    if (pid < 0x20) throw BadValue(key, fmt::format("PID {} is reserved (0x0000..0x001F)", pid));
    target = static_cast<std::uint16_t>(pid);
  };
}

auto one_of(std::string& target, std::vector<std::string> allowed) {
  return [&target, allowed](const std::string& key, const std::string& text) {
    if (std::find(allowed.begin(), allowed.end(), text) == allowed.end())
      throw BadValue(key, fmt::format("expected one of {}, got '{}'", fmt::join(allowed, "|"),
                                      text));
    target = text;
  };
}

std::string hex4(std::uint16_t v) { return fmt::format("0x{:04X}", v); }

void add_channel_section(po::options_description& all, ChannelConfig& c) {
  po::options_description d("[channel] identity in PSI/SI and the EPG");
  d.add_options()
    ("channel.name", po::value(&c.name)->default_value(c.name), "service name (SDT), UTF-8")
    ("channel.provider", po::value(&c.provider)->default_value(c.provider), "service provider name (SDT)")
    ("channel.network_name", po::value(&c.network_name)->default_value(c.network_name), "network name (NIT)")
    ("channel.original_network_id", checked("channel.original_network_id", hex4(c.original_network_id), as_u16(c.original_network_id)), "original_network_id")
    ("channel.network_id", checked("channel.network_id", hex4(c.network_id), as_u16(c.network_id)), "network_id (NIT actual)")
    ("channel.transport_stream_id", checked("channel.transport_stream_id", std::to_string(c.transport_stream_id), as_u16(c.transport_stream_id)), "transport_stream_id")
    ("channel.service_id", checked("channel.service_id", std::to_string(c.service_id), as_u16(c.service_id)), "service_id (program_number)")
    ("channel.country", po::value(&c.country)->default_value(c.country), "ISO 3166 country code for the TOT")
    ("channel.language", po::value(&c.language)->default_value(c.language), "ISO 639-2 language of audio and EPG text")
    ("channel.timezone", checked("channel.timezone", "+08:00", [&c](const std::string& key, const std::string& text) {
        auto offset = parse_utc_offset_min(text);
        if (!offset) throw BadValue(key, fmt::format("expected a UTC offset like +08:00, got '{}'", text));
        c.utc_offset_min = *offset;
      }), "local time zone as a fixed UTC offset")
    ("channel.crid_authority", po::value(&c.crid_authority)->default_value(c.crid_authority), "CRID authority for content identifiers")
    ("channel.text_encoding", checked("channel.text_encoding", c.text_encoding, one_of(c.text_encoding, {"utf-8", "gb2312"})), "SI text encoding: utf-8 (0x15) or gb2312 (0x13)")
    ("channel.pmt_pid", checked("channel.pmt_pid", hex4(c.pmt_pid), as_pid(c.pmt_pid)), "PMT PID")
    ("channel.video_pid", checked("channel.video_pid", hex4(c.video_pid), as_pid(c.video_pid)), "video PID (also the PCR PID)")
    ("channel.audio_pid", checked("channel.audio_pid", hex4(c.audio_pid), as_pid(c.audio_pid)), "audio PID");
  all.add(d);
}

void add_schedule_section(po::options_description& all, ChannelConfig& c) {
  po::options_description d("[schedule] broadcast-day rules");
  d.add_options()
    ("schedule.day_start", checked("schedule.day_start", "06:00", [&c](const std::string& key, const std::string& text) {
        auto s = parse_clock_s(text);
        if (!s) throw BadValue(key, fmt::format("expected a local time HH:MM, got '{}'", text));
        c.day_start_s = *s;
      }), "local time at which each broadcast day (and playlist) starts")
    ("schedule.filler", po::value(&c.fillers)->composing(), "filler in rotation order, as PATH or PATH|TITLE or PATH|TITLE|loop (a looping filler takes the rest of a gap); repeat the key for each")
    ("schedule.ident", po::value(&c.ident)->default_value(""), "station ident played just before each lesson (empty: none)")
    ("schedule.ident_before_lessons", po::value(&c.ident_before_lessons)->default_value(c.ident_before_lessons), "put the ident right before every lesson when the gap allows it")
    ("schedule.slate", po::value(&c.slate)->default_value(""), "slate media for missing or broken lessons (looped)")
    ("schedule.slate_title", po::value(&c.slate_title)->default_value(c.slate_title), "EPG title when nothing is scheduled")
    ("schedule.slate_text", po::value(&c.slate_text)->default_value(c.slate_text), "EPG text when nothing is scheduled")
    ("schedule.max_loop_ms", po::value(&c.max_loop_ms)->default_value(c.max_loop_ms), "longest item a looping filler makes before the rotation moves on")
    ("schedule.missing_slot_ms", po::value(&c.missing_slot_ms)->default_value(c.missing_slot_ms), "slot length of a lesson with no end time whose media cannot be read");
  all.add(d);
}

void add_delivery_section(po::options_description& all, ChannelConfig& c) {
  SatelliteDelivery& s = c.delivery;
  po::options_description d("[delivery] satellite delivery system (NIT)");
  d.add_options()
    ("delivery.system", checked("delivery.system", s.system, one_of(s.system, {"dvb-s", "dvb-s2"})), "dvb-s or dvb-s2")
    ("delivery.orbital_position", po::value(&s.orbital_position)->default_value(s.orbital_position), "orbital position, e.g. 115.5E")
    ("delivery.frequency_khz", po::value(&s.frequency_khz)->default_value(s.frequency_khz), "downlink frequency in kHz")
    ("delivery.symbol_rate_ksps", po::value(&s.symbol_rate_ksps)->default_value(s.symbol_rate_ksps), "symbol rate in ksymbol/s")
    ("delivery.polarization", checked("delivery.polarization", s.polarization, one_of(s.polarization, {"horizontal", "vertical", "left", "right"})), "polarization")
    ("delivery.modulation", checked("delivery.modulation", s.modulation, one_of(s.modulation, {"qpsk", "8psk", "16apsk", "32apsk"})), "modulation")
    ("delivery.fec", checked("delivery.fec", s.fec, one_of(s.fec, {"1/2", "2/3", "3/4", "3/5", "4/5", "5/6", "7/8", "8/9", "9/10"})), "inner FEC")
    ("delivery.roll_off", checked("delivery.roll_off", s.roll_off, one_of(s.roll_off, {"0.35", "0.25", "0.20"})), "DVB-S2 roll-off");
  all.add(d);
}

void add_media_sections(po::options_description& all, ChannelConfig& c) {
  VideoProfile& v = c.video;
  AudioProfile& a = c.audio;
  po::options_description d("[video] [audio] [mux] the DVB profile");
  d.add_options()
    ("video.width", po::value(&v.width)->default_value(v.width), "coded width")
    ("video.height", po::value(&v.height)->default_value(v.height), "coded height")
    ("video.fps", po::value(&v.fps)->default_value(v.fps), "frames per second (25: every item is a multiple of 40 ms)")
    ("video.aspect", checked("video.aspect", v.aspect, one_of(v.aspect, {"16:9", "4:3"})), "display aspect ratio, signalled by the SAR")
    ("video.profile", checked("video.profile", v.profile, one_of(v.profile, {"main", "high"})), "H.264 profile")
    ("video.level", po::value(&v.level)->default_value(v.level), "H.264 level")
    ("video.bitrate_bps", po::value(&v.bitrate_bps)->default_value(v.bitrate_bps), "H.264 CBR bit rate")
    ("video.gop_ms", po::value(&v.gop_ms)->default_value(v.gop_ms), "longest closed GOP")
    ("video.preset", checked("video.preset", v.preset, one_of(v.preset, {"ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow"})), "libx264 preset of the headend's encoder (speed against quality)")
    ("video.threads", po::value(&v.threads)->default_value(v.threads), "libx264 threads (0: one per core)")
    ("audio.codec", checked("audio.codec", a.codec, one_of(a.codec, {"mp2", "aac"})), "mp2 (MPEG-1 Layer II) or aac (AAC-LC ADTS)")
    ("audio.sample_rate", po::value(&a.sample_rate)->default_value(a.sample_rate), "sample rate in Hz")
    ("audio.channels", po::value(&a.channels)->default_value(a.channels), "channel count")
    ("audio.bitrate_bps", po::value(&a.bitrate_bps)->default_value(a.bitrate_bps), "audio bit rate")
    ("audio.loudness_lufs", po::value(&a.loudness_lufs)->default_value(a.loudness_lufs), "integrated loudness target (EBU R128)")
    ("mux.muxrate_bps", po::value(&c.muxrate_bps)->default_value(c.muxrate_bps), "constant transport-stream rate")
    ("mux.pcr_interval_ms", po::value(&c.pcr_interval_ms)->default_value(c.pcr_interval_ms), "PCR repetition (20..40 ms)");
  all.add(d);
}

// "section.key" -> line, so errors from Boost can point at the line that caused them.
std::map<std::string, int> index_keys(const std::filesystem::path& path) {
  std::map<std::string, int> lines;
  std::ifstream in(path);
  std::string text, section;
  for (int line = 1; std::getline(in, text); ++line) {
    auto first = text.find_first_not_of(" \t");
    if (first == std::string::npos || text[first] == '#' || text[first] == ';') continue;
    if (text[first] == '[') {
      section = text.substr(first + 1, text.find(']') - first - 1);
      continue;
    }
    auto eq = text.find('=');
    if (eq == std::string::npos) continue;
    auto key = text.substr(first, eq - first);
    key.erase(key.find_last_not_of(" \t") + 1);
    lines.emplace(section.empty() ? key : section + "." + key, line);
  }
  return lines;
}

void check_consistency(const ChannelConfig& c) {
  if (c.video.fps <= 0 || 1000 % c.video.fps != 0)
    throw BadValue("video.fps", fmt::format("{} fps has no whole-millisecond frame; use 25 or 50",
                                            c.video.fps));
  if (c.max_loop_ms < 1000)
    throw BadValue("schedule.max_loop_ms", "must be at least 1000 ms");
  if (c.pcr_interval_ms < 20 || c.pcr_interval_ms > 40)
    throw BadValue("mux.pcr_interval_ms", "must be 20..40 ms (EN 300 468 / TR 101 290 2.3)");
  if (c.pmt_pid == c.video_pid || c.pmt_pid == c.audio_pid || c.video_pid == c.audio_pid)
    throw BadValue("channel.video_pid", "the PMT, video and audio PIDs must all differ");
}

}  // namespace

std::string ChannelConfig::timezone() const { return format_utc_offset(utc_offset_min); }

po::options_description channel_config_options(ChannelConfig& target) {
  po::options_description all("channel.ini keys");
  add_channel_section(all, target);
  add_schedule_section(all, target);
  add_delivery_section(all, target);
  add_media_sections(all, target);
  return all;
}

ChannelConfig load_channel_config(const std::filesystem::path& path) {
  ChannelConfig config;
  config.file = path;
  std::ifstream in(path);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot open the channel config", path.string()));
  auto options = channel_config_options(config);
  auto lines = index_keys(path);
  auto where = [&](const std::string& key) {
    auto it = lines.find(key);
    return it == lines.end() ? path.string() : fmt::format("{}:{}", path.string(), it->second);
  };
  try {
    po::variables_map vm;
    po::parsed_options parsed = po::parse_config_file(in, options, true);
    // [headend] belongs to skyclass-headend, which reads it with its own declaration.
    for (const po::option& o : parsed.options) {
      if (o.unregistered && !o.string_key.starts_with("headend."))
        throw BadValue(o.string_key, "unknown key");
    }
    po::store(parsed, vm);
    po::notify(vm);
    check_consistency(config);
  } catch (const BadValue& e) {
    throw std::runtime_error(fmt::format("{}: {}: {}", where(e.key), e.key, e.what()));
  } catch (const po::error_with_option_name& e) {
    std::string key = e.get_option_name();
    if (key.starts_with("--")) key = key.substr(2);
    throw std::runtime_error(fmt::format("{}: {}: {}", where(key), key, e.what()));
  } catch (const po::error& e) {
    throw std::runtime_error(fmt::format("{}: {}", path.string(), e.what()));
  }
  return config;
}

ChannelConfig default_channel_config() {
  ChannelConfig config;
  auto options = channel_config_options(config);
  po::variables_map vm;
  po::store(po::parsed_options(&options), vm);
  po::notify(vm);
  check_consistency(config);
  return config;
}

}  // namespace skyclass::scheduler

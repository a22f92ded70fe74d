#pragma once
// channel.ini: the channel's identity, broadcast-day rules and DVB parameters (docs/channel-config.md).
// Every key is declared once, in channel_config.cpp, with Boost.Program_options; that declaration
// gives `skyclass-scheduler config --help`, parses the INI, and is what the docs copy.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <boost/program_options/options_description.hpp>

namespace skyclass::scheduler {

struct SatelliteDelivery {
  std::string orbital_position = "115.5E";  // degrees and E|W
  std::uint32_t frequency_khz = 12'020'000;
  std::uint32_t symbol_rate_ksps = 27'500;
  std::string polarization = "horizontal";  // horizontal|vertical|left|right
  std::string modulation = "qpsk";          // qpsk|8psk|16apsk|32apsk
  std::string system = "dvb-s2";            // dvb-s|dvb-s2
  std::string fec = "3/4";
  std::string roll_off = "0.35";
};

struct VideoProfile {
  int width = 720, height = 576, fps = 25;
  std::string aspect = "16:9";
  std::string profile = "main";
  std::string level = "3.0";
  std::uint32_t bitrate_bps = 1'800'000;
  int gop_ms = 1000;
  std::string preset = "veryfast";  // libx264 preset of the headend's encoder
  int threads = 0;                  // libx264 threads, 0: libx264 decides (one per core)
};

struct AudioProfile {
  std::string codec = "mp2";  // mp2|aac
  int sample_rate = 48'000, channels = 2;
  std::uint32_t bitrate_bps = 192'000;
  double loudness_lufs = -23.0;
};

struct ChannelConfig {
  std::filesystem::path file;  // where it was read from, for messages

  // [channel]
  std::string name = "CETV-4 空中课堂";
  std::string provider = "CETV";
  std::string network_name = "中国教育电视台";
  std::uint16_t original_network_id = 0x20CB;
  std::uint16_t network_id = 0x20CB;
  std::uint16_t transport_stream_id = 4;
  std::uint16_t service_id = 404;
  std::string country = "CHN";
  std::string language = "chi";
  int utc_offset_min = 480;
  std::string crid_authority = "cetv.cn";
  std::string text_encoding = "utf-8";  // utf-8|gb2312
  std::uint16_t pmt_pid = 0x100, video_pid = 0x101, audio_pid = 0x102;

  // [schedule]
  std::int64_t day_start_s = 6 * 3600;
  std::vector<std::string> fillers;
  std::string ident;
  std::string slate;
  bool ident_before_lessons = true;
  std::int64_t max_loop_ms = 1'800'000;   // longest single item of a looping filler
  std::int64_t missing_slot_ms = 1'200'000;  // slot of a lesson without end and without media
  std::string slate_title = "节目即将恢复";
  std::string slate_text = "Programme resumes soon";

  // [delivery], [video], [audio], [mux]
  SatelliteDelivery delivery;
  VideoProfile video;
  AudioProfile audio;
  std::uint64_t muxrate_bps = 2'500'000;
  int pcr_interval_ms = 30;

  int fps() const { return video.fps; }
  std::int64_t frame_ms() const { return 1000 / video.fps; }
  std::string timezone() const;
};

// The whole declaration, grouped by INI section.
boost::program_options::options_description channel_config_options(ChannelConfig& target);

// Reads and checks the INI. Throws std::runtime_error naming the file, line and key on an unknown
// key, a bad value or an inconsistent setting.
ChannelConfig load_channel_config(const std::filesystem::path& path);

// The built-in defaults (the sample channel), checked like a loaded file.
ChannelConfig default_channel_config();

}  // namespace skyclass::scheduler

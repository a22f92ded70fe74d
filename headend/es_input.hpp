#pragma once
// The input side of a remux: which streams of a libavformat input are taken, their packets as
// mux access units (Annex B with an AUD first, ADTS, 90 kHz timestamps), and their peak rates.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "headend/adts.hpp"
#include "headend/av_raii.hpp"
#include "headend/h264_annexb.hpp"
#include "mux/multiplexer.hpp"
#include "mux/pes.hpp"

namespace skyclass::headend {

// Opens `file` with libavformat and reads its stream info. Throws std::runtime_error naming it.
av::InputFormatPtr open_input(const std::filesystem::path& file);

// One input stream the remux takes.
struct InputStream {
  int index = -1;
  mux::StreamKind kind = mux::StreamKind::h264;
  std::uint8_t stream_type = 0;  // PMT stream_type (13818-1 Table 2-34)
  std::string codec;             // libavcodec's name, for messages
  std::string where;             // "FILE: stream #N (codec)", for messages
};

struct SelectedStreams {
  InputStream video;
  InputStream audio;
};

// The first H.264 video stream, and the first MPEG-1/2 audio (libavcodec mp2 or mp3: MP2 in MP4
// is object type 0x6B, which libavformat reports as mp3) or AAC stream. MPEG audio at 32, 44.1 or
// 48 kHz is stream_type 0x03 (ISO/IEC 11172-3), at the half rates 0x04 (13818-3 LSF); AAC is
// 0x0F (ADTS). Throws std::runtime_error naming the file and listing its streams when either
// is missing.
SelectedStreams select_streams(const AVFormatContext& input, const std::filesystem::path& file);

// One access unit ready for mux::Multiplexer::push (data valid until the next convert()).
struct ConvertedAccessUnit {
  ByteView data;
  std::int64_t pts_90k = 0;
  std::int64_t dts_90k = 0;
  bool key_frame = false;
  bool inserted_aud = false;
  bool inserted_adts = false;
};

// 90 kHz presentation and decoding times of one packet.
struct Timestamps90k {
  std::int64_t pts_90k = 0;
  std::int64_t dts_90k = 0;
};

// Converts the packets of one input stream, in decoding order: H.264 to Annex B with an access
// unit delimiter first; raw AAC (MP4) gets an ADTS header built from the AudioSpecificConfig; MPEG
// audio and ADTS pass through. Length-prefixed (avcC) H.264 is converted in one pass into a
// buffer the converter keeps, by the rules of libavcodec 5.x's h264_mp4toannexb (which still
// checks the avcC when the converter is made): the same bytes as that filter followed by
// access_unit_with_delimiter, without a packet reference, allocation or second copy per packet. Timestamps are rescaled to 90 kHz
// (rounded to nearest); a missing DTS is the PTS, a missing PTS the DTS, and a packet with neither
// follows the previous one by its duration. Errors name the file, stream and DTS.
class EsConverter {
 public:
  EsConverter(const AVStream& stream, const InputStream& selected);

  const InputStream& input() const { return input_; }

  // Must be called once per packet, in stream order (missing timestamps follow the previous).
  Timestamps90k timestamps(const AVPacket& packet);
  // The packet as an access unit, with the timestamps timestamps() gave for it.
  ConvertedAccessUnit convert(const AVPacket& packet, const Timestamps90k& times);

  std::uint64_t access_units() const { return access_units_; }

 private:
  InputStream input_;
  AVRational time_base_{};
  std::optional<AnnexBConverter> annex_b_;
  // h264_mp4toannexb on an avcC stream, done here (see above).
  struct Avcc {
    Bytes parameter_sets;  // the avcC's SPS then PPS units, each after 00 00 00 01
    std::size_t sps_size = 0;  // bytes of parameter_sets that are the SPS units
    std::size_t length_size = 4;
    // The filter's state between packets.
    bool new_idr = true;
    bool sps_seen = false;
    bool pps_seen = false;
  };
  ByteView avcc_to_annex_b_with_delimiter(const AVPacket& packet, bool& inserted_aud);

  std::optional<AdtsConfig> adts_;  // set for raw AAC
  std::optional<Avcc> avcc_;        // set for length-prefixed H.264
  Bytes out_;                       // avcC output: its size is the capacity, grown, never shrunk
  Bytes scratch_;
  std::optional<std::int64_t> last_dts_90k_;
  std::uint64_t access_units_ = 0;
};

// The rate each stream needs: the lowest constant rate at which every access unit, sent no
// earlier than `lead_90k` before its DTS (the mux delay), has arrived by its DTS. That is the
// largest bytes(window) / (window + lead) over every window of decoding time, so a short burst
// (an IDR) counts against the time the mux can spread it over. In bit/s, rounded up to 1000, with
// the bytes the conversion adds (AUD, SPS/PPS before key frames, ADTS headers). Read from the
// sample index when the container has a complete one (MP4/MOV: no packet is read), else by
// reading every packet of the file once. Throws std::runtime_error naming the file and stream.
struct SizedAccessUnit {
  std::int64_t dts_90k = 0;
  std::uint64_t bytes = 0;
};
// The rate for these access units, as above (within 2000 bit/s above the exact bound). Throws
// std::invalid_argument for an empty list.
std::uint64_t needed_rate_bps(std::vector<SizedAccessUnit> units, std::int64_t lead_90k);

struct PeakRates {
  std::uint64_t video_bps = 0;
  std::uint64_t audio_bps = 0;
  bool from_index = false;
};
PeakRates scan_peak_rates(AVFormatContext& input, const SelectedStreams& streams,
                          const std::filesystem::path& file, std::int64_t lead_90k);

// 14496-3 AudioSpecificConfig -> ADTS header fields, the error naming `where`.
AdtsConfig adts_config_for(const AVCodecParameters& parameters, const std::string& where);

}  // namespace skyclass::headend

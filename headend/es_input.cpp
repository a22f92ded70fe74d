#include "headend/es_input.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include <fmt/format.h>

extern "C" {
#include <libavutil/mathematics.h>
}

#include "mux/tables/pmt.hpp"

namespace skyclass::headend {
namespace {

constexpr AVRational kTimeBase90k{1, 90'000};

std::int64_t to_90k(std::int64_t t, AVRational time_base) {
  return av_rescale_q_rnd(t, time_base, kTimeBase90k,
                          static_cast<AVRounding>(AV_ROUND_NEAR_INF | AV_ROUND_PASS_MINMAX));
}

std::string codec_name(const AVCodecParameters& p) {
  return avcodec_get_name(p.codec_id);
}

std::string stream_where(const std::filesystem::path& file, int index, const std::string& codec) {
  return fmt::format("{}: stream #{} ({})", file.string(), index, codec);
}

bool is_mpeg_audio(AVCodecID id) {
  return id == AV_CODEC_ID_MP2 || id == AV_CODEC_ID_MP3;
}

std::string list_streams(const AVFormatContext& input) {
  std::string list;
  for (unsigned i = 0; i < input.nb_streams; ++i) {
    const AVCodecParameters& p = *input.streams[i]->codecpar;
    list += fmt::format(
        "{}#{} {} {}", list.empty() ? "" : ", ", i,
        av_get_media_type_string(p.codec_type) ? av_get_media_type_string(p.codec_type) : "unknown",
        codec_name(p));
  }
  return list.empty() ? std::string("none") : list;
}

std::string dts_text(std::int64_t dts) {
  return dts == AV_NOPTS_VALUE ? std::string("unset") : std::to_string(dts);
}

// Bytes the conversion adds to a packet: the AUD, the SPS/PPS before key frames of an avcC
// stream (at most the extradata), the ADTS header of raw AAC.
struct ConversionOverhead {
  std::size_t per_packet = 0;
  std::size_t per_key_frame = 0;
};

ConversionOverhead overhead_of(const AVCodecParameters& p, mux::StreamKind kind) {
  const ByteView extradata(p.extradata, static_cast<std::size_t>(std::max(p.extradata_size, 0)));
  switch (kind) {
    case mux::StreamKind::h264:
      return {sizeof kAccessUnitDelimiter, is_avcc_extradata(extradata) ? extradata.size() : 0};
    case mux::StreamKind::aac_adts:
      return {kAdtsHeaderBytes, 0};
    case mux::StreamKind::mpeg_audio:
      return {0, 0};
  }
  return {};
}

using SizedUnit = SizedAccessUnit;

[[noreturn]] void fail_packet(const std::string& where, std::int64_t dts, const std::string& what) {
  throw std::runtime_error(fmt::format("{}: packet with DTS {}: {}", where, dts_text(dts), what));
}

constexpr std::size_t kNoStartCode = std::numeric_limits<std::size_t>::max();

// Offset of the first 00 00 01 at or after `from`, found the way access_unit_with_delimiter finds
// it (memchr for the 01 byte), or kNoStartCode.
std::size_t find_start_code(ByteView data, std::size_t from) {
  std::size_t i = from + 2;
  while (i < data.size()) {
    const void* hit = std::memchr(data.data() + i, 0x01, data.size() - i);
    if (hit == nullptr) return kNoStartCode;
    const auto j = static_cast<std::size_t>(static_cast<const std::uint8_t*>(hit) - data.data());
    if (data[j - 1] == 0 && data[j - 2] == 0) return j - 2;
    i = j + 1;
  }
  return kNoStartCode;
}

// What access_unit_with_delimiter does with `au`: true when it returns kAccessUnitDelimiter
// followed by all of `au` (it starts with a start code, its first NAL unit is not an AUD, and its
// walk up to the first slice meets no AUD to drop); false when it does anything else.
bool delimiter_goes_in_front(ByteView au) {
  std::size_t sc = find_start_code(au, 0);
  if (sc == kNoStartCode) return false;
  if (sc + 3 < au.size() && (au[sc + 3] & 0x1F) == kNalTypeAud) return false;
  while (sc != kNoStartCode) {
    const std::size_t payload = sc + 3;
    const std::uint8_t type = payload < au.size() ? au[payload] & 0x1F : 0;
    if (type >= 1 && type <= 5) return true;
    if (type == kNalTypeAud) return false;
    sc = find_start_code(au, payload);
  }
  return true;
}

// Can a constant-rate server deliver every unit (in DTS order) no earlier than `lead_90k` before
// its DTS and no later than its DTS? Times in 90 kHz ticks, work in bits; exact integer
// arithmetic (finish times are kept as bit x 90 kHz products).
bool deliverable(const std::vector<SizedUnit>& units, std::uint64_t rate_bps,
                 std::int64_t lead_90k) {
  const auto rate = static_cast<__int128>(rate_bps);
  __int128 free_at = std::numeric_limits<std::int64_t>::min();  // in ticks x rate
  for (const SizedUnit& u : units) {
    const __int128 release = static_cast<__int128>(u.dts_90k - lead_90k) * rate;
    const __int128 finish =
        std::max(free_at, release) + static_cast<__int128>(u.bytes) * 8 * 90'000;
    if (finish > static_cast<__int128>(u.dts_90k) * rate) return false;
    free_at = finish;
  }
  return true;
}

bool has_complete_index(const AVFormatContext& input, const SelectedStreams& s) {
  const std::string_view name = input.iformat ? input.iformat->name : "";
  if (name.find("mp4") == std::string_view::npos && name.find("mov") == std::string_view::npos) {
    return false;
  }
  for (int index : {s.video.index, s.audio.index}) {
    AVStream* st = input.streams[index];
    const int entries = avformat_index_get_entries_count(st);
    if (entries <= 0 || (st->nb_frames > 0 && entries < st->nb_frames)) return false;
  }
  return true;
}

void collect_from_index(AVStream* st, const ConversionOverhead& extra,
                        std::vector<SizedUnit>& units) {
  const int entries = avformat_index_get_entries_count(st);
  units.reserve(static_cast<std::size_t>(entries));
  for (int i = 0; i < entries; ++i) {
    const AVIndexEntry* e = avformat_index_get_entry(st, i);
    const bool key = (e->flags & AVINDEX_KEYFRAME) != 0;
    units.push_back({to_90k(e->timestamp, st->time_base),
                     e->size + extra.per_packet + (key ? extra.per_key_frame : 0)});
  }
}

}  // namespace

std::uint64_t needed_rate_bps(std::vector<SizedAccessUnit> units, std::int64_t lead_90k) {
  if (units.empty()) throw std::invalid_argument("no access units");
  std::stable_sort(
      units.begin(), units.end(),
      [](const SizedAccessUnit& a, const SizedAccessUnit& b) { return a.dts_90k < b.dts_90k; });
  std::uint64_t low = 0, high = 1000;  // low fails (or is 0), high delivers
  while (!deliverable(units, high, lead_90k)) {
    low = high;
    high *= 2;
  }
  while (high - low > 1000) {
    const std::uint64_t mid = low + (high - low) / 2;
    (deliverable(units, mid, lead_90k) ? high : low) = mid;
  }
  return (high + 999) / 1000 * 1000;
}

av::InputFormatPtr open_input(const std::filesystem::path& file) {
  AVFormatContext* raw = nullptr;
  int ret = avformat_open_input(&raw, file.c_str(), nullptr, nullptr);
  if (ret < 0) {
    throw std::runtime_error(fmt::format("{}: cannot open: {}", file.string(), av::av_error(ret)));
  }
  av::InputFormatPtr input(raw);
  ret = avformat_find_stream_info(input.get(), nullptr);
  if (ret < 0) {
    throw std::runtime_error(
        fmt::format("{}: cannot read the stream info: {}", file.string(), av::av_error(ret)));
  }
  return input;
}

SelectedStreams select_streams(const AVFormatContext& input, const std::filesystem::path& file) {
  SelectedStreams s;
  for (unsigned i = 0; i < input.nb_streams; ++i) {
    const AVStream& st = *input.streams[i];
    const AVCodecParameters& p = *st.codecpar;
    const int index = static_cast<int>(i);
    if (s.video.index < 0 && p.codec_type == AVMEDIA_TYPE_VIDEO && p.codec_id == AV_CODEC_ID_H264 &&
        !(st.disposition & AV_DISPOSITION_ATTACHED_PIC)) {
      s.video = {index, mux::StreamKind::h264, mux::kStreamTypeH264, codec_name(p),
                 stream_where(file, index, codec_name(p))};
    } else if (s.audio.index < 0 && p.codec_type == AVMEDIA_TYPE_AUDIO &&
               (is_mpeg_audio(p.codec_id) || p.codec_id == AV_CODEC_ID_AAC)) {
      const bool aac = p.codec_id == AV_CODEC_ID_AAC;
      // MPEG-1 rates are 32, 44.1 and 48 kHz; the MPEG-2 low sampling frequencies are half those.
      const std::uint8_t type = aac                      ? mux::kStreamTypeAacAdts
                                : p.sample_rate >= 32000 ? mux::kStreamTypeMpeg1Audio
                                                         : mux::kStreamTypeMpeg2Audio;
      s.audio = {index, aac ? mux::StreamKind::aac_adts : mux::StreamKind::mpeg_audio, type,
                 codec_name(p), stream_where(file, index, codec_name(p))};
    }
  }
  if (s.video.index < 0) {
    throw std::runtime_error(
        fmt::format("{}: no H.264 video stream (streams: {})", file.string(), list_streams(input)));
  }
  if (s.audio.index < 0) {
    throw std::runtime_error(
        fmt::format("{}: no MPEG-1/2 audio (mp2, mp3) or AAC stream (streams: {})", file.string(),
                    list_streams(input)));
  }
  return s;
}

AdtsConfig adts_config_for(const AVCodecParameters& p, const std::string& where) {
  if (p.extradata == nullptr || p.extradata_size <= 0) {
    throw std::runtime_error(fmt::format(
        "{}: raw AAC without an AudioSpecificConfig: cannot build ADTS headers", where));
  }
  try {
    return adts_config_from_audio_specific_config(
        ByteView(p.extradata, static_cast<std::size_t>(p.extradata_size)));
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(fmt::format("{}: {}", where, e.what()));
  }
}

EsConverter::EsConverter(const AVStream& stream, const InputStream& selected)
    : input_(selected), time_base_(stream.time_base) {
  if (input_.kind == mux::StreamKind::h264) {
    // The filter's init checks the avcC (and names the stream when it is broken); the packets are
    // then converted here, by its rules.
    annex_b_.emplace(*stream.codecpar, stream.time_base, input_.where);
    if (annex_b_->filtering()) {
      const AVCodecParameters& p = *stream.codecpar;
      const ByteView e(p.extradata, static_cast<std::size_t>(p.extradata_size));
      Avcc a;
      a.length_size = (e[4] & 0x3u) + 1;
      std::size_t pos = 5;
      auto byte_at = [&](std::size_t i) -> std::uint8_t {
        if (i >= e.size()) {
          throw std::runtime_error(fmt::format("{}: avcC extradata truncated", input_.where));
        }
        return e[i];
      };
      auto take_units = [&](unsigned count) {
        while (count-- > 0) {
          const std::size_t size = static_cast<std::size_t>(byte_at(pos)) << 8 | byte_at(pos + 1);
          pos += 2;
          if (size > 0) (void)byte_at(pos + size - 1);
          a.parameter_sets.insert(a.parameter_sets.end(), {0x00, 0x00, 0x00, 0x01});
          a.parameter_sets.insert(a.parameter_sets.end(), e.begin() + static_cast<long>(pos),
                                  e.begin() + static_cast<long>(pos + size));
          pos += size;
        }
      };
      take_units(byte_at(pos++) & 0x1Fu);  // numOfSequenceParameterSets
      a.sps_size = a.parameter_sets.size();
      take_units(byte_at(pos++));  // numOfPictureParameterSets
      avcc_ = std::move(a);
      out_.resize(4096);  // grown to the largest access unit, then no allocation per packet
    }
  } else if (input_.kind == mux::StreamKind::aac_adts && stream.codecpar->extradata_size > 0) {
    adts_ = adts_config_for(*stream.codecpar, input_.where);
  }
}

Timestamps90k EsConverter::timestamps(const AVPacket& packet) {
  std::int64_t dts = packet.dts != AV_NOPTS_VALUE ? packet.dts : packet.pts;
  std::int64_t pts = packet.pts != AV_NOPTS_VALUE ? packet.pts : dts;
  Timestamps90k t;
  if (dts == AV_NOPTS_VALUE) {
    if (!last_dts_90k_ || packet.duration <= 0) {
      throw std::runtime_error(fmt::format(
          "{}: the packet at byte {} has no PTS, no DTS and nothing to derive them from",
          input_.where, packet.pos));
    }
    t.dts_90k = t.pts_90k = *last_dts_90k_ + to_90k(packet.duration, time_base_);
  } else {
    t.dts_90k = to_90k(dts, time_base_);
    t.pts_90k = to_90k(pts, time_base_);
  }
  last_dts_90k_ = t.dts_90k;
  return t;
}

ConvertedAccessUnit EsConverter::convert(const AVPacket& packet, const Timestamps90k& times) {
  ConvertedAccessUnit au;
  au.pts_90k = times.pts_90k;
  au.dts_90k = times.dts_90k;
  au.key_frame = (packet.flags & AV_PKT_FLAG_KEY) != 0;
  const ByteView data(packet.data, static_cast<std::size_t>(std::max(packet.size, 0)));
  switch (input_.kind) {
    case mux::StreamKind::h264: {
      if (avcc_) {
        au.data = avcc_to_annex_b_with_delimiter(packet, au.inserted_aud);
        break;
      }
      const ByteView annex_b = annex_b_->convert(packet);
      au.data = access_unit_with_delimiter(annex_b, scratch_);
      au.inserted_aud = au.data.data() != annex_b.data();
      break;
    }
    case mux::StreamKind::aac_adts:
      if (starts_with_adts(data)) {
        au.data = data;
        break;
      }
      if (!adts_) {
        throw std::runtime_error(fmt::format(
            "{}: packet with DTS {} is raw AAC but the stream has no AudioSpecificConfig",
            input_.where, dts_text(packet.dts)));
      }
      try {
        const auto header = adts_header(*adts_, data.size());
        scratch_.assign(header.begin(), header.end());
      } catch (const std::invalid_argument& e) {
        throw std::runtime_error(fmt::format("{}: packet with DTS {}: {}", input_.where,
                                             dts_text(packet.dts), e.what()));
      }
      scratch_.insert(scratch_.end(), data.begin(), data.end());
      au.data = scratch_;
      au.inserted_adts = true;
      break;
    case mux::StreamKind::mpeg_audio:
      au.data = data;
      break;
  }
  ++access_units_;
  return au;
}

// libavcodec 5.x h264_mp4toannexb_filter(), packet by packet, writing after room for the AUD.
ByteView EsConverter::avcc_to_annex_b_with_delimiter(const AVPacket& packet, bool& inserted_aud) {
  Avcc& a = *avcc_;
  // The filter's error, as AnnexBConverter reports it (the filter runs on receive).
  static const std::string kFilterFailed =
      "h264_mp4toannexb gave no packet: " + av::av_error(AVERROR_INVALIDDATA);
  if (packet.size <= 0 || packet.data == nullptr) {
    fail_packet(input_.where, packet.dts, kFilterFailed);
  }
  const std::uint8_t* buf = packet.data;
  const std::uint8_t* const end = packet.data + packet.size;
  // The filter reads a byte or two past a NAL unit (into the packet's zeroed padding) in places.
  auto byte_at = [end](const std::uint8_t* p) -> std::uint8_t { return p < end ? *p : 0; };
  constexpr std::size_t kBase = sizeof kAccessUnitDelimiter;
  std::size_t n = kBase;
  auto emit = [&](const std::uint8_t* in, std::size_t size, int parameter_set) {
    const std::size_t start_code = parameter_set < 0 ? 0 : n == kBase || parameter_set ? 4 : 3;
    const std::size_t need = n + start_code + size;
    if (need > out_.size()) out_.resize(std::max(need, out_.size() * 2));
    std::uint8_t* o = out_.data() + n;
    if (start_code == 4) {
      o[0] = o[1] = o[2] = 0;
      o[3] = 1;
    } else if (start_code == 3) {
      o[0] = o[1] = 0;
      o[2] = 1;
    }
    if (size > 0) std::memcpy(o + start_code, in, size);
    n = need;
  };
  bool new_idr = a.new_idr, sps_seen = a.sps_seen, pps_seen = a.pps_seen;
  constexpr std::uint8_t kSps = 7, kPps = 8, kIdr = 5, kSlice = 1;
  do {
    if (end - buf < static_cast<std::ptrdiff_t>(a.length_size)) {
      fail_packet(input_.where, packet.dts, kFilterFailed);
    }
    std::uint32_t nal_size = 0;
    for (std::size_t i = 0; i < a.length_size; ++i) nal_size = (nal_size << 8) | buf[i];
    buf += a.length_size;
    if (static_cast<std::int64_t>(nal_size) > end - buf) {
      fail_packet(input_.where, packet.dts, kFilterFailed);
    }
    if (nal_size == 0) continue;  // an empty NAL unit is dropped
    const std::uint8_t unit_type = buf[0] & 0x1F;
    if (unit_type == kSps) {
      sps_seen = new_idr = true;
    } else if (unit_type == kPps) {
      pps_seen = new_idr = true;
      if (!sps_seen && a.sps_size > 0) {  // the avcC's SPS before a PPS without one
        emit(a.parameter_sets.data(), a.sps_size, -1);
        sps_seen = true;
      }
    }
    // An IDR picture right after another: first_mb_in_slice 0 starts it.
    if (!new_idr && unit_type == kIdr && (byte_at(buf + 1) & 0x80)) new_idr = true;
    if (new_idr && unit_type == kIdr && !sps_seen && !pps_seen) {
      if (!a.parameter_sets.empty()) emit(a.parameter_sets.data(), a.parameter_sets.size(), -1);
      new_idr = false;
    } else if (new_idr && unit_type == kIdr && sps_seen && !pps_seen &&
               a.parameter_sets.size() > a.sps_size) {
      emit(a.parameter_sets.data() + a.sps_size, a.parameter_sets.size() - a.sps_size, -1);
    }
    emit(buf, nal_size, unit_type == kSps || unit_type == kPps);
    if (!new_idr && unit_type == kSlice) {
      new_idr = true;
      sps_seen = pps_seen = false;
    }
    buf += nal_size;
  } while (buf < end);
  a.new_idr = new_idr;
  a.sps_seen = sps_seen;
  a.pps_seen = pps_seen;

  const ByteView annex_b(out_.data() + kBase, n - kBase);
  if (!starts_with_start_code(annex_b)) {
    fail_packet(input_.where, packet.dts,
                "H.264 data is neither Annex B nor length-prefixed with avcC extradata");
  }
  if (delimiter_goes_in_front(annex_b)) {  // the usual case: no second copy
    std::memcpy(out_.data(), kAccessUnitDelimiter, kBase);
    inserted_aud = true;
    return ByteView(out_.data(), n);
  }
  const ByteView au = access_unit_with_delimiter(annex_b, scratch_);
  inserted_aud = au.data() != annex_b.data();
  return au;
}

PeakRates scan_peak_rates(AVFormatContext& input, const SelectedStreams& s,
                          const std::filesystem::path& file, std::int64_t lead_90k) {
  AVStream* video = input.streams[s.video.index];
  AVStream* audio = input.streams[s.audio.index];
  const ConversionOverhead video_extra = overhead_of(*video->codecpar, s.video.kind);
  const ConversionOverhead audio_extra = overhead_of(*audio->codecpar, s.audio.kind);
  std::vector<SizedUnit> video_units, audio_units;
  PeakRates rates;
  rates.from_index = has_complete_index(input, s);
  if (rates.from_index) {
    collect_from_index(video, video_extra, video_units);
    collect_from_index(audio, audio_extra, audio_units);
  } else {
    // No complete index (MPEG-TS, Matroska): read the file once with a second context, so the
    // caller's context stays at the start.
    av::InputFormatPtr scan = open_input(file);
    av::PacketPtr packet = av::make_packet();
    for (;;) {
      const int ret = av_read_frame(scan.get(), packet.get());
      if (ret == AVERROR_EOF) break;
      if (ret < 0) {
        throw std::runtime_error(fmt::format("{}: reading for the rate scan failed: {}",
                                             file.string(), av::av_error(ret)));
      }
      const bool is_video = packet->stream_index == s.video.index;
      if (is_video || packet->stream_index == s.audio.index) {
        const AVStream* st = scan->streams[packet->stream_index];
        const ConversionOverhead& extra = is_video ? video_extra : audio_extra;
        const std::int64_t dts = packet->dts != AV_NOPTS_VALUE ? packet->dts : packet->pts;
        if (dts != AV_NOPTS_VALUE) {
          const bool key = (packet->flags & AV_PKT_FLAG_KEY) != 0;
          (is_video ? video_units : audio_units)
              .push_back({to_90k(dts, st->time_base), static_cast<std::uint64_t>(packet->size) +
                                                          extra.per_packet +
                                                          (key ? extra.per_key_frame : 0)});
        }
      }
      av_packet_unref(packet.get());
    }
  }
  for (auto [units, bps, where] : {std::tuple{&video_units, &rates.video_bps, &s.video.where},
                                   std::tuple{&audio_units, &rates.audio_bps, &s.audio.where}}) {
    if (units->empty()) throw std::runtime_error(fmt::format("{}: no packets", *where));
    *bps = needed_rate_bps(std::move(*units), lead_90k);
  }
  return rates;
}

}  // namespace skyclass::headend

#include "headend/h264_annexb.hpp"

#include <algorithm>
#include <cstring>
#include <limits>
#include <stdexcept>

#include <fmt/format.h>

namespace skyclass::headend {
namespace {

constexpr std::size_t kNotFound = std::numeric_limits<std::size_t>::max();

// Offset of the first 00 00 01 at or after `from`, or kNotFound. Searching for the 01 byte with
// memchr keeps this fast on slice data, where zero runs are rare (emulation prevention).
std::size_t find_00_00_01(ByteView data, std::size_t from) {
  std::size_t i = from + 2;
  while (i < data.size()) {
    const void* hit = std::memchr(data.data() + i, 0x01, data.size() - i);
    if (hit == nullptr) return kNotFound;
    const auto j = static_cast<std::size_t>(static_cast<const std::uint8_t*>(hit) - data.data());
    if (data[j - 1] == 0 && data[j - 2] == 0) return j - 2;
    i = j + 1;
  }
  return kNotFound;
}

// End of the NAL unit whose payload starts at `payload` when the next 00 00 01 is at `next`:
// a zero byte right before it is the zero_byte of a 4-byte start code.
std::size_t nal_end(ByteView data, std::size_t payload, std::size_t next) {
  if (next == kNotFound) return data.size();
  return next > payload && data[next - 1] == 0 ? next - 1 : next;
}

[[noreturn]] void fail(const std::string& where, std::int64_t dts, const std::string& what) {
  throw std::runtime_error(
      fmt::format("{}: packet with DTS {}: {}", where,
                  dts == AV_NOPTS_VALUE ? std::string("unset") : std::to_string(dts), what));
}

}  // namespace

bool starts_with_start_code(ByteView d) {
  if (d.size() >= 3 && d[0] == 0 && d[1] == 0 && d[2] == 1) return true;
  return d.size() >= 4 && d[0] == 0 && d[1] == 0 && d[2] == 0 && d[3] == 1;
}

std::vector<NalUnit> split_annex_b(ByteView data) {
  std::vector<NalUnit> nals;
  std::size_t sc = find_00_00_01(data, 0);
  while (sc != kNotFound) {
    const std::size_t begin = sc > 0 && data[sc - 1] == 0 ? sc - 1 : sc;
    const std::size_t payload = sc + 3;
    const std::size_t next = find_00_00_01(data, payload);
    const std::size_t end = nal_end(data, payload, next);
    nals.push_back(NalUnit{begin, payload - begin, data.subspan(payload, end - payload)});
    sc = next;
  }
  return nals;
}

ByteView access_unit_with_delimiter(ByteView au, Bytes& scratch) {
  std::size_t sc = find_00_00_01(au, 0);
  if (sc == kNotFound) return au;
  if (sc + 3 < au.size() && (au[sc + 3] & 0x1F) == kNalTypeAud) return au;
  scratch.clear();
  scratch.reserve(au.size() + sizeof kAccessUnitDelimiter);
  scratch.insert(scratch.end(), std::begin(kAccessUnitDelimiter), std::end(kAccessUnitDelimiter));
  // Walk the NAL units up to the first slice (H.264 7.4.1.2.3: an AUD can only come before it),
  // then take the slice data in one copy without scanning it.
  std::size_t begin = 0;  // bytes before the first start code (zeros) go with the first NAL unit
  while (sc != kNotFound) {
    const std::size_t payload = sc + 3;
    const std::uint8_t type = payload < au.size() ? au[payload] & 0x1F : 0;
    if (type >= 1 && type <= 5) break;  // coded slice: the rest of the access unit
    const std::size_t next = find_00_00_01(au, payload);
    const std::size_t end = nal_end(au, payload, next);
    if (type != kNalTypeAud) scratch.insert(scratch.end(), au.begin() + begin, au.begin() + end);
    begin = end;
    sc = next;
  }
  scratch.insert(scratch.end(), au.begin() + begin, au.end());
  return scratch;
}

bool is_avcc_extradata(ByteView extradata) {
  return extradata.size() >= 7 && extradata[0] == 1;
}

AnnexBConverter::AnnexBConverter(const AVCodecParameters& parameters, AVRational time_base,
                                 std::string where)
    : where_(std::move(where)) {
  const ByteView extradata(parameters.extradata,
                           static_cast<std::size_t>(std::max(parameters.extradata_size, 0)));
  if (!is_avcc_extradata(extradata)) return;  // Annex B already
  const AVBitStreamFilter* filter = av_bsf_get_by_name("h264_mp4toannexb");
  if (filter == nullptr) {
    throw std::runtime_error(
        fmt::format("{}: this libavcodec has no h264_mp4toannexb bitstream filter", where_));
  }
  auto check = [&](int ret, const char* what) {
    if (ret < 0) {
      throw std::runtime_error(fmt::format("{}: {} failed: {}", where_, what, av::av_error(ret)));
    }
  };
  AVBSFContext* raw = nullptr;
  check(av_bsf_alloc(filter, &raw), "av_bsf_alloc(h264_mp4toannexb)");
  bsf_.reset(raw);
  check(avcodec_parameters_copy(bsf_->par_in, &parameters), "avcodec_parameters_copy");
  bsf_->time_base_in = time_base;
  check(av_bsf_init(bsf_.get()), "h264_mp4toannexb init (avcC extradata)");
  in_ = av::make_packet();
  out_ = av::make_packet();
}

ByteView AnnexBConverter::convert(const AVPacket& packet) {
  ByteView result;
  if (!bsf_) {
    result = ByteView(packet.data, static_cast<std::size_t>(std::max(packet.size, 0)));
  } else {
    av_packet_unref(out_.get());
    int ret = av_packet_ref(in_.get(), &packet);
    if (ret < 0) fail(where_, packet.dts, "av_packet_ref: " + av::av_error(ret));
    ret = av_bsf_send_packet(bsf_.get(), in_.get());  // takes the reference, leaves in_ blank
    if (ret < 0) {
      av_packet_unref(in_.get());
      fail(where_, packet.dts, "h264_mp4toannexb: " + av::av_error(ret));
    }
    ret = av_bsf_receive_packet(bsf_.get(), out_.get());
    if (ret < 0) fail(where_, packet.dts, "h264_mp4toannexb gave no packet: " + av::av_error(ret));
    result = ByteView(out_->data, static_cast<std::size_t>(out_->size));
  }
  if (!starts_with_start_code(result)) {
    fail(where_, packet.dts,
         "H.264 data is neither Annex B nor length-prefixed with avcC extradata");
  }
  return result;
}

}  // namespace skyclass::headend

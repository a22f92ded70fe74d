#pragma once
// RAII owners the sample generator needs beyond headend/av_raii.hpp (filter graph, dictionary),
// and one error helper that turns an AVERROR into a message naming the file being written.
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "headend/av_raii.hpp"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavfilter/avfilter.h>
#include <libavformat/avformat.h>
#include <libavutil/dict.h>
#include <libavutil/error.h>
#include <libavutil/frame.h>
}

namespace skyclass::tools::av {

// The owners shared with the headend (one definition of each deleter in the project).
using headend::av::CodecContextPtr;
using headend::av::FramePtr;
using headend::av::OutputFormatPtr;
using headend::av::PacketPtr;

struct FilterGraphDeleter {
  void operator()(AVFilterGraph* graph) const noexcept { avfilter_graph_free(&graph); }
};

using FilterGraphPtr = std::unique_ptr<AVFilterGraph, FilterGraphDeleter>;

// An AVDictionary owned by value; `slot()` hands its address to the libav calls that fill or
// consume it (avcodec_open2, avformat_write_header, avfilter_init_dict).
class Dictionary {
 public:
  Dictionary() = default;
  Dictionary(const Dictionary&) = delete;
  Dictionary& operator=(const Dictionary&) = delete;
  ~Dictionary() { av_dict_free(&dict_); }

  void set(const char* key, const std::string& value) {
    av_dict_set(&dict_, key, value.c_str(), 0);
  }
  AVDictionary** slot() { return &dict_; }
  // The first key a libav call left unconsumed (an option it does not know), or "" if none.
  std::string first_unused_key() const {
    const AVDictionaryEntry* entry = av_dict_get(dict_, "", nullptr, AV_DICT_IGNORE_SUFFIX);
    return entry ? entry->key : "";
  }

 private:
  AVDictionary* dict_ = nullptr;
};

inline std::string error_text(int averror) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  if (av_strerror(averror, text, sizeof text) < 0) return fmt::format("unknown error {}", averror);
  return text;
}

// "<file>: <what> failed: <av_strerror text>".
[[noreturn]] inline void throw_error(int averror, std::string_view what,
                                     const std::filesystem::path& file) {
  throw std::runtime_error(
      fmt::format("{}: {} failed: {}", file.string(), what, error_text(averror)));
}

// Passes a non-negative libav return code through; throws for an AVERROR.
inline int check(int ret, std::string_view what, const std::filesystem::path& file) {
  if (ret < 0) throw_error(ret, what, file);
  return ret;
}

inline FramePtr make_frame(const std::filesystem::path& file) {
  FramePtr frame(av_frame_alloc());
  if (!frame) throw_error(AVERROR(ENOMEM), "av_frame_alloc", file);
  return frame;
}

inline PacketPtr make_packet(const std::filesystem::path& file) {
  PacketPtr packet(av_packet_alloc());
  if (!packet) throw_error(AVERROR(ENOMEM), "av_packet_alloc", file);
  return packet;
}

inline FilterGraphPtr make_filter_graph(const std::filesystem::path& file) {
  FilterGraphPtr graph(avfilter_graph_alloc());
  if (!graph) throw_error(AVERROR(ENOMEM), "avfilter_graph_alloc", file);
  return graph;
}

}  // namespace skyclass::tools::av

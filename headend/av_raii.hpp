#pragma once
// RAII owners for the libav* objects the headend uses, so no av_*_free is left to chance, and
// av_error() to turn an AVERROR into text for messages that name the file and stream.
#include <memory>
#include <new>
#include <string>

#include <fmt/format.h>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavcodec/bsf.h>
#include <libavfilter/avfilter.h>
#include <libavformat/avformat.h>
#include <libavutil/error.h>
#include <libavutil/frame.h>
#include <libswresample/swresample.h>
#include <libswscale/swscale.h>
}

namespace skyclass::headend::av {

// An input opened with avformat_open_input: avformat_close_input also closes its AVIOContext.
struct InputFormatDeleter {
  void operator()(AVFormatContext* ctx) const noexcept { avformat_close_input(&ctx); }
};
// An output context: closes the AVIOContext the muxer opened (not a caller-owned custom one).
struct OutputFormatDeleter {
  void operator()(AVFormatContext* ctx) const noexcept {
    if (!ctx) return;
    if (ctx->pb && ctx->oformat && !(ctx->oformat->flags & AVFMT_NOFILE) &&
        !(ctx->flags & AVFMT_FLAG_CUSTOM_IO)) {
      avio_closep(&ctx->pb);
    }
    avformat_free_context(ctx);
  }
};
struct CodecContextDeleter {
  void operator()(AVCodecContext* ctx) const noexcept { avcodec_free_context(&ctx); }
};
struct PacketDeleter {
  void operator()(AVPacket* packet) const noexcept { av_packet_free(&packet); }
};
struct FrameDeleter {
  void operator()(AVFrame* frame) const noexcept { av_frame_free(&frame); }
};
struct BsfContextDeleter {
  void operator()(AVBSFContext* ctx) const noexcept { av_bsf_free(&ctx); }
};
// A custom AVIOContext from avio_alloc_context: frees its buffer too (libav may have replaced it).
struct IoContextDeleter {
  void operator()(AVIOContext* io) const noexcept {
    if (!io) return;
    av_freep(&io->buffer);
    avio_context_free(&io);
  }
};

struct SwsDeleter {
  void operator()(SwsContext* ctx) const noexcept { sws_freeContext(ctx); }
};
struct SwrDeleter {
  void operator()(SwrContext* ctx) const noexcept { swr_free(&ctx); }
};
struct FilterGraphDeleter {
  void operator()(AVFilterGraph* graph) const noexcept { avfilter_graph_free(&graph); }
};

using InputFormatPtr = std::unique_ptr<AVFormatContext, InputFormatDeleter>;
using OutputFormatPtr = std::unique_ptr<AVFormatContext, OutputFormatDeleter>;
using CodecContextPtr = std::unique_ptr<AVCodecContext, CodecContextDeleter>;
using PacketPtr = std::unique_ptr<AVPacket, PacketDeleter>;
using FramePtr = std::unique_ptr<AVFrame, FrameDeleter>;
using BsfContextPtr = std::unique_ptr<AVBSFContext, BsfContextDeleter>;
using IoContextPtr = std::unique_ptr<AVIOContext, IoContextDeleter>;
using SwsPtr = std::unique_ptr<SwsContext, SwsDeleter>;
using SwrPtr = std::unique_ptr<SwrContext, SwrDeleter>;
using FilterGraphPtr = std::unique_ptr<AVFilterGraph, FilterGraphDeleter>;

// The av_strerror text of an AVERROR code.
inline std::string av_error(int averror) {
  char text[AV_ERROR_MAX_STRING_SIZE] = {};
  if (av_strerror(averror, text, sizeof text) < 0) return fmt::format("libav error {}", averror);
  return text;
}

inline PacketPtr make_packet() {
  PacketPtr packet(av_packet_alloc());
  if (!packet) throw std::bad_alloc();
  return packet;
}

}  // namespace skyclass::headend::av

#pragma once
// One sample media clip: what it looks and sounds like (ClipSpec) and the writer that renders it
// with libavfilter, encodes it with libavcodec and muxes it with libavformat.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace skyclass::tools {

// Bump when the picture, sound, encoding or damage of a clip changes, so generated libraries are
// rewritten (the version is part of spec_hash()).
inline constexpr int kClipGeneratorVersion = 1;

// Noto Sans CJK, face "SC" (Simplified Chinese) for text, "Mono SC" for the clock.
inline constexpr std::string_view kCjkFontFile =
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc";

struct ClipSpec {
  std::string relative_path;          // e.g. "lessons/g1-yuwen-0217.mp4", "fillers/tips-01.mp4"
  std::string kind;                   // lesson|filler|ident|slate|special
  std::string title, grade, subject;  // UTF-8, Chinese; burnt into the picture
  std::int64_t duration_ms = 0;       // already scaled
  int width = 720, height = 576;
  int fps_num = 25, fps_den = 1;
  int sar_num = 64, sar_den = 45;       // 16:9 on 720x576; 4:3 content uses 16:15
  bool interlaced = false;              // tff-flagged interlaced (576i)
  std::string video_codec = "libx264";  // or "mpeg2video"
  std::string audio_codec = "mp2";      // "mp2" | "aac" | "" (no audio track)
  int sample_rate = 48000, channels = 2;
  enum class Damage { none, truncated, corrupt } damage = Damage::none;
  std::string container;  // libavformat muxer: "mp4" | "mpegts" | "matroska";
                          // empty: derived from the output file's extension
};

// The muxer for a file name: .mp4 -> "mp4", .ts -> "mpegts", .mkv -> "matroska".
// Throws std::runtime_error naming the file for any other extension.
std::string container_for(const std::filesystem::path& file);

// Throws std::runtime_error naming `out_file` and the offending field if `spec` cannot be written.
void validate_clip(const ClipSpec& spec, const std::filesystem::path& out_file);

// A stable 16-hex-digit hash (FNV-1a 64) of every field, kClipGeneratorVersion and the libav*
// library versions: equal hashes mean write_clip() writes byte-identical files.
std::string spec_hash(const ClipSpec& spec);

// Renders, encodes and muxes the clip into a temp file beside `out_file`, applies the requested
// damage, then renames it into place: a killed run never leaves a half file under `out_file`.
// Output is byte-identical for the same spec. Creates missing parent folders, and removes temp
// files of this clip left by writers that were killed (their process is gone).
// Throws std::runtime_error whose message starts with `out_file`.
//
// Damage (the numbers are part of the format; tests rely on them):
//  - truncated: the finished file is cut to 60 % of its size; if that offset falls on a
//    top-level MP4 box boundary or a 188-byte TS packet boundary it moves 97 bytes further.
//    MP4s are written with the index (moov) first, so the file still opens and its header
//    claims the full duration, but the media data stops at about 60 %.
//  - corrupt: bytes [8, 72) (the ftyp brands and the start of the moov box in an MP4, so
//    probing fails) and eight 2048-byte ranges starting at 30 %, 35 %, ..., 65 % of the size
//    are overwritten with bytes from std::mt19937 seeded with 20200217 (low byte of each
//    draw). Ranges are clipped to the file.
void write_clip(const ClipSpec& spec, const std::filesystem::path& out_file);

}  // namespace skyclass::tools

#include "tools/samples/catalog.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include <fmt/format.h>

extern "C" {
#include <libavutil/rational.h>
}

#include "tools/samples/picture.hpp"

namespace skyclass::tools {
namespace {

// The built-in library (relative paths, what they are, length at scale 1):
//   fillers/tips-handwash.mp4       防疫小贴士：勤洗手                        60 s
//   fillers/tips-mask.mp4           防疫小贴士：戴口罩                        60 s
//   fillers/tips-ventilate.mp4      防疫小贴士：多通风                        45 s
//   fillers/eye-exercises.mp4       眼保健操                                  5 min
//   fillers/break-exercises.mp4     课间操 (music interlude)                  3 min
//   ident/cetv4-ident.mp4           CETV-4 空中课堂 station ident             10 s
//   slate/slate.mp4                 节目即将恢复 · Programme resumes soon     30 s
//   special/hd-720p30-aac.mp4       lesson, 1280x720 30 fps SAR 1:1, H.264 + AAC 48 kHz   2 min
//   special/sd-640x360-mono44k.mp4  lesson, 640x360 25 fps SAR 1:1, AAC mono 44.1 kHz     2 min
//   special/4x3-lesson.mp4          lesson, 720x576 SAR 16:15 (4:3), H.264 + MP2          2 min
//   special/no-audio.mp4            lesson without an audio track                         2 min
//   special/truncated.mp4           lesson cut at 60 % of its bytes (Damage::truncated)   2 min
//   special/corrupt.mp4             lesson with garbage in header and middle (corrupt)    2 min
constexpr std::int64_t kSpecialLessonMs = 2 * 60 * 1000;

ClipSpec clip(std::string path, std::string kind, std::string title, std::string grade,
              std::string subject, std::int64_t duration_ms, double scale) {
  ClipSpec spec;
  spec.relative_path = std::move(path);
  spec.kind = std::move(kind);
  spec.title = std::move(title);
  spec.grade = std::move(grade);
  spec.subject = std::move(subject);
  spec.duration_ms = scaled_duration_ms(duration_ms, scale);
  spec.container = container_for(spec.relative_path);
  return spec;
}

void add_library_clips(std::vector<ClipSpec>& clips, double scale) {
  clips.push_back(clip("fillers/tips-handwash.mp4", "filler", "防疫小贴士：勤洗手", "", "健康教育",
                       60'000, scale));
  clips.push_back(
      clip("fillers/tips-mask.mp4", "filler", "防疫小贴士：戴口罩", "", "健康教育", 60'000, scale));
  clips.push_back(clip("fillers/tips-ventilate.mp4", "filler", "防疫小贴士：多通风", "", "健康教育",
                       45'000, scale));
  clips.push_back(
      clip("fillers/eye-exercises.mp4", "filler", "眼保健操", "", "健康教育", 5 * 60'000, scale));
  clips.push_back(
      clip("fillers/break-exercises.mp4", "filler", "课间操", "", "音乐", 3 * 60'000, scale));
  clips.push_back(clip("ident/cetv4-ident.mp4", "ident", "CETV-4 空中课堂", "", "中国教育电视台",
                       10'000, scale));
  clips.push_back(clip("slate/slate.mp4", "slate", "节目即将恢复 · Programme resumes soon", "", "",
                       30'000, scale));
}

void add_special_clips(std::vector<ClipSpec>& clips, double scale) {
  ClipSpec hd = clip("special/hd-720p30-aac.mp4", "special", "高清课例：认识钟表", "一年级", "数学",
                     kSpecialLessonMs, scale);
  hd.width = 1280, hd.height = 720, hd.fps_num = 30, hd.sar_num = 1, hd.sar_den = 1;
  hd.audio_codec = "aac";
  clips.push_back(hd);

  ClipSpec web = clip("special/sd-640x360-mono44k.mp4", "special", "网络课例：古诗二首", "二年级",
                      "语文", kSpecialLessonMs, scale);
  web.width = 640, web.height = 360, web.sar_num = 1, web.sar_den = 1;
  web.audio_codec = "aac", web.sample_rate = 44100, web.channels = 1;
  clips.push_back(web);

  ClipSpec four_three = clip("special/4x3-lesson.mp4", "special", "4:3 课例：长方形和正方形",
                             "三年级", "数学", kSpecialLessonMs, scale);
  four_three.sar_num = 16, four_three.sar_den = 15;
  clips.push_back(four_three);

  ClipSpec silent = clip("special/no-audio.mp4", "special", "无声课例：名画欣赏", "四年级", "美术",
                         kSpecialLessonMs, scale);
  silent.audio_codec.clear();
  clips.push_back(silent);

  ClipSpec truncated = clip("special/truncated.mp4", "special", "截断的课例：植物的生长", "五年级",
                            "科学", kSpecialLessonMs, scale);
  truncated.damage = ClipSpec::Damage::truncated;
  clips.push_back(truncated);

  ClipSpec corrupt = clip("special/corrupt.mp4", "special", "损坏的课例：字母歌", "一年级", "英语",
                          kSpecialLessonMs, scale);
  corrupt.damage = ClipSpec::Damage::corrupt;
  clips.push_back(corrupt);
}

// `side * to / from` rounded to an even number within [min_px, max_px].
int scaled_side(int side, int to, int from, int min_px, int max_px) {
  const long long even = 2 * std::llround(double(side) * to / from / 2);
  return static_cast<int>(std::clamp<long long>(even, min_px, max_px));
}

}  // namespace

ClipSpec scaled_picture(const ClipSpec& spec, int width, int height) {
  ClipSpec scaled = spec;
  scaled.width = scaled_side(spec.width, width, kHouseWidth, 64, 4096);
  scaled.height = scaled_side(spec.height, height, kHouseHeight, 64, 2304);
  // Display aspect width * sar / height stays: sar' = sar * (width * height') / (height * width').
  AVRational sar{};
  av_reduce(&sar.num, &sar.den,
            static_cast<std::int64_t>(spec.sar_num) * spec.width * scaled.height,
            static_cast<std::int64_t>(spec.sar_den) * spec.height * scaled.width, 65'535);
  scaled.sar_num = sar.num;
  scaled.sar_den = sar.den;
  return scaled;
}

std::vector<ClipSpec> scaled_library(std::vector<ClipSpec> clips, int width, int height) {
  if (width < 64 || height < 64 || width > 4096 || height > 2304 || width % 2 || height % 2)
    throw std::invalid_argument(
        fmt::format("picture size {}x{} must be even and within 64x64..4096x2304", width, height));
  for (ClipSpec& clip : clips) {
    clip = scaled_picture(clip, width, height);
    const FrameCodeLayout code = frame_code_layout(clip.width, clip.height);
    if (code.x - code.cell / 2 < 0 || code.y + code.cell + code.cell / 2 > clip.height)
      throw std::invalid_argument(fmt::format(
          "picture size {}x{} makes {} {}x{}, too small for its frame-code strip ({} cells of {} "
          "px)",
          width, height, clip.relative_path, clip.width, clip.height, code.bits + 2, code.cell));
  }
  return clips;
}

std::int64_t scaled_duration_ms(std::int64_t duration_ms, double duration_scale) {
  if (!std::isfinite(duration_scale) || duration_scale <= 0)
    throw std::invalid_argument(
        fmt::format("duration scale {} must be a positive number", duration_scale));
  return std::max<std::int64_t>(1000, std::llround(double(duration_ms) * duration_scale));
}

std::vector<ClipSpec> builtin_clips(double duration_scale) {
  std::vector<ClipSpec> clips;
  add_library_clips(clips, duration_scale);
  add_special_clips(clips, duration_scale);
  return clips;
}

}  // namespace skyclass::tools

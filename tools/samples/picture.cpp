#include "tools/samples/picture.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <string_view>
#include <utility>

#include <fmt/format.h>

extern "C" {
#include <libavutil/frame.h>
}

#include "tools/samples/fnv.hpp"

namespace skyclass::tools {
namespace {

// Faces of kCjkFontFile, chosen through fontconfig: drawtext's `fontfile` always loads face 0,
// which is the Japanese one.
constexpr const char* kTextFont = "Noto Sans CJK SC";
constexpr const char* kClockFont = "Noto Sans Mono CJK SC";

constexpr std::array<std::pair<std::string_view, std::string_view>, 16> kSubjectColours{{
    {"语文", "0x8E3B2F"},
    {"数学", "0x1F4E79"},
    {"英语", "0x2E6B3A"},
    {"科学", "0x1F6F6F"},
    {"道德与法治", "0x5B3A7A"},
    {"音乐", "0x8A5A14"},
    {"美术", "0x7A3E6B"},
    {"体育", "0x2F5E2F"},
    {"历史", "0x6B4423"},
    {"地理", "0x2C5E5A"},
    {"物理", "0x2B3F73"},
    {"化学", "0x4A2F6B"},
    {"生物", "0x3D6B2E"},
    {"信息技术", "0x34495E"},
    {"健康教育", "0x2E7D32"},
    {"专题教育", "0x6A4C93"},
}};

// Rough rendered width of UTF-8 text in em: CJK and other wide code points 1, ASCII 0.55.
double text_width_em(std::string_view utf8) {
  double em = 0;
  for (unsigned char c : utf8) {
    if (c < 0x80)
      em += 0.55;
    else if (c >= 0xC0)
      em += 1.0;  // lead byte of a multi-byte code point
  }
  return em;
}

// The largest font size up to `max_px` at which `text` fits in `width_px`.
int fitted_font_px(std::string_view text, int max_px, int width_px) {
  double em = std::max(1.0, text_width_em(text));
  return std::max(8, std::min(max_px, static_cast<int>(width_px / em)));
}

std::string kind_label(const std::string& kind) {
  if (kind == "lesson") return "课程";
  if (kind == "filler") return "插播";
  if (kind == "ident") return "台标";
  if (kind == "slate") return "垫片";
  return "测试片";
}

std::string heading_text(const ClipSpec& spec) {
  if (spec.grade.empty()) return spec.subject;
  if (spec.subject.empty()) return spec.grade;
  return spec.grade + " · " + spec.subject;
}

// drawtext with literal text (no % expansion), centred horizontally unless `x` is given.
FilterOptions text_options(const char* font, std::string text, int font_px, std::string y,
                           std::string x = "(w-tw)/2", std::string colour = "white") {
  return {{"font", font},
          {"text", std::move(text)},
          {"expansion", "none"},
          {"fontsize", std::to_string(font_px)},
          {"fontcolor", std::move(colour)},
          {"x", std::move(x)},
          {"y", std::move(y)},
          {"shadowcolor", "black@0.45"},
          {"shadowx", std::to_string(std::max(1, font_px / 24))},
          {"shadowy", std::to_string(std::max(1, font_px / 24))}};
}

FilterOptions box_options(int x, int y, int w, int h, const char* colour) {
  return {{"x", std::to_string(x)}, {"y", std::to_string(y)}, {"w", std::to_string(w)},
          {"h", std::to_string(h)}, {"color", colour},        {"t", "fill"}};
}

// The frame rate as an exact expression, and t -> frame index with a half-frame guard.
std::string fps_expr(const ClipSpec& spec) {
  return fmt::format("({}/{})", spec.fps_num, spec.fps_den);
}

// "HH:MM:SS.ff" of the frame's own PTS (`t`). Seconds are taken half a frame late so that a PTS
// a rounding error below a whole second still shows that second.
std::string clock_text(const ClipSpec& spec) {
  std::string r = fps_expr(spec);
  std::string s = fmt::format("(t+0.5/{})", r);
  int last_ff = static_cast<int>(std::ceil(double(spec.fps_num) / spec.fps_den)) - 1;
  return fmt::format(
      "%{{eif:floor({s}/3600):d:2}}:%{{eif:mod(floor({s}/60),60):d:2}}:"
      "%{{eif:mod(floor({s}),60):d:2}}.%{{eif:max(0,min({last},floor((t-floor({s}))*{r}+0.5))):d:2}"
      "}",
      fmt::arg("s", s), fmt::arg("r", r), fmt::arg("last", last_ff));
}

// Width of the picture in square pixels (even), e.g. 1024 for 720 wide at SAR 64:45.
int display_width(const ClipSpec& spec) {
  long long w = (2LL * spec.width * spec.sar_num + spec.sar_den) / (2LL * spec.sar_den);
  return std::clamp(static_cast<int>(w + (w & 1)), 64, 8192);
}

struct Layout {
  int w, h;
  int band_px() const { return h * 16 / 100; }
  int margin_x() const { return w * 4 / 100; }
  int bottom_band_y() const { return h - band_px(); }
};

void add_static_layer(FilterChain& chain, const ClipSpec& spec, const Layout& l) {
  chain.append("drawbox", box_options(0, 0, l.w, l.band_px(), "black@0.30"));
  chain.append("drawbox", box_options(0, l.bottom_band_y(), l.w, l.band_px(), "black@0.45"));
  chain.append("drawbox", box_options(0, l.band_px(), l.w, std::max(2, l.h / 144), "white@0.55"));
  int small_px = l.h / 24;
  int top_y = (l.band_px() - small_px) / 2;
  chain.append("drawtext", text_options(kTextFont, kind_label(spec.kind), small_px,
                                        std::to_string(top_y), std::to_string(l.margin_x())));
  chain.append("drawtext",
               text_options(kTextFont, "CETV-4 空中课堂", small_px, std::to_string(top_y),
                            fmt::format("w-tw-{}", l.margin_x()), "white@0.85"));
  if (std::string heading = heading_text(spec); !heading.empty()) {
    int px = fitted_font_px(heading, l.h / 15, l.w * 85 / 100);
    chain.append("drawtext", text_options(kTextFont, heading, px, std::to_string(l.h * 27 / 100),
                                          "(w-tw)/2", "0xFFE082"));
  }
  if (!spec.title.empty()) {
    int px = fitted_font_px(spec.title, l.h / 9, l.w * 90 / 100);
    chain.append("drawtext", text_options(kTextFont, spec.title, px, "(h-th)/2"));
  }
}

void add_frame_code(FilterChain& chain, const ClipSpec& spec, const FrameCodeLayout& code) {
  int pad = code.cell / 2;
  chain.append("drawbox",
               box_options(code.x - pad, code.y - pad, (code.bits + 2) * code.cell + 2 * pad,
                           code.cell + 2 * pad, "black"));
  chain.append("drawbox", box_options(code.x, code.y, code.cell, code.cell, "white"));
  chain.append("drawbox", box_options(code.cell_center_x(code.bits + 1) - code.cell / 2, code.y,
                                      code.cell, code.cell, "white"));
  std::string index = fmt::format("floor(t*{}+0.5)", fps_expr(spec));
  for (int bit = 0; bit < code.bits; ++bit) {
    FilterOptions options =
        box_options(code.x + (1 + bit) * code.cell, code.y, code.cell, code.cell, "white");
    options.emplace_back("enable", fmt::format("mod(floor({}/{}),2)", index, 1LL << bit));
    chain.append("drawbox", options);
  }
}

void add_moving_layer(FilterChain& chain, const ClipSpec& spec, const Layout& l) {
  int clock_px = l.h / 14;
  FilterOptions clock =
      text_options(kClockFont, clock_text(spec), clock_px,
                   std::to_string(l.bottom_band_y() + (l.band_px() - clock_px) / 2),
                   std::to_string(l.margin_x()));
  set_option(clock, "expansion", "normal");  // the clock is built from %{eif:...}
  chain.append("drawtext", clock);
  // A block, not a ball: it is drawn on the stored (maybe anamorphic) pixels, and a stretched
  // square still looks right. It slides across and back every 6 s.
  std::string block_x = "w*0.1+(w*0.8-tw)*(0.5-0.5*cos(2*PI*t/6))";
  chain.append("drawtext", text_options(kTextFont, "■", l.h / 20, std::to_string(l.h * 68 / 100),
                                        block_x, "0xFFD54F"));
  add_frame_code(chain, spec, frame_code_layout(l.w, l.h));
}

}  // namespace

FrameCodeLayout frame_code_layout(int width, int height) {
  FrameCodeLayout code;
  code.cell = std::max(4, (height / 36) & ~1);
  code.x = width - width * 4 / 100 - (code.bits + 2) * code.cell;
  int band = height * 16 / 100;
  code.y = height - band + (band - code.cell) / 2;
  return code;
}

std::optional<std::int64_t> read_frame_code(const AVFrame& picture, const FrameCodeLayout& layout) {
  auto luma_at = [&](int i) {
    return picture.data[0][layout.center_y() * picture.linesize[0] + layout.cell_center_x(i)];
  };
  if (picture.width < layout.cell_center_x(layout.bits + 1) || picture.height < layout.center_y() ||
      luma_at(0) < 128 || luma_at(layout.bits + 1) < 128)
    return std::nullopt;
  std::int64_t index = 0;
  for (int bit = 0; bit < layout.bits; ++bit)
    if (luma_at(1 + bit) >= 128) index |= std::int64_t{1} << bit;
  return index;
}

std::string background_colour(const ClipSpec& spec) {
  if (spec.kind == "filler") return "0x2E7D32";
  if (spec.kind == "ident") return "0x0D2B5E";
  if (spec.kind == "slate") return "0x37474F";
  for (const auto& [subject, colour] : kSubjectColours)
    if (spec.subject == subject) return std::string(colour);
  return std::string(kSubjectColours[fnv1a32(spec.subject) % kSubjectColours.size()].second);
}

// The static layer is drawn once, at square pixels (display width), scaled once to the stored
// width, so text keeps its shape on anamorphic 16:9 and 4:3 SD; `loop` then repeats that frame
// by reference. Only the clock, the block and the frame code are drawn per frame.
FilterOutput build_picture_graph(const ClipSpec& spec, const std::filesystem::path& file) {
  FilterChain chain(file);
  Layout stored{spec.width, spec.height};
  Layout display{display_width(spec), spec.height};
  chain.append("color", {{"color", background_colour(spec)},
                         {"size", fmt::format("{}x{}", display.w, display.h)},
                         {"rate", fmt::format("{}/{}", spec.fps_num, spec.fps_den)}});
  chain.append("format", {{"pix_fmts", "yuv420p"}});
  add_static_layer(chain, spec, display);
  if (display.w != stored.w)
    chain.append(
        "scale",
        {{"w", std::to_string(stored.w)}, {"h", std::to_string(stored.h)}, {"flags", "bicubic"}});
  chain.append("loop", {{"loop", "-1"}, {"size", "1"}});
  chain.append("setpts", {{"expr", "N"}});
  add_moving_layer(chain, spec, stored);
  return chain.finish("buffersink");
}

}  // namespace skyclass::tools

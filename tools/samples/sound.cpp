#include "tools/samples/sound.hpp"

#include <array>
#include <string_view>

#include <fmt/format.h>

extern "C" {
#include <libavutil/channel_layout.h>
}

#include "tools/samples/fnv.hpp"

namespace skyclass::tools {
namespace {

// A speaking voice: fundamental f(t) = f0 + 40 sin(2pi 0.37 t) + 25 sin(2pi 1.3 t), integrated
// into the phase so the glide is smooth; three harmonics; syllables at ~3.7/s that never drop
// below 35 % and slower phrase swells. f0 (120-219 Hz) differs from title to title.
std::string voice_expression(const std::string& title) {
  int f0 = 120 + static_cast<int>(fnv1a32(title) % 100);
  return fmt::format(
      "st(0,2*PI*{f0}*t-(40/0.37)*cos(2*PI*0.37*t)-(25/1.3)*cos(2*PI*1.3*t));"
      "st(1,(0.35+0.65*pow(abs(sin(PI*3.7*t)),2))*(0.65+0.35*abs(sin(PI*0.21*t))));"
      "0.3*ld(1)*(sin(ld(0))+0.5*sin(2*ld(0))+0.25*sin(3*ld(0)))",
      fmt::arg("f0", f0));
}

struct Melody {
  double note_s;                 // length of each note
  double base_hz;                // pitch of semitone 0
  std::array<int, 8> semitones;  // the tune, repeated
};

constexpr Melody kFillerMelody{0.4, 392.0, {0, 4, 7, 12, 7, 4, 2, 4}};
constexpr Melody kIdentMelody{0.25, 523.25, {0, 4, 7, 12, 16, 12, 7, 4}};
constexpr Melody kSlateMelody{0.8, 329.63, {0, 2, 4, 2, 0, -3, -5, -3}};

// Each note starts at phase 0 with a plucked envelope that decays to 30 %, never to silence.
std::string melody_expression(const Melody& m) {
  std::string pitch = "0";
  for (int i = 7; i >= 0; --i)
    pitch = fmt::format("if(eq(ld(0),{}),{},{})", i, m.semitones[i], pitch);
  return fmt::format(
      "st(0,mod(floor(t/{d}),8));st(1,{pitch});st(2,{b}*pow(2,ld(1)/12));"
      "st(3,t-{d}*floor(t/{d}));st(4,0.3+0.7*exp(-4*ld(3)));"
      "0.28*ld(4)*(sin(2*PI*ld(2)*ld(3))+0.3*sin(4*PI*ld(2)*ld(3)))",
      fmt::arg("d", m.note_s), fmt::arg("pitch", pitch), fmt::arg("b", m.base_hz));
}

int expression_rate(int sample_rate) {
  return sample_rate % 3 == 0 && sample_rate >= 24000 ? sample_rate / 3 : sample_rate;
}

std::string layout_name(int channels) {
  AVChannelLayout layout{};
  av_channel_layout_default(&layout, channels);
  char name[64] = {};
  av_channel_layout_describe(&layout, name, sizeof name);
  av_channel_layout_uninit(&layout);
  return name;
}

}  // namespace

std::string sound_expression(const ClipSpec& spec) {
  if (spec.kind == "filler") return melody_expression(kFillerMelody);
  if (spec.kind == "ident") return melody_expression(kIdentMelody);
  if (spec.kind == "slate") return melody_expression(kSlateMelody);
  return voice_expression(spec.title);
}

FilterOutput build_sound_graph(const ClipSpec& spec, AVSampleFormat sample_format,
                               const std::filesystem::path& file) {
  FilterChain chain(file);
  chain.append("aevalsrc", {{"exprs", sound_expression(spec)},
                            {"channel_layout", "mono"},
                            {"sample_rate", std::to_string(expression_rate(spec.sample_rate))},
                            {"nb_samples", "1024"}});
  chain.append("aformat", {{"sample_fmts", av_get_sample_fmt_name(sample_format)},
                           {"sample_rates", std::to_string(spec.sample_rate)},
                           {"channel_layouts", layout_name(spec.channels)}});
  return chain.finish("abuffersink");
}

}  // namespace skyclass::tools

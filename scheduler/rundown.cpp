#include "scheduler/rundown.hpp"

#include <array>
#include <map>
#include <vector>

#include <fmt/format.h>

namespace skyclass::scheduler {
namespace {

// Decodes one code point; invalid bytes count as one narrow character.
char32_t next_code_point(std::string_view text, std::size_t& i) {
  auto c = static_cast<unsigned char>(text[i]);
  int length = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 1;
  if (i + length > text.size()) length = 1;
  char32_t cp = length == 1 ? c : c & (0x7F >> length);
  for (int k = 1; k < length; ++k) cp = (cp << 6) | (static_cast<unsigned char>(text[i + k]) & 0x3F);
  i += length;
  return cp;
}

bool is_wide(char32_t cp) {
  return (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF && cp != 0x303F) ||
         (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
         (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
         (cp >= 0xFFE0 && cp <= 0xFFE6) || (cp >= 0x20000 && cp <= 0x3FFFD);
}

// Cuts `text` to at most `width` columns (ending in "…" when cut) and pads it to `width`.
std::string fit(std::string_view text, int width) {
  std::string out;
  int used = 0;
  bool cut = display_width(text) > width;
  int limit = cut ? width - 1 : width;
  for (std::size_t i = 0; i < text.size();) {
    std::size_t begin = i;
    int w = is_wide(next_code_point(text, i)) ? 2 : 1;
    if (used + w > limit) break;
    out.append(text.substr(begin, i - begin));
    used += w;
  }
  if (cut) {
    out += "…";
    ++used;
  }
  out.append(std::size_t(width - used), ' ');
  return out;
}

struct Column {
  const char* heading;
  int width;
};
constexpr std::array<Column, 6> kColumns = {
    {{"time", 11}, {"kind", 6}, {"grade", 10}, {"subject", 8}, {"title", 34}, {"duration", 9}}};

}  // namespace

int display_width(std::string_view utf8) {
  int width = 0;
  for (std::size_t i = 0; i < utf8.size();) width += is_wide(next_code_point(utf8, i)) ? 2 : 1;
  return width;
}

std::string format_rundown(const Playlist& p) {
  std::string out = fmt::format("{} — broadcast day {} ({} UTC{}), {} items\n", p.channel,
                                format_date(p.date), format_iso_utc(p.start_utc_ms),
                                format_utc_offset(p.utc_offset_min), p.items.size());
  for (const auto& c : kColumns) out += fit(c.heading, c.width) + " ";
  out += "warnings\n";
  std::map<std::string_view, int> per_kind;
  int warnings = 0;
  for (const auto& item : p.items) {
    std::int64_t local = p.to_local_ms(item.start_utc_ms);
    std::vector<std::string> cells = {
        format_clock(local - date_to_ms(ms_to_date(local)), true), std::string(to_string(item.kind)),
        item.grade, item.subject, item.title, format_duration(item.duration_ms)};
    for (std::size_t c = 0; c < kColumns.size(); ++c) out += fit(cells[c], kColumns[c].width) + " ";
    out += fmt::format("{}\n", fmt::join(item.warnings, "; "));
    ++per_kind[to_string(item.kind)];
    warnings += int(item.warnings.size());
  }
  std::vector<std::string> counts;
  for (const auto& [kind, n] : per_kind) counts.push_back(fmt::format("{} {}", n, kind));
  out += fmt::format("-- {}; {} warning(s)\n", fmt::join(counts, ", "), warnings);
  return out;
}

}  // namespace skyclass::scheduler

#include "scheduler/playlist.hpp"

#include <array>
#include <fstream>
#include <stdexcept>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace skyclass::scheduler {
namespace {

constexpr std::array<std::string_view, 5> kKindNames = {"lesson", "filler", "ident", "slate",
                                                        "live"};

// Playlists are written directly, in a fixed key order that reads well, because a year of
// playlists is too slow through nlohmann's tree; they are read back with nlohmann.
class JsonWriter {
 public:
  explicit JsonWriter(std::string& out) : out_(out) {}

  void open(char bracket) {
    out_ += bracket;
    first_ = true;
  }
  void close(char bracket) {
    out_ += bracket;
    first_ = false;
  }
  void key(std::string_view name) {
    if (!first_) out_ += ',';
    first_ = false;
    out_ += "\n\"";
    out_ += name;
    out_ += "\":";
  }
  void string(std::string_view text) {
    out_ += '"';
    for (char c : text) {
      switch (c) {
        case '"': out_ += "\\\""; break;
        case '\\': out_ += "\\\\"; break;
        case '\n': out_ += "\\n"; break;
        case '\r': out_ += "\\r"; break;
        case '\t': out_ += "\\t"; break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            fmt::format_to(std::back_inserter(out_), "\\u{:04x}", c);
          } else {
            out_ += c;
          }
      }
    }
    out_ += '"';
  }
  void field(std::string_view name, std::string_view text) { key(name), string(text); }
  void field(std::string_view name, const char* text) { key(name), string(text); }
  void field(std::string_view name, std::int64_t n) { key(name), fmt::format_to(std::back_inserter(out_), "{}", n); }
  void field(std::string_view name, int n) { field(name, std::int64_t{n}); }
  void field(std::string_view name, bool b) { key(name), out_ += b ? "true" : "false"; }
  void raw(std::string_view text) { out_ += text; }
  void element() {
    if (!first_) out_ += ',';
    first_ = false;
    out_ += '\n';
  }

 private:
  std::string& out_;
  bool first_ = true;
};

void write_facts(JsonWriter& w, const MediaFacts& f) {
  w.open('{');
  w.field("readable", f.readable);
  if (!f.error.empty()) w.field("error", f.error);
  w.field("duration_ms", f.duration_ms);
  w.field("format", f.format);
  if (f.video) {
    const VideoFacts& v = *f.video;
    w.key("video");
    w.open('{');
    w.field("codec", v.codec);
    w.field("width", v.width);
    w.field("height", v.height);
    w.field("fps", fmt::format("{}/{}", v.fps_num, v.fps_den));
    w.field("sar", fmt::format("{}:{}", v.sar_num, v.sar_den));
    w.field("interlaced", v.interlaced);
    w.close('}');
  }
  if (f.audio) {
    w.key("audio");
    w.open('{');
    w.field("codec", f.audio->codec);
    w.field("sample_rate", f.audio->sample_rate);
    w.field("channels", f.audio->channels);
    w.close('}');
  }
  w.close('}');
}

void write_item(JsonWriter& w, const Playlist& p, const PlaylistItem& item) {
  w.open('{');
  w.field("start_local", format_iso_local(p.to_local_ms(item.start_utc_ms), p.utc_offset_min));
  w.field("start_utc", format_iso_utc(item.start_utc_ms));
  w.field("duration_ms", item.duration_ms);
  w.field("kind", to_string(item.kind));
  w.field("title", item.title);
  w.field("grade", item.grade);
  w.field("subject", item.subject);
  w.field("description", item.description);
  w.field("media", item.media);
  w.field("in_ms", item.in_ms);
  w.field("out_ms", item.out_ms);
  w.field("loop", item.loop);
  w.field("hard_start", item.hard_start);
  w.field("event_id", std::int64_t{item.event_id});
  w.field("content_id", item.content_id);
  w.field("timetable_line", item.timetable_line);
  w.key("warnings");
  w.open('[');
  for (const auto& warning : item.warnings) {
    w.element();
    w.string(warning);
  }
  w.close(']');
  w.key("media_facts");
  if (item.media_facts) {
    write_facts(w, *item.media_facts);
  } else {
    w.raw("null");
  }
  w.close('}');
}

template <typename T>
T get(const nlohmann::json& j, const char* key, const std::string& where) {
  try {
    return j.at(key).get<T>();
  } catch (const nlohmann::json::exception& e) {
    throw std::runtime_error(fmt::format("{}: key '{}': {}", where, key, e.what()));
  }
}

std::int64_t get_time(const nlohmann::json& j, const char* key, const std::string& where) {
  auto text = get<std::string>(j, key, where);
  auto ms = parse_iso_to_utc_ms(text);
  if (!ms) throw std::runtime_error(fmt::format("{}: key '{}': '{}' is not ISO 8601 with an offset",
                                                where, key, text));
  return *ms;
}

PlaylistItem item_from_json(const nlohmann::json& j, const std::string& where) {
  PlaylistItem item;
  item.start_utc_ms = get_time(j, "start_utc", where);
  item.duration_ms = get<std::int64_t>(j, "duration_ms", where);
  auto kind_text = get<std::string>(j, "kind", where);
  auto kind = parse_item_kind(kind_text);
  if (!kind) throw std::runtime_error(fmt::format("{}: key 'kind': unknown kind '{}'", where, kind_text));
  item.kind = *kind;
  item.title = get<std::string>(j, "title", where);
  item.grade = get<std::string>(j, "grade", where);
  item.subject = get<std::string>(j, "subject", where);
  item.description = j.value("description", "");
  item.media = get<std::string>(j, "media", where);
  item.in_ms = get<std::int64_t>(j, "in_ms", where);
  item.out_ms = get<std::int64_t>(j, "out_ms", where);
  item.loop = j.value("loop", false);
  item.hard_start = j.value("hard_start", false);
  item.event_id = get<std::uint16_t>(j, "event_id", where);
  item.content_id = get<std::string>(j, "content_id", where);
  item.timetable_line = j.value("timetable_line", 0);
  item.warnings = get<std::vector<std::string>>(j, "warnings", where);
  if (j.contains("media_facts") && !j["media_facts"].is_null())
    item.media_facts = j["media_facts"].get<MediaFacts>();
  return item;
}

}  // namespace

std::string_view to_string(ItemKind kind) { return kKindNames.at(static_cast<int>(kind)); }

std::optional<ItemKind> parse_item_kind(std::string_view text) {
  for (std::size_t i = 0; i < kKindNames.size(); ++i)
    if (kKindNames[i] == text) return static_cast<ItemKind>(i);
  return std::nullopt;
}

std::string to_json_text(const Playlist& p) {
  std::string out;
  out.reserve(1024 + p.items.size() * 900);
  JsonWriter w(out);
  w.open('{');
  w.field("channel", p.channel);
  w.field("service_id", std::int64_t{p.service_id});
  w.field("date", format_date(p.date));
  w.field("timezone", format_utc_offset(p.utc_offset_min));
  w.field("start_local", format_iso_local(p.to_local_ms(p.start_utc_ms), p.utc_offset_min));
  w.field("start_utc", format_iso_utc(p.start_utc_ms));
  w.field("duration_ms", p.duration_ms);
  w.key("items");
  w.open('[');
  for (const auto& item : p.items) {
    w.element();
    write_item(w, p, item);
  }
  w.close(']');
  w.close('}');
  out += '\n';
  return out;
}

Playlist playlist_from_json(const nlohmann::json& j) {
  Playlist p;
  p.channel = get<std::string>(j, "channel", "playlist");
  p.service_id = j.value<std::uint16_t>("service_id", 0);
  auto date_text = get<std::string>(j, "date", "playlist");
  auto date = parse_date(date_text);
  if (!date) throw std::runtime_error(fmt::format("playlist: key 'date': '{}' is not YYYY-MM-DD", date_text));
  p.date = *date;
  auto tz = parse_utc_offset_min(get<std::string>(j, "timezone", "playlist"));
  if (!tz) throw std::runtime_error("playlist: key 'timezone': expected an offset like +08:00");
  p.utc_offset_min = *tz;
  p.start_utc_ms = get_time(j, "start_utc", "playlist");
  p.duration_ms = get<std::int64_t>(j, "duration_ms", "playlist");
  const auto& items = j.at("items");
  for (std::size_t i = 0; i < items.size(); ++i)
    p.items.push_back(item_from_json(items[i], fmt::format("playlist item {}", i)));
  return p;
}

std::filesystem::path write_playlist(const Playlist& playlist, const std::filesystem::path& dir) {
  StagedPlaylists staged(dir);
  auto file = staged.stage(playlist);
  staged.commit();
  return file;
}

StagedPlaylists::StagedPlaylists(std::filesystem::path dir) : dir_(std::move(dir)) {
  std::filesystem::create_directories(dir_);
}

StagedPlaylists::~StagedPlaylists() {
  std::error_code ec;
  for (const auto& [temp, file] : staged_) std::filesystem::remove(temp, ec);
}

std::filesystem::path StagedPlaylists::stage(const Playlist& playlist) {
  auto file = dir_ / (format_date(playlist.date) + ".json");
  auto temp = file;
  temp += ".tmp";
  staged_.emplace_back(temp, file);
  std::ofstream out(temp, std::ios::trunc);
  out << to_json_text(playlist);
  out.close();
  if (!out) throw std::runtime_error(fmt::format("{}: cannot write the playlist", temp.string()));
  return file;
}

void StagedPlaylists::commit() {
  for (const auto& [temp, file] : staged_) std::filesystem::rename(temp, file);
  staged_.clear();
}

Playlist read_playlist(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw std::runtime_error(fmt::format("{}: cannot open the playlist", file.string()));
  try {
    return playlist_from_json(nlohmann::json::parse(in));
  } catch (const std::exception& e) {
    throw std::runtime_error(fmt::format("{}: {}", file.string(), e.what()));
  }
}

std::vector<std::string> check_tiling(const Playlist& p, std::int64_t frame_ms) {
  std::vector<std::string> problems;
  std::int64_t expected = p.start_utc_ms;
  for (std::size_t i = 0; i < p.items.size(); ++i) {
    const auto& item = p.items[i];
    if (item.start_utc_ms != expected)
      problems.push_back(fmt::format("item {} starts at {}, expected {} ({} ms {})", i,
                                     format_iso_utc(item.start_utc_ms), format_iso_utc(expected),
                                     std::abs(item.start_utc_ms - expected),
                                     item.start_utc_ms > expected ? "gap" : "overlap"));
    if (item.duration_ms <= 0 || item.duration_ms % frame_ms != 0)
      problems.push_back(fmt::format("item {} lasts {} ms, not a positive multiple of {} ms", i,
                                     item.duration_ms, frame_ms));
    if (item.out_ms - item.in_ms != item.duration_ms)
      problems.push_back(fmt::format("item {}: out_ms - in_ms = {} but duration_ms = {}", i,
                                     item.out_ms - item.in_ms, item.duration_ms));
    expected = item.end_utc_ms();
  }
  if (expected != p.end_utc_ms())
    problems.push_back(fmt::format("the last item ends at {}, the day ends at {}",
                                   format_iso_utc(expected), format_iso_utc(p.end_utc_ms())));
  return problems;
}

}  // namespace skyclass::scheduler

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

nlohmann::json item_to_json(const Playlist& p, const PlaylistItem& item) {
  nlohmann::json j = {
      {"start_local", format_iso_local(p.to_local_ms(item.start_utc_ms), p.utc_offset_min)},
      {"start_utc", format_iso_utc(item.start_utc_ms)},
      {"duration_ms", item.duration_ms},
      {"kind", to_string(item.kind)},
      {"title", item.title},
      {"grade", item.grade},
      {"subject", item.subject},
      {"description", item.description},
      {"media", item.media},
      {"in_ms", item.in_ms},
      {"out_ms", item.out_ms},
      {"loop", item.loop},
      {"hard_start", item.hard_start},
      {"event_id", item.event_id},
      {"content_id", item.content_id},
      {"timetable_line", item.timetable_line},
      {"warnings", item.warnings},
  };
  j["media_facts"] = item.media_facts ? nlohmann::json(*item.media_facts) : nlohmann::json();
  return j;
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

nlohmann::json to_json(const Playlist& p) {
  nlohmann::json items = nlohmann::json::array();
  for (const auto& item : p.items) items.push_back(item_to_json(p, item));
  return {
      {"channel", p.channel},
      {"service_id", p.service_id},
      {"date", format_date(p.date)},
      {"timezone", format_utc_offset(p.utc_offset_min)},
      {"start_local", format_iso_local(p.to_local_ms(p.start_utc_ms), p.utc_offset_min)},
      {"start_utc", format_iso_utc(p.start_utc_ms)},
      {"duration_ms", p.duration_ms},
      {"items", items},
  };
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
  std::filesystem::create_directories(dir);
  auto file = dir / (format_date(playlist.date) + ".json");
  auto temp = file;
  temp += ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << to_json(playlist).dump(1) << "\n";
    out.close();
    if (!out) throw std::runtime_error(fmt::format("{}: cannot write the playlist", temp.string()));
  }
  std::filesystem::rename(temp, file);
  return file;
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

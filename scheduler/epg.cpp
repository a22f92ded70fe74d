#include "scheduler/epg.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>

#include <fmt/format.h>
#include <pugixml.hpp>

namespace skyclass::scheduler {
namespace {

std::uint8_t content_nibbles_for(ItemKind kind) {
  switch (kind) {
    case ItemKind::lesson:
    case ItemKind::live:
    case ItemKind::slate:
      return 0x54;  // education / science / factual: school programmes (EN 300 468 table 29)
    case ItemKind::filler:
      return 0x50;  // education, general
    case ItemKind::ident:
      return 0x00;  // undefined content
  }
  return 0x00;
}

// XMLTV times: "YYYYMMDDhhmmss +0800" in the channel's local time.
std::string xmltv_time(const Playlist& day, std::int64_t utc_ms) {
  std::int64_t local = day.to_local_ms(utc_ms);
  Date date = ms_to_date(local);
  std::int64_t s = (local - date_to_ms(date)) / 1000;
  std::string offset = format_utc_offset(day.utc_offset_min);
  offset.erase(3, 1);  // "+08:00" -> "+0800"
  std::string ymd = format_date(date);
  ymd.erase(std::remove(ymd.begin(), ymd.end(), '-'), ymd.end());
  return fmt::format("{}{:02}{:02}{:02} {}", ymd, s / 3600, (s / 60) % 60, s % 60, offset);
}

std::string channel_xmltv_id(const ChannelConfig& config) {
  return fmt::format("{}.{}", config.service_id, config.crid_authority);
}

void add_text(pugi::xml_node parent, const char* name, const std::string& text,
              const char* lang = "zh") {
  auto node = parent.append_child(name);
  node.append_attribute("lang") = lang;
  node.text() = text.c_str();
}

void add_programme(pugi::xml_node tv, const Playlist& day, const PlaylistItem& item,
                   const std::string& channel_id) {
  auto programme = tv.append_child("programme");
  programme.append_attribute("start") = xmltv_time(day, item.start_utc_ms).c_str();
  programme.append_attribute("stop") = xmltv_time(day, item.end_utc_ms()).c_str();
  programme.append_attribute("channel") = channel_id.c_str();
  add_text(programme, "title", item.title);
  if (auto sub = grade_subject(item); !sub.empty()) add_text(programme, "sub-title", sub);
  if (!item.description.empty()) add_text(programme, "desc", item.description);
  if (item.kind == ItemKind::lesson || item.kind == ItemKind::live) {
    add_text(programme, "category", "教育");
    add_text(programme, "category", "Education", "en");
  }
  if (!item.content_id.empty()) {
    auto episode = programme.append_child("episode-num");
    episode.append_attribute("system") = "crid";
    episode.text() = item.content_id.c_str();
  }
}

}  // namespace

std::string grade_subject(const PlaylistItem& item) {
  if (item.grade.empty()) return item.subject;
  if (item.subject.empty()) return item.grade;
  return item.grade + " · " + item.subject;
}

std::vector<EpgEvent> epg_events(const std::vector<Playlist>& days) {
  std::vector<EpgEvent> events;
  for (const auto& day : days) {
    for (const auto& item : day.items) {
      if (!events.empty() && events.back().event_id == item.event_id &&
          events.back().start_utc_ms + events.back().duration_ms == item.start_utc_ms) {
        events.back().duration_ms += item.duration_ms;  // the same lesson over the day boundary
        continue;
      }
      EpgEvent e;
      e.event_id = item.event_id;
      e.start_utc_ms = item.start_utc_ms;
      e.duration_ms = item.duration_ms;
      e.title = item.title;
      std::string heading = grade_subject(item);
      e.text = heading.empty() ? item.description
               : item.description.empty() ? heading
                                          : heading + "：" + item.description;
      e.content_nibbles = content_nibbles_for(item.kind);
      e.crid = item.content_id;
      e.kind = item.kind;
      events.push_back(std::move(e));
    }
  }
  return events;
}

std::string xmltv_document(const std::vector<Playlist>& days, const ChannelConfig& config) {
  pugi::xml_document doc;
  auto decl = doc.append_child(pugi::node_declaration);
  decl.append_attribute("version") = "1.0";
  decl.append_attribute("encoding") = "UTF-8";
  doc.append_child(pugi::node_doctype).set_value("tv SYSTEM \"xmltv.dtd\"");
  auto tv = doc.append_child("tv");
  tv.append_attribute("generator-info-name") = "skyclass-scheduler";
  std::string channel_id = channel_xmltv_id(config);
  auto channel = tv.append_child("channel");
  channel.append_attribute("id") = channel_id.c_str();
  add_text(channel, "display-name", config.name);
  for (const auto& day : days)
    for (const auto& item : day.items) add_programme(tv, day, item, channel_id);
  std::ostringstream out;
  doc.save(out, "  ", pugi::format_default, pugi::encoding_utf8);
  return out.str();
}

void write_xmltv(const std::vector<Playlist>& days, const ChannelConfig& config,
                 const std::filesystem::path& file) {
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path());
  auto temp = file;
  temp += ".tmp";
  {
    std::ofstream out(temp, std::ios::trunc);
    out << xmltv_document(days, config);
    out.close();
    if (!out) throw std::runtime_error(fmt::format("{}: cannot write the XMLTV file", temp.string()));
  }
  std::filesystem::rename(temp, file);
}

}  // namespace skyclass::scheduler

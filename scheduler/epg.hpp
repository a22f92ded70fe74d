#pragma once
// The EPG as the rest of the system sees it: EIT events for the headend's mux, and XMLTV for
// Kodi/Tvheadend users.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "scheduler/channel_config.hpp"
#include "scheduler/playlist.hpp"

namespace skyclass::scheduler {

// One EIT event (EN 300 468 5.2.4): a short event descriptor in `language`, content 0x5/0x4
// (education: school programmes) for lessons, and the CRID of the content.
struct EpgEvent {
  std::uint16_t event_id = 0;
  std::int64_t start_utc_ms = 0;
  std::int64_t duration_ms = 0;
  std::string title, text;
  std::uint8_t content_nibbles = 0x54;  // level 1 = 0x5 education, level 2 = 0x4 school
  std::string crid;
  ItemKind kind = ItemKind::lesson;
};

// Events of consecutive days, in order; a lesson split at the day boundary becomes one event.
std::vector<EpgEvent> epg_events(const std::vector<Playlist>& days);

// "一年级 · 语文" for a lesson, empty when neither is known.
std::string grade_subject(const PlaylistItem& item);

// XMLTV (xmltv.dtd): one <programme> per playlist item.
std::string xmltv_document(const std::vector<Playlist>& days, const ChannelConfig& config);
void write_xmltv(const std::vector<Playlist>& days, const ChannelConfig& config,
                 const std::filesystem::path& file);

}  // namespace skyclass::scheduler

#include "mux/epg.hpp"

#include <algorithm>

#include "mux/dvb_time.hpp"
#include "mux/section.hpp"

namespace skyclass::mux {
namespace {

constexpr std::size_t kShortEventTextBytes = 250;  // 255 - language - two length bytes
constexpr std::size_t kMaxCridBytes = 253;
constexpr std::uint8_t kCridTypeItem = 0x01;
constexpr std::uint8_t kRunningStatusUndefined = 0;
constexpr std::uint8_t kRunningStatusNotRunning = 1;
constexpr std::uint8_t kRunningStatusRunning = 4;
constexpr std::int64_t kMaxMjdUtcS = (0xFFFF - kMjdOfUnixEpoch + 1) * kSecondsPerDay - 1;
constexpr std::int64_t kMinMjdUtcS = -kMjdOfUnixEpoch * kSecondsPerDay;
constexpr std::int64_t kMaxDurationS = 99 * 3600 + 59 * 60 + 59;

std::string language_code(const std::string& language) {
  bool letters = language.size() == 3 && std::all_of(language.begin(), language.end(), [](char c) {
                   return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
                 });
  return letters ? language : "und";
}

Eit make_section_header(const EpgServiceIds& ids, std::uint8_t table_id, std::uint8_t version) {
  Eit eit;
  eit.table_id = table_id;
  eit.service_id = ids.service_id;
  eit.version_number = version;
  eit.transport_stream_id = ids.transport_stream_id;
  eit.original_network_id = ids.original_network_id;
  return eit;
}

// Splits a segment's events over at most 8 sections of the EIT event loop capacity.
std::vector<std::vector<Eit::Event>> pack_segment(std::vector<Eit::Event> events,
                                                  std::size_t* dropped_events) {
  std::vector<std::vector<Eit::Event>> sections(1);
  std::size_t used_bytes = 0;
  for (std::size_t i = 0; i < events.size(); ++i) {
    std::size_t bytes = Eit::event_bytes(events[i]);
    if (used_bytes + bytes > Eit::kEventLoopCapacity) {
      if (sections.size() == kSectionsPerSegment) {
        if (dropped_events) *dropped_events += events.size() - i;
        break;
      }
      sections.emplace_back();
      used_bytes = 0;
    }
    used_bytes += bytes;
    sections.back().push_back(std::move(events[i]));
  }
  return sections;
}

std::size_t packets_of(const std::vector<Eit>& sections) {
  std::size_t packets = 0;
  for (const Eit& section : sections)
    packets += section_packet_count(section.encode_section().size());
  return packets;
}

}  // namespace

bool epg_event_is_valid(const EpgEvent& event) {
  return event.duration_s > 0 && event.duration_s <= kMaxDurationS &&
         event.start_utc_s >= kMinMjdUtcS && event.start_utc_s <= kMaxMjdUtcS - event.duration_s;
}

Eit::Event make_eit_event(const EpgEvent& event, TextEncoding encoding,
                          std::uint8_t running_status) {
  ShortEventDescriptor short_event;
  short_event.ISO_639_language_code = language_code(event.language);
  short_event.event_name =
      DvbText::from_utf8(event.title, encoding, kShortEventTextBytes, Unmappable::replace).value();
  short_event.text =
      DvbText::from_utf8(event.text, encoding, kShortEventTextBytes - short_event.event_name.size(),
                         Unmappable::replace)
          .value();
  ContentDescriptor content;
  content.contents.push_back({static_cast<std::uint8_t>(event.content_nibbles >> 4),
                              static_cast<std::uint8_t>(event.content_nibbles & 0x0F), 0});
  Eit::Event out;
  out.event_id = event.event_id;
  out.start_time_utc_s = event.start_utc_s;
  out.duration_s = event.duration_s;
  out.running_status = running_status;
  out.descriptors = {std::move(short_event), std::move(content)};
  if (!event.crid.empty() && event.crid.size() <= kMaxCridBytes) {
    ContentIdentifierDescriptor crid;
    crid.crids.push_back({kCridTypeItem, 0, event.crid, 0});
    out.descriptors.push_back(std::move(crid));
  }
  return out;
}

PresentFollowing find_present_following(const std::vector<EpgEvent>& sorted,
                                        std::int64_t now_utc_s) {
  PresentFollowing pf;
  for (const EpgEvent& event : sorted) {
    if (event.start_utc_s <= now_utc_s && now_utc_s < event.end_utc_s()) pf.present = &event;
  }
  std::int64_t after_utc_s = pf.present ? pf.present->end_utc_s() : now_utc_s;
  for (const EpgEvent& event : sorted) {
    if (&event != pf.present && event.start_utc_s >= after_utc_s) {
      pf.following = &event;
      break;
    }
  }
  return pf;
}

std::int64_t next_present_following_change_utc_s(const std::vector<EpgEvent>& events,
                                                 std::int64_t now_utc_s) {
  std::int64_t next = kNoChangeUtcS;
  for (const EpgEvent& event : events) {
    if (event.start_utc_s > now_utc_s) next = std::min(next, event.start_utc_s);
    if (event.end_utc_s() > now_utc_s) next = std::min(next, event.end_utc_s());
  }
  return next;
}

std::vector<Eit> build_present_following(const EpgServiceIds& ids,
                                         const std::vector<EpgEvent>& sorted,
                                         std::int64_t now_utc_s, std::uint8_t version_number) {
  PresentFollowing pf = find_present_following(sorted, now_utc_s);
  std::vector<Eit> sections(2, make_section_header(ids, Eit::kTableIdPfActual, version_number));
  for (std::uint8_t n = 0; n < 2; ++n) {
    sections[n].section_number = n;
    sections[n].last_section_number = 1;
    sections[n].segment_last_section_number = 1;
    sections[n].last_table_id = Eit::kTableIdPfActual;
  }
  if (pf.present) {
    sections[0].events.push_back(
        make_eit_event(*pf.present, ids.text_encoding, kRunningStatusRunning));
  }
  if (pf.following) {
    sections[1].events.push_back(
        make_eit_event(*pf.following, ids.text_encoding, kRunningStatusNotRunning));
  }
  return sections;
}

std::vector<Eit> build_schedule_table(const EpgServiceIds& ids, const std::vector<EpgEvent>& sorted,
                                      std::int64_t now_utc_s, std::uint8_t table_id,
                                      std::uint8_t version_number, int horizon_days,
                                      std::size_t* dropped_events) {
  std::int64_t table_start_utc_s =
      utc_midnight_s(now_utc_s) +
      (table_id - Eit::kTableIdScheduleActualFirst) * kScheduleDaysPerTable * kSecondsPerDay;
  std::int64_t table_end_utc_s = table_start_utc_s + kScheduleDaysPerTable * kSecondsPerDay;
  std::int64_t horizon_end_utc_s = utc_midnight_s(now_utc_s) + horizon_days * kSecondsPerDay;
  std::vector<std::vector<Eit::Event>> segments(kSegmentsPerTable);
  for (const EpgEvent& event : sorted) {
    if (event.start_utc_s < table_start_utc_s || event.start_utc_s >= table_end_utc_s ||
        event.start_utc_s >= horizon_end_utc_s) {
      continue;
    }
    auto segment =
        static_cast<std::size_t>((event.start_utc_s - table_start_utc_s) / kSegmentSeconds);
    segments[segment].push_back(make_eit_event(event, ids.text_encoding, kRunningStatusUndefined));
  }
  std::vector<std::vector<std::vector<Eit::Event>>> packed;
  for (auto& segment : segments) packed.push_back(pack_segment(std::move(segment), dropped_events));
  auto last_section_number = static_cast<std::uint8_t>(
      (kSegmentsPerTable - 1) * kSectionsPerSegment + packed.back().size() - 1);
  Eit header = make_section_header(ids, table_id, version_number);
  header.last_section_number = last_section_number;
  header.last_table_id =
      Eit::kTableIdScheduleActualFirst + (kScheduleDays - 1) / kScheduleDaysPerTable;
  std::vector<Eit> sections;
  for (std::size_t segment = 0; segment < packed.size(); ++segment) {
    auto first = static_cast<std::uint8_t>(segment * kSectionsPerSegment);
    for (std::size_t n = 0; n < packed[segment].size(); ++n) {
      Eit section = header;
      section.section_number = static_cast<std::uint8_t>(first + n);
      section.segment_last_section_number =
          static_cast<std::uint8_t>(first + packed[segment].size() - 1);
      section.events = std::move(packed[segment][n]);
      sections.push_back(std::move(section));
    }
  }
  return sections;
}

// --- EpgTables -----------------------------------------------------------------------------------

void EpgTables::set_events(std::vector<EpgEvent> events) {
  auto invalid = std::remove_if(events.begin(), events.end(),
                                [](const EpgEvent& e) { return !epg_event_is_valid(e); });
  rejected_events_ = static_cast<std::size_t>(events.end() - invalid);
  events.erase(invalid, events.end());
  std::stable_sort(events.begin(), events.end(), [](const EpgEvent& a, const EpgEvent& b) {
    return a.start_utc_s < b.start_utc_s;
  });
  events_ = std::move(events);
}

void EpgTables::update(Versioned& table, std::vector<Eit> sections) {
  Bytes fingerprint;
  for (Eit& section : sections) {
    section.version_number = 0;
    Bytes bytes = section.encode_section();
    fingerprint.insert(fingerprint.end(), bytes.begin(), bytes.end());
  }
  if (table.built && fingerprint == table.fingerprint) return;
  table.version_number = table.built ? (table.version_number + 1) & 0x1F : 0;
  table.sections.clear();
  for (Eit& section : sections) {
    section.version_number = table.version_number;
    table.sections.push_back(section.encode_section());
  }
  table.fingerprint = std::move(fingerprint);
  table.built = true;
}

const std::vector<Bytes>& EpgTables::present_following(std::int64_t now_utc_s) {
  update(present_following_, build_present_following(ids_, events_, now_utc_s, 0));
  return present_following_.sections;
}

EpgTables::ScheduleDraft EpgTables::draft_schedule(std::int64_t now_utc_s, int horizon_days) const {
  ScheduleDraft draft;
  draft.table_0x50 =
      build_schedule_table(ids_, events_, now_utc_s, 0x50, 0, horizon_days, &draft.dropped_events);
  draft.table_0x51 =
      build_schedule_table(ids_, events_, now_utc_s, 0x51, 0, horizon_days, &draft.dropped_events);
  draft.packets = packets_of(draft.table_0x50) + packets_of(draft.table_0x51);
  return draft;
}

const EpgTables::Schedule& EpgTables::schedule(std::int64_t now_utc_s, std::size_t max_packets) {
  int horizon_days = kScheduleDays;
  ScheduleDraft draft = draft_schedule(now_utc_s, horizon_days);
  while (max_packets != 0 && draft.packets > max_packets && horizon_days > 0) {
    draft = draft_schedule(now_utc_s, --horizon_days);
  }
  update(schedule_0x50_, std::move(draft.table_0x50));
  update(schedule_0x51_, std::move(draft.table_0x51));
  schedule_.table_0x50 = schedule_0x50_.sections;
  schedule_.table_0x51 = schedule_0x51_.sections;
  schedule_.horizon_days = horizon_days;
  schedule_.dropped_events = draft.dropped_events;
  return schedule_;
}

}  // namespace skyclass::mux

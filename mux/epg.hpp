#pragma once
// The EPG as EIT sections (ETSI EN 300 468 5.2.4, ETSI TS 101 211 4.1.4):
//  - present/following actual (0x4E): section 0 holds the event running at `now` (start <= now <
//    end, so it switches exactly at the boundary), section 1 the next event; either may be empty.
//  - schedule actual for 8 days from midnight UTC of `now`: table 0x50 covers days 0-3 and 0x51
//    days 4-7, 32 three-hour segments each. An event belongs to the segment its start falls in.
//    Segment s of a table uses section_numbers 8s..8s+7; an empty segment still has one section.
//
// Each event carries a short_event_descriptor (title and text, truncated on a character
// boundary to fit 255 bytes), a content_descriptor and, if it has a CRID, a
// content_identifier_descriptor (crid_type 0x01, crid_location 0). GB2312 text writes '?' for a
// character GB2312 lacks, so one odd character never drops the guide. Schedule events carry
// running_status 0 (undefined), so the schedule only changes when the guide or the day does.
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "mux/bytes.hpp"
#include "mux/tables/eit.hpp"
#include "mux/text.hpp"

namespace skyclass::mux {

struct EpgEvent {
  std::uint16_t event_id = 0;
  std::int64_t start_utc_s = 0;
  std::int64_t duration_s = 0;
  std::string language = "chi";
  std::string title;
  std::string text;
  std::uint8_t content_nibbles = 0x54;  // 0x5/0x4: informational/educational/school
  std::string crid;                     // optional

  std::int64_t end_utc_s() const { return start_utc_s + duration_s; }
  bool operator==(const EpgEvent&) const = default;
};

// What every EIT section of the service carries.
struct EpgServiceIds {
  std::uint16_t service_id = 0;
  std::uint16_t transport_stream_id = 0;
  std::uint16_t original_network_id = 0;
  TextEncoding text_encoding = TextEncoding::utf8;
};

inline constexpr int kScheduleDays = 8;
inline constexpr int kScheduleDaysPerTable = 4;
inline constexpr std::int64_t kSegmentSeconds = 3 * 3600;
inline constexpr int kSegmentsPerTable = 32;
inline constexpr int kSectionsPerSegment = 8;
inline constexpr std::int64_t kNoChangeUtcS = std::numeric_limits<std::int64_t>::max();

// Events the EIT can carry: start and end within the MJD range, 0 < duration <= 99:59:59.
bool epg_event_is_valid(const EpgEvent& event);

// The EIT event loop entry for `event`.
Eit::Event make_eit_event(const EpgEvent& event, TextEncoding encoding,
                          std::uint8_t running_status);

// `sorted` must be ordered by start. Present: start <= now < end. Following: the first event
// starting at or after the present's end (or after now when nothing runs).
struct PresentFollowing {
  const EpgEvent* present = nullptr;
  const EpgEvent* following = nullptr;
};
PresentFollowing find_present_following(const std::vector<EpgEvent>& sorted,
                                        std::int64_t now_utc_s);

// The next event start or end after `now_utc_s` (kNoChangeUtcS if none): when p/f changes.
std::int64_t next_present_following_change_utc_s(const std::vector<EpgEvent>& events,
                                                 std::int64_t now_utc_s);

// Present (section 0) and following (section 1), both with last_section_number 1.
std::vector<Eit> build_present_following(const EpgServiceIds& ids,
                                         const std::vector<EpgEvent>& sorted,
                                         std::int64_t now_utc_s, std::uint8_t version_number);

// Every section of schedule table `table_id` (0x50 or 0x51), events limited to the first
// `horizon_days` days. `dropped_events` counts events beyond 8 full sections in a segment.
std::vector<Eit> build_schedule_table(const EpgServiceIds& ids, const std::vector<EpgEvent>& sorted,
                                      std::int64_t now_utc_s, std::uint8_t table_id,
                                      std::uint8_t version_number, int horizon_days,
                                      std::size_t* dropped_events = nullptr);

// The EIT sub-tables of one service, with version numbers that change only when content does.
class EpgTables {
 public:
  explicit EpgTables(EpgServiceIds ids) : ids_(ids) {}

  // Replaces the guide. Invalid events (see epg_event_is_valid) are left out and counted.
  void set_events(std::vector<EpgEvent> events);
  const std::vector<EpgEvent>& events() const { return events_; }
  std::size_t rejected_events() const { return rejected_events_; }

  // Sections 0 and 1 of EIT p/f actual at `now_utc_s`.
  const std::vector<Bytes>& present_following(std::int64_t now_utc_s);

  struct Schedule {
    std::vector<Bytes> table_0x50;
    std::vector<Bytes> table_0x51;
    int horizon_days = kScheduleDays;  // fewer when the packet cap dropped far days
    std::size_t dropped_events = 0;
  };
  // EIT schedule actual at `now_utc_s`. A non-zero `max_packets` caps the TS packets of both
  // tables together by dropping the farthest days' events, down to none if it must (their
  // segments stay, empty: 64 one-packet sections).
  const Schedule& schedule(std::int64_t now_utc_s, std::size_t max_packets = 0);

 private:
  struct Versioned {
    bool built = false;
    std::uint8_t version_number = 0;
    Bytes fingerprint;  // the sections encoded with version 0
    std::vector<Bytes> sections;
  };
  struct ScheduleDraft {
    std::vector<Eit> table_0x50;
    std::vector<Eit> table_0x51;
    std::size_t dropped_events = 0;
    std::size_t packets = 0;
  };
  static void update(Versioned& table, std::vector<Eit> sections);
  ScheduleDraft draft_schedule(std::int64_t now_utc_s, int horizon_days) const;

  EpgServiceIds ids_;
  std::vector<EpgEvent> events_;
  std::size_t rejected_events_ = 0;
  Versioned present_following_;
  Versioned schedule_0x50_;
  Versioned schedule_0x51_;
  Schedule schedule_;
};

}  // namespace skyclass::mux

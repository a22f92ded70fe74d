#pragma once
// The PSI/SI of one SkyClass service, sent on the repetition rates of ETSI TR 101 211 (4.4):
// PAT and PMT <= 100 ms, SDT and EIT p/f <= 2 s, NIT and the whole EIT schedule <= 10 s, TDT
// and TOT <= 30 s, and at least 25 ms from the last byte of a section to the first byte of the
// next section of the same sub-table (EN 300 468 5.1.4).
//
// Each section has a phase in its table's period (0 for tables sent back to back; for the EIT
// schedule, the share of the period taken by the sections before it) and is due at that phase
// in every period. When several sections are due, the earliest deadline goes first. When a
// table's sections change, a section that stays (same table_id, table_id_extension and
// section_number) keeps its phase and its due time, so it comes round one period after its
// previous copy however the other sections moved; a new section takes its phase in the new
// layout and first goes out within one period. EIT p/f is rebuilt the moment
// `now` reaches an event start or end and sent at once (at most once per p/f period, so that
// max_bitrate_bps() holds however often the guide changes); it holds back a regular repetition
// that would otherwise block that send with the 25 ms gap. TDT and TOT carry the UTC time of the
// slot they are sent in: utc_at_zero_s + now_27mhz / 27 MHz.
#include <array>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "mux/bytes.hpp"
#include "mux/descriptors.hpp"
#include "mux/epg.hpp"
#include "mux/si_source.hpp"
#include "mux/text.hpp"

namespace skyclass::mux {

struct SiElementaryStream {
  std::uint8_t stream_type = 0;  // kStreamTypeH264, kStreamTypeMpeg1Audio, ...
  std::uint16_t elementary_PID = 0;
  std::string language;  // ISO 639-2 code for an ISO_639_language_descriptor; empty: none
  std::optional<std::uint8_t> component_tag;  // stream_identifier_descriptor
};

// Target repetition periods, each below its TR 101 211 maximum to leave room for a late slot.
struct SiRepetitionMs {
  std::int64_t pat = 80;
  std::int64_t pmt = 80;
  std::int64_t sdt = 1500;
  std::int64_t nit = 8000;
  std::int64_t eit_present_following = 1500;
  std::int64_t eit_schedule = 8000;
  std::int64_t tdt = 10'000;
  std::int64_t tot = 10'000;
};

struct SiConfig {
  std::uint16_t network_id = 0;
  std::uint16_t original_network_id = 0;
  std::uint16_t transport_stream_id = 0;
  std::uint16_t service_id = 0;
  std::uint16_t pmt_pid = 0x0100;
  std::uint16_t pcr_pid = 0x0101;
  std::vector<SiElementaryStream> streams;
  std::uint8_t service_type = 0x16;  // H.264 SD digital television
  std::string provider_name = "CETV";
  std::string service_name;
  std::string network_name;
  SatelliteDeliverySystemDescriptor delivery;
  TextEncoding text_encoding = TextEncoding::utf8;
  std::string country_code = "CHN";
  int local_time_offset_min = 480;  // +08:00
  // Only to estimate when a section's last byte leaves, for the 25 ms gap.
  std::uint64_t muxrate_bps = 2'500'000;
  // Cap of the EIT schedule (both tables, TS packets included). When the guide does not fit,
  // the farthest days are left out of the schedule (see SiGenerator::schedule_horizon_days).
  std::uint64_t eit_schedule_max_bps = 150'000;
  SiRepetitionMs repetition;
};

class SiGenerator final : public SiSource {
 public:
  // Throws std::invalid_argument naming the field when the configuration cannot be carried
  // (text GB2312 lacks, a name too long, a period above its TR 101 211 maximum, ...).
  SiGenerator(SiConfig config, std::int64_t utc_at_zero_s, std::vector<EpgEvent> events = {});

  // Replaces the guide; safe from any thread. It takes effect at the next next_due call.
  void set_events(std::vector<EpgEvent> events);

  std::optional<SectionOnPid> next_due(std::uint64_t now_27mhz) override;
  // The 25 ms gap after a section runs from its real last byte (see SiSource::section_sent).
  void section_sent(std::uint64_t end_27mhz) override;
  std::uint64_t max_bitrate_bps() const override { return max_bitrate_bps_; }
  // Before this time next_due returns nothing and changes nothing (0 once set_events is called,
  // until the next next_due call takes the new guide in).
  std::uint64_t quiet_until_27mhz() const override {
    return quiet_until_27mhz_.load(std::memory_order_acquire);
  }

  // Days of guide the schedule currently carries (8 unless eit_schedule_max_bps forced fewer).
  int schedule_horizon_days() const;
  // Events left out of the guide because the EIT cannot carry them (see epg_event_is_valid).
  std::size_t rejected_events() const;

 private:
  enum CycleId { kPat, kPmt, kTdt, kTot, kPf, kSdt, kNit, kSchedule50, kSchedule51, kCycleCount };
  struct Cycle {
    std::uint16_t pid = 0;
    std::uint64_t period_27mhz = 0;
    bool spread = false;  // spread sections over the period (schedule) or send back to back
    std::vector<Bytes> sections;
    std::vector<std::uint32_t> keys;          // table_id, table_id_extension, section_number
    std::vector<std::uint64_t> phases_27mhz;  // due at anchor + phase + n * period
    std::vector<std::uint64_t> dues_27mhz;    // when each section is next due
    std::size_t next = 0;                     // the earliest due (the first of equals)
    std::uint64_t anchor_27mhz = 0;
    std::uint64_t earliest_next_27mhz = 0;  // last byte of the previous section + 25 ms
    bool urgent = false;                    // new content to send before anything else
  };

  void build_static_tables();
  void set_sections(Cycle& cycle, std::vector<Bytes> sections, std::uint64_t now_27mhz);
  static void restart(Cycle& cycle, std::uint64_t now_27mhz);
  static void find_next(Cycle& cycle);
  std::uint64_t ready_27mhz(CycleId id) const;
  std::int64_t utc_s(std::uint64_t now_27mhz) const;
  std::uint64_t tick_of_utc(std::int64_t utc_s) const;
  void apply_pending_events(std::uint64_t now_27mhz);
  void refresh_present_following(std::uint64_t now_27mhz);
  void refresh_schedule(std::uint64_t now_27mhz);
  bool eligible(CycleId id, std::uint64_t now_27mhz) const;
  static std::uint64_t due_27mhz(const Cycle& cycle) { return cycle.dues_27mhz[cycle.next]; }
  std::uint64_t transmit_27mhz(std::size_t section_bytes) const;
  void refresh_time_tables(std::uint64_t now_27mhz);
  SectionOnPid send(CycleId id, std::uint64_t now_27mhz);
  std::uint64_t compute_max_bitrate_bps() const;

  SiConfig config_;
  std::int64_t utc_at_zero_s_;
  EpgTables epg_;
  std::vector<Cycle> cycles_;
  bool started_ = false;
  std::uint64_t pf_change_27mhz_ = 0;
  bool pf_restarted_ = false;
  std::uint64_t pf_restart_27mhz_ = 0;
  std::uint64_t schedule_change_27mhz_ = 0;
  std::size_t schedule_max_packets_ = 0;
  int schedule_horizon_days_ = kScheduleDays;
  std::uint64_t max_bitrate_bps_ = 0;
  std::array<std::uint64_t, 24> transmit_by_packets_27mhz_{};  // a 4096-byte section: 23 packets

  mutable std::mutex mutex_;  // guards everything above against set_events and the getters
  std::optional<std::vector<EpgEvent>> pending_events_;
  std::optional<CycleId> last_sent_;  // whose section is going out
  std::atomic<std::uint64_t> quiet_until_27mhz_{0};
};

}  // namespace skyclass::mux

#include "mux/si_generator.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdio>
#include <map>
#include <set>
#include <thread>

#include "mux/section.hpp"
#include "mux/tables/eit.hpp"
#include "mux/tables/pmt.hpp"
#include "mux/tables/sdt.hpp"
#include "mux/tables/tdt.hpp"
#include "mux/tables/tot.hpp"

namespace skyclass::mux {
namespace {

constexpr std::int64_t kMonday = 1581897600;  // 2020-02-17 00:00:00 UTC
constexpr std::int64_t kHour = 3600;
constexpr std::uint64_t kTicksPerMs = 27'000;

SiConfig cetv_config() {
  SiConfig c;
  c.network_id = 0x20CB;
  c.original_network_id = 0x20CB;
  c.transport_stream_id = 4;
  c.service_id = 404;
  c.pmt_pid = 0x100;
  c.pcr_pid = 0x101;
  c.streams = {{kStreamTypeH264, 0x101, "", 1}, {kStreamTypeMpeg1Audio, 0x102, "chi", 2}};
  c.provider_name = "CETV";
  c.service_name = "CETV-4 空中课堂";
  c.network_name = "中国教育电视台";
  c.delivery.frequency_10khz = 1202000;
  c.delivery.orbital_position_0_1deg = 1155;
  c.delivery.symbol_rate_100sym_s = 275000;
  c.delivery.FEC_inner = 3;
  return c;
}

EpgEvent lesson(std::uint16_t id, std::int64_t start_utc_s, std::int64_t duration_s) {
  EpgEvent e;
  e.event_id = id;
  e.start_utc_s = start_utc_s;
  e.duration_s = duration_s;
  e.title = "第" + std::to_string(id) + "课 小学数学";
  e.text = "分数的初步认识";
  e.crid = "crid://cetv.cn/" + std::to_string(id);
  return e;
}

// A school day of 45-minute lessons with 5-minute breaks, plus a week of further days.
std::vector<EpgEvent> school_week() {
  std::vector<EpgEvent> events;
  std::uint16_t id = 1;
  for (int day = 0; day < 8; ++day) {
    for (int n = 0; n < 12; ++n) {
      events.push_back(
          lesson(id++, kMonday + day * 86400 + 8 * kHour - 15 * 60 + n * 50 * 60, 45 * 60));
    }
  }
  return events;
}

struct Sent {
  std::uint64_t tick;
  std::uint16_t pid;
  Bytes section;
};

std::uint8_t table_id_of(const Sent& s) {
  return s.section[0];
}

// (table_id, table_id_extension, section_number): what TR 101 211 repetition is counted on.
std::tuple<int, int, int> section_key(const Sent& s) {
  if (s.section[1] & 0x80) return {s.section[0], s.section[3] << 8 | s.section[4], s.section[6]};
  return {s.section[0], 0, 0};
}
std::pair<int, int> sub_table_key(const Sent& s) {
  auto [table, ext, number] = section_key(s);
  return {table, ext};
}

std::uint64_t max_interval_ms(std::uint8_t table_id) {
  if (table_id == 0x00 || table_id == 0x02) return 100;
  if (table_id == 0x42 || table_id == 0x4E) return 2000;
  if (table_id == 0x40 || (table_id >= 0x50 && table_id <= 0x5F)) return 10'000;
  return 30'000;  // TDT, TOT
}

// One next_due call per millisecond, as a multiplexer with SI slots to spare would make.
std::vector<Sent> simulate(SiGenerator& generator, std::uint64_t from_ms, std::uint64_t to_ms,
                           const std::function<void(std::uint64_t)>& before_call = {}) {
  std::vector<Sent> sent;
  for (std::uint64_t ms = from_ms; ms < to_ms; ++ms) {
    if (before_call) before_call(ms);
    auto due = generator.next_due(ms * kTicksPerMs);
    if (due) {
      sent.push_back({ms * kTicksPerMs, due->pid, Bytes(due->section.begin(), due->section.end())});
    }
  }
  return sent;
}

void expect_repetition_within_limits(const std::vector<Sent>& sent, std::uint64_t from_ms,
                                     std::uint64_t to_ms) {
  std::map<std::tuple<int, int, int>, std::vector<std::uint64_t>> times;
  for (const Sent& s : sent) times[section_key(s)].push_back(s.tick);
  ASSERT_FALSE(times.empty());
  for (const auto& [key, ticks] : times) {
    std::uint64_t limit =
        max_interval_ms(static_cast<std::uint8_t>(std::get<0>(key))) * kTicksPerMs;
    std::uint64_t previous = from_ms * kTicksPerMs;
    for (std::uint64_t tick : ticks) {
      ASSERT_LE(tick - previous, limit)
          << "table 0x" << std::hex << std::get<0>(key) << " section " << std::dec
          << std::get<2>(key) << " at " << tick / kTicksPerMs << " ms";
      previous = tick;
    }
    ASSERT_LE(to_ms * kTicksPerMs - previous, limit)
        << "table 0x" << std::hex << std::get<0>(key) << " stopped repeating";
  }
}

// 25 ms from the estimated last byte of a section (at the mux rate) to the next of its sub-table.
void expect_minimum_gap(const std::vector<Sent>& sent, std::uint64_t muxrate_bps) {
  std::map<std::pair<int, int>, const Sent*> last;
  for (const Sent& s : sent) {
    auto key = sub_table_key(s);
    if (auto it = last.find(key); it != last.end()) {
      const Sent& previous = *it->second;
      std::uint64_t transmit =
          section_packet_count(previous.section.size()) * 188 * 8 * 27'000'000 / muxrate_bps;
      ASSERT_GE(s.tick - previous.tick, 25 * kTicksPerMs + transmit)
          << "table 0x" << std::hex << key.first << " at " << std::dec << s.tick / kTicksPerMs
          << " ms";
    }
    last[key] = &s;
  }
}

// A multiplexer interleaves PCR packets into a section, so its last byte can leave later than
// its size says: told so by section_sent, the generator keeps the 25 ms from that real end.
// (Without it, tsmon found EIT schedule sections 21.5 ms apart over a whole day at 700 kbit/s.)
TEST(SiGenerator, TheGapRunsFromTheRealLastByte) {
  SiGenerator generator(cetv_config(), kMonday + 7 * kHour + 45 * 60, school_week());
  constexpr std::uint64_t kLate = 7 * kTicksPerMs;  // each section ends 7 ms after its estimate
  const std::uint64_t muxrate = cetv_config().muxrate_bps;
  std::map<std::pair<int, int>, std::uint64_t> end_of;  // sub-table -> its last section's end
  std::uint64_t busy_until = 0, checked = 0;
  for (std::uint64_t ms = 0; ms < 30'000; ++ms) {
    const std::uint64_t now = ms * kTicksPerMs;
    if (now < busy_until) continue;  // the section still going out holds the SI slots
    auto due = generator.next_due(now);
    if (!due) continue;
    const Sent s{now, due->pid, Bytes(due->section.begin(), due->section.end())};
    const std::uint64_t end =
        now + section_packet_count(s.section.size()) * 188 * 8 * 27'000'000 / muxrate + kLate;
    generator.section_sent(end);
    busy_until = end;
    const auto key = sub_table_key(s);
    if (auto it = end_of.find(key); it != end_of.end()) {
      ASSERT_GE(now, it->second + 25 * kTicksPerMs)
          << "table 0x" << std::hex << key.first << " at " << std::dec << ms << " ms";
      ++checked;
    }
    end_of[key] = end;
  }
  EXPECT_GT(checked, 500u);
}

std::uint16_t present_event_id(const Sent& s) {
  auto eit = Eit::decode(s.section);
  EXPECT_TRUE(eit.ok()) << eit.error();
  return eit.ok() && !eit->events.empty() ? eit->events[0].event_id : 0;
}

TEST(SiGenerator, SixtySecondsMeetRepetitionRatesAndGaps) {
  // Stream time zero is 07:45:00; lesson 1 runs 07:45-08:30, so 60 s stay inside it.
  SiGenerator generator(cetv_config(), kMonday + 7 * kHour + 45 * 60, school_week());
  auto sent = simulate(generator, 0, 60'000);
  expect_repetition_within_limits(sent, 0, 60'000);
  expect_minimum_gap(sent, cetv_config().muxrate_bps);

  std::map<std::uint8_t, int> count;
  for (const Sent& s : sent) ++count[table_id_of(s)];
  EXPECT_GE(count[0x00], 600);  // <= 100 ms over 60 s
  EXPECT_GE(count[0x02], 600);
  EXPECT_GE(count[0x42], 30);
  EXPECT_GE(count[0x40], 6);
  EXPECT_GE(count[0x4E], 60);
  EXPECT_GE(count[0x50], 6 * 32);
  EXPECT_GE(count[0x51], 6 * 32);
  EXPECT_GE(count[0x70], 2);
  EXPECT_GE(count[0x73], 2);
}

TEST(SiGenerator, SectionsGoOnTheirPidsAndDecode) {
  SiGenerator generator(cetv_config(), kMonday + 7 * kHour + 45 * 60, school_week());
  auto sent = simulate(generator, 0, 11'000);
  std::map<std::uint8_t, std::uint16_t> pid_of = {{0x00, 0x0000}, {0x02, 0x0100}, {0x42, 0x0011},
                                                  {0x40, 0x0010}, {0x4E, 0x0012}, {0x50, 0x0012},
                                                  {0x51, 0x0012}, {0x70, 0x0014}, {0x73, 0x0014}};
  for (const Sent& s : sent) {
    ASSERT_EQ(s.pid, pid_of.at(table_id_of(s))) << std::hex << int{table_id_of(s)};
  }
  for (const Sent& s : sent) {
    if (table_id_of(s) == 0x42) {
      auto sdt = Sdt::decode(s.section);
      ASSERT_TRUE(sdt.ok()) << sdt.error();
      const auto* service = find_descriptor<ServiceDescriptor>(sdt->services.at(0).descriptors);
      ASSERT_NE(service, nullptr);
      EXPECT_EQ(service->service_name.utf8(), "CETV-4 空中课堂");
      EXPECT_EQ(service->service_type, 0x16);
    }
    if (table_id_of(s) == 0x02) {
      auto pmt = Pmt::decode(s.section);
      ASSERT_TRUE(pmt.ok()) << pmt.error();
      EXPECT_EQ(pmt->PCR_PID, 0x101);
      ASSERT_EQ(pmt->streams.size(), 2u);
      EXPECT_NE(find_descriptor<Iso639LanguageDescriptor>(pmt->streams[1].descriptors), nullptr);
    }
  }
}

TEST(SiGenerator, TimeTablesCarryTheSlotTime) {
  std::int64_t zero = kMonday + 7 * kHour;
  SiGenerator generator(cetv_config(), zero, {});
  auto sent = simulate(generator, 0, 35'000);
  int tdt_count = 0, tot_count = 0;
  for (const Sent& s : sent) {
    std::int64_t expected_utc = zero + static_cast<std::int64_t>(s.tick / 27'000'000);
    if (table_id_of(s) == 0x70) {
      ++tdt_count;
      EXPECT_EQ(Tdt::decode(s.section).value().UTC_time_s, expected_utc);
    }
    if (table_id_of(s) == 0x73) {
      ++tot_count;
      auto tot = Tot::decode(s.section);
      ASSERT_TRUE(tot.ok()) << tot.error();
      EXPECT_EQ(tot->UTC_time_s, expected_utc);
      const auto* lto = find_descriptor<LocalTimeOffsetDescriptor>(tot->descriptors);
      ASSERT_NE(lto, nullptr);
      EXPECT_EQ(lto->regions.at(0).country_code, "CHN");
      EXPECT_EQ(lto->regions.at(0).local_time_offset_min, 480);
      EXPECT_FALSE(lto->regions.at(0).local_time_offset_polarity);
    }
  }
  EXPECT_GE(tdt_count, 2);
  EXPECT_GE(tot_count, 2);
}

TEST(SiGenerator, PresentFollowingSwitchesAtTheExactBoundary) {
  // Lesson 1 ends at 08:30:00 = stream time 30 s; lesson 2 starts at 08:35:00 (a break).
  std::int64_t zero = kMonday + 8 * kHour + 29 * 60 + 30;
  SiGenerator generator(cetv_config(), zero, school_week());
  auto sent = simulate(generator, 0, 40'000);
  const std::uint64_t end_tick = 30'000 * kTicksPerMs;
  const Sent* last_before = nullptr;
  const Sent* first_after = nullptr;
  for (const Sent& s : sent) {
    if (table_id_of(s) != 0x4E || s.section[6] != 0) continue;
    if (s.tick < end_tick) last_before = &s;
    if (s.tick >= end_tick && !first_after) first_after = &s;
  }
  ASSERT_TRUE(last_before && first_after);
  EXPECT_EQ(present_event_id(*last_before), 1);
  EXPECT_EQ(first_after->tick, end_tick) << "sent in the very slot of the boundary";
  EXPECT_EQ(present_event_id(*first_after), 0) << "the break: nothing is running";
  EXPECT_NE(last_before->section[5], first_after->section[5]) << "new version_number";
  expect_repetition_within_limits(sent, 0, 40'000);
  expect_minimum_gap(sent, cetv_config().muxrate_bps);
}

TEST(SiGenerator, HoldsARepetitionThatWouldDelayTheSwitch) {
  // With a 1990 ms p/f period, p/f goes out at 0, 1990, ... 9950 ms, and section 1 would follow
  // at about 9976 ms, so its 25 ms gap would end after the boundary at 10 s. It must wait.
  SiConfig config = cetv_config();
  config.repetition.eit_present_following = 1990;
  std::int64_t zero = kMonday + 8 * kHour + 30 * 60 - 10;  // lesson 1 ends at stream time 10 s
  SiGenerator generator(config, zero, school_week());
  auto sent = simulate(generator, 0, 12'000);
  const std::uint64_t end_tick = 10'000 * kTicksPerMs;
  bool regular_send_shortly_before = false;
  const Sent* first_after = nullptr;
  for (const Sent& s : sent) {
    if (table_id_of(s) != 0x4E) continue;
    if (s.tick < end_tick && s.tick + 60 * kTicksPerMs > end_tick)
      regular_send_shortly_before = true;
    if (s.tick >= end_tick && s.section[6] == 0 && !first_after) first_after = &s;
  }
  ASSERT_TRUE(regular_send_shortly_before) << "the scenario puts a p/f send near the boundary";
  ASSERT_NE(first_after, nullptr);
  EXPECT_EQ(first_after->tick, end_tick);
  expect_minimum_gap(sent, config.muxrate_bps);
}

TEST(SiGenerator, BackToBackEventsSwitchEveryMinute) {
  std::vector<EpgEvent> events;
  std::int64_t zero = kMonday + 12 * kHour;
  for (std::uint16_t i = 0; i < 10; ++i) events.push_back(lesson(100 + i, zero + 7 + i * 60, 60));
  SiGenerator generator(cetv_config(), zero, events);
  auto sent = simulate(generator, 0, 300'000);
  for (std::uint16_t i = 0; i < 5; ++i) {
    std::uint64_t boundary = static_cast<std::uint64_t>(7 + i * 60) * 1000 * kTicksPerMs;
    auto at = std::find_if(sent.begin(), sent.end(), [&](const Sent& s) {
      return s.tick == boundary && table_id_of(s) == 0x4E;
    });
    ASSERT_NE(at, sent.end()) << "no p/f at boundary " << i;
    EXPECT_EQ(at->section[6], 0);
    EXPECT_EQ(present_event_id(*at), 100 + i);
  }
  expect_repetition_within_limits(sent, 0, 300'000);
  expect_minimum_gap(sent, cetv_config().muxrate_bps);
}

TEST(SiGenerator, SetEventsTakesEffectAtOnce) {
  std::int64_t zero = kMonday + 7 * kHour + 50 * 60;
  SiGenerator generator(cetv_config(), zero, school_week());
  auto replaced = school_week();
  replaced[0].event_id = 999;  // the running lesson gets a new identity
  auto sent = simulate(generator, 0, 20'000, [&](std::uint64_t ms) {
    if (ms == 10'000) generator.set_events(replaced);
  });
  auto first_new = std::find_if(sent.begin(), sent.end(), [](const Sent& s) {
    return table_id_of(s) == 0x4E && s.section[6] == 0 && present_event_id(s) == 999;
  });
  ASSERT_NE(first_new, sent.end());
  EXPECT_GE(first_new->tick, 10'000 * kTicksPerMs);
  EXPECT_LE(first_new->tick, 10'030 * kTicksPerMs) << "within the 25 ms gap of the last p/f";
  expect_repetition_within_limits(sent, 0, 20'000);
  expect_minimum_gap(sent, cetv_config().muxrate_bps);
}

TEST(SiGenerator, ScheduleRollsOverAtMidnightUtc) {
  std::int64_t zero = kMonday + 24 * kHour - 20;  // 23:59:40
  SiGenerator generator(cetv_config(), zero, school_week());
  auto sent = simulate(generator, 0, 40'000);
  std::set<int> versions_0x50;
  for (const Sent& s : sent) {
    if (table_id_of(s) == 0x50) versions_0x50.insert((s.section[5] >> 1) & 0x1F);
  }
  EXPECT_EQ(versions_0x50.size(), 2u) << "one version before midnight, one after";
  expect_repetition_within_limits(sent, 0, 40'000);
  expect_minimum_gap(sent, cetv_config().muxrate_bps);
}

// A full guide from `first_day_utc_s` for `days` days. Each day has one three-hour segment of
// 5-minute programmes at segment (day + dense_shift) % 8 (three EIT sections) and one programme
// per other segment (one section each), so a day's sections sit elsewhere in the table than the
// next day's: the layout of section numbers changes at every UTC midnight.
std::vector<EpgEvent> full_guide(std::int64_t first_day_utc_s, int days, int dense_shift = 0) {
  std::vector<EpgEvent> events;
  std::uint16_t id = 1000;
  const std::string text = std::string(60, 'x') + "：分数的初步认识，认识几分之一，比较大小。";
  for (int day = 0; day < days; ++day) {
    const std::int64_t midnight = first_day_utc_s + day * 86'400;
    const int dense = (day + dense_shift) % 8;
    for (int segment = 0; segment < 8; ++segment) {
      const std::int64_t start = midnight + segment * 3 * kHour;
      const int count = segment == dense ? 36 : 1;
      for (int n = 0; n < count; ++n) {
        EpgEvent e = lesson(id++, start + n * 3 * kHour / count, 3 * kHour / count);
        e.text = text;
        events.push_back(std::move(e));
      }
    }
  }
  return events;
}

struct GapReport {
  std::tuple<int, int, int> key;  // table_id, table_id_extension, section_number
  std::uint64_t gap_27mhz = 0;
  std::uint64_t at_27mhz = 0;  // end of the gap
};

using SectionKeys = std::set<std::tuple<int, int, int>>;

// The sections of the EIT schedule for `events` at `utc_s`, as the generator builds it.
SectionKeys schedule_keys(const std::vector<EpgEvent>& events, std::int64_t utc_s) {
  const SiConfig config = cetv_config();
  EpgTables tables(EpgServiceIds{config.service_id, config.transport_stream_id,
                                 config.original_network_id, config.text_encoding});
  tables.set_events(events);
  const EpgTables::Schedule& schedule = tables.schedule(utc_s);
  SectionKeys keys;
  for (const auto* table : {&schedule.table_0x50, &schedule.table_0x51}) {
    for (const Bytes& section : *table) keys.insert(section_key(Sent{0, 0, section}));
  }
  return keys;
}

// The largest interval between copies of each section from `from_ms` to `to_ms`, each checked
// against the TR 101 211 limit of its table. The schedule had the sections `before` until
// `change_ms` and `after` from then on: a section counts from the start of the run if it was
// there before (from the change if not), and up to the end of the run if it is still there.
GapReport check_gaps_across_a_change(const std::vector<Sent>& sent, std::uint64_t from_ms,
                                     std::uint64_t to_ms, std::uint64_t change_ms,
                                     const SectionKeys& before, const SectionKeys& after) {
  std::map<std::tuple<int, int, int>, std::vector<std::uint64_t>> times;
  for (const Sent& s : sent) times[section_key(s)].push_back(s.tick);
  for (const auto& key : after) EXPECT_TRUE(times.count(key)) << "a section never sent";
  GapReport worst_schedule;
  for (const auto& entry : times) {
    const std::tuple<int, int, int>& key = entry.first;  // a named variable: lambdas capture it
    const std::vector<std::uint64_t>& ticks = entry.second;
    const auto table_id = static_cast<std::uint8_t>(std::get<0>(key));
    const bool schedule = table_id >= 0x50 && table_id <= 0x5F;
    const std::uint64_t limit = max_interval_ms(table_id) * kTicksPerMs;
    std::uint64_t previous = (!schedule || before.count(key) ? from_ms : change_ms) * kTicksPerMs;
    auto gap = [&](std::uint64_t at) {
      EXPECT_LE(at - previous, limit)
          << "table 0x" << std::hex << std::get<0>(key) << std::dec << " section "
          << std::get<2>(key) << ": " << (at - previous) / kTicksPerMs << " ms until "
          << at / kTicksPerMs << " ms (limit " << limit / kTicksPerMs << " ms)";
      if (schedule && at - previous > worst_schedule.gap_27mhz) {
        worst_schedule = {key, at - previous, at};
      }
    };
    for (std::uint64_t tick : ticks) {
      gap(tick);
      previous = tick;
    }
    if (!schedule || after.count(key)) gap(to_ms * kTicksPerMs);
  }
  return worst_schedule;
}

// EIT schedule packets in the busiest second of [from_ms, to_ms), at 10 ms steps.
std::uint64_t busiest_schedule_second(const std::vector<Sent>& sent, std::uint64_t from_ms,
                                      std::uint64_t to_ms) {
  std::uint64_t busiest = 0;
  for (std::uint64_t start = from_ms; start + 1000 <= to_ms; start += 10) {
    std::uint64_t packets = 0;
    for (const Sent& s : sent) {
      if (table_id_of(s) >= 0x50 && s.tick >= start * kTicksPerMs &&
          s.tick < (start + 1000) * kTicksPerMs) {
        packets += section_packet_count(s.section.size());
      }
    }
    busiest = std::max(busiest, packets);
  }
  return busiest;
}

// TR 101 211 counts repetition per section. When the schedule's sections change (a new guide,
// or the 8-day window moving at UTC midnight), a section number that moves to another place in
// the table must still come round within the period, measured from its last copy. The change
// comes at several places in the schedule's cycle.
TEST(SiGenerator, EverySectionRepeatsWithinItsPeriodAcrossAScheduleChange) {
  const std::int64_t tuesday = kMonday + 86'400;
  const std::vector<EpgEvent> guide = full_guide(kMonday, 9);
  const std::vector<EpgEvent> next_guide = full_guide(kMonday, 9, 5);
  const std::uint64_t period = cetv_config().repetition.eit_schedule * kTicksPerMs;
  GapReport worst_midnight, worst_set_events;
  for (std::uint64_t change_ms = 12'000; change_ms < 20'000; change_ms += 1'300) {
    SCOPED_TRACE("change at " + std::to_string(change_ms) + " ms");
    const std::uint64_t end_ms = change_ms + 24'000;

    // UTC midnight, with a full guide on both sides. Stream time counts whole UTC seconds, so
    // midnight is at a whole second and the run starts later by the rest of change_ms.
    const std::uint64_t skew_ms = change_ms % 1000;
    const std::uint64_t midnight_ms = change_ms - skew_ms + 1000;
    SiGenerator midnight(cetv_config(), tuesday - static_cast<std::int64_t>(midnight_ms / 1000),
                         guide);
    auto sent = simulate(midnight, skew_ms, end_ms + skew_ms);
    ASSERT_EQ(midnight.schedule_horizon_days(), 8);
    const GapReport at_midnight = check_gaps_across_a_change(
        sent, skew_ms, end_ms + skew_ms, midnight_ms, schedule_keys(guide, tuesday - 1),
        schedule_keys(guide, tuesday));
    expect_minimum_gap(sent, cetv_config().muxrate_bps);
    if (at_midnight.gap_27mhz > worst_midnight.gap_27mhz) worst_midnight = at_midnight;

    // set_events at change_ms: the new guide moves every day's dense segment.
    const std::int64_t zero = kMonday + 6 * kHour;
    SiGenerator replaced(cetv_config(), zero, guide);
    sent = simulate(replaced, 0, end_ms, [&](std::uint64_t ms) {
      if (ms == change_ms) replaced.set_events(next_guide);
    });
    ASSERT_EQ(replaced.schedule_horizon_days(), 8);
    const GapReport at_set_events = check_gaps_across_a_change(
        sent, 0, end_ms, change_ms, schedule_keys(guide, zero), schedule_keys(next_guide, zero));
    expect_minimum_gap(sent, cetv_config().muxrate_bps);
    if (at_set_events.gap_27mhz > worst_set_events.gap_27mhz) worst_set_events = at_set_events;
    if (change_ms == 12'000) {
      // What keeping the phases costs: how evenly the schedule's packets are spread, in the
      // first layout and a period after the change.
      std::printf(
          "  measured: EIT schedule packets in the busiest second: %llu before the "
          "set_events change, %llu from one period after it\n",
          static_cast<unsigned long long>(busiest_schedule_second(sent, 0, change_ms)),
          static_cast<unsigned long long>(
              busiest_schedule_second(sent, change_ms + 8'000, end_ms)));
    }
  }
  for (const auto& [what, worst] :
       {std::pair{"UTC midnight", worst_midnight}, std::pair{"set_events", worst_set_events}}) {
    std::printf(
        "  measured: across %s, largest gap of an EIT schedule section %.3f s (table "
        "0x%02X section %d)\n",
        what, static_cast<double>(worst.gap_27mhz) / 27e6, std::get<0>(worst.key),
        std::get<2>(worst.key));
    // Beyond the TR 101 211 limit checked above: no later than the period, but for the slots
    // a section waits behind others (the 25 ms gap).
    EXPECT_LE(worst.gap_27mhz, period + 250 * kTicksPerMs) << what;
  }
}

TEST(SiGenerator, MaxBitrateBoundsWhatIsSent) {
  SiGenerator generator(cetv_config(), kMonday + 7 * kHour + 45 * 60, school_week());
  auto sent = simulate(generator, 0, 60'000);
  std::uint64_t bits = 0;
  for (const Sent& s : sent) bits += section_packet_count(s.section.size()) * 188 * 8;
  std::uint64_t measured_bps = bits / 60;
  EXPECT_LE(measured_bps, generator.max_bitrate_bps());
  EXPECT_GT(measured_bps, 20'000u);
  EXPECT_LT(generator.max_bitrate_bps(), 400'000u) << "a bound the 2.5 Mbit/s profile can afford";
  // Within any window of 10 s the bound holds too (no catch-up bursts beyond it).
  for (std::uint64_t start_ms = 0; start_ms + 10'000 <= 60'000; start_ms += 1000) {
    std::uint64_t window_bits = 0;
    for (const Sent& s : sent) {
      if (s.tick >= start_ms * kTicksPerMs && s.tick < (start_ms + 10'000) * kTicksPerMs) {
        window_bits += section_packet_count(s.section.size()) * 188 * 8;
      }
    }
    EXPECT_LE(window_bits / 10, generator.max_bitrate_bps()) << start_ms;
  }
}

TEST(SiGenerator, FrequentGuideChangesStayWithinTheBound) {
  SiGenerator generator(cetv_config(), kMonday + 8 * kHour, school_week());
  auto events = school_week();
  auto sent = simulate(generator, 0, 20'000, [&](std::uint64_t ms) {
    if (ms % 50 == 0) {
      events[0].title = "改 " + std::to_string(ms);  // the running lesson changes every 50 ms
      generator.set_events(events);
    }
  });
  std::uint64_t bits = 0;
  for (const Sent& s : sent) bits += section_packet_count(s.section.size()) * 188 * 8;
  EXPECT_LE(bits / 20, generator.max_bitrate_bps());
  expect_repetition_within_limits(sent, 0, 20'000);
  expect_minimum_gap(sent, cetv_config().muxrate_bps);
}

TEST(SiGenerator, ScheduleCapShortensTheHorizonInsteadOfTheRepetition) {
  SiConfig config = cetv_config();
  config.eit_schedule_max_bps = 30'000;
  std::vector<EpgEvent> events = school_week();
  for (auto& e : events) e.text = std::string(200, 'x');
  SiGenerator generator(config, kMonday + 7 * kHour + 45 * 60, events);
  auto sent = simulate(generator, 0, 30'000);
  EXPECT_LT(generator.schedule_horizon_days(), 8);
  expect_repetition_within_limits(sent, 0, 30'000);
  std::uint64_t schedule_bits = 0;
  for (const Sent& s : sent) {
    if (table_id_of(s) >= 0x50) schedule_bits += section_packet_count(s.section.size()) * 1504;
  }
  EXPECT_LE(schedule_bits / 30, 30'000u + 30'000u / 8) << "within the cap (one partial cycle)";
}

TEST(SiGenerator, NothingIsDueBeforeItIsDue) {
  SiGenerator generator(cetv_config(), kMonday, {});
  int sent = 0;
  while (generator.next_due(0)) ++sent;
  EXPECT_EQ(sent, 9) << "each table once (PAT, PMT, SDT, NIT, TDT, TOT, p/f 0, 0x50 and 0x51 s0)";
  EXPECT_FALSE(generator.next_due(kTicksPerMs).has_value());
}

TEST(SiGenerator, RejectsConfigurationsItCannotCarry) {
  SiConfig gb = cetv_config();
  gb.text_encoding = TextEncoding::gb2312;
  EXPECT_NO_THROW(SiGenerator(gb, kMonday));
  gb.service_name = "空中課堂";
  try {
    SiGenerator generator(gb, kMonday);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("service_name"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("U+8AB2"), std::string::npos) << e.what();
  }
  SiConfig slow = cetv_config();
  slow.repetition.pat = 150;
  EXPECT_THROW(SiGenerator(slow, kMonday), std::invalid_argument);
  SiConfig starved = cetv_config();
  starved.eit_schedule_max_bps = 5'000;
  EXPECT_THROW(SiGenerator(starved, kMonday), std::invalid_argument);
  SiConfig long_name = cetv_config();
  long_name.service_name = std::string(300, 'n');
  EXPECT_THROW(SiGenerator(long_name, kMonday), std::invalid_argument);
}

TEST(SiGenerator, SetEventsFromAnotherThread) {
  SiGenerator generator(cetv_config(), kMonday + 8 * kHour, school_week());
  std::atomic<bool> done{false};
  std::thread scheduler([&] {
    auto events = school_week();
    for (int i = 0; !done; ++i) {
      events[0].title = "版本 " + std::to_string(i);
      generator.set_events(events);
      std::this_thread::yield();
    }
  });
  std::size_t sections = 0;
  for (std::uint64_t ms = 0; ms < 5'000; ++ms) {
    if (auto due = generator.next_due(ms * kTicksPerMs)) {
      ASSERT_GE(due->section.size(), 8u);
      ++sections;
    }
  }
  done = true;
  scheduler.join();
  EXPECT_GT(sections, 50u);
}

}  // namespace
}  // namespace skyclass::mux

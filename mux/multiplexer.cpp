#include "mux/multiplexer.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <string>

#include <fmt/format.h>

#include "mux/pcr.hpp"
#include "mux/ts_packet.hpp"

namespace skyclass::mux {
namespace {

constexpr std::int64_t kTicks = static_cast<std::int64_t>(kSystemTicksPerTimestampTick);
constexpr std::int64_t kMinPcrInterval27MHz = 20 * 27'000;  // profile: PCR every 20..40 ms
constexpr std::int64_t kMaxPcrInterval27MHz = 40 * 27'000;  // TR 101 290 1.2.1.1
constexpr std::int64_t kMaxDelay90k = 90'000;               // 13818-1 2.4.2.6: <= 1 s in T-STD
constexpr std::size_t kMaxSectionSize = 4096;               // private sections, EN 300 468
constexpr std::int64_t kNever = std::numeric_limits<std::int64_t>::min();
constexpr std::int64_t kForever = std::numeric_limits<std::int64_t>::max();

std::uint32_t pes_per_second(const ElementaryStreamConfig& es) {
  if (es.max_pes_per_second != 0) return es.max_pes_per_second;
  switch (es.kind) {
    case StreamKind::h264:
      return 60;  // up to 60 frames/s, one AU per PES
    case StreamKind::mpeg_audio:
      return 42;  // Layer II at 48 kHz: 1152 samples = 24 ms
    case StreamKind::aac_adts:
      return 47;  // AAC at 48 kHz: 1024 samples = 21.3 ms
  }
  return 60;
}

std::uint64_t stream_bitrate_bps(const ElementaryStreamConfig& es) {
  const std::uint64_t header_bytes = es.kind == StreamKind::h264
                                         ? kMaxPesHeaderSize + kAccessUnitDelimiter.size()
                                         : kMaxPesHeaderSize - 5;
  const std::uint64_t ts_bps =
      (es.max_bitrate_bps * kTsPacketSize + kTsMaxPayloadSize - 1) / kTsMaxPayloadSize;
  return ts_bps + std::uint64_t{pes_per_second(es)} * (header_bytes + kTsPacketSize) * 8;
}

std::uint64_t pcr_bitrate_bps(std::int64_t pcr_interval_27mhz) {
  const std::uint64_t bits = kTsPacketSize * 8 * kSystemClockHz;
  const auto interval = static_cast<std::uint64_t>(pcr_interval_27mhz);
  return (bits + interval - 1) / interval;
}

TstdParams tstd_params_for(const ElementaryStreamConfig& es) {
  switch (es.kind) {
    case StreamKind::h264:
      return tstd_params_h264(es.h264_level_idc);
    case StreamKind::mpeg_audio:
      return tstd_params_mpeg_audio();
    case StreamKind::aac_adts:
      return tstd_params_aac_adts(es.aac_channels);
  }
  return tstd_params_mpeg_audio();
}

void check_stream_config(const ElementaryStreamConfig& es) {
  if (es.pid < 0x0020 || es.pid > 0x1FFE) {
    throw MuxError(fmt::format("stream PID 0x{:04X} is outside 0x0020..0x1FFE", es.pid));
  }
  if (!stream_id_fits(es.kind, es.stream_id)) {
    throw MuxError(fmt::format("PID 0x{:04X}: stream_id 0x{:02X} is not a {} stream_id", es.pid,
                               es.stream_id, to_string(es.kind)));
  }
  if (es.max_bitrate_bps == 0) {
    throw MuxError(fmt::format("PID 0x{:04X}: max_bitrate_bps must be > 0", es.pid));
  }
}

void check_config(const MultiplexerConfig& c) {
  if (c.muxrate_bps == 0) throw MuxError("muxrate_bps must be > 0");
  if (c.pcr_interval_27mhz < kMinPcrInterval27MHz || c.pcr_interval_27mhz > kMaxPcrInterval27MHz) {
    throw MuxError(
        fmt::format("pcr_interval {} ticks (27 MHz) is outside 20..40 ms", c.pcr_interval_27mhz));
  }
  if (c.pcr_pid < 0x0020 || c.pcr_pid > 0x1FFE) {
    throw MuxError(fmt::format("PCR PID 0x{:04X} is outside 0x0020..0x1FFE", c.pcr_pid));
  }
  if (c.streams.empty()) throw MuxError("no elementary stream declared");
  for (std::size_t i = 0; i < c.streams.size(); ++i) {
    check_stream_config(c.streams[i]);
    for (std::size_t j = 0; j < i; ++j) {
      if (c.streams[j].pid == c.streams[i].pid) {
        throw MuxError(fmt::format("PID 0x{:04X} is declared twice", c.streams[i].pid));
      }
    }
  }
  if (c.mux_delay_90k <= 0 || c.mux_delay_90k > kMaxDelay90k) {
    throw MuxError(fmt::format("mux_delay {} (90 kHz) is outside (0, 1 s]", c.mux_delay_90k));
  }
  if (c.audio_pes_max_duration_90k < 0 || c.audio_pes_max_duration_90k >= c.mux_delay_90k) {
    throw MuxError(fmt::format("audio_pes_max_duration {} (90 kHz) must be in [0, mux_delay {})",
                               c.audio_pes_max_duration_90k, c.mux_delay_90k));
  }
  if (c.audio_max_lead_90k <= c.audio_pes_max_duration_90k) {
    throw MuxError(fmt::format("audio_max_lead {} (90 kHz) must exceed audio_pes_max_duration {}",
                               c.audio_max_lead_90k, c.audio_pes_max_duration_90k));
  }
}

const MultiplexerConfig& checked(const MultiplexerConfig& c) {
  check_config(c);
  return c;
}

// write_null_packet's bytes, copied for runs of null packets.
const std::array<std::uint8_t, kTsPacketSize> kNullPacket = [] {
  std::array<std::uint8_t, kTsPacketSize> packet{};
  write_null_packet(packet);
  return packet;
}();

std::int64_t ceil_div(std::int64_t a, std::int64_t b) {
  return a / b + (a % b != 0);
}

}  // namespace

struct Multiplexer::Impl {
  struct Stream {
    ElementaryStreamConfig config;
    PesPacketiser packetiser;
    TstdModel tstd;
    std::size_t sent_in_front = 0;  // bytes of the front PES already packetised
    bool pushed = false;
    std::int64_t last_out_dts_90k = 0;
    std::int64_t last_dts_step_90k = 1;
    std::int64_t offset_90k = 0;
    std::uint32_t epoch = 0;
    // After the T-STD refused the front packet: it is refused again in every slot that starts
    // before retry_start and ends before retry_end (TB has no room until then, or the main buffer
    // until an access unit leaves). kNever: ask the T-STD.
    std::int64_t retry_start_27mhz = kNever;
    std::int64_t retry_end_27mhz = kNever;
  };
  struct Slot {
    std::int64_t start_27mhz = 0;
    std::int64_t end_27mhz = 0;
    std::uint64_t pcr_27mhz = 0;  // unwrapped
  };
  // The next packet of a stream: what its adaptation field carries and how much payload fits.
  struct EsPlan {
    bool random_access = false;
    bool pcr = false;
    std::size_t payload_bytes = 0;
  };
  struct Pick {
    Stream* stream = nullptr;
    EsPlan plan;
  };

  Impl(const MultiplexerConfig& c, SiSource* si);

  // push
  Stream& stream_for(std::uint16_t pid, const AccessUnit& au);
  std::int64_t offset_for(const Stream& s, const AccessUnit& au) const;
  void validate(const Stream& s, const AccessUnit& au, std::int64_t offset) const;
  void commit(Stream& s, const AccessUnit& au, std::int64_t offset);
  void update_horizon();

  // pull
  Slot slot() const;  // the slot of packet_index
  // What write_slot wrote, for the run of like slots that may follow.
  struct Written {
    bool null = false;
    Stream* es = nullptr;  // the stream a packet of elementary-stream data came from
  };
  Written write_slot(const Slot& now, std::span<std::uint8_t, kTsPacketSize> out);
  std::size_t write_null_run(const Slot& null_slot, std::span<std::uint8_t> out);
  std::size_t write_es_run(Stream& s, std::span<std::uint8_t> out);
  std::int64_t si_quiet_end_27mhz() const;
  void check_deadlines(const Slot& slot);
  bool pcr_due() const;
  Stream* write_pcr_slot(const Slot& slot, std::span<std::uint8_t, kTsPacketSize> out);
  void write_pcr_only(const Slot& slot, std::span<std::uint8_t, kTsPacketSize> out);
  bool pcr_stream_idle(const Slot& now) const;
  bool write_si_packet(const Slot& slot, std::span<std::uint8_t, kTsPacketSize> out);
  Pick pick_stream(const Slot& slot);
  void refused(Stream& s, const Slot& now);
  bool released(const Stream& s, const Slot& slot) const;
  // How long before its DTS an access unit of `s` may be sent.
  std::int64_t lead_90k(const Stream& s) const {
    return is_audio(s.config.kind) ? std::min(config.mux_delay_90k, config.audio_max_lead_90k)
                                   : config.mux_delay_90k;
  }
  EsPlan plan_es_packet(const Stream& s, bool pcr_due) const;
  bool may_send(const Stream& s, const Slot& slot, const EsPlan& plan) const;
  void write_es_packet(Stream& s, const Slot& slot, const EsPlan& plan,
                       std::span<std::uint8_t, kTsPacketSize> out);
  [[noreturn]] void fail(const Stream& s, const TstdModel& tstd);
  bool finished() const;

  MultiplexerConfig config;
  SiSource* si;
  std::uint64_t required_bps = 0;
  std::vector<Stream> streams;
  ContinuityCounters cc;
  std::uint64_t packet_index = 0;
  PacketClock clock;  // times of packet_index
  bool pcr_sent = false;
  std::uint64_t last_pcr_27mhz = 0;
  // Timeline mapping (see multiplexer.hpp).
  bool mapped = false;
  std::uint32_t latest_epoch = 0;
  std::int64_t latest_offset_90k = 0;
  std::int64_t horizon_27mhz = kNever;       // slots starting before this are decided
  std::int64_t next_removal_27mhz = kNever;  // no access unit leaves a T-STD before this
  // PSI/SI section being packetised.
  std::span<const std::uint8_t> si_section;  // the source keeps it until it is out
  std::uint16_t si_pid = 0;
  std::size_t si_sent = 0;
  bool si_active = false;
  bool flushed = false;
  std::string failure;
};

Multiplexer::Impl::Impl(const MultiplexerConfig& c, SiSource* si_source)
    : config(checked(c)), si(si_source), clock(config.muxrate_bps, 0, config.start_pcr_27mhz) {
  required_bps = Multiplexer::required_bitrate_bps(config, si);
  if (required_bps > config.muxrate_bps) {
    std::string parts;
    for (const auto& es : config.streams) {
      parts += fmt::format("PID 0x{:04X} {} {} bit/s, ", es.pid, to_string(es.kind),
                           stream_bitrate_bps(es));
    }
    throw MuxError(fmt::format(
        "muxrate {} bit/s is too low: {} bit/s missing; the declared streams need {} bit/s "
        "({}PCR {} bit/s, SI {} bit/s)",
        config.muxrate_bps, required_bps - config.muxrate_bps, required_bps, parts,
        pcr_bitrate_bps(config.pcr_interval_27mhz), si ? si->max_bitrate_bps() : 0));
  }
  streams.reserve(config.streams.size());
  for (const auto& es : config.streams) {
    TstdParams params;
    try {
      params = tstd_params_for(es);
    } catch (const std::invalid_argument& e) {
      throw MuxError(fmt::format("PID 0x{:04X}: {}", es.pid, e.what()));
    }
    const PesStreamConfig pes{es.kind, es.stream_id, config.audio_pes_max_duration_90k,
                              config.audio_pes_max_payload_bytes};
    streams.push_back(Stream{es, PesPacketiser(pes), TstdModel(params)});
  }
}

// ---- push ------------------------------------------------------------------------------------

Multiplexer::Impl::Stream& Multiplexer::Impl::stream_for(std::uint16_t pid, const AccessUnit& au) {
  for (auto& s : streams) {
    if (s.config.pid == pid) return s;
  }
  throw MuxError(fmt::format("access unit on PID 0x{:04X} (PTS {}, DTS {}): PID is not declared",
                             pid, au.pts_90k, au.dts_90k));
}

std::int64_t Multiplexer::Impl::offset_for(const Stream& s, const AccessUnit& au) const {
  if (!mapped) {
    const std::int64_t start_90k =
        ceil_div(static_cast<std::int64_t>(config.start_pcr_27mhz), kTicks);
    return start_90k + config.mux_delay_90k - au.dts_90k;
  }
  if (!s.pushed) return latest_offset_90k;
  if (!au.discontinuity) return s.offset_90k;
  if (s.epoch < latest_epoch) return latest_offset_90k;  // joins the re-mapping of another PID
  return s.last_out_dts_90k + s.last_dts_step_90k - au.dts_90k;
}

void Multiplexer::Impl::validate(const Stream& s, const AccessUnit& au, std::int64_t offset) const {
  // Formatted only on error: the accepting path must not allocate.
  const auto where = [&] {
    return fmt::format("access unit on PID 0x{:04X} (PTS {}, DTS {})", s.config.pid, au.pts_90k,
                       au.dts_90k);
  };
  // The checks on timestamps and sizes are worked out before the data is read (its first read
  // may wait for memory), and reported in this order: data, PTS, DTS, size, T-STD, delivery.
  const std::int64_t out_dts = au.dts_90k + offset;
  const std::uint64_t b_bytes = au.data.size() + kMaxPesHeaderSize + kAccessUnitDelimiter.size();
  const Slot now = slot();
  const auto send_time = static_cast<std::int64_t>(byte_time_27mhz(b_bytes, config.muxrate_bps));
  const AccessUnitCheck check = check_access_unit(s.config.kind, au.data);
  if (check != AccessUnitCheck::ok && check != AccessUnitCheck::ok_without_aud) {
    throw MuxError(fmt::format("{}: {}", where(), to_string(check)));
  }
  if (au.pts_90k < au.dts_90k) throw MuxError(fmt::format("{}: PTS is before DTS", where()));
  if (s.pushed && out_dts < s.last_out_dts_90k) {
    throw MuxError(fmt::format("{}: DTS goes backwards (output DTS {} after {}{})", where(),
                               out_dts, s.last_out_dts_90k,
                               au.discontinuity ? " across the signalled discontinuity" : ""));
  }
  if (is_audio(s.config.kind) && au.data.size() > config.audio_pes_max_payload_bytes) {
    throw MuxError(fmt::format("{}: frame of {} bytes exceeds audio_pes_max_payload_bytes {}",
                               where(), au.data.size(), config.audio_pes_max_payload_bytes));
  }
  if (b_bytes > s.tstd.params().b_size_bytes) {
    throw MuxError(fmt::format("{}: {} bytes can never fit the T-STD buffer of {} bytes", where(),
                               au.data.size(), s.tstd.params().b_size_bytes));
  }
  if (out_dts * kTicks < now.start_27mhz + send_time) {
    throw MuxError(
        fmt::format("{}: output DTS {} is too close to the multiplex time {} (90 kHz) "
                    "to deliver {} bytes",
                    where(), out_dts, now.start_27mhz / kTicks, au.data.size()));
  }
}

void Multiplexer::Impl::commit(Stream& s, const AccessUnit& au, std::int64_t offset) {
  if (!mapped) {
    mapped = true;
    latest_offset_90k = offset;
  } else if (au.discontinuity && s.pushed && s.epoch == latest_epoch) {
    ++latest_epoch;  // this PID starts a new mapping; the others join it at their discontinuity
    latest_offset_90k = offset;
  }
  if (!s.pushed || au.discontinuity) s.epoch = latest_epoch;
  s.offset_90k = offset;
  const std::int64_t out_dts = au.dts_90k + offset;
  if (au.discontinuity) s.packetiser.close_open_packet();
  const std::size_t b_bytes =
      s.packetiser.push(PesFrame{au.data, au.pts_90k + offset, out_dts, au.key_frame});
  s.tstd.add_access_unit(out_dts * kTicks, b_bytes);
  next_removal_27mhz = std::min(next_removal_27mhz, out_dts * kTicks);
  if (s.pushed && out_dts > s.last_out_dts_90k) s.last_dts_step_90k = out_dts - s.last_out_dts_90k;
  s.last_out_dts_90k = out_dts;
  s.pushed = true;
}

void Multiplexer::Impl::update_horizon() {
  if (flushed) {
    horizon_27mhz = kForever;
    return;
  }
  std::int64_t horizon = kForever;
  for (const auto& s : streams) {
    if (!s.pushed) {
      horizon = kNever;
      break;
    }
    const PesPacketInfo* open = s.packetiser.open_packet();
    const std::int64_t next_ready_90k = open ? open->ready_dts_90k : s.last_out_dts_90k;
    horizon = std::min(horizon, (next_ready_90k - lead_90k(s)) * kTicks);
  }
  horizon_27mhz = horizon;
}

// ---- pull ------------------------------------------------------------------------------------

Multiplexer::Impl::Slot Multiplexer::Impl::slot() const {
  Slot s;
  s.start_27mhz = static_cast<std::int64_t>(clock.start_27mhz());
  s.end_27mhz = static_cast<std::int64_t>(clock.end_27mhz());
  s.pcr_27mhz = clock.pcr_27mhz();
  return s;
}

bool Multiplexer::Impl::finished() const {
  if (!flushed || si_active) return false;
  return std::all_of(streams.begin(), streams.end(), [](const Stream& s) {
    return s.packetiser.closed_packets() == 0 && !s.packetiser.has_open_packet();
  });
}

// Writes the slot of packet_index.
Multiplexer::Impl::Written Multiplexer::Impl::write_slot(
    const Slot& now, std::span<std::uint8_t, kTsPacketSize> out) {
  check_deadlines(now);
  Written written;
  if (pcr_due()) {
    written.es = write_pcr_slot(now, out);
  } else if (!write_si_packet(now, out)) {
    if (const Pick pick = pick_stream(now); pick.stream != nullptr) {
      write_es_packet(*pick.stream, now, pick.plan, out);
      written.es = pick.stream;
    } else {
      std::memcpy(out.data(), kNullPacket.data(), kTsPacketSize);
      written.null = true;
    }
  }
  ++packet_index;
  clock.advance();
  return written;
}

// After a packet of `s`: the following slots in which write_slot would send the next packets of
// the same PES, written at once. Each slot of the run passes what write_slot checks, in cheaper
// form: no access unit leaves a T-STD (check_deadlines has nothing to do), no PCR is due, no
// stream that write_slot would prefer to `s` (an earlier DTS, or the same DTS and declared
// first) can send (it has nothing closed, is not released, or its T-STD refused it until later),
// and the T-STD takes the packet of `s`. Where the SI source's quiet time ends, its section goes
// first, as in write_slot. The run ends with the PES, or with a section of several packets.
std::size_t Multiplexer::Impl::write_es_run(Stream& s, std::span<std::uint8_t> out) {
  // PES out, a section being sent (after a PCR slot) or a PCR due: write_slot decides.
  if (s.sent_in_front == 0 || si_active || !pcr_sent) return 0;
  const Slot first = slot();
  std::int64_t start_limit = std::min(horizon_27mhz, next_removal_27mhz);
  std::int64_t end_limit = kForever;
  const std::int64_t dts_90k = s.packetiser.front().dts_90k;
  for (Stream& o : streams) {
    if (&o == &s || o.packetiser.closed_packets() == 0) continue;
    const std::int64_t o_dts_90k = o.packetiser.front().dts_90k;
    if (o_dts_90k > dts_90k || (o_dts_90k == dts_90k && &o > &s)) continue;  // s goes first
    if (!released(o, first)) {
      const std::int64_t ready_90k = o.packetiser.front().ready_dts_90k - lead_90k(o);
      start_limit = std::min(start_limit, ready_90k * kTicks);
    } else if (first.start_27mhz < o.retry_start_27mhz && first.end_27mhz < o.retry_end_27mhz) {
      start_limit = std::min(start_limit, o.retry_start_27mhz);
      end_limit = std::min(end_limit, o.retry_end_27mhz);
    } else {
      return 0;  // it may send: write_slot decides
    }
  }
  const std::uint64_t pcr_limit =
      last_pcr_27mhz + static_cast<std::uint64_t>(config.pcr_interval_27mhz);
  std::int64_t si_limit = si_quiet_end_27mhz();
  std::size_t written = 0;
  while (written + kTsPacketSize <= out.size()) {
    const Slot now = slot();
    if (now.start_27mhz >= start_limit || now.end_27mhz >= end_limit ||
        clock.next_pcr_27mhz() > pcr_limit) {
      break;
    }
    const std::span<std::uint8_t, kTsPacketSize> packet =
        out.subspan(written).first<kTsPacketSize>();
    // The SI source may have a section here: it goes first, as in write_slot. A single-packet
    // section leaves the run to go on in the next slot.
    const bool section = now.start_27mhz >= si_limit && write_si_packet(now, packet);
    if (section) {
      si_limit = si_quiet_end_27mhz();
    } else {
      const EsPlan plan = plan_es_packet(s, false);
      if (!may_send(s, now, plan)) break;
      write_es_packet(s, now, plan, packet);
    }
    written += kTsPacketSize;
    ++packet_index;
    clock.advance();
    if (si_active || s.sent_in_front == 0) break;  // a section goes on, or the PES is out
  }
  return written;
}

// The first slot start at which write_si_packet asks the SI source (kForever: never).
std::int64_t Multiplexer::Impl::si_quiet_end_27mhz() const {
  if (si == nullptr) return kForever;
  const std::uint64_t quiet = si->quiet_until_27mhz();
  const auto origin = static_cast<std::int64_t>(config.start_pcr_27mhz);
  if (quiet >= static_cast<std::uint64_t>(kForever - origin)) return kForever;
  return origin + static_cast<std::int64_t>(quiet);
}

// After `null_slot`: the following slots that write_slot would also fill with null packets,
// written at once. Nothing changes until one of these, so each ends the run:
//  - a PCR becomes due (unless the PCR stream has nothing ready: then the run carries the
//    adaptation-only PCR packet write_slot would write, and goes on);
//  - the SI source's quiet time ends and it gives a section of more than one packet (the run
//    carries a single-packet section, and goes on);
//  - the DTS of an access unit not all in its T-STD (check_deadlines reports the underflow);
//  - the front PES of a stream is released; or, for a released stream the T-STD refused in
//    null_slot, TB has room (if TB refused) or else an access unit leaves its main buffer;
//  - the horizon of decided slots, or the end of `out`.
// Complete access units that leave meanwhile change nothing else: the next check_deadlines
// removes them, with the same result as slot by slot.
std::size_t Multiplexer::Impl::write_null_run(const Slot& null_slot, std::span<std::uint8_t> out) {
  if (!pcr_sent) return 0;
  std::int64_t start_limit = horizon_27mhz;  // stop at the first slot starting at or after this
  std::int64_t end_limit = kForever;         // ... or ending at or after this
  for (const Stream& s : streams) {
    start_limit = std::min(start_limit, s.tstd.next_incomplete_dts_27mhz());
    if (s.packetiser.closed_packets() == 0) continue;
    if (!released(s, null_slot)) {
      const std::int64_t ready_90k = s.packetiser.front().ready_dts_90k - lead_90k(s);
      start_limit = std::min(start_limit, ready_90k * kTicks);
      continue;
    }
    // Refused in null_slot (pick_stream recorded until when).
    start_limit = std::min(start_limit, s.retry_start_27mhz);
    end_limit = std::min(end_limit, s.retry_end_27mhz);
  }
  const bool pcr_idle = pcr_stream_idle(null_slot);
  const auto unsigned_limit = [](std::int64_t limit) {
    return limit <= 0 ? 0 : static_cast<std::uint64_t>(limit);
  };
  std::size_t written = 0;
  while (true) {
    const std::uint64_t pcr_limit =
        last_pcr_27mhz + static_cast<std::uint64_t>(config.pcr_interval_27mhz);
    const std::int64_t si_limit = si_quiet_end_27mhz();
    const std::size_t packets = clock.advance_while(unsigned_limit(std::min(start_limit, si_limit)),
                                                    unsigned_limit(end_limit), pcr_limit,
                                                    (out.size() - written) / kTsPacketSize);
    packet_index += packets;
    // write_null_packet's bytes: all stuffing, then each packet's 4-byte header.
    std::uint8_t* nulls = out.data() + written;
    std::memset(nulls, kStuffingByte, packets * kTsPacketSize);
    for (std::size_t i = 0; i < packets; ++i) {
      std::memcpy(nulls + i * kTsPacketSize, kNullPacket.data(), kTsHeaderSize);
    }
    written += packets * kTsPacketSize;
    const Slot now = slot();
    if (written == out.size() || now.start_27mhz >= start_limit || now.end_27mhz >= end_limit) {
      return written;
    }
    // Ended by a PCR or by the SI source alone. What write_slot writes there: with no data of
    // the PCR stream to carry it, the adaptation-only PCR packet; a section (the run goes on
    // after a single-packet one); or, when the source has none after all, a null packet.
    const std::span<std::uint8_t, kTsPacketSize> packet =
        out.subspan(written).first<kTsPacketSize>();
    if (clock.next_pcr_27mhz() > pcr_limit) {
      if (!pcr_idle) return written;
      write_pcr_only(now, packet);
    } else if (!write_si_packet(now, packet)) {
      std::memcpy(packet.data(), kNullPacket.data(), kTsPacketSize);
    }
    written += kTsPacketSize;
    ++packet_index;
    clock.advance();
    if (si_active) return written;  // the rest of the section: write_slot's
  }
}

// The PCR stream has no PES ready (nothing closed, or not released) in `now`, nor until a run
// that starts there ends (its release ends the run).
bool Multiplexer::Impl::pcr_stream_idle(const Slot& now) const {
  for (const Stream& s : streams) {
    if (s.config.pid != config.pcr_pid) continue;
    return s.packetiser.closed_packets() == 0 || !released(s, now);
  }
  return true;
}

// Access units leave their T-STD buffers (and an incomplete one fails) at their DTS. Before the
// next DTS, advance_to would only drain TB, which every later T-STD call does on its own.
void Multiplexer::Impl::check_deadlines(const Slot& now) {
  if (now.start_27mhz < next_removal_27mhz) return;
  next_removal_27mhz = kForever;
  for (auto& s : streams) {
    if (s.tstd.advance_to(now.start_27mhz) != TstdResult::ok) fail(s, s.tstd);
    next_removal_27mhz = std::min(next_removal_27mhz, s.tstd.next_removal_27mhz());
  }
}

// Due when waiting one more packet would stretch the interval past the configured one.
bool Multiplexer::Impl::pcr_due() const {
  if (!pcr_sent) return true;
  const std::uint64_t next_pcr = clock.next_pcr_27mhz();
  return next_pcr - last_pcr_27mhz > static_cast<std::uint64_t>(config.pcr_interval_27mhz);
}

// Returns the stream whose data the PCR rides on, or nullptr for an adaptation-only packet.
Multiplexer::Impl::Stream* Multiplexer::Impl::write_pcr_slot(
    const Slot& now, std::span<std::uint8_t, kTsPacketSize> out) {
  for (auto& s : streams) {
    if (s.config.pid != config.pcr_pid) continue;
    if (s.packetiser.closed_packets() > 0 && released(s, now)) {
      const EsPlan plan = plan_es_packet(s, true);
      if (may_send(s, now, plan)) {
        write_es_packet(s, now, plan, out);
        return &s;
      }
    }
  }
  write_pcr_only(now, out);
  return nullptr;
}

// Adaptation-only packet: carries no elementary stream data, so it does not enter TB_n
// (13818-1 2.4.2.3 passes "packets containing data from elementary stream n" to TB_n).
void Multiplexer::Impl::write_pcr_only(const Slot& now,
                                       std::span<std::uint8_t, kTsPacketSize> out) {
  const Pcr pcr = Pcr::from_27mhz(now.pcr_27mhz);
  TsHeader header;
  header.pid = config.pcr_pid;
  header.continuity_counter = cc.next(config.pcr_pid, false);
  write_ts_header_with_pcr(out, header, false, &pcr, 0);
  pcr_sent = true;
  last_pcr_27mhz = now.pcr_27mhz;
}

bool Multiplexer::Impl::write_si_packet(const Slot& now,
                                        std::span<std::uint8_t, kTsPacketSize> out) {
  if (!si_active) {
    if (si == nullptr) return false;
    const auto since_start = static_cast<std::uint64_t>(now.start_27mhz) - config.start_pcr_27mhz;
    if (since_start < si->quiet_until_27mhz()) return false;
    const std::optional<SectionOnPid> due = si->next_due(since_start);
    if (!due) return false;
    const bool taken_pid = due->pid >= kNullPid || due->pid == config.pcr_pid ||
                           std::any_of(streams.begin(), streams.end(),
                                       [&](const Stream& s) { return s.config.pid == due->pid; });
    if (due->section.empty() || due->section.size() > kMaxSectionSize || taken_pid) {
      throw MuxError(fmt::format(
          "SI source gave a section of {} bytes on PID 0x{:04X}: expected 1..{} bytes on a PID "
          "that is not the null, PCR or an elementary stream PID",
          due->section.size(), due->pid, kMaxSectionSize));
    }
    si_section = due->section;
    si_pid = due->pid;
    si_sent = 0;
    si_active = true;
  }
  // Header only, payload all 184 bytes (what write_ts_header writes without adaptation field).
  out[0] = kTsSyncByte;
  out[1] = static_cast<std::uint8_t>((si_sent == 0 ? 0x40 : 0) | (si_pid >> 8));
  out[2] = static_cast<std::uint8_t>(si_pid);
  out[3] = static_cast<std::uint8_t>(0x10 | cc.next(si_pid, true));
  const std::span<std::uint8_t> payload = std::span<std::uint8_t>(out).subspan(kTsHeaderSize);
  std::memset(payload.data(), kStuffingByte, kTsMaxPayloadSize);  // fixed size: a few stores
  std::size_t pos = 0;
  if (si_sent == 0) payload[pos++] = 0x00;  // pointer_field: the section starts right after
  const std::size_t n = std::min(payload.size() - pos, si_section.size() - si_sent);
  std::memcpy(payload.data() + pos, si_section.data() + si_sent, n);
  si_sent += n;
  si_active = si_sent < si_section.size();
  if (!si_active) si->section_sent(static_cast<std::uint64_t>(now.end_27mhz) - config.start_pcr_27mhz);
  return true;
}

bool Multiplexer::Impl::released(const Stream& s, const Slot& now) const {
  if (s.sent_in_front > 0) return true;
  const std::int64_t ready_90k = s.packetiser.front().ready_dts_90k - lead_90k(s);
  return ready_90k * kTicks <= now.start_27mhz;
}

Multiplexer::Impl::EsPlan Multiplexer::Impl::plan_es_packet(const Stream& s, bool pcr_due) const {
  const PesPacketInfo& front = s.packetiser.front();
  EsPlan plan;
  plan.random_access = s.sent_in_front == 0 && front.random_access;
  // ETSI TS 101 154: a random access point on the PCR PID also carries a PCR.
  plan.pcr = s.config.pid == config.pcr_pid && (pcr_due || plan.random_access);
  // ts_payload_capacity() of that adaptation field: length and flags bytes, and the PCR.
  const std::size_t af_bytes = plan.random_access || plan.pcr ? 2 + (plan.pcr ? 6 : 0) : 0;
  plan.payload_bytes = std::min(front.size - s.sent_in_front, kTsMaxPayloadSize - af_bytes);
  return plan;
}

bool Multiplexer::Impl::may_send(const Stream& s, const Slot& now, const EsPlan& plan) const {
  return s.tstd.may_enter(now.start_27mhz, now.end_27mhz, kTsPacketSize, plan.payload_bytes);
}

// Earliest deadline first among the streams whose next packet is released and fits the T-STD.
Multiplexer::Impl::Pick Multiplexer::Impl::pick_stream(const Slot& now) {
  Pick best;
  for (auto& s : streams) {
    if (s.packetiser.closed_packets() == 0 || !released(s, now)) continue;
    if (best.stream != nullptr &&
        s.packetiser.front().dts_90k >= best.stream->packetiser.front().dts_90k) {
      continue;
    }
    if (now.start_27mhz < s.retry_start_27mhz && now.end_27mhz < s.retry_end_27mhz) continue;
    const EsPlan plan = plan_es_packet(s, false);
    if (may_send(s, now, plan)) {
      best = Pick{&s, plan};
    } else {
      refused(s, now);
    }
  }
  return best;
}

// Until when the T-STD refuses the front packet of `s`, refused in `now`: TB, if it had no room,
// until it has; else the main buffer, until an access unit leaves.
void Multiplexer::Impl::refused(Stream& s, const Slot& now) {
  const std::int64_t tb_room = s.tstd.tb_room_27mhz(kTsPacketSize);
  if (tb_room > now.end_27mhz) {
    s.retry_start_27mhz = kForever;
    s.retry_end_27mhz = tb_room;
  } else {
    s.retry_start_27mhz = s.tstd.next_removal_27mhz();
    s.retry_end_27mhz = kForever;
  }
}

void Multiplexer::Impl::write_es_packet(Stream& s, const Slot& now, const EsPlan& plan,
                                        std::span<std::uint8_t, kTsPacketSize> out) {
  TsHeader header;
  header.pid = s.config.pid;
  header.payload_unit_start_indicator = s.sent_in_front == 0;
  header.continuity_counter = cc.next(s.config.pid, true);
  std::span<std::uint8_t> payload;
  if (plan.payload_bytes == kTsMaxPayloadSize && !plan.random_access && !plan.pcr) {
    // Most packets: no adaptation field, the 4 bytes write_ts_header writes (control '01').
    out[0] = kTsSyncByte;
    out[1] = static_cast<std::uint8_t>((header.payload_unit_start_indicator ? 0x40 : 0) |
                                       (header.pid >> 8));
    out[2] = static_cast<std::uint8_t>(header.pid);
    out[3] = static_cast<std::uint8_t>(0x10 | header.continuity_counter);
    payload = std::span<std::uint8_t>(out).subspan(kTsHeaderSize);
  } else {
    Pcr pcr;
    if (plan.pcr) pcr = Pcr::from_27mhz(now.pcr_27mhz);
    payload = write_ts_header_with_pcr(out, header, plan.random_access, plan.pcr ? &pcr : nullptr,
                                       plan.payload_bytes);
  }
  s.packetiser.copy_front(s.sent_in_front, payload);
  if (plan.pcr) {
    pcr_sent = true;
    last_pcr_27mhz = now.pcr_27mhz;
  }
  if (s.tstd.enter(now.start_27mhz, now.end_27mhz, kTsPacketSize, plan.payload_bytes) !=
      TstdResult::ok) {
    fail(s, s.tstd);
  }
  s.retry_start_27mhz = s.retry_end_27mhz = kNever;
  s.sent_in_front += plan.payload_bytes;
  if (s.sent_in_front == s.packetiser.front().size) {
    s.packetiser.pop_front();
    s.sent_in_front = 0;
  }
}

void Multiplexer::Impl::fail(const Stream& s, const TstdModel& tstd) {
  const TstdViolation v = tstd.first_violation().value_or(TstdViolation{});
  const std::int64_t dts_90k = v.dts_27mhz / kTicks;
  const std::string complete =
      v.complete_27mhz < 0
          ? std::string("its data was not all sent")
          : fmt::format("it would be complete at {} (90 kHz)", v.complete_27mhz / kTicks);
  failure = fmt::format(
      "PID 0x{:04X}: {}: access unit with output DTS {} (input DTS {}) cannot be delivered by "
      "its DTS, {}; the muxrate {} bit/s with mux delay {} ms cannot carry this stream here "
      "(raise muxrate_bps or mux_delay_90k, or lower the encoder's peak rate)",
      s.config.pid, to_string(v.what), dts_90k, dts_90k - s.offset_90k, complete,
      config.muxrate_bps, config.mux_delay_90k / 90);
  throw MuxError(failure);
}

// ---- public ----------------------------------------------------------------------------------

Multiplexer::Multiplexer(const MultiplexerConfig& config, SiSource* si_source)
    : impl_(std::make_unique<Impl>(config, si_source)) {}

Multiplexer::~Multiplexer() = default;

void Multiplexer::push(const AccessUnit& au) {
  Impl& m = *impl_;
  if (!m.failure.empty()) throw MuxError("multiplexer stopped after: " + m.failure);
  if (m.flushed) {
    throw MuxError(fmt::format("access unit on PID 0x{:04X} (PTS {}, DTS {}) after flush()", au.pid,
                               au.pts_90k, au.dts_90k));
  }
  // The access unit is read twice (checked, then copied): ask for its first lines at once, so
  // that the reads from memory overlap instead of waiting one after the other.
  constexpr std::size_t kCacheLine = 64, kPrefetchBytes = 4096;
  for (std::size_t at = 0; at < std::min(au.data.size(), kPrefetchBytes); at += kCacheLine) {
    __builtin_prefetch(au.data.data() + at);
  }
  Impl::Stream& s = m.stream_for(au.pid, au);
  const std::int64_t offset = m.offset_for(s, au);
  m.validate(s, au, offset);
  m.commit(s, au, offset);
  m.update_horizon();
}

std::size_t Multiplexer::pull(std::span<std::uint8_t> out) {
  Impl& m = *impl_;
  if (!m.failure.empty()) throw MuxError("multiplexer stopped after: " + m.failure);
  if (out.size() % kTsPacketSize != 0) {
    throw MuxError(fmt::format("pull buffer of {} bytes is not a multiple of 188", out.size()));
  }
  std::size_t written = 0;
  while (written < out.size() && !m.finished()) {
    const Impl::Slot now = m.slot();
    if (now.start_27mhz >= m.horizon_27mhz) break;
    const Impl::Written slot = m.write_slot(now, out.subspan(written).first<kTsPacketSize>());
    written += kTsPacketSize;
    if (slot.null) written += m.write_null_run(now, out.subspan(written));
    if (slot.es != nullptr) written += m.write_es_run(*slot.es, out.subspan(written));
  }
  return written;
}

void Multiplexer::flush() {
  Impl& m = *impl_;
  m.flushed = true;
  for (auto& s : m.streams) s.packetiser.close_open_packet();
  m.update_horizon();
}

bool Multiplexer::finished() const {
  return impl_->finished();
}

std::uint64_t Multiplexer::packets_written() const {
  return impl_->packet_index;
}

std::uint64_t Multiplexer::required_bitrate_bps() const {
  return impl_->required_bps;
}

std::optional<std::int64_t> Multiplexer::timestamp_offset_90k(std::uint16_t pid) const {
  for (const auto& s : impl_->streams) {
    if (s.config.pid == pid && s.pushed) return s.offset_90k;
  }
  return std::nullopt;
}

const TstdModel& Multiplexer::tstd(std::uint16_t pid) const {
  for (const auto& s : impl_->streams) {
    if (s.config.pid == pid) return s.tstd;
  }
  throw MuxError(fmt::format("PID 0x{:04X} is not declared", pid));
}

std::uint64_t Multiplexer::required_bitrate_bps(const MultiplexerConfig& config,
                                                const SiSource* si_source) {
  std::uint64_t bps = pcr_bitrate_bps(config.pcr_interval_27mhz);
  if (si_source != nullptr) bps += si_source->max_bitrate_bps();
  for (const auto& es : config.streams) bps += stream_bitrate_bps(es);
  return bps;
}

}  // namespace skyclass::mux

#include "headend/playout.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <fstream>
#include <functional>
#include <future>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "headend/asrun.hpp"
#include "headend/channel_si.hpp"
#include "headend/encoder.hpp"
#include "headend/sink.hpp"
#include "mux/multiplexer.hpp"
#include "mux/si_generator.hpp"
#include "scheduler/civil_time.hpp"

namespace fs = std::filesystem;

namespace skyclass::headend {

PlaylistProgramme::PlaylistProgramme(fs::path playlists_dir, fs::path media_dir,
                                     const scheduler::ChannelConfig& channel)
    : timeline_(std::move(playlists_dir), channel), media_dir_(std::move(media_dir)) {}

fs::path PlaylistProgramme::media_file(const std::string& media) const {
  const fs::path path(media);
  return path.is_absolute() ? path : media_dir_ / path;
}

namespace {

using SteadyClock = std::chrono::steady_clock;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  const std::int64_t q = a / b;
  return (a % b != 0 && ((a < 0) != (b < 0))) ? q - 1 : q;
}

std::int64_t system_utc_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The SI generator counts whole UTC seconds from packet 0; packet 0 of a playout run sits at
// any millisecond. This shifts the generator's clock by the part below the second.
class ShiftedSi final : public mux::SiSource {
 public:
  ShiftedSi(mux::SiGenerator& inner, std::uint64_t shift_27mhz)
      : inner_(inner), shift_27mhz_(shift_27mhz) {}
  std::optional<mux::SectionOnPid> next_due(std::uint64_t now_27mhz) override {
    return inner_.next_due(now_27mhz + shift_27mhz_);
  }
  std::uint64_t quiet_until_27mhz() const override {
    const std::uint64_t until = inner_.quiet_until_27mhz();
    return until > shift_27mhz_ ? until - shift_27mhz_ : 0;
  }
  void section_sent(std::uint64_t end_27mhz) override { inner_.section_sent(end_27mhz + shift_27mhz_); }
  std::uint64_t max_bitrate_bps() const override { return inner_.max_bitrate_bps(); }

 private:
  mux::SiGenerator& inner_;
  std::uint64_t shift_27mhz_;
};

// An item being prepared or on air: its reader (if the media opened) and the first frame read.
struct Prepared {
  TimelineItem on_air;
  std::int64_t join_offset_ms = 0;  // into the item, when joined part-way
  std::optional<MediaReader> reader;
  std::optional<HouseFrame> first;
  std::optional<std::string> failure;  // why the media cannot play
  bool ended = false;                  // the media had no frame at all
};

std::string describe(const std::exception& e) { return e.what(); }

// The media time an item shows at `offset_ms` into it (looping media wrap on its length).
std::int64_t media_position_ms(const scheduler::PlaylistItem& item, std::int64_t offset_ms) {
  std::int64_t at = item.in_ms + offset_ms;
  if (item.loop && item.media_facts && item.media_facts->duration_ms > 0)
    at %= item.media_facts->duration_ms;
  return at;
}

Prepared prepare(const Programme& programme, TimelineItem on_air, std::int64_t join_offset_ms,
                 const HouseFormat& house) {
  Prepared p;
  p.on_air = std::move(on_air);
  p.join_offset_ms = join_offset_ms;
  const scheduler::PlaylistItem& item = p.on_air.item;
  if (item.kind == scheduler::ItemKind::live || item.media.starts_with("live:")) {
    p.failure = fmt::format("live source {}: live input is not available in this build",
                            item.media);
    return p;
  }
  if (item.media.empty()) {
    p.failure = "the item has no media";
    return p;
  }
  try {
    p.reader.emplace(programme.media_file(item.media), media_position_ms(item, join_offset_ms),
                     item.loop, house);
    HouseFrame frame;
    if (p.reader->next(frame)) {
      p.first = std::move(frame);
    } else {
      p.ended = true;
      p.failure = fmt::format("{}: no picture at {} ms", programme.media_file(item.media).string(),
                              media_position_ms(item, join_offset_ms));
    }
  } catch (const std::exception& e) {
    p.reader.reset();
    p.failure = describe(e);
  }
  return p;
}

struct ReaderTotals {
  std::uint64_t repeated = 0, dropped = 0;
};

// What is on air now, frame by frame, with the slate taking over when the media fails.
class Sequencer {
 public:
  Sequencer(Programme& programme, const scheduler::ChannelConfig& channel, HouseFormat house,
            AsRunLog& asrun)
      : programme_(programme), channel_(channel), house_(house), asrun_(asrun) {}

  ~Sequencer() {
    if (next_.valid()) next_.wait();
  }

  struct Frame {
    HouseFrame frame;
    bool item_start = false;
  };

  // The frame period that starts at `utc_ms` (frame `run_frame` of the run, PTS `pts_90k`).
  Frame frame_at(std::int64_t utc_ms, std::int64_t run_frame, std::int64_t pts_90k) {
    Frame out;
    if (!current_ || utc_ms >= current_->on_air.item.end_utc_ms()) {
      start_item(utc_ms, pts_90k);
      out.item_start = true;
    }
    out.frame = next_frame(utc_ms);
    out.frame.index = run_frame;
    ++entry_.frames;
    entry_.duration_ms += frame_ms();
    maybe_prefetch(utc_ms);
    return out;
  }

  // Ends the as-run entry of the item on air (playout stops).
  void finish(const std::string& why) {
    if (!current_) return;
    if (!why.empty()) append_reason(why);
    close_entry();
    current_.reset();
  }

  const scheduler::PlaylistItem* on_air() const {
    return current_ ? &current_->on_air.item : nullptr;
  }
  std::optional<TimelineItem> next_item() const { return next_item_; }
  const AsRunEntry& entry() const { return entry_; }
  std::uint64_t items() const { return items_; }
  std::uint64_t fallbacks() const { return fallbacks_; }
  ReaderTotals totals() const {
    ReaderTotals t = totals_;
    if (current_ && current_->reader) {
      t.repeated += current_->reader->stats().pictures_repeated;
      t.dropped += current_->reader->stats().pictures_dropped;
    }
    return t;
  }
  // Maps the run's PTS to the stream's (set once the mux exists).
  void set_output_pts(std::function<std::int64_t(std::int64_t)> map) {
    to_output_pts_ = std::move(map);
  }
  // True once when the items changed (a new item went to air or the playlists were reloaded).
  bool take_items_changed() { return std::exchange(items_changed_, false); }
  std::vector<std::string> take_problems() { return std::exchange(problems_, {}); }

 private:
  std::int64_t frame_ms() const { return 1000 / house_.fps; }

  void start_item(std::int64_t utc_ms, std::int64_t pts_90k) {
    if (current_) {
      close_entry();
      if (current_->reader) {
        totals_.repeated += current_->reader->stats().pictures_repeated;
        totals_.dropped += current_->reader->stats().pictures_dropped;
      }
    }
    if (programme_.refresh(problems_)) items_changed_ = true;
    TimelineItem on_air = programme_.at(utc_ms);
    const std::int64_t offset = utc_ms - on_air.item.start_utc_ms;
    if (next_.valid()) {
      Prepared ready = next_.get();
      if (ready.on_air.item.start_utc_ms == on_air.item.start_utc_ms &&
          ready.on_air.item.media == on_air.item.media && ready.join_offset_ms == offset) {
        current_ = std::move(ready);
      }
    }
    if (!current_ || current_->on_air.item.start_utc_ms != on_air.item.start_utc_ms ||
        current_->join_offset_ms != offset) {
      current_ = prepare(programme_, on_air, offset, house_);
    }
    next_item_ = programme_.at(current_->on_air.item.end_utc_ms());
    items_changed_ = true;
    ++items_;
    open_entry(utc_ms, pts_90k, offset);
  }

  void open_entry(std::int64_t utc_ms, std::int64_t pts_90k, std::int64_t offset) {
    const scheduler::PlaylistItem& item = current_->on_air.item;
    entry_ = AsRunEntry{};
    entry_.scheduled_utc_ms = item.start_utc_ms;
    entry_.actual_utc_ms = utc_ms;
    entry_.kind = std::string(scheduler::to_string(item.kind));
    entry_.title = item.title;
    entry_.media = item.media;
    entry_.event_id = item.event_id;
    entry_.hard_start = item.hard_start;
    entry_.first_pts_90k = pts_90k;
    entry_.media_in_ms = media_position_ms(item, offset);
    entry_.outcome = Outcome::played;
    if (current_->on_air.runout) append_reason("no playlist covers this time: run-out slate");
    if (offset > 0) append_reason(fmt::format("joined {} ms into the item", offset));
    if (!item.loop && item.media_facts && item.media_facts->duration_ms > item.out_ms) {
      entry_.outcome = Outcome::cut;
      append_reason(fmt::format("media is {} ms long, cut at {} ms",
                                item.media_facts->duration_ms, item.out_ms));
    }
    slate_.reset();
    slate_failed_ = false;
    if (current_->failure) fail(*current_->failure, /*before_air=*/true, utc_ms);
  }

  void close_entry() {
    AsRunEntry line = entry_;
    if (to_output_pts_) line.first_pts_90k = to_output_pts_(line.first_pts_90k);
    asrun_.write(line);
    if (entry_.outcome == Outcome::slate || entry_.outcome == Outcome::fallback) ++fallbacks_;
  }

  void append_reason(const std::string& why) {
    entry_.reason = entry_.reason.empty() ? why : entry_.reason + "; " + why;
  }

  // The media failed: the slate plays for the rest of the slot.
  void fail(const std::string& why, bool before_air, std::int64_t utc_ms) {
    entry_.outcome = before_air ? Outcome::slate : Outcome::fallback;
    append_reason(before_air ? why : fmt::format("at {}: {}", scheduler::format_iso_utc(utc_ms), why));
    if (current_->reader) {
      totals_.repeated += current_->reader->stats().pictures_repeated;
      totals_.dropped += current_->reader->stats().pictures_dropped;
    }
    current_->reader.reset();
    current_->first.reset();
    open_slate();
  }

  void open_slate() {
    if (channel_.slate.empty()) {
      slate_failed_ = true;
      append_reason("no slate configured: black and silence");
      return;
    }
    try {
      slate_.emplace(programme_.media_file(slate_media(channel_)), 0, true, house_);
    } catch (const std::exception& e) {
      slate_.reset();
      slate_failed_ = true;
      append_reason(fmt::format("the slate failed too ({}): black and silence", e.what()));
    }
  }

  HouseFrame next_frame(std::int64_t utc_ms) {
    Prepared& p = *current_;
    if (p.first) {
      HouseFrame f = std::move(*p.first);
      p.first.reset();
      return f;
    }
    if (p.reader) {
      try {
        HouseFrame f;
        if (p.reader->next(f)) return f;
        const std::int64_t left = p.on_air.item.end_utc_ms() - utc_ms;
        fail(fmt::format("{}: media ended {} ms before the item's end",
                         p.reader->file().string(), left),
             false, utc_ms);
      } catch (const std::exception& e) {
        fail(describe(e), false, utc_ms);
      }
    }
    if (slate_) {
      try {
        HouseFrame f;
        if (slate_->next(f)) return f;
        throw std::runtime_error("the slate has no pictures");
      } catch (const std::exception& e) {
        slate_.reset();
        slate_failed_ = true;
        append_reason(fmt::format("the slate failed ({}): black and silence", e.what()));
      }
    }
    return black_frame(house_, 0);
  }

  // Opens the next item two seconds before it is due, on another thread, so the transition
  // costs no frame however long the open takes.
  void maybe_prefetch(std::int64_t utc_ms) {
    if (next_.valid() || !next_item_) return;
    const std::int64_t due = current_->on_air.item.end_utc_ms();
    if (due - utc_ms > kPrefetchMs) return;
    // The playlists may have changed; what is due then is decided now, and checked at the time.
    if (programme_.refresh(problems_)) items_changed_ = true;
    next_item_ = programme_.at(due);
    const std::int64_t offset = due - next_item_->item.start_utc_ms;
    next_ = std::async(std::launch::async, [this, item = *next_item_, offset] {
      return prepare(programme_, item, offset, house_);
    });
  }

  static constexpr std::int64_t kPrefetchMs = 2000;

  Programme& programme_;
  const scheduler::ChannelConfig& channel_;
  HouseFormat house_;
  AsRunLog& asrun_;
  std::optional<Prepared> current_;
  std::optional<TimelineItem> next_item_;
  std::future<Prepared> next_;
  std::optional<MediaReader> slate_;
  bool slate_failed_ = false;
  AsRunEntry entry_;
  std::uint64_t items_ = 0, fallbacks_ = 0;
  ReaderTotals totals_;
  bool items_changed_ = false;
  std::vector<std::string> problems_;
  std::function<std::int64_t(std::int64_t)> to_output_pts_;
};

// Packets out at the muxrate against a monotonic clock (real time), or as fast as possible.
class Pacer {
 public:
  Pacer(ClockMode mode, std::uint64_t muxrate_bps, SteadyClock::time_point packet0)
      : mode_(mode), muxrate_bps_(muxrate_bps), packet0_(packet0) {}

  // Waits until the packet `index` is due (real clock only).
  void wait_for(std::uint64_t index) const {
    if (mode_ != ClockMode::real) return;
    const auto ns = static_cast<std::int64_t>(
        static_cast<unsigned __int128>(index) * 188 * 8 * 1'000'000'000ULL / muxrate_bps_);
    std::this_thread::sleep_until(packet0_ + std::chrono::nanoseconds(ns));
  }

 private:
  ClockMode mode_;
  std::uint64_t muxrate_bps_;
  SteadyClock::time_point packet0_;
};

// The audio encoder on its own thread (MPEG audio encoding costs about as much as a small
// picture's decode and encode together). Jobs are one frame period's sound each, encoded in
// order; the engine takes the units of job n - kAudioLagJobs after submitting job n, so what it
// pushes into the mux, and when, does not depend on thread timing: the stream is the same bytes
// on every run.
class AudioWorker {
 public:
  static constexpr std::int64_t kLagJobs = 8;

  explicit AudioWorker(const EncoderSettings& settings)
      : encoder_(settings), thread_([this] { loop(); }) {}
  ~AudioWorker() {
    {
      std::lock_guard lock(mutex_);
      quit_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

  const AudioEncoder& encoder() const { return encoder_; }  // kind() and stream_type() only

  void submit(av::FramePtr sound) {
    {
      std::lock_guard lock(mutex_);
      jobs_.push_back(std::move(sound));
      ++submitted_;
    }
    wake_.notify_all();
  }

  // Appends the units of every job before `upto` (waiting for them). Rethrows an encoder error.
  void take(std::int64_t upto, std::vector<EncodedUnit>& out) {
    std::unique_lock lock(mutex_);
    done_cv_.wait(lock, [&] { return done_ >= upto || error_; });
    if (error_) std::rethrow_exception(error_);
    while (!results_.empty() && results_.front().first < upto) {
      out.push_back(std::move(results_.front().second));
      results_.pop_front();
    }
  }

  // Every job, then the encoder's last frame.
  void flush(std::vector<EncodedUnit>& out) {
    take(submitted_, out);
    std::lock_guard lock(mutex_);  // the worker is idle: no job is left
    encoder_.flush(out);
  }

 private:
  void loop() {
    std::unique_lock lock(mutex_);
    for (;;) {
      wake_.wait(lock, [&] { return quit_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      av::FramePtr sound = std::move(jobs_.front());
      jobs_.pop_front();
      const std::int64_t job = done_;
      lock.unlock();
      std::vector<EncodedUnit> units;
      std::exception_ptr error;
      try {
        encoder_.encode(*sound, units);
      } catch (...) {
        error = std::current_exception();
      }
      lock.lock();
      for (auto& u : units) results_.emplace_back(job, std::move(u));
      if (error) error_ = error;
      ++done_;
      done_cv_.notify_all();
    }
  }

  AudioEncoder encoder_;
  std::mutex mutex_;
  std::condition_variable wake_, done_cv_;
  std::deque<av::FramePtr> jobs_;
  std::deque<std::pair<std::int64_t, EncodedUnit>> results_;
  std::int64_t submitted_ = 0, done_ = 0;
  std::exception_ptr error_;
  bool quit_ = false;
  std::thread thread_;  // last: starts once everything above exists
};

class Engine {
 public:
  Engine(const PlayoutOptions& o, Programme& programme, const std::atomic<bool>& stop)
      : o_(o),
        programme_(programme),
        stop_(stop),
        house_(HouseFormat::from(o.channel)),
        settings_(EncoderSettings::from(o.channel)),
        muxrate_bps_(o.muxrate_bps != 0 ? o.muxrate_bps : o.channel.muxrate_bps),
        asrun_(o.asrun_file),
        sequencer_(programme, o.channel, house_, asrun_),
        video_(settings_),
        audio_(settings_) {
    for (const std::string& spec : o.outputs) sinks_.push_back(open_sink(spec));
    frame_ms_ = 1000 / house_.fps;
    if (o.clock == ClockMode::real) {
      // Frame 0 a little ahead of now, so the first packets leave on time.
      const std::int64_t lead_ms = kMuxDelayMs + 500;
      origin_ms_ = (floor_div(system_utc_ms() + lead_ms, frame_ms_) + 1) * frame_ms_;
    } else {
      origin_ms_ = floor_div(o.start_utc_ms, frame_ms_) * frame_ms_;
    }
    result_.origin_utc_ms = origin_ms_;
    if (o.duration_ms) end_frame_ = (*o.duration_ms + frame_ms_ - 1) / frame_ms_;
    buffer_.resize(188 * 7 * 64);
  }

  PlayoutResult run() {
    const auto wall_start = SteadyClock::now();
    next_status_ = wall_start;
    for (std::int64_t n = 0; !end_frame_ || n < *end_frame_; ++n) {
      if (stop_.load()) {
        result_.stopped = true;
        break;
      }
      play_frame(n);
      write_status_if_due(false);
    }
    const std::string why = result_.stopped ? "playout stopped by a signal" : "end of the run";
    finish();
    sequencer_.finish(why);
    result_.wall_s = std::chrono::duration<double>(SteadyClock::now() - wall_start).count();
    for (auto& sink : sinks_) sink->close();
    write_status_if_due(true);
    return result_;
  }

 private:
  static constexpr std::int64_t kMuxDelayMs = 900;

  void play_frame(std::int64_t n) {
    const std::int64_t utc_ms = origin_ms_ + n * frame_ms_;
    const std::int64_t pts_90k = n * 90'000 / house_.fps;
    Sequencer::Frame f = sequencer_.frame_at(utc_ms, n, pts_90k);
    if (sequencer_.take_items_changed()) events_dirty_ = true;
    for (const std::string& p : sequencer_.take_problems()) log_problem(p);
    units_video_.clear();
    units_audio_.clear();
    video_.encode(*f.frame.picture, f.item_start, units_video_);
    audio_samples_ += f.frame.sound->nb_samples;
    audio_.submit(std::move(f.frame.sound));
    audio_.take(n + 1 - AudioWorker::kLagJobs, units_audio_);
    ++result_.frames;
    result_.audio_samples = audio_samples_;
    // Audio samples against the frames' share of the clock: 0 when every period carried its
    // exact samples.
    const std::int64_t clock_samples = (n + 1) * house_.sample_rate / house_.fps;
    av_offset_samples_ = audio_samples_ - clock_samples;
    result_.max_av_offset_samples =
        std::max(result_.max_av_offset_samples, std::abs(av_offset_samples_));
    push(units_video_, units_audio_);
    current_utc_ms_ = utc_ms;
  }

  std::uint16_t video_pid() const { return o_.channel.video_pid; }

  // Access units of both streams into the mux in DTS order, then every decided packet out.
  void push(std::vector<EncodedUnit>& video, std::vector<EncodedUnit>& audio) {
    for (auto& u : video) pending_video_.push_back(std::move(u));
    for (auto& u : audio) pending_audio_.push_back(std::move(u));
    if (!mux_ && (pending_video_.empty() || pending_audio_.empty())) return;
    if (!mux_) start_mux();
    while (!pending_video_.empty() && !pending_audio_.empty()) push_earliest();
    // Audio runs ahead of the encoder's video delay; keep it bounded.
    while (pending_audio_.size() > 256 || pending_video_.size() > 256) push_earliest();
    refresh_events();
    drain();
  }

  void push_earliest() {
    const bool video = !pending_video_.empty() &&
                       (pending_audio_.empty() ||
                        pending_video_.front().dts_90k <= pending_audio_.front().dts_90k);
    std::deque<EncodedUnit>& queue = video ? pending_video_ : pending_audio_;
    const EncodedUnit& u = queue.front();
    mux_->push(mux::AccessUnit{video ? video_pid() : o_.channel.audio_pid, u.data, u.pts_90k,
                               u.dts_90k, u.key_frame, false});
    queue.pop_front();
  }

  // The mux is made when the first access units exist: the first one pushed fixes where the
  // run's timeline sits against packet 0 (its DTS is sent mux_delay after packet 0).
  void start_mux() {
    const bool video_first = pending_video_.front().dts_90k <= pending_audio_.front().dts_90k;
    const std::int64_t first_dts =
        video_first ? pending_video_.front().dts_90k : pending_audio_.front().dts_90k;
    // Frame 0 (PTS 0) is presented (mux delay - first DTS) after packet 0.
    const std::int64_t delay_90k = kMuxDelayMs * 90;
    const std::int64_t lead_90k = delay_90k - first_dts;
    // UTC of packet 0, in 27 MHz ticks since the epoch, split into whole seconds for the SI.
    const std::int64_t packet0_27mhz = origin_ms_ * 27'000 - lead_90k * 300;
    const std::int64_t packet0_s = floor_div(packet0_27mhz, 27'000'000);
    packet0_utc_ms_ = floor_div(packet0_27mhz, 27'000);

    ServiceStream video{mux::StreamKind::h264, 0x1B, video_pid(),
                        video_peak_bps(), h264_level_idc(o_.channel), 2, ""};
    ServiceStream audio{audio_.encoder().kind(), audio_.encoder().stream_type(), o_.channel.audio_pid,
                        std::uint64_t{settings_.audio_bitrate_bps}, 30,
                        settings_.channels, o_.channel.language};
    MuxSetup setup = make_mux_setup(o_.channel, muxrate_bps_, video, audio);
    setup.mux.mux_delay_90k = delay_90k;
    try {
      si_.emplace(setup.si, packet0_s, programme_.eit_events(origin_ms_));
    } catch (const std::invalid_argument& e) {
      throw std::runtime_error(fmt::format("{}: PSI/SI: {}", config_name(), e.what()));
    }
    shifted_si_.emplace(*si_, static_cast<std::uint64_t>(packet0_27mhz - packet0_s * 27'000'000));
    try {
      mux_.emplace(setup.mux, &*shifted_si_);
    } catch (const mux::MuxError& e) {
      throw std::runtime_error(fmt::format("{}: cannot play out at {} bit/s: {}", config_name(),
                                           muxrate_bps_, e.what()));
    }
    const auto now_steady = SteadyClock::now();
    const std::int64_t ahead_ms = packet0_utc_ms_ - system_utc_ms();
    pacer_.emplace(o_.clock, muxrate_bps_, now_steady + std::chrono::milliseconds(ahead_ms));
    events_from_day_ = floor_div(origin_ms_, kDayMs);
    // Output DTS = input DTS + (packet 0's clock + mux delay - first DTS): start_pcr is 0.
    sequencer_.set_output_pts([lead_90k](std::int64_t pts) { return pts + lead_90k; });
  }

  // What the video stream is declared to the mux with: the encoder's CBR rate. With nal-hrd=cbr
  // that rate counts every NAL unit (AUD, SPS/PPS, SEI and filler included), and the HRD keeps
  // each picture deliverable at it within the VBV buffer (1 s): the mux, which may send up to the
  // mux delay (0.9 s) early at up to the muxrate left by the other PIDs, and whose T-STD checks
  // every access unit, can always carry it.
  std::uint64_t video_peak_bps() const { return settings_.video_bitrate_bps; }

  std::string config_name() const {
    return o_.channel.file.empty() ? std::string("channel config (defaults)")
                                   : o_.channel.file.string();
  }

  // The EIT follows the programme: new events when the items change, and every UTC day.
  void refresh_events() {
    const std::int64_t day = floor_div(current_utc_ms_, kDayMs);
    if (!events_dirty_ && day == events_from_day_) return;
    events_dirty_ = false;
    events_from_day_ = day;
    si_->set_events(programme_.eit_events(current_utc_ms_));
  }

  void drain() {
    for (;;) {
      std::size_t n = mux_->pull(std::span(buffer_));
      if (n == 0) return;
      write(std::span<const std::uint8_t>(buffer_.data(), n));
    }
  }

  void write(std::span<const std::uint8_t> packets) {
    if (o_.clock == ClockMode::virtual_time) {
      for (auto& sink : sinks_) sink->write(packets);
      result_.packets += packets.size() / 188;
      return;
    }
    // Real time: 7 packets (one UDP datagram's worth) at a time, each when it is due.
    constexpr std::size_t kChunk = 188 * 7;
    for (std::size_t at = 0; at < packets.size(); at += kChunk) {
      const auto chunk = packets.subspan(at, std::min(kChunk, packets.size() - at));
      pacer_->wait_for(result_.packets);
      for (auto& sink : sinks_) sink->write(chunk);
      result_.packets += chunk.size() / 188;
    }
  }

  void finish() {
    units_video_.clear();
    units_audio_.clear();
    video_.flush(units_video_);
    audio_.flush(units_audio_);
    for (auto& u : units_video_) pending_video_.push_back(std::move(u));
    for (auto& u : units_audio_) pending_audio_.push_back(std::move(u));
    if (!mux_ && !pending_video_.empty() && !pending_audio_.empty()) start_mux();
    if (!mux_) return;
    while (!pending_video_.empty() || !pending_audio_.empty()) push_earliest();
    mux_->flush();
    while (!mux_->finished()) {
      const std::size_t n = mux_->pull(std::span(buffer_));
      if (n == 0) break;
      write(std::span<const std::uint8_t>(buffer_.data(), n));
    }
    const ReaderTotals t = sequencer_.totals();
    result_.pictures_repeated = t.repeated;
    result_.pictures_dropped = t.dropped;
    result_.items = sequencer_.items();
    result_.fallbacks = sequencer_.fallbacks();
  }

  void log_problem(const std::string& problem) {
    std::fputs(fmt::format("skyclass-headend: {}\n", problem).c_str(), stderr);
    last_problem_ = problem;
  }

  void write_status_if_due(bool final) {
    if (o_.status_file.empty()) return;
    const auto now = SteadyClock::now();
    if (!final && now < next_status_) return;
    next_status_ = now + std::chrono::milliseconds(o_.status_interval_ms);
    const double wall_s =
        std::chrono::duration<double>(now - (status_wall_ ? *status_wall_ : now)).count();
    const std::int64_t frames_since = result_.frames - status_frames_;
    const double fps = wall_s > 0 ? frames_since / wall_s : 0;
    status_wall_ = now;
    status_frames_ = result_.frames;
    nlohmann::json j;
    j["updated_utc"] = scheduler::format_iso_utc(system_utc_ms());
    j["clock"] = o_.clock == ClockMode::real ? "real" : "virtual";
    j["state"] = final ? "stopped" : "on air";
    j["stream_utc"] = scheduler::format_iso_utc(current_utc_ms_);
    j["origin_utc"] = scheduler::format_iso_utc(origin_ms_);
    if (const scheduler::PlaylistItem* item = sequencer_.on_air(); item && !final) {
      const AsRunEntry& e = sequencer_.entry();
      j["now"] = {{"title", item->title},
                  {"kind", scheduler::to_string(item->kind)},
                  {"event_id", item->event_id},
                  {"start_utc", scheduler::format_iso_utc(item->start_utc_ms)},
                  {"end_utc", scheduler::format_iso_utc(item->end_utc_ms())},
                  {"media", item->media},
                  {"outcome", to_string(e.outcome)},
                  {"reason", e.reason}};
    }
    if (auto next = sequencer_.next_item(); next && !final) {
      j["next"] = {{"title", next->item.title},
                   {"kind", scheduler::to_string(next->item.kind)},
                   {"event_id", next->item.event_id},
                   {"start_utc", scheduler::format_iso_utc(next->item.start_utc_ms)}};
    }
    const ReaderTotals t = sequencer_.totals();
    j["encoder"] = {{"frames", result_.frames},
                    {"fps", std::round(fps * 10) / 10},
                    {"speed", std::round(fps / house_.fps * 100) / 100},
                    {"av_offset_samples", av_offset_samples_}};
    j["frames_repeated"] = t.repeated;
    j["frames_dropped"] = t.dropped;
    j["items"] = sequencer_.items();
    j["fallbacks"] = sequencer_.fallbacks();
    j["output"] = {{"muxrate_bps", muxrate_bps_},
                   {"packets", result_.packets},
                   {"bitrate_bps", wall_s > 0 ? std::llround((result_.packets - status_packets_) *
                                                             188 * 8 / wall_s)
                                              : 0}};
    status_packets_ = result_.packets;
    nlohmann::json sinks = nlohmann::json::array();
    for (const auto& s : sinks_) sinks.push_back(s->state());
    j["sinks"] = sinks;
    if (!last_problem_.empty()) j["last_problem"] = last_problem_;
    const fs::path temp = o_.status_file.string() + ".tmp";
    {
      std::ofstream out(temp, std::ios::trunc);
      out << j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
    }
    std::error_code ec;
    fs::rename(temp, o_.status_file, ec);
  }


  static constexpr std::int64_t kDayMs = 24 * 3600 * 1000LL;

  const PlayoutOptions& o_;
  Programme& programme_;
  const std::atomic<bool>& stop_;
  HouseFormat house_;
  EncoderSettings settings_;
  std::uint64_t muxrate_bps_;
  AsRunLog asrun_;
  Sequencer sequencer_;
  VideoEncoder video_;
  AudioWorker audio_;
  std::vector<std::unique_ptr<Sink>> sinks_;
  std::int64_t frame_ms_ = 40;
  std::int64_t origin_ms_ = 0;
  std::int64_t packet0_utc_ms_ = 0;
  std::int64_t current_utc_ms_ = 0;
  std::optional<std::int64_t> end_frame_;
  std::optional<mux::SiGenerator> si_;
  std::optional<ShiftedSi> shifted_si_;
  std::optional<mux::Multiplexer> mux_;
  std::optional<Pacer> pacer_;
  std::deque<EncodedUnit> pending_video_, pending_audio_;
  std::vector<EncodedUnit> units_video_, units_audio_;
  std::vector<std::uint8_t> buffer_;
  bool events_dirty_ = false;
  std::int64_t events_from_day_ = 0;
  std::int64_t audio_samples_ = 0;
  std::int64_t av_offset_samples_ = 0;
  std::string last_problem_;
  SteadyClock::time_point next_status_;
  std::optional<SteadyClock::time_point> status_wall_;
  std::int64_t status_frames_ = 0;
  std::uint64_t status_packets_ = 0;
  PlayoutResult result_;
};

}  // namespace

PlayoutResult run_playout(const PlayoutOptions& options, Programme& programme,
                          const std::atomic<bool>& stop) {
  Engine engine(options, programme, stop);
  return engine.run();
}

std::string format_status(const std::string& status_json) {
  const nlohmann::json j = nlohmann::json::parse(status_json);
  std::string out = fmt::format("state        {} ({} clock), stream time {}\n",
                                j.value("state", "?"), j.value("clock", "?"),
                                j.value("stream_utc", "?"));
  if (j.contains("now")) {
    const auto& n = j["now"];
    out += fmt::format("now on air   {} [{}] {} .. {}  event {}  {}\n", n.value("title", ""),
                       n.value("kind", ""), n.value("start_utc", ""), n.value("end_utc", ""),
                       n.value("event_id", 0), n.value("outcome", ""));
    if (!n.value("reason", std::string()).empty())
      out += fmt::format("             {}\n", n.value("reason", ""));
  }
  if (j.contains("next")) {
    const auto& n = j["next"];
    out += fmt::format("next         {} [{}] at {}\n", n.value("title", ""), n.value("kind", ""),
                       n.value("start_utc", ""));
  }
  if (j.contains("encoder")) {
    const auto& e = j["encoder"];
    out += fmt::format("encoder      {} frames, {} fps, {}x real time, A/V offset {} samples\n",
                       e.value("frames", 0), e.value("fps", 0.0), e.value("speed", 0.0),
                       e.value("av_offset_samples", 0));
  }
  out += fmt::format("frames       {} repeated, {} dropped; {} items, {} fell back to the slate\n",
                     j.value("frames_repeated", 0), j.value("frames_dropped", 0),
                     j.value("items", 0), j.value("fallbacks", 0));
  if (j.contains("output")) {
    const auto& o = j["output"];
    out += fmt::format("output       {} bit/s written in the last second (muxrate {}), {} packets\n",
                       o.value("bitrate_bps", 0), o.value("muxrate_bps", 0),
                       o.value("packets", 0));
  }
  for (const auto& s : j.value("sinks", nlohmann::json::array())) {
    out += fmt::format("sink         {}: {}, {} bytes, {} packets dropped{}\n",
                       s.value("name", ""), s.value("state", ""), s.value("bytes", 0),
                       s.value("packets_dropped", 0),
                       s.value("last_error", std::string()).empty()
                           ? std::string()
                           : " (" + s.value("last_error", std::string()) + ")");
  }
  if (j.contains("last_problem"))
    out += fmt::format("last problem {}\n", j.value("last_problem", ""));
  return out;
}

}  // namespace skyclass::headend

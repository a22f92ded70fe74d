#include "headend/transcode.hpp"

#include <atomic>
#include <stdexcept>
#include <unistd.h>

#include <fmt/format.h>

#include "scheduler/media_probe.hpp"

namespace fs = std::filesystem;

namespace skyclass::headend {
namespace {

// The input file as the only item; after it, black (the run ends with the item).
class FileProgramme final : public Programme {
 public:
  FileProgramme(scheduler::PlaylistItem item) : item_(std::move(item)) {}
  TimelineItem at(std::int64_t) const override { return {item_, false}; }
  std::vector<mux::EpgEvent> eit_events(std::int64_t) const override {
    mux::EpgEvent e;
    e.event_id = item_.event_id;
    e.start_utc_s = item_.start_utc_ms / 1000;
    e.duration_s = std::max<std::int64_t>(1, item_.duration_ms / 1000);
    e.title = item_.title;
    return {e};
  }
  bool refresh(std::vector<std::string>&) override { return false; }
  fs::path media_file(const std::string& media) const override { return media; }

 private:
  scheduler::PlaylistItem item_;
};

}  // namespace

TranscodeResult transcode(const TranscodeOptions& o) {
  const scheduler::MediaFacts facts = scheduler::probe_media_file(o.input);
  if (!facts.readable) {
    throw std::runtime_error(fmt::format("{}: {}", o.input.string(), facts.error));
  }
  const std::int64_t frame_ms = o.channel.frame_ms();
  TranscodeResult result;
  result.media_duration_ms = facts.duration_ms;
  scheduler::PlaylistItem item;
  item.start_utc_ms = o.start_utc_ms / frame_ms * frame_ms;
  item.duration_ms = std::max<std::int64_t>(frame_ms, facts.duration_ms / frame_ms * frame_ms);
  item.kind = scheduler::ItemKind::lesson;
  item.title = o.input.stem().string();
  item.media = fs::absolute(o.input).string();
  item.out_ms = item.duration_ms;
  item.event_id = 1;
  item.hard_start = true;
  FileProgramme programme(item);

  const fs::path temp = o.output.parent_path() /
                        fmt::format(".{}.{}.partial", o.output.filename().string(), ::getpid());
  PlayoutOptions p;
  p.channel = o.channel;
  p.outputs = {"file:" + temp.string()};
  p.clock = ClockMode::virtual_time;
  p.start_utc_ms = item.start_utc_ms;
  p.duration_ms = item.duration_ms;
  p.muxrate_bps = o.muxrate_bps;
  const std::atomic<bool> never{false};
  try {
    result.playout = run_playout(p, programme, never);
  } catch (...) {
    std::error_code ec;
    fs::remove(temp, ec);
    throw;
  }
  fs::rename(temp, o.output);
  return result;
}

}  // namespace skyclass::headend

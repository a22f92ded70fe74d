#include "tools/samples/generate.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <numeric>
#include <set>
#include <stdexcept>
#include <thread>

#include <fmt/format.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

extern "C" {
#include <libavutil/log.h>
}

namespace skyclass::tools {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// out_dir/.skyclass-samples.json: {"generator": N, "clips": {path: {"spec_hash", "bytes"}}}.
// Entries of clips not in this run are kept. Thread-safe.
class Manifest {
 public:
  explicit Manifest(fs::path file) : file_(std::move(file)) { load(); }

  bool up_to_date(const ClipSpec& spec, const fs::path& clip_file) const {
    std::lock_guard lock(mutex_);
    auto entry = clips_.find(spec.relative_path);
    if (entry == clips_.end() || entry->value("spec_hash", "") != spec_hash(spec)) return false;
    std::error_code ec;
    auto bytes = fs::file_size(clip_file, ec);
    return !ec && bytes == entry->value("bytes", std::uintmax_t{0});
  }

  void record(const ClipSpec& spec, std::uintmax_t bytes) {
    std::lock_guard lock(mutex_);
    clips_[spec.relative_path] = {{"spec_hash", spec_hash(spec)}, {"bytes", bytes}};
    save();
  }

 private:
  void load() {
    std::ifstream in(file_);
    if (!in) return;
    nlohmann::json doc = nlohmann::json::parse(in, nullptr, /*allow_exceptions=*/false);
    if (doc.is_object() && doc.contains("clips") && doc["clips"].is_object()) {
      clips_ = doc["clips"];
      return;
    }
    fmt::print(stderr, "samples: ignoring unreadable manifest {}: every clip is rewritten\n",
               file_.string());
  }

  void save() const {
    nlohmann::json doc = {{"generator", kClipGeneratorVersion}, {"clips", clips_}};
    fs::path temp = file_;
    temp += fmt::format(".{}.tmp", static_cast<long>(::getpid()));
    {
      std::ofstream out(temp, std::ios::trunc);
      out << doc.dump(2) << '\n';
      if (!out.flush())
        throw std::runtime_error(fmt::format("{}: cannot write the manifest", temp.string()));
    }
    fs::rename(temp, file_);
  }

  fs::path file_;
  nlohmann::json clips_ = nlohmann::json::object();
  mutable std::mutex mutex_;
};

void check_paths(const std::vector<ClipSpec>& clips) {
  std::set<std::string> seen;
  for (const ClipSpec& spec : clips) {
    fs::path rel(spec.relative_path);
    bool escapes = std::any_of(rel.begin(), rel.end(), [](const fs::path& p) { return p == ".."; });
    if (spec.relative_path.empty() || rel.is_absolute() || escapes)
      throw std::invalid_argument(fmt::format(
          "sample clip '{}': relative_path must be relative and stay inside the output folder",
          spec.relative_path));
    if (!seen.insert(rel.lexically_normal().string()).second)
      throw std::invalid_argument(
          fmt::format("sample clip '{}' is listed twice", spec.relative_path));
  }
}

// Longest first, so the big clips do not start last and leave the other workers idle.
std::vector<std::size_t> work_order(const std::vector<ClipSpec>& clips) {
  std::vector<std::size_t> order(clips.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  auto cost = [&](std::size_t i) {
    const ClipSpec& c = clips[i];
    return double(c.duration_ms) * c.width * c.height * c.fps_num / c.fps_den;
  };
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return cost(a) > cost(b); });
  return order;
}

std::string describe(const ClipOutcome& outcome) {
  switch (outcome.status) {
    case ClipOutcome::Status::made:
      return fmt::format("made       {} ({:.1f} MiB in {:.1f} s)", outcome.relative_path,
                         outcome.bytes / 1048576.0, outcome.seconds);
    case ClipOutcome::Status::skipped:
      return fmt::format("up to date {}", outcome.relative_path);
    case ClipOutcome::Status::failed:
      break;
  }
  return fmt::format("FAILED     {}: {}", outcome.relative_path, outcome.error);
}

ClipOutcome make_one(const ClipSpec& spec, const fs::path& out_dir, Manifest& manifest) {
  ClipOutcome outcome;
  outcome.relative_path = spec.relative_path;
  const fs::path file = out_dir / spec.relative_path;
  const auto start = Clock::now();
  try {
    if (manifest.up_to_date(spec, file)) {
      outcome.status = ClipOutcome::Status::skipped;
    } else {
      write_clip(spec, file);
      outcome.status = ClipOutcome::Status::made;
    }
    outcome.bytes = fs::file_size(file);
    if (outcome.status == ClipOutcome::Status::made) manifest.record(spec, outcome.bytes);
  } catch (const std::exception& e) {
    outcome.status = ClipOutcome::Status::failed;
    outcome.error = e.what();
  }
  outcome.seconds = seconds_since(start);
  return outcome;
}

}  // namespace

int GenerateReport::count(ClipOutcome::Status status) const {
  return static_cast<int>(std::count_if(clips.begin(), clips.end(),
                                        [&](const ClipOutcome& c) { return c.status == status; }));
}

GenerateReport generate_all(const std::vector<ClipSpec>& clips, const fs::path& out_dir, int jobs) {
  check_paths(clips);
  if (av_log_get_level() == AV_LOG_INFO) av_log_set_level(AV_LOG_ERROR);
  const auto start = Clock::now();
  fs::create_directories(out_dir);
  Manifest manifest(out_dir / kSamplesManifestName);

  GenerateReport report;
  report.clips.resize(clips.size());
  if (jobs <= 0) jobs = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  report.jobs = std::max(1, std::min<int>(jobs, static_cast<int>(clips.size())));

  const std::vector<std::size_t> order = work_order(clips);
  std::atomic<std::size_t> next{0};
  std::mutex progress;
  int done = 0;
  auto worker = [&] {
    for (std::size_t k; (k = next++) < order.size();) {
      std::size_t i = order[k];
      report.clips[i] = make_one(clips[i], out_dir, manifest);
      std::lock_guard lock(progress);
      fmt::print(stderr, "samples: [{:>{}}/{}] {}\n", ++done,
                 fmt::formatted_size("{}", clips.size()), clips.size(), describe(report.clips[i]));
    }
  };
  std::vector<std::jthread> workers;
  for (int j = 0; j < report.jobs; ++j) workers.emplace_back(worker);
  workers.clear();  // joins

  report.seconds = seconds_since(start);
  fmt::print(stderr, "samples: {} made, {} up to date, {} failed in {:.1f} s ({} jobs) -> {}\n",
             report.made(), report.skipped(), report.failed(), report.seconds, report.jobs,
             out_dir.string());
  return report;
}

}  // namespace skyclass::tools

#pragma once
// Writes a whole sample library with a small thread pool, skipping clips that are already up to
// date according to the manifest `out_dir/.skyclass-samples.json`.
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "tools/samples/clip.hpp"

namespace skyclass::tools {

inline constexpr std::string_view kSamplesManifestName = ".skyclass-samples.json";

struct ClipOutcome {
  enum class Status { made, skipped, failed };
  std::string relative_path;
  Status status = Status::failed;
  double seconds = 0;        // wall time spent on this clip
  std::uintmax_t bytes = 0;  // size of the file on disk (made or skipped)
  std::string error;         // why it failed
};

struct GenerateReport {
  std::vector<ClipOutcome> clips;  // in the order of the specs given
  double seconds = 0;              // wall time of the whole run
  int jobs = 0;                    // worker threads used

  int count(ClipOutcome::Status status) const;
  int made() const { return count(ClipOutcome::Status::made); }
  int skipped() const { return count(ClipOutcome::Status::skipped); }
  int failed() const { return count(ClipOutcome::Status::failed); }
};

// Writes each clip to out_dir/relative_path with `jobs` threads (<= 0: one per hardware
// thread). A clip is skipped when its file exists with the size and spec_hash() the manifest
// recorded. The manifest is rewritten atomically (temp file + rename) after every clip made, so
// an interrupted run keeps what it finished. A failing clip does not stop the others; it is
// reported. Progress lines go to stderr. Lowers libav's log level from the default (info) to
// errors, so encoder banners do not drown the progress.
// Throws std::invalid_argument for an empty, absolute, "..", or duplicate relative_path.
GenerateReport generate_all(const std::vector<ClipSpec>& clips,
                            const std::filesystem::path& out_dir, int jobs = 0);

}  // namespace skyclass::tools
